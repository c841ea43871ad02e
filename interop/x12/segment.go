package x12

import (
	"strconv"
	"strings"
)

// Delimiters are the separators of one interchange, read from its ISA.
type Delimiters struct {
	Element    byte // ISA position 4, usually '*'
	Repetition byte // ISA11, usually '^'; 0 when ISA11 is a letter or digit (no repetition separator)
	Component  byte // ISA16, usually ':'
	Segment    byte // the byte after ISA16, usually '~'
}

// DefaultDelimiters are the separators most trading partners use.
var DefaultDelimiters = Delimiters{Element: '*', Repetition: '^', Component: ':', Segment: '~'}

func (d Delimiters) valid() bool {
	b := []byte{d.Element, d.Repetition, d.Component, d.Segment}
	for i, c := range b {
		if c == 0 && i == 1 {
			continue // no repetition separator
		}
		if isAlnum(c) || c == ' ' {
			return false
		}
		for _, o := range b[i+1:] {
			if o == c {
				return false
			}
		}
	}
	return true
}

// Segment is one X12 segment: an ID and its elements. Element 1 is the first
// element after the ID. A Segment may hold protected health information; it
// redacts itself in String.
type Segment struct {
	el    []string
	delim Delimiters
}

// NewSegment builds a segment from its ID and elements (element 1 first).
func NewSegment(id string, elements ...string) Segment {
	return Segment{el: append([]string{id}, elements...), delim: DefaultDelimiters}
}

// ID is the segment identifier ("NM1").
func (s Segment) ID() string {
	if len(s.el) == 0 {
		return ""
	}
	return s.el[0]
}

// Len is the number of elements present after the ID (trailing empty elements
// are not written by senders, so Len may be less than the segment's maximum).
func (s Segment) Len() int { return max(0, len(s.el)-1) }

// Element returns element i (1-based), or "" when absent.
func (s Segment) Element(i int) string {
	if i < 1 || i >= len(s.el) {
		return ""
	}
	return s.el[i]
}

// Component returns component j (1-based) of element i, or "" when absent.
// The first component of a simple element is the element itself.
func (s Segment) Component(i, j int) string {
	e := s.Element(i)
	for k := 1; k < j; k++ {
		n := strings.IndexByte(e, s.delim.Component)
		if n < 0 {
			return ""
		}
		e = e[n+1:]
	}
	if n := strings.IndexByte(e, s.delim.Component); n >= 0 {
		return e[:n]
	}
	return e
}

// Components splits element i into its components.
func (s Segment) Components(i int) []string {
	return strings.Split(s.Element(i), string(s.delim.Component))
}

// Delimiters returns the separators the segment was read with.
func (s Segment) Delimiters() Delimiters { return s.delim }

// String shows the segment ID and element count only: element values may be
// protected health information.
func (s Segment) String() string {
	return s.ID() + "[" + strconv.Itoa(s.Len()) + " elements]"
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
