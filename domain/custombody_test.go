package domain

import (
	"strings"
	"testing"
)

// TestEncodeCustomBodyAsUpstream is issue 18 item 14: upstream re-writes a
// custom message's body through serde_json's Value; clients receive these
// bytes from it.
func TestEncodeCustomBodyAsUpstream(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b": 1, "a": [1, 2], "c": {"z": null, "y": true}}`, `{"a":[1,2],"b":1,"c":{"y":true,"z":null}}`},
		{`{"a": 1, "a": 2}`, `{"a":2}`},
		{`{"B": 1, "a": 2, "é": 3, "_": 4}`, `{"B":1,"_":4,"a":2,"é":3}`},
		{`"http:\/\/example.com\/x"`, `"http://example.com/x"`},
		{`"\u00e9\u4e2d\ud83d\ude00"`, `"é中😀"`},
		{`"<&>\u2028"`, "\"<&>\u2028\""},
		{`"tab\there\u0001\u001f\u007f"`, "\"tab\\there\\u0001\\u001f\u007f\""},
		{`"quote \" backslash \\ \b\f\n\r"`, `"quote \" backslash \\ \b\f\n\r"`},
		{`[0, -0, 1.0, 2.50, 1e3, 1E+2, -1.5e-7, 0.1, 0.000001, 123456789012345678901234567890]`,
			`[0,-0.0,1.0,2.5,1000.0,100.0,-1.5e-7,0.1,1e-6,1.2345678901234568e29]`},
		{`[18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809]`,
			`[18446744073709551615,1.8446744073709552e19,-9223372036854775808,-9.223372036854776e18]`},
		{`[1e15, 1e16, 1234567890123456.7, 1e-400]`, `[1000000000000000.0,1e16,1234567890123456.8,0.0]`},
		{` { } `, `{}`},
		{`[ ]`, `[]`},
		{strings.Repeat("[", 127) + strings.Repeat("]", 127), strings.Repeat("[", 127) + strings.Repeat("]", 127)},
	}
	for _, tt := range tests {
		got, err := EncodeCustomBody([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("EncodeCustomBody(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// TestEncodeCustomBodyRefusesWhatSerdeRefuses: upstream drops such an event.
func TestEncodeCustomBodyRefusesWhatSerdeRefuses(t *testing.T) {
	for _, in := range []string{
		`1e400`, `[-1e400]`,
		`"\ud800"`, `"\udc00x"`, `"\ud800\u0041"`,
		"\"\xff\"",
		strings.Repeat("[", 128) + strings.Repeat("]", 128),
		`{"a" 1}`, `[1,]`, `01`, `1.`, `-`, `tru`, `"\x"`, `{"a":1} x`,
	} {
		if got, err := EncodeCustomBody([]byte(in)); err == nil {
			t.Errorf("EncodeCustomBody(%q) = %q, want an error", in, got)
		}
	}
}

func TestDecodeCustomEventRewritesTheBody(t *testing.T) {
	ev, err := DecodeEvent(ChannelCustom, []byte(`{"user":"alice","message":"m","body":{"z":"\/","a":1.50}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := EncodeCustom(ev.(Custom).Message, ev.(Custom).Body); got != `m {"a":1.5,"z":"/"}` {
		t.Fatalf("sent %q", got)
	}
	if _, err := DecodeEvent(ChannelCustom, []byte(`{"user":"alice","message":"m","body":[1e999]}`)); err == nil {
		t.Fatal("a body serde_json refuses decoded")
	}
}
