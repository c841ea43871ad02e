package hl7v2

import (
	"strings"
)

// Parse parses one ER7 message. It is strict unless options say otherwise:
// segments end in "\r" (AllowLineFeeds accepts "\n" and "\r\n"), every
// segment has a valid name, the delimiters in MSH-1 and MSH-2 are distinct
// printable non-alphanumeric characters, and every escape sequence is one the
// standard defines (AllowUnknownEscapes keeps others as text). Errors are
// *Error values with positions. A file of several messages or a batch goes to
// ParseBatch.
func Parse(data []byte, opts ...Option) (*Message, error) {
	o := newOptions(opts)
	if len(data) > o.maxMessage {
		return nil, &Error{Reason: "message larger than the size limit", limit: true}
	}
	lines, err := splitLines(string(data), 0, &o)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, &Error{Reason: "no message"}
	}
	m, err := parseMessage(lines, &o)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// line is one segment's text and its byte offset in the input.
type line struct {
	text string
	off  int
}

// splitLines cuts s into segments at the terminators the options allow.
func splitLines(s string, base int, o *options) ([]line, error) {
	var out []line
	start := 0
	if o.lineFeeds && strings.HasPrefix(s, "\uFEFF") {
		start = len("\uFEFF") // a byte-order mark an editor wrote
	}
	for i := 0; i <= len(s); i++ {
		var end, next int
		switch {
		case i == len(s):
			end, next = i, i
		case s[i] == '\r':
			end, next = i, i+1
			if o.lineFeeds && next < len(s) && s[next] == '\n' {
				next++
			}
		case s[i] == '\n':
			if !o.lineFeeds {
				return nil, &Error{SegmentIndex: len(out) + 1, Offset: base + i, Reason: "line feed in a segment (segments end in a carriage return; see AllowLineFeeds)"}
			}
			end, next = i, i+1
		default:
			continue
		}
		if end > start {
			out = append(out, line{text: s[start:end], off: base + start})
		} else if i < len(s) && !o.lineFeeds {
			return nil, &Error{SegmentIndex: len(out) + 1, Offset: base + start, Reason: "empty segment"}
		}
		if len(out) > o.maxSegments {
			return nil, &Error{SegmentIndex: len(out), Offset: base + start, Reason: "more segments than the segment limit", limit: true}
		}
		if i == len(s) {
			break
		}
		start = next
		i = next - 1
	}
	return out, nil
}

