package pgstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/internal/termname"
)

// query runs q on q (a pool, or the connection of a transaction) and returns a
// page, with Next set when more records follow.
func (s *Store) query(ctx context.Context, db querier, q storage.Query) (storage.Page, error) {
	const op = "query"
	if err := storage.ValidateQuery(q); err != nil {
		return storage.Page{}, &storage.Error{Op: op, Type: q.Type, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	tns, err := s.termNames(ctx, db, q)
	if err != nil {
		return storage.Page{}, s.fail(ctx, op, q.Type, "", err)
	}
	sql, args, err := buildQuery(q, tns)
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

// termNames returns the integers (tn) of the term names a query of one type
// filters and sorts on, 0 (which no term has) for a name never indexed, so
// that the planner sees each term's own statistics. A query without a type
// looks its names up per record instead (see tnOf). Integers read on the pool
// are committed and cached; inside a transaction (db is its connection) a
// name the transaction added itself may show, so those are not cached.
func (s *Store) termNames(ctx context.Context, db querier, q storage.Query) (map[string]int32, error) {
	if q.Type == "" {
		return nil, nil
	}
	names := make([]string, 0, len(q.Filters)+1)
	for _, f := range q.Filters {
		names = append(names, f.Term)
	}
	if q.SortBy != storage.SortID && q.SortBy != storage.SortUpdated {
		names = append(names, q.SortBy)
	}
	_, committed := db.(*pgxpool.Pool)
	tns := make(map[string]int32, len(names))
	for _, name := range names {
		k := termname.Key{Type: q.Type, Name: name}
		if tn, ok := s.names.Get(k); ok {
			tns[name] = tn
			continue
		}
		rows, err := db.Query(ctx, `SELECT tn FROM term_names WHERE type = $1 AND name = $2`, q.Type, name)
		if err != nil {
			return nil, err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			tns[name] = found[0]
			if committed {
				s.names.Add(map[termname.Key]int32{k: found[0]})
			}
		} else {
			tns[name] = 0
		}
	}
	return tns, nil
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
// their current version only once the page is chosen; the sort key is the id,
// the update time or the smallest value of a term (the empty string if the
// record has none), ties broken by type then id. The statement fetches one
// record more than a page to know whether a next page exists.
//
// When the query names a type but no compartment and has an eq or prefix
// filter, the statement starts from that filter's range of the term index
// (see driver): the ids found there are deduplicated and only they are looked
// up in records, so the work grows with the matches rather than with the
// table. Every other filter is an EXISTS over the terms of the record. With a
// compartment the planner stays free to start from the compartment index, and
// without an eq or prefix filter from records in key order.
//
// tns holds the integers of the query's term names when it has a type (see
// Store.termNames).
func buildQuery(q storage.Query, tns map[string]int32) (string, []any, error) {
	var b sqlBuilder
	// tn renders the integer of a term name of the record rel.
	tn := func(rel, name string) string {
		if q.Type != "" {
			return b.arg(tns[name])
		}
		return tnOf(rel+".type", b.arg(name))
	}
	di := driver(q)
	// rec names the relation whose type and id identify a candidate: the
	// driving ids when there are some, so that their index order is known to
	// be the id order.
	rec := "r"
	if di >= 0 {
		rec = "d"
	}
	var key string
	switch q.SortBy {
	case storage.SortID:
		key = rec + ".id"
	case storage.SortUpdated:
		key = "r.updated"
	default:
		key = "COALESCE((SELECT t.value FROM record_terms t WHERE t.tn = " + tn(rec, q.SortBy) + " AND t.id = " + rec + ".id" +
			" ORDER BY t.value LIMIT 1), '\\x'::bytea)"
	}
	var pos storage.Position
	if q.Cursor != "" {
		var err error
		if pos, err = storage.DecodeCursor(q); err != nil {
			return "", nil, err
		}
	}
	cmp, dir := ">", ""
	if q.Desc {
		cmp, dir = "<", " DESC"
	}
	// resume bounds the id from the cursor when the page is in id order: implied
	// by the keyset condition below, but usable by an index.
	resume := func(col string) {
		if q.Cursor != "" && q.SortBy == storage.SortID {
			b.WriteString(" AND " + col + " " + cmp + "= " + b.arg(pos.Key))
		}
	}
	b.WriteString("SELECT " + recordColumns + " FROM (SELECT p.type, p.id, p.version, p.k FROM (SELECT " +
		rec + ".type, " + rec + ".id, r.version, " + key + " AS k FROM ")
	filters := q.Filters
	if di >= 0 {
		f := filters[di]
		filters = append(filters[:di:di], filters[di+1:]...)
		b.WriteString("(SELECT DISTINCT " + b.arg(q.Type) + "::text COLLATE \"C\" AS type, d.id FROM record_terms d WHERE d.tn = " + tn("d", f.Term))
		writeCondition(&b, "d.value", f)
		resume("d.id")
		if f.Op == storage.Eq {
			// The other equalities join the driving range here, where the
			// planner may merge their id-ordered ranges of the term index
			// (or probe from the one its statistics find smallest) instead
			// of probing every id of the first.
			var rest []storage.Filter
			for _, g := range filters {
				if g.Op != storage.Eq {
					rest = append(rest, g)
					continue
				}
				b.WriteString(" AND EXISTS (SELECT 1 FROM record_terms e WHERE e.tn = " + tn("d", g.Term) + " AND e.id = d.id")
				writeCondition(&b, "e.value", g)
				b.WriteString(")")
			}
			filters = rest
		}
		// OFFSET 0 keeps the lateral lookup a probe of the primary key per id:
		// joined freely, the planner may merge the ids with a scan of every
		// record of the type.
		b.WriteString(") d CROSS JOIN LATERAL (SELECT r.version, r.updated, r.deleted FROM records r" +
			" WHERE r.type = d.type AND r.id = d.id OFFSET 0) r WHERE NOT r.deleted")
	} else {
		b.WriteString("records r WHERE NOT r.deleted")
		if q.Type != "" {
			b.WriteString(" AND r.type = " + b.arg(q.Type))
		}
		if q.Compartment != "" {
			b.WriteString(" AND r.compartment = " + b.arg(q.Compartment))
		}
		resume("r.id")
	}
	for _, f := range filters {
		// OFFSET 0 keeps the check a probe of the record's terms per
		// candidate: with the type and term fixed, the planner may otherwise
		// turn it into a join with every term of the filter's range, sorted
		// by id.
		b.WriteString(" AND EXISTS (SELECT 1 FROM record_terms t WHERE t.tn = " + tn(rec, f.Term) + " AND t.id = " + rec + ".id")
		writeCondition(&b, "t.value", f)
		b.WriteString(" OFFSET 0)")
	}
	b.WriteString(") p")
	if q.Cursor != "" {
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
		b.WriteString(" WHERE (p.k, p.type, p.id) " + cmp + " (" + b.arg(k) + ", " + b.arg(pos.Type) + ", " + b.arg(pos.ID) + ")")
	}
	// The order: key, then type unless the query fixes it (so that an index in
	// id order of one type serves it), then id.
	order := func(rel string) string {
		o := " ORDER BY " + rel + ".k" + dir
		if q.Type == "" {
			o += ", " + rel + ".type" + dir
		}
		return o + ", " + rel + ".id" + dir
	}
	// The page is chosen before its versions are read.
	b.WriteString(order("p") + " LIMIT " + b.arg(storage.PageSize(q)+1) + ") p" +
		" JOIN record_versions v ON v.type = p.type AND v.id = p.id AND v.version = p.version" + order("p"))
	return b.String(), b.args, nil
}

// tnOf renders the integer of the record type typ and the term name name
// (both SQL expressions) looked up in term_names, for a query without a type:
// NULL, which matches no term, for a name never indexed.
func tnOf(typ, name string) string {
	return "(SELECT n.tn FROM term_names n WHERE n.type = " + typ + " AND n.name = " + name + ")"
}

// driver returns the index of the filter a query starts from, or -1 to start
// from records: only a query with a type and no compartment has one, and it is
// the first eq filter or else the longest non-empty prefix filter. Without
// statistics of its own the store takes an equality as the most selective
// condition and a longer prefix as more selective than a shorter one; range
// filters are never chosen, as they often match most of a type.
func driver(q storage.Query) int {
	if q.Type == "" || q.Compartment != "" {
		return -1
	}
	best := -1
	for i, f := range q.Filters {
		switch {
		case f.Op == storage.Eq:
			return i
		case f.Op == storage.Prefix && f.Value != "" && (best < 0 || len(f.Value) > len(q.Filters[best].Value)):
			best = i
		}
	}
	return best
}

// updatedLayout parses storage.UpdatedKey back into a time.
const updatedLayout = "2006-01-02T15:04:05.000000Z"

// writeCondition renders the comparison of a filter on col. Values
// compare as bytes; a prefix is the range [prefix, the next byte string that
// does not start with prefix).
func writeCondition(b *sqlBuilder, col string, f storage.Filter) {
	v := []byte(f.Value)
	switch f.Op {
	case storage.Eq:
		b.WriteString(" AND " + col + " = " + b.arg(v))
	case storage.Prefix:
		b.WriteString(" AND " + col + " >= " + b.arg(v))
		if upper, ok := prefixEnd(v); ok {
			b.WriteString(" AND " + col + " < " + b.arg(upper))
		}
	case storage.Gt:
		b.WriteString(" AND " + col + " > " + b.arg(v))
	case storage.Ge:
		b.WriteString(" AND " + col + " >= " + b.arg(v))
	case storage.Lt:
		b.WriteString(" AND " + col + " < " + b.arg(v))
	case storage.Le:
		b.WriteString(" AND " + col + " <= " + b.arg(v))
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

// Explain returns PostgreSQL's plans for q (EXPLAIN, one line per row of its
// text output; see storage.Explainer): the plan for q's values, then the
// generic plan of its statement. The store runs queries as prepared
// statements, and PostgreSQL plans a prepared statement for the values of
// its first runs, then may switch to one generic plan for any values, so
// both are the plans a query may run with. Each plan starts with its root
// node, the one line without indentation.
func (s *Store) Explain(ctx context.Context, q storage.Query) ([]string, error) {
	const op = "explain"
	if err := s.check(ctx, op); err != nil {
		return nil, err
	}
	if err := storage.ValidateQuery(q); err != nil {
		return nil, &storage.Error{Op: op, Type: q.Type, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	tns, err := s.termNames(ctx, s.pool, q)
	if err != nil {
		return nil, s.fail(ctx, op, q.Type, "", err)
	}
	sql, args, err := buildQuery(q, tns)
	if err != nil {
		return nil, &storage.Error{Op: op, Type: q.Type, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	rows, err := s.pool.Query(ctx, "EXPLAIN "+sql, args...)
	if err != nil {
		return nil, s.fail(ctx, op, q.Type, "", err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.fail(ctx, op, q.Type, "", err)
	}
	generic, err := s.explainGeneric(ctx, sql, args)
	if err != nil {
		return nil, s.fail(ctx, op, q.Type, "", err)
	}
	return append(plan, generic...), nil
}

// explainGeneric returns the generic plan of a statement: prepared on one
// connection and explained with PostgreSQL made to plan it for any values.
// A connection left with the statement or the setting after a failure is
// closed, so that the pool drops it.
func (s *Store) explainGeneric(ctx context.Context, sql string, args []any) (plan []string, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	defer func() {
		if err != nil {
			_ = conn.Conn().Close(ctx) // the failure reported is err
		}
	}()
	params := make([]string, len(args))
	for i := range args {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	for _, stmt := range []string{"SET plan_cache_mode = force_generic_plan", "PREPARE ehrkit_explain AS " + sql} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return nil, err
		}
	}
	// EXECUTE is a utility statement, whose arguments cannot be bound
	// parameters: the simple protocol writes them in as literals.
	rows, err := conn.Query(ctx, "EXPLAIN EXECUTE ehrkit_explain("+strings.Join(params, ", ")+")",
		append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
	if err != nil {
		return nil, err
	}
	if plan, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, err
	}
	for _, stmt := range []string{"DEALLOCATE ehrkit_explain", "RESET plan_cache_mode"} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return nil, err
		}
	}
	return plan, nil
}
