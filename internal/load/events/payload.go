package events

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/notifypush/notify_push/internal/load/report"
)

// The custom message types the tool publishes. The load run's body carries
// the publish time, loadgen {"t":<Unix µs>}, for the latency; the soak's
// carries the event's id, soak {"e":<id>}, for the accounting.
const (
	CustomMessage = "loadgen"
	SoakMessage   = "soak"
)

// FileIDPrefix opens the frame that lists changed file ids.
const FileIDPrefix = "notify_file_id ["

// AppendStorageUpdate writes a notify_storage_update payload with fileID
// as the file id: the publish time (load run) or the event's id (soak), so
// that the receiver can tell which it is.
func AppendStorageUpdate(b []byte, storage int, path string, fileID int64) []byte {
	b = append(b, `{"storage":`...)
	b = strconv.AppendInt(b, int64(storage), 10)
	b = append(b, `,"path":"`...)
	b = append(b, path...)
	b = append(b, `","file_id":`...)
	b = strconv.AppendInt(b, fileID, 10)
	return append(b, '}')
}

// AppendUserEvent writes the payload of an activity or notification for user.
func AppendUserEvent(b []byte, user int) []byte {
	b = append(b, `{"user":"user`...)
	b = strconv.AppendInt(b, int64(user), 10)
	return append(b, `"}`...)
}

// AppendCustom writes a notify_custom payload to user of type message
// whose body is {"<key>":<value>}.
func AppendCustom(b []byte, user int, message, key string, value int64) []byte {
	b = append(b, `{"user":"user`...)
	b = strconv.AppendInt(b, int64(user), 10)
	b = append(b, `","message":"`...)
	b = append(b, message...)
	b = append(b, `","body":{"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	b = strconv.AppendInt(b, value, 10)
	return append(b, `}}`...)
}

// PreAuthToken is the 32-character token of user under prefix (16 characters).
func PreAuthToken(prefix string, user int) string {
	return fmt.Sprintf("%s%016d", prefix, user)
}

// PublishTime reads the time out of a load run's custom body {"t":<µs>}.
func PublishTime(body []byte) (int64, error) {
	rest, ok := bytes.CutPrefix(body, []byte(`{"t":`))
	if !ok || !bytes.HasSuffix(rest, []byte("}")) {
		return 0, fmt.Errorf("body %q carries no publish time", report.Truncate(string(body), 40))
	}
	return ParseInt(rest[:len(rest)-1])
}

// SoakEventID reads the id out of a soak's custom body {"e":<id>}.
func SoakEventID(body string) (int64, error) {
	rest, ok := strings.CutPrefix(body, `{"e":`)
	if !ok || !strings.HasSuffix(rest, "}") {
		return 0, fmt.Errorf("body %q carries no event id", report.Truncate(body, 40))
	}
	return strconv.ParseInt(rest[:len(rest)-1], 10, 64)
}

// ParseInt reads a decimal integer, optionally negative, without the string
// strconv would need.
func ParseInt(b []byte) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, fmt.Errorf("%q is not a file id", report.Truncate(string(b), 40))
	}
	var v int64
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, fmt.Errorf("%q is not a file id", report.Truncate(string(b), 40))
		}
		v = v*10 + int64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}
