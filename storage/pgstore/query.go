package pgstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// query runs q on q (a pool, or the connection of a transaction) and returns a
// page, with Next set when more records follow.
func (s *Store) query(ctx context.Context, db querier, q storage.Query) (storage.Page, error) {
	const op = "query"
	if err := storage.ValidateQuery(q); err != nil {
		return storage.Page{}, &storage.Error{Op: op, Type: q.Type, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	sql, args, err := buildQuery(q)
	if err != nil {
		return storage.Page{}, &storage.Error{Op: op, Type: q.Type, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	recs, err := s.records(ctx, db, op, q.Type, "", sql, args...)
	if err != nil {
		return storage.Page{}, err
	}
	var page storage.Page
	if n := storage.PageSize(q); len(recs) > n {
		recs = recs[:n]
		page.Next = storage.EncodeCursor(q, storage.PositionOf(recs[n-1], q.SortBy))
	}
	page.Records = recs
	return page, nil
}

// sqlBuilder collects a statement's text and its positional arguments.
type sqlBuilder struct {
	strings.Builder
	args []any
}

// arg adds a positional argument and returns its placeholder.
func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// buildQuery renders a validated query as SQL. Records are read through the
// narrow records table (type, compartment, current version) and joined to
// their current version; each filter is an EXISTS over the terms of the
// record, and the sort key is the id, the update time or the smallest value of
// a term (the empty string if the record has none), ties broken by type then
// id. The statement fetches one record more than a page to know whether a
// next page exists.
func buildQuery(q storage.Query) (string, []any, error) {
	var b sqlBuilder
	var key string
	switch q.SortBy {
	case storage.SortID:
		key = "r.id"
	case storage.SortUpdated:
		key = "r.updated"
	default:
		key = "COALESCE((SELECT t.value FROM record_terms t WHERE t.type = r.type AND t.id = r.id AND t.name = " +
			b.arg(q.SortBy) + " ORDER BY t.value LIMIT 1), '\\x'::bytea)"
	}
	b.WriteString("SELECT " + recordColumns + " FROM (SELECT r.type, r.id, r.version, " + key +
		" AS k FROM records r WHERE NOT r.deleted")
	if q.Type != "" {
		b.WriteString(" AND r.type = " + b.arg(q.Type))
	}
	if q.Compartment != "" {
		b.WriteString(" AND r.compartment = " + b.arg(q.Compartment))
	}
	for _, f := range q.Filters {
		b.WriteString(" AND EXISTS (SELECT 1 FROM record_terms t WHERE t.type = r.type AND t.id = r.id AND t.name = " + b.arg(f.Term))
		writeCondition(&b, f)
		b.WriteString(")")
	}
	b.WriteString(") r JOIN record_versions v ON v.type = r.type AND v.id = r.id AND v.version = r.version")
	cmp, dir := ">", ""
	if q.Desc {
		cmp, dir = "<", " DESC"
	}
	if q.Cursor != "" {
		pos, err := storage.DecodeCursor(q)
		if err != nil {
			return "", nil, err
		}
		var k any = []byte(pos.Key)
		switch q.SortBy {
		case storage.SortID:
			k = pos.Key
		case storage.SortUpdated:
			t, err := time.Parse(updatedLayout, pos.Key)
			if err != nil {
				return "", nil, err
			}
			k = t
		}
		b.WriteString(" WHERE (r.k, r.type, r.id) " + cmp + " (" + b.arg(k) + ", " + b.arg(pos.Type) + ", " + b.arg(pos.ID) + ")")
	}
	b.WriteString(" ORDER BY r.k" + dir + ", r.type" + dir + ", r.id" + dir + " LIMIT " + b.arg(storage.PageSize(q)+1))
	return b.String(), b.args, nil
}

// updatedLayout parses storage.UpdatedKey back into a time.
const updatedLayout = "2006-01-02T15:04:05.000000Z"

// writeCondition renders the comparison of a filter on t.value. Values
// compare as bytes; a prefix is the range [prefix, the next byte string that
// does not start with prefix).
func writeCondition(b *sqlBuilder, f storage.Filter) {
	v := []byte(f.Value)
	switch f.Op {
	case storage.Eq:
		b.WriteString(" AND t.value = " + b.arg(v))
	case storage.Prefix:
		b.WriteString(" AND t.value >= " + b.arg(v))
		if upper, ok := prefixEnd(v); ok {
			b.WriteString(" AND t.value < " + b.arg(upper))
		}
	case storage.Gt:
		b.WriteString(" AND t.value > " + b.arg(v))
	case storage.Ge:
		b.WriteString(" AND t.value >= " + b.arg(v))
	case storage.Lt:
		b.WriteString(" AND t.value < " + b.arg(v))
	case storage.Le:
		b.WriteString(" AND t.value <= " + b.arg(v))
	}
}

// prefixEnd returns the smallest byte string greater than every string
// starting with p, or false if there is none (p is empty or all 0xff).
func prefixEnd(p []byte) ([]byte, bool) {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1], true
		}
	}
	return nil, false
}
