package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/storage"
)

// writeV2Store creates a database file at schema version 2 (index terms
// keyed by type and id strings, before 0003_term_names), holding recs, each
// written directly in that layout.
func writeV2Store(t *testing.T, path string, recs []storage.Record) {
	t.Helper()
	ctx := context.Background()
	steps, err := loadMigrations()
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER NOT NULL)`)
	require.NoError(t, err)
	for _, m := range steps[:2] {
		_, err := db.ExecContext(ctx, m.sql)
		require.NoError(t, err, m.name)
		_, err = db.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, m.version)
		require.NoError(t, err)
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
}

// TestMigrateTermNames opens a store written at schema version 2 and checks
// that, once migrated, reads, queries on terms (equality, prefix, sort) and
// compartments, and writes that replace migrated terms behave as before.
func TestMigrateTermNames(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	recs := []storage.Record{
		{Type: "Observation", ID: "o1", Compartment: "p1", Updated: at, Value: []byte(`{"n":1}`),
			Terms: []storage.Term{{Name: "code", Value: "1234-5"}, {Name: "date", Value: "2026-01-02"}}},
		{Type: "Observation", ID: "o2", Compartment: "p2", Updated: at, Labels: []string{"sensitive"}, Value: []byte(`{"n":2}`),
			Terms: []storage.Term{{Name: "code", Value: "1234-5"}, {Name: "date", Value: "2025-12-31"}}},
		{Type: "Observation", ID: "o3", Compartment: "p1", Updated: at, Value: []byte(`{"n":3}`),
			Terms: []storage.Term{{Name: "code", Value: "9999-0"}, {Name: "date", Value: "2026-02-01"}}},
		{Type: "Condition", ID: "c1", Compartment: "p1", Updated: at, Value: []byte(`{}`),
			Terms: []storage.Term{{Name: "code", Value: "1234-5"}}},
	}
	writeV2Store(t, path, recs)

	s, err := Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	steps, err := loadMigrations()
	require.NoError(t, err)
	current, _, err := s.schemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(steps), current)

	got, err := s.Get(ctx, "Observation", "o2")
	require.NoError(t, err)
	assert.Equal(t, recs[1].Terms, got.Terms)
	assert.Equal(t, recs[1].Labels, got.Labels)
	assert.Equal(t, recs[1].Value, got.Value)

	ids := func(q storage.Query) []string {
		t.Helper()
		page, err := s.Query(ctx, q)
		require.NoError(t, err)
		var out []string
		for _, r := range page.Records {
			out = append(out, r.Type+"/"+r.ID)
		}
		return out
	}
	eq := func(name, value string) storage.Filter {
		return storage.Filter{Term: name, Op: storage.Eq, Value: value}
	}
	assert.Equal(t, []string{"Observation/o1", "Observation/o2"}, ids(storage.Query{Type: "Observation", Filters: []storage.Filter{eq("code", "1234-5")}}))
	assert.Equal(t, []string{"Condition/c1", "Observation/o1"}, ids(storage.Query{Compartment: "p1", Filters: []storage.Filter{eq("code", "1234-5")}}))
	assert.Equal(t, []string{"Observation/o1", "Observation/o3"},
		ids(storage.Query{Type: "Observation", Filters: []storage.Filter{{Term: "date", Op: storage.Prefix, Value: "2026-"}}}))
	assert.Equal(t, []string{"Observation/o2", "Observation/o1", "Observation/o3"}, ids(storage.Query{Type: "Observation", SortBy: "date"}))
	assert.Equal(t, []string{"Observation/o1", "Observation/o3"}, ids(storage.Query{Type: "Observation", Compartment: "p1"}))

	// A new version replaces the migrated terms; a new term name joins them.
	err = s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: "Observation", ID: "o1", Compartment: "p1", Value: []byte(`{"n":4}`),
			Terms: []storage.Term{{Name: "code", Value: "9999-0"}, {Name: "status", Value: "final"}}}, 1)
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"Observation/o2"}, ids(storage.Query{Type: "Observation", Filters: []storage.Filter{eq("code", "1234-5")}}))
	assert.Equal(t, []string{"Observation/o1", "Observation/o3"}, ids(storage.Query{Type: "Observation", Filters: []storage.Filter{eq("code", "9999-0")}}))
	assert.Equal(t, []string{"Observation/o1"}, ids(storage.Query{Type: "Observation", Filters: []storage.Filter{eq("status", "final")}}))
	assert.Equal(t, []string{"Observation/o3"}, ids(storage.Query{Type: "Observation", Filters: []storage.Filter{{Term: "date", Op: storage.Prefix, Value: "2026-"}}}))
	hist, err := s.History(ctx, "Observation", "o1")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, recs[0].Value, hist[0].Value)
	changes, err := s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	assert.Len(t, changes, len(recs)+1)
}
