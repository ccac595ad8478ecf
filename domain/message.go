package domain

import "strconv"

// MessageKind is the kind of a message to a client; file, activity and
// notification messages are debounced, custom ones are not.
type MessageKind uint8

const (
	KindFile MessageKind = iota
	KindActivity
	KindNotification
	KindCustom
)

func (k MessageKind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindActivity:
		return "activity"
	case KindNotification:
		return "notification"
	case KindCustom:
		return "custom"
	default:
		return "unknown"
	}
}

// The fixed texts of PROTOCOL §3 and §4.
const (
	TextAuthenticated         = "authenticated"
	TextAuthenticationTimeout = "Authentication timeout"
	TextNotifyFile            = "notify_file"
	TextNotifyActivity        = "notify_activity"
	TextNotifyNotification    = "notify_notification"
	TextListenFileID          = "listen notify_file_id"
	ErrPrefix                 = "err: "
)

// EncodeFile is the text of a file message: "notify_file_id [1,2]" when the
// ids are known and the client opted in with "listen notify_file_id", else
// "notify_file".
func EncodeFile(ids []FileID, unknown, listen bool) string {
	if unknown || !listen || len(ids) == 0 {
		return TextNotifyFile
	}
	b := make([]byte, 0, len("notify_file_id [")+len(ids)*8+1)
	b = append(b, "notify_file_id ["...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(id), 10)
	}
	b = append(b, ']')
	return string(b)
}

// EncodeCustom is the text of a custom message: the message, then a space and
// the compact JSON body when there is one.
func EncodeCustom(message, compactBody string) string {
	if compactBody == "" {
		return message
	}
	return message + " " + compactBody
}
