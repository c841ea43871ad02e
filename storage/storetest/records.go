package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

func testCRUD(t *testing.T, h Harness) {
	s, clock := open(t, h)
	ctx := context.Background()

	_, err := s.Get(ctx, "Patient", "p1")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: Get of a record never written fails with ErrNotFound")

	in := storage.Record{
		Type: "Patient", ID: "p1", Compartment: "p1", Labels: []string{"sensitive"},
		Terms: []storage.Term{term("name", "smith"), term("name", "john"), term("birthdate", "1970-05-01")},
		Value: []byte(`{"name":"John Smith"}`),
	}
	created := put(t, s, in, 0)
	want := in
	want.Version, want.Updated = 1, stamp(clock.Now())
	sameRecord(t, want, created, "Put returns the record with Version 1 and Updated set")

	got, err := s.Get(ctx, "Patient", "p1")
	require.NoError(t, err, "rule: Get returns a committed record")
	sameRecord(t, want, got, "Get returns what Put stored")

	clock.Advance(time.Second)
	upd := in
	upd.Value = []byte(`{"name":"John Smyth"}`)
	upd.Terms = []storage.Term{term("name", "smyth")}
	updated := put(t, s, upd, 1)
	want2 := upd
	want2.Version, want2.Updated = 2, stamp(clock.Now())
	sameRecord(t, want2, updated, "an update with the current version as expect makes version 2")
	got, err = s.Get(ctx, "Patient", "p1")
	require.NoError(t, err, "rule: Get returns a committed record")
	sameRecord(t, want2, got, "Get returns the latest version")

	clock.Advance(time.Second)
	del(t, s, "Patient", "p1", 2)
	_, err = s.Get(ctx, "Patient", "p1")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: Get of a deleted record fails with ErrNotFound")

	err = s.Update(ctx, func(tx storage.Tx) error { return tx.Delete(ctx, "Patient", "p1", storage.Any) })
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: Delete of a deleted record fails with ErrNotFound")
	err = s.Update(ctx, func(tx storage.Tx) error { return tx.Delete(ctx, "Patient", "nobody", storage.Any) })
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: Delete of a record never written fails with ErrNotFound")
	err = s.Update(ctx, func(tx storage.Tx) error { return tx.Delete(ctx, "Patient", "p1", 2) })
	assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: Delete expecting the version a deleted record had before fails with ErrConflict (it was read before the delete)")
	err = s.Update(ctx, func(tx storage.Tx) error { return tx.Delete(ctx, "Patient", "nobody", 1) })
	assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: Delete expecting a version of a record never written fails with ErrConflict, as Put does")

	// The record "p1" of another type is a different record.
	other := put(t, s, rec("Encounter", "p1"), 0)
	assert.Equal(t, int64(1), other.Version, "rule: ids are unique within a type only")
}

func testHistory(t *testing.T, h Harness) {
	s, clock := open(t, h)
	ctx := context.Background()
	_, err := s.History(ctx, "Patient", "p1")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: History of a record never written fails with ErrNotFound")
	_, err = s.GetVersion(ctx, "Patient", "p1", 1)
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: GetVersion of a record never written fails with ErrNotFound")

	var want []storage.Record
	for i, v := range []string{"a", "b", "c"} {
		r := storage.Record{Type: "Patient", ID: "p1", Compartment: "p1", Labels: []string{"l" + v},
			Terms: []storage.Term{term("t", v)}, Value: []byte(v)}
		put(t, s, r, int64(i))
		r.Version, r.Updated = int64(i+1), stamp(clock.Now())
		want = append(want, r)
		clock.Advance(time.Minute)
	}
	del(t, s, "Patient", "p1", 3)
	tomb := storage.Record{Type: "Patient", ID: "p1", Version: 4, Updated: stamp(clock.Now()), Compartment: "p1", Labels: []string{"lc"}, Deleted: true}

	hist, err := s.History(ctx, "Patient", "p1")
	require.NoError(t, err, "rule: History returns every version")
	require.Len(t, hist, 4, "rule: History holds every version, the tombstone included")
	for i := range want {
		sameRecord(t, want[i], hist[i], "History lists versions oldest first")
	}
	assert.True(t, hist[3].Deleted, "rule: a deletion is kept in History as a tombstone")
	assert.Equal(t, int64(4), hist[3].Version, "rule: a tombstone takes the next version number")
	assert.True(t, tomb.Updated.Equal(hist[3].Updated), "rule: a tombstone carries the time of the deletion")
	assert.Empty(t, hist[3].Value, "rule: a tombstone carries no value")

	for i := range want {
		got, err := s.GetVersion(ctx, "Patient", "p1", int64(i+1))
		if assert.NoError(t, err, "rule: GetVersion returns every version written") {
			sameRecord(t, want[i], got, "GetVersion returns the version asked for")
		}
	}
	got, err := s.GetVersion(ctx, "Patient", "p1", 4)
	if assert.NoError(t, err, "rule: GetVersion returns tombstones") {
		assert.True(t, got.Deleted, "rule: GetVersion of a deletion returns a tombstone")
	}
	for _, v := range []int64{0, 5, 1 << 40} {
		_, err := s.GetVersion(ctx, "Patient", "p1", v)
		assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: GetVersion of version %d that was never written fails with ErrNotFound", v)
	}
}

