package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// The Redis channels the Nextcloud app publishes on (PROTOCOL §2).
const (
	ChannelStorageUpdate         = "notify_storage_update"
	ChannelGroupMembershipUpdate = "notify_group_membership_update"
	ChannelUserShareCreated      = "notify_user_share_created"
	ChannelActivity              = "notify_activity"
	ChannelNotification          = "notify_notification"
	ChannelCustom                = "notify_custom"
	ChannelPreAuth               = "notify_pre_auth"
	ChannelTestCookie            = "notify_test_cookie"
	ChannelQuery                 = "notify_query"
	ChannelSignal                = "notify_signal"
	ChannelConfig                = "notify_config"
)

// Channels lists every channel the server subscribes to.
var Channels = []string{
	ChannelStorageUpdate, ChannelGroupMembershipUpdate, ChannelUserShareCreated,
	ChannelActivity, ChannelNotification, ChannelCustom, ChannelPreAuth,
	ChannelTestCookie, ChannelQuery, ChannelSignal, ChannelConfig,
}

// ErrUnknownChannel is returned by DecodeEvent for a channel outside §2.
var ErrUnknownChannel = errors.New("unknown channel")

// Event is one decoded message from the app. The concrete types below are the
// only implementations.
type Event interface {
	Channel() string
}

// StorageUpdate: a file changed at Path on Storage.
type StorageUpdate struct {
	Storage StorageID
	Path    string
	FileID  FileID
}

// GroupMembershipUpdate: User joined or left Group; their visible files changed.
type GroupMembershipUpdate struct {
	User  UserID
	Group string
}

// UserShareCreated: something was shared with User.
type UserShareCreated struct {
	User UserID
}

// Activity: a new activity item for User.
type Activity struct {
	User UserID
}

// Notification: a notification of User was created, processed or dismissed.
type Notification struct {
	User UserID
}

// Custom: an app-defined message for User. Body is the JSON as upstream
// re-writes it (EncodeCustomBody), or empty when the payload had no body or
// a null one.
type Custom struct {
	User    UserID
	Message string
	Body    string
}

// PreAuth: Token may be used once, within PreAuthLifetime, to log in as User.
type PreAuth struct {
	User  UserID
	Token string
}

// TestCookie: the value the self-test expects from GET /test/cookie.
type TestCookie struct {
	Cookie uint32
}

// Query asks the server for data; "metrics" is the only query.
type Query struct {
	Query string
}

// Signal is a server-wide command; "reset" is the only signal.
type Signal struct {
	Signal string
}

// ConfigChange changes the log level at run time (LogSpec) or restores the
// configured one (Restore).
type ConfigChange struct {
	LogSpec string
	Restore bool
}

func (StorageUpdate) Channel() string         { return ChannelStorageUpdate }
func (GroupMembershipUpdate) Channel() string { return ChannelGroupMembershipUpdate }
func (UserShareCreated) Channel() string      { return ChannelUserShareCreated }
func (Activity) Channel() string              { return ChannelActivity }
func (Notification) Channel() string          { return ChannelNotification }
func (Custom) Channel() string                { return ChannelCustom }
func (PreAuth) Channel() string               { return ChannelPreAuth }
func (TestCookie) Channel() string            { return ChannelTestCookie }
func (Query) Channel() string                 { return ChannelQuery }
func (Signal) Channel() string                { return ChannelSignal }
func (ConfigChange) Channel() string          { return ChannelConfig }

const (
	QueryMetrics = "metrics"
	SignalReset  = "reset"
	configReset  = "log_restore"
)

