package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/ehrkit/ehrkit"
)

// Meta is what a Kind derives from a value to store it: id, compartment,
// security labels and index terms.
type Meta struct {
	ID          string
	Compartment string
	Labels      []string
	Terms       []Term
}

// Kind describes how values of type T are stored. A domain package declares one
// Kind per type it persists, then reads and writes T values through it.
//
//	var patients = storage.Kind[Patient]{
//		Type: "Patient", Version: 1,
//		Meta: func(p *Patient) storage.Meta { return storage.Meta{ID: p.ID, Compartment: p.ID} },
//	}
//
// Values are encoded as the JSON envelope {"v": Version, "d": value}. Fields
// added later decode as zero values from older data and unknown fields are
// ignored; for changes beyond that, Upgrade rewrites an older envelope's data.
type Kind[T any] struct {
	Type    string          // record type
	Version int             // encoding version written; 0 is treated as 1
	Meta    func(v *T) Meta // derives id, compartment, labels and terms
	Upgrade func(from int, data json.RawMessage) (json.RawMessage, error)
}

type envelope struct {
	V int             `json:"v"`
	D json.RawMessage `json:"d"`
}

func (k Kind[T]) version() int {
	if k.Version == 0 {
		return 1
	}
	return k.Version
}

// Encode turns v into a record (Version and Updated are left to the store).
func (k Kind[T]) Encode(v *T) (Record, error) {
	d, err := json.Marshal(v)
	if err != nil {
		return Record{}, Errorf("encode", k.Type, "", ehrkit.ErrInvalid, "%w", err)
	}
	// The envelope is written by hand: marshalling it would scan d again to
	// compact and escape what json.Marshal has just written compact and
	// escaped. The bytes are those json.Marshal(envelope{...}) gives.
	b := make([]byte, 0, len(d)+24)
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(k.version()), 10)
	b = append(b, `,"d":`...)
	b = append(b, d...)
	b = append(b, '}')
	m := k.Meta(v)
	return Record{Type: k.Type, ID: m.ID, Compartment: m.Compartment, Labels: m.Labels, Terms: m.Terms, Value: b}, nil
}

// Decode turns a record back into a value, upgrading older encodings.
func (k Kind[T]) Decode(r Record) (T, error) {
	// A record of the current encoding, the common case, is decoded in one
	// pass, envelope and value together; the envelope alone is read first
	// only for the others (and to report an error).
	var current struct {
		V int `json:"v"`
		D *T  `json:"d"` // nil when the value is missing or null
	}
	if err := json.Unmarshal(r.Value, &current); err == nil && current.V == k.version() && current.D != nil {
		return *current.D, nil
	}
	var out T
	var env envelope
	if err := json.Unmarshal(r.Value, &env); err != nil {
		return out, Errorf("decode", r.Type, r.ID, ehrkit.ErrInvalid, "%w", err)
	}
	if env.V > k.version() {
		return out, Errorf("decode", r.Type, r.ID, ehrkit.ErrUnsupported, "encoding version %d is newer than %d", env.V, k.version())
	}
	data := env.D
	if env.V < k.version() && k.Upgrade != nil {
		up, err := k.Upgrade(env.V, data)
		if err != nil {
			return out, Errorf("decode", r.Type, r.ID, ehrkit.ErrInvalid, "upgrade from version %d: %w", env.V, err)
		}
		data = up
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, Errorf("decode", r.Type, r.ID, ehrkit.ErrInvalid, "%w", err)
	}
	return out, nil
}

// Get reads and decodes the current value with the given id. The version is
// returned for a later optimistic write.
func (k Kind[T]) Get(ctx context.Context, r Reader, id string) (T, int64, error) {
	rec, err := r.Get(ctx, k.Type, id)
	if err != nil {
		var zero T
		return zero, 0, err
	}
	v, err := k.Decode(rec)
	return v, rec.Version, err
}

// Put encodes v and writes it in tx, expecting version expect (0 to create,
// Any to skip the check). It returns the new version.
func (k Kind[T]) Put(ctx context.Context, tx Tx, v *T, expect int64) (int64, error) {
	rec, err := k.Encode(v)
	if err != nil {
		return 0, err
	}
	out, err := tx.Put(ctx, rec, expect)
	if err != nil {
		return 0, err
	}
	return out.Version, nil
}

// Query runs q with q.Type set to the kind's type and decodes the page.
func (k Kind[T]) Query(ctx context.Context, r Reader, q Query) ([]T, string, error) {
	q.Type = k.Type
	page, err := r.Query(ctx, q)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(page.Records))
	for _, rec := range page.Records {
		v, err := k.Decode(rec)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, page.Next, nil
}

