package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// withComp sets a record's compartment.
func withComp(r storage.Record, comp string) storage.Record {
	r.Compartment = comp
	return r
}

// loadQueryData writes the records the operator checks query: multi-valued
// terms, a second type sharing ids and terms, a deleted record and a record
// whose update replaced its terms.
func loadQueryData(t *testing.T, s storage.Store) {
	putAll(t, s,
		withComp(rec("Obs", "o1", term("code", "a"), term("code", "b"), term("date", "2001-01-01")), "p1"),
		withComp(rec("Obs", "o2", term("code", "b"), term("date", "2005-06-01"), term("date", "2020-01-01")), "p1"),
		withComp(rec("Obs", "o3", term("code", "c"), term("date", "2010-01-01")), "p2"),
		withComp(rec("Obs", "o4", term("code", "ab")), "p2"),
		rec("Obs", "o5", term("code", "a"), term("date", "2003-03-03")),
		rec("Obs", "o6", term("code", "a"), term("date", "2003-03-03")),
		rec("Obs", "o7", term("code", "a")),
		withComp(rec("Cond", "o1", term("code", "a"), term("date", "2001-01-01")), "p1"),
		withComp(rec("Cond", "c2", term("code", "b")), "p3"),
	)
	del(t, s, "Obs", "o6", 1)
	put(t, s, rec("Obs", "o7", term("code", "z")), 1)
}

