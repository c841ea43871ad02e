package storage_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/storage"
)

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC)

func TestCursor(t *testing.T) {
	q := storage.Query{Type: "Obs", Compartment: "p1", SortBy: "date", Desc: true, Limit: 10,
		Filters: []storage.Filter{{Term: "code", Op: storage.Eq, Value: "x"}}}
	pos := storage.Position{Key: "2020-01-01", Type: "Obs", ID: "o7"}
	q.Cursor = storage.EncodeCursor(q, pos)

	got, err := storage.DecodeCursor(q)
	require.NoError(t, err)
	assert.Equal(t, pos, got)

	sameQuery := q
	sameQuery.Limit = 50
	got, err = storage.DecodeCursor(sameQuery)
	require.NoError(t, err, "the page size is not part of the query's identity")
	assert.Equal(t, pos, got)

	others := map[string]func(*storage.Query){
		"type":        func(q *storage.Query) { q.Type = "Cond" },
		"compartment": func(q *storage.Query) { q.Compartment = "p2" },
		"sort":        func(q *storage.Query) { q.SortBy = storage.SortID },
		"direction":   func(q *storage.Query) { q.Desc = false },
		"filter":      func(q *storage.Query) { q.Filters[0].Value = "y" },
		"operator":    func(q *storage.Query) { q.Filters[0].Op = storage.Prefix },
		"more filters": func(q *storage.Query) {
			q.Filters = append(q.Filters, storage.Filter{Term: "date", Op: storage.Gt, Value: "2000"})
		},
	}
	for name, change := range others {
		other := q
		other.Filters = append([]storage.Filter(nil), q.Filters...)
		change(&other)
		_, err := storage.DecodeCursor(other)
		assert.Error(t, err, "a cursor of another query (%s differs)", name)
	}
	for _, c := range []string{"", "!", "e30", base64.RawURLEncoding.EncodeToString([]byte(`{"q":1,"p":{}}`)), q.Cursor[:len(q.Cursor)-3]} {
		bad := q
		bad.Cursor = c
		_, err := storage.DecodeCursor(bad)
		assert.Error(t, err, "malformed cursor %q", c)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	q := storage.Query{Type: "Obs", SortBy: "date"}
	f.Add(storage.EncodeCursor(q, storage.Position{Key: "k", Type: "Obs", ID: "o1"}))
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, cursor string) {
		q := q
		q.Cursor = cursor
		pos, err := storage.DecodeCursor(q)
		if err != nil {
			return
		}
		q.Cursor = storage.EncodeCursor(q, pos)
		again, err := storage.DecodeCursor(q)
		require.NoError(t, err, "a re-encoded cursor decodes")
		assert.Equal(t, pos, again)
	})
}

func TestOrdering(t *testing.T) {
	r := storage.Record{Type: "Obs", ID: "o1", Updated: testTime,
		Terms: []storage.Term{{Name: "date", Value: "2020"}, {Name: "date", Value: "2001"}, {Name: "code", Value: "a"}}}
	assert.Equal(t, "o1", storage.SortKey(r, storage.SortID))
	assert.Equal(t, "2026-01-02T03:04:05.678901Z", storage.SortKey(r, storage.SortUpdated), "microseconds, UTC")
	assert.Equal(t, "2001", storage.SortKey(r, "date"), "the smallest value of a multi-valued term")
	assert.Equal(t, "", storage.SortKey(r, "missing"), "no such term sorts first")
	assert.Equal(t, storage.Position{Key: "a", Type: "Obs", ID: "o1"}, storage.PositionOf(r, "code"))

	local := testTime.In(time.FixedZone("x", -7*3600))
	assert.Equal(t, storage.UpdatedKey(testTime), storage.UpdatedKey(local), "UpdatedKey renders UTC")
	assert.Less(t, storage.UpdatedKey(testTime), storage.UpdatedKey(testTime.Add(time.Microsecond)), "UpdatedKey sorts as time")
	assert.Less(t, storage.UpdatedKey(testTime.Add(-time.Hour*24*400)), storage.UpdatedKey(testTime))

	ordered := []storage.Position{
		{Key: "", Type: "Obs", ID: "z"},
		{Key: "a", Type: "Cond", ID: "z"},
		{Key: "a", Type: "Obs", ID: "a"},
		{Key: "a", Type: "Obs", ID: "b"},
		{Key: "b", Type: "Cond", ID: "a"},
	}
	for i := range ordered {
		for j := range ordered {
			assert.Equal(t, i < j, storage.Less(ordered[i], ordered[j]), "Less(%v, %v)", ordered[i], ordered[j])
		}
	}
}

func TestMatches(t *testing.T) {
	r := storage.Record{Type: "Obs", ID: "o1", Compartment: "p1",
		Terms: []storage.Term{{Name: "code", Value: "abc"}, {Name: "date", Value: "2001"}, {Name: "date", Value: "2020"}}}
	f := func(term string, op storage.Op, v string) storage.Filter {
		return storage.Filter{Term: term, Op: op, Value: v}
	}
	cases := []struct {
		name string
		q    storage.Query
		rec  storage.Record
		want bool
	}{
		{"type", storage.Query{Type: "Obs"}, r, true},
		{"other type", storage.Query{Type: "Cond"}, r, false},
		{"compartment", storage.Query{Compartment: "p1"}, r, true},
		{"other compartment", storage.Query{Type: "Obs", Compartment: "p2"}, r, false},
		{"eq", storage.Query{Filters: []storage.Filter{f("code", storage.Eq, "abc")}}, r, true},
		{"eq differs", storage.Query{Filters: []storage.Filter{f("code", storage.Eq, "ab")}}, r, false},
		{"eq on another term", storage.Query{Filters: []storage.Filter{f("date", storage.Eq, "abc")}}, r, false},
		{"prefix", storage.Query{Filters: []storage.Filter{f("code", storage.Prefix, "ab")}}, r, true},
		{"empty prefix", storage.Query{Filters: []storage.Filter{f("code", storage.Prefix, "")}}, r, true},
		{"prefix longer than value", storage.Query{Filters: []storage.Filter{f("code", storage.Prefix, "abcd")}}, r, false},
		{"gt any value", storage.Query{Filters: []storage.Filter{f("date", storage.Gt, "2019")}}, r, true},
		{"gt none", storage.Query{Filters: []storage.Filter{f("date", storage.Gt, "2020")}}, r, false},
		{"ge bound", storage.Query{Filters: []storage.Filter{f("date", storage.Ge, "2020")}}, r, true},
		{"lt any value", storage.Query{Filters: []storage.Filter{f("date", storage.Lt, "2002")}}, r, true},
		{"lt none", storage.Query{Filters: []storage.Filter{f("date", storage.Lt, "2001")}}, r, false},
		{"le bound", storage.Query{Filters: []storage.Filter{f("date", storage.Le, "2001")}}, r, true},
		{"filters hold on different values", storage.Query{Filters: []storage.Filter{f("date", storage.Lt, "2002"), f("date", storage.Gt, "2019")}}, r, true},
		{"one filter fails", storage.Query{Filters: []storage.Filter{f("code", storage.Eq, "abc"), f("date", storage.Gt, "2030")}}, r, false},
		{"unknown operator", storage.Query{Filters: []storage.Filter{f("code", "like", "abc")}}, r, false},
		{"tombstone", storage.Query{Type: "Obs"}, storage.Record{Type: "Obs", ID: "o1", Deleted: true}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, storage.Matches(tc.rec, tc.q))
		})
	}
}
