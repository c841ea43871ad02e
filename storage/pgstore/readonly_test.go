package pgstore_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
)

// TestReadOnly opens stores with ReadOnly: nothing is created or migrated,
// reads work and writes are refused.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	dsn := testbackends.PostgresDSN(t)
	owner, _ := place(t)
	var schema string
	require.NoError(t, owner.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&schema))
	exists := func(t *testing.T, name string) bool {
		var ok bool
		require.NoError(t, owner.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&ok))
		return ok
	}

	t.Run("a missing schema is not created", func(t *testing.T) {
		name := schema + "_absent"
		_, err := pgstore.Open(ctx, dsn, pgstore.WithSchema(name), pgstore.ReadOnly())
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
		assert.Contains(t, err.Error(), name, "the error names the schema")
		assert.False(t, exists(t, name))
	})

	t.Run("a schema without a store is left empty", func(t *testing.T) {
		name := schema + "_empty"
		_, err := owner.Pool().Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize())
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = owner.Pool().Exec(ctx, `DROP SCHEMA `+pgx.Identifier{name}.Sanitize()+` CASCADE`) })
		_, err = pgstore.Open(ctx, dsn, pgstore.WithSchema(name), pgstore.ReadOnly())
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
		var tables int
		require.NoError(t, owner.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, name).Scan(&tables))
		assert.Zero(t, tables, "no migration ran")
	})

	t.Run("reads work, writes are refused", func(t *testing.T) {
		require.NoError(t, owner.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: "Patient", ID: "p1", Value: []byte(`{}`)}, 0)
			return err
		}))
		ro, err := pgstore.Open(ctx, dsn, pgstore.WithSchema(schema), pgstore.ReadOnly())
		require.NoError(t, err)
		defer ro.Close()
		rec, err := ro.Get(ctx, "Patient", "p1")
		require.NoError(t, err)
		assert.Equal(t, int64(1), rec.Version)
		changes, err := ro.Changes(ctx, 0, 10)
		require.NoError(t, err)
		assert.Len(t, changes, 1)

		for name, write := range map[string]func(tx storage.Tx) error{
			"put": func(tx storage.Tx) error {
				_, err := tx.Put(ctx, storage.Record{Type: "Patient", ID: "p2", Value: []byte(`{}`)}, 0)
				return err
			},
			"delete": func(tx storage.Tx) error { return tx.Delete(ctx, "Patient", "p1", storage.Any) },
			"emit":   func(tx storage.Tx) error { return tx.Emit(ctx, storage.Event{Topic: "t", Payload: []byte("x")}) },
		} {
			err := ro.Update(ctx, write)
			assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, name)
		}
		_, err = owner.Get(ctx, "Patient", "p2")
		require.ErrorIs(t, err, ehrkit.ErrNotFound, "nothing was written")
		rec, err = owner.Get(ctx, "Patient", "p1")
		require.NoError(t, err, "nothing was deleted")
		assert.Equal(t, int64(1), rec.Version)
		require.NoError(t, ro.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Get(ctx, "Patient", "p1")
			return err
		}), "a transaction that only reads works")
	})

	t.Run("a store missing a migration is not migrated", func(t *testing.T) {
		var version string
		require.NoError(t, owner.Pool().QueryRow(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations) RETURNING version`).Scan(&version))
		_, err := pgstore.Open(ctx, dsn, pgstore.WithSchema(schema), pgstore.ReadOnly())
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		assert.Contains(t, err.Error(), version)
		var n int
		require.NoError(t, owner.Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n))
		assert.Zero(t, n)
	})
}