func testQueryOperators(t *testing.T, h Harness) {
	s, _ := open(t, h)
	loadQueryData(t, s)
	f := func(name string, op storage.Op, v string) storage.Filter {
		return storage.Filter{Term: name, Op: op, Value: v}
	}
	cases := []struct {
		rule string
		q    storage.Query
		want []string
	}{
		{"eq matches any of a multi-valued term", storage.Query{Type: "Obs", Filters: []storage.Filter{f("code", storage.Eq, "a")}}, []string{"Obs/o1", "Obs/o5"}},
		{"eq matches any of a multi-valued term", storage.Query{Type: "Obs", Filters: []storage.Filter{f("code", storage.Eq, "b")}}, []string{"Obs/o1", "Obs/o2"}},
		{"eq matches terms of an update, not of the replaced version", storage.Query{Type: "Obs", Filters: []storage.Filter{f("code", storage.Eq, "z")}}, []string{"Obs/o7"}},
		{"eq matches nothing for an absent value", storage.Query{Type: "Obs", Filters: []storage.Filter{f("code", storage.Eq, "zz")}}, nil},
		{"eq matches nothing on an absent term", storage.Query{Type: "Obs", Filters: []storage.Filter{f("nope", storage.Eq, "a")}}, nil},
		{"prefix matches values starting with the prefix", storage.Query{Type: "Obs", Filters: []storage.Filter{f("code", storage.Prefix, "a")}}, []string{"Obs/o1", "Obs/o4", "Obs/o5"}},
		{"an empty prefix matches every record carrying the term", storage.Query{Type: "Obs", Filters: []storage.Filter{f("date", storage.Prefix, "")}}, []string{"Obs/o1", "Obs/o2", "Obs/o3", "Obs/o5"}},
		{"prefix treats % and _ literally", storage.Query{Type: "Obs", Filters: []storage.Filter{f("code", storage.Prefix, "%")}}, nil},
		{"prefix treats % and _ literally", storage.Query{Type: "Obs", Filters: []storage.Filter{f("code", storage.Prefix, "_")}}, nil},
		{"gt compares as byte strings", storage.Query{Type: "Obs", Filters: []storage.Filter{f("date", storage.Gt, "2005-06-01")}}, []string{"Obs/o2", "Obs/o3"}},
		{"ge includes the bound", storage.Query{Type: "Obs", Filters: []storage.Filter{f("date", storage.Ge, "2010-01-01")}}, []string{"Obs/o2", "Obs/o3"}},
		{"lt excludes the bound", storage.Query{Type: "Obs", Filters: []storage.Filter{f("date", storage.Lt, "2003-03-03")}}, []string{"Obs/o1"}},
		{"le includes the bound", storage.Query{Type: "Obs", Filters: []storage.Filter{f("date", storage.Le, "2003-03-03")}}, []string{"Obs/o1", "Obs/o5"}},
		{"range bounds apply to a year prefix of sortable dates", storage.Query{Type: "Obs", Filters: []storage.Filter{f("date", storage.Ge, "2003"), f("date", storage.Lt, "2006")}}, []string{"Obs/o2", "Obs/o5"}},
		{"each filter may hold on a different value of a multi-valued term", storage.Query{Type: "Obs", Filters: []storage.Filter{f("date", storage.Gt, "2019"), f("date", storage.Lt, "2006")}}, []string{"Obs/o2"}},
		{"all filters must hold", storage.Query{Type: "Obs", Filters: []storage.Filter{f("code", storage.Eq, "b"), f("date", storage.Lt, "2002")}}, []string{"Obs/o1"}},
		{"type filter: terms of another type do not match", storage.Query{Type: "Cond", Filters: []storage.Filter{f("code", storage.Eq, "a")}}, []string{"Cond/o1"}},
		{"a query of a type returns its current records", storage.Query{Type: "Obs"}, []string{"Obs/o1", "Obs/o2", "Obs/o3", "Obs/o4", "Obs/o5", "Obs/o7"}},
		{"compartment filter", storage.Query{Type: "Obs", Compartment: "p2"}, []string{"Obs/o3", "Obs/o4"}},
		{"compartment and term filter", storage.Query{Type: "Obs", Compartment: "p1", Filters: []storage.Filter{f("code", storage.Eq, "a")}}, []string{"Obs/o1"}},
		{"all types in a compartment, ties on id broken by type", storage.Query{Compartment: "p1"}, []string{"Cond/o1", "Obs/o1", "Obs/o2"}},
		{"all types in a compartment with a term filter", storage.Query{Compartment: "p1", Filters: []storage.Filter{f("code", storage.Eq, "a")}}, []string{"Cond/o1", "Obs/o1"}},
		{"a compartment without records", storage.Query{Compartment: "p9"}, nil},
		{"a type without records", storage.Query{Type: "Nothing"}, nil},
	}
	for _, tc := range cases {
		for _, limit := range []int{0, 1, 2} {
			q := tc.q
			q.Limit = limit
			got := queryAll(t, s, q)
			assert.Equal(t, fmt.Sprint(tc.want), fmt.Sprint(ids(got)), "rule: %s (limit %d, query %+v)", tc.rule, limit, tc.q)
		}
	}
}

func testQuerySort(t *testing.T, h Harness) {
	s, clock := open(t, h)
	// Written in this order one second apart, so _updated order is b a d c e.
	for _, r := range []storage.Record{
		rec("Item", "b", term("rank", "2")),
		rec("Item", "a", term("rank", "3")),
		rec("Item", "d", term("rank", "9"), term("rank", "1")),
		rec("Item", "c"),
		rec("Item", "e", term("rank", "2")),
	} {
		put(t, s, r, 0)
		clock.Advance(time.Second)
	}
	cases := []struct {
		rule   string
		sortBy string
		desc   bool
		want   []string
	}{
		{"sort by id ascending", storage.SortID, false, []string{"a", "b", "c", "d", "e"}},
		{"sort by id descending", storage.SortID, true, []string{"e", "d", "c", "b", "a"}},
		{"sort by last update ascending", storage.SortUpdated, false, []string{"b", "a", "d", "c", "e"}},
		{"sort by last update descending", storage.SortUpdated, true, []string{"e", "c", "d", "a", "b"}},
		{"sort by a term: smallest value, records without it first, ties by id", "rank", false, []string{"c", "d", "b", "e", "a"}},
		{"sort by a term descending reverses the whole order", "rank", true, []string{"a", "e", "b", "d", "c"}},
	}
	for _, tc := range cases {
		var want []string
		for _, id := range tc.want {
			want = append(want, "Item/"+id)
		}
		for _, limit := range []int{0, 1, 2, 3} {
			got := queryAll(t, s, storage.Query{Type: "Item", SortBy: tc.sortBy, Desc: tc.desc, Limit: limit})
			assert.Equal(t, want, ids(got), "rule: %s (limit %d)", tc.rule, limit)
		}
	}
	// An update moves a record to the end of the _updated order.
	put(t, s, rec("Item", "b", term("rank", "2")), 1)
	got := queryAll(t, s, storage.Query{Type: "Item", SortBy: storage.SortUpdated})
	assert.Equal(t, []string{"Item/a", "Item/d", "Item/c", "Item/e", "Item/b"}, ids(got), "rule: _updated sorts by the time of the last write")
}

