package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// change is the part of a storage.Change the feed checks compare.
type change struct {
	Kind        storage.ChangeKind
	Type, ID    string
	Version     int64
	Compartment string
	Topic, Key  string
	Payload     string
}

func summarize(cs []storage.Change) []change {
	out := make([]change, len(cs))
	for i, c := range cs {
		out[i] = change{c.Kind, c.Type, c.ID, c.Version, c.Compartment, c.Topic, c.Key, string(c.Payload)}
	}
	return out
}

// writeFeedScenario commits three transactions and a checkpoint write and
// returns the changes they must produce, in order.
func writeFeedScenario(t testing.TB, s storage.Store, clock *ehrkit.FakeClock) []change {
	ctx := context.Background()
	err := s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Put(ctx, withComp(rec("Patient", "a"), "a"), 0); err != nil {
			return err
		}
		if err := tx.Emit(ctx, storage.Event{Topic: "patient.created", Key: "a-1", Compartment: "a", Payload: []byte(`{"id":"a"}`)}); err != nil {
			return err
		}
		_, err := tx.Put(ctx, withComp(rec("Encounter", "e1"), "a"), 0)
		return err
	})
	require.NoError(t, err, "rule: the transaction commits")
	clock.Advance(time.Second)
	err = s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.Delete(ctx, "Encounter", "e1", 1); err != nil {
			return err
		}
		if err := tx.Emit(ctx, storage.Event{Topic: "reminder", Key: "r-1"}); err != nil {
			return err
		}
		_, err := tx.Put(ctx, withComp(rec("Patient", "a"), "a"), 1)
		return err
	})
	require.NoError(t, err, "rule: the transaction commits")
	put(t, s, storage.Record{Type: storage.CheckpointType, ID: "consumer", Value: []byte(`{"after":1}`)}, 0)
	put(t, s, rec("Patient", "b"), 0)
	return []change{
		{Kind: storage.ChangePut, Type: "Patient", ID: "a", Version: 1, Compartment: "a"},
		{Kind: storage.ChangeEvent, Compartment: "a", Topic: "patient.created", Key: "a-1", Payload: `{"id":"a"}`},
		{Kind: storage.ChangePut, Type: "Encounter", ID: "e1", Version: 1, Compartment: "a"},
		{Kind: storage.ChangeDelete, Type: "Encounter", ID: "e1", Version: 2, Compartment: "a"},
		{Kind: storage.ChangeEvent, Topic: "reminder", Key: "r-1"},
		{Kind: storage.ChangePut, Type: "Patient", ID: "a", Version: 2, Compartment: "a"},
		{Kind: storage.ChangePut, Type: "Patient", ID: "b", Version: 1},
	}
}

func testChangeFeed(t *testing.T, h Harness) {
	s, clock := open(t, h)
	cs, err := s.Changes(context.Background(), 0, 10)
	require.NoError(t, err, "rule: Changes of an empty store succeeds")
	assert.Empty(t, cs, "rule: an empty store has an empty feed")

	t0 := stamp(clock.Now())
	want := writeFeedScenario(t, s, clock)
	cs = changesSince(t, s, 0)
	assert.Equal(t, want, summarize(cs), "rule: every put, delete and event appears once, in commit order and in the order written within a transaction; checkpoint writes are not logged")
	for i := 1; i < len(cs); i++ {
		assert.Greater(t, cs[i].Seq, cs[i-1].Seq, "rule: Seq is strictly increasing")
	}
	if len(cs) == len(want) {
		assert.True(t, t0.Equal(cs[0].Time), "rule: Change.Time is the commit time")
		assert.True(t, cs[0].Time.Equal(cs[2].Time), "rule: the changes of one transaction share its commit time")
		assert.True(t, cs[0].Time.Before(cs[3].Time), "rule: Change.Time follows the clock")
	}
}

func testChangesPaging(t *testing.T, h Harness) {
	s, clock := open(t, h)
	ctx := context.Background()
	writeFeedScenario(t, s, clock)
	all := changesSince(t, s, 0)
	require.Len(t, all, 7, "rule: the scenario appends seven changes")
	for _, limit := range []int{1, 2, 3, 7, 100} {
		var got []storage.Change
		after := int64(0)
		for i := 0; ; i++ {
			require.Less(t, i, 100, "rule: reading the feed ends")
			cs, err := s.Changes(ctx, after, limit)
			require.NoError(t, err, "rule: Changes succeeds")
			assert.LessOrEqual(t, len(cs), limit, "rule: Changes returns at most limit entries")
			if len(cs) == 0 {
				break
			}
			got = append(got, cs...)
			after = cs[len(cs)-1].Seq
		}
		assert.Equal(t, summarize(all), summarize(got), "rule: reading the feed in batches of %d returns every change once, in order", limit)
	}
	cs, err := s.Changes(ctx, all[3].Seq, 2)
	require.NoError(t, err, "rule: Changes succeeds")
	assert.Equal(t, summarize(all[4:6]), summarize(cs), "rule: Changes returns the entries with Seq greater than after")
	cs, err = s.Changes(ctx, all[6].Seq, 10)
	require.NoError(t, err, "rule: Changes succeeds")
	assert.Empty(t, cs, "rule: Changes after the last entry is empty")
}

