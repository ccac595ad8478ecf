package domain

import (
	"testing"
	"time"
)

func TestPreAuthTokens(t *testing.T) {
	tests := []struct {
		name    string
		after   time.Duration
		want    UserID
		wantOK  bool
		reuseOK bool
	}{
		{"fresh token", 0, "alice", true, false},
		{"just before expiry", PreAuthLifetime - time.Millisecond, "alice", true, false},
		{"expired at 15 s", PreAuthLifetime, "", false, false},
		{"long expired", time.Hour, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPreAuthTokens()
			p.Add("tok", "alice", t0)
			user, ok := p.Take("tok", t0.Add(tt.after))
			if user != tt.want || ok != tt.wantOK {
				t.Fatalf("Take = %q, %v; want %q, %v", user, ok, tt.want, tt.wantOK)
			}
			if _, ok := p.Take("tok", t0.Add(tt.after)); ok {
				t.Fatal("a token must work only once")
			}
		})
	}
}

func TestPreAuthTokensUnknownAndEmpty(t *testing.T) {
	p := NewPreAuthTokens()
	p.Add("", "alice", t0)
	if p.Len() != 0 {
		t.Fatal("empty token stored")
	}
	if _, ok := p.Take("", t0); ok {
		t.Fatal("empty token accepted")
	}
	if _, ok := p.Take("nope", t0); ok {
		t.Fatal("unknown token accepted")
	}
}

func TestPreAuthTokensPurge(t *testing.T) {
	p := NewPreAuthTokens()
	for i := range 100 {
		p.Add(string(rune('a'+i%26))+string(rune('A'+i/26)), "u", t0.Add(time.Duration(i)*time.Second))
	}
	// Each Add purges: at 99 s only the tokens of 85..99 s are alive.
	if p.Len() != 15 {
		t.Fatalf("after adds %d tokens, want 15", p.Len())
	}
	p.Purge(t0.Add(105 * time.Second)) // alive: 91..99 s
	if p.Len() != 9 {
		t.Fatalf("after purge %d tokens, want 9", p.Len())
	}
	// Re-adding a token keeps the newer entry when the old one expires.
	q := NewPreAuthTokens()
	q.Add("x", "old", t0)
	q.Add("x", "new", t0.Add(10*time.Second))
	q.Purge(t0.Add(16 * time.Second))
	if u, ok := q.Take("x", t0.Add(16*time.Second)); !ok || u != "new" {
		t.Fatalf("re-added token: %q %v", u, ok)
	}
}
