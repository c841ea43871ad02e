package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// errTxDone reports use of a transaction after its Update call returned.
var errTxDone = errors.New("transaction has ended")

// Update runs fn in a transaction. The transaction holds SQLite's write lock
// from its start (BEGIN IMMEDIATE), so transactions run one at a time and the
// version checks of Put and Delete are final when they succeed. If fn returns
// an error or panics, or ctx ends, the transaction rolls back.
func (s *Store) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	const op = "update"
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	sqlTx, err := s.writer.BeginTx(ctx, nil)
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
	if err := t.flushTerms(ctx); err != nil {
		return err
	}
	if err := storage.Ctx(ctx, "commit"); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return s.wrap(ctx, "commit", "", "", err)
	}
	committed = true
	return nil
}

type key struct{ typ, id string }

// tx is the storage.Tx of one Update call. Every write carries the time the
// transaction began. Index terms of written records are buffered and inserted
// in multi-row statements before the next query and at commit.
type tx struct {
	s     *Store
	sqlTx *sql.Tx
	now   time.Time
	bound map[*sql.Stmt]*sql.Stmt // store statements bound to sqlTx
	done  bool

	terms     map[key][]storage.Term // terms of records written since the last flush
	termOrder []key                  // keys of terms, in first-write order
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
	return nil
}

// Get returns the current version of a record as the transaction sees it.
func (t *tx) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	if err := t.check(ctx, "get"); err != nil {
		return storage.Record{}, err
	}
	return t.s.get(ctx, t.stmt(ctx, t.s.stmts.getTx), typ, id)
}

// Query returns one page of current records as the transaction sees them.
func (t *tx) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	if err := t.check(ctx, "query"); err != nil {
		return storage.Page{}, err
	}
	if err := t.flushTerms(ctx); err != nil {
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
	if err != nil {
		return err
	}
	cur.Deleted, cur.Value, cur.Terms = true, nil, nil
	_, err = t.write(ctx, op, cur, expect)
	return err
}

// write inserts rec as the next version if the current one is expect, and
// queues its index terms.
func (t *tx) write(ctx context.Context, op string, rec storage.Record, expect int64) (storage.Record, error) {
	var value any // NULL for a nil value, so that nil reads back as nil
	if rec.Value != nil {
		value = rec.Value
	}
	err := t.stmt(ctx, t.s.stmts.put).QueryRowContext(ctx,
		t.now.UnixMicro(), rec.Compartment, encodeLabels(rec.Labels), encodeTerms(rec.Terms), rec.Deleted, value,
		rec.Type, rec.ID, expect, expect,
	).Scan(&rec.Version)
	if errors.Is(err, sql.ErrNoRows) {
		var found int64
		err = t.stmt(ctx, t.s.stmts.current).QueryRowContext(ctx, rec.Type, rec.ID).Scan(&found)
		if err == nil || errors.Is(err, sql.ErrNoRows) {
			return storage.Record{}, storage.Conflict(op, rec.Type, rec.ID, expect, found)
		}
	}
	if err != nil {
		return storage.Record{}, t.s.wrap(ctx, op, rec.Type, rec.ID, err)
	}
	rec.Updated = t.now
	t.queueTerms(key{rec.Type, rec.ID}, rec.Terms)
	return rec, nil
}

// queueTerms records the index terms of the version just written, replacing
// those of an earlier write of the same record in this transaction (the
// database trigger has already dropped the ones flushed before).
func (t *tx) queueTerms(k key, terms []storage.Term) {
	if t.terms == nil {
		t.terms = map[key][]storage.Term{}
	}
	if _, seen := t.terms[k]; !seen {
		t.termOrder = append(t.termOrder, k)
	}
	t.terms[k] = terms
}

// flushTerms inserts the queued index terms in multi-row statements: as many
// of the largest as fit, then one per set bit of the remainder.
func (t *tx) flushTerms(ctx context.Context) error {
	var args []any
	for _, k := range t.termOrder {
		for _, term := range t.terms[k] {
			args = append(args, k.typ, k.id, term.Name, term.Value)
		}
	}
	clear(t.terms)
	t.termOrder = t.termOrder[:0]
	for i := termSizes - 1; i >= 0 && len(args) > 0; i-- {
		n := 4 << i
		for len(args) >= n {
			if _, err := t.stmt(ctx, t.s.stmts.terms[i]).ExecContext(ctx, args[:n]...); err != nil {
				return t.s.wrap(ctx, "put", "", "", err)
			}
			args = args[n:]
			if i < termSizes-1 {
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
	var payload any
	if ev.Payload != nil {
		payload = ev.Payload
	}
	_, err := t.stmt(ctx, t.s.stmts.emit).ExecContext(ctx, t.now.UnixMicro(), ev.Topic, ev.Key, ev.Compartment, payload)
	return t.s.wrap(ctx, op, "", "", err)
}
