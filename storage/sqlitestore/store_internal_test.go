package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/internal/termname"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ehrkit.db")
	s, err := Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func TestTermsCodec(t *testing.T) {
	tests := []struct {
		name  string
		terms []storage.Term
	}{
		{"nil", nil},
		{"empty", []storage.Term{}},
		{"one", []storage.Term{{Name: "code", Value: "1234-5"}}},
		{"empty value and bytes", []storage.Term{{Name: "a", Value: ""}, {Name: "b", Value: "\x00\xff é"}}},
		{"long", []storage.Term{{Name: "n", Value: string(make([]byte, 1000))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeTerms(encodeTerms(tt.terms))
			require.NoError(t, err)
			assert.Equal(t, tt.terms, got)
		})
	}
}

// TestDecodeTermsAllocs checks that a record's terms cost two allocations
// whatever their number (the shared string and the list): a query decodes
// the terms of every record of its page.
func TestDecodeTermsAllocs(t *testing.T) {
	terms := make([]storage.Term, 50)
	for i := range terms {
		terms[i] = storage.Term{Name: "name", Value: strings.Repeat("v", i)}
	}
	b := encodeTerms(terms)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := decodeTerms(b); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 2.0, allocs)
}

func TestDecodeTermsMalformed(t *testing.T) {
	for _, b := range [][]byte{{0x05, 'a'}, {0x01, 'a'}, {0x80}, {0x01, 'a', 0x03, 'b'}} {
		_, err := decodeTerms(b)
		assert.ErrorIs(t, err, errCorrupt, "%x", b)
	}
}

func FuzzDecodeTerms(f *testing.F) {
	f.Add(encodeTerms([]storage.Term{{Name: "code", Value: "x"}, {Name: "date", Value: "2026-01-02"}}))
	f.Add([]byte{0x80, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		terms, err := decodeTerms(b)
		if err != nil {
			return
		}
		// Whatever decodes survives a round trip.
		again, err := decodeTerms(encodeTerms(terms))
		require.NoError(t, err)
		assert.Equal(t, terms, again)
	})
}

// TestTermsMatch covers the per-record filter of the query functions: each
// operator's bounds, including empty bounds and a term that appears under
// another name.
func TestTermsMatch(t *testing.T) {
	list := encodeTerms([]storage.Term{{Name: "date", Value: "2020-05-01"}, {Name: "code", Value: ""}, {Name: "other", Value: "2030"}})
	incl := func(v string) bound { return bound{[]byte(v), true, true} }
	excl := func(v string) bound { return bound{[]byte(v), true, false} }
	tests := []struct {
		name   string
		term   string
		lo, hi bound
		want   bool
	}{
		{"eq", "date", incl("2020-05-01"), incl("2020-05-01"), true},
		{"eq other value", "date", incl("2020-05-02"), incl("2020-05-02"), false},
		{"gt", "date", excl("2020-05-01"), bound{}, false},
		{"ge", "date", incl("2020-05-01"), bound{}, true},
		{"lt", "date", bound{}, excl("2020-05-01"), false},
		{"le", "date", bound{}, incl("2020-05-01"), true},
		{"prefix", "date", incl("2020-"), excl("2020."), true},
		{"value of another name", "date", incl("2030"), bound{}, false},
		{"empty value, gt empty", "code", excl(""), bound{}, false},
		{"empty value, eq empty", "code", incl(""), incl(""), true},
		{"no such name", "none", bound{}, bound{}, false},
	}
	for _, tt := range tests {
		got, err := termsMatch(list, tt.term, tt.lo, tt.hi)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
	_, err := termsMatch([]byte{0x05, 'a'}, "a", bound{}, bound{})
	assert.ErrorIs(t, err, errCorrupt)

	min, ok, err := termsMin(encodeTerms([]storage.Term{{Name: "d", Value: "b"}, {Name: "e", Value: "a"}, {Name: "d", Value: "a2"}}), "d")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "a2", min)
	_, ok, err = termsMin(nil, "d")
	require.NoError(t, err)
	assert.False(t, ok)
}

