package storetest

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// every calls each read method and Update of s with ctx and returns the errors
// by method name; fn is the transaction function Update runs.
func every(ctx context.Context, s storage.Store, fn func(tx storage.Tx) error) map[string]error {
	_, getErr := s.Get(ctx, "Patient", "p1")
	_, versionErr := s.GetVersion(ctx, "Patient", "p1", 1)
	_, historyErr := s.History(ctx, "Patient", "p1")
	_, queryErr := s.Query(ctx, storage.Query{Type: "Patient"})
	_, changesErr := s.Changes(ctx, 0, 10)
	return map[string]error{
		"Get": getErr, "GetVersion": versionErr, "History": historyErr, "Query": queryErr,
		"Changes": changesErr, "Update": s.Update(ctx, fn),
	}
}

func testContextCancelled(t *testing.T, h Harness) {
	s, _ := open(t, h)
	put(t, s, rec("Patient", "p1"), 0)
	before := lastSeq(t, s)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), epoch)
	defer cancel2()
	for _, tc := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		errs := every(tc.ctx, s, func(tx storage.Tx) error {
			_, err := tx.Put(context.Background(), rec("Patient", "p2"), 0)
			return err
		})
		for method, err := range errs {
			assert.ErrorIs(t, err, tc.want, "rule: %s with a done context fails with an error wrapping the context's error", method)
		}
	}
	// A done context passed to the operations inside a live transaction.
	err := s.Update(context.Background(), func(tx storage.Tx) error {
		_, err := tx.Put(cancelled, rec("Patient", "p3"), 0)
		assert.ErrorIs(t, err, context.Canceled, "rule: Tx.Put with a cancelled context fails with context.Canceled")
		err = tx.Delete(cancelled, "Patient", "p1", 1)
		assert.ErrorIs(t, err, context.Canceled, "rule: Tx.Delete with a cancelled context fails with context.Canceled")
		err = tx.Emit(cancelled, storage.Event{Topic: "t"})
		assert.ErrorIs(t, err, context.Canceled, "rule: Tx.Emit with a cancelled context fails with context.Canceled")
		_, err = tx.Get(cancelled, "Patient", "p1")
		assert.ErrorIs(t, err, context.Canceled, "rule: Tx.Get with a cancelled context fails with context.Canceled")
		_, err = tx.Query(cancelled, storage.Query{Type: "Patient"})
		assert.ErrorIs(t, err, context.Canceled, "rule: Tx.Query with a cancelled context fails with context.Canceled")
		return nil
	})
	require.NoError(t, err, "rule: a transaction whose failed operations fn ignored commits")
	for _, id := range []string{"p2", "p3"} {
		_, err := s.Get(context.Background(), "Patient", id)
		assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: nothing is written under a done context")
	}
	_, err = s.Get(context.Background(), "Patient", "p1")
	assert.NoError(t, err, "rule: nothing is deleted under a done context")
	assert.Empty(t, changesSince(t, s, before), "rule: nothing is written to the feed under a done context")
}

// testCancelDuringUpdate cancels the context while fn runs: the transaction
// must not commit even though fn returns nil.
func testCancelDuringUpdate(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Put(ctx, rec("Patient", "p1"), 0); err != nil {
			return err
		}
		if err := tx.Emit(ctx, storage.Event{Topic: "t"}); err != nil {
			return err
		}
		cancel()
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled, "rule: Update whose context is cancelled before commit fails with context.Canceled")
	_, err = s.Get(context.Background(), "Patient", "p1")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound, "rule: a transaction cancelled before commit writes nothing")
	assert.Empty(t, changesSince(t, s, 0), "rule: a transaction cancelled before commit appends nothing to the feed")
}

func testClosed(t *testing.T, h Harness) {
	s, _ := open(t, h)
	put(t, s, rec("Patient", "p1"), 0)
	require.NoError(t, s.Close(), "rule: Close succeeds")
	called := false
	errs := every(context.Background(), s, func(tx storage.Tx) error {
		called = true
		return nil
	})
	for method, err := range errs {
		assert.ErrorIs(t, err, storage.ErrClosed, "rule: %s after Close fails with storage.ErrClosed", method)
	}
	assert.False(t, called, "rule: Update after Close does not run fn")
	if err := s.Close(); err != nil {
		assert.ErrorIs(t, err, storage.ErrClosed, "rule: a second Close returns nil or storage.ErrClosed")
	}
}

// testConcurrentIncrements runs read-modify-write loops on one record from many
// goroutines, retrying on conflict: no increment may be lost.
func testConcurrentIncrements(t *testing.T, h Harness) {
	const workers, increments = 16, 25
	s, _ := open(t, h)
	ctx := context.Background()
	put(t, s, storage.Record{Type: "Counter", ID: "c", Value: []byte("0")}, 0)

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range increments {
				if err := increment(ctx, s); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "rule: a read-modify-write retried on ErrConflict eventually commits")
	}
	got, err := s.Get(ctx, "Counter", "c")
	require.NoError(t, err, "rule: Get succeeds")
	assert.Equal(t, workers*increments, counter(t, got), "rule: no update is lost under concurrency")
	assert.Equal(t, int64(workers*increments+1), got.Version, "rule: every committed write makes one version")
	hist, err := s.History(ctx, "Counter", "c")
	require.NoError(t, err, "rule: History succeeds")
	if assert.Len(t, hist, workers*increments+1, "rule: History holds every committed write") {
		for i, r := range hist {
			if counter(t, r) != i || r.Version != int64(i+1) {
				t.Errorf("rule: version %d holds the value of the %d-th increment; got value %d", r.Version, i, counter(t, r))
				break
			}
		}
	}
	assert.Len(t, changesSince(t, s, 0), workers*increments+1, "rule: every committed write appends one change")
}

// increment adds one to the counter, retrying on conflict.
func increment(ctx context.Context, s storage.Store) error {
	for attempt := 0; attempt < 10000; attempt++ {
		err := s.Update(ctx, func(tx storage.Tx) error {
			cur, err := tx.Get(ctx, "Counter", "c")
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(string(cur.Value))
			if err != nil {
				return err
			}
			runtime.Gosched() // let other writers run between read and write
			_, err = tx.Put(ctx, storage.Record{Type: "Counter", ID: "c", Value: []byte(strconv.Itoa(n + 1))}, cur.Version)
			return err
		})
		if !errors.Is(err, ehrkit.ErrConflict) {
			return err
		}
	}
	return errors.New("storetest: still conflicting after 10000 attempts")
}

// testConcurrentCreate creates one id from many goroutines at once: exactly one
// succeeds, the others get ErrConflict.
func testConcurrentCreate(t *testing.T, h Harness) {
	const workers = 16
	s, _ := open(t, h)
	var wg sync.WaitGroup
	results := make([]error, workers)
	for i := range workers {
		wg.Go(func() {
			_, results[i] = tryPut(s, storage.Record{Type: "Unique", ID: "mrn|42", Value: []byte(strconv.Itoa(i))}, 0)
		})
	}
	wg.Wait()
	winners := 0
	for _, err := range results {
		if err == nil {
			winners++
			continue
		}
		assert.ErrorIs(t, err, ehrkit.ErrConflict, "rule: a losing concurrent create fails with ErrConflict")
	}
	assert.Equal(t, 1, winners, "rule: of concurrent creates of one id exactly one succeeds")
	hist, err := s.History(context.Background(), "Unique", "mrn|42")
	require.NoError(t, err, "rule: History succeeds")
	assert.Len(t, hist, 1, "rule: concurrent creates leave one version")
}
