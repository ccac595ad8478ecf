package php

import (
	"strings"
)

// val is an evaluated operand. unset marks an offset that does not exist:
// it reads as null (or "" for a string offset) everywhere except on the
// left of ??, which then takes its right side, as PHP's isset mode does.
type val struct {
	v     Value
	unset bool
}

// Expressions are parsed and evaluated in one pass. With live false the
// parser checks syntax only: PHP would not evaluate that operand (the
// untaken side of ?:, &&, || or ??), so nothing there may fail or read a
// file. Precedence, loosest first, as in PHP 8:
//
//	?:  ??  ||  &&  == != === !==  .  unary (! - + casts)  postfix [ ]

func (p *interp) expr(live bool) (Value, error) {
	r, err := p.ternary(live)
	return r.v, err
}

func (p *interp) ternary(live bool) (val, error) {
	if err := p.enter(p.peek(0).pos); err != nil {
		return val{}, err
	}
	defer p.leave()
	r, err := p.coalesce(live)
	if err != nil {
		return r, err
	}
	prevShort, chained := false, false
	for p.peek(0).is("?") {
		q := p.next()
		short := p.peek(0).is(":")
		// PHP 8 rejects a ? b : c ? d : e; only a ?: b ?: c may chain.
		if chained && !(prevShort && short) {
			return val{}, p.errorf(q.pos, "syntax error: nested ternary operators need parentheses")
		}
		cond := live && truthy(r.v)
		if short {
			p.next()
			rhs, err := p.coalesce(live && !cond)
			if err != nil {
				return val{}, err
			}
			if !cond {
				r = rhs
			}
		} else {
			then, err := p.ternary(live && cond)
			if err != nil {
				return val{}, err
			}
			if err := p.expect(":"); err != nil {
				return val{}, err
			}
			els, err := p.coalesce(live && !cond)
			if err != nil {
				return val{}, err
			}
			r = els
			if cond {
				r = then
			}
		}
		r.unset = false
		prevShort, chained = short, true
	}
	return r, nil
}

func (p *interp) coalesce(live bool) (val, error) {
	l, err := p.or(live)
	if err != nil || !p.peek(0).is("??") {
		return l, err
	}
	q := p.next()
	if err := p.enter(q.pos); err != nil {
		return val{}, err
	}
	defer p.leave()
	useRight := live && (l.unset || l.v == nil)
	r, err := p.coalesce(useRight) // right-associative
	if err != nil || useRight {
		return r, err
	}
	return val{v: l.v}, nil
}

func (p *interp) or(live bool) (val, error) {
	l, err := p.and(live)
	for err == nil && p.peek(0).is("||") {
		p.next()
		lt := truthy(l.v)
		var r val
		r, err = p.and(live && !lt)
		l = val{v: live && (lt || truthy(r.v))}
	}
	return l, err
}

func (p *interp) and(live bool) (val, error) {
	l, err := p.equality(live)
	for err == nil && p.peek(0).is("&&") {
		p.next()
		lt := truthy(l.v)
		var r val
		r, err = p.equality(live && lt)
		l = val{v: live && lt && truthy(r.v)}
	}
	return l, err
}

func isEqualityOp(t token) bool {
	return t.is("==") || t.is("!=") || t.is("<>") || t.is("===") || t.is("!==")
}

func (p *interp) equality(live bool) (val, error) {
	l, err := p.concat(live)
	if err != nil || !isEqualityOp(p.peek(0)) {
		return l, err
	}
	op := p.next()
	r, err := p.concat(live)
	if err != nil {
		return val{}, err
	}
	if t := p.peek(0); isEqualityOp(t) {
		return val{}, p.errorf(t.pos, "syntax error: unexpected %s: comparisons do not chain in PHP", t.describe())
	}
	if !live {
		return val{}, nil
	}
	var eq bool
	switch op.text {
	case "===", "!==":
		eq = strictEqual(l.v, r.v)
	default:
		eq = looseEqual(l.v, r.v)
	}
	if op.text[0] == '!' || op.text == "<>" {
		eq = !eq
	}
	return val{v: eq}, nil
}

// unsupportedBinary are PHP's binary operators outside the subset.
var unsupportedBinary = []string{
	"+", "-", "*", "/", "%", "**", "<", ">", "<=", ">=", "<=>", "&", "|", "^", "<<", ">>",
	"instanceof", "and", "or", "xor",
}

