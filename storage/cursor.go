package storage

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"
)

// Position is where a page ended: the sort key, type and id of its last record.
// Backends resume a query strictly after it.
type Position struct {
	Key  string `json:"k"`
	Type string `json:"t"`
	ID   string `json:"i"`
}

type cursorBody struct {
	Q   uint64   `json:"q"` // fingerprint of the query the cursor belongs to
	Pos Position `json:"p"`
}

// fingerprint hashes everything of q that defines its result order and set
// (not Limit or Cursor), so a cursor cannot be used with another query.
func fingerprint(q Query) uint64 {
	q.Limit, q.Cursor = 0, ""
	b, _ := json.Marshal(q)
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// EncodeCursor makes the opaque cursor that resumes q after pos.
func EncodeCursor(q Query, pos Position) string {
	b, _ := json.Marshal(cursorBody{Q: fingerprint(q), Pos: pos})
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = errors.New("cursor does not belong to this query")

// DecodeCursor returns the position q.Cursor resumes after. It fails if the
// cursor is malformed or was made for a different query.
func DecodeCursor(q Query) (Position, error) {
	b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	if err != nil {
		return Position{}, errBadCursor
	}
	var c cursorBody
	if err := json.Unmarshal(b, &c); err != nil || c.Q != fingerprint(q) {
		return Position{}, errBadCursor
	}
	return c.Pos, nil
}

// SortKey returns the value r sorts by under sortBy: the id, the last-updated
// time as a sortable string (UpdatedKey), or the smallest value of the term.
func SortKey(r Record, sortBy string) string {
	switch sortBy {
	case SortID:
		return r.ID
	case SortUpdated:
		return UpdatedKey(r.Updated)
	}
	key, found := "", false
	for _, t := range r.Terms {
		if t.Name == sortBy && (!found || t.Value < key) {
			key, found = t.Value, true
		}
	}
	return key
}

// TimeLayout is the layout of times in sort keys and index terms: UTC with
// microseconds, fixed width, so that the text sorts as the times do (years
// 0001 to 9999). Domain packages format time terms with it, in UTC.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// UpdatedKey renders a time as the sortable string used for SortUpdated
// (TimeLayout, in UTC).
func UpdatedKey(t time.Time) string { return t.UTC().Format(TimeLayout) }

// Less orders two positions as Query results are ordered (ascending).
func Less(a, b Position) bool {
	if a.Key != b.Key {
		return a.Key < b.Key
	}
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	return a.ID < b.ID
}

// PositionOf returns the position of r under sortBy.
func PositionOf(r Record, sortBy string) Position {
	return Position{Key: SortKey(r, sortBy), Type: r.Type, ID: r.ID}
}

// Matches reports whether r satisfies every filter of q (type, compartment and
// terms; not the cursor). Backends that evaluate queries in memory use it.
func Matches(r Record, q Query) bool {
	if r.Deleted || (q.Type != "" && r.Type != q.Type) || (q.Compartment != "" && r.Compartment != q.Compartment) {
		return false
	}
	for _, f := range q.Filters {
		if !matchesFilter(r, f) {
			return false
		}
	}
	return true
}

func matchesFilter(r Record, f Filter) bool {
	for _, t := range r.Terms {
		if t.Name == f.Term && compare(t.Value, f.Op, f.Value) {
			return true
		}
	}
	return false
}

func compare(v string, op Op, x string) bool {
	switch op {
	case Eq:
		return v == x
	case Prefix:
		return len(v) >= len(x) && v[:len(x)] == x
	case Gt:
		return v > x
	case Ge:
		return v >= x
	case Lt:
		return v < x
	case Le:
		return v <= x
	}
	return false
}