func testRecreate(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	put(t, s, rec("Patient", "p1"), 0)
	del(t, s, "Patient", "p1", 1)

	_, err := tryPut(s, rec("Patient", "p1"), 0)
	assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: expect 0 on a deleted record conflicts (its tombstone is version 2)")
	again := put(t, s, rec("Patient", "p1", term("k", "v")), 2)
	assert.Equal(t, int64(3), again.Version, "rule: re-creating with the tombstone version as expect makes the next version")
	got, err := s.Get(ctx, "Patient", "p1")
	require.NoError(t, err, "rule: a re-created record is current again")
	assert.Equal(t, int64(3), got.Version, "rule: Get returns the re-created version")
	page, err := s.Query(ctx, storage.Query{Type: "Patient", Filters: []storage.Filter{{Term: "k", Op: storage.Eq, Value: "v"}}})
	require.NoError(t, err, "rule: Query succeeds")
	assert.Equal(t, []string{"Patient/p1"}, ids(page.Records), "rule: a re-created record is found by Query")
	hist, err := s.History(ctx, "Patient", "p1")
	require.NoError(t, err, "rule: History succeeds")
	assert.Len(t, hist, 3, "rule: History keeps the versions before the deletion")
}

func testExpectAny(t *testing.T, h Harness) {
	s, _ := open(t, h)
	first := put(t, s, rec("Patient", "p1"), storage.Any)
	assert.Equal(t, int64(1), first.Version, "rule: expect Any creates a missing record as version 1")
	second := put(t, s, rec("Patient", "p1"), storage.Any)
	assert.Equal(t, int64(2), second.Version, "rule: expect Any overwrites whatever version is current")
	del(t, s, "Patient", "p1", storage.Any)
	third := put(t, s, rec("Patient", "p1"), storage.Any)
	assert.Equal(t, int64(4), third.Version, "rule: expect Any re-creates a deleted record")
}

func testConflictInPut(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	put(t, s, rec("Patient", "p1"), 0)
	put(t, s, rec("Patient", "p1"), 1)
	before := lastSeq(t, s)

	for _, expect := range []int64{0, 1, 3, 99} {
		_, err := tryPut(s, storage.Record{Type: "Patient", ID: "p1", Value: []byte("stale")}, expect)
		assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: Put expecting version %d of a record at version 2 fails with ErrConflict", expect)
		err = s.Update(ctx, func(tx storage.Tx) error { return tx.Delete(ctx, "Patient", "p1", expect) })
		assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: Delete expecting version %d of a record at version 2 fails with ErrConflict", expect)
	}
	_, err := tryPut(s, rec("Patient", "p2"), 1)
	assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: Put expecting version 1 of a missing record fails with ErrConflict")

	got, err := s.Get(ctx, "Patient", "p1")
	require.NoError(t, err, "rule: Get succeeds")
	assert.Equal(t, int64(2), got.Version, "rule: a conflicting write changes nothing")
	assert.Equal(t, []byte(`{"id":"p1"}`), got.Value, "rule: a conflicting write changes nothing")
	assert.Empty(t, changesSince(t, s, before), "rule: a conflicting write appends nothing to the change feed")
}

