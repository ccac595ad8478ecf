package events

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/notifypush/notify_push/internal/load/report"
)

// The phases that publish into Redis and count what the clients receive.

// AppendStorageUpdate writes a notify_storage_update payload whose file id
// is the publish time, so the receiver can tell the latency.
func AppendStorageUpdate(b []byte, storage int, path string, nowUS int64) []byte {
	b = append(b, `{"storage":`...)
	b = strconv.AppendInt(b, int64(storage), 10)
	b = append(b, `,"path":"`...)
	b = append(b, path...)
	b = append(b, `","file_id":`...)
	b = strconv.AppendInt(b, nowUS, 10)
	return append(b, '}')
}

// AppendUserEvent writes the payload of an activity or notification for user.
func AppendUserEvent(b []byte, user int) []byte {
	b = append(b, `{"user":"user`...)
	b = strconv.AppendInt(b, int64(user), 10)
	return append(b, `"}`...)
}

// The soak mode's side in a worker: slots of client connections, some held
// for the whole run, the others closed after a while and logged in again in
// a loop. Every session is recorded with when it was up and what it received
// when, for the orchestrator to account against the events it published.

// SoakMessage is the custom message type the soak publishes; its body
// carries the event's id: soak {"e":<id>}.
const SoakMessage = "soak"

// SoakEventID reads the id out of a custom body {"e":<id>}.
func SoakEventID(body string) (int64, error) {
	rest, ok := strings.CutPrefix(body, `{"e":`)
	if !ok || !strings.HasSuffix(rest, "}") {
		return 0, fmt.Errorf("body %q carries no event id", report.Truncate(body, 40))
	}
	return strconv.ParseInt(rest[:len(rest)-1], 10, 64)
}

// CustomMessage is the custom message type the load generator publishes; its
// body carries the publish time: loadgen {"t":<Unix µs>}.
const CustomMessage = "loadgen"

// FileIDPrefix opens the frame that lists changed file ids.
const FileIDPrefix = "notify_file_id ["

// PreAuthToken is the 32-character token of user under prefix (16 characters).
func PreAuthToken(prefix string, user int) string {
	return fmt.Sprintf("%s%016d", prefix, user)
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

// PublishTime reads the time out of a custom body {"t":<µs>}.
func PublishTime(body []byte) (int64, error) {
	rest, ok := bytes.CutPrefix(body, []byte(`{"t":`))
	if !ok || !bytes.HasSuffix(rest, []byte("}")) {
		return 0, fmt.Errorf("body %q carries no publish time", report.Truncate(string(body), 40))
	}
	return ParseInt(rest[:len(rest)-1])
}
