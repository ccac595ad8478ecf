package events

import (
	"fmt"
	"strconv"
	"strings"
)

// EventKind is one kind of event the throughput phase publishes.
type EventKind string

const (
	// KindCustom is notify_custom to one user, carrying its publish time.
	KindCustom EventKind = "custom"
	// KindActivity and KindNotification go to one user and carry nothing.
	KindActivity     EventKind = "activity"
	KindNotification EventKind = "notification"
	// KindHome is notify_storage_update on one user's home storage.
	KindHome EventKind = "home"
	// KindShared is notify_storage_update on the storage every fan-out user
	// mounts: one event, many deliveries.
	KindShared EventKind = "shared"
)

var eventKinds = []EventKind{KindCustom, KindActivity, KindNotification, KindHome, KindShared}

// Mix is the share of each kind of event, as weights.
type Mix []MixPart

// MixPart is one kind's weight.
type MixPart struct {
	Kind   EventKind `json:"kind"`
	Weight int       `json:"weight"`
}

// ParseMix reads "custom=50,activity=25,notification=25".
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[EventKind]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, ok := strings.Cut(part, "=")
		kind := EventKind(strings.TrimSpace(name))
		w, err := strconv.Atoi(strings.TrimSpace(weight))
		switch {
		case !ok || err != nil || w < 0:
			return nil, fmt.Errorf("mix part %q: want kind=weight with a whole weight ≥ 0", part)
		case !validKind(kind):
			return nil, fmt.Errorf("mix part %q: unknown kind %q (want one of %s)", part, kind, kindList())
		case seen[kind]:
			return nil, fmt.Errorf("mix names %s twice", kind)
		}
		seen[kind] = true
		if w > 0 {
			m = append(m, MixPart{Kind: kind, Weight: w})
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("mix %q has no kind with a weight above 0 (kinds: %s)", s, kindList())
	}
	return m, nil
}

func validKind(k EventKind) bool {
	for _, v := range eventKinds {
		if v == k {
			return true
		}
	}
	return false
}

func kindList() string {
	names := make([]string, len(eventKinds))
	for i, k := range eventKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func (m Mix) String() string {
	parts := make([]string, len(m))
	for i, p := range m {
		parts[i] = fmt.Sprintf("%s=%d", p.Kind, p.Weight)
	}
	return strings.Join(parts, ",")
}

// Pattern is one cycle of kinds with each kind's share of the weights,
// interleaved as evenly as possible (smooth weighted round robin), so that
// any stretch of events has about the mix's proportions.
func (m Mix) Pattern() []EventKind {
	g := 0
	for _, p := range m {
		g = gcd(g, p.Weight)
	}
	total := 0
	for _, p := range m {
		total += p.Weight / g
	}
	current := make([]int, len(m))
	out := make([]EventKind, 0, total)
	for range total {
		best := 0
		for i, p := range m {
			current[i] += p.Weight / g
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		out = append(out, m[best].Kind)
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
