package soak

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/notifypush/notify_push/internal/load/report"
)

// ServerLog sums up the server's log: warnings and errors by message.
type ServerLog struct {
	Warnings int            `json:"warnings"`
	Errors   int            `json:"errors"`
	Messages map[string]int `json:"messages,omitempty"`
	// Panics counts lines of a Go panic or fatal error.
	Panics int `json:"panics"`
}

var logMessage = regexp.MustCompile(`msg=("(?:[^"\\]|\\.)*"|\S+)`)

func readServerLog(path string) ServerLog {
	var l ServerLog
	b, err := os.ReadFile(path)
	if err != nil {
		return l
	}
	return parseServerLog(string(b))
}

func parseServerLog(text string) ServerLog {
	l := ServerLog{Messages: map[string]int{}}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:"):
			l.Panics++
		case strings.Contains(line, "level=WARN"):
			l.Warnings++
		case strings.Contains(line, "level=ERROR"):
			l.Errors++
		default:
			continue
		}
		if m := logMessage.FindStringSubmatch(line); m != nil {
			msg := m[1]
			if uq, err := strconv.Unquote(msg); err == nil {
				msg = uq
			}
			l.Messages[msg]++
		} else {
			l.Messages[report.Truncate(line, 80)]++
		}
	}
	if len(l.Messages) == 0 {
		l.Messages = nil
	}
	return l
}

// topMessages lists the n most frequent messages, most frequent first.
func (l ServerLog) topMessages(n int) []string {
	type mc struct {
		msg string
		n   int
	}
	var all []mc
	for m, c := range l.Messages {
		all = append(all, mc{m, c})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || (all[i].n == all[j].n && all[i].msg < all[j].msg) })
	var out []string
	for i, m := range all {
		if i == n {
			break
		}
		out = append(out, fmt.Sprintf("%d× %s", m.n, m.msg))
	}
	return out
}
