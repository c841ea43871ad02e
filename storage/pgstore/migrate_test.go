package pgstore_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
	"github.com/ehrkit/ehrkit/storage/storetest"
)

// writeV2Schema creates schema at version 2 (index terms keyed by type and
// name strings, before 0003_term_names) with the released migration files,
// holding recs, each written directly in that layout.
func writeV2Schema(t *testing.T, dsn, schema string, recs []storage.Record) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	ident := pgx.Identifier{schema}.Sanitize()
	for _, stmt := range []string{`CREATE SCHEMA ` + ident, `SET search_path TO ` + ident,
		`CREATE TABLE schema_migrations (version text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`} {
		_, err := conn.Exec(ctx, stmt)
		require.NoError(t, err)
	}
	for _, version := range []string{"0001_init", "0002_search_statistics"} {
		body, err := os.ReadFile(version + ".sql")
		require.NoError(t, err)
		_, err = conn.Exec(ctx, string(body))
		require.NoError(t, err, version)
		_, err = conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version)
		require.NoError(t, err)
	}
	for _, r := range recs {
		names, values := []string{}, [][]byte{}
		for _, term := range r.Terms {
			names, values = append(names, term.Name), append(values, []byte(term.Value))
			_, err := conn.Exec(ctx, `INSERT INTO record_terms (compartment, type, id, name, value) VALUES ($1, $2, $3, $4, $5)`,
				r.Compartment, r.Type, r.ID, term.Name, []byte(term.Value))
			require.NoError(t, err)
		}
		_, err := conn.Exec(ctx, `INSERT INTO record_versions (compartment, type, id, version, updated, deleted, labels, term_names, term_values, value)
			VALUES ($1, $2, $3, 1, $4, false, $5, $6, $7, $8)`, r.Compartment, r.Type, r.ID, r.Updated, r.Labels, names, values, r.Value)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, `INSERT INTO records (compartment, type, id, version, deleted, updated) VALUES ($1, $2, $3, 1, false, $4)`,
			r.Compartment, r.Type, r.ID, r.Updated)
		require.NoError(t, err)
	}
}

// TestMigrateTermNames opens a schema written at version 2 and checks that,
// once migrated, reads, queries on terms (equality, prefix, sort) and
// compartments, and writes that replace migrated terms behave as before.
func TestMigrateTermNames(t *testing.T) {
	ctx := context.Background()
	dsn, schema := testbackends.PostgresSchema(t)
	recs := storetest.MigrationRecords()
	writeV2Schema(t, dsn, schema, recs)

	s, err := pgstore.Open(ctx, dsn, pgstore.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	var applied int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = '0003_term_names'`).Scan(&applied))
	assert.Equal(t, 1, applied)

	storetest.CheckMigrated(t, s)
}
