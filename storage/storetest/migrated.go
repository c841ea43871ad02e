package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/storage"
)

// MigrationRecords are the records a backend's migration test writes in an
// earlier schema's layout before opening the store, which migrates them;
// CheckMigrated then checks the migrated store. Two types, two
// compartments, shared and distinct term values, a label.
func MigrationRecords() []storage.Record {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return []storage.Record{
		{Type: "Observation", ID: "o1", Compartment: "p1", Updated: at, Value: []byte(`{"n":1}`),
			Terms: []storage.Term{{Name: "code", Value: "1234-5"}, {Name: "date", Value: "2026-01-02"}}},
		{Type: "Observation", ID: "o2", Compartment: "p2", Updated: at, Labels: []string{"sensitive"}, Value: []byte(`{"n":2}`),
			Terms: []storage.Term{{Name: "code", Value: "1234-5"}, {Name: "date", Value: "2025-12-31"}}},
		{Type: "Observation", ID: "o3", Compartment: "p1", Updated: at, Value: []byte(`{"n":3}`),
			Terms: []storage.Term{{Name: "code", Value: "9999-0"}, {Name: "date", Value: "2026-02-01"}}},
		{Type: "Condition", ID: "c1", Compartment: "p1", Updated: at, Value: []byte(`{}`),
			Terms: []storage.Term{{Name: "code", Value: "1234-5"}}},
	}
}

// CheckMigrated checks a store opened on MigrationRecords written in an
// earlier schema: reads return the records as written; queries on terms
// (equality, prefix, sort) and on compartments find them; a new version
// replaces the migrated terms and a new term name joins them; history keeps
// the migrated version.
func CheckMigrated(t *testing.T, s storage.Store) {
	t.Helper()
	ctx := context.Background()
	recs := MigrationRecords()
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
	byTerm := func(f storage.Filter) []string {
		return ids(storage.Query{Type: "Observation", Filters: []storage.Filter{f}})
	}
	eq := func(name, value string) storage.Filter {
		return storage.Filter{Term: name, Op: storage.Eq, Value: value}
	}
	in2026 := storage.Filter{Term: "date", Op: storage.Prefix, Value: "2026-"}
	assert.Equal(t, []string{"Observation/o1", "Observation/o2"}, byTerm(eq("code", "1234-5")))
	assert.Equal(t, []string{"Condition/c1", "Observation/o1"}, ids(storage.Query{Compartment: "p1", Filters: []storage.Filter{eq("code", "1234-5")}}))
	assert.Equal(t, []string{"Observation/o1", "Observation/o3"}, byTerm(in2026))
	assert.Equal(t, []string{"Observation/o2", "Observation/o1", "Observation/o3"}, ids(storage.Query{Type: "Observation", SortBy: "date"}))
	assert.Equal(t, []string{"Observation/o1", "Observation/o3"}, ids(storage.Query{Type: "Observation", Compartment: "p1"}))

	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: "Observation", ID: "o1", Compartment: "p1", Value: []byte(`{"n":4}`),
			Terms: []storage.Term{{Name: "code", Value: "9999-0"}, {Name: "status", Value: "final"}}}, 1)
		return err
	}))
	assert.Equal(t, []string{"Observation/o2"}, byTerm(eq("code", "1234-5")))
	assert.Equal(t, []string{"Observation/o1", "Observation/o3"}, byTerm(eq("code", "9999-0")))
	assert.Equal(t, []string{"Observation/o1"}, byTerm(eq("status", "final")))
	assert.Equal(t, []string{"Observation/o3"}, byTerm(in2026))
	hist, err := s.History(ctx, "Observation", "o1")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, recs[0].Value, hist[0].Value)
}