func (p *interp) concat(live bool) (val, error) {
	l, err := p.unary(live)
	for err == nil {
		t := p.peek(0)
		for _, op := range unsupportedBinary {
			if t.is(op) || (t.kind == tName && strings.EqualFold(t.text, op)) {
				return val{}, p.unsupported(t.pos, "operator %s", op)
			}
		}
		if !t.is(".") {
			break
		}
		p.next()
		rt := p.peek(0)
		var r val
		if r, err = p.unary(live); err != nil || !live {
			l = val{}
			continue
		}
		ls, lerr := toStr(l.v)
		if lerr != nil {
			return val{}, p.wrapErr(t.pos, lerr)
		}
		rs, rerr := toStr(r.v)
		if rerr != nil {
			return val{}, p.wrapErr(rt.pos, rerr)
		}
		if err := p.spend(t.pos, 0, len(ls)+len(rs)); err != nil {
			return val{}, err
		}
		l = val{v: ls + rs}
	}
	return l, err
}

func (p *interp) unary(live bool) (val, error) {
	t := p.peek(0)
	switch {
	case t.is("!"), t.is("-"), t.is("+"), t.is("@"), t.is("~"), t.kind == tCast:
	case t.is("&"), t.is("++"), t.is("--"):
		return val{}, p.unsupported(t.pos, "operator %s", t.text)
	default:
		return p.postfix(live)
	}
	p.next()
	if t.kind == tCast && (t.text == "real" || t.text == "unset") {
		return val{}, p.errorf(t.pos, "syntax error: the (%s) cast was removed in PHP 8", t.text)
	}
	if err := p.enter(t.pos); err != nil {
		return val{}, err
	}
	defer p.leave()
	x, err := p.unary(live)
	if err != nil || !live {
		return val{}, err
	}
	v := x.v
	switch {
	case t.is("!"):
		return val{v: !truthy(v)}, nil
	case t.is("-"):
		v, err = negate(v)
	case t.is("+"):
		v, err = toNumber(v)
	case t.is("@"):
		return val{}, p.unsupported(t.pos, "error suppression operator @")
	case t.is("~"):
		return val{}, p.unsupported(t.pos, "operator ~")
	default:
		return p.cast(t, v)
	}
	if err != nil {
		return val{}, p.wrapErr(t.pos, err)
	}
	return val{v: v}, nil
}

func (p *interp) cast(t token, v Value) (val, error) {
	switch t.text {
	case "int", "integer":
		return val{v: toInt(v)}, nil
	case "bool", "boolean":
		return val{v: truthy(v)}, nil
	case "float", "double":
		return val{v: toFloat(v)}, nil
	case "string", "binary":
		s, err := toStr(v)
		if err != nil {
			return val{}, p.wrapErr(t.pos, err)
		}
		return val{v: s}, nil
	}
	return val{}, p.unsupported(t.pos, "(%s) cast", t.text)
}

func (p *interp) postfix(live bool) (val, error) {
	x, err := p.primary(live)
	for err == nil {
		t := p.peek(0)
		switch {
		case t.is("->"), t.is("?->"), t.is("::"):
			return val{}, p.unsupported(t.pos, "%s access", t.text)
		case t.is("("):
			return val{}, p.unsupported(t.pos, "call of an expression")
		case !t.is("["):
			return x, nil
		}
		open := p.next()
		if end := p.peek(0); end.is("]") {
			return val{}, p.errorf(end.pos, "syntax error: cannot use [] for reading")
		}
		kt := p.peek(0)
		var k Value
		if k, err = p.expr(live); err != nil {
			break
		}
		if err = p.closing(open, "]", false); err != nil || !live {
			x = val{}
			continue
		}
		x, err = p.offset(x.v, k, kt.pos)
	}
	return val{}, err
}

// offset reads x[k]: an array element, or a one-byte string. A missing
// element reads as null and a string offset out of range as "" (PHP warns;
// here the value is what a configuration would get).
func (p *interp) offset(x, k Value, kpos int) (val, error) {
	switch x := x.(type) {
	case *Array:
		key, err := toKey(k)
		if err != nil {
			return val{}, p.wrapErr(kpos, err)
		}
		v, ok := x.GetKey(key)
		return val{v: v, unset: !ok}, nil
	case string:
		var i int64
		switch k := k.(type) {
		case int64:
			i = k
		case string:
			n, ok := canonicalInt(k)
			if !ok {
				return val{}, p.errorf(kpos, "cannot access offset %s of a string: offsets are integers", quoteSingle(k))
			}
			i = n
		default:
			return val{}, p.errorf(kpos, "cannot access offset of type %s on a string", TypeName(k))
		}
		if i < 0 {
			i += int64(len(x))
		}
		if i < 0 || i >= int64(len(x)) {
			return val{v: "", unset: true}, nil
		}
		return val{v: x[i : i+1]}, nil
	}
	// Offsets of null, bools and numbers read as null in PHP.
	return val{unset: true}, nil
}

