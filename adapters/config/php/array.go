package php

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"
)

// Value is what a PHP expression evaluates to here: nil (null), bool, int64,
// float64, string (bytes, not necessarily UTF-8) or *Array.
type Value = any

// Key is a PHP array key: an integer or a string. PHP stores a string that
// reads as a canonical decimal integer ("5", "-3", not "05") as that integer,
// so the two forms never both exist for the same text. The zero Key is the
// string key "".
type Key struct {
	str   string
	num   int64
	isInt bool
}

// IntKey is the integer key n.
func IntKey(n int64) Key { return Key{num: n, isInt: true} }

// StringKey is the key PHP uses for s: an integer key when s is a canonical
// decimal integer within int64, else the string itself.
func StringKey(s string) Key {
	if n, ok := canonicalInt(s); ok {
		return IntKey(n)
	}
	return Key{str: s}
}

// IsInt reports whether the key is an integer key.
func (k Key) IsInt() bool { return k.isInt }

// Int is the integer of an integer key, 0 for a string key.
func (k Key) Int() int64 { return k.num }

// String is the key's text: the string, or the integer in decimal.
func (k Key) String() string {
	if k.isInt {
		return strconv.FormatInt(k.num, 10)
	}
	return k.str
}

// canonicalInt matches PHP's ZEND_HANDLE_NUMERIC_STR: optional '-', no
// leading zeros, no '+', no spaces, within int64.
func canonicalInt(s string) (int64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if digits == "" || (digits[0] == '0' && len(digits) > 1) || (s[0] == '-' && digits == "0") {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Pos is where a value was written in its file: 1-based line and column
// of the expression. The zero Pos marks a value computed at run time (an
// element of explode()'s result, say) or set through the Go API.
type Pos struct{ Line, Col int }

// Array is a PHP array: an ordered map from Key to Value that keeps
// insertion order. The zero value is an empty array ready to use.
type Array struct {
	keys  []Key
	vals  []Value
	at    []Pos
	index map[Key]int
	// next is PHP's nNextFreeElement: where Append puts the next value.
	next    int64
	hasNext bool
	full    bool
}

// errArrayFull is PHP's "next element is already occupied".
var errArrayFull = errors.New("cannot add element to the array as the next element is already occupied")

// NewArray returns an empty array.
func NewArray() *Array { return &Array{} }

// Len is the number of elements.
func (a *Array) Len() int { return len(a.keys) }

// Keys returns the keys in order.
func (a *Array) Keys() []Key { return append([]Key(nil), a.keys...) }

// Values returns the values in order.
func (a *Array) Values() []Value { return append([]Value(nil), a.vals...) }

// Get looks up a key given as text, the way PHP's $a['key'] does: "5"
// finds the integer key 5.
func (a *Array) Get(key string) (Value, bool) { return a.GetKey(StringKey(key)) }

// GetKey looks up a key.
func (a *Array) GetKey(k Key) (Value, bool) {
	i, ok := a.index[k]
	if !ok {
		return nil, false
	}
	return a.vals[i], true
}

// Pos is where the value under key (given as text, as for Get) was
// written; the zero Pos when unknown or missing.
func (a *Array) Pos(key string) Pos {
	i, ok := a.index[StringKey(key)]
	if !ok {
		return Pos{}
	}
	return a.at[i]
}

// Set stores v under k, keeping k's place in the order when it already
// exists.
func (a *Array) Set(k Key, v Value) { a.setAt(k, v, Pos{}) }

// setAt is Set recording where v was written.
func (a *Array) setAt(k Key, v Value, at Pos) {
	if i, ok := a.index[k]; ok {
		a.vals[i], a.at[i] = v, at
		return
	}
	if a.index == nil {
		a.index = make(map[Key]int)
	}
	a.index[k] = len(a.keys)
	a.keys = append(a.keys, k)
	a.vals = append(a.vals, v)
	a.at = append(a.at, at)
	if k.isInt && (!a.hasNext || k.num >= a.next) {
		a.hasNext = true
		if k.num == math.MaxInt64 {
			a.next, a.full = k.num, true
		} else {
			a.next = k.num + 1
		}
	}
}

// Append stores v under the next integer key: one more than the largest
// integer key so far, or 0 (PHP's $a[] = v).
func (a *Array) Append(v Value) error { return a.appendAt(v, Pos{}) }

// appendAt is Append recording where v was written.
func (a *Array) appendAt(v Value, at Pos) error {
	if a.full {
		return errArrayFull
	}
	k := IntKey(0)
	if a.hasNext {
		k = IntKey(a.next)
	}
	if _, taken := a.index[k]; taken {
		return errArrayFull
	}
	a.setAt(k, v, at)
	return nil
}

// clone copies a deeply, as PHP's value semantics require when an array
// is read from a variable, and returns the copy and how many elements it
// holds at every level.
func (a *Array) clone() (*Array, int) {
	c := &Array{
		keys: slices.Clone(a.keys), vals: slices.Clone(a.vals), at: slices.Clone(a.at),
		index: maps.Clone(a.index), next: a.next, hasNext: a.hasNext, full: a.full,
	}
	n := len(c.vals)
	for i, v := range c.vals {
		if sub, ok := v.(*Array); ok {
			var m int
			c.vals[i], m = sub.clone()
			n += m
		}
	}
	return c, n
}

// AsMap returns the elements keyed by their text (see Key.String). Nested
// arrays stay *Array.
func (a *Array) AsMap() map[string]Value {
	m := make(map[string]Value, len(a.keys))
	for i, k := range a.keys {
		m[k.String()] = a.vals[i]
	}
	return m
}

// IsList reports whether the keys are 0, 1, 2, ... in order, as for
// ['a', 'b'].
func (a *Array) IsList() bool {
	for i, k := range a.keys {
		if !k.isInt || k.num != int64(i) {
			return false
		}
	}
	return true
}
