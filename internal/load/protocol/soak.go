package protocol

import (
	"time"
)

// SoakSlot is one client connection a worker keeps up.
type SoakSlot struct {
	Slot int `json:"slot"`
	User int `json:"user"`
	// Listen sends "listen notify_file_id" after each login.
	Listen bool `json:"listen"`
	// Churn closes the connection after a while and logs in again, in turn
	// by password and by pre-auth token.
	Churn bool `json:"churn"`
}

// SoakSpec starts a soak in a worker.
type SoakSpec struct {
	URL string `json:"url"`
	// RedisAddr is where the worker publishes its pre-auth tokens.
	RedisAddr string     `json:"redis_addr"`
	Sources   []string   `json:"sources"`
	Slots     []SoakSlot `json:"slots"`
	// Concurrency bounds the first logins in flight at once.
	Concurrency int `json:"concurrency"`
	// A churning session lasts HoldMinMS to HoldMaxMS, then the slot pauses
	// up to PauseMaxMS before its next login.
	HoldMinMS  int `json:"hold_min_ms"`
	HoldMaxMS  int `json:"hold_max_ms"`
	PauseMaxMS int `json:"pause_max_ms"`
	// TimeoutMS bounds one login.
	TimeoutMS int `json:"timeout_ms"`
	// PreAuthDelayMS is the wait between a token's PUBLISH and the login
	// that uses it, for the server to have read it.
	PreAuthDelayMS int    `json:"pre_auth_delay_ms"`
	Seed           uint64 `json:"seed"`
}

// What a session received, by kind (the first of each receipt triple).
const (
	ReceiptCustom       = iota // soak {"e":id}
	ReceiptFileID              // one id of notify_file_id [...]
	ReceiptFile                // notify_file
	ReceiptActivity            // notify_activity
	ReceiptNotification        // notify_notification
)

// SoakSession is one login that succeeded and what came of it. Times are
// Unix microseconds on this machine's clock, which every process shares.
type SoakSession struct {
	Slot    int  `json:"slot"`
	User    int  `json:"user"`
	Listen  bool `json:"listen"`
	Churn   bool `json:"churn"`
	PreAuth bool `json:"pre_auth"`
	// Auth is when "authenticated" (and the listen command) was through.
	Auth int64 `json:"auth"`
	// End is when the client began closing it, or when it dropped.
	End     int64  `json:"end"`
	Dropped bool   `json:"dropped,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Close   string `json:"close,omitempty"`
	// Receipts are triples: kind (rc…), event id (-1: the frame carries
	// none), time received.
	Receipts []int64 `json:"r,omitempty"`
}

// SoakStatus counts what a worker's soak did so far.
type SoakStatus struct {
	// FirstOK and FirstFailed are the slots whose first login succeeded or
	// failed (set in the reply to OpSoakStart).
	FirstOK     int `json:"first_ok"`
	FirstFailed int `json:"first_failed"`
	Open        int `json:"open"`
	// Sessions counts logins that succeeded, by password and by token.
	Sessions       int `json:"sessions"`
	PasswordLogins int `json:"password_logins"`
	PreAuthLogins  int `json:"pre_auth_logins"`
	// TokenFallbacks are pre-auth turns that logged in by password because
	// the token could not be published (Redis down, or nobody subscribed).
	TokenFallbacks int `json:"token_fallbacks"`
	// TokenRetries are pre-auth logins refused although Redis had passed
	// the token on, and accepted with the same token tokenRetryAfter later:
	// the login overtook the token on its way through the server's event
	// stream. A token refused twice is a login failure.
	TokenRetries  int            `json:"token_retries"`
	LoginFailures map[string]int `json:"login_failures,omitempty"`
	Drops         int            `json:"drops"`
	DropReasons   map[string]int `json:"drop_reasons,omitempty"`
	Receipts      uint64         `json:"receipts"`
	// Other counts frames the soak does not know; OtherSample shows one.
	Other       uint64 `json:"other"`
	OtherSample string `json:"other_sample,omitempty"`
	Pings       uint64 `json:"pings"`
}

// Merge sums o into s.
func (s *SoakStatus) Merge(o SoakStatus) {
	s.FirstOK += o.FirstOK
	s.FirstFailed += o.FirstFailed
	s.Open += o.Open
	s.Sessions += o.Sessions
	s.PasswordLogins += o.PasswordLogins
	s.PreAuthLogins += o.PreAuthLogins
	s.TokenFallbacks += o.TokenFallbacks
	s.TokenRetries += o.TokenRetries
	s.LoginFailures = MergeCounts(s.LoginFailures, o.LoginFailures)
	s.Drops += o.Drops
	s.DropReasons = MergeCounts(s.DropReasons, o.DropReasons)
	s.Receipts += o.Receipts
	s.Other += o.Other
	if s.OtherSample == "" {
		s.OtherSample = o.OtherSample
	}
	s.Pings += o.Pings
}

// MergeCounts adds b's counts to a, making a when it is nil, and returns a.
func MergeCounts(a, b map[string]int) map[string]int {
	for k, v := range b {
		if a == nil {
			a = map[string]int{}
		}
		a[k] += v
	}
	return a
}

// SoakLog is a worker's whole soak: its counts and every session.
type SoakLog struct {
	Status   SoakStatus    `json:"status"`
	Sessions []SoakSession `json:"sessions"`
}

// TokenRetryAfter is the wait before a refused pre-auth token is tried again.
const TokenRetryAfter = 500 * time.Millisecond
