package domain

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// EncodeCustomBody writes a custom message's body (one JSON value) the way
// upstream sends it: upstream decodes the body into serde_json's Value and
// writes it back, so clients receive object keys sorted (byte order), a key
// given twice with its last value, strings with only ", \ and control
// characters escaped (no \/, no \uXXXX for other characters), integers as
// written, and other numbers in the shortest form that reads back the same,
// with ".0" for a whole one (2.50 becomes 2.5, 1e3 becomes 1000.0). What
// serde_json refuses (a lone surrogate, invalid UTF-8, a number out of the
// range of a float) is an error, so that such an event is dropped as
// upstream drops it.
func EncodeCustomBody(raw []byte) (string, error) {
	if !utf8.Valid(raw) {
		return "", errors.New("invalid UTF-8")
	}
	p := bodyParser{in: raw}
	var b strings.Builder
	b.Grow(len(raw))
	if err := p.value(&b, 0); err != nil {
		return "", err
	}
	p.space()
	if p.pos != len(p.in) {
		return "", p.errorf("trailing characters")
	}
	return b.String(), nil
}

// maxBodyDepth is serde_json's recursion limit: 127 nested arrays and
// objects are read, 128 are not.
const maxBodyDepth = 128

type bodyParser struct {
	in  []byte
	pos int
}

func (p *bodyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("body at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *bodyParser) space() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *bodyParser) value(b *strings.Builder, depth int) error {
	p.space()
	if p.pos >= len(p.in) {
		return p.errorf("value expected")
	}
	switch c := p.in[p.pos]; {
	case c == '{':
		return p.object(b, depth)
	case c == '[':
		return p.array(b, depth)
	case c == '"':
		s, err := p.string()
		if err != nil {
			return err
		}
		writeBodyString(b, s)
		return nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number(b)
	}
	for _, lit := range []string{"true", "false", "null"} {
		if strings.HasPrefix(string(p.in[p.pos:min(len(p.in), p.pos+len(lit))]), lit) {
			p.pos += len(lit)
			b.WriteString(lit)
			return nil
		}
	}
	return p.errorf("value expected")
}

// enter counts a container around depth others.
func (p *bodyParser) enter(depth int) error {
	if depth+1 >= maxBodyDepth {
		return p.errorf("nested too deeply")
	}
	return nil
}

func (p *bodyParser) object(b *strings.Builder, depth int) error {
	if err := p.enter(depth); err != nil {
		return err
	}
	p.pos++ // {
	members := map[string]string{}
	p.space()
	if p.pos < len(p.in) && p.in[p.pos] == '}' {
		p.pos++
		b.WriteString("{}")
		return nil
	}
	for {
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != '"' {
			return p.errorf("object key expected")
		}
		key, err := p.string()
		if err != nil {
			return err
		}
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return p.errorf("':' expected")
		}
		p.pos++
		var v strings.Builder
		if err := p.value(&v, depth+1); err != nil {
			return err
		}
		members[key] = v.String() // the last of a duplicate key wins, as in serde_json's map
		p.space()
		if p.pos >= len(p.in) {
			return p.errorf("'}' expected")
		}
		if p.in[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.in[p.pos] != '}' {
			return p.errorf("',' or '}' expected")
		}
		p.pos++
		break
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys) // byte order, as serde_json's BTreeMap<String, _>
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeBodyString(b, k)
		b.WriteByte(':')
		b.WriteString(members[k])
	}
	b.WriteByte('}')
	return nil
}

