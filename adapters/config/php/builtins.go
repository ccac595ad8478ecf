package php

import (
	"strings"
)

// arg is an evaluated call argument and where it starts.
type arg struct {
	v   Value
	pos int
}

// call reads name(args) and runs it when live: getenv, trim and
// file_get_contents are the functions the official image's files use.
func (p *interp) call(name token, live bool) (val, error) {
	fn := strings.ToLower(strings.TrimPrefix(name.text, `\`))
	switch fn {
	case "getenv", "trim", "file_get_contents":
	default:
		if live {
			return val{}, p.unsupported(name.pos, "function call %s()", name.text)
		}
	}
	args, err := p.args(live)
	if err != nil || !live {
		return val{}, err
	}
	if len(args) != 1 {
		return val{}, p.unsupported(name.pos, "%s() with %d arguments: only the one-argument form is supported", fn, len(args))
	}
	s, err := toStr(args[0].v)
	if err != nil {
		return val{}, p.errorf(args[0].pos, "%s(): argument #1 must be a string, got %s", fn, typeName(args[0].v))
	}
	switch fn {
	case "getenv":
		v, ok := p.env(s)
		if !ok {
			return val{v: false}, nil
		}
		return val{v: v}, nil
	case "trim":
		return val{v: strings.Trim(s, " \t\n\r\x00\x0B")}, nil
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
	return val{v: string(data)}, nil
}

// args reads a call's arguments after its name, "(" next.
func (p *interp) args(live bool) ([]arg, error) {
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
		v, err := p.expr(live)
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
	case m.kind == tVar:
		if live {
			return val{}, p.unsupported(class.pos, "static property %s::$%s", class.text, m.text)
		}
		return val{}, nil
	case m.kind != tName:
		return val{}, p.unexpected(m, "a name after ::")
	case p.peek(0).is("("):
		if live {
			return val{}, p.unsupported(class.pos, "static method call %s::%s()", class.text, m.text)
		}
		_, err := p.args(false)
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
