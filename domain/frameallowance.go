package domain

// DefaultClientFrameRate is how many frames a second a logged-in client may
// send on average. Real clients send one "listen notify_file_id" and a pong
// per ping (one every 30 s), so this is far above any of them.
const DefaultClientFrameRate = 10

// ClientFrameBurstSeconds: a client may send ten seconds' worth of its rate
// at once.
const ClientFrameBurstSeconds = 10

// FrameAllowance is what a logged-in client may still send: a token bucket
// of burst frames refilled at rate frames a second. It is charged once per
// read of the client's socket rather than per frame, so that a busy client
// costs one look at the clock per wake-up. The zero value is full.
type FrameAllowance struct {
	spent float32 // frames charged beyond what the refill has paid back
	last  int64   // unix nanos of the last charge; 0 = never charged
}

// Charge takes n frames at now (unix nanos) and reports whether the client
// stays within rate frames a second and bursts of ClientFrameBurstSeconds
// of it.
func (a *FrameAllowance) Charge(n int, now int64, rate float64) bool {
	if a.last != 0 && now > a.last {
		a.spent -= float32(float64(now-a.last) / 1e9 * rate)
		if a.spent < 0 {
			a.spent = 0
		}
	}
	if now > a.last {
		a.last = now
	}
	a.spent += float32(n)
	return float64(a.spent) <= rate*ClientFrameBurstSeconds
}
