package php

import (
	"errors"
	"fmt"
	"os"
)

// Env looks up an environment variable for getenv(): the value and whether
// it is set.
type Env func(name string) (string, bool)

// ReadFile reads a whole file, for file_get_contents() and LoadFiles.
type ReadFile func(path string) ([]byte, error)

// Limits that keep hostile input from exhausting memory or the stack. Real
// configuration files are a few kilobytes and nest a handful of levels.
const (
	MaxFileSize = 10 << 20
	MaxDepth    = 256
)

// Parse runs the config.php source src and returns the final $CONFIG.
// filename is used in error messages only. env answers getenv() and
// readFile answers file_get_contents(); nil means the process environment
// and os.ReadFile.
//
// A file that never mentions $CONFIG is an error; one whose assignments all
// sit on branches not taken (an official image file whose variables are
// unset) yields an empty array, as PHP would leave nothing to merge.
func Parse(filename string, src []byte, env Env, readFile ReadFile) (*Array, error) {
	if env == nil {
		env = os.LookupEnv
	}
	if readFile == nil {
		readFile = os.ReadFile
	}
	p := &interp{
		file:     filename,
		pos:      position{src: src},
		lx:       newLexer(src),
		env:      env,
		readFile: readFile,
	}
	if len(src) > MaxFileSize {
		return nil, p.errorf(0, "file is %d bytes, more than the %d a configuration may have", len(src), MaxFileSize)
	}
	return p.run()
}

// interp reads and runs a file in one pass: statements execute as they are
// parsed, and code on branches not taken is parsed without being evaluated
// (expressions) or only bracket-matched (blocks), as PHP would not run it.
type interp struct {
	file     string
	pos      position
	lx       *lexer
	look     [2]token
	nlook    int
	env      Env
	readFile ReadFile
	depth    int
	config   *Array
}

func (p *interp) peek(n int) token {
	for p.nlook <= n {
		p.look[p.nlook] = p.lx.next()
		p.nlook++
	}
	return p.look[n]
}

func (p *interp) next() token {
	t := p.peek(0)
	p.look[0] = p.look[1]
	p.nlook--
	return t
}

func (p *interp) errorf(off int, format string, args ...any) *Error {
	line, col := p.pos.lineCol(off)
	return &Error{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// unsupported reports valid PHP outside the subset.
func (p *interp) unsupported(off int, format string, args ...any) *Error {
	e := p.errorf(off, "unsupported PHP construct: "+format, args...)
	e.Err = ErrUnsupported
	return e
}

// unsupportedVar reports a variable other than $CONFIG.
func (p *interp) unsupportedVar(t token) *Error {
	e := p.errorf(t.pos, "variable $%s is not supported: only $CONFIG", t.text)
	if t.text == "CONFIG" {
		e.Msg = "reading $CONFIG is not supported: only assigning to it"
	}
	e.Err = ErrUnsupported
	return e
}

// unexpected reports t where something else was expected; a lexer error
// token reports itself.
func (p *interp) unexpected(t token, expected string) *Error {
	if t.kind == tError {
		return p.errorf(t.pos, "%s", t.text)
	}
	msg := "syntax error: unexpected " + t.describe()
	if expected != "" {
		msg += ", expected " + expected
	}
	if t.multiLineBefore > 0 {
		msg += fmt.Sprintf(" (the string at %s spans lines: is a closing quote missing?)", p.where(t.multiLineBefore-1))
	}
	return p.errorf(t.pos, "%s", msg)
}

// closing reads the token that should close open: end of file names the
// opener, a wrong token says what it was meant to close. In a list, a
// comma was the other possibility.
func (p *interp) closing(open token, want string, inList bool) error {
	t := p.next()
	switch {
	case t.is(want):
		return nil
	case t.kind == tEOF:
		return p.errorf(open.pos, "syntax error: unclosed %q", open.text)
	}
	expected := fmt.Sprintf("%q", want)
	if inList {
		expected = `"," or ` + expected
	}
	return p.unexpected(t, fmt.Sprintf("%s to close %q at %s", expected, open.text, p.where(open.pos)))
}

func (p *interp) expect(op string) error {
	if t := p.next(); !t.is(op) {
		return p.unexpected(t, fmt.Sprintf("%q", op))
	}
	return nil
}

// enter guards recursion: blocks, sub-expressions and prefix operators.
func (p *interp) enter(off int) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(off, "nested deeper than %d levels", MaxDepth)
	}
	return nil
}

func (p *interp) leave() { p.depth-- }

// wrapErr attaches a position to an error from a conversion or builtin.
func (p *interp) wrapErr(off int, err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	e := p.errorf(off, "%v", err)
	e.Err = errors.Unwrap(err)
	return e
}
