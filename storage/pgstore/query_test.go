package pgstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/storage"
)

// TestTermDrivenQueries checks queries that start from the term index: a
// record matching the driving filter with several values is returned once,
// deleted records and other types are left out, the remaining filters hold,
// and paging in both directions and by a term returns every match once, in
// order.
func TestTermDrivenQueries(t *testing.T) {
	s, _ := place(t)
	ctx := context.Background()
	person := func(typ, id, comp string, terms ...string) storage.Record {
		r := storage.Record{Type: typ, ID: id, Compartment: comp}
		for i := 0; i < len(terms); i += 2 {
			r.Terms = append(r.Terms, storage.Term{Name: terms[i], Value: terms[i+1]})
		}
		return r
	}
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		for _, r := range []storage.Record{
			person("P", "a", "", "name", "smith", "name", "smythe", "given", "ann"),
			person("P", "b", "", "name", "smith", "name", "smith", "given", "bob"),
			person("P", "c", "", "name", "jones", "given", "ann"),
			person("P", "d", "", "name", "smith", "given", "ann"),
			person("P", "e", "x", "name", "smart", "given", "ann"),
			person("Q", "a", "", "name", "smith", "given", "ann"),
		} {
			if _, err := tx.Put(ctx, r, 0); err != nil {
				return err
			}
		}
		return tx.Delete(ctx, "P", "d", 1)
	}))
	sm := storage.Filter{Term: "name", Op: storage.Prefix, Value: "sm"}
	smith := storage.Filter{Term: "name", Op: storage.Eq, Value: "smith"}
	ann := storage.Filter{Term: "given", Op: storage.Eq, Value: "ann"}
	tests := []struct {
		name string
		q    storage.Query
		want []string
	}{
		{"prefix matching two values of a record", storage.Query{Filters: []storage.Filter{sm}}, []string{"a", "b", "e"}},
		{"prefix, descending", storage.Query{Filters: []storage.Filter{sm}, Desc: true}, []string{"e", "b", "a"}},
		{"eq on a value a record carries twice", storage.Query{Filters: []storage.Filter{smith}}, []string{"a", "b"}},
		{"eq, descending", storage.Query{Filters: []storage.Filter{smith}, Desc: true}, []string{"b", "a"}},
		{"eq drives, prefix checked", storage.Query{Filters: []storage.Filter{sm, ann}}, []string{"a", "e"}},
		{"sorted by a term", storage.Query{Filters: []storage.Filter{sm}, SortBy: "given"}, []string{"a", "e", "b"}},
		{"sorted by a term, descending", storage.Query{Filters: []storage.Filter{sm}, SortBy: "given", Desc: true}, []string{"b", "e", "a"}},
		{"sorted by update time", storage.Query{Filters: []storage.Filter{ann}, SortBy: storage.SortUpdated}, []string{"a", "c", "e"}},
		{"within a compartment", storage.Query{Filters: []storage.Filter{sm}, Compartment: "x"}, []string{"e"}},
	}
	for _, tc := range tests {
		for _, limit := range []int{1, 2, 10} {
			q := tc.q
			q.Type, q.Limit = "P", limit
			var got []string
			for {
				page, err := s.Query(ctx, q)
				require.NoError(t, err)
				for _, r := range page.Records {
					got = append(got, r.ID)
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			assert.Equal(t, tc.want, got, "%s (limit %d)", tc.name, limit)
		}
	}
}

// TestExplainGenericPlan checks that Explain returns the plan for the
// query's values and then the generic plan of its prepared statement (whose
// conditions compare with parameters, not values), each from an unindented
// root, and leaves the connection it used as it was: run again, it explains
// the same.
func TestExplainGenericPlan(t *testing.T) {
	s, _ := place(t)
	ctx := context.Background()
	q := storage.Query{Type: "P", Filters: []storage.Filter{
		{Term: "name", Op: storage.Eq, Value: "o'brien"}, {Term: "given", Op: storage.Prefix, Value: "an"}}}
	plan, err := s.Explain(ctx, q)
	require.NoError(t, err)
	var roots []int
	for i, line := range plan {
		if !strings.HasPrefix(line, " ") {
			roots = append(roots, i)
		}
	}
	require.Len(t, roots, 2, "%q", plan)
	assert.NotContains(t, strings.Join(plan[:roots[1]], "\n"), "$", "the plan for the values")
	assert.Contains(t, strings.Join(plan[roots[1]:], "\n"), "$", "the generic plan")
	for range 3 {
		again, err := s.Explain(ctx, q)
		require.NoError(t, err)
		assert.Equal(t, plan, again)
	}
}
