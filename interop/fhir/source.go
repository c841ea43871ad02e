package fhir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Entry is one resource read from a source, before it is parsed.
type Entry struct {
	Source  string // file name or other label of the source
	Index   int    // entry number in a Bundle (0-based) or line number in NDJSON (1-based)
	FullURL string // Bundle.entry.fullUrl, "" in NDJSON
	JSON    []byte // the resource
}

// MaxLine is the longest NDJSON line (one resource) ReadNDJSON accepts.
const MaxLine = 64 << 20

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
// are skipped.
func ReadNDJSON(r io.Reader, source string, fn func(Entry) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	line := 0
	var offset int64
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		offset += int64(len(sc.Bytes())) + 1
		if len(b) == 0 {
			continue
		}
		if err := fn(Entry{Source: source, Index: line, JSON: bytes.Clone(b)}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &SourceError{Source: source, Index: line + 1, Offset: offset, Err: err}
	}
	return nil
}

// ReadBundle streams the entries of a Bundle (of any type: collection,
// transaction, batch, searchset) to fn without decoding the resources. A Bundle
// is read as a token stream, so only one entry is in memory at a time.
func ReadBundle(r io.Reader, source string, fn func(Entry) error) error {
	dec := json.NewDecoder(r)
	fail := func(index int, err error) error {
		return &SourceError{Source: source, Index: index, Offset: dec.InputOffset(), Err: err}
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fail(-1, err)
	}
	sawBundle := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(-1, err)
		}
		key, _ := tok.(string)
		switch key {
		case "resourceType":
			var rt string
			if err := dec.Decode(&rt); err != nil {
				return fail(-1, err)
			}
			if rt != "Bundle" {
				return fail(-1, fmt.Errorf("resourceType is %q, not Bundle", rt))
			}
			sawBundle = true
		case "entry":
			if err := readEntries(dec, source, fn, fail); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(-1, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail(-1, err)
	}
	if !sawBundle {
		return fail(-1, errors.New("not a Bundle: resourceType missing"))
	}
	return nil
}

func readEntries(dec *json.Decoder, source string, fn func(Entry) error, fail func(int, error) error) error {
	if err := expectDelim(dec, '['); err != nil {
		return fail(-1, err)
	}
	for i := 0; dec.More(); i++ {
		var e struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		}
		if err := dec.Decode(&e); err != nil {
			return fail(i, err)
		}
		if err := fn(Entry{Source: source, Index: i, FullURL: e.FullURL, JSON: e.Resource}); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	if err != nil {
		return fail(-1, err)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q", want)
	}
	return nil
}