// DecodeEvent turns one payload published on channel into an Event. Errors
// describe what was wrong with the payload; they never carry the payload itself.
func DecodeEvent(channel string, payload []byte) (Event, error) {
	switch channel {
	case ChannelStorageUpdate:
		var p struct {
			Storage *StorageID `json:"storage"`
			Path    *string    `json:"path"`
			FileID  *FileID    `json:"file_id"`
		}
		if err := decode(payload, &p); err != nil {
			return nil, err
		}
		if p.Storage == nil || p.Path == nil || p.FileID == nil {
			return nil, errors.New(`expected {"storage": <u32>, "path": <string>, "file_id": <u64>}`)
		}
		return StorageUpdate{Storage: *p.Storage, Path: *p.Path, FileID: *p.FileID}, nil
	case ChannelGroupMembershipUpdate:
		var p struct {
			User  *string `json:"user"`
			Group string  `json:"group"`
		}
		if err := decode(payload, &p); err != nil {
			return nil, err
		}
		if p.User == nil {
			return nil, errors.New(`expected {"user": <string>, "group": <string>}`)
		}
		return GroupMembershipUpdate{User: UserID(*p.User), Group: p.Group}, nil
	case ChannelUserShareCreated, ChannelActivity, ChannelNotification:
		user, err := decodeUser(payload)
		if err != nil {
			return nil, err
		}
		switch channel {
		case ChannelUserShareCreated:
			return UserShareCreated{User: user}, nil
		case ChannelActivity:
			return Activity{User: user}, nil
		default:
			return Notification{User: user}, nil
		}
	case ChannelCustom:
		var p struct {
			User    *string         `json:"user"`
			Message *string         `json:"message"`
			Body    json.RawMessage `json:"body"`
		}
		if err := decode(payload, &p); err != nil {
			return nil, err
		}
		if p.User == nil || p.Message == nil {
			return nil, errors.New(`expected {"user": <string>, "message": <string>, "body": <any>}`)
		}
		ev := Custom{User: UserID(*p.User), Message: *p.Message}
		if len(p.Body) > 0 && !bytes.Equal(p.Body, []byte("null")) {
			body, err := EncodeCustomBody(p.Body)
			if err != nil {
				return nil, err
			}
			ev.Body = body
		}
		return ev, nil
	case ChannelPreAuth:
		var p struct {
			User  *string `json:"user"`
			Token *string `json:"token"`
		}
		if err := decode(payload, &p); err != nil {
			return nil, err
		}
		if p.User == nil || p.Token == nil || *p.Token == "" {
			return nil, errors.New(`expected {"user": <string>, "token": <non-empty string>}`)
		}
		return PreAuth{User: UserID(*p.User), Token: *p.Token}, nil
	case ChannelTestCookie:
		var c uint32
		if err := decode(payload, &c); err != nil {
			return nil, err
		}
		return TestCookie{Cookie: c}, nil
	case ChannelQuery:
		var q string
		if err := decode(payload, &q); err != nil {
			return nil, err
		}
		if q != QueryMetrics {
			return nil, fmt.Errorf("unknown query (want %q)", QueryMetrics)
		}
		return Query{Query: q}, nil
	case ChannelSignal:
		var s string
		if err := decode(payload, &s); err != nil {
			return nil, err
		}
		if s != SignalReset {
			return nil, fmt.Errorf("unknown signal (want %q)", SignalReset)
		}
		return Signal{Signal: s}, nil
	case ChannelConfig:
		trimmed := bytes.TrimSpace(payload)
		if len(trimmed) > 0 && trimmed[0] == '"' {
			var s string
			if err := decode(payload, &s); err != nil {
				return nil, err
			}
			if s != configReset {
				return nil, fmt.Errorf("unknown config command (want %q or {\"log_spec\": ...})", configReset)
			}
			return ConfigChange{Restore: true}, nil
		}
		var p struct {
			LogSpec *string `json:"log_spec"`
		}
		if err := decode(payload, &p); err != nil {
			return nil, err
		}
		if p.LogSpec == nil {
			return nil, errors.New(`expected {"log_spec": <string>} or "log_restore"`)
		}
		return ConfigChange{LogSpec: *p.LogSpec}, nil
	default:
		return nil, ErrUnknownChannel
	}
}

func decodeUser(payload []byte) (UserID, error) {
	var p struct {
		User *string `json:"user"`
	}
	if err := decode(payload, &p); err != nil {
		return "", err
	}
	if p.User == nil {
		return "", errors.New(`expected {"user": <string>}`)
	}
	return UserID(*p.User), nil
}

// decode unmarshals one JSON value, with errors that do not quote the input.
func decode(payload []byte, v any) error {
	if len(bytes.TrimSpace(payload)) == 0 {
		return errors.New("empty payload")
	}
	if err := json.Unmarshal(payload, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if typeErr.Field != "" {
				return fmt.Errorf("field %q: cannot use JSON %s as %s", typeErr.Field, typeErr.Value, typeErr.Type)
			}
			return fmt.Errorf("cannot use JSON %s as %s", typeErr.Value, typeErr.Type)
		}
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}
