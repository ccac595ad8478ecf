package php

import (
	"strings"
)

// arg is an evaluated call argument and where it starts.
type arg struct {
	v   Value
	pos int
}

// builtin is one of the functions the official image's files call.
type builtin struct {
	min, max int
	forms    string // the argument counts supported, for messages
	// callback is the index of the argument that may be a closure, or -1.
	callback int
	run      func(p *interp, name token, args []arg) (val, error)
}

// callbackFunctions names the functions that take a closure, for messages.
const callbackFunctions = "array_map() or array_filter()"

// lookupBuiltin finds a function by its lower-cased name.
func lookupBuiltin(fn string) (builtin, bool) {
	one := func(run func(p *interp, name token, args []arg) (val, error)) builtin {
		return builtin{min: 1, max: 1, forms: "one-argument", callback: -1, run: run}
	}
	switch fn {
	case "getenv":
		return one(runGetenv), true
	case "trim":
		return one(runTrim), true
	case "strtolower":
		return one(runStrtolower), true
	case "file_get_contents":
		return one(runFileGetContents), true
	case "explode":
		return builtin{min: 2, max: 2, forms: "two-argument", callback: -1, run: runExplode}, true
	case "array_map":
		return builtin{min: 2, max: 2, forms: "two-argument (one array)", callback: 0, run: runArrayMap}, true
	case "array_filter":
		return builtin{min: 1, max: 2, forms: "one- and two-argument", callback: 1, run: runArrayFilter}, true
	case "array_values":
		return one(runArrayValues), true
	}
	return builtin{callback: -1}, false
}

