package php

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// PHP's type juggling, as PHP 8 does it: casts, truthiness and ==.

// TypeName is PHP's name for the type of v, for messages.
func TypeName(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "string"
	default:
		return "array"
	}
}

// withArticle names v's type for a sentence: "a string", "an int", "true".
func withArticle(v Value) string {
	switch v := v.(type) {
	case bool:
		return fmt.Sprint(v)
	case int64:
		return "an int"
	case *Array:
		return "an array"
	}
	return "a " + TypeName(v)
}

// truthy is PHP's (bool): "", "0", 0, 0.0, null and [] are false.
func truthy(v Value) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case int64:
		return v != 0
	case float64:
		return v != 0 // NaN is true in PHP too
	case string:
		return v != "" && v != "0"
	case *Array:
		return v.Len() > 0
	}
	return false
}

// toInt is PHP's (int).
func toInt(v Value) int64 {
	switch v := v.(type) {
	case bool:
		if v {
			return 1
		}
	case int64:
		return v
	case float64:
		return floatToIntWrap(v)
	case string:
		n := parseNumeric(v)
		if n.isInt {
			return n.i
		}
		return floatToIntCap(n.f)
	case *Array:
		if v.Len() > 0 {
			return 1
		}
	}
	return 0
}

// toFloat is PHP's (float).
func toFloat(v Value) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case string:
		n := parseNumeric(v)
		if n.isInt {
			return float64(n.i)
		}
		return n.f
	default:
		return float64(toInt(v))
	}
}

// toStr is PHP's (string). PHP turns an array into "Array" with a warning;
// here that is an error, since no configuration means it.
func toStr(v Value) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case bool:
		if v {
			return "1", nil
		}
		return "", nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return floatToString(v), nil
	case string:
		return v, nil
	}
	return "", fmt.Errorf("array to string conversion")
}

const twoPow63 = 9223372036854775808.0

// floatToIntWrap is zend_dval_to_lval: NaN and infinities give 0, values
// out of range wrap modulo 2^64.
func floatToIntWrap(f float64) int64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	if f >= -twoPow63 && f < twoPow63 {
		return int64(f)
	}
	m := math.Mod(f, 2*twoPow63)
	if m < 0 {
		m += 2 * twoPow63
	}
	if m >= twoPow63 {
		m -= 2 * twoPow63
	}
	return int64(m)
}

// floatToIntCap is zend_dval_to_lval_cap, used for numeric strings:
// NaN and infinities give 0, values out of range saturate.
func floatToIntCap(f float64) int64 {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0
	case f >= twoPow63:
		return math.MaxInt64
	case f < -twoPow63:
		return math.MinInt64
	}
	return int64(f)
}

// floatToString formats like PHP's (string) with precision=14: %.14G,
// with ".0" added to a one-digit mantissa in exponent form ("1.0E+25").
func floatToString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NAN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	e := strconv.FormatFloat(f, 'e', 13, 64) // 14 significant digits
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.TrimRight(strings.Replace(mant, ".", "", 1), "0")
	decpt := exp + 1 // digits[0] sits just left of the point when decpt == 1
	if decpt < -3 || decpt > 14 {
		frac := digits[1:]
		if frac == "" {
			frac = "0"
		}
		expSign := "+"
		if exp < 0 {
			expSign, exp = "-", -exp
		}
		return sign + digits[:1] + "." + frac + "E" + expSign + strconv.Itoa(exp)
	}
	switch {
	case decpt <= 0:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		return sign + digits + strings.Repeat("0", decpt-len(digits))
	default:
		return sign + digits[:decpt] + "." + digits[decpt:]
	}
}

// numeric is the result of reading a number at the start of a string, as
// PHP's _is_numeric_string_ex does.
type numeric struct {
	ok    bool // a number starts the string (after white space)
	whole bool // and nothing but white space follows it
	isInt bool // integer form within int64 (else f holds the value)
	i     int64
	f     float64
	oflow int // ±1: integer form beyond int64
}

func isNumSpace(c byte) bool { return isSpace(c) || c == '\v' || c == '\f' }

func parseNumeric(s string) numeric {
	i := 0
	for i < len(s) && isNumSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	digits := i - intStart
	isFloat := false
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if digits > 0 || j > i+1 {
			digits += j - i - 1
			isFloat, i = true, j
		}
	}
	if digits == 0 {
		return numeric{}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			isFloat, i = true, j
		}
	}
	text := s[start:i]
	n := numeric{ok: true}
	k := i
	for k < len(s) && isNumSpace(s[k]) {
		k++
	}
	n.whole = k == len(s)
	if !isFloat {
		if v, err := strconv.ParseInt(text, 10, 64); err == nil {
			n.isInt, n.i = true, v
			return n
		}
		n.oflow = 1
		if text[0] == '-' {
			n.oflow = -1
		}
	}
	n.f, _ = strconv.ParseFloat(text, 64)
	return n
}

