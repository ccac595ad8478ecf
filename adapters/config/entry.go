package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/notifypush/notify_push/adapters/config/php"
)

// entry is one value of Nextcloud's configuration with what a message about
// it needs: the key as written in PHP and the file and position it came from.
type entry struct {
	key     string // dbport, redis['port'], dbdriveroptions[1014]
	v       php.Value
	present bool // set and not null: Nextcloud reads null as unset
	file    string
	pos     php.Pos
}

// child is e[key] when e is an array; a missing or null element is absent.
// A child without a position of its own (missing, or computed by a function
// such as explode) is reported at its parent's.
func (e entry) child(key string) entry {
	c := entry{key: e.key + "[" + phpKey(key) + "]", file: e.file, pos: e.pos}
	if arr, ok := e.v.(*php.Array); ok {
		c.v, _ = arr.Get(key)
		c.present = c.v != nil
		if p := arr.Pos(key); p.Line > 0 {
			c.pos = p
		}
	}
	return c
}

// phpKey writes key as PHP source: 5 or 'name'.
func phpKey(key string) string {
	if k := php.StringKey(key); k.IsInt() {
		return key
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(key) + "'"
}

// where is file:line:col, or the file alone for a computed value.
func (e entry) where() string {
	if e.pos.Line == 0 {
		return e.file
	}
	return fmt.Sprintf("%s:%d:%d", e.file, e.pos.Line, e.pos.Col)
}

// errorf reports a problem with e's value, naming where it is and its key.
func (e entry) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", e.where(), e.key, fmt.Sprintf(format, args...))
}

func (e entry) wrongType(want string) error {
	return e.errorf("expected %s, got %s", want, php.TypeName(e.v))
}

// str reads a string; an integer is taken as its decimal text, as PHP would
// use it. Absent reads as "".
func (e entry) str() (string, error) {
	switch v := e.v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	}
	return "", e.wrongType("a string")
}

// integer reads an integer or a numeric string; absent or "" reads as
// unset (ok false).
func (e entry) integer() (n int64, ok bool, err error) {
	switch v := e.v.(type) {
	case nil:
		return 0, false, nil
	case int64:
		return v, true, nil
	case string:
		if strings.TrimSpace(v) == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err == nil {
			return n, true, nil
		}
	}
	return 0, false, e.wrongType("an integer or a numeric string")
}

// boolean reads a boolean; PHP's stream and PDO options also take 0 and 1.
func (e entry) boolean(def bool) (bool, error) {
	switch v := e.v.(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	case int64:
		return v != 0, nil
	}
	return def, e.wrongType("a boolean")
}

// array reads an array; absent reads as nil.
func (e entry) array() (*php.Array, error) {
	switch v := e.v.(type) {
	case nil:
		return nil, nil
	case *php.Array:
		return v, nil
	}
	return nil, e.wrongType("an array")
}
