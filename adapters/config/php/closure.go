package php

// closure is an anonymous function of the form the image's files use:
// `function ($x) { return <expr>; }`, with plain parameters and no use
// clause. Its body is run by reading the source again from body, once per
// call, as the interpreter has no syntax tree.
type closure struct {
	pos    int // of "function", for messages
	params []string
	body   int // offset just after "{"
	size   int // source bytes of the body, charged per call
}

// closure reads a closure after "function"; "(" is next. Without live the
// syntax is only checked as far as brackets go, as for other code PHP would
// not run.
func (p *interp) closure(fn token, live bool) (Value, error) {
	open := p.next()
	if !live {
		if err := p.skip(open); err != nil {
			return nil, err
		}
		// A use (...) clause or a return type may come before the body.
		t := p.next()
		for ; !t.is("{"); t = p.next() {
			if t.kind == tEOF || t.kind == tError {
				return nil, p.unexpected(t, `"{"`)
			}
		}
		return nil, p.skip(t)
	}
	c := &closure{pos: fn.pos}
	for t := p.next(); !t.is(")"); t = p.next() {
		switch {
		case t.kind == tEOF, t.kind == tError:
			return nil, p.unexpected(t, `")"`)
		case t.kind != tVar || isPHPVariable(t.text) || t.text == "CONFIG":
			return nil, p.unsupported(t.pos, "closure parameter %s: only plain $name parameters", t.describe())
		}
		c.params = append(c.params, t.text)
		switch sep := p.peek(0); {
		case sep.is(","):
			p.next()
		case !sep.is(")"):
			return nil, p.unsupported(sep.pos, "closure parameter followed by %s: only plain $name parameters", sep.describe())
		}
	}
	brace := p.next()
	switch {
	case brace.isKeyword("use"):
		return nil, p.unsupported(brace.pos, "closure with use (...)")
	case brace.is(":"):
		return nil, p.unsupported(brace.pos, "closure with a return type")
	case !brace.is("{"):
		return nil, p.unexpected(brace, `"{"`)
	}
	c.body = brace.pos + 1
	if err := p.skip(brace); err != nil {
		return nil, err
	}
	c.size = p.peek(0).pos - c.body
	// Check the body's form now, so that a closure never called fails too.
	if _, err := p.sub(c, nil).closureBody(false); err != nil {
		return nil, err
	}
	return c, nil
}

// sub is an interpreter for c's body with vars as its only variables:
// closures see no variables of the file.
func (p *interp) sub(c *closure, vars map[string]Value) *interp {
	return &interp{
		file: p.file, pos: p.pos, lx: &lexer{src: p.lx.src, off: c.body, inPHP: true},
		env: p.env, readFile: p.readFile, serverRoot: p.serverRoot,
		depth: p.depth, vars: vars, budget: p.budget,
	}
}

// closureBody runs `return <expr>; }` and returns the value.
func (p *interp) closureBody(live bool) (Value, error) {
	if t := p.next(); !t.isKeyword("return") {
		return nil, p.unsupported(t.pos, "closure body other than one return statement")
	}
	v, err := p.expr(live)
	if err != nil {
		return nil, err
	}
	if end := p.next(); !end.is(";") {
		return nil, p.unexpected(end, `";"`)
	}
	if t := p.next(); !t.is("}") {
		return nil, p.unsupported(t.pos, "closure body other than one return statement")
	}
	return v, nil
}

// invoke calls c with args.
func (p *interp) invoke(c *closure, args ...Value) (Value, error) {
	p.budget.closureWork += c.size
	if p.budget.closureWork > MaxClosureWork {
		return nil, p.errorf(c.pos, "closures run more than %d bytes of code in total", MaxClosureWork)
	}
	if len(args) < len(c.params) {
		return nil, p.errorf(c.pos, "too few arguments to the closure: %d passed, %d expected", len(args), len(c.params))
	}
	vars := make(map[string]Value, len(c.params))
	for i, name := range c.params {
		vars[name] = args[i]
	}
	if err := p.enter(c.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.sub(c, vars).closureBody(true)
}