func testFeed(t *testing.T, h Harness) {
	s, clock := open(t, h)
	ctx := context.Background()
	_, err := storage.NewFeed(s, "bad name", 2)
	validation(t, err, "a malformed consumer name is rejected", issue("name", ehrkit.IssueValue))

	want := writeFeedScenario(t, s, clock)
	feed, err := storage.NewFeed(s, "mailer", 3)
	require.NoError(t, err, "rule: NewFeed succeeds")
	var got []change
	collect := func(_ context.Context, cs []storage.Change) error {
		got = append(got, summarize(cs)...)
		return nil
	}
	n, err := feed.Poll(ctx, collect)
	require.NoError(t, err, "rule: Poll succeeds")
	assert.Equal(t, 3, n, "rule: Poll hands over one batch")

	// A failing handler leaves the position where it was.
	var failed []change
	_, err = feed.Poll(ctx, func(_ context.Context, cs []storage.Change) error {
		failed = summarize(cs)
		return errBoom
	})
	assert.ErrorIs(t, err, errBoom, "rule: Poll returns the handler's error")
	pos, _, err := feed.Position(ctx)
	require.NoError(t, err, "rule: Position succeeds")
	assert.Equal(t, lastSeqOf(t, s, 3), pos, "rule: a failed handler does not move the position")

	for {
		n, err := feed.Poll(ctx, collect)
		require.NoError(t, err, "rule: Poll succeeds")
		if n == 0 {
			break
		}
	}
	assert.Equal(t, want, got, "rule: a feed consumer receives every change once when its handler succeeds")
	assert.Equal(t, want[3:6], failed, "rule: the batch a failed handler saw is delivered again (at least once)")

	// The checkpoint writes did not create work, and a second consumer starts from the beginning.
	n, err = feed.Poll(ctx, collect)
	require.NoError(t, err, "rule: Poll succeeds")
	assert.Zero(t, n, "rule: a consumer's checkpoint writes do not appear in the feed")
	other, err := storage.NewFeed(s, "billing", 100)
	require.NoError(t, err, "rule: NewFeed succeeds")
	var second []change
	_, err = other.Poll(ctx, func(_ context.Context, cs []storage.Change) error {
		second = summarize(cs)
		return nil
	})
	require.NoError(t, err, "rule: Poll succeeds")
	assert.Equal(t, want, second, "rule: consumers keep independent positions")
}

// lastSeqOf returns the Seq of the n-th change (1-based).
func lastSeqOf(t testing.TB, s storage.Store, n int) int64 {
	t.Helper()
	cs := changesSince(t, s, 0)
	require.GreaterOrEqual(t, len(cs), n, "rule: the feed holds the changes written")
	return cs[n-1].Seq
}

// place returns an opener onto a fresh location and a fake clock, skipping
// the test for backends that do not persist.
func place(t *testing.T, h Harness) (func(ehrkit.Clock) (storage.Store, error), *ehrkit.FakeClock) {
	if h.Place == nil {
		t.Skip("the backend does not persist (Harness.Place is nil)")
	}
	return h.Place(t), ehrkit.NewFakeClock(epoch)
}