// FuzzTermsMatch checks the in-place readers of a term list against the
// decoded list: the same match for any bounds, the same smallest value.
func FuzzTermsMatch(f *testing.F) {
	f.Add(encodeTerms([]storage.Term{{Name: "d", Value: "2020"}, {Name: "d", Value: "1999"}, {Name: "e", Value: ""}}), "d", "1999", "2020", true, false)
	f.Add([]byte{0x80, 0x01}, "a", "", "", false, false)
	f.Fuzz(func(t *testing.T, b []byte, name, lo, hi string, loIn, hiIn bool) {
		terms, err := decodeTerms(b)
		if err != nil {
			return
		}
		want, wantMin, hasMin := false, "", false
		for _, term := range terms {
			if term.Name != name {
				continue
			}
			if !hasMin || term.Value < wantMin {
				wantMin, hasMin = term.Value, true
			}
			if (term.Value > lo || loIn && term.Value == lo) && (term.Value < hi || hiIn && term.Value == hi) {
				want = true
			}
		}
		got, err := termsMatch(b, name, bound{[]byte(lo), true, loIn}, bound{[]byte(hi), true, hiIn})
		require.NoError(t, err)
		assert.Equal(t, want, got)
		min, ok, err := termsMin(b, name)
		require.NoError(t, err)
		assert.Equal(t, hasMin, ok)
		assert.Equal(t, wantMin, min)
	})
}

func TestLabelsCodec(t *testing.T) {
	for _, labels := range [][]string{nil, {}, {"sensitive"}, {"sensitive", "42CFRPart2"}} {
		enc := encodeLabels(labels)
		s, valid := enc.(string)
		assert.Equal(t, labels, decodeLabels(s, valid), "%v", labels)
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix, end string
		ok          bool
	}{
		{"", "", false},
		{"abc", "abd", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
		{"é", "\xc3\xaa", true},
	}
	for _, tt := range tests {
		end, ok := prefixEnd(tt.prefix)
		assert.Equal(t, tt.ok, ok, "%q", tt.prefix)
		assert.Equal(t, tt.end, end, "%q", tt.prefix)
	}
}

// TestClassify drives real SQLite failures through the mapping: the result
// code decides the sentinel and the driver error stays reachable.
func TestClassify(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	db := s.DB()
	_, err := db.ExecContext(ctx, `CREATE TABLE t (k TEXT PRIMARY KEY, u TEXT UNIQUE, c INTEGER CHECK (c > 0), n TEXT NOT NULL)`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO t VALUES ('a', 'x', 1, 'n')`)
	require.NoError(t, err)
	tests := []struct {
		name string
		sql  string
		want error
	}{
		{"primary key", `INSERT INTO t VALUES ('a', 'y', 1, 'n')`, ehrkit.ErrConflict},
		{"unique", `INSERT INTO t VALUES ('b', 'x', 1, 'n')`, ehrkit.ErrConflict},
		{"check", `INSERT INTO t VALUES ('c', 'z', 0, 'n')`, ehrkit.ErrInvalid},
		{"not null", `INSERT INTO t VALUES ('d', 'w', 1, NULL)`, ehrkit.ErrInvalid},
		{"syntax", `INSERT INTO`, ehrkit.ErrFailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dbErr := db.ExecContext(ctx, tt.sql)
			require.Error(t, dbErr)
			err := s.wrap(ctx, "put", "T", "1", dbErr)
			assert.ErrorIs(t, err, tt.want)
			assert.ErrorIs(t, err, dbErr, "the driver error is kept as the cause")
			var se *storage.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "put", se.Op)
		})
	}
}

func TestBusyIsConflict(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	other, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer other.Close()
	other.SetMaxOpenConns(1)
	_, err = other.ExecContext(ctx, `PRAGMA busy_timeout = 0`)
	require.NoError(t, err)

	// The store holds the write lock while the other connection tries to take it.
	err = s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, storage.Record{Type: "Item", ID: "a"}, 0)
		require.NoError(t, err)
		_, busy := other.ExecContext(ctx, `BEGIN IMMEDIATE`)
		require.Error(t, busy)
		wrapped := s.wrap(ctx, "put", "", "", busy)
		assert.ErrorIs(t, wrapped, ehrkit.ErrConflict)
		return nil
	})
	require.NoError(t, err)
}

func TestSchemaVersion(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	steps, err := loadMigrations()
	require.NoError(t, err)
	var v int
	require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT max(version) FROM schema_version`).Scan(&v))
	assert.Equal(t, len(steps), v, "open applies every migration")

	// Reopening applies nothing twice.
	require.NoError(t, s.Close())
	s2, err := Open(ctx, path)
	require.NoError(t, err)
	var n int
	require.NoError(t, s2.DB().QueryRowContext(ctx, `SELECT count(*) FROM schema_version`).Scan(&n))
	assert.Equal(t, len(steps), n)

	// A database from a newer release is refused.
	_, err = s2.DB().ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, len(steps)+1)
	require.NoError(t, err)
	require.NoError(t, s2.Close())
	_, err = Open(ctx, path)
	assert.ErrorIs(t, err, ehrkit.ErrUnsupported)
}

