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

// Options say what a configuration file sees of the world.
type Options struct {
	// Env answers getenv(); nil means the process environment.
	Env Env
	// ReadFile answers file_get_contents() and reads the files LoadFiles
	// loads; nil means os.ReadFile.
	ReadFile ReadFile
	// ListDir lists the folder LoadFiles globs; nil means the folder's
	// files on disk.
	ListDir ListDir
	// ServerRoot is OC::$SERVERROOT, the Nextcloud folder. LoadFiles
	// defaults it to the parent of the main file's folder; for Parse,
	// empty makes OC::$SERVERROOT an error.
	ServerRoot string
}

// Limits that keep hostile input from exhausting memory, time or the stack.
// Real configuration files are a few kilobytes, nest a handful of levels and
// build a few dozen values.
const (
	MaxFileSize = 10 << 20
	MaxDepth    = 256
	// MaxElements bounds the array elements one file may build beyond its
	// literals: copies read from variables and the results of functions.
	MaxElements = 1 << 20
	// MaxBytes bounds the string bytes one file may build by concatenation,
	// functions and file reads.
	MaxBytes = 64 << 20
	// MaxClosureWork bounds the source bytes closures may run in total, as
	// a callback runs once per element.
	MaxClosureWork = 64 << 20
)

// Parse runs the config.php source src and returns the final $CONFIG.
// filename is used in error messages only.
//
// A file that never mentions $CONFIG is an error; one whose assignments all
// sit on branches not taken (an official image file whose variables are
// unset) yields an empty array, as PHP would leave nothing to merge.
func Parse(filename string, src []byte, opts Options) (*Array, error) {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	p := &interp{
		file:       filename,
		pos:        &position{src: src},
		lx:         newLexer(src),
		env:        opts.Env,
		readFile:   opts.ReadFile,
		serverRoot: opts.ServerRoot,
		vars:       make(map[string]Value),
		budget:     &budget{},
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
	file       string
	pos        *position
	lx         *lexer
	look       [2]token
	nlook      int
	env        Env
	readFile   ReadFile
	serverRoot string
	depth      int
	config     *Array
	// vars are the file's local variables (a closure's parameters inside
	// a closure); PHP's include shares them with nothing we read.
	vars   map[string]Value
	budget *budget
}

// budget is what one file has spent of the limits, shared with the
// closures it runs.
type budget struct {
	elements, bytes, closureWork int
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

// at is the position of offset off, for values stored in arrays.
func (p *interp) at(off int) Pos {
	line, col := p.pos.lineCol(off)
	return Pos{Line: line, Col: col}
}

// spend charges n elements and b string bytes to the file's budget.
func (p *interp) spend(off, n, b int) error {
	p.budget.elements += n
	p.budget.bytes += b
	switch {
	case p.budget.elements > MaxElements:
		return p.errorf(off, "the configuration builds more than %d array elements", MaxElements)
	case p.budget.bytes > MaxBytes:
		return p.errorf(off, "the configuration builds more than %d bytes of strings", MaxBytes)
	}
	return nil
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

// unsupportedVar reports reading $CONFIG or a variable PHP fills itself.
func (p *interp) unsupportedVar(t token) *Error {
	e := p.errorf(t.pos, "variable $%s is not supported: PHP fills it at run time", t.text)
	if t.text == "CONFIG" {
		e.Msg = "reading $CONFIG is not supported: only assigning to it"
	}
	e.Err = ErrUnsupported
	return e
}

// isPHPVariable reports the variables PHP itself fills, whose values a
// configuration read here cannot know.
func isPHPVariable(name string) bool {
	switch name {
	case "this", "GLOBALS", "_SERVER", "_ENV", "_GET", "_POST", "_COOKIE", "_FILES", "_REQUEST", "_SESSION",
		"argv", "argc", "http_response_header", "php_errormsg":
		return true
	}
	return false
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
