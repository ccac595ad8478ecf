package domain

import "strconv"

// MalformedEvent is a payload on one of Channels that did not decode. It is
// handed on rather than dropped where it arrives, so that it counts as
// received, as upstream counts every message in event_count_total.
type MalformedEvent struct {
	On  string
	Err error
}

func (e MalformedEvent) Channel() string { return e.On }

// DescribeEvent is ev in the words upstream logs it with ("Received ..."
// at debug, target notify_push::receive), so that a bug report reads the
// same from either server. No token, body or secret is part of it.
func DescribeEvent(ev Event) string {
	switch e := ev.(type) {
	case StorageUpdate:
		return "storage update notification for storage " + strconv.FormatUint(uint64(e.Storage), 10) + " and path " + e.Path
	case GroupMembershipUpdate:
		return "group update notification for user " + string(e.User)
	case UserShareCreated:
		return "share create notification for user " + string(e.User)
	case TestCookie:
		return "test cookie " + strconv.FormatUint(uint64(e.Cookie), 10)
	case Activity:
		return "activity notification for user " + string(e.User)
	case Notification:
		return "notification notification for user " + string(e.User)
	case PreAuth:
		return "pre_auth user " + string(e.User)
	case Custom:
		return "custom notification " + e.Message + " for user " + string(e.User)
	case ConfigChange:
		return "config update"
	case Query:
		return e.Query + " query"
	case Signal:
		return e.Signal + " signal"
	case MalformedEvent:
		return "malformed payload on " + e.On
	}
	return "event on " + ev.Channel()
}

// MessageName is o as upstream's logs name it ("Sending ... to <user>"):
// notify_file whether or not ids follow, notify_activity,
// notify_notification, or a custom message's type without its body.
func MessageName(o Outgoing) string {
	switch o.Kind {
	case KindFile:
		return TextNotifyFile
	case KindActivity:
		return TextNotifyActivity
	case KindNotification:
		return TextNotifyNotification
	}
	for i := 0; i < len(o.Text); i++ {
		if o.Text[i] == ' ' {
			return o.Text[:i]
		}
	}
	return o.Text
}
