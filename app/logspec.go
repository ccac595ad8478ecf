package app

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// LevelTrace is below debug, for upstream's "trace".
const LevelTrace = slog.LevelDebug - 4

// LevelOff is above every level: nothing is logged.
const LevelOff = slog.Level(1 << 30)

// LogSpec is a log specification in the syntax of upstream's LOG setting and
// notify_config (flexi_logger's, like env_logger's):
//
//	spec   = [part {"," part}] ["/" regex]
//	part   = level | module | module "=" level
//
// A lone level is the default for every target; a lone module is logged at
// every level; the longest module that is a string prefix of a target decides
// for it ("notify_push" covers "notify_push::send", and also
// "notify_push_x", as upstream); a target no part covers logs nothing. The
// regex keeps only lines whose message matches it. The zero LogSpec logs
// nothing, as an empty spec does.
type LogSpec struct {
	// filters are longest module first; those without a module last, in
	// the order given (the first wins, as in flexi_logger).
	filters []moduleFilter
	text    *regexp.Regexp
	source  string
}

type moduleFilter struct {
	module string
	level  slog.Level
}

// ParseLogSpec reads a spec. Like flexi_logger it refuses the whole spec when
// any part is wrong (an unknown level, a module with a space, a=b=c, a
// second "/", a bad regex), naming every problem.
func ParseLogSpec(spec string) (LogSpec, error) {
	s := LogSpec{source: spec}
	var problems []string
	mods, filter, hasFilter := strings.Cut(spec, "/")
	if hasFilter && strings.Contains(filter, "/") {
		return LogSpec{}, fmt.Errorf("invalid log spec %q (too many '/'s)", spec)
	}
	var named, defaults []moduleFilter
	for _, part := range strings.Split(mods, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		pieces := strings.Split(part, "=")
		if len(pieces) > 2 {
			problems = append(problems, fmt.Sprintf("invalid part %q", part))
			continue
		}
		module := strings.TrimSpace(pieces[0])
		if strings.ContainsFunc(module, unicode.IsSpace) {
			problems = append(problems, fmt.Sprintf("invalid part %q (the module contains a whitespace)", module))
			continue
		}
		if len(pieces) == 1 {
			if lvl, ok := levelNamed(module); ok {
				defaults = append(defaults, moduleFilter{level: lvl})
			} else {
				named = append(named, moduleFilter{module: module, level: LevelTrace})
			}
			continue
		}
		name := strings.TrimSpace(pieces[1])
		if name == "" {
			named = append(named, moduleFilter{module: module, level: LevelTrace})
			continue
		}
		lvl, ok := levelNamed(name)
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown level %q (want off, error, warn, info, debug or trace)", name))
			continue
		}
		if module == "" {
			defaults = append(defaults, moduleFilter{level: lvl})
		} else {
			named = append(named, moduleFilter{module: module, level: lvl})
		}
	}
	if hasFilter {
		re, err := regexp.Compile(filter)
		if err != nil {
			problems = append(problems, fmt.Sprintf("invalid regex filter: %v", err))
		}
		s.text = re
	}
	if len(problems) > 0 {
		return LogSpec{}, fmt.Errorf("log spec %q: %w", spec, errors.New(strings.Join(problems, "; ")))
	}
	slices.SortStableFunc(named, func(a, b moduleFilter) int { return len(b.module) - len(a.module) })
	s.filters = append(named, defaults...)
	return s, nil
}

// levelNamed reads one of flexi_logger's level names, in any case.
func levelNamed(name string) (slog.Level, bool) {
	switch strings.ToLower(name) {
	case "off":
		return LevelOff, true
	case "error":
		return slog.LevelError, true
	case "warn":
		return slog.LevelWarn, true
	case "info":
		return slog.LevelInfo, true
	case "debug":
		return slog.LevelDebug, true
	case "trace":
		return LevelTrace, true
	}
	return 0, false
}

// Level is the lowest level logged for target; LevelOff when nothing is.
func (s LogSpec) Level(target string) slog.Level {
	for _, f := range s.filters {
		if strings.HasPrefix(target, f.module) {
			return f.level
		}
	}
	return LevelOff
}

// Matches reports whether a line with this message passes the spec's regex.
func (s LogSpec) Matches(message string) bool { return s.text == nil || s.text.MatchString(message) }

// String is the spec as it was given.
func (s LogSpec) String() string { return s.source }
