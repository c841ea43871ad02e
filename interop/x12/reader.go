package x12

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Leniency names one relaxation of strict reading. Combine with |.
type Leniency uint

const (
	// LenientWhitespace accepts any run of spaces, tabs and line breaks
	// between segments and before the first ISA. Strict reading accepts one
	// line break (CR, LF or CRLF) after each segment terminator, and line
	// breaks after the last IEA.
	LenientWhitespace Leniency = 1 << iota
	// LenientCounts reports SE01, GE01 and IEA01 counts that disagree with
	// the segments, sets and groups present as warnings instead of errors.
	LenientCounts
	// LenientControlNumbers reports SE02 ≠ ST02, GE02 ≠ GS06 and
	// IEA02 ≠ ISA13 as warnings instead of errors.
	LenientControlNumbers
	// LenientStructure skips the implementation-guide loop checks.
	LenientStructure
	// LenientSetControlNumber reports SE02 ≠ ST02 as a warning instead of an
	// error (LenientControlNumbers includes it).
	LenientSetControlNumber
)

// Option configures a Reader.
type Option func(*Reader)

// WithLeniency enables the named leniencies.
func WithLeniency(l Leniency) Option { return func(r *Reader) { r.lenient |= l } }

// WithMaxSegment bounds the length of one segment in bytes (default 64 KiB);
// a longer segment is an error, so hostile input cannot exhaust memory.
func WithMaxSegment(n int) Option { return func(r *Reader) { r.maxSeg = max(128, n) } }

// Envelope identifies where the last segment read sits.
type Envelope struct {
	Interchange string // ISA13
	Group       string // GS06
	Version     string // GS08, e.g. 005010X222A2
	SetType     string // ST01, e.g. 837
	Set         string // ST02
}

// Reader reads segments from an X12 stream, validating envelopes as it goes.
type Reader struct {
	br      *bufio.Reader
	lenient Leniency
	maxSeg  int
	delim   Delimiters
	err     error
	warn    []*Error

	pos     int // index of the next segment in its interchange
	state   int
	env     Envelope
	groups  int // GS seen in the interchange
	sets    int // ST seen in the group
	segs    int // segments in the set, ST included
	started bool
	check   structure
	buf     []byte
}

const (
	outside = iota
	inInterchange
	inGroup
	inSet
)

// NewReader returns a strict Reader over r, relaxed by the options given.
func NewReader(r io.Reader, opts ...Option) *Reader {
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), maxSeg: 64 << 10}
	for _, o := range opts {
		o(rd)
	}
	return rd
}

// Delimiters returns the separators of the current interchange.
func (r *Reader) Delimiters() Delimiters { return r.delim }

// Envelope returns the envelope of the last segment read.
func (r *Reader) Envelope() Envelope { return r.env }

// Position returns the position of the last segment read (zero-based index in
// its interchange).
func (r *Reader) Position() int { return r.pos - 1 }

// Warnings returns the problems accepted under a leniency so far.
func (r *Reader) Warnings() []*Error { return r.warn }

// Next returns the next segment. It returns io.EOF after the last IEA and a
// *Error on the first problem; after an error every call returns it again.
func (r *Reader) Next() (Segment, error) {
	if r.err != nil {
		return Segment{}, r.err
	}
	s, err := r.next()
	if err != nil {
		r.err = err
	}
	return s, err
}

func (r *Reader) fail(seg string, elem int, msg string) *Error {
	return &Error{Segment: seg, Position: r.pos, Element: elem, Message: msg}
}

// soft records a problem as a warning when the leniency is on, and returns it
// as an error otherwise.
func (r *Reader) soft(l Leniency, e *Error) error {
	if r.lenient&l != 0 {
		r.warn = append(r.warn, e)
		return nil
	}
	return e
}

func (r *Reader) next() (Segment, error) {
	if r.state == outside {
		return r.readISA()
	}
	raw, err := r.readRaw()
	if err != nil {
		return Segment{}, err
	}
	s, err := r.split(raw)
	if err != nil {
		return Segment{}, err
	}
	if err := r.envelope(s); err != nil {
		return Segment{}, err
	}
	r.pos++
	return s, nil
}

// skipBreaks consumes what may separate segments: one line break when strict,
// any whitespace when lenient. At the end of an interchange any line breaks
// are accepted.
func (r *Reader) skipBreaks(anyBreaks bool) error {
	n := 0
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			return nil
		}
		ws := c == '\r' || c == '\n' || (r.lenient&LenientWhitespace != 0 && (c == ' ' || c == '\t'))
		if !ws || (r.state != outside && c == r.delim.Segment) {
			return r.br.UnreadByte()
		}
		if c == '\n' || c == '\r' && !r.peekIs('\n') {
			n++
		}
		if n > 1 && !anyBreaks && r.lenient&LenientWhitespace == 0 {
			return r.fail("", 0, "blank line between segments (LenientWhitespace accepts it)")
		}
	}
}