func TestOpenBadPath(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "ehrkit.db"))
	require.Error(t, err)
	var se *storage.Error
	assert.ErrorAs(t, err, &se)
}

// TestQueryPlans checks that the queries the store builds use the indexes
// they were designed for.
func TestQueryPlans(t *testing.T) {
	s, _ := openTest(t)
	tests := []struct {
		name string
		q    storage.Query
		want []string
	}{
		{"by id", storage.Query{Type: "Item"}, []string{"SEARCH r USING PRIMARY KEY (type=?)"}},
		{"term eq", storage.Query{Type: "Item", Filters: []storage.Filter{{Term: "code", Op: storage.Eq, Value: "x"}}},
			[]string{"SEARCH terms USING PRIMARY KEY (tn=? AND value=?)"}},
		{"term prefix", storage.Query{Type: "Item", Filters: []storage.Filter{{Term: "code", Op: storage.Prefix, Value: "x"}}},
			[]string{"SEARCH t USING PRIMARY KEY (tn=? AND value>? AND value<?)"}},
		{"compartment", storage.Query{Compartment: "p1"}, []string{"INDEX records_compartment (compartment=?)"}},
		{"term sort", storage.Query{Type: "Item", SortBy: "date"}, []string{"SEARCH cv USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"term checked per candidate", storage.Query{Type: "Item", Filters: []storage.Filter{
			{Term: "code", Op: storage.Eq, Value: "x"}, {Term: "date", Op: storage.Ge, Value: "2020"}}},
			[]string{"SEARCH terms USING PRIMARY KEY (tn=? AND value=?)", "SEARCH cv USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"term without a type", storage.Query{Filters: []storage.Filter{{Term: "date", Op: storage.Ge, Value: "2020"}}},
			[]string{"SEARCH cv USING INTEGER PRIMARY KEY (rowid=?)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, args, err := buildQuery(tt.q)
			require.NoError(t, err)
			plan := explain(t, s.reader, text, args...)
			for _, w := range tt.want {
				assert.True(t, containsDetail(plan, w), "plan %q lacks %q", plan, w)
			}
		})
	}
}

