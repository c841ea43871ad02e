package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/internal/termname"
)

// errTxDone reports use of a transaction after its Update call returned.
var errTxDone = errors.New("transaction has ended")

// Update runs fn in a transaction. The transaction holds SQLite's write lock
// from its start (BEGIN IMMEDIATE), so transactions run one at a time and a
// version check that passed stays true until commit. The version a write
// expects of a record the transaction has not written yet is compared, with
// those of the other writes of the batch in one statement, when the batch is
// flushed: a stale one fails the transaction's next query, Emit or Update
// itself, and nothing of the transaction is written. If fn returns
// an error or panics, or ctx ends, the transaction rolls back. After the
// commit, Update counts the pages the commit added to the write-ahead log,
// for the store's checkpointer.
func (s *Store) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	const op = "update"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return s.wrap(ctx, op, "", "", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(ctx, op, "", "", err)
	}
	t := &tx{s: s, sqlTx: sqlTx, now: s.clock.Now().UTC().Truncate(time.Microsecond), bound: map[*sql.Stmt]*sql.Stmt{}}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := t.flush(ctx); err != nil {
		return err
	}
	if err := storage.Ctx(ctx, "commit"); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return s.wrap(ctx, "commit", "", "", err)
	}
	committed = true
	s.names.Add(t.names)
	if s.ckpt != nil {
		s.ckpt.committed(ctx, conn)
	}
	return nil
}

type key struct{ typ, id string }

// tx is the storage.Tx of one Update call. Every write carries the time the
// transaction began. Version rows and index terms of written records are
// buffered and inserted in multi-row statements before the next query or
// event and at commit; a read of a buffered record is answered from the
// buffer, and the version checks use the versions this transaction wrote, so
// neither needs a flush.
type tx struct {
	s      *Store
	sqlTx  *sql.Tx
	now    time.Time
	bound  map[*sql.Stmt]*sql.Stmt // store statements bound to sqlTx
	done   bool
	failed error // a flush that failed: the transaction can only roll back

	written   map[key]int64          // current version of every record written in the transaction
	rows      []any                  // version rows not yet inserted, versions.width values each
	replaces  bool                   // some queued row replaces an earlier version
	queued    map[key]storage.Record // the last version of each record written since the last flush
	termOrder []key                  // keys of queued, in first-write order
	checks    []check                // expected versions not yet compared with the records table
	names     map[termname.Key]int64 // term names the transaction added to term_names
}

// check is the version a write expected of a record the transaction had not
// written before.
type check struct {
	k      key
	expect int64
}

// stmt returns the store statement st bound to the transaction.
func (t *tx) stmt(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	b := t.bound[st]
	if b == nil {
		b = t.sqlTx.StmtContext(ctx, st)
		t.bound[st] = b
	}
	return b
}

// check fails if the store is closed, ctx has ended or Update has returned.
func (t *tx) check(ctx context.Context, op string) error {
	if err := t.s.begin(ctx, op); err != nil {
		return err
	}
	if t.done {
		return &storage.Error{Op: op, Kind: ehrkit.ErrFailedPrecondition, Cause: errTxDone}
	}
	return t.failed
}

// Get returns the current version of a record as the transaction sees it: a
// record written since the last flush from the queue, any other from the
// records table. Reads do not flush, so that the read before each write
// (storage.Kind.Save) and reads of records just written leave a batch's
// rows to be inserted together.
func (t *tx) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	if err := t.check(ctx, "get"); err != nil {
		return storage.Record{}, err
	}
	if q, ok := t.queued[key{typ, id}]; ok {
		if q.Deleted {
			return storage.Record{}, storage.NotFound("get", typ, id)
		}
		q.Labels, q.Terms, q.Value = slices.Clone(q.Labels), slices.Clone(q.Terms), bytes.Clone(q.Value)
		return q, nil
	}
	return t.s.get(ctx, t.stmt(ctx, t.s.stmts.getTx), typ, id)
}