// call reads name(args) and runs it when live.
func (p *interp) call(name token, live bool) (val, error) {
	fn := strings.ToLower(strings.TrimPrefix(name.text, `\`))
	b, known := lookupBuiltin(fn)
	if !known && live {
		return val{}, p.unsupported(name.pos, "function call %s()", name.text)
	}
	args, err := p.args(live, b.callback)
	if err != nil || !live {
		return val{}, err
	}
	if len(args) < b.min || len(args) > b.max {
		return val{}, p.unsupported(name.pos, "%s() with %d arguments: only the %s form is supported", fn, len(args), b.forms)
	}
	return b.run(p, name, args)
}

// stringArg converts argument i to a string as PHP does for a string
// parameter; an array is a TypeError.
func (p *interp) stringArg(name token, args []arg, i int) (string, error) {
	s, err := toStr(args[i].v)
	if err != nil {
		return "", p.errorf(args[i].pos, "%s(): argument #%d must be a string, got %s", lowerName(name), i+1, TypeName(args[i].v))
	}
	return s, nil
}

// arrayArg checks that argument i is an array.
func (p *interp) arrayArg(name token, args []arg, i int) (*Array, error) {
	a, ok := args[i].v.(*Array)
	if !ok {
		return nil, p.errorf(args[i].pos, "%s(): argument #%d must be an array, got %s", lowerName(name), i+1, TypeName(args[i].v))
	}
	return a, nil
}

func lowerName(name token) string { return strings.ToLower(strings.TrimPrefix(name.text, `\`)) }

func runGetenv(p *interp, name token, args []arg) (val, error) {
	s, err := p.stringArg(name, args, 0)
	if err != nil {
		return val{}, err
	}
	v, ok := p.env(s)
	if !ok {
		return val{v: false}, nil
	}
	return val{v: v}, nil
}

func runTrim(p *interp, name token, args []arg) (val, error) {
	s, err := p.stringArg(name, args, 0)
	return val{v: strings.Trim(s, " \t\n\r\x00\x0B")}, err
}

// runStrtolower lowers ASCII letters only, as PHP 8.2 does whatever the locale.
func runStrtolower(p *interp, name token, args []arg) (val, error) {
	s, err := p.stringArg(name, args, 0)
	if err != nil {
		return val{}, err
	}
	if err := p.spend(name.pos, 0, len(s)); err != nil {
		return val{}, err
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return val{v: string(b)}, nil
}

func runFileGetContents(p *interp, name token, args []arg) (val, error) {
	s, err := p.stringArg(name, args, 0)
	if err != nil {
		return val{}, err
	}
	if s == "" && args[0].v == false {
		return val{}, p.errorf(args[0].pos, "file_get_contents(): path cannot be empty: the argument is false (an unset environment variable?)")
	}
	return p.fileGetContents(name, args[0].pos, s)
}

// fileGetContents reads a secret file through the injected reader. PHP
// would warn and return false for a missing file; a configuration that
// names a file means it to exist, so that is an error here.
func (p *interp) fileGetContents(name token, argPos int, path string) (val, error) {
	if path == "" {
		return val{}, p.errorf(argPos, "file_get_contents(): path cannot be empty")
	}
	data, err := p.readFile(path)
	if err != nil {
		e := p.errorf(name.pos, "file_get_contents(%q): %v", path, err)
		e.Err = err
		return val{}, e
	}
	if len(data) > MaxFileSize {
		return val{}, p.errorf(name.pos, "file_get_contents(%q): file is %d bytes, more than %d", path, len(data), MaxFileSize)
	}
	if err := p.spend(name.pos, 0, len(data)); err != nil {
		return val{}, err
	}
	return val{v: string(data)}, nil
}

// args reads a call's arguments after its name, "(" next. The argument at
// index callback may be a closure.
func (p *interp) args(live bool, callback int) ([]arg, error) {
	open := p.next()
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	var args []arg
	for {
		t := p.peek(0)
		switch {
		case t.is(")"):
			p.next()
			return args, nil
		case t.is("..."):
			return nil, p.unsupported(t.pos, "spread operator ...")
		case t.kind == tName && p.peek(1).is(":"):
			return nil, p.unsupported(t.pos, "named argument %s:", t.text)
		case t.kind == tEOF:
			return nil, p.errorf(open.pos, "syntax error: unclosed %q", open.text)
		}
		var v Value
		var err error
		if len(args) == callback && t.isKeyword("function") && p.peek(1).is("(") {
			p.next()
			v, err = p.closure(t, live)
		} else {
			v, err = p.expr(live)
		}
		if err != nil {
			return nil, err
		}
		args = append(args, arg{v: v, pos: t.pos})
		if sep := p.peek(0); sep.is(",") {
			p.next()
			continue
		}
		return args, p.closing(open, ")", true)
	}
}

// classMember reads Class::NAME, Class::class, Class::$prop or
// Class::method(); "::" is next.
func (p *interp) classMember(class token, live bool) (val, error) {
	p.next()
	m := p.next()
	switch {
	case m.kind == tVar && !live:
		return val{}, nil
	case m.kind == tVar && strings.EqualFold(strings.TrimPrefix(class.text, `\`), "OC") && m.text == "SERVERROOT":
		if p.serverRoot == "" {
			return val{}, p.errorf(class.pos, "%s::$SERVERROOT: the Nextcloud folder is not known here", class.text)
		}
		return val{v: p.serverRoot}, nil
	case m.kind == tVar:
		return val{}, p.unsupported(class.pos, "static property %s::$%s", class.text, m.text)
	case m.kind != tName:
		return val{}, p.unexpected(m, "a name after ::")
	case p.peek(0).is("("):
		if live {
			return val{}, p.unsupported(class.pos, "static method call %s::%s()", class.text, m.text)
		}
		_, err := p.args(false, -1)
		return val{}, err
	case strings.EqualFold(m.text, "class"):
		switch strings.ToLower(class.text) {
		case "static", "self", "parent":
			return val{}, p.unsupported(class.pos, "%s::class", class.text)
		}
		// Without namespace or use statements a name resolves to itself.
		return val{v: strings.TrimPrefix(class.text, `\`)}, nil
	}
	if v, ok := classConstant(class.text, m.text); ok {
		return val{v: v}, nil
	}
	if live {
		return val{}, p.unsupported(class.pos, "class constant %s::%s", class.text, m.text)
	}
	return val{}, nil
}

// classConstant knows the constants Nextcloud's documentation puts in
// config.php. Class names ignore case in PHP; constant names do not.
func classConstant(class, name string) (int64, bool) {
	switch strings.ToLower(strings.TrimPrefix(class, `\`)) {
	case "rediscluster":
		switch name {
		case "FAILOVER_NONE":
			return 0, true
		case "FAILOVER_ERROR":
			return 1, true
		case "FAILOVER_DISTRIBUTE", "DISTRIBUTE":
			return 2, true
		case "FAILOVER_DISTRIBUTE_SLAVES":
			return 3, true
		}
	case "pdo":
		switch name {
		case "MYSQL_ATTR_SSL_KEY":
			return 1007, true
		case "MYSQL_ATTR_SSL_CERT":
			return 1008, true
		case "MYSQL_ATTR_SSL_CA":
			return 1009, true
		case "MYSQL_ATTR_SSL_VERIFY_SERVER_CERT":
			return 1014, true
		}
	}
	return 0, false
}
