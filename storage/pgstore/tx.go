package pgstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/internal/termname"
)

// Update runs fn in a transaction. Writes are buffered and sent in bulk: before
// the transaction's next read, and at commit. See the package documentation
// for when a stale expected version is reported.
func (s *Store) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	const op = "update"
	if err := s.check(ctx, op); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.fail(ctx, op, "", "", err)
	}
	t := &tx{s: s, conn: conn, keys: map[key]keyState{}}
	defer t.end(ctx)
	if err := fn(t); err != nil {
		return err
	}
	if t.err != nil {
		return t.err
	}
	if err := s.check(ctx, "commit"); err != nil {
		return err
	}
	return t.commit(ctx)
}

type key struct{ typ, id string }

// keyState is what a transaction knows of a record it wrote or locked, kept
// in one map so that a write costs one lookup.
type keyState struct {
	latest int64 // the latest version this transaction knows
	base   int64 // while pending: the version the database must hold when the pending writes are sent
	last   int   // index in tx.pending of the record's last pending version; -1 when none is pending
}

// tx is a transaction on one pooled connection. The database transaction
// begins lazily, with the first batch sent; until then nothing is held open.
type tx struct {
	s     *Store
	conn  *pgxpool.Conn
	begun bool  // BEGIN was sent
	done  bool  // Update returned
	err   error // a failed flush: the database transaction is aborted

	pending []storage.Record       // versions written and not yet sent, in order
	keys    map[key]keyState       // per key written or locked
	changes []change               // feed entries, appended at commit
	learned map[termname.Key]int32 // term-name integers read by this transaction, cached once it commits
}

// change is a feed entry waiting for commit; its time is set at commit. It
// keeps only what the feed row needs: one is buffered per write.
type change struct {
	kind          storage.ChangeKind
	typ, id, comp string         // put, delete
	version       int64          // put, delete
	labels        []string       // put, delete
	ev            *storage.Event // event
}

// usable fails if ctx is done, the store closed, the transaction over or
// aborted by an earlier failure.
func (t *tx) usable(ctx context.Context, op string) error {
	if t.done {
		return storage.Errorf(op, "", "", ehrkit.ErrFailedPrecondition, "%w", errTxDone)
	}
	if err := t.s.check(ctx, op); err != nil {
		return err
	}
	return t.err
}

// writable is usable for the calls that write: a read-only store refuses them.
func (t *tx) writable(ctx context.Context, op, typ, id string) error {
	if err := t.usable(ctx, op); err != nil {
		return err
	}
	if t.s.readOnly {
		return storage.Errorf(op, typ, id, ehrkit.ErrFailedPrecondition, "the store was opened read-only")
	}
	return nil
}

