package domain

import (
	"strconv"
	"strings"
)

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

// MergeFileTexts merges two file messages bound for one client into one, as a
// debounce slot would: ids are unioned in order, and "ids unknown"
// (notify_file) wins. Used when a client falls behind and file messages queue.
func MergeFileTexts(a, b string) string {
	ida, oka := parseFileIDs(a)
	idb, okb := parseFileIDs(b)
	if !oka || !okb || len(ida)+len(idb) > MaxPendingFileIDs {
		return TextNotifyFile
	}
	seen := make(map[FileID]struct{}, len(ida)+len(idb))
	ids := make([]FileID, 0, len(ida)+len(idb))
	for _, list := range [2][]FileID{ida, idb} {
		for _, id := range list {
			if _, dup := seen[id]; !dup {
				seen[id] = struct{}{}
				ids = append(ids, id)
			}
		}
	}
	return EncodeFile(ids, false, true)
}

// parseFileIDs reads the ids of a "notify_file_id [1,2]" text; false for any
// other text, notify_file included.
func parseFileIDs(text string) ([]FileID, bool) {
	const prefix = "notify_file_id ["
	if len(text) <= len(prefix) || text[:len(prefix)] != prefix || text[len(text)-1] != ']' {
		return nil, false
	}
	var ids []FileID
	for _, part := range strings.Split(text[len(prefix):len(text)-1], ",") {
		id, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			return nil, false
		}
		ids = append(ids, FileID(id))
	}
	return ids, true
}
