package php

import (
	"cmp"
	"strconv"
	"strings"
)

// lexNumber reads PHP's integer and float literals: 42, 1_000, 0x1A, 0755,
// 0o755, 0b101, 1.5, .5, 1., 1e3. Integers too large for int64 become
// floats, as in PHP.
func (lx *lexer) lexNumber() token {
	s := lx.src
	start := lx.off
	if s[start] == '0' && start+1 < len(s) {
		var base int
		var ok func(byte) bool
		switch s[start+1] | 0x20 {
		case 'x':
			base, ok = 16, isHex
		case 'b':
			base, ok = 2, func(c byte) bool { return c == '0' || c == '1' }
		case 'o':
			base, ok = 8, isOctal
		}
		if base != 0 {
			if digits, end := scanDigits(s, start+2, ok); digits != "" {
				lx.off = end
				return radixToken(start, digits, base)
			}
		}
	}
	intPart, i := scanDigits(s, start, isDigit)
	frac, float := "", false
	if i < len(s) && s[i] == '.' {
		f, j := scanDigits(s, i+1, isDigit)
		if f != "" || intPart != "" {
			frac, float, i = f, true, j
		}
	}
	exp := ""
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		sign := ""
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			sign = string(s[j])
			j++
		}
		if e, k := scanDigits(s, j, isDigit); e != "" {
			exp, float, i = "e"+sign+e, true, k
		}
	}
	lx.off = i
	if float {
		// Out of range parses to ±Inf, which is what PHP gives too.
		f, _ := strconv.ParseFloat(cmp.Or(intPart, "0")+"."+cmp.Or(frac, "0")+exp, 64)
		return token{kind: tFloat, pos: start, flt: f}
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		if strings.IndexFunc(intPart, func(r rune) bool { return r > '7' }) >= 0 {
			return lx.errAt(start, "syntax error: invalid numeric literal %s", s[start:i])
		}
		return radixToken(start, intPart[1:], 8)
	}
	return radixToken(start, intPart, 10)
}

// radixToken converts digits (underscores removed) in base to an integer
// token, or to a float token when the value exceeds int64.
func radixToken(pos int, digits string, base int) token {
	if n, err := strconv.ParseInt(digits, base, 64); err == nil {
		return token{kind: tInt, pos: pos, num: n}
	}
	if base == 10 {
		f, _ := strconv.ParseFloat(digits, 64)
		return token{kind: tFloat, pos: pos, flt: f}
	}
	// PHP's zend_{hex,oct,bin}_strtod accumulate digit by digit; the octal
	// and binary ones add the digit's character code, then subtract '0',
	// rounding twice. The conversions keep Go from fusing the operations.
	f := 0.0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if base == 16 {
			d, _ := strconv.ParseUint(digits[i:i+1], 16, 8)
			f = float64(f*16) + float64(d)
			continue
		}
		f = float64(float64(f*float64(base))+float64(c)) - '0'
	}
	return token{kind: tFloat, pos: pos, flt: f}
}

// scanDigits reads [d]+(_[d]+)* from i and returns the digits without the
// separators and where they end. An underscore not between digits is not
// part of the number.
func scanDigits(s []byte, i int, ok func(byte) bool) (string, int) {
	var b []byte
	for i < len(s) {
		if ok(s[i]) {
			b = append(b, s[i])
			i++
			continue
		}
		if s[i] == '_' && len(b) > 0 && i+1 < len(s) && ok(s[i+1]) {
			i++
			continue
		}
		break
	}
	return string(b), i
}

func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// lexString reads a single-quoted, double-quoted or backtick literal.
func (lx *lexer) lexString() token {
	switch lx.src[lx.off] {
	case '\'':
		return lx.lexSingle()
	case '"':
		return lx.lexDouble()
	}
	start := lx.off
	for i := start + 1; i < len(lx.src); i++ {
		switch lx.src[i] {
		case '\\':
			i++
		case '`':
			lx.off = i + 1
			return token{kind: tString, pos: start, bad: "shell commands in backticks", badPos: start}
		}
	}
	return lx.errAt(start, "unterminated shell command")
}

