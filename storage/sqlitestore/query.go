package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit/storage"
)

// querier is a *sql.DB (the read pool) or a *sql.Tx (inside Update).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// query runs q on db: one SELECT with a subquery per filter, ordered by the
// sort key then type then id, resuming strictly after the cursor position, and
// fetching one row more than the page to know whether another page follows.
func (s *Store) query(ctx context.Context, db querier, q storage.Query) (storage.Page, error) {
	const op = "query"
	if err := storage.ValidateQuery(q); err != nil {
		return storage.Page{}, invalid(op, q.Type, "", err)
	}
	text, args, err := buildQuery(q)
	if err != nil {
		return storage.Page{}, invalid(op, q.Type, "", err)
	}
	rows, err := s.rows(ctx, db, text, args)
	if err != nil {
		return storage.Page{}, s.wrap(ctx, op, q.Type, "", err)
	}
	defer rows.Close()
	n := storage.PageSize(q)
	var page storage.Page
	for rows.Next() {
		if len(page.Records) == n {
			page.Next = storage.EncodeCursor(q, storage.PositionOf(page.Records[n-1], q.SortBy))
			break
		}
		var rec storage.Record
		if err := scanRecord(rows, &rec, &rec.Type, &rec.ID); err != nil {
			return storage.Page{}, s.wrap(ctx, op, q.Type, "", err)
		}
		page.Records = append(page.Records, rec)
	}
	if err := rows.Err(); err != nil {
		return storage.Page{}, s.wrap(ctx, op, q.Type, "", err)
	}
	return page, nil
}

// rows runs a query's text on db: on the read pool through the statement
// prepared for that text (see queryCache), in a transaction as it is.
func (s *Store) rows(ctx context.Context, db querier, text string, args []any) (*sql.Rows, error) {
	if db == s.reader {
		stmt, err := s.queries.prepare(ctx, s.reader, text)
		if err != nil {
			return nil, err
		}
		if stmt != nil {
			return stmt.QueryContext(ctx, args...)
		}
	}
	return db.QueryContext(ctx, text, args...)
}

// queryCacheSize bounds the statements a queryCache keeps: queries of more
// shapes than that run unprepared.
const queryCacheSize = 256

