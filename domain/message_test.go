package domain

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeFile(t *testing.T) {
	tests := []struct {
		ids     []FileID
		unknown bool
		listen  bool
		want    string
	}{
		{[]FileID{1, 2, 3}, false, true, "notify_file_id [1,2,3]"},
		{[]FileID{18446744073709551615}, false, true, "notify_file_id [18446744073709551615]"},
		{[]FileID{1, 2, 3}, false, false, "notify_file"},
		{[]FileID{1}, true, true, "notify_file"},
		{nil, false, true, "notify_file"},
	}
	for _, tt := range tests {
		if got := EncodeFile(tt.ids, tt.unknown, tt.listen); got != tt.want {
			t.Errorf("EncodeFile(%v, %v, %v) = %q, want %q", tt.ids, tt.unknown, tt.listen, got, tt.want)
		}
	}
}

func TestEncodeCustom(t *testing.T) {
	if got := EncodeCustom("my_type", ""); got != "my_type" {
		t.Errorf("without body: %q", got)
	}
	if got := EncodeCustom("my_type", `{"a":1}`); got != `my_type {"a":1}` {
		t.Errorf("with body: %q", got)
	}
}

func FuzzEncodeFile(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint64(3), true)
	f.Add(uint64(0), uint64(18446744073709551615), uint64(7), false)
	f.Fuzz(func(t *testing.T, a, b, c uint64, listen bool) {
		ids := []FileID{FileID(a), FileID(b), FileID(c)}
		text := EncodeFile(ids, false, listen)
		if !listen {
			if text != TextNotifyFile {
				t.Fatalf("not listening: %q", text)
			}
			return
		}
		rest, ok := strings.CutPrefix(text, "notify_file_id ")
		if !ok {
			t.Fatalf("missing prefix: %q", text)
		}
		var back []uint64
		if err := json.Unmarshal([]byte(rest), &back); err != nil {
			t.Fatalf("ids are not a JSON array: %q: %v", rest, err)
		}
		if len(back) != 3 || back[0] != a || back[1] != b || back[2] != c {
			t.Fatalf("round trip %v -> %q -> %v", ids, text, back)
		}
	})
}

func FuzzEncodeCustom(f *testing.F) {
	f.Add("my_type", []byte(`{"a": [1, 2]}`))
	f.Add("m", []byte(`null`))
	f.Add("", []byte(`"s"`))
	f.Fuzz(func(t *testing.T, message string, body []byte) {
		payload, err := json.Marshal(map[string]any{"user": "u", "message": message, "body": json.RawMessage(body)})
		if err != nil {
			return // body is not JSON: nothing to encode
		}
		ev, err := DecodeEvent(ChannelCustom, payload)
		if err != nil {
			// Only what upstream's serde_json refuses too.
			for _, refused := range []string{"out of range", "lone surrogate", "invalid UTF-8", "nested too deeply"} {
				if strings.Contains(err.Error(), refused) {
					return
				}
			}
			t.Fatalf("decode of a marshalled payload: %v", err)
		}
		c := ev.(Custom)
		text := EncodeCustom(c.Message, c.Body)
		if c.Body == "" {
			if text != c.Message {
				t.Fatalf("no body but text %q", text)
			}
			return
		}
		got := strings.TrimPrefix(text, c.Message+" ")
		if !json.Valid([]byte(got)) {
			t.Fatalf("body %q is not valid JSON", got)
		}
		if strings.ContainsAny(got, "\n\t") {
			t.Fatalf("body %q is not compact", got)
		}
		// Re-written, the body says the same.
		var in, out any
		if json.Unmarshal(body, &in) == nil && json.Unmarshal([]byte(got), &out) == nil && !reflect.DeepEqual(in, out) {
			t.Fatalf("body %q re-written as %q, which reads differently", body, got)
		}
	})
}

func TestMergeFileTexts(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"notify_file_id [1,2]", "notify_file_id [2,3]", "notify_file_id [1,2,3]"},
		{"notify_file_id [5]", "notify_file_id [5]", "notify_file_id [5]"},
		{"notify_file", "notify_file_id [1]", "notify_file"},
		{"notify_file_id [1]", "notify_file", "notify_file"},
		{"notify_file", "notify_file", "notify_file"},
		{"notify_file_id []", "notify_file_id [1]", "notify_file"},
		{"notify_file_id [x]", "notify_file_id [1]", "notify_file"},
		{"notify_file_id [18446744073709551615]", "notify_file_id [0]", "notify_file_id [18446744073709551615,0]"},
	}
	for _, tt := range tests {
		if got := MergeFileTexts(tt.a, tt.b); got != tt.want {
			t.Errorf("MergeFileTexts(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
	many := make([]FileID, MaxPendingFileIDs)
	for i := range many {
		many[i] = FileID(i)
	}
	if got := MergeFileTexts(EncodeFile(many, false, true), "notify_file_id [99999]"); got != TextNotifyFile {
		t.Errorf("over the bound: got %.40q…, want notify_file", got)
	}
}
