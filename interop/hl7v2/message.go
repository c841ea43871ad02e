package hl7v2

import (
	"strings"
)

// Delimiters are a message's separators, read from MSH-1 and MSH-2. Any
// printable non-alphanumeric characters may serve; the standard ones are
// | ^ ~ \ &. Escape is 0 when MSH-2 names none (escape sequences are then
// plain text).
type Delimiters struct {
	Field, Component, Repetition, Escape, Subcomponent byte
}

// StandardDelimiters are the delimiters HL7 recommends: |^~\&.
var StandardDelimiters = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// encodingCharacters renders MSH-2 for d.
func (d Delimiters) encodingCharacters() string {
	b := []byte{d.Component, d.Repetition}
	if d.Escape != 0 {
		b = append(b, d.Escape)
		if d.Subcomponent != 0 {
			b = append(b, d.Subcomponent)
		}
	}
	return string(b)
}

// Message is one parsed HL7 v2 message. Segment fields hold the text as
// sent (escape sequences included), so encoding a parsed message gives back
// its bytes; accessors unescape.
type Message struct {
	// Delims are the message's delimiters.
	Delims Delimiters
	// Segments are the message's segments in order, MSH first; Z-segments
	// and segments ehrkit does not know are kept.
	Segments []Segment
}

// Segment is one segment: its name and its fields as sent. Fields[i] is
// field i+1; for MSH, Fields[0] is MSH-1 (the field separator) and Fields[1]
// MSH-2 (the encoding characters).
type Segment struct {
	Name   string
	Fields []string
	delims Delimiters
}

// NewMessage starts a message with delimiters d and a MSH segment whose
// fields from MSH-3 on are fields (ER7 text, already escaped; see Escape).
func NewMessage(d Delimiters, fields ...string) *Message {
	m := &Message{Delims: d}
	m.Add("MSH", append([]string{string(d.Field), d.encodingCharacters()}, fields...)...)
	return m
}

// Add appends a segment with the given fields (ER7 text, already escaped).
func (m *Message) Add(name string, fields ...string) *Segment {
	m.Segments = append(m.Segments, Segment{Name: name, Fields: fields, delims: m.Delims})
	return &m.Segments[len(m.Segments)-1]
}

// Escape escapes s for a field of m (see Delimiters.EscapeText).
func (m *Message) Escape(s string) string { return m.Delims.EscapeText(s) }

// Encode renders the message in ER7, each segment ending in "\r".
func (m *Message) Encode() []byte { return m.AppendER7(nil) }

// AppendER7 appends the message in ER7 to b.
func (m *Message) AppendER7(b []byte) []byte {
	fs := m.Delims.Field
	for _, s := range m.Segments {
		b = append(b, s.Name...)
		fields := s.Fields
		if isHeader(s.Name) && len(fields) > 0 {
			fields = fields[1:] // MSH-1 (FHS-1, BHS-1) is the separator itself
		}
		for _, f := range fields {
			b = append(b, fs)
			b = append(b, f...)
		}
		b = append(b, '\r')
	}
	return b
}

// Segment returns the n-th (1-based) segment named name, and whether there is one.
func (m *Message) Segment(name string, n int) (Segment, bool) {
	for _, s := range m.Segments {
		if s.Name == name {
			if n--; n == 0 {
				return s, true
			}
		}
	}
	return Segment{}, false
}