// TestWritePlans checks that the statements run at each flush reach only the
// batch's rows: a rowid range of versions, and terms by record; and that the
// reads by id, written with +? placeholders (hideArgs), still search by key.
func TestWritePlans(t *testing.T) {
	s, _ := openTest(t)
	tests := []struct {
		name, sql string
		want      []string
	}{
		{"current", hideArgs(sqlCurrent), []string{"SEARCH records USING PRIMARY KEY (type=? AND id=?)"}},
		{"get", hideArgs(sqlGet), []string{"SEARCH r USING PRIMARY KEY (type=? AND id=?)", "SEARCH v USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"get version", hideArgs(sqlGetVersion), []string{"SEARCH v USING"}},
		{"history", hideArgs(sqlHistory), []string{"SEARCH v USING"}},
		{"last rid", sqlLastRid, []string{"SEARCH versions"}},
		{"move pointers", sqlMovePointers, []string{"SEARCH versions USING INTEGER PRIMARY KEY (rowid>?)"}},
		{"replaced terms", sqlReplacedTerms, []string{"SEARCH v USING INTEGER PRIMARY KEY (rowid>?)", "SEARCH p USING INDEX versions_key (type=? AND id=? AND version=?)"}},
		{"drop terms", "DELETE FROM terms WHERE (tn, id, value) IN (VALUES (?, ?, ?), (?, ?, ?))",
			[]string{"SEARCH terms USING PRIMARY KEY (tn=? AND value=? AND id=?)"}},
		{"log writes", sqlLogWrites, []string{"SEARCH versions USING INTEGER PRIMARY KEY (rowid>?)"}},
		{"expected versions", "SELECT type, id, version FROM records WHERE (type, id) IN (VALUES (?, ?), (?, ?))",
			[]string{"SEARCH records USING PRIMARY KEY (type=? AND id=?)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([]any, strings.Count(tt.sql, "?"))
			for i := range args {
				args[i] = 0
			}
			plan := explain(t, s.writer, tt.sql, args...)
			for _, w := range tt.want {
				assert.True(t, containsDetail(plan, w), "plan %q lacks %q", plan, w)
			}
			for _, step := range plan {
				// A VALUES list is the statement's own arguments.
				assert.False(t, strings.Contains(step, "SCAN") && !strings.Contains(step, "VALUES CLAUSE"), "plan %q scans a table", plan)
			}
		})
	}
}

// explain returns the details of SQLite's plan for text.
func explain(t *testing.T, db *sql.DB, text string, args ...any) []string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+text, args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	return plan
}

func containsDetail(plan []string, want string) bool {
	for _, p := range plan {
		if strings.Contains(p, want) {
			return true
		}
	}
	return false
}

// TestBufferedWrites covers what buffering version rows until the next read,
// event or commit must keep: the bytes the caller passed (even if it reuses
// its slice), every version of a record written several times in one batch,
// only the last version's terms in the index, and one feed entry per write.
func TestBufferedWrites(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	buf := []byte(`{"n":1}`)
	err := s.Update(ctx, func(tx storage.Tx) error {
		for i, code := range []string{"a", "b", "c"} {
			copy(buf, fmt.Sprintf(`{"n":%d}`, i+1))
			rec := storage.Record{Type: "Item", ID: "x", Value: buf, Terms: []storage.Term{{Name: "code", Value: code}}}
			got, err := tx.Put(ctx, rec, int64(i))
			require.NoError(t, err)
			assert.Equal(t, int64(i+1), got.Version)
		}
		copy(buf, `{"n":0}`) // reused after the last Put
		return nil
	})
	require.NoError(t, err)

	hist, err := s.History(ctx, "Item", "x")
	require.NoError(t, err)
	require.Len(t, hist, 3)
	for i, rec := range hist {
		assert.Equal(t, fmt.Sprintf(`{"n":%d}`, i+1), string(rec.Value), "version %d", i+1)
	}
	for code, want := range map[string]int{"a": 0, "b": 0, "c": 1} {
		page, err := s.Query(ctx, storage.Query{Type: "Item", Filters: []storage.Filter{{Term: "code", Op: storage.Eq, Value: code}}})
		require.NoError(t, err)
		assert.Len(t, page.Records, want, "code %s", code)
	}
	changes, err := s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, changes, 3)
	for i, c := range changes {
		assert.Equal(t, int64(i+1), c.Version)
	}
}

// TestWriterSettings checks the settings the write path relies on: statement
// journals in memory (temp_store 2) and no automatic checkpoint in commits
// (the checkpointer's job).
func TestWriterSettings(t *testing.T) {
	s, _ := openTest(t)
	for pragma, want := range map[string]int{"temp_store": 2, "wal_autocheckpoint": 0} {
		var got int
		require.NoError(t, s.DB().QueryRow("PRAGMA "+pragma).Scan(&got))
		assert.Equal(t, want, got, pragma)
	}
}

