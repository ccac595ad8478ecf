package php

import (
	"errors"
	"fmt"
)

// ErrUnsupported marks errors about valid PHP that this reader does not
// evaluate (a function call, a variable, an operator, ...). Test with
// errors.Is to tell them from malformed input.
var ErrUnsupported = errors.New("unsupported PHP construct")

// Error is a problem found in a PHP file, with its position. Line and Col
// are 1-based; Col counts bytes, as Go's own tools do.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
	// Err is the underlying cause, if any: ErrUnsupported, or the error of
	// the injected file reader for file_get_contents.
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// position turns byte offsets into line and column, computing line starts
// only when an error needs them.
type position struct {
	src    []byte
	starts []int
}

func (p *position) lineCol(off int) (int, int) {
	if p.starts == nil {
		p.starts = []int{0}
		for i, c := range p.src {
			if c == '\n' {
				p.starts = append(p.starts, i+1)
			}
		}
	}
	off = min(max(off, 0), len(p.src))
	lo, hi := 0, len(p.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if p.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, off - p.starts[lo] + 1
}