// Query returns one page of current records as the transaction sees them.
func (t *tx) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	if err := t.check(ctx, "query"); err != nil {
		return storage.Page{}, err
	}
	if err := t.flush(ctx); err != nil {
		return storage.Page{}, err
	}
	return t.s.query(ctx, t.sqlTx, q)
}

// Put writes rec as the next version of (rec.Type, rec.ID).
func (t *tx) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	const op = "put"
	if err := t.check(ctx, op); err != nil {
		return storage.Record{}, err
	}
	if err := storage.ValidateRecord(rec); err != nil {
		return storage.Record{}, invalid(op, rec.Type, rec.ID, err)
	}
	rec.Deleted = false
	return t.write(ctx, op, rec, expect)
}

// Delete writes a tombstone version of a live record.
func (t *tx) Delete(ctx context.Context, typ, id string, expect int64) error {
	const op = "delete"
	if err := t.check(ctx, op); err != nil {
		return err
	}
	if err := storage.ValidateKey(typ, id); err != nil {
		return invalid(op, typ, id, err)
	}
	cur, err := t.Get(ctx, typ, id)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return storage.Gone("delete", typ, id, expect)
	}
	if err != nil {
		return err
	}
	cur.Deleted, cur.Value, cur.Terms = true, nil, nil
	_, err = t.write(ctx, op, cur, expect)
	return err
}

// write queues rec as the next version if the current one is expect, and
// queues its index terms. The current version comes from this transaction's
// own writes or else from the records table; the write lock is held since
// BEGIN IMMEDIATE, so the check stays true until commit.
func (t *tx) write(ctx context.Context, op string, rec storage.Record, expect int64) (storage.Record, error) {
	k := key{rec.Type, rec.ID}
	current, ok := t.written[k] // 0 when the record never existed
	switch {
	case ok:
	case expect != storage.Any:
		// Checked at the next flush, with the other records of the batch
		// in one statement; until then the transaction assumes expect.
		current = expect
		t.checks = append(t.checks, check{k: k, expect: expect})
	default:
		err := t.stmt(ctx, t.s.stmts.current).QueryRowContext(ctx, rec.Type, rec.ID).Scan(&current)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return storage.Record{}, t.s.wrap(ctx, op, rec.Type, rec.ID, err)
		}
	}
	if expect != storage.Any && expect != current {
		return storage.Record{}, storage.Conflict(op, rec.Type, rec.ID, expect, current)
	}
	var value any // NULL for a nil value, so that nil reads back as nil
	if rec.Value != nil {
		value = bytes.Clone(rec.Value) // the caller may reuse its slice before the flush
	}
	rec.Version, rec.Updated = current+1, t.now
	t.rows = append(t.rows, rec.Type, rec.ID, rec.Version, t.now.UnixMicro(), rec.Compartment,
		encodeLabels(rec.Labels), encodeTerms(rec.Terms), rec.Deleted, value)
	if t.written == nil {
		t.written = map[key]int64{}
		t.queued = map[key]storage.Record{}
	}
	t.written[k] = rec.Version
	t.replaces = t.replaces || rec.Version > 1
	if _, seen := t.queued[k]; !seen {
		t.termOrder = append(t.termOrder, k)
	}
	// The version as a read returns it once inserted: an empty value or
	// term list reads back as nil. It replaces an earlier write since the
	// last flush.
	q := rec
	q.Value, q.Terms = nil, nil
	if len(rec.Value) > 0 {
		q.Value = value.([]byte)
	}
	if len(rec.Terms) > 0 {
		q.Terms = rec.Terms
	}
	t.queued[k] = q
	return rec, nil
}