// TestGetFromQueue checks that reads inside a transaction leave its queued
// writes queued, to be inserted together, and see them exactly as they read
// once inserted.
func TestGetFromQueue(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(stx storage.Tx) error {
		_, err := stx.Put(ctx, storage.Record{Type: "Patient", ID: "old", Value: []byte(`{"v":1}`)}, 0)
		return err
	}))
	written := []storage.Record{
		{Type: "Patient", ID: "a", Value: []byte(`{"v":1}`)},
		{Type: "Patient", ID: "b", Compartment: "b", Labels: []string{}, Terms: []storage.Term{}, Value: []byte(`{}`)},
		{Type: "Observation", ID: "o", Compartment: "a", Labels: []string{"sensitive"},
			Terms: []storage.Term{{Name: "code", Value: "1234-5"}, {Name: "code", Value: "1234-5"}}, Value: []byte(`{"v":2}`)},
		{Type: "Patient", ID: "old", Value: []byte(`{"v":2}`)},
		{Type: "Patient", ID: "empty", Value: []byte{}},
		{Type: "Patient", ID: "nil"},
	}
	keys := [][2]string{{"Patient", "a"}, {"Patient", "b"}, {"Observation", "o"}, {"Patient", "old"}, {"Patient", "gone"}, {"Patient", "empty"}, {"Patient", "nil"}}
	read := func(tx storage.Tx) (out []storage.Record) {
		for _, k := range keys {
			rec, err := tx.Get(ctx, k[0], k[1])
			if err != nil {
				require.ErrorIs(t, err, ehrkit.ErrNotFound)
				rec = storage.Record{}
			}
			out = append(out, rec)
		}
		return out
	}
	require.NoError(t, s.Update(ctx, func(stx storage.Tx) error {
		tx := stx.(*tx)
		_, err := tx.Put(ctx, storage.Record{Type: "Patient", ID: "gone", Value: []byte(`{}`)}, 0)
		require.NoError(t, err)
		require.NoError(t, tx.Delete(ctx, "Patient", "gone", 1))
		for _, rec := range written {
			cur, err := tx.Get(ctx, rec.Type, rec.ID)
			expect := cur.Version
			if errors.Is(err, ehrkit.ErrNotFound) {
				expect = 0
			}
			_, err = tx.Put(ctx, rec, expect)
			require.NoError(t, err)
		}
		fromQueue := read(tx)
		assert.Len(t, tx.rows, (2+len(written))*s.stmts.versions.width, "reads leave the writes queued")
		read(tx)[0].Value[0] = 'x'
		assert.Equal(t, fromQueue, read(tx), "a read value is the caller's own")

		require.NoError(t, tx.flush(ctx))
		assert.Equal(t, fromQueue, read(tx), "a queued record reads as it does once inserted")
		return nil
	}))
}

// TestTermNamesRollback checks that the integer of a term name added by a
// transaction that rolls back is not kept: a later write of the same name
// gets one that queries find.
func TestTermNamesRollback(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	rec := storage.Record{Type: "Item", ID: "a", Value: []byte(`{}`), Terms: []storage.Term{{Name: "fresh", Value: "x"}}}
	errRollback := errors.New("roll back")
	err := s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, rec, 0)
		require.NoError(t, err)
		_, err = tx.Query(ctx, storage.Query{Type: "Item"}) // flushes: the name is added
		require.NoError(t, err)
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	_, cached := s.names.Get(termname.Key{Type: "Item", Name: "fresh"})
	assert.False(t, cached, "a rolled back name is not cached")

	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, rec, 0)
		return err
	}))
	page, err := s.Query(ctx, storage.Query{Type: "Item", Filters: []storage.Filter{{Term: "fresh", Op: storage.Eq, Value: "x"}}})
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
}
