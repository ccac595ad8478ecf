package php

import (
	"bytes"
	"fmt"
	"strings"
)

type tokKind uint8

const (
	tEOF      tokKind = iota
	tError            // text is the message; the lexer stops here
	tVar              // text is the name without '$'
	tName             // text as written: getenv, \RedisCluster, OC\Foo
	tString           // str is the value; bad says why it cannot be evaluated
	tInt              // num
	tFloat            // flt
	tCast             // text is the lower-cased type: (int) → "int"
	tOp               // text is the operator or punctuation
	tCloseTag         // ?>, which also ends a statement
)

type token struct {
	kind tokKind
	pos  int
	text string
	str  string
	num  int64
	flt  float64
	// bad, when set on a tString, names the construct that puts the literal
	// outside the subset (interpolation, heredoc, shell command); badPos is
	// where it is.
	bad    string
	badPos int
	// multiLineBefore is 1 + the offset of a string spanning lines that
	// directly precedes this token, for a hint about a missing quote.
	multiLineBefore int
}

func (t token) is(op string) bool { return t.kind == tOp && t.text == op }

// isKeyword reports whether t is the name kw, ignoring case as PHP does
// for keywords.
func (t token) isKeyword(kw string) bool { return t.kind == tName && strings.EqualFold(t.text, kw) }

// describe names a token for "unexpected ..." messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tVar:
		return "$" + t.text
	case tName:
		return fmt.Sprintf("%q", t.text)
	case tString:
		return "string literal"
	case tInt, tFloat:
		return "number"
	case tCast:
		return "(" + t.text + ") cast"
	case tCloseTag:
		return `"?>"`
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