func testQueryDefaultLimit(t *testing.T, h Harness) {
	s, _ := open(t, h)
	var recs []storage.Record
	for i := range storage.DefaultLimit + 1 {
		recs = append(recs, rec("Item", fmt.Sprintf("i%04d", i)))
	}
	putAll(t, s, recs...)
	page, err := s.Query(context.Background(), storage.Query{Type: "Item"})
	require.NoError(t, err, "rule: Query succeeds")
	assert.Len(t, page.Records, storage.DefaultLimit, "rule: Limit 0 means DefaultLimit")
	assert.NotEmpty(t, page.Next, "rule: a page followed by more records has Next")
	page, err = s.Query(context.Background(), storage.Query{Type: "Item", Limit: storage.MaxLimit})
	require.NoError(t, err, "rule: Limit MaxLimit is accepted")
	assert.Len(t, page.Records, storage.DefaultLimit+1, "rule: a page holds up to Limit records")
	assert.Empty(t, page.Next, "rule: the last page has no Next")
}

// testPagination pages with every sort, changing the page size between pages
// (the cursor does not depend on Limit).
func testPagination(t *testing.T, h Harness) {
	s, _ := open(t, h)
	var recs []storage.Record
	for i := range 23 {
		recs = append(recs, rec("Item", fmt.Sprintf("i%03d", i), term("k", fmt.Sprintf("%02d", (i*7)%23))))
	}
	putAll(t, s, recs...)
	for _, sortBy := range []string{storage.SortID, "k"} {
		for _, desc := range []bool{false, true} {
			q := storage.Query{Type: "Item", SortBy: sortBy, Desc: desc, Limit: storage.MaxLimit}
			page, err := s.Query(context.Background(), q)
			require.NoError(t, err, "rule: Query succeeds")
			want := ids(page.Records)
			var got []string
			for i := 0; ; i++ {
				q.Limit = 1 + i%4
				page, err := s.Query(context.Background(), q)
				require.NoError(t, err, "rule: a cursor stays valid when only Limit changes")
				got = append(got, ids(page.Records)...)
				if page.Next == "" {
					break
				}
				require.Less(t, i, 100, "rule: paging ends")
				q.Cursor = page.Next
			}
			assert.Equal(t, want, got, "rule: pages concatenate to the unpaged result (sort %q, desc %v)", sortBy, desc)
		}
	}
}