func (p *interp) primary(live bool) (val, error) {
	t := p.next()
	switch t.kind {
	case tString:
		if live && t.bad != "" {
			return val{}, p.unsupported(t.badPos, "%s", t.bad)
		}
		return val{v: t.str}, nil
	case tInt:
		return val{v: t.num}, nil
	case tFloat:
		return val{v: t.flt}, nil
	case tVar:
		return p.variable(t, live)
	case tName:
		return p.name(t, live)
	case tOp:
		switch t.text {
		case "(":
			x, err := p.ternary(live)
			if err != nil {
				return val{}, err
			}
			return x, p.closing(t, ")", false)
		case "[":
			return p.arrayLiteral(t, "]", live)
		}
	}
	return val{}, p.unexpected(t, "a value")
}

// name handles what starts with an identifier: true/false/null, array(),
// function calls and class constants.
func (p *interp) name(t token, live bool) (val, error) {
	bare := strings.TrimPrefix(t.text, `\`)
	lower := strings.ToLower(bare)
	switch next := p.peek(0); {
	case next.is("(") && lower == "array" && bare == t.text:
		return p.arrayLiteral(p.next(), ")", live)
	case next.is("(") && lower == "function":
		if _, err := p.closure(t, false); err != nil || !live {
			return val{}, err
		}
		return val{}, p.unsupported(t.pos, "closure outside a callback of %s", callbackFunctions)
	case next.is("(") && lower == "fn":
		return val{}, p.unsupported(t.pos, "arrow function (closure) fn")
	case next.is("("):
		return p.call(t, live)
	case next.is("::"):
		return p.classMember(t, live)
	}
	switch lower {
	case "true":
		return val{v: true}, nil
	case "false":
		return val{v: false}, nil
	case "null":
		return val{v: nil}, nil
	case "new", "function", "fn", "static", "match", "clone", "include", "require", "include_once", "require_once", "print", "throw", "yield", "isset", "empty", "list":
		return val{}, p.unsupported(t.pos, "%s", lower)
	}
	if live {
		return val{}, p.unsupported(t.pos, "constant %s", t.text)
	}
	return val{}, nil
}

// arrayLiteral reads the elements of array(...) or [...] after the opener.
func (p *interp) arrayLiteral(open token, end string, live bool) (val, error) {
	if err := p.enter(open.pos); err != nil {
		return val{}, err
	}
	defer p.leave()
	var arr *Array
	if live {
		arr = NewArray()
	}
	for {
		t := p.peek(0)
		switch {
		case t.is(end):
			p.next()
			if !live {
				return val{}, nil
			}
			return val{v: arr}, nil
		case t.is("..."):
			return val{}, p.unsupported(t.pos, "spread operator ...")
		case t.is("&"):
			return val{}, p.unsupported(t.pos, "reference &")
		case t.is(","):
			return val{}, p.errorf(t.pos, "syntax error: empty array element")
		case t.kind == tEOF:
			return val{}, p.errorf(open.pos, "syntax error: unclosed %q", open.text)
		}
		first, err := p.expr(live)
		if err != nil {
			return val{}, err
		}
		if arrow := p.peek(0); arrow.is("=>") {
			p.next()
			r := p.peek(0)
			if r.is("&") {
				return val{}, p.unsupported(r.pos, "reference &")
			}
			v, err := p.expr(live)
			if err != nil {
				return val{}, err
			}
			if live {
				key, err := toKey(first)
				if err != nil {
					return val{}, p.wrapErr(t.pos, err)
				}
				arr.setAt(key, v, p.at(r.pos))
			}
		} else if live {
			if err := arr.appendAt(first, p.at(t.pos)); err != nil {
				return val{}, p.wrapErr(t.pos, err)
			}
		}
		if sep := p.peek(0); sep.is(",") {
			p.next()
			continue
		}
		if err := p.closing(open, end, true); err != nil {
			return val{}, err
		}
		if !live {
			return val{}, nil
		}
		return val{v: arr}, nil
	}
}
