package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/ehrkit/ehrkit"
)

// ErrMalformedJSON is the cause of a source that is not well-formed JSON
// (RFC 8259): a bad character, an unterminated string, a missing comma,
// data after the Bundle. It wraps ehrkit.ErrInvalid.
var ErrMalformedJSON = fmt.Errorf("%w: malformed JSON", ehrkit.ErrInvalid)

// ErrBundleShape is the cause of well-formed JSON that is not a Bundle the
// splitter reads: not an object, resourceType not "Bundle", a member it reads
// (resourceType, type, entry; an entry's fullUrl, resource, request) of the
// wrong JSON type, null or given twice, an entry that is not an object. It
// wraps ehrkit.ErrInvalid.
var ErrBundleShape = fmt.Errorf("%w: not a readable Bundle", ehrkit.ErrInvalid)

// maxDepth is the deepest nesting of arrays and objects accepted, the limit
// of encoding/json.
const maxDepth = 10000

// splitter finds the entries of a Bundle in one pass over its bytes. It reads
// either a whole input held in buf (r nil: entries are sub-slices of it) or a
// stream, refilling buf and copying each entry out.
type splitter struct {
	r      io.Reader // nil when buf is the whole input
	buf    []byte
	pos    int   // next unread byte of buf
	base   int64 // offset in the input of buf[0]
	mark   int   // start in buf of the value being kept, -1 for none
	rerr   error // the reader's error, io.EOF at the end
	depth  int
	source string
	index  int // entry being read, -1 outside the entry array
}

// splitBundle calls fn with each entry of the Bundle in b, in order, and
// returns Bundle.type ("" when absent). Entry.JSON and Entry.Request are
// sub-slices of b.
func splitBundle(b []byte, source string, fn func(Entry) error) (string, error) {
	s := &splitter{buf: b, mark: -1, rerr: io.EOF, source: source, index: -1}
	return s.bundle(fn)
}

// readBundle is splitBundle over a stream: memory holds the current entry
// and a read buffer.
func readBundle(r io.Reader, source string, fn func(Entry) error) (string, error) {
	s := &splitter{r: r, buf: make([]byte, 0, 64<<10), mark: -1, source: source, index: -1}
	return s.bundle(fn)
}

// fill reads more input into buf, dropping what is read and not marked.
// It reports false at the end of input or on a read error.
func (s *splitter) fill() bool {
	if s.r == nil || s.rerr != nil {
		return false
	}
	keep := s.pos
	if s.mark >= 0 {
		keep = s.mark
	}
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:])
		s.buf = s.buf[:n]
		s.base += int64(keep)
		s.pos -= keep
		if s.mark >= 0 {
			s.mark = 0
		}
	}
	if cap(s.buf)-len(s.buf) < 32<<10 {
		s.buf = append(s.buf, make([]byte, max(64<<10, cap(s.buf)))...)[:len(s.buf)]
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err != nil {
		s.rerr = err
	}
	return n > 0 || err == nil
}

