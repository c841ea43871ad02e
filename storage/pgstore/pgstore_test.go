package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
	"github.com/ehrkit/ehrkit/storage/storetest"
)

// harness opens every store in a fresh schema, dropped when the test ends.
var harness = storetest.Harness{
	Open: func(t testing.TB, clock ehrkit.Clock) storage.Store {
		s, err := testbackends.PostgresPlace(t)(clock)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	},
	Place: func(t testing.TB) func(clock ehrkit.Clock) (storage.Store, error) {
		open := testbackends.PostgresPlace(t)
		return func(clock ehrkit.Clock) (storage.Store, error) { return open(clock) }
	},
}

func TestConformance(t *testing.T) {
	testbackends.PostgresDSN(t) // skip once, not in every subtest
	storetest.Run(t, harness)
}

func BenchmarkStore(b *testing.B) {
	testbackends.PostgresDSN(b)
	storetest.Benchmarks(b, harness)
}

// place opens a store over a fresh schema with a fixed clock.
func place(t *testing.T) (*pgstore.Store, func(clock ehrkit.Clock) (*pgstore.Store, error)) {
	t.Helper()
	open := testbackends.PostgresPlace(t)
	s, err := open(ehrkit.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, open
}

func TestExample(t *testing.T) {
	s, _ := place(t)
	var out bytes.Buffer
	require.NoError(t, exampleSteps(context.Background(), s, &out))
	assert.Equal(t, "found Patient/p1 version 1\nchange 1 put Patient p1 \nchange 2 event   patient.registered\n", out.String())
}

func TestOpenRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	_, err := pgstore.Open(ctx, "postgres://%zz")
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve, "a malformed DSN is a validation error")
	assert.True(t, ve.Has("dsn", ehrkit.IssueValue), "issues: %v", ve.Issues)

	s, _ := place(t)
	_, err = pgstore.Open(ctx, "", pgstore.WithPool(s.Pool()), pgstore.WithSchema("other"))
	require.ErrorAs(t, err, &ve, "WithSchema and WithPool together are rejected")
	assert.True(t, ve.Has("schema", ehrkit.IssueValue), "issues: %v", ve.Issues)
}

func TestWithPool(t *testing.T) {
	ctx := context.Background()
	owner, _ := place(t)
	require.NoError(t, owner.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: "Patient", ID: "p1", Value: []byte("v")}, 0)
		return err
	}))
	shared, err := pgstore.Open(ctx, "", pgstore.WithPool(owner.Pool()))
	require.NoError(t, err, "a store opens over a pool whose search_path names a migrated schema")
	got, err := shared.Get(ctx, "Patient", "p1")
	require.NoError(t, err)
	assert.Equal(t, "v", string(got.Value))
	require.NoError(t, shared.Close())
	_, err = shared.Get(ctx, "Patient", "p1")
	assert.ErrorIs(t, err, storage.ErrClosed)
	_, err = owner.Get(ctx, "Patient", "p1")
	assert.NoError(t, err, "closing a store opened WithPool leaves the pool to its owner")
}

// TestConcurrentOpen opens one fresh schema from many goroutines at once, as
// processes starting together would: every open succeeds and each migration
// is applied once.
func TestConcurrentOpen(t *testing.T) {
	open := testbackends.PostgresPlace(t)
	var wg sync.WaitGroup
	stores := make([]*pgstore.Store, 6)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = open(ehrkit.RealClock{}) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "open %d", i)
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	var applied, files int
	require.NoError(t, stores[0].Pool().QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&applied))
	matches, err := filepath.Glob("*.sql")
	require.NoError(t, err)
	files = len(matches)
	assert.Equal(t, files, applied, "every migration is recorded once")
}

// TestFeedNeverSkips makes one transaction stall after it took its feed
// sequence number (a trigger sleeps while its feed row is inserted) while a
// second one commits, and tails the feed meanwhile. A reader that moves its
// cursor to the last Seq it saw must still get every entry: the second
// transaction may not make a larger Seq visible before the first commits.
func TestFeedNeverSkips(t *testing.T) {
	s, _ := place(t)
	ctx := context.Background()
	_, err := s.Pool().Exec(ctx, `
		CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.topic = 'slow' THEN PERFORM pg_sleep(1); END IF; RETURN NEW; END $$;
		CREATE TRIGGER stall BEFORE INSERT ON changes FOR EACH ROW EXECUTE FUNCTION stall()`)
	require.NoError(t, err)
	emit := func(topic string) error {
		return s.Update(ctx, func(tx storage.Tx) error { return tx.Emit(ctx, storage.Event{Topic: topic}) })
	}
	var wg sync.WaitGroup
	wg.Go(func() { assert.NoError(t, emit("slow")) })
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%INSERT INTO changes%'`).Scan(&n))
		return n > 0
	}, 10*time.Second, 5*time.Millisecond, "the slow transaction holds its sequence number")
	wg.Go(func() { assert.NoError(t, emit("fast")) })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var tailed []string
	after := int64(0)
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		cs, err := s.Changes(ctx, after, 10)
		require.NoError(t, err)
		for _, c := range cs {
			tailed = append(tailed, c.Topic)
			after = c.Seq
		}
		if finished && len(cs) == 0 {
			break
		}
	}
	assert.Equal(t, []string{"slow", "fast"}, tailed, "a tailing reader sees every entry, in commit order")
}