// lexer splits PHP source into tokens on demand, so memory stays bounded
// by the lookahead rather than the file.
type lexer struct {
	src   []byte
	off   int
	inPHP bool
	// sawConfig records whether $CONFIG occurs anywhere, including code
	// that is skipped, to tell "no $CONFIG at all" from "not assigned here".
	sawConfig bool
	// configLike is 1 + the offset of the first variable named like
	// $CONFIG in another case, for a hint when $CONFIG is missing.
	configLike int
	failed     bool
	// lastMultiLine is 1 + the offset of the previous token when it was a
	// string spanning lines, else 0.
	lastMultiLine int
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func newLexer(src []byte) *lexer {
	lx := &lexer{src: src, inPHP: true}
	i := 0
	if bytes.HasPrefix(src, utf8BOM) {
		i = len(utf8BOM)
	}
	lx.off = i
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	// The open tag is optional: a file without one is read as code.
	if n := openTagLen(src, i); n > 0 {
		lx.off = i + n
	}
	return lx
}

// openTagLen is the length of "<?php" at i when it is a real open tag
// (followed by white space or the end), else 0.
func openTagLen(src []byte, i int) int {
	const tag = "<?php"
	if len(src)-i < len(tag) || !strings.EqualFold(string(src[i:i+len(tag)]), tag) {
		return 0
	}
	if j := i + len(tag); j < len(src) && !isSpace(src[j]) {
		return 0
	}
	return len(tag)
}

func (lx *lexer) next() token {
	if lx.failed {
		return token{kind: tEOF, pos: len(lx.src)}
	}
	start := lx.off
	t := lx.scan()
	if t.kind == tError {
		lx.failed = true
	}
	t.multiLineBefore = lx.lastMultiLine
	lx.lastMultiLine = 0
	if t.kind == tString && bytes.IndexByte(lx.src[max(start, t.pos):lx.off], '\n') >= 0 {
		lx.lastMultiLine = t.pos + 1
	}
	return t
}

func (lx *lexer) scan() token {
	s := lx.src
	for {
		if !lx.inPHP {
			lx.skipInline()
		}
		if lx.off >= len(s) {
			return token{kind: tEOF, pos: len(s)}
		}
		c := s[lx.off]
		switch {
		case isSpace(c):
			lx.off++
		case c == '#' && lx.peekByte(1) != '[', c == '/' && lx.peekByte(1) == '/':
			lx.skipLineComment()
		case c == '/' && lx.peekByte(1) == '*':
			end := bytes.Index(s[lx.off+2:], []byte("*/"))
			if end < 0 {
				return lx.errAt(lx.off, "unterminated comment")
			}
			lx.off += 2 + end + 2
		default:
			return lx.token()
		}
	}
}

// skipInline passes over text after "?>" up to the next "<?php": PHP
// prints it, so it is no part of the configuration.
func (lx *lexer) skipInline() {
	s := lx.src
	for i := lx.off; i < len(s); i++ {
		if s[i] == '<' {
			if n := openTagLen(s, i); n > 0 {
				lx.off, lx.inPHP = i+n, true
				return
			}
		}
	}
	lx.off = len(s)
}

func (lx *lexer) skipLineComment() {
	s := lx.src
	for lx.off < len(s) && s[lx.off] != '\n' && s[lx.off] != '\r' {
		if s[lx.off] == '?' && lx.peekByte(1) == '>' {
			return // a line comment ends before ?> in PHP
		}
		lx.off++
	}
}

func (lx *lexer) peekByte(n int) byte {
	if lx.off+n < len(lx.src) {
		return lx.src[lx.off+n]
	}
	return 0
}

func (lx *lexer) errAt(pos int, format string, args ...any) token {
	return token{kind: tError, pos: pos, text: fmt.Sprintf(format, args...)}
}

func (lx *lexer) token() token {
	s := lx.src
	start := lx.off
	c := s[start]
	switch {
	case c == '$' && isNameStart(lx.peekByte(1)):
		end := scanName(s, start+1)
		lx.off = end
		name := string(s[start+1 : end])
		switch {
		case name == "CONFIG":
			lx.sawConfig = true
		case lx.configLike == 0 && strings.EqualFold(name, "CONFIG"):
			lx.configLike = start + 1
		}
		return token{kind: tVar, pos: start, text: name}
	case (c == 'b' || c == 'B') && (lx.peekByte(1) == '\'' || lx.peekByte(1) == '"'):
		lx.off++ // b'...' is PHP's binary string prefix, same value
		t := lx.lexString()
		t.pos = start
		return t
	case isNameStart(c) || (c == '\\' && isNameStart(lx.peekByte(1))):
		return lx.lexName()
	case isDigit(c) || (c == '.' && isDigit(lx.peekByte(1))):
		return lx.lexNumber()
	case c == '\'' || c == '"' || c == '`':
		return lx.lexString()
	case c == '(':
		if t, ok := lx.lexCast(); ok {
			return t
		}
	case c == '?' && lx.peekByte(1) == '>':
		lx.off += 2
		lx.inPHP = false
		// PHP swallows one line break right after ?>.
		if bytes.HasPrefix(s[lx.off:], []byte("\r\n")) {
			lx.off += 2
		} else if lx.off < len(s) && s[lx.off] == '\n' {
			lx.off++
		}
		return token{kind: tCloseTag, pos: start}
	case c == '<' && bytes.HasPrefix(s[start:], []byte("<<<")):
		return lx.lexHeredoc()
	case c == '#':
		lx.off += 2
		return token{kind: tOp, pos: start, text: "#["}
	}
	for _, op := range operators {
		if bytes.HasPrefix(s[start:], []byte(op)) {
			lx.off += len(op)
			return token{kind: tOp, pos: start, text: op}
		}
	}
	return lx.errAt(start, "syntax error: unexpected character %q", rune(c))
}

// operators, longest first so that "===" wins over "==".
var operators = []string{
	"===", "!==", "<=>", "**=", "...", "<<=", ">>=", "??=", "?->",
	"=>", "==", "!=", "<>", "<=", ">=", "&&", "||", "??", "::", "->", "++", "--",
	"+=", "-=", "*=", "/=", ".=", "%=", "&=", "|=", "^=", "<<", ">>", "**",
	"(", ")", "[", "]", "{", "}", ",", ";", "=", "!", "?", ":", ".", "+", "-",
	"*", "/", "%", "<", ">", "&", "|", "^", "~", "@", "$", "\\",
}

// isCastType reports whether "(name)" is one of PHP's cast tokens.
func isCastType(name string) bool {
	switch name {
	case "int", "integer", "bool", "boolean", "float", "double", "real", "string", "binary", "array", "object", "unset":
		return true
	}
	return false
}

// lexCast recognises "(int)", "( string )" and the like: PHP lexes a cast
// as one token, allowing only spaces and tabs inside the parentheses.
func (lx *lexer) lexCast() (token, bool) {
	s := lx.src
	i := lx.off + 1
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	typ := strings.ToLower(string(s[i:j]))
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j >= len(s) || s[j] != ')' || !isCastType(typ) {
		return token{}, false
	}
	t := token{kind: tCast, pos: lx.off, text: typ}
	lx.off = j + 1
	return t, true
}

func (lx *lexer) lexName() token {
	s := lx.src
	start := lx.off
	i := start
	for {
		if s[i] == '\\' {
			i++
		}
		i = scanName(s, i)
		if i+1 < len(s) && s[i] == '\\' && isNameStart(s[i+1]) {
			continue
		}
		break
	}
	lx.off = i
	return token{kind: tName, pos: start, text: string(s[start:i])}
}

// lexHeredoc passes over <<<LABEL ... LABEL so that code PHP never runs may
// hold one; evaluating it is unsupported.
func (lx *lexer) lexHeredoc() token {
	s := lx.src
	start := lx.off
	i := start + 3
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	quote := byte(0)
	if i < len(s) && (s[i] == '\'' || s[i] == '"') {
		quote = s[i]
		i++
	}
	if i >= len(s) || !isNameStart(s[i]) {
		lx.off += 2 // "<<" then "<": an operator PHP has, which we do not
		return token{kind: tOp, pos: start, text: "<<"}
	}
	end := scanName(s, i)
	label := s[i:end]
	i = end
	if quote != 0 {
		if i >= len(s) || s[i] != quote {
			return lx.errAt(start, "syntax error: malformed heredoc label")
		}
		i++
	}
	nl := bytes.IndexByte(s[i:], '\n')
	if nl < 0 {
		return lx.errAt(start, "unterminated heredoc")
	}
	for i += nl + 1; i < len(s); {
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if bytes.HasPrefix(s[j:], label) && (j+len(label) >= len(s) || !isNameChar(s[j+len(label)])) {
			lx.off = j + len(label)
			return token{kind: tString, pos: start, bad: "heredoc and nowdoc strings", badPos: start}
		}
		nl := bytes.IndexByte(s[j:], '\n')
		if nl < 0 {
			break
		}
		i = j + nl + 1
	}
	return lx.errAt(start, "unterminated heredoc")
}

// isSpace is white space between tokens; PHP's set is smaller than C's.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isLetter(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// isNameStart follows PHP's LABEL: letters, '_' and any byte >= 0x80.
func isNameStart(c byte) bool { return isLetter(c) || c == '_' || c >= 0x80 }
func isNameChar(c byte) bool  { return isNameStart(c) || isDigit(c) }

func scanName(s []byte, i int) int {
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	return i
}
