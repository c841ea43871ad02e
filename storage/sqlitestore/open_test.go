package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// TestOpenWhileAnotherWrites: a store whose schema is current opens without
// the write lock, so a second store (another process, as a clinic app next to
// an importer) opens and reads while the first holds a write transaction. It
// used to wait for the lock and fail after the busy timeout.
func TestOpenWhileAnotherWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ehrkit.db")
	clock := ehrkit.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	first := openStore(t, path, clock)
	err := first.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: "Note", ID: "n1", Value: []byte(`{}`)}, 0)
		return err
	})
	require.NoError(t, err)

	writing, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		err := first.Update(ctx, func(tx storage.Tx) error {
			if _, err := tx.Put(ctx, storage.Record{Type: "Note", ID: "n2", Value: []byte(`{}`)}, 0); err != nil {
				return err
			}
			close(writing)
			<-release
			return nil
		})
		done <- err
	}()
	<-writing
	second, err := sqlitestore.Open(ctx, path, sqlitestore.WithClock(clock))
	close(release)
	require.NoError(t, err, "open while another store holds the write lock")
	t.Cleanup(func() { _ = second.Close() })
	require.NoError(t, <-done)
	rec, err := second.Get(ctx, "Note", "n1")
	require.NoError(t, err)
	assert.Equal(t, int64(1), rec.Version)
	_, err = second.Get(ctx, "Note", "n2")
	require.NoError(t, err, "the first store's write is visible once committed")
}