// testConflictAtCommit races two transactions that both read version 1: one
// commits while the other is still open. Whether the backend detects it in Put
// (a lock) or at commit (validation), exactly one must win.
func testConflictAtCommit(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	put(t, s, rec("Counter", "c"), 0)

	bDone := make(chan error, 1)
	errA := s.Update(ctx, func(tx storage.Tx) error {
		cur, err := tx.Get(ctx, "Counter", "c")
		if err != nil {
			return err
		}
		if _, err := tx.Put(ctx, storage.Record{Type: "Counter", ID: "c", Value: []byte("A")}, cur.Version); err != nil {
			return err
		}
		go func() {
			_, err := tryPut(s, storage.Record{Type: "Counter", ID: "c", Value: []byte("B")}, 1)
			bDone <- err
		}()
		// Give B the chance to commit first where the backend lets it; a
		// backend that locks the record makes B wait for A instead.
		select {
		case err := <-bDone:
			bDone <- err
		case <-time.After(200 * time.Millisecond):
		}
		return nil
	})
	errB := <-bDone
	got, err := s.Get(ctx, "Counter", "c")
	require.NoError(t, err, "rule: Get succeeds")
	assert.Equal(t, int64(2), got.Version, "rule: of two writers expecting version 1 exactly one commits")
	switch {
	case errA == nil && errB == nil:
		t.Errorf("rule: two transactions expecting version 1 both committed (a lost update)")
	case errA == nil:
		assert.ErrorIs(t, errB, ehrkit.ErrConflict, "rule: the losing writer fails with ErrConflict")
		assert.Equal(t, "A", string(got.Value), "rule: the winner's value is stored")
	case errB == nil:
		assert.ErrorIs(t, errA, ehrkit.ErrConflict, "rule: the losing writer fails with ErrConflict (at commit)")
		assert.Equal(t, "B", string(got.Value), "rule: the winner's value is stored")
	default:
		t.Errorf("rule: one of two writers commits; got %v and %v", errA, errB)
	}
}

// testRepeatedWrites writes one record twice in a transaction: each write is a
// version of its own.
func testRepeatedWrites(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	var v1, v2 storage.Record
	err := s.Update(ctx, func(tx storage.Tx) error {
		var err error
		if v1, err = tx.Put(ctx, storage.Record{Type: "Patient", ID: "p1", Value: []byte("one")}, 0); err != nil {
			return err
		}
		_, err = tx.Put(ctx, storage.Record{Type: "Patient", ID: "p1", Value: []byte("bad")}, 0)
		assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: inside a transaction, expect is checked against the transaction's own writes")
		v2, err = tx.Put(ctx, storage.Record{Type: "Patient", ID: "p1", Value: []byte("two")}, v1.Version)
		return err
	})
	require.NoError(t, err, "rule: a transaction may write one record several times")
	assert.Equal(t, int64(1), v1.Version, "rule: the first write makes version 1")
	assert.Equal(t, int64(2), v2.Version, "rule: the second write in the same transaction makes version 2")
	got, err := s.Get(ctx, "Patient", "p1")
	require.NoError(t, err, "rule: Get succeeds")
	assert.Equal(t, v2.Version, got.Version, "rule: the stored version is the one Put returned")
	assert.Equal(t, "two", string(got.Value), "rule: the last write of a transaction is current")
	hist, err := s.History(ctx, "Patient", "p1")
	require.NoError(t, err, "rule: History succeeds")
	if assert.Len(t, hist, 2, "rule: every write is a version in History") {
		assert.Equal(t, "one", string(hist[0].Value), "rule: History keeps the transaction's first write")
	}
	changes := changesSince(t, s, 0)
	if assert.Len(t, changes, 2, "rule: every write appends a change") {
		assert.Equal(t, []int64{1, 2}, []int64{changes[0].Version, changes[1].Version}, "rule: changes carry the versions written")
	}
}

func testRollback(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	put(t, s, rec("Patient", "keep", term("k", "old")), 0)
	put(t, s, rec("Patient", "gone"), 0)
	before := lastSeq(t, s)

	err := s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Put(ctx, rec("Patient", "new", term("k", "v")), 0); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, rec("Patient", "keep", term("k", "new")), 1); err != nil {
			return err
		}
		if err := tx.Delete(ctx, "Patient", "gone", 1); err != nil {
			return err
		}
		if err := tx.Emit(ctx, storage.Event{Topic: "test.rollback", Key: "k1", Payload: []byte("x")}); err != nil {
			return err
		}
		return errBoom
	})
	assert.ErrorIs(t, err, errBoom, "rule: Update returns the error fn returned")
	checkUntouched(t, s, before, "a transaction whose fn failed")

	// A failed write (here a malformed record) returned by fn also rolls back
	// what came before it.
	err = s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Put(ctx, rec("Patient", "new", term("k", "v")), 0); err != nil {
			return err
		}
		_, err := tx.Put(ctx, rec("Patient", "bad id"), 0)
		return err
	})
	assert.ErrorIs(t, err, ehrkit.ErrInvalid, "rule: Update returns the failing write's error")
	checkUntouched(t, s, before, "a transaction with a failed write")
}