// TestTermsAreBytes stores term values PostgreSQL text could not hold (NUL,
// invalid UTF-8) and checks that filters and sorting treat them as bytes.
func TestTermsAreBytes(t *testing.T) {
	s, _ := place(t)
	ctx := context.Background()
	values := []string{"a\x00b", "a\x00c", "a\xff", "a\xff\xfe", "a"}
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		for i, v := range values {
			if _, err := tx.Put(ctx, storage.Record{Type: "Item", ID: fmt.Sprint("i", i), Terms: []storage.Term{{Name: "k", Value: v}}}, 0); err != nil {
				return err
			}
		}
		return nil
	}))
	query := func(q storage.Query) []string {
		q.Type = "Item"
		page, err := s.Query(ctx, q)
		require.NoError(t, err)
		var out []string
		for _, r := range page.Records {
			out = append(out, r.Terms[0].Value)
		}
		return out
	}
	assert.Equal(t, []string{"a\x00b", "a\x00c"}, query(storage.Query{SortBy: "k", Filters: []storage.Filter{{Term: "k", Op: storage.Prefix, Value: "a\x00"}}}))
	assert.Equal(t, []string{"a\xff", "a\xff\xfe"}, query(storage.Query{SortBy: "k", Filters: []storage.Filter{{Term: "k", Op: storage.Prefix, Value: "a\xff"}}}))
	assert.Equal(t, []string{"a", "a\x00b", "a\x00c", "a\xff", "a\xff\xfe"}, query(storage.Query{SortBy: "k"}))
	assert.Equal(t, []string{"a\x00b"}, query(storage.Query{Filters: []storage.Filter{{Term: "k", Op: storage.Eq, Value: "a\x00b"}}}))

	err := s.Update(ctx, func(tx storage.Tx) error { return tx.Emit(ctx, storage.Event{Topic: "bad\x00topic"}) })
	assert.ErrorIs(t, err, ehrkit.ErrInvalid, "a topic PostgreSQL text cannot hold is classified as invalid by its SQLSTATE")
	var se *storage.Error
	require.ErrorAs(t, err, &se)
	var pgErr *pgconn.PgError
	assert.ErrorAs(t, err, &pgErr, "the driver error is kept as the cause")
}

// TestStaleWriteNamesRecord sends a stale write among fresh ones: the whole
// transaction fails with ErrConflict naming the stale record, and nothing is
// written.
func TestStaleWriteNamesRecord(t *testing.T) {
	s, _ := place(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: "Item", ID: id}, 0)
			return err
		}))
	}
	err := s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Put(ctx, storage.Record{Type: "Item", ID: "a", Value: []byte("new")}, 1); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, storage.Record{Type: "Item", ID: "b", Value: []byte("stale")}, 7); err != nil {
			return err
		}
		_, err := tx.Put(ctx, storage.Record{Type: "Item", ID: "c"}, 0)
		return err
	})
	require.ErrorIs(t, err, ehrkit.ErrConflict)
	var se *storage.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "Item", se.Type)
	assert.Equal(t, "b", se.ID)
	got, err := s.Get(ctx, "Item", "a")
	require.NoError(t, err)
	assert.Equal(t, int64(1), got.Version, "the fresh write of the failed transaction is not kept")
	_, err = s.Get(ctx, "Item", "c")
	assert.ErrorIs(t, err, ehrkit.ErrNotFound)
}

func TestTxAfterUpdate(t *testing.T) {
	s, _ := place(t)
	ctx := context.Background()
	var leaked storage.Tx
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error { leaked = tx; return nil }))
	_, err := leaked.Put(ctx, storage.Record{Type: "Item", ID: "a"}, 0)
	assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a transaction is unusable after Update returned")
	_, err = leaked.Get(ctx, "Item", "a")
	assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
}

func TestOverwriteHook(t *testing.T) {
	for _, b := range testbackends.All() {
		if b.Name != "postgres" {
			continue
		}
		ctx := context.Background()
		s := b.Open(t, ehrkit.RealClock{})
		require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: "Note", ID: "n1", Value: []byte("signed")}, 0)
			return err
		}))
		b.Overwrite(t, s, "Note", "n1", 1, []byte("tampered"))
		got, err := s.GetVersion(ctx, "Note", "n1", 1)
		require.NoError(t, err)
		assert.Equal(t, "tampered", string(got.Value), "Overwrite replaces the stored value behind the store's back")
	}
}

// TestTermNameCache: a store remembers the integers of the term names its
// committed writes used and sends later terms by integer. A name first added
// by a transaction that rolled back must not be remembered (its integer was
// never committed): a later write of the name must still be found by a store
// that has remembered nothing.
func TestTermNameCache(t *testing.T) {
	open := testbackends.PostgresPlace(t)
	writer, err := open(ehrkit.RealClock{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = writer.Close() })
	ctx := context.Background()
	put := func(id string) error {
		return writer.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: "Observation", ID: id, Value: []byte(`{}`), Terms: []storage.Term{{Name: "fresh", Value: "v"}}}, 0)
			return err
		})
	}
	rolledBack := errors.New("rolled back")
	err = writer.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: "Observation", ID: "gone", Value: []byte(`{}`), Terms: []storage.Term{{Name: "fresh", Value: "v"}}}, 0)
		require.NoError(t, err)
		_, err = tx.Get(ctx, "Observation", "gone") // sends the write, adding the name
		require.NoError(t, err)
		return rolledBack
	})
	require.ErrorIs(t, err, rolledBack)
	require.NoError(t, put("a")) // adds the name again, and caches it
	require.NoError(t, put("b")) // by its cached integer

	reader, err := open(ehrkit.RealClock{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = reader.Close() })
	page, err := reader.Query(ctx, storage.Query{Type: "Observation", Filters: []storage.Filter{{Term: "fresh", Op: storage.Eq, Value: "v"}}})
	require.NoError(t, err)
	var ids []string
	for _, r := range page.Records {
		ids = append(ids, r.ID)
	}
	assert.Equal(t, []string{"a", "b"}, ids)
}