// queryCache holds the read pool's prepared statements of the query texts a
// store has run. A text depends only on the shape of a query (its filters'
// terms and operators, sort, cursor or not), its values are arguments, so a
// service's searches reuse a few statements; parsing and planning one costs
// about a fifth of a patient search's CPU time.
type queryCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// prepare returns the statement of text, preparing it on db on first use,
// or nil when the cache is full.
func (c *queryCache) prepare(ctx context.Context, db *sql.DB, text string) (*sql.Stmt, error) {
	c.mu.RLock()
	stmt, ok := c.stmts[text]
	full := len(c.stmts) >= queryCacheSize
	c.mu.RUnlock()
	if ok || full {
		return stmt, nil
	}
	stmt, err := db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[text]; ok {
		// Another query prepared the same text meanwhile.
		return prev, stmt.Close()
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[text] = stmt
	return stmt, nil
}

// close closes every statement of the cache.
func (c *queryCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, stmt := range c.stmts {
		errs = append(errs, stmt.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}

// buildQuery renders q (already validated) as SQL and its arguments. The
// records of the page are chosen from the records table alone (sort key,
// cursor, limit) and only then joined with their versions, so that sorting
// never moves record bodies. A term sort key is computed once per candidate
// record in a materialized CTE.
func buildQuery(q storage.Query) (string, []any, error) {
	var (
		text string
		args []any
		err  error
	)
	if eqs := eqFilters(q); len(eqs) > 0 {
		text, args, err = buildTermDriven(q, eqs)
	} else {
		text, args, err = buildScan(q)
	}
	return hideArgs(text), args, err
}

// hideArgs writes every placeholder of a query text as +? (the unary plus
// leaves the value as it is): SQLite built with STAT4, as modernc.org/sqlite
// is, lets the values bound to plain placeholders in index constraints and
// in LIMIT steer the plan once its statistics hold samples (after ANALYZE or
// PRAGMA optimize), and then prepares the statement again each time it is
// run with new values, which costs about a fifth of a search's CPU time. The
// plus makes the plan independent of the values, so a prepared statement is
// planned once. The query texts hold no other question mark.
func hideArgs(text string) string { return strings.ReplaceAll(text, "?", "+?") }

// buildScan renders a query buildTermDriven does not serve: the candidate
// records are filtered by subqueries on the terms, then sorted and limited.
func buildScan(q storage.Query) (string, []any, error) {
	var (
		args  []any
		where = []string{"r.deleted = 0"}
	)
	key, materialized := "r.id", ""
	switch q.SortBy {
	case storage.SortID:
	case storage.SortUpdated:
		key = "r.updated"
	default:
		key = "coalesce(" + fnTermsMin + "(" + recordTerms + ", ?), '')"
		materialized = " MATERIALIZED"
		args = append(args, q.SortBy)
	}
	if q.Type != "" {
		where = append(where, "r.type = ?")
		args = append(args, q.Type)
	}
	if q.Compartment != "" {
		// The literal lets SQLite use the partial index on compartments.
		where = append(where, "r.compartment = ? AND r.compartment <> ''")
		args = append(args, q.Compartment)
	}
	for _, f := range q.Filters {
		if q.Type != "" {
			cond, fargs := termCondition(f)
			// With the type known, SQLite may drive the query from the term index.
			where = append(where, "r.id IN (SELECT t.id FROM terms t WHERE t.tn = "+tnOf+" AND "+cond+")")
			args = append(append(args, q.Type, f.Term), fargs...)
		} else {
			match, margs := recordMatch(f)
			where = append(where, match)
			args = append(args, margs...)
		}
	}
	// The order: key, then type (unless the query fixes it), then id (unless
	// the key is the id).
	cols := []string{"k"}
	if q.Type == "" {
		cols = append(cols, "type")
	}
	if q.SortBy != storage.SortID {
		cols = append(cols, "id")
	}
	after := ""
	if q.Cursor != "" {
		pos, err := storage.DecodeCursor(q)
		if err != nil {
			return "", nil, err
		}
		var k any = pos.Key
		if q.SortBy == storage.SortUpdated {
			t, err := time.Parse(updatedLayout, pos.Key)
			if err != nil {
				return "", nil, err
			}
			k = t.UnixMicro()
		}
		args = append(args, k)
		if q.Type == "" {
			args = append(args, pos.Type)
		}
		if q.SortBy != storage.SortID {
			args = append(args, pos.ID)
		}
		cmp := " > ("
		if q.Desc {
			cmp = " < ("
		}
		after = "WHERE (" + strings.Join(cols, ", ") + ")" + cmp + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ") "
	}
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	orderBy := func(prefix string) string {
		return " ORDER BY " + prefix + strings.Join(cols, dir+", "+prefix) + dir
	}
	args = append(args, storage.PageSize(q)+1)
	text := "WITH keyed AS" + materialized + " (SELECT r.type, r.id, r.rid, " + key + " AS k FROM records r WHERE " +
		strings.Join(where, " AND ") + ") " +
		"SELECT s.type, s.id, " + recordColumns + " FROM (SELECT type, id, rid, k FROM keyed " + after +
		orderBy("") + " LIMIT ?) s JOIN versions v ON v.rid = s.rid" + orderBy("s.")
	return text, args, nil
}

// tnOf is the integer of a record type and term name given as arguments:
// NULL, which matches no term, for a name never indexed.
const tnOf = "(SELECT tn FROM term_names WHERE type = ? AND name = ?)"

// recordTerms is the term list of the record r: the terms column of its
// current version, read by rowid.
const recordTerms = "(SELECT cv.terms FROM versions cv WHERE cv.rid = r.rid)"

// recordMatch renders a filter checked on the terms of the record r (see
// fnTermsMatch) and its arguments.
func recordMatch(f storage.Filter) (string, []any) {
	v := []byte(f.Value)
	var lo, hi bound
	switch f.Op {
	case storage.Eq:
		lo, hi = bound{v, true, true}, bound{v, true, true}
	case storage.Gt:
		lo = bound{v, true, false}
	case storage.Ge:
		lo = bound{v, true, true}
	case storage.Lt:
		hi = bound{v, true, false}
	case storage.Le:
		hi = bound{v, true, true}
	default: // storage.Prefix
		lo = bound{v, true, true}
		if end, ok := prefixEnd(f.Value); ok {
			hi = bound{[]byte(end), true, false}
		}
	}
	return fnTermsMatch + "(" + recordTerms + ", ?, ?, ?, ?, ?)", []any{f.Term, lo.value, lo.kind(), hi.value, hi.kind()}
}

// eqFilters returns the positions of the equality filters of a query that the
// term index can drive in id order: a query of one type, outside any
// compartment, sorted by id. It returns nil for every other query.
func eqFilters(q storage.Query) []int {
	if q.Type == "" || q.Compartment != "" || q.SortBy != storage.SortID {
		return nil
	}
	var out []int
	for i, f := range q.Filters {
		if f.Op == storage.Eq {
			out = append(out, i)
		}
	}
	return out
}

// buildTermDriven renders a query in id order with equality filters (eqs,
// positions in q.Filters) so that the page is read from the term index in id
// order and the reading stops once the page is full: the ids of one
// equality's range of the terms table are already in id order; the ids of several
// are intersected by a merge of those ranges (a compound SELECT with ORDER
// BY, which SQLite runs as a merge of sorted co-routines), never by
// materialising every match. The other filters are checked per candidate on
// the candidate's version (recordMatch), and only the page's versions are
// read.
func buildTermDriven(q storage.Query, eqs []int) (string, []any, error) {
	var args []any
	cmp, dir := ">", ""
	if q.Desc {
		cmp, dir = "<", " DESC"
	}
	after := ""
	if q.Cursor != "" {
		pos, err := storage.DecodeCursor(q)
		if err != nil {
			return "", nil, err
		}
		after = " AND id " + cmp + " ?"
		args = append(args, pos.Key)
	}
	arms := make([]string, 0, len(eqs))
	var armArgs []any
	for _, i := range eqs {
		f := q.Filters[i]
		arms = append(arms, "SELECT id FROM terms WHERE tn = "+tnOf+" AND value = ?"+after)
		armArgs = append(armArgs, q.Type, f.Term, f.Value)
		armArgs = append(armArgs, args...)
	}
	var from string
	if len(arms) == 1 {
		from = "(" + arms[0] + ")"
	} else {
		// LIMIT -1 (no limit) keeps the compound a co-routine merged in
		// order rather than one materialised into a temporary table.
		from = "(" + strings.Join(arms, " INTERSECT ") + " ORDER BY 1" + dir + " LIMIT -1)"
	}
	args = append(armArgs, q.Type)
	where := []string{"r.deleted = 0"}
	for i, f := range q.Filters {
		if slices.Contains(eqs, i) {
			continue
		}
		match, margs := recordMatch(f)
		where = append(where, match)
		args = append(args, margs...)
	}
	args = append(args, storage.PageSize(q)+1)
	// CROSS JOIN fixes the join order: the ids drive, records are probed.
	text := "SELECT s.type, s.id, " + recordColumns + " FROM (SELECT r.type, r.id, r.rid FROM " + from +
		" d CROSS JOIN records r ON r.type = ? AND r.id = d.id WHERE " + strings.Join(where, " AND ") +
		" ORDER BY d.id" + dir + " LIMIT ?) s JOIN versions v ON v.rid = s.rid ORDER BY s.id" + dir
	return text, args, nil
}

// termCondition renders a filter's comparison on t.value. A prefix becomes a
// range so that the term index serves it: value >= p AND value < p', where p'
// is the least string greater than every string starting with p.
func termCondition(f storage.Filter) (string, []any) {
	switch f.Op {
	case storage.Eq:
		return "t.value = ?", []any{f.Value}
	case storage.Gt:
		return "t.value > ?", []any{f.Value}
	case storage.Ge:
		return "t.value >= ?", []any{f.Value}
	case storage.Lt:
		return "t.value < ?", []any{f.Value}
	case storage.Le:
		return "t.value <= ?", []any{f.Value}
	}
	// storage.Prefix (ValidateQuery admits no other operator).
	if end, ok := prefixEnd(f.Value); ok {
		return "t.value >= ? AND t.value < ?", []any{f.Value, end}
	}
	return "t.value >= ?", []any{f.Value}
}

// prefixEnd returns the least string greater than every string with prefix p:
// p without its trailing 0xff bytes, last byte incremented. ok is false when
// there is none (p is empty or all 0xff).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// Explain returns SQLite's query plan for q (the details of EXPLAIN QUERY
// PLAN, one per node): see storage.Explainer.
func (s *Store) Explain(ctx context.Context, q storage.Query) ([]string, error) {
	const op = "explain"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	if err := storage.ValidateQuery(q); err != nil {
		return nil, invalid(op, q.Type, "", err)
	}
	text, args, err := buildQuery(q)
	if err != nil {
		return nil, invalid(op, q.Type, "", err)
	}
	rows, err := s.reader.QueryContext(ctx, "EXPLAIN QUERY PLAN "+text, args...)
	if err != nil {
		return nil, s.wrap(ctx, op, q.Type, "", err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, s.wrap(ctx, op, q.Type, "", err)
		}
		plan = append(plan, detail)
	}
	return plan, s.wrap(ctx, op, q.Type, "", rows.Err())
}