func (r *Reader) peekIs(c byte) bool {
	b, err := r.br.Peek(1)
	return err == nil && b[0] == c
}

func (r *Reader) readISA() (Segment, error) {
	if err := r.skipBreaks(r.started || r.lenient&LenientWhitespace != 0); err != nil {
		return Segment{}, err
	}
	head, err := r.br.Peek(106)
	if len(head) == 0 && errors.Is(err, io.EOF) {
		if !r.started {
			return Segment{}, r.fail("", 0, "no interchange in input")
		}
		return Segment{}, io.EOF
	}
	r.pos = 0
	if !bytes.HasPrefix(head, []byte("ISA")) {
		id := leadingID(head)
		return Segment{}, r.fail(id, 0, "interchange does not begin with an ISA segment")
	}
	if len(head) < 106 {
		return Segment{}, r.fail("ISA", 0, "ISA segment shorter than its fixed 106 characters")
	}
	d := Delimiters{Element: head[3], Repetition: head[82], Component: head[104], Segment: head[105]}
	widths := [...]int{2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1}
	p := 3
	for i, w := range widths {
		if head[p] != d.Element {
			return Segment{}, r.fail("ISA", i, "ISA element "+strconv.Itoa(i)+" is not "+strconv.Itoa(widths[i-1])+" characters")
		}
		p += w + 1
	}
	if head[p] != d.Element {
		return Segment{}, r.fail("ISA", 15, "ISA15 is not 1 character")
	}
	if isAlnum(d.Repetition) {
		d.Repetition = 0 // the 4010 standards identifier "U": no repetition separator
	}
	if !d.valid() {
		return Segment{}, r.fail("ISA", 16, "delimiters are not distinct non-alphanumeric characters")
	}
	r.delim = d
	raw := make([]byte, 105)
	copy(raw, head)
	_, _ = r.br.Discard(106)
	s, err := r.split(raw)
	if err != nil {
		return Segment{}, err
	}
	if s.Element(12) != "00501" {
		return Segment{}, r.fail("ISA", 12, "not a 5010 interchange (ISA12 must be 00501)")
	}
	if !digits(s.Element(13), 9) {
		return Segment{}, r.fail("ISA", 13, "interchange control number must be 9 digits")
	}
	r.started = true
	r.state = inInterchange
	r.groups = 0
	r.env = Envelope{Interchange: s.Element(13)}
	r.pos = 1
	return s, nil
}

func leadingID(b []byte) string {
	n := 0
	for n < len(b) && n < 3 && isAlnum(b[n]) {
		n++
	}
	return string(b[:n])
}

