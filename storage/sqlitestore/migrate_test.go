package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/storetest"
)

// writeV2Store creates a database file at schema version 2 (index terms
// keyed by type and id strings, before 0003_term_names), holding recs, each
// written directly in that layout, then applies the steps after version 2 up
// to version through, as an older release did.
func writeV2Store(t *testing.T, path string, recs []storage.Record, through int) {
	t.Helper()
	ctx := context.Background()
	steps, err := loadMigrations()
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn(path, false, checkpointPages))
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER NOT NULL)`)
	require.NoError(t, err)
	apply := func(m migration) {
		_, err := db.ExecContext(ctx, m.sql)
		require.NoError(t, err, m.name)
		_, err = db.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, m.version)
		require.NoError(t, err)
	}
	for _, m := range steps[:2] {
		apply(m)
	}
	for _, r := range recs {
		res, err := db.ExecContext(ctx, `INSERT INTO versions (type, id, version, updated, compartment, labels, terms, deleted, value)
			VALUES (?, ?, 1, ?, ?, ?, ?, 0, ?)`, r.Type, r.ID, r.Updated.UnixMicro(), r.Compartment, encodeLabels(r.Labels), encodeTerms(r.Terms), r.Value)
		require.NoError(t, err)
		rid, err := res.LastInsertId()
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO records (type, id, version, rid, deleted, compartment, updated) VALUES (?, ?, 1, ?, 0, ?, ?)`,
			r.Type, r.ID, rid, r.Compartment, r.Updated.UnixMicro())
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO changes (rid, time) VALUES (?, ?)`, rid, r.Updated.UnixMicro())
		require.NoError(t, err)
		for _, term := range r.Terms {
			_, err = db.ExecContext(ctx, `INSERT OR IGNORE INTO terms (type, id, name, value) VALUES (?, ?, ?, ?)`, r.Type, r.ID, term.Name, term.Value)
			require.NoError(t, err)
		}
	}
	for _, m := range steps[2:through] {
		apply(m)
	}
}

// TestMigrateTermNames opens a store written at schema version 2 and checks
// that, once migrated, reads, queries on terms (equality, prefix, sort) and
// compartments, and writes that replace migrated terms behave as before.
func TestMigrateTermNames(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	recs := storetest.MigrationRecords()
	writeV2Store(t, path, recs, 2)

	s, err := Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	steps, err := loadMigrations()
	require.NoError(t, err)
	current, _, err := s.schemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(steps), current)

	storetest.CheckMigrated(t, s)
	changes, err := s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	assert.Len(t, changes, len(recs)+1)
}

// TestMigrateTermsByValue opens a store at schema version 3 (terms keyed by
// record, with a second index by value) and checks that, once migrated, the
// terms are one B-tree keyed by value and the store reads, queries and
// replaces migrated terms as before.
func TestMigrateTermsByValue(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v3.db")
	writeV2Store(t, path, storetest.MigrationRecords(), 3)

	s, err := Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	current, _, err := s.schemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, current)
	var indexes int
	require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'terms' AND sql IS NOT NULL`).Scan(&indexes))
	assert.Zero(t, indexes, "terms has no index beside its primary key")
	plan := explain(t, s.reader, "SELECT id FROM terms WHERE tn = 1 AND value = 'x'")
	assert.True(t, containsDetail(plan, "PRIMARY KEY (tn=? AND value=?)"), "plan %q", plan)

	storetest.CheckMigrated(t, s)
}