// peek returns the next byte after whitespace without consuming it, and
// false at the end of input.
func (s *splitter) peek() (byte, bool) {
	for {
		for s.pos < len(s.buf) {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// fail is the error at the current position.
func (s *splitter) fail(cause error, format string, args ...any) error {
	if s.rerr != nil && s.rerr != io.EOF {
		cause, format, args = s.rerr, "reading", nil
	}
	return &SourceError{Source: s.source, Index: s.index, Offset: s.base + int64(s.pos),
		Err: fmt.Errorf("%w: "+format, append([]any{cause}, args...)...)}
}

// unexpected is the error for the byte at the current position (or the end
// of input) where the grammar wants something else.
func (s *splitter) unexpected(want string) error {
	if c, ok := s.peek(); ok {
		return s.fail(ErrMalformedJSON, "invalid character %q, want %s", c, want)
	}
	return s.fail(ErrMalformedJSON, "unexpected end of input, want %s", want)
}

// expect consumes c, the next byte after whitespace.
func (s *splitter) expect(c byte, want string) error {
	if got, ok := s.peek(); !ok || got != c {
		return s.unexpected(want)
	}
	s.pos++
	return nil
}

// members reads the members of an object whose '{' is consumed, calling
// member for each, with its decoded name when named (a name is only checked
// otherwise); member reads the value.
func (s *splitter) members(named bool, member func(name string) error) error {
	return s.sequence('}', func() error {
		if c, ok := s.peek(); !ok || c != '"' {
			return s.unexpected("a member name")
		}
		var name string
		var err error
		if named {
			name, err = s.str()
		} else {
			_, err = s.skipString()
		}
		if err != nil {
			return err
		}
		if err := s.expect(':', "':'"); err != nil {
			return err
		}
		return member(name)
	})
}

// sequence reads the items of an object or array whose opening bracket is
// consumed, up to and including its closing bracket end: none, or items
// separated by commas, each read by item.
func (s *splitter) sequence(end byte, item func() error) error {
	if c, ok := s.peek(); ok && c == end {
		s.pos++
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		c, ok := s.peek()
		switch {
		case ok && c == ',':
			s.pos++
		case ok && c == end:
			s.pos++
			return nil
		default:
			return s.unexpected("',' or '" + string(end) + "'")
		}
	}
}

// kind returns the JSON type of the next value ("object", "array",
// "string", "number", "boolean", "null") without consuming it.
func (s *splitter) kind() string {
	c, _ := s.peek()
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number" // or malformed: skip reports it
}

// want checks that the next value, member name of an object, is of JSON
// type typ; a wrong type is skipped first, so malformed JSON is reported as
// such.
func (s *splitter) want(name, typ string) error {
	if k := s.kind(); k != typ {
		if err := s.skip(); err != nil {
			return err
		}
		return s.fail(ErrBundleShape, "%s is %s, want %s", name, k, typ)
	}
	return nil
}

// str reads a string value and returns it decoded.
func (s *splitter) str() (string, error) {
	raw, plain, err := s.keep(func() (plain bool, err error) { return s.skipString() })
	if err != nil {
		return "", err
	}
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", s.fail(ErrMalformedJSON, "string: %v", err)
	}
	return v, nil
}

// raw reads a value and returns its bytes: a sub-slice of the input when it
// is held whole, a copy when streamed.
func (s *splitter) raw() ([]byte, error) {
	raw, _, err := s.keep(func() (bool, error) { return false, s.skip() })
	if err != nil {
		return nil, err
	}
	if s.r != nil {
		raw = bytes.Clone(raw)
	}
	return raw[:len(raw):len(raw)], nil
}

// keep runs read, which consumes one value, and returns the bytes read,
// kept in buf however often read refills it. The bytes are valid until the
// next read outside a keep.
func (s *splitter) keep(read func() (bool, error)) ([]byte, bool, error) {
	start := s.base + int64(s.pos)
	if s.mark < 0 {
		s.mark = s.pos
		defer func() { s.mark = -1 }()
	}
	flag, err := read()
	return s.buf[start-s.base : s.pos], flag, err
}

// skip reads one value, checking that it is well-formed.
func (s *splitter) skip() error {
	c, ok := s.peek()
	if !ok {
		return s.unexpected("a value")
	}
	switch c {
	case '{', '[':
		s.depth++
		if s.depth > maxDepth {
			return s.fail(ErrMalformedJSON, "nested deeper than %d", maxDepth)
		}
		s.pos++
		var err error
		if c == '{' {
			err = s.members(false, func(string) error { return s.skip() })
		} else {
			err = s.elements(s.skip)
		}
		s.depth--
		return err
	case '"':
		_, err := s.skipString()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return s.number()
	}
	return s.unexpected("a value")
}

// elements reads the elements of an array whose '[' is consumed, calling
// element for each.
func (s *splitter) elements(element func() error) error {
	return s.sequence(']', element)
}

// byteAt returns the byte at the current position without skipping
// whitespace, and false at the end of input.
func (s *splitter) byteAt() (byte, bool) {
	if s.pos >= len(s.buf) && !s.fill() {
		return 0, false
	}
	return s.buf[s.pos], true
}

// literal reads true, false or null.
func (s *splitter) literal(word string) error {
	for i := range len(word) {
		if c, ok := s.byteAt(); !ok || c != word[i] {
			return s.unexpected("literal " + word)
		}
		s.pos++
	}
	return nil
}

// number reads a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *splitter) number() error {
	if c, _ := s.byteAt(); c == '-' {
		s.pos++
	}
	c, ok := s.byteAt()
	switch {
	case ok && c == '0':
		s.pos++
	case ok && c >= '1' && c <= '9':
		s.digits()
	default:
		return s.unexpected("a digit")
	}
	if c, _ := s.byteAt(); c == '.' {
		s.pos++
		if c, ok := s.byteAt(); !ok || c < '0' || c > '9' {
			return s.unexpected("a digit")
		}
		s.digits()
	}
	if c, _ := s.byteAt(); c == 'e' || c == 'E' {
		s.pos++
		if c, _ := s.byteAt(); c == '+' || c == '-' {
			s.pos++
		}
		if c, ok := s.byteAt(); !ok || c < '0' || c > '9' {
			return s.unexpected("a digit")
		}
		s.digits()
	}
	return nil
}

// digits consumes a run of decimal digits.
func (s *splitter) digits() {
	for c, ok := s.byteAt(); ok && c >= '0' && c <= '9'; c, ok = s.byteAt() {
		s.pos++
	}
}

// skipString reads a string whose opening quote is at the current position.
// plain reports a string without escapes or non-ASCII bytes, whose bytes
// between the quotes are its value.
func (s *splitter) skipString() (plain bool, err error) {
	s.pos++ // the opening quote
	plain = true
	for {
		i := s.pos
		for i < len(s.buf) {
			c := s.buf[i]
			if c == '"' {
				s.pos = i + 1
				return plain, nil
			}
			if c < 0x20 {
				s.pos = i
				return false, s.fail(ErrMalformedJSON, "control character %#x in string", c)
			}
			if c == '\\' {
				s.pos = i
				if err := s.escape(); err != nil {
					return false, err
				}
				plain = false
				i = s.pos
				continue
			}
			if c >= utf8.RuneSelf {
				plain = false
			}
			i++
		}
		s.pos = i
		if !s.fill() {
			return false, s.fail(ErrMalformedJSON, "unterminated string")
		}
	}
}

// escape reads one escape sequence at the current position (the
// backslash).
func (s *splitter) escape() error {
	s.pos++
	c, ok := s.byteAt()
	if !ok {
		return s.fail(ErrMalformedJSON, "unterminated string")
	}
	s.pos++
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return nil
	case 'u':
		for range 4 {
			h, ok := s.byteAt()
			if !ok || !isHex(h) {
				return s.fail(ErrMalformedJSON, "invalid \\u escape in string")
			}
			s.pos++
		}
		return nil
	}
	s.pos--
	return s.fail(ErrMalformedJSON, "invalid escape %q in string", c)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// bundle reads the Bundle object and calls fn for each entry.
func (s *splitter) bundle(fn func(Entry) error) (typ string, err error) {
	if len(s.buf) < 3 && s.r != nil {
		for len(s.buf) < 3 && s.fill() {
		}
	}
	if bytes.HasPrefix(s.buf, []byte("\xef\xbb\xbf")) {
		s.pos = 3 // a UTF-8 byte order mark, which some exporters write
	}
	if k := s.kind(); k != "object" {
		if err := s.skip(); err != nil {
			return "", err
		}
		if err := s.end(); err != nil {
			return "", err
		}
		return "", s.fail(ErrBundleShape, "the source is a JSON %s, not a Bundle object", k)
	}
	s.pos++
	s.depth++
	var seen [3]bool // resourceType, type, entry
	once := func(i int, name string) error {
		if seen[i] {
			return s.fail(ErrBundleShape, "Bundle.%s given twice", name)
		}
		seen[i] = true
		return nil
	}
	err = s.members(true, func(name string) error {
		switch name {
		case "resourceType":
			if err := once(0, name); err != nil {
				return err
			}
			if err := s.want("Bundle.resourceType", "string"); err != nil {
				return err
			}
			rt, err := s.str()
			if err != nil {
				return err
			}
			if rt != "Bundle" {
				return s.fail(ErrBundleShape, "resourceType is %q, not Bundle", rt)
			}
		case "type":
			if err := once(1, name); err != nil {
				return err
			}
			if err := s.want("Bundle.type", "string"); err != nil {
				return err
			}
			t, err := s.str()
			typ = t
			return err
		case "entry":
			if err := once(2, name); err != nil {
				return err
			}
			return s.entries(fn)
		default:
			return s.skip()
		}
		return nil
	})
	if err != nil {
		return typ, err
	}
	s.depth--
	if err := s.end(); err != nil {
		return typ, err
	}
	if !seen[0] {
		return typ, s.fail(ErrBundleShape, "not a Bundle: resourceType missing")
	}
	return typ, nil
}

// end checks that only whitespace follows.
func (s *splitter) end() error {
	if _, ok := s.peek(); ok {
		return s.fail(ErrMalformedJSON, "data after the Bundle")
	}
	if s.rerr != nil && s.rerr != io.EOF {
		return s.fail(s.rerr, "reading")
	}
	return nil
}

// entries reads Bundle.entry and calls fn for each entry.
func (s *splitter) entries(fn func(Entry) error) error {
	if err := s.want("Bundle.entry", "array"); err != nil {
		return err
	}
	s.pos++
	s.depth++
	next := 0
	err := s.elements(func() error {
		s.index = next
		e, err := s.entry()
		if err != nil {
			return err
		}
		s.index = -1
		next++
		return fn(e)
	})
	s.depth--
	return err
}

// entry reads one element of Bundle.entry.
func (s *splitter) entry() (Entry, error) {
	e := Entry{Source: s.source, Index: s.index}
	if err := s.want("entry", "object"); err != nil {
		return e, err
	}
	s.pos++
	s.depth++
	var seen [3]bool // fullUrl, resource, request
	once := func(i int, name, typ string) error {
		if seen[i] {
			return s.fail(ErrBundleShape, "entry.%s given twice", name)
		}
		seen[i] = true
		return s.want("entry."+name, typ)
	}
	err := s.members(true, func(name string) error {
		var err error
		switch name {
		case "fullUrl":
			if err = once(0, name, "string"); err == nil {
				e.FullURL, err = s.str()
			}
		case "resource":
			if err = once(1, name, "object"); err == nil {
				e.JSON, err = s.raw()
			}
		case "request":
			if err = once(2, name, "object"); err == nil {
				e.Request, err = s.raw()
			}
		default:
			err = s.skip()
		}
		return err
	})
	s.depth--
	return e, err
}
