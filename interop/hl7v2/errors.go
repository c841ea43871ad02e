package hl7v2

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ehrkit/ehrkit"
)

// ErrLimit reports input beyond a configured limit (message size, segment
// count, field length). An *Error with this cause also wraps ehrkit.ErrInvalid.
var ErrLimit = errors.New("hl7v2: limit exceeded")

// Error is a syntax or limit error at a position in a message. Positions are
// 1-based; zero means "not applicable" (a whole segment, a whole field). The
// message text is fixed per kind of problem and never contains message
// bytes, so an Error may be logged: it carries no PHI. It wraps
// ehrkit.ErrInvalid, and ErrLimit for a limit.
type Error struct {
	// Segment is the segment's name when it is a valid name (MSH, OBX, ZPI),
	// else empty.
	Segment string
	// SegmentIndex is the segment's line in its message (1 for MSH).
	SegmentIndex int
	// Field, Repetition, Component and Subcomponent locate the problem
	// within the segment.
	Field, Repetition, Component, Subcomponent int
	// Offset is the byte offset of the problem in the parsed input.
	Offset int
	// Reason says what is wrong, without message content.
	Reason string
	limit  bool
}

// Error renders the position and the reason.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hl7v2: ")
	if e.Segment != "" || e.SegmentIndex > 0 {
		name := e.Segment
		if name == "" {
			name = "segment"
		}
		fmt.Fprintf(&b, "%s (line %d)", name, e.SegmentIndex)
		if e.Field > 0 {
			fmt.Fprintf(&b, " field %d", e.Field)
		}
		if e.Repetition > 0 {
			fmt.Fprintf(&b, " repetition %d", e.Repetition)
		}
		if e.Component > 0 {
			fmt.Fprintf(&b, " component %d", e.Component)
		}
		if e.Subcomponent > 0 {
			fmt.Fprintf(&b, " subcomponent %d", e.Subcomponent)
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s (offset %d)", e.Reason, e.Offset)
	return b.String()
}

// Unwrap returns ehrkit.ErrInvalid, and ErrLimit for a limit error.
func (e *Error) Unwrap() []error {
	if e.limit {
		return []error{ehrkit.ErrInvalid, ErrLimit}
	}
	return []error{ehrkit.ErrInvalid}
}

// Location is the position of an Error as "SEG-F[R].C.S" ("OBX-5[1].2"), or
// the segment name alone; empty when the error has no segment.
func (e *Error) Location() string {
	if e.Segment == "" {
		return ""
	}
	s := e.Segment
	if e.Field > 0 {
		s += fmt.Sprintf("-%d", e.Field)
		if e.Repetition > 0 {
			s += fmt.Sprintf("[%d]", e.Repetition)
		}
		if e.Component > 0 {
			s += fmt.Sprintf(".%d", e.Component)
			if e.Subcomponent > 0 {
				s += fmt.Sprintf(".%d", e.Subcomponent)
			}
		}
	}
	return s
}
