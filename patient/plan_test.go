package patient

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// scans returns the plan lines that read a whole table: PostgreSQL's "Seq
// Scan", SQLite's "SCAN x" where x is a table rather than the result of a
// subquery the same plan computes (a CO-ROUTINE or MATERIALIZE step), or a
// SQLite SEARCH constrained by the record type alone (every patient).
func scans(plan []string) []string {
	computed := map[string]bool{}
	for _, line := range plan {
		l := strings.TrimSpace(line)
		for _, step := range []string{"CO-ROUTINE ", "MATERIALIZE "} {
			if name, ok := strings.CutPrefix(l, step); ok {
				computed[name] = true
			}
		}
	}
	var out []string
	for _, line := range plan {
		l := strings.TrimSpace(line)
		name, sqliteScan := strings.CutPrefix(l, "SCAN ")
		if strings.Contains(l, "Seq Scan") || sqliteScan && !computed[strings.Fields(name)[0]] ||
			strings.HasPrefix(l, "SEARCH ") && strings.HasSuffix(l, "(type=?)") {
			out = append(out, l)
		}
	}
	return out
}

// sorts returns the plan lines that gather every match of a query before its
// page is chosen, to put them in order: below PostgreSQL's Limit, a Sort
// node; in SQLite's page subquery (the lines before "SCAN s", which reads
// the chosen page), a temporary B-tree for ORDER BY or a LIST SUBQUERY (an
// IN list of every matching id). The sort of the page itself, above the
// limit, is not one. PostgreSQL's plans (the one for the query's values,
// then the generic one) each start with an unindented root node.
func sorts(plan []string) []string {
	var out []string
	belowLimit, page := false, true
	for _, line := range plan {
		l := strings.TrimSpace(line)
		node := strings.TrimPrefix(l, "->  ")
		belowLimit = belowLimit && l != line || strings.HasPrefix(node, "Limit  (")
		page = page && l != "SCAN s"
		if belowLimit && (strings.HasPrefix(node, "Sort  (") || strings.HasPrefix(node, "Incremental Sort  (")) ||
			page && (strings.HasPrefix(l, "USE TEMP B-TREE") || strings.HasPrefix(l, "LIST SUBQUERY")) {
			out = append(out, l)
		}
	}
	return out
}

// TestSearchPlans checks, on every backend with a query planner, that the
// searches of the registry (name prefix with folding, phonetic, identifier,
// birth date, year and month, and their combinations) are served by indexes
// over a loaded population and read their page in id order: a change to the
// terms, the queries or the schema that turns one into a scan of a table, or
// into a sort of all its matches, fails here rather than in a benchmark. On
// PostgreSQL both the plan for the query's values and the generic plan a
// prepared statement may switch to are checked.
func TestSearchPlans(t *testing.T) {
	pop := generate(7, 800, 0)
	for _, backend := range testbackends.All() {
		t.Run(backend.Name, func(t *testing.T) {
			store := backend.Open(t, ehrkit.RealClock{})
			ex, ok := store.(storage.Explainer)
			if !ok {
				t.Skip("no query planner")
			}
			svc, err := NewService(store)
			require.NoError(t, err)
			loaded := bulkLoad(t, svc, pop.People)
			analyze(t, backend, store)
			p := loaded[17]
			born, err := ehrkit.ParseDate(p.BirthDate.String())
			require.NoError(t, err)
			queries := map[string]Query{
				"family name":           {Name: p.Name().Family},
				"name prefix folded":    {Name: strings.ToUpper(p.Name().Family[:3])},
				"given and family":      {Name: p.Name().Given[0] + " " + p.Name().Family},
				"family and given":      {Name: p.Name().Family + " " + p.Name().Given[0]},
				"a word and its prefix": {Name: p.Name().Family[:2] + " " + p.Name().Family},
				"family of short words": {Name: "De la Cruz"},
				"an initial and family": {Name: "J. " + p.Name().Family},
				"three words":           {Name: p.Name().Given[0] + " " + p.Name().Family + " " + p.Name().Given[0][:2]},
				"phonetic":              {Phonetic: p.Name().Family},
				"identifier":            {Identifier: ehrkit.Identifier{System: SystemMRN, Value: p.Identifier(SystemMRN)}},
				"birth date":            {BirthDate: born},
				"birth year":            {BirthDate: year(t, born)},
				"birth month":           {BirthDate: month(t, born)},
				"born within a year":    {BornFrom: year(t, born), BornTo: born},
				"born within a month":   {BornFrom: month(t, born), BornTo: born},
				"name and birth date":   {Name: p.Name().Family, BirthDate: born},
			}
			for name, q := range queries {
				filters, err := q.filters()
				require.NoError(t, err, name)
				plan, err := ex.Explain(context.Background(), storage.Query{Type: RecordType, Filters: filters, Limit: 20})
				require.NoError(t, err, name)
				assert.Empty(t, scans(plan), "%s: the plan scans a table:\n%s", name, strings.Join(plan, "\n"))
				assert.Empty(t, sorts(plan), "%s: the plan sorts every match:\n%s", name, strings.Join(plan, "\n"))
			}
		})
	}
}

// analyze gives a store with a query planner the statistics (and, on
// PostgreSQL, the visibility map of index-only scans) that a store in use has
// from its background maintenance, which a freshly loaded one lacks.
func analyze(tb testing.TB, backend testbackends.Backend, store storage.Store) {
	stmt := map[string]string{"sqlite": "ANALYZE", "postgres": "VACUUM ANALYZE records, record_terms, record_versions"}[backend.Name]
	if stmt != "" && backend.Exec != nil {
		backend.Exec(tb, store, stmt)
	}
}

func year(t *testing.T, d ehrkit.Date) ehrkit.Date { return truncate(t, d, 4) }

func month(t *testing.T, d ehrkit.Date) ehrkit.Date { return truncate(t, d, 7) }

// truncate returns d cut to its first n characters ("1970-05" for 7).
func truncate(t *testing.T, d ehrkit.Date, n int) ehrkit.Date {
	y, err := ehrkit.ParseDate(d.String()[:n])
	require.NoError(t, err)
	return y
}
