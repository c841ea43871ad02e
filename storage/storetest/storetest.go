package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Harness tells the suite how to open a backend.
type Harness struct {
	// Open returns a fresh, empty store; it is closed and its data removed when t ends. A nil clock
	// is passed through to the backend's clock option, which must fall back to the system clock.
	Open func(t testing.TB, clock ehrkit.Clock) storage.Store
	// Place, for backends that persist, returns an opener bound to a fresh location: every call opens a
	// new handle onto the same data (used to test restart / resume). nil for memory backends.
	Place func(t testing.TB) func(clock ehrkit.Clock) (storage.Store, error)
}

// Run checks every rule of the storage contract against the backend, one
// subtest per area.
func Run(t *testing.T, h Harness) {
	require.NotNil(t, h.Open, "Harness.Open is required")
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"CRUD", testCRUD},
		{"History", testHistory},
		{"RecreateAfterDelete", testRecreate},
		{"ExpectAny", testExpectAny},
		{"ConflictInPut", testConflictInPut},
		{"ConflictAtCommit", testConflictAtCommit},
		{"SeveralWritesOfOneRecordInATx", testRepeatedWrites},
		{"Rollback", testRollback},
		{"TxReadsOwnWrites", testTxReadsOwnWrites},
		{"Isolation", testIsolation},
		{"UpdatedTime", testUpdatedTime},
		{"NilClock", testNilClock},
		{"Labels", testLabels},
		{"QueryOperators", testQueryOperators},
		{"QuerySort", testQuerySort},
		{"QueryDefaultLimit", testQueryDefaultLimit},
		{"Pagination", testPagination},
		{"FilteredPagination", testFilteredPagination},
		{"PaginationDuringWrites", testPaginationDuringWrites},
		{"CursorFromAnotherQuery", testForeignCursor},
		{"MalformedRecord", testMalformedRecord},
		{"MalformedKey", testMalformedKey},
		{"MalformedQuery", testMalformedQuery},
		{"MalformedEvent", testMalformedEvent},
		{"ValueSize", testValueSize},
		{"Unicode", testUnicode},
		{"LargeValue", testLargeValue},
		{"ChangeFeed", testChangeFeed},
		{"ChangesPaging", testChangesPaging},
		{"FeedNoLateGaps", testFeedNoLateGaps},
		{"Feed", testFeed},
		{"Restart", testRestart},
		{"TwoHandles", testTwoHandles},
		{"ContextCancelled", testContextCancelled},
		{"CancelDuringUpdate", testCancelDuringUpdate},
		{"Closed", testClosed},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"ConcurrentCreate", testConcurrentCreate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

// epoch is the fake clock's start: in a non-UTC zone and with nanoseconds, so
// that the suite sees whether a backend converts to UTC and truncates to
// microseconds.
var epoch = time.Date(2026, 3, 4, 10, 11, 12, 123456789, time.FixedZone("UTC+5:30", 5*3600+1800))

// stamp is what a store must record for a write at clock time c.
func stamp(c time.Time) time.Time { return c.UTC().Truncate(time.Microsecond) }

// open returns a fresh store driven by a fake clock set to epoch.
func open(t testing.TB, h Harness) (storage.Store, *ehrkit.FakeClock) {
	clock := ehrkit.NewFakeClock(epoch)
	return h.Open(t, clock), clock
}

// errBoom is the error a transaction function returns to force a rollback.
var errBoom = errors.New("storetest: fn failed on purpose")

// put writes rec in its own transaction and returns the stored version.
func put(t testing.TB, s storage.Store, rec storage.Record, expect int64) storage.Record {
	t.Helper()
	var out storage.Record
	err := s.Update(context.Background(), func(tx storage.Tx) error {
		var err error
		out, err = tx.Put(context.Background(), rec, expect)
		return err
	})
	require.NoError(t, err, "rule: Put of %s with expect %d commits", storage.Describe(rec), expect)
	return out
}

// tryPut is put returning the error instead of failing.
func tryPut(s storage.Store, rec storage.Record, expect int64) (storage.Record, error) {
	var out storage.Record
	err := s.Update(context.Background(), func(tx storage.Tx) error {
		var err error
		out, err = tx.Put(context.Background(), rec, expect)
		return err
	})
	return out, err
}

// del deletes a record in its own transaction.
func del(t testing.TB, s storage.Store, typ, id string, expect int64) {
	t.Helper()
	err := s.Update(context.Background(), func(tx storage.Tx) error {
		return tx.Delete(context.Background(), typ, id, expect)
	})
	require.NoError(t, err, "rule: Delete of %s/%s with expect %d commits", typ, id, expect)
}

