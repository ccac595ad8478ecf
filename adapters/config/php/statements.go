package php

import (
	"fmt"
	"strings"
)

func (p *interp) run() (*Array, error) {
	for p.peek(0).kind != tEOF {
		if err := p.statement(); err != nil {
			return nil, err
		}
	}
	if !p.lx.sawConfig {
		if at := p.lx.configLike; at > 0 {
			name := p.lx.src[at : at+len("CONFIG")]
			return nil, p.errorf(at-1, "no $CONFIG assignment: $%s is another variable, as PHP's variable names are case-sensitive", name)
		}
		return nil, p.errorf(0, "no $CONFIG assignment: is this Nextcloud's config.php?")
	}
	if p.config == nil {
		return NewArray(), nil
	}
	return p.config, nil
}

// unsupportedStatement names the PHP statement a lower-cased keyword
// starts, or "" for other names.
func unsupportedStatement(kw string) string {
	switch kw {
	case "function", "class", "interface", "trait", "enum":
		return kw + " declaration"
	case "return", "echo", "print", "include", "include_once", "require", "require_once",
		"declare", "namespace", "use", "abstract", "final", "readonly", "foreach", "for", "while",
		"do", "switch", "try", "throw", "global", "static", "unset", "const", "goto", "exit", "die",
		"break", "continue":
		return kw + " statement"
	}
	return ""
}

func (p *interp) statement() error {
	t := p.next()
	switch {
	case t.is(";"), t.kind == tCloseTag:
		return nil
	case t.is("{"):
		return p.block(t)
	case t.is("#["):
		return p.unsupported(t.pos, "attribute #[...]")
	case t.kind == tVar && t.text == "CONFIG":
		return p.assign()
	case t.kind == tVar:
		return p.assignLocal(t)
	case t.isKeyword("if"):
		return p.ifStatement()
	case t.kind == tName:
		kw := strings.ToLower(t.text)
		if kw == "else" || kw == "elseif" {
			return p.unexpected(t, "")
		}
		if what := unsupportedStatement(kw); what != "" {
			return p.unsupported(t.pos, "%s", what)
		}
		if p.peek(0).is("(") {
			return p.unsupported(t.pos, "function call %s()", t.text)
		}
		return p.unsupported(t.pos, "statement starting with %s", t.text)
	}
	return p.unexpected(t, "")
}

// block runs the statements of a block whose "{" was just read.
func (p *interp) block(open token) error {
	if err := p.enter(open.pos); err != nil {
		return err
	}
	defer p.leave()
	for {
		switch t := p.peek(0); {
		case t.is("}"):
			p.next()
			return nil
		case t.kind == tEOF:
			return p.errorf(open.pos, "syntax error: unclosed %q", "{")
		}
		if err := p.statement(); err != nil {
			return err
		}
	}
}

// closer is the bracket that closes op, or "" when op opens nothing.
func closer(op string) string {
	switch op {
	case "(":
		return ")"
	case "[", "#[":
		return "]"
	case "{":
		return "}"
	}
	return ""
}

// skip passes over code PHP would not run, up to the bracket matching the
// opener just read. The tokens must still lex and brackets must balance,
// but whatever they say is not evaluated.
func (p *interp) skip(open token) error {
	stack := []token{open}
	for len(stack) > 0 {
		t := p.next()
		switch {
		case t.kind == tError:
			return p.unexpected(t, "")
		case t.kind == tEOF:
			top := stack[len(stack)-1]
			return p.errorf(top.pos, "syntax error: unclosed %q", top.text)
		case t.kind == tOp && closer(t.text) != "":
			if len(stack) >= MaxDepth {
				return p.errorf(t.pos, "nested deeper than %d levels", MaxDepth)
			}
			stack = append(stack, t)
		case t.is(")"), t.is("]"), t.is("}"):
			top := stack[len(stack)-1]
			if want := closer(top.text); t.text != want {
				return p.errorf(t.pos, "syntax error: unexpected %q, expected %q to close %q at %s", t.text, want, top.text, p.where(top.pos))
			}
			stack = stack[:len(stack)-1]
		}
	}
	return nil
}

func (p *interp) where(off int) string {
	line, col := p.pos.lineCol(off)
	return fmt.Sprintf("%d:%d", line, col)
}

// ifStatement runs if/elseif/else if/else with braced blocks; "if" was read.
func (p *interp) ifStatement() error {
	taken := false
	for {
		open := p.next()
		if !open.is("(") {
			return p.unexpected(open, `"(" after if`)
		}
		run := false
		if taken {
			if err := p.skip(open); err != nil {
				return err
			}
		} else {
			cond, err := p.expr(true)
			if err != nil {
				return err
			}
			if err := p.closing(open, ")", false); err != nil {
				return err
			}
			run = truthy(cond)
		}
		if err := p.body(run); err != nil {
			return err
		}
		taken = taken || run
		switch t := p.peek(0); {
		case t.isKeyword("elseif"):
			p.next()
		case t.isKeyword("else") && p.peek(1).isKeyword("if"):
			p.next()
			p.next()
		case t.isKeyword("else"):
			p.next()
			return p.body(!taken)
		default:
			return nil
		}
	}
}