// All iterates over every page of q, decoding each value.
func (k Kind[T]) All(ctx context.Context, r Reader, q Query) func(yield func(T, error) bool) {
	return func(yield func(T, error) bool) {
		for {
			vals, next, err := k.Query(ctx, r, q)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range vals {
				if !yield(v, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			q.Cursor = next
		}
	}
}

// Describe names a record for messages: "Type/id".
func Describe(r Record) string { return fmt.Sprintf("%s/%s", r.Type, r.ID) }

// Outcome says what Kind.Save did to the stored record.
type Outcome string

// Outcomes of Kind.Save.
const (
	Created   Outcome = "created"   // the record did not exist (or was deleted)
	Updated   Outcome = "updated"   // a new version replaced a different one
	Unchanged Outcome = "unchanged" // the stored version already held the value
)

// Save writes v as the current version of its record in tx whatever version
// is stored: it creates the record (also over a tombstone), replaces it when
// it differs from what is stored, or leaves it as it is. before, when not nil,
// runs before a write with the value being replaced (nil for a new record);
// its error stops the write. Save is the building block of a domain
// package's import entry points, which validate and run their rules in before.
// Under ehrkit.Lenient the record is labelled ehrkit.LabelUnverifiedCode.
func (k Kind[T]) Save(ctx context.Context, tx Tx, v *T, before func(previous *T) error) (Outcome, error) {
	// v is encoded as late as possible: before may change it, and a new
	// record has no stored one to compare with, so it is encoded once.
	var rec Record
	var err error
	var id string
	if before == nil {
		if rec, err = k.encodeFor(ctx, v); err != nil {
			return "", err
		}
		id = rec.ID
	} else {
		id = k.Meta(v).ID
	}
	cur, err := tx.Get(ctx, k.Type, id)
	exists := err == nil
	if err != nil && !errors.Is(err, ehrkit.ErrNotFound) {
		return "", err
	}
	if exists && before != nil {
		if rec, err = k.encodeFor(ctx, v); err != nil {
			return "", err
		}
	}
	if exists && sameRecord(cur, rec) {
		return Unchanged, nil
	}
	if before != nil {
		var previous *T
		if exists {
			p, err := k.Decode(cur)
			if err != nil {
				return "", err
			}
			previous = &p
		}
		if err := before(previous); err != nil {
			return "", err
		}
		// before may change v (a computed flag); encode what it left.
		if rec, err = k.encodeFor(ctx, v); err != nil {
			return "", err
		}
		if exists && sameRecord(cur, rec) {
			return Unchanged, nil
		}
	}
	if exists {
		_, err = tx.Put(ctx, rec, cur.Version)
		return Updated, err
	}
	if _, err = tx.Put(ctx, rec, 0); errors.Is(err, ehrkit.ErrConflict) {
		_, err = tx.Put(ctx, rec, Any) // a tombstone: create over it
	}
	return Created, err
}

// encodeFor encodes v, labelled ehrkit.LabelUnverifiedCode under
// ehrkit.Lenient.
func (k Kind[T]) encodeFor(ctx context.Context, v *T) (Record, error) {
	rec, err := k.Encode(v)
	if err == nil && ehrkit.IsLenient(ctx) && !rec.HasLabel(ehrkit.LabelUnverifiedCode) {
		rec.Labels = append(rec.Labels, ehrkit.LabelUnverifiedCode)
	}
	return rec, err
}

// sameRecord reports whether two records hold the same value and metadata.
func sameRecord(a, b Record) bool {
	return bytes.Equal(a.Value, b.Value) && a.Compartment == b.Compartment &&
		slices.Equal(a.Labels, b.Labels) && slices.Equal(a.Terms, b.Terms)
}

// View is the read side of a Kind. A domain package exports Views of its
// kinds so that other packages (an exporter, a report) decode its records;
// writes stay with the owning package, which alone holds the Kind.
type View[T any] struct{ kind Kind[T] }

// View returns the read side of k.
func (k Kind[T]) View() View[T] { return View[T]{kind: k} }

// Type returns the record type the view decodes.
func (v View[T]) Type() string { return v.kind.Type }

// Decode turns a record of the view's type back into a value.
func (v View[T]) Decode(r Record) (T, error) { return v.kind.Decode(r) }

// Meta derives the id, compartment, labels and terms the value is stored with.
func (v View[T]) Meta(x *T) Meta { return v.kind.Meta(x) }

// All iterates over every value q selects in r, page by page (see Kind.All);
// q.Type is the view's.
func (v View[T]) All(ctx context.Context, r Reader, q Query) func(yield func(T, error) bool) {
	return v.kind.All(ctx, r, q)
}

// Delete writes a tombstone over the current version of record id in tx:
// the building block of a domain package's delete entry points. before, when
// not nil, runs first with the value being deleted; its error (a domain rule
// refusing the deletion) stops it. A record that does not exist or is
// deleted already is left as it is and Delete reports false, so deleting
// twice is not an error.
func (k Kind[T]) Delete(ctx context.Context, tx Tx, id string, before func(current *T) error) (bool, error) {
	cur, err := tx.Get(ctx, k.Type, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if before != nil {
		v, err := k.Decode(cur)
		if err != nil {
			return false, err
		}
		if err := before(&v); err != nil {
			return false, err
		}
	}
	return true, tx.Delete(ctx, k.Type, id, cur.Version)
}