// checkUntouched verifies that nothing of a rolled-back transaction of
// testRollback is visible.
func checkUntouched(t *testing.T, s storage.Store, before int64, what string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Get(ctx, "Patient", "new")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: nothing %s created is visible", what)
	_, err = s.History(ctx, "Patient", "new")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: nothing %s created is in History", what)
	keep, err := s.Get(ctx, "Patient", "keep")
	if assert.NoError(t, err, "rule: %s leaves records as they were", what) {
		assert.Equal(t, int64(1), keep.Version, "rule: %s changes no version", what)
	}
	_, err = s.Get(ctx, "Patient", "gone")
	assert.NoError(t, err, "rule: %s deletes nothing", what)
	for _, v := range []string{"v", "new"} {
		page, err := s.Query(ctx, storage.Query{Type: "Patient", Filters: []storage.Filter{{Term: "k", Op: storage.Eq, Value: v}}})
		if assert.NoError(t, err, "rule: Query succeeds") {
			assert.Empty(t, page.Records, "rule: no term written by %s is indexed", what)
		}
	}
	assert.Empty(t, changesSince(t, s, before), "rule: %s appends nothing to the change feed (no puts, deletes or events)", what)
}

func testTxReadsOwnWrites(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	putAll(t, s, rec("Obs", "b", term("code", "old")), rec("Obs", "c", term("code", "x")), rec("Obs", "d", term("code", "x")))
	eq := func(v string) storage.Query {
		return storage.Query{Type: "Obs", Filters: []storage.Filter{{Term: "code", Op: storage.Eq, Value: v}}}
	}
	err := s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Put(ctx, rec("Obs", "a", term("code", "x")), 0); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, rec("Obs", "b", term("code", "x")), 1); err != nil {
			return err
		}
		if err := tx.Delete(ctx, "Obs", "c", 1); err != nil {
			return err
		}
		got, err := tx.Get(ctx, "Obs", "a")
		if assert.NoError(t, err, "rule: Get in a transaction sees a record the transaction created") {
			assert.Equal(t, int64(1), got.Version, "rule: Get in a transaction returns the version it wrote")
		}
		got, err = tx.Get(ctx, "Obs", "b")
		if assert.NoError(t, err, "rule: Get in a transaction sees its update") {
			assert.Equal(t, int64(2), got.Version, "rule: Get in a transaction sees its update")
			assert.ElementsMatch(t, []storage.Term{term("code", "x")}, got.Terms, "rule: Get in a transaction sees its update")
		}
		_, err = tx.Get(ctx, "Obs", "c")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: Get in a transaction does not see a record it deleted")

		page, err := tx.Query(ctx, eq("x"))
		if assert.NoError(t, err, "rule: Query in a transaction succeeds") {
			assert.Equal(t, []string{"Obs/a", "Obs/b", "Obs/d"}, ids(page.Records), "rule: Query in a transaction sees its own creates, updates and deletes")
		}
		page, err = tx.Query(ctx, eq("old"))
		if assert.NoError(t, err, "rule: Query in a transaction succeeds") {
			assert.Empty(t, page.Records, "rule: Query in a transaction does not match terms its update replaced")
		}
		page, err = tx.Query(ctx, storage.Query{Type: "Obs", Limit: 2})
		if assert.NoError(t, err, "rule: Query in a transaction succeeds") {
			assert.Equal(t, []string{"Obs/a", "Obs/b"}, ids(page.Records), "rule: Query in a transaction pages over its own writes")
			if assert.NotEmpty(t, page.Next, "rule: a page that is not the last has Next") {
				page, err = tx.Query(ctx, storage.Query{Type: "Obs", Limit: 2, Cursor: page.Next})
				if assert.NoError(t, err, "rule: Query in a transaction accepts its cursor") {
					assert.Equal(t, []string{"Obs/d"}, ids(page.Records), "rule: Query in a transaction pages over its own writes")
				}
			}
		}
		return nil
	})
	require.NoError(t, err, "rule: the transaction commits")
}