// body runs or skips the braced block of an if branch.
func (p *interp) body(run bool) error {
	brace := p.next()
	switch {
	case brace.is(":"):
		return p.unsupported(brace.pos, "alternative syntax if (...): ... endif")
	case !brace.is("{"):
		if brace.kind == tError || brace.kind == tEOF {
			return p.unexpected(brace, `"{"`)
		}
		return p.unsupported(brace.pos, "if without braces")
	case run:
		return p.block(brace)
	}
	return p.skip(brace)
}

// pathSeg is one [key] or [] of an assignment target.
type pathSeg struct {
	key    Key
	append bool
	pos    int
}

// assign runs $CONFIG[...]... = expr; "$CONFIG" was read.
func (p *interp) assign() error {
	var path []pathSeg
	for p.peek(0).is("[") {
		open := p.next()
		if p.peek(0).is("]") {
			p.next()
			path = append(path, pathSeg{append: true, pos: open.pos})
			continue
		}
		kt := p.peek(0)
		k, err := p.expr(true)
		if err != nil {
			return err
		}
		key, err := toKey(k)
		if err != nil {
			return p.wrapErr(kt.pos, err)
		}
		if err := p.closing(open, "]", false); err != nil {
			return err
		}
		path = append(path, pathSeg{key: key, pos: kt.pos})
	}
	vt, v, err := p.assignment("CONFIG")
	if err != nil {
		return err
	}
	return p.store(path, v, vt.pos)
}

// assignLocal runs $name = expr; for a local variable; "$name" was read.
func (p *interp) assignLocal(v token) error {
	if isPHPVariable(v.text) {
		return p.unsupportedVar(v)
	}
	if t := p.peek(0); t.is("[") {
		return p.unsupported(t.pos, "assigning to an element of $%s: only $CONFIG is assigned element by element", v.text)
	}
	_, val, err := p.assignment(v.text)
	if err != nil {
		return err
	}
	p.vars[v.text] = val
	return nil
}

// assignment reads "= expr;" after the target $name... and returns where
// the value starts and the value.
func (p *interp) assignment(name string) (token, Value, error) {
	op := p.next()
	switch {
	case op.is("="):
	case isCompoundAssign(op):
		return token{}, nil, p.unsupported(op.pos, "compound assignment %s", op.text)
	case op.is("->"), op.is("?->"), op.is("++"), op.is("--"):
		return token{}, nil, p.unsupported(op.pos, "%s on $%s", op.text, name)
	default:
		return token{}, nil, p.unexpected(op, `"=" after $`+name)
	}
	if t := p.peek(0); t.is("&") {
		return token{}, nil, p.unsupported(t.pos, "assignment by reference")
	}
	vt := p.peek(0)
	v, err := p.expr(true)
	if err != nil {
		return token{}, nil, err
	}
	if end := p.next(); !end.is(";") && end.kind != tCloseTag {
		return token{}, nil, p.unexpected(end, `";"`)
	}
	return vt, v, nil
}

// isCompoundAssign reports .=, +=, ??= and the like.
func isCompoundAssign(op token) bool {
	return op.kind == tOp && strings.HasSuffix(op.text, "=") && len(op.text) > 1 &&
		op.text != "==" && op.text != "===" && op.text != "!=" && op.text != "!==" && op.text != "<=" && op.text != ">="
}

// store puts v at path in $CONFIG, creating arrays on the way as PHP does
// for missing, null and false elements.
func (p *interp) store(path []pathSeg, v Value, valuePos int) error {
	if len(path) == 0 {
		arr, ok := v.(*Array)
		if !ok {
			return p.errorf(valuePos, "$CONFIG must be an array, got %s", TypeName(v))
		}
		p.config = arr
		return nil
	}
	at := p.at(valuePos)
	if p.config == nil {
		p.config = NewArray()
	}
	cur, name := p.config, "$CONFIG"
	for _, seg := range path[:len(path)-1] {
		var child Value
		if !seg.append {
			child, _ = cur.GetKey(seg.key)
		}
		arr, ok := child.(*Array)
		if !ok {
			if child != nil && child != false {
				return p.errorf(seg.pos, "cannot use %s%s as an array: it is %s", name, seg, withArticle(child))
			}
			arr = NewArray()
			if err := p.put(cur, seg, arr, p.at(seg.pos)); err != nil {
				return err
			}
		}
		cur, name = arr, name+seg.String()
	}
	return p.put(cur, path[len(path)-1], v, at)
}

func (p *interp) put(a *Array, seg pathSeg, v Value, at Pos) error {
	if !seg.append {
		a.setAt(seg.key, v, at)
		return nil
	}
	if err := a.appendAt(v, at); err != nil {
		return p.wrapErr(seg.pos, err)
	}
	return nil
}

// String renders the segment as in source: ['key'], [5] or [].
func (s pathSeg) String() string {
	switch {
	case s.append:
		return "[]"
	case s.key.IsInt():
		return "[" + s.key.String() + "]"
	}
	return "[" + quoteSingle(s.key.String()) + "]"
}

// quoteSingle writes s as a PHP single-quoted literal.
func quoteSingle(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
