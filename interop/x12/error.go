package x12

import (
	"fmt"

	"github.com/ehrkit/ehrkit"
)

// Error is a syntax, envelope or structure problem in an interchange. It names
// where the problem is, never what the element held.
type Error struct {
	// Segment is the segment ID ("CLM"), empty when no segment could be read.
	Segment string
	// Position is the zero-based index of the segment in its interchange (ISA
	// is 0); for input that does not start with an ISA it counts from the
	// start of the input.
	Position int
	// Element is the element number (1 for the first element after the
	// segment ID); 0 when the problem is the segment as a whole.
	Element int
	// Loop is the implementation-guide loop ("2010AA") when known.
	Loop string
	// Message says what is wrong, without element values.
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	where := e.Segment
	if where == "" {
		where = "input"
	}
	if e.Element > 0 {
		where = fmt.Sprintf("%s%02d", where, e.Element)
	}
	loop := ""
	if e.Loop != "" {
		loop = " (loop " + e.Loop + ")"
	}
	return fmt.Sprintf("x12: %s at segment position %d%s: %s", where, e.Position, loop, e.Message)
}

// Unwrap makes every Error match ehrkit.ErrInvalid.
func (e *Error) Unwrap() error { return ehrkit.ErrInvalid }