// testFilteredPagination pages through queries combining several equality
// filters with other filters, in both directions and with varying page
// sizes: the pages concatenate to exactly the records every filter admits,
// in id order. Deleted records and replaced terms never match, and records of
// another type sharing the terms stay out.
func testFilteredPagination(t *testing.T, h Harness) {
	s, _ := open(t, h)
	const n = 60
	var recs []storage.Record
	for i := range n {
		terms := []storage.Term{term("n", fmt.Sprintf("%02d", i))}
		if i%2 == 0 {
			terms = append(terms, term("a", "x"))
		}
		if i%3 == 0 {
			terms = append(terms, term("b", "y"), term("b", "yy"))
		}
		recs = append(recs, rec("Item", fmt.Sprintf("f%03d", (i*37)%n), terms...), rec("Other", fmt.Sprintf("f%03d", i), terms...))
	}
	putAll(t, s, recs...)
	// f000 (i = 0) is deleted; f037 (i = 1) gains a = x and b = y; f014 (i =
	// 2) loses a = x.
	del(t, s, "Item", "f000", 1)
	put(t, s, rec("Item", "f037", term("n", "01"), term("a", "x"), term("b", "y")), 1)
	put(t, s, rec("Item", "f014", term("n", "02")), 1)
	admits := func(i int, fs []storage.Filter) bool {
		has := map[string]bool{"n=" + fmt.Sprintf("%02d", i): true}
		switch {
		case i == 0:
			return false
		case i == 1:
			has["a=x"], has["b=y"] = true, true
		case i == 2:
		default:
			has["a=x"] = i%2 == 0
			has["b=y"], has["b=yy"] = i%3 == 0, i%3 == 0
		}
		for _, f := range fs {
			switch f.Op {
			case storage.Eq:
				if !has[f.Term+"="+f.Value] {
					return false
				}
			case storage.Ge: // on n only
				if fmt.Sprintf("%02d", i) < f.Value {
					return false
				}
			}
		}
		return true
	}
	eq := func(name, v string) storage.Filter { return storage.Filter{Term: name, Op: storage.Eq, Value: v} }
	for name, fs := range map[string][]storage.Filter{
		"one equality":                   {eq("a", "x")},
		"two equalities":                 {eq("a", "x"), eq("b", "y")},
		"three equalities, one repeated": {eq("b", "y"), eq("a", "x"), eq("b", "y")},
		"equalities and a range":         {eq("a", "x"), storage.Filter{Term: "n", Op: storage.Ge, Value: "30"}, eq("b", "yy")},
		"an equality matching nothing":   {eq("a", "x"), eq("b", "nope")},
		"an equality on an absent term":  {eq("nope", "x")},
		"a range between the equalities": {storage.Filter{Term: "n", Op: storage.Ge, Value: "10"}, eq("b", "y")},
	} {
		var want []string
		for i := range n {
			if admits(i, fs) {
				want = append(want, fmt.Sprintf("Item/f%03d", (i*37)%n))
			}
		}
		slices.Sort(want)
		for _, desc := range []bool{false, true} {
			q := storage.Query{Type: "Item", Filters: fs, Desc: desc}
			var got []string
			for i := 0; ; i++ {
				q.Limit = 1 + i%4
				page, err := s.Query(context.Background(), q)
				require.NoError(t, err, "rule: Query succeeds (%s)", name)
				got = append(got, ids(page.Records)...)
				if page.Next == "" {
					break
				}
				require.Less(t, i, 100, "rule: paging ends")
				q.Cursor = page.Next
			}
			if desc {
				slices.Reverse(got)
			}
			assert.Equal(t, want, got, "rule: filtered pages concatenate to every record all filters admit, in id order (%s, desc %v)", name, desc)
		}
	}
}

