package sqlitestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit/storage"
)

// errCorrupt reports stored bytes this package cannot decode.
var errCorrupt = errors.New("malformed stored term list")

// encodeTerms encodes a term list as a sequence of (name, value) pairs, each
// string preceded by its length as a uvarint. A nil list encodes as nil (stored
// as NULL) and an empty one as an empty blob, so both read back as written.
func encodeTerms(terms []storage.Term) []byte {
	if terms == nil {
		return nil
	}
	n := 0
	for _, t := range terms {
		n += len(t.Name) + len(t.Value) + 2*binary.MaxVarintLen32
	}
	b := make([]byte, 0, n)
	for _, t := range terms {
		b = binary.AppendUvarint(b, uint64(len(t.Name)))
		b = append(b, t.Name...)
		b = binary.AppendUvarint(b, uint64(len(t.Value)))
		b = append(b, t.Value...)
	}
	return b
}

// decodeTerms reverses encodeTerms. The names and values share one string
// copied from b, and the list is allocated at its final size once its
// strings are counted, so a record's terms cost two allocations, not one per
// string or per growth of the list.
func decodeTerms(b []byte) ([]storage.Term, error) {
	if b == nil {
		return nil, nil
	}
	s := string(b)
	strs := 0
	for off := 0; off < len(b); strs++ {
		_, next, err := readString(b, s, off)
		if err != nil {
			return nil, err
		}
		off = next
	}
	if strs%2 != 0 {
		return nil, errCorrupt
	}
	terms := make([]storage.Term, 0, strs/2)
	for off := 0; off < len(b); {
		// The strings were read once above: these reads cannot fail.
		name, next, _ := readString(b, s, off)
		value, next, _ := readString(b, s, next)
		terms = append(terms, storage.Term{Name: name, Value: value})
		off = next
	}
	return terms, nil
}

// bound is one end of a range of term values: none when !set, else value,
// which belongs to the range when inclusive.
type bound struct {
	value          []byte
	set, inclusive bool
}

// termsMatch reports whether the encoded term list b holds a term called name
// whose value lies above lo and below hi. It reads b in place, without
// decoding it into a list.
func termsMatch(b []byte, name string, lo, hi bound) (bool, error) {
	for off := 0; off < len(b); {
		n, v, next, err := readTerm(b, off)
		if err != nil {
			return false, err
		}
		off = next
		if string(n) != name {
			continue
		}
		above := !lo.set || bytes.Compare(v, lo.value) > 0 || lo.inclusive && bytes.Equal(v, lo.value)
		if above && (!hi.set || bytes.Compare(v, hi.value) < 0 || hi.inclusive && bytes.Equal(v, hi.value)) {
			return true, nil
		}
	}
	return false, nil
}

// termsMin returns the smallest value of the terms called name in the
// encoded term list b; ok is false when there is none.
func termsMin(b []byte, name string) (min string, ok bool, err error) {
	for off := 0; off < len(b); {
		n, v, next, err := readTerm(b, off)
		if err != nil {
			return "", false, err
		}
		off = next
		if string(n) == name && (!ok || string(v) < min) {
			min, ok = string(v), true
		}
	}
	return min, ok, nil
}

// readTerm reads the term at offset off of the encoded term list b, returning
// its name and value as parts of b and the offset after it.
func readTerm(b []byte, off int) (name, value []byte, next int, err error) {
	start, end, err := readSpan(b, off)
	if err != nil {
		return nil, nil, 0, err
	}
	vstart, vend, err := readSpan(b, end)
	if err != nil {
		return nil, nil, 0, err
	}
	return b[start:end], b[vstart:vend], vend, nil
}

// readSpan returns the bounds of the length-prefixed string at offset off of
// b.
func readSpan(b []byte, off int) (start, end int, err error) {
	n, k := binary.Uvarint(b[off:])
	if k <= 0 || n > uint64(len(b)-off-k) {
		return 0, 0, errCorrupt
	}
	start = off + k
	return start, start + int(n), nil
}

// readString reads the length-prefixed string at offset off of b, returning
// it as a part of s (the same bytes as b) and the offset after it.
func readString(b []byte, s string, off int) (string, int, error) {
	start, end, err := readSpan(b, off)
	if err != nil {
		return "", 0, err
	}
	return s[start:end], end, nil
}

// encodeLabels joins labels with spaces (a label never holds one). A nil list
// is stored as NULL and an empty one as "", so both read back as written.
func encodeLabels(labels []string) any {
	if labels == nil {
		return nil
	}
	return strings.Join(labels, " ")
}

// decodeLabels reverses encodeLabels; valid reports a non-NULL column.
func decodeLabels(s string, valid bool) []string {
	switch {
	case !valid:
		return nil
	case s == "":
		return []string{}
	}
	return strings.Split(s, " ")
}

// fromMicros converts a stored time (microseconds since the Unix epoch, as
// written by time.Time.UnixMicro) back to a UTC time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// updatedLayout is the layout of storage.UpdatedKey, used to turn a cursor
// position back into stored microseconds.
const updatedLayout = "2006-01-02T15:04:05.000000Z"