// looseEqual is PHP 8's ==.
func looseEqual(a, b Value) bool {
	// null == string compares "" with the string, before the bool rule.
	if sb, ok := b.(string); ok && a == nil {
		return sb == ""
	}
	if sa, ok := a.(string); ok && b == nil {
		return sa == ""
	}
	_, aBool := a.(bool)
	_, bBool := b.(bool)
	if aBool || bBool || a == nil || b == nil {
		return truthy(a) == truthy(b)
	}
	aa, aArr := a.(*Array)
	ba, bArr := b.(*Array)
	if aArr || bArr {
		if !aArr || !bArr || aa.Len() != ba.Len() {
			return false
		}
		for i, k := range aa.keys {
			w, ok := ba.GetKey(k)
			if !ok || !looseEqual(aa.vals[i], w) {
				return false
			}
		}
		return true
	}
	as, aStr := a.(string)
	bs, bStr := b.(string)
	switch {
	case aStr && bStr:
		return stringsEqual(as, bs)
	case aStr:
		return numberEqualsString(b, as)
	case bStr:
		return numberEqualsString(a, bs)
	}
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt {
		return ai == bi
	}
	return toFloat(a) == toFloat(b)
}

// numberEqualsString: a numeric string compares as a number, any other
// string compares with the number's text (PHP 8's saner comparisons).
func numberEqualsString(num Value, s string) bool {
	n := parseNumeric(s)
	if !n.ok || !n.whole {
		text, _ := toStr(num)
		return text == s
	}
	if i, ok := num.(int64); ok && n.isInt {
		return i == n.i
	}
	if n.isInt {
		return toFloat(num) == float64(n.i)
	}
	return toFloat(num) == n.f
}

// stringsEqual is zendi_smart_str_equals: two numeric strings compare as
// numbers, unless precision would be lost.
func stringsEqual(a, b string) bool {
	na, nb := parseNumeric(a), parseNumeric(b)
	if !na.ok || !na.whole || !nb.ok || !nb.whole {
		return a == b
	}
	if na.isInt && nb.isInt {
		return na.i == nb.i
	}
	fa, fb := na.f, nb.f
	if na.isInt {
		fa = float64(na.i)
	}
	if nb.isInt {
		fb = float64(nb.i)
	}
	switch {
	case na.oflow != 0 && na.oflow == nb.oflow && fa-fb == 0:
		return a == b // both beyond int64 on the same side
	case na.isInt && nb.oflow != 0, nb.isInt && na.oflow != 0:
		return false
	case fa == fb && math.IsInf(fa, 0):
		return a == b
	}
	return fa == fb
}

// strictEqual is PHP's ===.
func strictEqual(a, b Value) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool, int64, string:
		return a == b
	case float64:
		f, ok := b.(float64)
		return ok && a == f
	case *Array:
		bb, ok := b.(*Array)
		if !ok || a.Len() != bb.Len() {
			return false
		}
		for i, k := range a.keys {
			if bb.keys[i] != k || !strictEqual(a.vals[i], bb.vals[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// toNumber is PHP's operand conversion for arithmetic (unary minus):
// a non-numeric string or an array is a TypeError in PHP 8.
func toNumber(v Value) (Value, error) {
	switch v := v.(type) {
	case nil:
		return int64(0), nil
	case bool:
		if v {
			return int64(1), nil
		}
		return int64(0), nil
	case int64, float64:
		return v, nil
	case string:
		n := parseNumeric(v)
		switch {
		case !n.ok:
			return nil, fmt.Errorf("non-numeric string %s used as a number", quoteSingle(v))
		case n.isInt:
			return n.i, nil
		default:
			return n.f, nil
		}
	}
	return nil, fmt.Errorf("array used as a number")
}

// negate is PHP's unary minus (x * -1).
func negate(v Value) (Value, error) {
	n, err := toNumber(v)
	if err != nil {
		return nil, err
	}
	if i, ok := n.(int64); ok {
		if i == math.MinInt64 {
			return -float64(i), nil
		}
		return -i, nil
	}
	return -n.(float64), nil
}

// toKey converts v to an array key as PHP does for $a[v]: bools and floats
// become integers, null becomes "".
func toKey(v Value) (Key, error) {
	switch v := v.(type) {
	case nil:
		return Key{}, nil
	case bool, float64:
		return IntKey(toInt(v)), nil
	case int64:
		return IntKey(v), nil
	case string:
		return StringKey(v), nil
	}
	return Key{}, fmt.Errorf("illegal offset type: array")
}