// All returns the segments named name in order.
func (m *Message) All(name string) []Segment {
	var out []Segment
	for _, s := range m.Segments {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Type is MSH-9 as "ORU^R01" (message code and trigger event).
func (m *Message) Type() string {
	code, event := m.Get("MSH-9.1"), m.Get("MSH-9.2")
	if event == "" {
		return code
	}
	return code + "^" + event
}

// ControlID is MSH-10, the message control id.
func (m *Message) ControlID() string { return m.Get("MSH-10") }

// Version is MSH-12.1, the version id ("2.5.1").
func (m *Message) Version() string { return m.Get("MSH-12.1") }

// Field returns field n (1-based) of the segment; empty when absent.
func (s Segment) Field(n int) Field {
	if n < 1 || n > len(s.Fields) {
		return Field{d: s.delims}
	}
	if isHeader(s.Name) && n <= 2 {
		return Field{raw: s.Fields[n-1], d: s.delims, literal: true}
	}
	return Field{raw: s.Fields[n-1], d: s.delims}
}

// Field is one field as sent, with its repetitions.
type Field struct {
	raw     string
	d       Delimiters
	literal bool // MSH-1 and MSH-2 are not split or unescaped
}

// Raw is the field as sent (ER7, escapes included).
func (f Field) Raw() string { return f.raw }

// Empty reports whether the field has no content.
func (f Field) Empty() bool { return f.raw == "" }

// Repetitions returns the field's repetitions (none for an empty field).
func (f Field) Repetitions() []Rep {
	if f.raw == "" {
		return nil
	}
	if f.literal {
		return []Rep{{raw: f.raw, d: f.d, literal: true}}
	}
	parts := strings.Split(f.raw, string(f.d.Repetition))
	out := make([]Rep, len(parts))
	for i, p := range parts {
		out[i] = Rep{raw: p, d: f.d}
	}
	return out
}

// Rep returns repetition n (1-based); empty when absent.
func (f Field) Rep(n int) Rep {
	if f.literal {
		if n == 1 {
			return Rep{raw: f.raw, d: f.d, literal: true}
		}
		return Rep{d: f.d}
	}
	return Rep{raw: nth(f.raw, f.d.Repetition, n), d: f.d}
}

// Text is the first repetition's first component, unescaped.
func (f Field) Text() string { return f.Rep(1).Text() }

// Rep is one repetition of a field: components.
type Rep struct {
	raw     string
	d       Delimiters
	literal bool
}

// Raw is the repetition as sent.
func (r Rep) Raw() string { return r.raw }

// Component returns component n (1-based); empty when absent.
func (r Rep) Component(n int) Component {
	if r.literal {
		if n == 1 {
			return Component{raw: r.raw, d: r.d, literal: true}
		}
		return Component{d: r.d}
	}
	return Component{raw: nth(r.raw, r.d.Component, n), d: r.d}
}

// Components returns the repetition's components.
func (r Rep) Components() []Component {
	if r.literal {
		return []Component{{raw: r.raw, d: r.d, literal: true}}
	}
	parts := strings.Split(r.raw, string(r.d.Component))
	out := make([]Component, len(parts))
	for i, p := range parts {
		out[i] = Component{raw: p, d: r.d}
	}
	return out
}

// Text is the first component, unescaped.
func (r Rep) Text() string { return r.Component(1).Text() }

// Component is one component of a repetition: subcomponents.
type Component struct {
	raw     string
	d       Delimiters
	literal bool
}

// Raw is the component as sent.
func (c Component) Raw() string { return c.raw }

// Sub returns subcomponent n (1-based), unescaped; empty when absent.
func (c Component) Sub(n int) string {
	if c.literal {
		if n == 1 {
			return c.raw
		}
		return ""
	}
	if c.d.Subcomponent == 0 {
		if n == 1 {
			return c.d.UnescapeText(c.raw)
		}
		return ""
	}
	return c.d.UnescapeText(nth(c.raw, c.d.Subcomponent, n))
}

// Subs returns the component's subcomponents, unescaped.
func (c Component) Subs() []string {
	if c.literal || c.d.Subcomponent == 0 {
		return []string{c.Sub(1)}
	}
	parts := strings.Split(c.raw, string(c.d.Subcomponent))
	for i, p := range parts {
		parts[i] = c.d.UnescapeText(p)
	}
	return parts
}

// Text is the whole component unescaped, subcomponent separators included
// as sent; use Sub for one subcomponent.
func (c Component) Text() string {
	if c.literal {
		return c.raw
	}
	return c.d.UnescapeText(c.raw)
}

// nth returns the n-th (1-based) part of s split at sep, or "".
func nth(s string, sep byte, n int) string {
	if n < 1 {
		return ""
	}
	for ; n > 1; n-- {
		i := strings.IndexByte(s, sep)
		if i < 0 {
			return ""
		}
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}