func (p *bodyParser) array(b *strings.Builder, depth int) error {
	if err := p.enter(depth); err != nil {
		return err
	}
	p.pos++ // [
	b.WriteByte('[')
	p.space()
	if p.pos < len(p.in) && p.in[p.pos] == ']' {
		p.pos++
		b.WriteByte(']')
		return nil
	}
	for first := true; ; first = false {
		if !first {
			b.WriteByte(',')
		}
		if err := p.value(b, depth+1); err != nil {
			return err
		}
		p.space()
		if p.pos >= len(p.in) {
			return p.errorf("']' expected")
		}
		if p.in[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.in[p.pos] != ']' {
			return p.errorf("',' or ']' expected")
		}
		p.pos++
		b.WriteByte(']')
		return nil
	}
}

// string reads a JSON string at p.pos, escapes decoded; a lone surrogate is
// an error, as in serde_json.
func (p *bodyParser) string() (string, error) {
	p.pos++ // "
	var s []byte
	for {
		if p.pos >= len(p.in) {
			return "", p.errorf("unterminated string")
		}
		c := p.in[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(s), nil
		case c < 0x20:
			return "", p.errorf("control character in a string")
		case c != '\\':
			s = append(s, c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.in) {
			return "", p.errorf("unterminated escape")
		}
		e := p.in[p.pos+1]
		p.pos += 2
		switch e {
		case '"', '\\', '/':
			s = append(s, e)
		case 'b':
			s = append(s, '\b')
		case 'f':
			s = append(s, '\f')
		case 'n':
			s = append(s, '\n')
		case 'r':
			s = append(s, '\r')
		case 't':
			s = append(s, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || p.pos+1 >= len(p.in) || p.in[p.pos] != '\\' || p.in[p.pos+1] != 'u' {
					return "", p.errorf("lone surrogate in a \\u escape")
				}
				p.pos += 2
				lo, err := p.hex4()
				if err != nil {
					return "", err
				}
				if lo < 0xDC00 || lo > 0xDFFF {
					return "", p.errorf("lone surrogate in a \\u escape")
				}
				r = utf16.DecodeRune(r, lo)
			}
			s = utf8.AppendRune(s, r)
		default:
			return "", p.errorf("invalid escape")
		}
	}
}

func (p *bodyParser) hex4() (rune, error) {
	if p.pos+4 > len(p.in) {
		return 0, p.errorf("short \\u escape")
	}
	n, err := strconv.ParseUint(string(p.in[p.pos:p.pos+4]), 16, 16)
	if err != nil {
		return 0, p.errorf("invalid \\u escape")
	}
	p.pos += 4
	return rune(n), nil
}

// number reads a JSON number and writes it as serde_json does: an integer
// that fits 64 bits as written (without a sign for zero), anything else as
// a float in ryu's shortest form.
func (p *bodyParser) number(b *strings.Builder) error {
	start := p.pos
	if p.in[p.pos] == '-' {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == digits || p.in[digits] == '0' && p.pos-digits > 1 {
		return p.errorf("invalid number")
	}
	integer := true
	if p.pos < len(p.in) && p.in[p.pos] == '.' {
		integer = false
		p.pos++
		frac := p.pos
		for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == frac {
			return p.errorf("invalid number")
		}
	}
	if p.pos < len(p.in) && (p.in[p.pos] == 'e' || p.in[p.pos] == 'E') {
		integer = false
		p.pos++
		if p.pos < len(p.in) && (p.in[p.pos] == '+' || p.in[p.pos] == '-') {
			p.pos++
		}
		exp := p.pos
		for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == exp {
			return p.errorf("invalid number")
		}
	}
	text := string(p.in[start:p.pos])
	if integer {
		if text[0] != '-' {
			if _, err := strconv.ParseUint(text, 10, 64); err == nil {
				b.WriteString(text)
				return nil
			}
		} else if n, err := strconv.ParseInt(text, 10, 64); err == nil && n != 0 {
			b.WriteString(text)
			return nil
		}
		// Past 64 bits, and -0, serde_json reads a float.
	}
	f, err := strconv.ParseFloat(text, 64)
	if math.IsInf(f, 0) || err != nil && f != 0 {
		return p.errorf("number out of range") // an underflow reads as 0, as in serde_json
	}
	b.WriteString(FormatFloatLikeRyu(f))
	return nil
}

// FormatFloatLikeRyu writes a finite f the way Rust's ryu crate (and so
// serde_json) does: the shortest digits that read back as f, as a decimal
// with ".0" for whole numbers when the decimal point falls within 16
// digits, else in e notation (1e16, 1.5e-7).
func FormatFloatLikeRyu(f float64) string {
	sign := ""
	if math.Signbit(f) {
		sign, f = "-", -f
	}
	if f == 0 {
		return sign + "0.0"
	}
	// d.ddddde±x: the shortest digits and the exponent of the first.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expText)
	length := len(digits)
	kk := exp + 1    // where the decimal point goes, counted from the first digit
	k := kk - length // the exponent of the last digit
	switch {
	case k >= 0 && kk <= 16:
		return sign + digits + strings.Repeat("0", k) + ".0"
	case kk > 0 && kk <= 16:
		return sign + digits[:kk] + "." + digits[kk:]
	case kk > -5 && kk <= 0:
		return sign + "0." + strings.Repeat("0", -kk) + digits
	case length == 1:
		return sign + digits + "e" + strconv.Itoa(kk-1)
	default:
		return sign + digits[:1] + "." + digits[1:] + "e" + strconv.Itoa(kk-1)
	}
}

// writeBodyString writes s quoted as serde_json does: ", \ and the control
// characters escaped (\b \f \n \r \t, others as \u00xx), nothing else.
func writeBodyString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