// Get returns the current version of a record as this transaction sees it.
func (t *tx) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	if err := t.usable(ctx, "get"); err != nil {
		return storage.Record{}, err
	}
	if err := storage.ValidateKey(typ, id); err != nil {
		return storage.Record{}, &storage.Error{Op: "get", Type: typ, ID: id, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	if err := t.flush(ctx, "get"); err != nil {
		return storage.Record{}, err
	}
	return t.s.get(ctx, t.conn, typ, id)
}

// GetVersion returns one version of a record as this transaction sees it, on
// the transaction's connection (storage.VersionReader).
func (t *tx) GetVersion(ctx context.Context, typ, id string, version int64) (storage.Record, error) {
	if err := t.usable(ctx, "get-version"); err != nil {
		return storage.Record{}, err
	}
	if err := t.flush(ctx, "get-version"); err != nil {
		return storage.Record{}, err
	}
	return t.s.getVersion(ctx, t.conn, typ, id, version)
}

// History returns every version of a record as this transaction sees it, on
// the transaction's connection (storage.VersionReader).
func (t *tx) History(ctx context.Context, typ, id string) ([]storage.Record, error) {
	if err := t.usable(ctx, "history"); err != nil {
		return nil, err
	}
	if err := t.flush(ctx, "history"); err != nil {
		return nil, err
	}
	return t.s.history(ctx, t.conn, typ, id)
}

// Query returns one page of current records matching q, this transaction's
// writes included.
func (t *tx) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	if err := t.usable(ctx, "query"); err != nil {
		return storage.Page{}, err
	}
	if err := storage.ValidateQuery(q); err != nil {
		return storage.Page{}, &storage.Error{Op: "query", Type: q.Type, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	if err := t.flush(ctx, "query"); err != nil {
		return storage.Page{}, err
	}
	return t.s.query(ctx, t.conn, q)
}

// Put buffers rec as the next version of its record.
func (t *tx) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	const op = "put"
	if err := t.writable(ctx, op, rec.Type, rec.ID); err != nil {
		return storage.Record{}, err
	}
	if err := storage.ValidateRecord(rec); err != nil {
		return storage.Record{}, &storage.Error{Op: op, Type: rec.Type, ID: rec.ID, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	// The buffered version holds copies of the caller's slices; the caller
	// gets its own back, with the new version and time.
	buffered := clone(rec)
	buffered.Deleted = false
	written, err := t.write(ctx, op, buffered, expect)
	if err != nil {
		return storage.Record{}, err
	}
	rec.Version, rec.Updated, rec.Deleted = written.Version, written.Updated, false
	return rec, nil
}

// Delete buffers a tombstone of the current version. It reads (and locks) the
// record first: a missing record is ErrNotFound, and the tombstone keeps the
// compartment and labels of the version it ends.
func (t *tx) Delete(ctx context.Context, typ, id string, expect int64) error {
	const op = "delete"
	if err := t.writable(ctx, op, typ, id); err != nil {
		return err
	}
	if err := storage.ValidateKey(typ, id); err != nil {
		return &storage.Error{Op: op, Type: typ, ID: id, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	if err := t.flush(ctx, op); err != nil {
		return err
	}
	recs, err := t.s.records(ctx, t.conn, op, typ, id, sqlLockCurrent, typ, id)
	if err != nil {
		return t.abort(err)
	}
	if len(recs) == 0 || recs[0].Deleted {
		return storage.Gone(op, typ, id, expect)
	}
	tomb := recs[0]
	t.keys[key{typ, id}] = keyState{latest: tomb.Version, last: -1}
	tomb.Deleted, tomb.Value, tomb.Terms = true, nil, nil
	_, err = t.write(ctx, op, tomb, expect)
	return err
}

// Emit buffers an event for the change feed.
func (t *tx) Emit(ctx context.Context, ev storage.Event) error {
	const op = "emit"
	if err := t.writable(ctx, op, "", ""); err != nil {
		return err
	}
	if err := storage.ValidateEvent(ev); err != nil {
		return &storage.Error{Op: op, Kind: ehrkit.ErrInvalid, Cause: err}
	}
	ev.Payload = slices.Clone(ev.Payload)
	t.changes = append(t.changes, change{kind: storage.ChangeEvent, ev: &ev})
	return nil
}

// write checks expect against what this transaction knows of the record and
// buffers rec as the next version, which it returns: the buffered record
// itself, so rec's slices must be the transaction's own. For a record the transaction has not
// touched, expect is checked when the writes are sent (by the conditional
// UPDATE, or the primary key for a creation); expect Any first reads and locks
// the current version.
func (t *tx) write(ctx context.Context, op string, rec storage.Record, expect int64) (storage.Record, error) {
	k := key{rec.Type, rec.ID}
	st, known := t.keys[k]
	if !known && expect == storage.Any {
		v, err := t.lockVersion(ctx, op, k)
		if err != nil {
			return storage.Record{}, err
		}
		st, known = keyState{latest: v, last: -1}, true
	}
	if known {
		if expect != storage.Any && expect != st.latest {
			return storage.Record{}, storage.Conflict(op, rec.Type, rec.ID, expect, st.latest)
		}
		expect = st.latest
	}
	if !known || st.last < 0 {
		st.base = expect
	}
	rec.Version = expect + 1
	rec.Updated = t.s.now()
	st.latest, st.last = rec.Version, len(t.pending)
	t.keys[k] = st
	t.pending = append(t.pending, rec)
	kind := storage.ChangePut
	if rec.Deleted {
		kind = storage.ChangeDelete
	}
	if rec.Type != storage.CheckpointType {
		t.changes = append(t.changes, change{kind: kind, typ: rec.Type, id: rec.ID, comp: rec.Compartment, version: rec.Version, labels: rec.Labels})
	}
	return rec, nil
}

// lockVersion returns the latest version of k (0 if none), locking its row so
// that it stays current until commit.
func (t *tx) lockVersion(ctx context.Context, op string, k key) (int64, error) {
	if err := t.flush(ctx, op); err != nil {
		return 0, err
	}
	rows, err := t.conn.Query(ctx, sqlLockVersion, k.typ, k.id)
	if err != nil {
		return 0, t.abort(t.s.fail(ctx, op, k.typ, k.id, err))
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, t.abort(t.s.fail(ctx, op, k.typ, k.id, err))
	}
	var v int64
	if len(versions) > 0 {
		v = versions[0]
	}
	t.keys[k] = keyState{latest: v, last: -1}
	return v, nil
}

// abort records a database failure: the database transaction is aborted, so
// every later call fails and Update returns the error.
func (t *tx) abort(err error) error {
	t.err = err
	return err
}

// pipelined is the most versions flush sends as INSERTs in the batch of the
// records rows; more are sent by COPY, which costs round trips of its own
// (worth it only for a larger batch).
const pipelined = 64

// flush begins the database transaction if needed and sends the buffered
// writes: the records rows (conditional updates and creations, which check
// the expected versions), the index terms, and the new versions (in the same
// round trip, or by COPY when there are more than pipelined).
func (t *tx) flush(ctx context.Context, op string) error {
	if t.begun && len(t.pending) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	if !t.begun {
		b.Queue("BEGIN")
	}
	tc := termsOf(t.pending)
	w := t.writes(tc)
	if len(w.create.typ) > 0 {
		b.Queue(sqlCreate, w.create.comp, w.create.typ, w.create.id, w.create.version, w.create.deleted, w.create.updated)
	}
	if len(w.update.typ) > 0 {
		b.Queue(sqlUpdate, w.update.comp, w.update.typ, w.update.id, w.update.version, w.update.deleted, w.update.updated, w.update.expect)
		b.Queue(sqlDeleteTerms, w.update.typ, w.update.id)
	}
	if len(w.terms.typ) > 0 && w.terms.uncached {
		b.Queue(sqlAddTermNames, w.terms.typ, w.terms.name)
		b.Queue(sqlInsertTerms, w.terms.comp, w.terms.typ, w.terms.id, w.terms.name, w.terms.value)
		b.Queue(sqlTermNames, w.terms.typ, w.terms.name)
	} else if len(w.terms.typ) > 0 {
		b.Queue(sqlInsertTermsByNumber, w.terms.tn, w.terms.comp, w.terms.id, w.terms.value)
	}
	rows := t.versionRows(tc)
	copied := len(rows) > pipelined
	if !copied {
		for _, row := range rows {
			b.Queue(sqlInsertVersion, row...)
		}
	}
	if err := t.send(ctx, op, b, w); err != nil {
		return err
	}
	if copied {
		if _, err := t.conn.CopyFrom(ctx, pgx.Identifier{"record_versions"}, versionColumns, pgx.CopyFromRows(rows)); err != nil {
			return t.abort(t.s.fail(ctx, op, "", "", err))
		}
	}
	t.pending = t.pending[:0]
	return nil
}

// send runs a batch built by flush and checks that every conditional update
// found the version it expected.
func (t *tx) send(ctx context.Context, op string, b *pgx.Batch, w writes) error {
	t.begun = true
	res := t.conn.SendBatch(ctx, b)
	stale := false
	for _, q := range b.QueuedQueries {
		if q.SQL == sqlTermNames {
			if err := t.learn(res); err != nil {
				_ = res.Close()
				return t.abort(t.s.fail(ctx, op, "", "", err))
			}
			continue
		}
		tag, err := res.Exec()
		if err != nil {
			_ = res.Close()
			return t.abort(t.s.fail(ctx, op, "", "", err))
		}
		if q.SQL == sqlUpdate && tag.RowsAffected() != int64(len(w.update.typ)) {
			stale = true
		}
	}
	if err := res.Close(); err != nil {
		return t.abort(t.s.fail(ctx, op, "", "", err))
	}
	if stale {
		return t.abort(t.conflict(ctx, op, w))
	}
	return nil
}

// learn reads the result of sqlTermNames into t.learned.
func (t *tx) learn(res pgx.BatchResults) error {
	rows, err := res.Query()
	if err != nil {
		return err
	}
	if t.learned == nil {
		t.learned = map[termname.Key]int32{}
	}
	var k termname.Key
	var tn int32
	_, err = pgx.ForEachRow(rows, []any{&k.Type, &k.Name, &tn}, func() error {
		t.learned[k] = tn
		return nil
	})
	return err
}

// conflict names a record whose conditional update found another version
// (the updates that did apply hold their new version).
func (t *tx) conflict(ctx context.Context, op string, w writes) error {
	rows, err := t.conn.Query(ctx, sqlStale, w.update.typ, w.update.id, w.update.expect, w.update.version)
	if err != nil {
		return t.s.fail(ctx, op, "", "", err)
	}
	type stale struct {
		Type, ID        string
		Expect, Version int64
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stale])
	if err != nil || len(found) == 0 {
		return storage.Errorf(op, "", "", ehrkit.ErrConflict, "a record changed since it was read")
	}
	return storage.Conflict(op, found[0].Type, found[0].ID, found[0].Expect, found[0].Version)
}

// commit sends what is buffered, appends the feed entries under the feed
// lock, and commits.
func (t *tx) commit(ctx context.Context) error {
	const op = "commit"
	if !t.begun && len(t.pending) == 0 && len(t.changes) == 0 {
		return nil
	}
	if err := t.flush(ctx, op); err != nil {
		return err
	}
	b := &pgx.Batch{}
	if len(t.changes) > 0 {
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, t.s.feedLock)
		f := t.feed(t.s.now())
		b.Queue(sqlInsertChanges, f.kind, f.time, f.comp, f.typ, f.id, f.version, f.labels, f.topic, f.key, f.payload)
	}
	b.Queue("COMMIT")
	res := t.conn.SendBatch(ctx, b)
	defer res.Close()
	for range b.Len() {
		if _, err := res.Exec(); err != nil {
			return t.abort(t.s.fail(ctx, op, "", "", err))
		}
	}
	if err := res.Close(); err != nil {
		return t.abort(t.s.fail(ctx, op, "", "", err))
	}
	t.begun = false
	t.s.names.Add(t.learned)
	return nil
}

// end finishes the transaction after Update: it rolls back what was begun and
// not committed, and returns the connection to the pool.
func (t *tx) end(ctx context.Context) {
	t.done = true
	if t.begun && !t.conn.Conn().IsClosed() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if _, err := t.conn.Exec(rctx, "ROLLBACK"); err != nil {
			t.s.log.WarnContext(ctx, "pgstore: rollback failed; the connection is dropped", "error", err)
			_ = t.conn.Conn().Close(rctx)
		}
		cancel()
	}
	t.conn.Release()
}

// writes holds the buffered writes as columns, the shape unnest takes.
type writes struct {
	create struct {
		comp, typ, id array[text]
		version       array[bigint]
		deleted       array[boolean]
		updated       array[timestamptz]
	}
	update struct {
		comp, typ, id   array[text]
		version, expect array[bigint]
		deleted         array[boolean]
		updated         array[timestamptz]
	}
	terms struct {
		comp, typ, id, name array[text]
		value               array[bytea]
		tn                  array[bigint] // the integers of typ and name, if all are cached
		uncached            bool          // some are not: tn is incomplete
	}
}

// grow sizes the columns for creates creations, updates updates and terms
// index terms, so that writes appends without growing them.
func (w *writes) grow(creates, updates, terms int) {
	c, u, tm := &w.create, &w.update, &w.terms
	c.comp, c.typ, c.id = make(array[text], 0, creates), make(array[text], 0, creates), make(array[text], 0, creates)
	c.version, c.deleted, c.updated = make(array[bigint], 0, creates), make(array[boolean], 0, creates), make(array[timestamptz], 0, creates)
	u.comp, u.typ, u.id = make(array[text], 0, updates), make(array[text], 0, updates), make(array[text], 0, updates)
	u.version, u.expect = make(array[bigint], 0, updates), make(array[bigint], 0, updates)
	u.deleted, u.updated = make(array[boolean], 0, updates), make(array[timestamptz], 0, updates)
	tm.comp, tm.typ, tm.id = make(array[text], 0, terms), make(array[text], 0, terms), make(array[text], 0, terms)
	tm.name, tm.value, tm.tn = make(array[text], 0, terms), make(array[bytea], 0, terms), make(array[bigint], 0, terms)
}

// writes turns the pending versions into the rows to send, and marks them
// sent (no longer pending in t.keys): per record, the records row of its last
// version (a creation when the database must not hold it yet, else an update
// conditional on the expected version) and the terms of that version, from tc.
func (t *tx) writes(tc termColumns) writes {
	var w writes
	last := make([]int, 0, len(t.pending))    // indexes of the last versions
	bases := make([]int64, 0, len(t.pending)) // their expected versions
	creates, terms := 0, 0
	for i, r := range t.pending {
		k := key{r.Type, r.ID}
		st := t.keys[k]
		if st.last != i {
			continue
		}
		last, bases = append(last, i), append(bases, st.base)
		if st.base == 0 {
			creates++
		}
		terms += len(r.Terms)
		st.last = -1
		t.keys[k] = st
	}
	w.grow(creates, len(last)-creates, terms)
	for j, i := range last {
		r := &t.pending[i]
		if expect := bases[j]; expect == 0 {
			c := &w.create
			c.comp, c.typ, c.id = append(c.comp, text(r.Compartment)), append(c.typ, text(r.Type)), append(c.id, text(r.ID))
			c.version, c.deleted = append(c.version, bigint(r.Version)), append(c.deleted, boolean(r.Deleted))
			c.updated = append(c.updated, timestamptz(r.Updated))
		} else {
			u := &w.update
			u.comp, u.typ, u.id = append(u.comp, text(r.Compartment)), append(u.typ, text(r.Type)), append(u.id, text(r.ID))
			u.version, u.deleted = append(u.version, bigint(r.Version)), append(u.deleted, boolean(r.Deleted))
			u.updated, u.expect = append(u.updated, timestamptz(r.Updated)), append(u.expect, bigint(expect))
		}
		tm := &w.terms
		for n := tc.from[i]; n < tc.from[i+1]; n++ {
			tm.comp, tm.typ, tm.id = append(tm.comp, text(r.Compartment)), append(tm.typ, text(r.Type)), append(tm.id, text(r.ID))
			tm.name, tm.value = append(tm.name, tc.names[n]), append(tm.value, tc.values[n])
			tn, ok := t.s.names.Get(termname.Key{Type: r.Type, Name: string(tc.names[n])})
			tm.tn, tm.uncached = append(tm.tn, bigint(tn)), tm.uncached || !ok
		}
	}
	return w
}

// termColumns holds the term names and values of a run of versions in arrays
// shared by the run (one allocation each, not one per version): version i's
// are names[from[i]:from[i+1]] and values[from[i]:from[i+1]].
type termColumns struct {
	from   []int
	names  array[text]
	values array[bytea]
}

// termsOf collects the terms of recs as termColumns.
func termsOf(recs []storage.Record) termColumns {
	n, size := 0, 0
	for _, r := range recs {
		n += len(r.Terms)
		for _, term := range r.Terms {
			size += len(term.Value)
		}
	}
	tc := termColumns{from: make([]int, 0, len(recs)+1), names: make(array[text], 0, n), values: make(array[bytea], 0, n)}
	buf := make([]byte, 0, size)
	for _, r := range recs {
		tc.from = append(tc.from, len(tc.names))
		for _, term := range r.Terms {
			start := len(buf)
			buf = append(buf, term.Value...)
			tc.names, tc.values = append(tc.names, text(term.Name)), append(tc.values, buf[start:len(buf):len(buf)])
		}
	}
	tc.from = append(tc.from, len(tc.names))
	return tc
}

// versionColumns are the record_versions columns written by COPY, in the order
// of versionRows.
var versionColumns = []string{"compartment", "type", "id", "version", "updated", "deleted", "labels", "term_names", "term_values", "value"}

// versionRows are the record_versions rows of the pending versions, whose
// terms are in tc, built in a few allocations for the whole batch: the values
// point into t.pending. A nil slice is stored as NULL and an empty one as
// empty, so both round-trip as written.
func (t *tx) versionRows(tc termColumns) [][]any {
	n := len(t.pending)
	rows, values := make([][]any, n), make([]any, n*len(versionColumns))
	names, termValues := make([]array[text], n), make([]array[bytea], n)
	for i := range t.pending {
		r := &t.pending[i]
		if r.Terms != nil {
			from, to := tc.from[i], tc.from[i+1]
			names[i], termValues[i] = tc.names[from:to:to], tc.values[from:to:to]
		}
		row := values[i*len(versionColumns) : (i+1)*len(versionColumns) : (i+1)*len(versionColumns)]
		row[0], row[1], row[2] = (*text)(&r.Compartment), (*text)(&r.Type), (*text)(&r.ID)
		row[3], row[4], row[5] = (*bigint)(&r.Version), (*timestamptz)(&r.Updated), (*boolean)(&r.Deleted)
		row[6], row[7], row[8], row[9] = r.Labels, &names[i], &termValues[i], (*bytea)(&r.Value)
		rows[i] = row
	}
	return rows
}

// feedRows holds the feed entries as columns for unnest, and their time
// (one for all).
type feedRows struct {
	kind, comp, typ, id, topic, key array[text]
	time                            time.Time
	version                         array[bigint]
	labels                          array[nullText]
	payload                         array[bytea]
}

// feed turns the buffered feed entries into rows stamped with the commit time.
// Labels travel joined by commas (a label cannot contain one) because
// PostgreSQL arrays cannot nest with ragged lengths.
func (t *tx) feed(now time.Time) feedRows {
	n := len(t.changes)
	f := feedRows{
		kind: make(array[text], 0, n), comp: make(array[text], 0, n), typ: make(array[text], 0, n), id: make(array[text], 0, n),
		topic: make(array[text], 0, n), key: make(array[text], 0, n), time: now,
		version: make(array[bigint], 0, n), labels: make(array[nullText], 0, n), payload: make(array[bytea], 0, n),
	}
	for _, c := range t.changes {
		f.kind = append(f.kind, text(c.kind))
		if c.kind == storage.ChangeEvent {
			f.comp, f.topic, f.key = append(f.comp, text(c.ev.Compartment)), append(f.topic, text(c.ev.Topic)), append(f.key, text(c.ev.Key))
			f.typ, f.id, f.version = append(f.typ, ""), append(f.id, ""), append(f.version, 0)
			f.labels, f.payload = append(f.labels, nullText{}), append(f.payload, c.ev.Payload)
			continue
		}
		labels := nullText{s: strings.Join(c.labels, ","), valid: c.labels != nil}
		f.comp, f.topic, f.key, f.payload = append(f.comp, text(c.comp)), append(f.topic, ""), append(f.key, ""), append(f.payload, nil)
		f.typ, f.id, f.version, f.labels = append(f.typ, text(c.typ)), append(f.id, text(c.id)), append(f.version, bigint(c.version)), append(f.labels, labels)
	}
	return f
}

func clone(r storage.Record) storage.Record {
	r.Labels = slices.Clone(r.Labels)
	r.Terms = slices.Clone(r.Terms)
	r.Value = slices.Clone(r.Value)
	return r
}

const (
	sqlLockCurrent = `SELECT ` + recordColumns + ` FROM records r
		JOIN record_versions v ON v.type = r.type AND v.id = r.id AND v.version = r.version
		WHERE r.type = $1 AND r.id = $2 FOR UPDATE OF r`
	sqlLockVersion = `SELECT version FROM records WHERE type = $1 AND id = $2 FOR UPDATE`
	sqlCreate      = `INSERT INTO records (compartment, type, id, version, deleted, updated)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::timestamptz[])`
	sqlUpdate = `UPDATE records r SET compartment = u.compartment, version = u.version, deleted = u.deleted, updated = u.updated
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::timestamptz[], $7::bigint[])
			AS u(compartment, type, id, version, deleted, updated, expect)
		WHERE r.type = u.type AND r.id = u.id AND r.version = u.expect`
	sqlStale = `SELECT u.type, u.id, u.expect, COALESCE(r.version, 0)
		FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS u(type, id, expect, version)
		LEFT JOIN records r ON r.type = u.type AND r.id = u.id
		WHERE COALESCE(r.version, 0) NOT IN (u.expect, u.version) LIMIT 1`
	sqlDeleteTerms = `DELETE FROM record_terms t USING unnest($1::text[], $2::text[]) AS u(type, id)
		JOIN term_names n ON n.type = u.type
		WHERE t.tn = n.tn AND t.id = u.id`
	sqlInsertVersion = `INSERT INTO record_versions (compartment, type, id, version, updated, deleted, labels, term_names, term_values, value)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	// sqlAddTermNames gives the record types and term names of a batch's
	// terms not seen before their integers (tn), in a fixed order so that
	// concurrent writers of the same new names wait for one another rather
	// than deadlock. Names already present take no identity value.
	sqlAddTermNames = `INSERT INTO term_names (type, name)
		SELECT DISTINCT u.type, u.name FROM unnest($1::text[], $2::text[]) AS u(type, name)
		WHERE NOT EXISTS (SELECT 1 FROM term_names n WHERE n.type = u.type AND n.name = u.name)
		ORDER BY 1, 2
		ON CONFLICT (type, name) DO NOTHING`
	sqlInsertTerms = `INSERT INTO record_terms (tn, compartment, id, value)
		SELECT n.tn, u.compartment, u.id, u.value
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) AS u(compartment, type, id, name, value)
		JOIN term_names n ON n.type = u.type AND n.name = u.name`
	// sqlTermNames reads the integers of a batch's term names (after
	// sqlAddTermNames, so all are there), to be cached once the transaction
	// has committed: then they are committed too.
	sqlTermNames = `SELECT n.type, n.name, n.tn FROM term_names n
		WHERE (n.type, n.name) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
	// sqlInsertTermsByNumber inserts terms whose integers are all cached,
	// with neither sqlAddTermNames nor the join with term_names.
	sqlInsertTermsByNumber = `INSERT INTO record_terms (tn, compartment, id, value)
		SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::bytea[])`
	sqlInsertChanges = `INSERT INTO changes (kind, time, compartment, type, id, version, labels, topic, key, payload)
		SELECT u.kind, $2::timestamptz, u.compartment, u.type, u.id, u.version, string_to_array(u.labels, ','), u.topic, u.key, u.payload
		FROM unnest($1::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::bytea[])
			WITH ORDINALITY AS u(kind, compartment, type, id, version, labels, topic, key, payload, n)
		ORDER BY u.n`
)
