package sqlitestore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	t.Run("a missing file is not created", func(t *testing.T) {
		path := filepath.Join(dir, "absent.db")
		_, err := sqlitestore.Open(ctx, path, sqlitestore.ReadOnly())
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
		assert.Contains(t, err.Error(), path, "the error names the file")
		_, statErr := os.Stat(path)
		assert.ErrorIs(t, statErr, os.ErrNotExist)
	})

	t.Run("a file that is not a store", func(t *testing.T) {
		path := filepath.Join(dir, "empty.db")
		require.NoError(t, os.WriteFile(path, nil, 0o600))
		_, err := sqlitestore.Open(ctx, path, sqlitestore.ReadOnly())
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		info, statErr := os.Stat(path)
		require.NoError(t, statErr)
		assert.Zero(t, info.Size(), "the file is left as it was")
	})

	t.Run("reads work, writes are refused", func(t *testing.T) {
		path := filepath.Join(dir, "store.db")
		rw, err := sqlitestore.Open(ctx, path)
		require.NoError(t, err)
		require.NoError(t, rw.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: "Patient", ID: "p1", Value: []byte(`{}`)}, 0)
			return err
		}))
		require.NoError(t, rw.Close())

		ro, err := sqlitestore.Open(ctx, path, sqlitestore.ReadOnly())
		require.NoError(t, err)
		defer ro.Close()
		rec, err := ro.Get(ctx, "Patient", "p1")
		require.NoError(t, err)
		assert.Equal(t, int64(1), rec.Version)
		page, err := ro.Query(ctx, storage.Query{Type: "Patient"})
		require.NoError(t, err)
		assert.Len(t, page.Records, 1)

		err = ro.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: "Patient", ID: "p2", Value: []byte(`{}`)}, 0)
			return err
		})
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		_, err = ro.Get(ctx, "Patient", "p2")
		require.ErrorIs(t, err, ehrkit.ErrNotFound, "nothing was written")
		require.NoError(t, ro.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Get(ctx, "Patient", "p1")
			return err
		}), "a transaction that only reads works")
	})
}