// lexSingle: only \\ and \' are escapes in single quotes.
func (lx *lexer) lexSingle() token {
	s := lx.src
	start := lx.off
	var b []byte
	for i := start + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			lx.off = i + 1
			return token{kind: tString, pos: start, str: string(b)}
		case c == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '\''):
			b = append(b, s[i+1])
			i++
		default:
			b = append(b, c)
		}
	}
	return lx.errAt(start, "unterminated string")
}

// lexDouble decodes PHP's double-quoted escapes. Interpolation ("$x",
// "{$x}", "${x}") is outside the subset: the token carries the reason and
// fails only if evaluated, so code PHP would skip may still use it.
func (lx *lexer) lexDouble() token {
	s := lx.src
	start := lx.off
	t := token{kind: tString, pos: start}
	var b []byte
	for i := start + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			lx.off = i + 1
			t.str = string(b)
			return t
		case c == '\\' && i+1 < len(s):
			consumed, err := decodeEscape(s[i+1:], &b)
			if err != "" {
				return lx.errAt(i, "%s", err)
			}
			if consumed == 0 {
				b = append(b, '\\') // unknown escape: PHP keeps it
				continue
			}
			i += consumed
		case c == '$' && i+1 < len(s) && (isNameStart(s[i+1]) || s[i+1] == '{'):
			if t.bad == "" {
				what := "interpolation"
				if isNameStart(s[i+1]) {
					what = "interpolation of $" + string(s[i+1:scanName(s, i+1)])
				}
				t.bad, t.badPos = what+" in a double-quoted string", i
			}
			b = append(b, c)
		case c == '{' && i+1 < len(s) && s[i+1] == '$':
			if t.bad == "" {
				t.bad, t.badPos = "interpolation in a double-quoted string", i
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return lx.errAt(start, "unterminated string")
}

// simpleEscapes are the one-letter escapes; simpleValues what they stand for.
const (
	simpleEscapes = "ntrvef\\$\""
	simpleValues  = "\n\t\r\v\x1b\f\\$\""
)

// decodeEscape decodes the escape after a backslash, appending to b. It
// returns how many bytes after the backslash it used (0: not an escape).
func decodeEscape(s []byte, b *[]byte) (int, string) {
	c := s[0]
	if i := strings.IndexByte(simpleEscapes, c); i >= 0 {
		*b = append(*b, simpleValues[i])
		return 1, ""
	}
	switch {
	case isOctal(c):
		n := 1
		for n < 3 && n < len(s) && isOctal(s[n]) {
			n++
		}
		v, _ := strconv.ParseUint(string(s[:n]), 8, 16)
		*b = append(*b, byte(v)) // PHP keeps the low byte of \400 and above
		return n, ""
	case c == 'x' && len(s) > 1 && isHex(s[1]):
		n := 2
		if len(s) > 2 && isHex(s[2]) {
			n = 3
		}
		v, _ := strconv.ParseUint(string(s[1:n]), 16, 8)
		*b = append(*b, byte(v))
		return n, ""
	case c == 'u' && len(s) > 1 && s[1] == '{':
		end := 2
		for end < len(s) && isHex(s[end]) {
			end++
		}
		if end == 2 || end >= len(s) || s[end] != '}' {
			return 0, "invalid UTF-8 codepoint escape sequence"
		}
		cp, err := strconv.ParseUint(string(s[2:end]), 16, 32)
		if err != nil || cp > 0x10FFFF {
			return 0, "invalid UTF-8 codepoint escape sequence: codepoint too large"
		}
		*b = appendCodepoint(*b, uint32(cp))
		return end + 1, ""
	}
	return 0, ""
}

// appendCodepoint encodes cp as PHP does: plain UTF-8 arithmetic, which
// also encodes surrogates (Go's encoder would replace them).
func appendCodepoint(b []byte, cp uint32) []byte {
	switch {
	case cp < 0x80:
		return append(b, byte(cp))
	case cp < 0x800:
		return append(b, 0xC0|byte(cp>>6), 0x80|byte(cp&0x3F))
	case cp < 0x10000:
		return append(b, 0xE0|byte(cp>>12), 0x80|byte(cp>>6&0x3F), 0x80|byte(cp&0x3F))
	default:
		return append(b, 0xF0|byte(cp>>18), 0x80|byte(cp>>12&0x3F), 0x80|byte(cp>>6&0x3F), 0x80|byte(cp&0x3F))
	}
}