// validName reports whether a segment name is three characters, an upper-case
// letter then upper-case letters or digits.
func validName(n string) bool {
	if len(n) != 3 || n[0] < 'A' || n[0] > 'Z' {
		return false
	}
	for i := 1; i < 3; i++ {
		if c := n[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isHeader reports whether a segment carries its delimiters in fields 1-2.
func isHeader(name string) bool { return name == "MSH" || name == "FHS" || name == "BHS" }

// readDelimiters reads the delimiters of a header segment (MSH, FHS, BHS).
func readDelimiters(ln line, idx int) (Delimiters, error) {
	s, name := ln.text, ln.text[:min(3, len(ln.text))]
	bad := func(field int, reason string) error {
		return &Error{Segment: name, SegmentIndex: idx, Field: field, Offset: ln.off + min(len(s), 3+field-1), Reason: reason}
	}
	if len(s) < 4 {
		return Delimiters{}, bad(1, "missing field separator")
	}
	d := Delimiters{Field: s[3]}
	enc := s[4:]
	if i := strings.IndexByte(enc, d.Field); i >= 0 {
		enc = enc[:i]
	}
	if len(enc) < 2 || len(enc) > 5 {
		return Delimiters{}, bad(2, "encoding characters must be 2 to 5 characters")
	}
	d.Component, d.Repetition = enc[0], enc[1]
	if len(enc) > 2 {
		d.Escape = enc[2]
	}
	if len(enc) > 3 {
		d.Subcomponent = enc[3]
	}
	seen := map[byte]bool{}
	for k, c := range []byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent} {
		if c == 0 && k >= 3 {
			continue
		}
		if c <= ' ' || c > '~' || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || seen[c] {
			return Delimiters{}, bad(min(k+1, 2), "delimiters must be distinct printable non-alphanumeric characters")
		}
		seen[c] = true
	}
	if len(enc) == 5 && seen[enc[4]] {
		return Delimiters{}, bad(2, "delimiters must be distinct printable non-alphanumeric characters")
	}
	return d, nil
}

// parseMessage parses the segments of one message, MSH first.
func parseMessage(lines []line, o *options) (*Message, error) {
	if !strings.HasPrefix(lines[0].text, "MSH") {
		return nil, &Error{SegmentIndex: 1, Offset: lines[0].off, Reason: "a message starts with MSH"}
	}
	d, err := readDelimiters(lines[0], 1)
	if err != nil {
		return nil, err
	}
	m := &Message{Delims: d, Segments: make([]Segment, 0, len(lines))}
	for i, ln := range lines {
		seg, err := parseSegment(ln, i+1, d, o)
		if err != nil {
			return nil, err
		}
		if i > 0 && isHeader(seg.Name) || seg.Name == "BTS" || seg.Name == "FTS" {
			return nil, &Error{Segment: seg.Name, SegmentIndex: i + 1, Offset: ln.off, Reason: "one message only (ParseBatch reads files and batches)"}
		}
		m.Segments = append(m.Segments, seg)
	}
	return m, nil
}

// parseSegment splits one segment into fields and checks every field.
func parseSegment(ln line, idx int, d Delimiters, o *options) (Segment, error) {
	s := ln.text
	nameEnd := strings.IndexByte(s, d.Field)
	if nameEnd < 0 {
		nameEnd = len(s)
	}
	name := s[:nameEnd]
	if !validName(name) {
		return Segment{}, &Error{SegmentIndex: idx, Offset: ln.off, Reason: "invalid segment name"}
	}
	seg := Segment{Name: name, delims: d}
	if nameEnd == len(s) {
		return seg, nil
	}
	rest := s[nameEnd+1:]
	off := ln.off + nameEnd + 1
	n := strings.Count(rest, string(d.Field)) + 1
	header := isHeader(name)
	if header {
		n++
	}
	seg.Fields = make([]string, 0, n)
	if header {
		seg.Fields = append(seg.Fields, string(d.Field))
	}
	for {
		f := rest
		i := strings.IndexByte(rest, d.Field)
		if i >= 0 {
			f = rest[:i]
		}
		num := len(seg.Fields) + 1
		if len(f) > o.maxField {
			return Segment{}, &Error{Segment: name, SegmentIndex: idx, Field: num, Offset: off, Reason: "field longer than the field limit", limit: true}
		}
		if !(header && num == 2) {
			if err := checkField(f, off, name, idx, num, d, o); err != nil {
				return Segment{}, err
			}
		}
		seg.Fields = append(seg.Fields, f)
		if i < 0 {
			break
		}
		rest, off = rest[i+1:], off+i+1
	}
	return seg, nil
}

// checkField checks a field's escape sequences and reports a bad one with
// its repetition, component and subcomponent.
func checkField(f string, off int, name string, idx, num int, d Delimiters, o *options) error {
	if d.Escape == 0 || o.unknownEscapes || strings.IndexByte(f, d.Escape) < 0 {
		return nil
	}
	rep, comp, sub := 1, 1, 1
	for i := 0; i < len(f); i++ {
		switch c := f[i]; c {
		case d.Repetition:
			rep, comp, sub = rep+1, 1, 1
		case d.Component:
			comp, sub = comp+1, 1
		case d.Escape:
			j := i + 1
			for j < len(f) && f[j] != d.Escape && f[j] != d.Repetition && f[j] != d.Component && (d.Subcomponent == 0 || f[j] != d.Subcomponent) {
				j++
			}
			if j == len(f) || f[j] != d.Escape || !d.validEscape(f[i+1:j]) {
				reason := "unknown escape sequence"
				if j == len(f) || f[j] != d.Escape {
					reason = "escape sequence without its closing escape character"
				}
				return &Error{Segment: name, SegmentIndex: idx, Field: num, Repetition: rep, Component: comp, Subcomponent: sub, Offset: off + i, Reason: reason}
			}
			i = j
		default:
			if c == d.Subcomponent && c != 0 {
				sub++
			}
		}
	}
	return nil
}
