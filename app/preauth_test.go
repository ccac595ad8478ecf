package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
)

func TestPreAuthOnceWithinLifetime(t *testing.T) {
	p := NewPreAuth()
	p.Add("abcdefabcdefabcdefabcdefabcdef12", "alice", t0)
	p.Add("0123456789abcdef0123456789abcdef", "bob", t0)
	if _, ok := p.Take("abcdefabcdefabcdefabcdefabcdef1", t0); ok {
		t.Fatal("a prefix of a token accepted")
	}
	if u, ok := p.Take("abcdefabcdefabcdefabcdefabcdef12", t0.Add(domain.PreAuthLifetime-time.Millisecond)); !ok || u != "alice" {
		t.Fatalf("fresh token: %q %v", u, ok)
	}
	if _, ok := p.Take("abcdefabcdefabcdefabcdefabcdef12", t0.Add(time.Second)); ok {
		t.Fatal("a token worked twice")
	}
	if _, ok := p.Take("0123456789abcdef0123456789abcdef", t0.Add(domain.PreAuthLifetime)); ok {
		t.Fatal("a token worked at 15 s")
	}
	p.Add("", "carol", t0)
	if _, ok := p.Take("", t0); ok {
		t.Fatal("the empty token logged in")
	}
}

func TestPreAuthHoldsDigestsOnly(t *testing.T) {
	const token = "tok-0123456789-secret-abcdefghij"
	p, q := NewPreAuth(), NewPreAuth()
	p.Add(token, "alice", t0)
	held := fmt.Sprintf("%#v", p.tokens)
	if strings.Contains(held, token) || strings.Contains(held, "0123456789") {
		t.Fatalf("the store holds the token: %s", held)
	}
	if p.digest(token) == q.digest(token) {
		t.Fatal("two processes share the digest key")
	}
	if len(p.digest(token)) != 32 || p.digest(token) == p.digest(token+"x") {
		t.Fatal("the digest is not a SHA-256 HMAC of the token")
	}
	p.Purge(t0.Add(domain.PreAuthLifetime))
	if p.tokens.Len() != 0 {
		t.Fatal("expired token not purged")
	}
}
