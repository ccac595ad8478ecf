package domain

import "strings"

// ClientKind is the family of client behind a connection, read from its
// User-Agent, for metrics: admins want to know what their desktop clients do
// apart from browser tabs and phones.
type ClientKind uint8

const (
	ClientOther ClientKind = iota
	ClientDesktop
	ClientWeb
	ClientAndroid
	ClientIOS
	clientKinds
)

// ClientKinds lists every kind, in the order metrics show them.
var ClientKinds = [clientKinds]ClientKind{ClientDesktop, ClientWeb, ClientAndroid, ClientIOS, ClientOther}

func (k ClientKind) String() string {
	switch k {
	case ClientDesktop:
		return "desktop"
	case ClientWeb:
		return "web"
	case ClientAndroid:
		return "android"
	case ClientIOS:
		return "ios"
	default:
		return "other"
	}
}

// ClientKindOf classifies a User-Agent. Nextcloud's own clients name
// themselves ("mirall" is the desktop client's historic name,
// "Nextcloud-android", "Nextcloud-iOS", the Talk apps); any other
// Mozilla-style agent is a browser running the web interface.
func ClientKindOf(userAgent string) ClientKind {
	ua := strings.ToLower(userAgent)
	switch {
	case ua == "":
		return ClientOther
	case strings.Contains(ua, "mirall") || strings.Contains(ua, "nextcloud-desktop") || strings.Contains(ua, "nextcloudcmd"):
		return ClientDesktop
	case strings.Contains(ua, "nextcloud-android") || strings.Contains(ua, "nextcloud-talk") && strings.Contains(ua, "android"):
		return ClientAndroid
	case strings.Contains(ua, "nextcloud-ios") || strings.Contains(ua, "nextcloud-talk") && strings.Contains(ua, "ios"):
		return ClientIOS
	case strings.HasPrefix(ua, "mozilla/") && !strings.Contains(ua, "nextcloud"):
		return ClientWeb
	default:
		return ClientOther
	}
}