func digits(s string, n int) bool {
	if len(s) != n && n > 0 || s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (r *Reader) readRaw() ([]byte, error) {
	if err := r.skipBreaks(false); err != nil {
		return nil, err
	}
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice(r.delim.Segment)
		if len(r.buf)+len(chunk) > r.maxSeg {
			return nil, r.fail(leadingID(append(r.buf, chunk...)), 0, "segment longer than the maximum segment length")
		}
		r.buf = append(r.buf, chunk...)
		switch {
		case err == nil:
			return r.buf[:len(r.buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(bytes.TrimSpace(r.buf)) == 0 {
				return nil, r.fail("", 0, "input ends inside an interchange (no IEA)")
			}
			return nil, r.fail(leadingID(r.buf), 0, "segment not terminated (input ends)")
		default:
			return nil, err
		}
	}
}

// split turns raw segment bytes into a Segment, checking the segment ID.
func (r *Reader) split(raw []byte) (Segment, error) {
	if i := bytes.IndexAny(raw, "\r\n"); i >= 0 && r.delim.Segment != '\n' {
		return Segment{}, r.fail(leadingID(raw), 0, "line break inside a segment")
	}
	n := bytes.Count(raw, []byte{r.delim.Element}) + 1
	el := make([]string, 0, n)
	all := string(raw)
	for {
		i := strings.IndexByte(all, r.delim.Element)
		if i < 0 {
			el = append(el, all)
			break
		}
		el = append(el, all[:i])
		all = all[i+1:]
	}
	id := el[0]
	if len(id) < 2 || len(id) > 3 || id[0] < 'A' || id[0] > 'Z' {
		return Segment{}, r.fail(leadingID(raw), 0, "not a segment identifier")
	}
	for i := 0; i < len(id); i++ {
		if !(id[i] >= 'A' && id[i] <= 'Z' || id[i] >= '0' && id[i] <= '9') {
			return Segment{}, r.fail("", 0, "not a segment identifier")
		}
	}
	for i, e := range el[1:] {
		if msg := r.badText(e); msg != "" {
			return Segment{}, r.fail(id, i+1, msg)
		}
	}
	s := Segment{el: el, delim: r.delim}
	for _, e := range mandatory[id] {
		if s.Element(e) == "" {
			return Segment{}, r.fail(id, e, "mandatory element missing")
		}
	}
	return s, nil
}

// badText says what is wrong with an element's bytes, "" when nothing: the
// X12 basic and extended character sets (ASC X12 005010 TR3s, appendix B.1.1.2)
// hold no control characters, so a NUL or other control byte that is not one
// of the interchange's delimiters is refused, and so is text that is not
// valid UTF-8.
func (r *Reader) badText(e string) string {
	for i := 0; i < len(e); i++ {
		if c := e[i]; (c < 0x20 || c == 0x7f) && c != r.delim.Component && c != r.delim.Repetition {
			return "control character in an element"
		}
	}
	if !utf8.ValidString(e) {
		return "element is not valid UTF-8"
	}
	return ""
}

func (r *Reader) envelope(s Segment) error {
	id := s.ID()
	switch r.state {
	case inInterchange:
		switch id {
		case "GS":
			r.state, r.sets, r.groups = inGroup, 0, r.groups+1
			r.env.Group, r.env.Version = s.Element(6), s.Element(8)
			r.env.SetType, r.env.Set = "", ""
			return nil
		case "IEA":
			if s.Element(1) != strconv.Itoa(r.groups) {
				if err := r.soft(LenientCounts, r.fail(id, 1, "IEA01 does not count the functional groups ("+strconv.Itoa(r.groups)+")")); err != nil {
					return err
				}
			}
			if s.Element(2) != r.env.Interchange {
				if err := r.soft(LenientControlNumbers, r.fail(id, 2, "IEA02 does not match ISA13")); err != nil {
					return err
				}
			}
			r.state = outside
			return r.skipBreaks(true)
		}
		return r.fail(id, 0, "segment outside a functional group (expected GS or IEA)")
	case inGroup:
		switch id {
		case "ST":
			r.state, r.sets, r.segs = inSet, r.sets+1, 1
			r.env.SetType, r.env.Set = s.Element(1), s.Element(2)
			r.check = newStructure(r.env.SetType, s.Element(3), r.env.Version, r.lenient&LenientStructure != 0)
			return r.structure(s)
		case "GE":
			if s.Element(1) != strconv.Itoa(r.sets) {
				if err := r.soft(LenientCounts, r.fail(id, 1, "GE01 does not count the transaction sets ("+strconv.Itoa(r.sets)+")")); err != nil {
					return err
				}
			}
			if s.Element(2) != r.env.Group {
				if err := r.soft(LenientControlNumbers, r.fail(id, 2, "GE02 does not match GS06")); err != nil {
					return err
				}
			}
			r.state = inInterchange
			return nil
		}
		return r.fail(id, 0, "segment outside a transaction set (expected ST or GE)")
	default: // inSet
		switch id {
		case "ISA", "GS", "ST", "GE", "IEA":
			return r.fail(id, 0, "envelope segment inside a transaction set (SE missing)")
		case "SE":
			r.segs++
			if err := r.structure(s); err != nil {
				return err
			}
			if s.Element(1) != strconv.Itoa(r.segs) {
				if err := r.soft(LenientCounts, r.fail(id, 1, "SE01 does not count the segments of the set ("+strconv.Itoa(r.segs)+")")); err != nil {
					return err
				}
			}
			if s.Element(2) != r.env.Set {
				if err := r.soft(LenientControlNumbers|LenientSetControlNumber, r.fail(id, 2, "SE02 does not match ST02")); err != nil {
					return err
				}
			}
			r.state = inGroup
			return nil
		}
		r.segs++
		return r.structure(s)
	}
}

func (r *Reader) structure(s Segment) error {
	if r.check == nil {
		return nil
	}
	if e := r.check.next(s); e != nil {
		e.Position = r.pos
		return e
	}
	return nil
}

// mandatory lists, per segment, the elements the X12 5010 segment dictionary
// marks mandatory.
var mandatory = map[string][]int{
	"GS": {1, 2, 3, 4, 5, 6, 7, 8}, "ST": {1, 2}, "SE": {1, 2}, "GE": {1, 2}, "IEA": {1, 2},
	"BHT": {1, 2}, "NM1": {1, 2}, "HL": {1, 3}, "N3": {1}, "REF": {1}, "PER": {1},
	"DTP": {1, 2, 3}, "LX": {1}, "HI": {1}, "SBR": {1}, "CAS": {1, 2, 3}, "CLP": {1, 2, 3, 4},
	"SVC": {1, 2}, "BPR": {1, 2, 3, 4}, "TRN": {1, 2}, "EB": {1}, "AAA": {1}, "DMG": {1, 2},
	"AMT": {1, 2}, "QTY": {1, 2}, "SV1": {1, 2}, "SV2": {1}, "LQ": {1, 2}, "BGN": {1, 2, 3},
	"INS": {1, 2}, "AK1": {1, 2}, "AK2": {1, 2}, "IK5": {1}, "AK9": {1, 2, 3, 4}, "STC": {1},
}
