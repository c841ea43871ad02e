package fhir

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/ehrkit/ehrkit"
)

// Entry is one resource read from a source, before it is parsed.
type Entry struct {
	Source  string // file name or other label of the source
	Index   int    // entry number in a Bundle (0-based) or line number in NDJSON (1-based)
	FullURL string // Bundle.entry.fullUrl, "" in NDJSON
	JSON    []byte // the resource
	// Request is Bundle.entry.request as sent (a JSON object), nil when
	// absent or in NDJSON.
	Request []byte
	// Err is set, and JSON nil, when the entry could not be read (a line or
	// resource over the size limit); the entry is reported and reading goes on.
	Err error
}

// MaxLine is the longest NDJSON line (one resource) ReadNDJSON accepts.
const MaxLine = 64 << 20

// ErrTooLarge is the cause of a resource or NDJSON line longer than the
// limit of the reader or importer (MaxLine, WithMaxResource). It wraps
// ehrkit.ErrInvalid.
var ErrTooLarge = fmt.Errorf("%w: resource over the size limit", ehrkit.ErrInvalid)

// SourceError reports a source that cannot be read as FHIR JSON at all, with
// the position (entry number, line number or byte offset) where reading failed.
type SourceError struct {
	Source string
	Index  int   // entry or line number, -1 when the file as a whole is at fault
	Offset int64 // byte offset in the source
	Err    error
}

// Error renders the position and the cause.
func (e *SourceError) Error() string {
	return fmt.Sprintf("fhir: %s: entry %d (byte %d): %v", e.Source, e.Index, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *SourceError) Unwrap() error { return e.Err }

// ReadNDJSON streams newline-delimited resources (the Bulk Data format) to fn,
// one line at a time: a file of any size is never held in memory. Blank lines
// are skipped. A line longer than MaxLine is not read: fn receives its entry
// with Err set (a *SourceError wrapping ErrTooLarge) and no JSON, and reading
// goes on with the next line.
func ReadNDJSON(r io.Reader, source string, fn func(Entry) error) error {
	return readNDJSON(r, source, MaxLine, fn)
}

// readNDJSON is ReadNDJSON with a line limit: memory holds at most one line
// of limit bytes.
func readNDJSON(r io.Reader, source string, limit int, fn func(Entry) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	var offset int64
	for line := 1; ; line++ {
		start := offset
		buf = buf[:0]
		over := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			offset += int64(len(chunk))
			if !over && len(buf)+len(chunk) > limit+1 { // +1: the newline
				over, buf = true, buf[:0]
			}
			if !over {
				buf = append(buf, chunk...)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return &SourceError{Source: source, Index: line, Offset: offset, Err: err}
		}
		e := Entry{Source: source, Index: line}
		switch b := bytes.TrimSpace(buf); {
		case over:
			e.Err = &SourceError{Source: source, Index: line, Offset: start,
				Err: fmt.Errorf("%w: line of %d bytes, the limit is %d", ErrTooLarge, offset-start, limit)}
		case len(b) > 0:
			e.JSON = bytes.Clone(b)
		}
		if e.JSON != nil || e.Err != nil {
			if ferr := fn(e); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// ReadBundle streams the entries of a Bundle (of any type: collection,
// transaction, batch, searchset) to fn without decoding the resources: the
// Bundle is scanned once, so only one entry and a read buffer are in memory at
// a time. The reader is strict: input that is not well-formed JSON fails with
// a *SourceError wrapping ErrMalformedJSON, and a Bundle whose members the
// reader uses are of the wrong type, null or given twice with one wrapping
// ErrBundleShape; both carry the entry index (-1 outside Bundle.entry) and the
// byte offset. A leading UTF-8 byte order mark is skipped. Members the reader
// does not use are checked for well-formedness only (a duplicate of one of
// them is not an error), and resources are left to the parser.
func ReadBundle(r io.Reader, source string, fn func(Entry) error) error {
	_, err := readBundle(r, source, fn)
	return err
}