// testIsolation checks that a transaction's writes are not visible outside it
// before it commits.
func testIsolation(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	put(t, s, rec("Obs", "b", term("code", "x")), 0)
	err := s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Put(ctx, rec("Obs", "a", term("code", "x")), 0); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, storage.Record{Type: "Obs", ID: "b", Value: []byte("changed")}, 1); err != nil {
			return err
		}
		_, err := s.Get(ctx, "Obs", "a")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: a record created by an open transaction is not visible outside it")
		got, err := s.Get(ctx, "Obs", "b")
		if assert.NoError(t, err, "rule: Get outside an open transaction succeeds") {
			assert.Equal(t, int64(1), got.Version, "rule: an open transaction's update is not visible outside it")
		}
		page, err := s.Query(ctx, storage.Query{Type: "Obs"})
		if assert.NoError(t, err, "rule: Query outside an open transaction succeeds") {
			assert.Equal(t, []string{"Obs/b"}, ids(page.Records), "rule: an open transaction's writes are not visible to Query outside it")
		}
		return nil
	})
	require.NoError(t, err, "rule: the transaction commits")
}

func testUpdatedTime(t *testing.T, h Harness) {
	s, clock := open(t, h)
	ctx := context.Background()
	for i, step := range []time.Duration{0, 1500 * time.Nanosecond, 999 * time.Nanosecond, 24 * time.Hour} {
		clock.Advance(step)
		out := put(t, s, rec("Patient", "p1"), storage.Any)
		want := stamp(clock.Now())
		assert.True(t, want.Equal(out.Updated), "rule: Put sets Updated to the clock's time in UTC truncated to microseconds (write %d: got %v, want %v)", i, out.Updated, want)
		got, err := s.Get(ctx, "Patient", "p1")
		require.NoError(t, err, "rule: Get succeeds")
		assert.True(t, want.Equal(got.Updated), "rule: Get returns Updated as stored (write %d: got %v, want %v)", i, got.Updated, want)
		assert.Equal(t, time.UTC, got.Updated.Location(), "rule: Updated is in UTC")
		assert.Zero(t, got.Updated.Nanosecond()%1000, "rule: Updated has microsecond precision")
	}
	for _, c := range changesSince(t, s, 0) {
		assert.Equal(t, time.UTC, c.Time.Location(), "rule: Change.Time is in UTC")
		assert.Zero(t, c.Time.Nanosecond()%1000, "rule: Change.Time has microsecond precision")
	}
}

// testNilClock: a store opened with a nil clock stamps writes with the system
// clock instead of panicking on the first write.
func testNilClock(t *testing.T, h Harness) {
	s := h.Open(t, nil)
	before := stamp(time.Now())
	out := put(t, s, rec("Patient", "p1"), storage.Any)
	after := stamp(time.Now()).Add(time.Microsecond)
	assert.False(t, out.Updated.Before(before) || out.Updated.After(after), "rule: with a nil clock, Updated is the system time (got %v, want within [%v, %v])", out.Updated, before, after)
	for _, c := range changesSince(t, s, 0) {
		assert.False(t, c.Time.Before(before) || c.Time.After(after), "rule: with a nil clock, Change.Time is the system time (got %v)", c.Time)
	}
}

func testLabels(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	labels := []string{"sensitive", "42CFRPart2", "R", "psychiatry.notes"}
	in := storage.Record{Type: "Note", ID: "n1", Compartment: "p1", Labels: labels, Value: []byte("x")}
	put(t, s, in, 0)
	got, err := s.Get(ctx, "Note", "n1")
	require.NoError(t, err, "rule: Get succeeds")
	assert.ElementsMatch(t, labels, got.Labels, "rule: labels round-trip through Get")
	assert.True(t, got.HasLabel("42CFRPart2"), "rule: labels round-trip through Get")
	page, err := s.Query(ctx, storage.Query{Type: "Note"})
	require.NoError(t, err, "rule: Query succeeds")
	if assert.Len(t, page.Records, 1, "rule: Query finds the record") {
		assert.ElementsMatch(t, labels, page.Records[0].Labels, "rule: labels round-trip through Query")
	}
	hist, err := s.History(ctx, "Note", "n1")
	require.NoError(t, err, "rule: History succeeds")
	assert.ElementsMatch(t, labels, hist[0].Labels, "rule: labels round-trip through History")
	cs := changesSince(t, s, 0)
	if assert.Len(t, cs, 1, "rule: one write appends one change") {
		assert.ElementsMatch(t, labels, cs[0].Labels, "rule: a put change carries the record's labels")
	}
	put(t, s, storage.Record{Type: "Note", ID: "n1", Value: []byte("y")}, 1)
	got, err = s.Get(ctx, "Note", "n1")
	require.NoError(t, err, "rule: Get succeeds")
	assert.Empty(t, got.Labels, "rule: a write without labels removes them")
}
