package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/pgstore"
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
	writeV2Schema(t, dsn, schema, recs)

	s, err := pgstore.Open(ctx, dsn, pgstore.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	var applied int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = '0003_term_names'`).Scan(&applied))
	assert.Equal(t, 1, applied)

	got, err := s.Get(ctx, "Observation", "o2")
	require.NoError(t, err)
	assert.Equal(t, recs[1].Terms, got.Terms)
	assert.Equal(t, recs[1].Labels, got.Labels)

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
	date2026 := storage.Filter{Term: "date", Op: storage.Prefix, Value: "2026-"}
	assert.Equal(t, []string{"Observation/o1", "Observation/o2"}, ids(storage.Query{Type: "Observation", Filters: []storage.Filter{eq("code", "1234-5")}}))
	assert.Equal(t, []string{"Condition/c1", "Observation/o1"}, ids(storage.Query{Compartment: "p1", Filters: []storage.Filter{eq("code", "1234-5")}}))
	assert.Equal(t, []string{"Observation/o1", "Observation/o3"}, ids(storage.Query{Type: "Observation", Filters: []storage.Filter{date2026}}))
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
	assert.Equal(t, []string{"Observation/o3"}, ids(storage.Query{Type: "Observation", Filters: []storage.Filter{date2026}}))
	hist, err := s.History(ctx, "Observation", "o1")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, recs[0].Value, hist[0].Value)
}