// flush inserts the queued version rows, runs the statements that follow
// them (see sqlMovePointers), then inserts the queued index terms. A failed
// flush fails the transaction: part of the rows may be written.
func (t *tx) flush(ctx context.Context) error {
	if t.failed != nil {
		return t.failed
	}
	if len(t.rows) == 0 {
		return nil
	}
	var terms []any
	for _, k := range t.termOrder {
		for _, term := range t.queued[k].Terms {
			terms = append(terms, k.typ, k.id, term.Name, term.Value)
		}
	}
	clear(t.queued)
	t.termOrder = t.termOrder[:0]
	rows, replaces := t.rows, t.replaces
	t.rows, t.replaces = t.rows[:0], false
	err := t.flushRows(ctx, rows, terms, replaces)
	clear(rows) // drop the references to the values
	if err != nil {
		t.failed = t.s.wrap(ctx, "put", "", "", err)
	}
	return t.failed
}

// flushRows writes the queued rows; replaces says whether terms of earlier
// versions may have to go (first versions have none).
func (t *tx) flushRows(ctx context.Context, rows, terms []any, replaces bool) error {
	st := &t.s.stmts
	if err := t.checkVersions(ctx); err != nil {
		return err
	}
	var last int64
	if err := t.stmt(ctx, st.lastRid).QueryRowContext(ctx).Scan(&last); err != nil {
		return err
	}
	if err := t.insert(ctx, &st.versions, rows); err != nil {
		return err
	}
	for _, stmt := range []*sql.Stmt{st.movePointers, st.logWrites} {
		if _, err := t.stmt(ctx, stmt).ExecContext(ctx, last); err != nil {
			return err
		}
	}
	if replaces {
		if err := t.dropReplaced(ctx, last); err != nil {
			return err
		}
	}
	args, err := t.termArgs(ctx, terms)
	if err != nil {
		return err
	}
	return t.insert(ctx, &st.terms, args)
}

