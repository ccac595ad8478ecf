package php

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The corpus's expected results are JSON with this encoding (also described
// in testdata/config/README.md):
//
//   - a PHP array is an object whose members are in PHP's order; an integer
//     key is written as its decimal text, which is unambiguous because PHP
//     never keeps a string like "5" as a string key;
//   - an int is a number without fraction or exponent: 42;
//   - a float is a number with a fraction or an exponent: 42.0, 1e300;
//   - strings, true, false and null are themselves.
//
// Both sides are turned into one canonical text and compared.

// canonValue renders a parsed value canonically.
func canonValue(v Value) (string, error) {
	var b strings.Builder
	err := writeCanon(&b, v)
	return b.String(), err
}

func writeCanon(b *strings.Builder, v Value) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("float %v has no JSON form", v)
		}
		b.WriteString(canonFloat(v))
	case string:
		writeString(b, v)
	case *Array:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k.String())
			b.WriteByte(':')
			if err := writeCanon(b, v.vals[i]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("unexpected Go type %T", v)
	}
	return nil
}

func canonFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func writeString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.WriteString(strings.TrimSuffix(buf.String(), "\n"))
}

// canonJSON renders expected JSON text canonically, keeping member order.
func canonJSON(data []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var b strings.Builder
	if err := canonToken(dec, &b); err != nil {
		return "", err
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", fmt.Errorf("trailing data after the JSON value")
	}
	return b.String(), nil
}

func canonToken(dec *json.Decoder, b *strings.Builder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t != '{' {
			return fmt.Errorf("arrays are objects in this encoding, found %v", t)
		}
		b.WriteByte('{')
		for i := 0; dec.More(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			key, err := dec.Token()
			if err != nil {
				return err
			}
			writeString(b, key.(string))
			b.WriteByte(':')
			if err := canonToken(dec, b); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		b.WriteByte('}')
	case json.Number:
		if strings.ContainsAny(t.String(), ".eE") {
			f, err := t.Float64()
			if err != nil {
				return err
			}
			b.WriteString(canonFloat(f))
		} else {
			n, err := t.Int64()
			if err != nil {
				return err
			}
			b.WriteString(strconv.FormatInt(n, 10))
		}
	case string:
		writeString(b, t)
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case nil:
		b.WriteString("null")
	}
	return nil
}

// indent pretty-prints canonical text for failure messages.
func indent(s string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(s), "", "  ") != nil {
		return s
	}
	return buf.String()
}