// putAll writes recs (as creations) in one transaction.
func putAll(t testing.TB, s storage.Store, recs ...storage.Record) {
	t.Helper()
	err := s.Update(context.Background(), func(tx storage.Tx) error {
		for _, r := range recs {
			if _, err := tx.Put(context.Background(), r, 0); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err, "rule: a transaction creating %d records commits", len(recs))
}

// lastSeq returns the sequence number of the newest change (0 if none).
func lastSeq(t testing.TB, s storage.Store) int64 {
	t.Helper()
	var after int64
	for {
		cs, err := s.Changes(context.Background(), after, storage.MaxChangeRead)
		require.NoError(t, err, "rule: Changes reads the feed")
		if len(cs) == 0 {
			return after
		}
		after = cs[len(cs)-1].Seq
	}
}

// changesSince returns every change after seq.
func changesSince(t testing.TB, s storage.Store, seq int64) []storage.Change {
	t.Helper()
	var out []storage.Change
	for {
		cs, err := s.Changes(context.Background(), seq, storage.MaxChangeRead)
		require.NoError(t, err, "rule: Changes reads the feed")
		if len(cs) == 0 {
			return out
		}
		out = append(out, cs...)
		seq = cs[len(cs)-1].Seq
	}
}

// rec builds a record of typ and id with a small value.
func rec(typ, id string, terms ...storage.Term) storage.Record {
	return storage.Record{Type: typ, ID: id, Terms: terms, Value: []byte(`{"id":"` + id + `"}`)}
}

// term is shorthand for a storage.Term.
func term(name, value string) storage.Term { return storage.Term{Name: name, Value: value} }

// sameRecord reports every difference between the record a store returned and
// the one expected, naming the rule.
func sameRecord(t testing.TB, want, got storage.Record, rule string) {
	t.Helper()
	what := fmt.Sprintf("%s (%s)", storage.Describe(want), rule)
	assert.Equal(t, want.Type, got.Type, "%s: type", what)
	assert.Equal(t, want.ID, got.ID, "%s: id", what)
	assert.Equal(t, want.Version, got.Version, "%s: version", what)
	assert.True(t, want.Updated.Equal(got.Updated), "%s: updated is %v, want %v", what, got.Updated, want.Updated)
	assert.Equal(t, time.UTC, got.Updated.Location(), "%s: updated must be in UTC", what)
	assert.Equal(t, want.Compartment, got.Compartment, "%s: compartment", what)
	assert.ElementsMatch(t, want.Labels, got.Labels, "%s: labels", what)
	if !want.Deleted {
		assert.ElementsMatch(t, want.Terms, got.Terms, "%s: terms", what)
	}
	sameBytes(t, want.Value, got.Value, what+": value")
	assert.Equal(t, want.Deleted, got.Deleted, "%s: deleted", what)
}

// sameBytes compares two byte strings without printing them whole.
func sameBytes(t testing.TB, want, got []byte, what string) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	t.Errorf("%s: %d bytes differ from the %d written, first at offset %d", what, len(got), len(want), i)
}

// ids lists "Type/id" of records in order.
func ids(recs []storage.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = storage.Describe(r)
	}
	return out
}

// queryAll runs q page by page and returns every record.
func queryAll(t testing.TB, r storage.Reader, q storage.Query) []storage.Record {
	t.Helper()
	var out []storage.Record
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10000, "rule: paging ends (Next becomes empty)")
		page, err := r.Query(context.Background(), q)
		require.NoError(t, err, "rule: Query with a cursor it returned succeeds")
		assert.LessOrEqual(t, len(page.Records), storage.PageSize(q), "rule: a page holds at most Limit records")
		out = append(out, page.Records...)
		if page.Next == "" {
			return out
		}
		q.Cursor = page.Next
	}
}

// validation asserts that err is one *ehrkit.ValidationError (wrapping
// ehrkit.ErrInvalid) naming every wanted path with its code.
func validation(t testing.TB, err error, rule string, want ...ehrkit.Issue) {
	t.Helper()
	if !assert.ErrorIs(t, err, ehrkit.ErrInvalid, "rule: %s: fails with ehrkit.ErrInvalid", rule) {
		return
	}
	var ve *ehrkit.ValidationError
	if !assert.ErrorAs(t, err, &ve, "rule: %s: the error carries an *ehrkit.ValidationError", rule) {
		return
	}
	for _, w := range want {
		assert.True(t, ve.Has(w.Path, w.Code), "rule: %s: names %q with code %q; issues: %v", rule, w.Path, w.Code, ve.Issues)
	}
}

// issue is shorthand for an expected validation issue.
func issue(path string, code ehrkit.IssueCode) ehrkit.Issue {
	return ehrkit.Issue{Path: path, Code: code}
}

// counter reads the integer value of a counter record.
func counter(t testing.TB, r storage.Record) int {
	t.Helper()
	n, err := strconv.Atoi(string(r.Value))
	require.NoError(t, err, "rule: the stored value is the one written")
	return n
}

// sorted returns a sorted copy of ss.
func sorted(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}