// dropReplaced deletes the index terms of the versions that the version rows
// after rid last replace: each row's previous version names its terms, and
// each is found by value in the terms table. Of several versions of one
// record in the rows, only the first one's predecessor has its terms in the
// table; the terms of the others match nothing.
func (t *tx) dropReplaced(ctx context.Context, last int64) error {
	rows, err := t.stmt(ctx, t.s.stmts.replaced).QueryContext(ctx, last)
	if err != nil {
		return err
	}
	var terms []any // type, id, name and value of each term, as termArgs takes them
	for rows.Next() {
		var typ, id string
		var enc []byte
		if err := rows.Scan(&typ, &id, &enc); err != nil {
			_ = rows.Close()
			return err
		}
		list, err := decodeTerms(enc)
		if err != nil {
			_ = rows.Close()
			return err
		}
		for _, term := range list {
			terms = append(terms, typ, id, term.Name, term.Value)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	args, err := t.termArgs(ctx, terms)
	if err != nil {
		return err
	}
	return t.insert(ctx, &t.s.stmts.dropTerms, args)
}

// termArgs turns queued terms (type, id, name and value each) into rows of
// the terms table (tn, id and value each).
func (t *tx) termArgs(ctx context.Context, terms []any) ([]any, error) {
	out := make([]any, 0, len(terms)/4*3)
	for i := 0; i < len(terms); i += 4 {
		tn, err := t.termName(ctx, termname.Key{Type: terms[i].(string), Name: terms[i+2].(string)})
		if err != nil {
			return nil, err
		}
		out = append(out, tn, terms[i+1], terms[i+3])
	}
	return out, nil
}

// termName returns the integer of a record type and term name: from the
// store's cache, from the names this transaction added, from term_names, or
// else added to term_names. A name found in term_names is committed (this
// transaction's own additions are in t.names) and goes to the store's cache
// at once; one the transaction added goes there when it commits.
func (t *tx) termName(ctx context.Context, k termname.Key) (int64, error) {
	if tn, ok := t.s.names.Get(k); ok {
		return tn, nil
	}
	if tn, ok := t.names[k]; ok {
		return tn, nil
	}
	var tn int64
	err := t.stmt(ctx, t.s.stmts.termName).QueryRowContext(ctx, k.Type, k.Name).Scan(&tn)
	if err == nil {
		t.s.names.Add(map[termname.Key]int64{k: tn})
		return tn, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if err := t.stmt(ctx, t.s.stmts.addTermName).QueryRowContext(ctx, k.Type, k.Name).Scan(&tn); err != nil {
		return 0, err
	}
	if t.names == nil {
		t.names = map[termname.Key]int64{}
	}
	t.names[k] = tn
	return tn, nil
}

// checkVersions compares the versions queued writes expected with the
// records table, in statements of up to 1<<(batchSizes-1) records, and
// fails with the conflict of the first write whose record holds another
// version. The write lock is held since BEGIN IMMEDIATE, so a check that
// passes stays true until commit.
func (t *tx) checkVersions(ctx context.Context) error {
	checks := t.checks
	t.checks = nil
	if len(checks) == 0 {
		return nil
	}
	found := make(map[key]int64, len(checks))
	args := make([]any, 0, 2*len(checks))
	for _, c := range checks {
		args = append(args, c.k.typ, c.k.id)
	}
	for i := batchSizes - 1; i >= 0 && len(args) > 0; i-- {
		n := t.s.stmts.versionsOf.width << i
		for len(args) >= n {
			if err := t.versionsOf(ctx, t.s.stmts.versionsOf.stmts[i], args[:n], found); err != nil {
				return err
			}
			args = args[n:]
			if i < batchSizes-1 {
				break
			}
		}
	}
	for _, c := range checks {
		if v := found[c.k]; v != c.expect {
			return storage.Conflict("put", c.k.typ, c.k.id, c.expect, v)
		}
	}
	return nil
}

// versionsOf adds the current versions of the records named by args (type
// and id pairs) to found.
func (t *tx) versionsOf(ctx context.Context, stmt *sql.Stmt, args []any, found map[key]int64) error {
	rows, err := t.stmt(ctx, stmt).QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var v int64
		if err := rows.Scan(&k.typ, &k.id, &v); err != nil {
			return err
		}
		found[k] = v
	}
	return rows.Err()
}

// insert runs b's multi-row statements on args, b.width values per row:
// as many of the largest as fit, then one per set bit of the remainder.
func (t *tx) insert(ctx context.Context, b *batch, args []any) error {
	for i := batchSizes - 1; i >= 0 && len(args) > 0; i-- {
		n := b.width << i
		for len(args) >= n {
			if _, err := t.stmt(ctx, b.stmts[i]).ExecContext(ctx, args[:n]...); err != nil {
				return err
			}
			args = args[n:]
			if i < batchSizes-1 {
				break // a smaller size fits at most once
			}
		}
	}
	return nil
}

// Emit appends an event to the change feed, committed with the transaction.
func (t *tx) Emit(ctx context.Context, ev storage.Event) error {
	const op = "emit"
	if err := t.check(ctx, op); err != nil {
		return err
	}
	var v ehrkit.Issues
	v.Required("topic", ev.Topic != "")
	v.Check(ev.Compartment == "" || storage.ValidID(ev.Compartment), "compartment", ehrkit.IssueValue, "malformed compartment id")
	v.Check(len(ev.Payload) <= storage.MaxValueSize, "payload", ehrkit.IssueTooLong, "payload exceeds %d bytes", storage.MaxValueSize)
	if err := v.Err(); err != nil {
		return invalid(op, "", "", err)
	}
	if err := t.flush(ctx); err != nil { // the feed keeps the order of the calls
		return err
	}
	var payload any
	if ev.Payload != nil {
		payload = ev.Payload
	}
	_, err := t.stmt(ctx, t.s.stmts.emit).ExecContext(ctx, t.now.UnixMicro(), ev.Topic, ev.Key, ev.Compartment, payload)
	return t.s.wrap(ctx, op, "", "", err)
}