// testRestart closes a persistent store and opens it again: records, history,
// the change feed and feed positions survive, and new changes continue the
// sequence.
func testRestart(t *testing.T, h Harness) {
	ctx := context.Background()
	opener, clock := place(t, h)
	s1, err := opener(clock)
	require.NoError(t, err, "rule: the store opens")
	want := writeFeedScenario(t, s1, clock)
	before := changesSince(t, s1, 0)
	feed, err := storage.NewFeed(s1, "mailer", 4)
	require.NoError(t, err, "rule: NewFeed succeeds")
	var got []change
	collect := func(_ context.Context, cs []storage.Change) error {
		got = append(got, summarize(cs)...)
		return nil
	}
	_, err = feed.Poll(ctx, collect)
	require.NoError(t, err, "rule: Poll succeeds")
	a1, err := s1.Get(ctx, "Patient", "a")
	require.NoError(t, err, "rule: Get succeeds")
	require.NoError(t, s1.Close(), "rule: Close succeeds")

	clock.Advance(time.Second)
	s2, err := opener(clock)
	require.NoError(t, err, "rule: the store opens again over the same data")
	t.Cleanup(func() { _ = s2.Close() })
	a2, err := s2.Get(ctx, "Patient", "a")
	if assert.NoError(t, err, "rule: records survive a restart") {
		sameRecord(t, a1, a2, "a record reads the same after a restart")
	}
	hist, err := s2.History(ctx, "Encounter", "e1")
	if assert.NoError(t, err, "rule: history survives a restart") {
		assert.Len(t, hist, 2, "rule: history survives a restart, tombstones included")
	}
	after := changesSince(t, s2, 0)
	assert.Equal(t, summarize(before), summarize(after), "rule: the change feed survives a restart")
	if len(after) == len(before) {
		for i := range after {
			assert.Equal(t, before[i].Seq, after[i].Seq, "rule: Seq values survive a restart")
		}
	}

	feed2, err := storage.NewFeed(s2, "mailer", 4)
	require.NoError(t, err, "rule: NewFeed succeeds")
	put(t, s2, rec("Patient", "c"), 0)
	for {
		n, err := feed2.Poll(ctx, collect)
		require.NoError(t, err, "rule: Poll succeeds after a restart")
		if n == 0 {
			break
		}
	}
	want = append(want, change{Kind: storage.ChangePut, Type: "Patient", ID: "c", Version: 1})
	assert.Equal(t, want, got, "rule: a feed consumer resumes after a restart where it stopped")
	all := changesSince(t, s2, 0)
	if assert.Len(t, all, len(before)+1, "rule: a write after a restart appends one change") {
		assert.Greater(t, all[len(all)-1].Seq, before[len(before)-1].Seq, "rule: Seq keeps increasing after a restart")
	}
}

// testTwoHandles opens two handles onto the same data at once (as two
// processes would): each sees the other's commits, and optimistic concurrency
// holds across them.
func testTwoHandles(t *testing.T, h Harness) {
	ctx := context.Background()
	opener, clock := place(t, h)
	s1, err := opener(clock)
	require.NoError(t, err, "rule: the store opens")
	t.Cleanup(func() { _ = s1.Close() })
	s2, err := opener(clock)
	require.NoError(t, err, "rule: a second handle opens over the same data")
	t.Cleanup(func() { _ = s2.Close() })

	put(t, s1, rec("Patient", "p1"), 0)
	got, err := s2.Get(ctx, "Patient", "p1")
	if assert.NoError(t, err, "rule: a handle sees another handle's commits") {
		assert.Equal(t, int64(1), got.Version, "rule: a handle sees another handle's commits")
	}
	put(t, s2, rec("Patient", "p1"), 1)
	_, err = tryPut(s1, rec("Patient", "p1"), 1)
	assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: a stale write conflicts across handles")
	for i := range 5 {
		s := []storage.Store{s1, s2}[i%2]
		put(t, s, rec("Item", fmt.Sprint("i", i)), 0)
	}
	c1, c2 := changesSince(t, s1, 0), changesSince(t, s2, 0)
	assert.Equal(t, summarize(c1), summarize(c2), "rule: both handles read one change feed")
	for i := 1; i < len(c1); i++ {
		assert.Greater(t, c1[i].Seq, c1[i-1].Seq, "rule: Seq is strictly increasing across handles")
	}
}

// testFeedNoLateGaps reads the feed while transactions commit concurrently: a
// reader that always continues after the last Seq it saw must end up with the
// whole feed, so no entry may appear behind a position already read.
func testFeedNoLateGaps(t *testing.T, h Harness) {
	const writers, txs = 4, 25
	s, _ := open(t, h)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range txs {
				err := s.Update(ctx, func(tx storage.Tx) error {
					if _, err := tx.Put(ctx, rec("Item", fmt.Sprintf("w%d-%d", w, i)), 0); err != nil {
						return err
					}
					runtime.Gosched() // widen the window between the writes of one transaction
					return tx.Emit(ctx, storage.Event{Topic: "item.added", Key: fmt.Sprintf("w%d-%d", w, i)})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var read []storage.Change
	var after int64
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		cs, err := s.Changes(ctx, after, 7)
		require.NoError(t, err, "rule: Changes succeeds while transactions commit")
		if len(cs) > 0 {
			read = append(read, cs...)
			after = cs[len(cs)-1].Seq
		}
	}
	close(errs)
	for err := range errs {
		require.NoError(t, err, "rule: concurrent transactions commit")
	}
	read = append(read, changesSince(t, s, after)...)
	all := changesSince(t, s, 0)
	assert.Len(t, all, 2*writers*txs, "rule: every put and event appends one change")
	assert.Equal(t, summarize(all), summarize(read), "rule: a reader continuing after the last Seq it saw misses nothing (no gap is filled after it was read past)")
}