// testPaginationDuringWrites pages through records while other goroutines
// create and update records: no record is returned twice, none that existed
// before paging began and was not deleted is skipped, and the order holds
// across pages.
func testPaginationDuringWrites(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	const n = 40
	var recs []storage.Record
	for i := range n {
		recs = append(recs, rec("Item", fmt.Sprintf("p%03d", i), term("k", fmt.Sprintf("%03d", (i*7)%n))))
	}
	putAll(t, s, recs...)

	for _, sortBy := range []string{storage.SortID, "k"} {
		for _, desc := range []bool{false, true} {
			var wg sync.WaitGroup
			var mu sync.Mutex
			var writeErr error
			for w := range 2 {
				wg.Go(func() {
					for i := range 30 {
						// New records land before and after the cursor; existing
						// ones are rewritten with their sort key unchanged.
						side := "a"
						if i%2 == 1 {
							side = "z"
						}
						id := fmt.Sprintf("%s%d-%s-%v-%d", side, w, sortBy, desc, i)
						_, err := tryPut(s, rec("Item", id, term("k", fmt.Sprintf("%03d", (i*13)%n))), 0)
						if err == nil {
							_, err = tryPut(s, recs[(i+w)%n], storage.Any)
						}
						if err != nil {
							mu.Lock()
							writeErr = err
							mu.Unlock()
							return
						}
					}
				})
			}
			seen := map[string]int{}
			var last *storage.Position
			q := storage.Query{Type: "Item", SortBy: sortBy, Desc: desc, Limit: 3}
			for pages := 0; ; pages++ {
				require.Less(t, pages, 10000, "rule: paging ends")
				page, err := s.Query(ctx, q)
				require.NoError(t, err, "rule: Query with its cursor succeeds while writes happen")
				for _, r := range page.Records {
					seen[storage.Describe(r)]++
					p := storage.PositionOf(r, sortBy)
					if last != nil {
						ordered := storage.Less(*last, p)
						if desc {
							ordered = storage.Less(p, *last)
						}
						assert.True(t, ordered, "rule: records follow the sort order across pages (sort %q desc %v): %v then %v", sortBy, desc, *last, p)
					}
					last = &p
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
				// Write between pages as well, so some writes certainly overlap.
				put(t, s, rec("Item", fmt.Sprintf("m-%s-%v-%d", sortBy, desc, pages), term("k", "000")), 0)
			}
			wg.Wait()
			require.NoError(t, writeErr, "rule: concurrent writes succeed while a query pages")
			for _, r := range recs {
				assert.Equal(t, 1, seen[storage.Describe(r)], "rule: a record present before paging began is returned exactly once (sort %q desc %v)", sortBy, desc)
			}
			for id, c := range seen {
				assert.Equal(t, 1, c, "rule: no record is returned twice (%s, sort %q desc %v)", id, sortBy, desc)
			}
		}
	}
}

func testForeignCursor(t *testing.T, h Harness) {
	s, _ := open(t, h)
	ctx := context.Background()
	putAll(t, s, rec("Item", "a", term("k", "1")), rec("Item", "b", term("k", "1")), rec("Other", "a"), rec("Other", "b"))
	base := storage.Query{Type: "Item", Limit: 1}
	page, err := s.Query(ctx, base)
	require.NoError(t, err, "rule: Query succeeds")
	require.NotEmpty(t, page.Next, "rule: a page followed by more records has Next")

	others := []storage.Query{
		{Type: "Other", Limit: 1},
		{Type: "Item", Limit: 1, Desc: true},
		{Type: "Item", Limit: 1, SortBy: storage.SortUpdated},
		{Type: "Item", Limit: 1, SortBy: "k"},
		{Type: "Item", Limit: 1, Filters: []storage.Filter{{Term: "k", Op: storage.Eq, Value: "1"}}},
		{Type: "Item", Limit: 1, Compartment: "p1"},
	}
	for _, q := range others {
		q.Cursor = page.Next
		_, err := s.Query(ctx, q)
		validation(t, err, fmt.Sprintf("a cursor used with another query (%+v) is rejected", q), issue("cursor", ehrkit.IssueValue))
	}
	for _, c := range []string{"garbage", "!!!", page.Next[:len(page.Next)-2], "e30"} {
		q := base
		q.Cursor = c
		_, err := s.Query(ctx, q)
		validation(t, err, "a malformed cursor is rejected", issue("cursor", ehrkit.IssueValue))
	}
	err = s.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Query(ctx, storage.Query{Type: "Other", Limit: 1, Cursor: page.Next})
		validation(t, err, "a cursor used with another query is rejected inside a transaction", issue("cursor", ehrkit.IssueValue))
		return nil
	})
	require.NoError(t, err, "rule: the transaction commits")
}
