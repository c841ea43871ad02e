package patient

import (
	"context"
	"slices"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReindex: patients stored without the birth-period and name-pair terms
// (as earlier versions wrote them) are missed by a birth-year search and by a
// search of two names until Reindex rewrites them; Reindex rewrites only the
// stale ones, with the same content, and a second run rewrites none.
func TestReindex(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		svc := newTestService(t, s)
		var stale []ID
		for i, given := range []string{"Ada", "Bea", "Cleo", "Dora"} {
			p, err := svc.Register(ctx, person(given, "Okafor", "1961-07-14", GenderFemale))
			require.NoError(t, err)
			if i%2 == 0 {
				stale = append(stale, p.ID)
			}
		}
		// Rewrite two of them without their birth-period and name-pair terms.
		require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
			for _, id := range stale {
				rec, err := tx.Get(ctx, RecordType, string(id))
				require.NoError(t, err)
				rec.Terms = slices.DeleteFunc(rec.Terms, func(term storage.Term) bool {
					return term.Name == TermBirthPeriod || term.Name == TermNamePair
				})
				if _, err := tx.Put(ctx, rec, rec.Version); err != nil {
					return err
				}
			}
			return nil
		}))
		year := func() int {
			res, err := svc.Search(ctx, Query{BirthDate: ehrkit.MustDate("1961")})
			require.NoError(t, err)
			return len(res.Patients)
		}
		named := func() int {
			res, err := svc.Search(ctx, Query{Name: "okafor ada"})
			require.NoError(t, err)
			return len(res.Patients)
		}
		require.Equal(t, 2, year(), "the stale patients are missed before reindexing")
		require.Zero(t, named(), "the stale patient is missed before reindexing")
		before, err := svc.Get(ctx, stale[0])
		require.NoError(t, err)

		n, err := svc.Reindex(ctx)
		require.NoError(t, err)
		assert.Equal(t, len(stale), n)
		assert.Equal(t, 4, year())
		assert.Equal(t, 1, named())
		after, err := svc.Get(ctx, stale[0])
		require.NoError(t, err)
		assert.Equal(t, before.Version+1, after.Version)
		before.Version, before.Updated = after.Version, after.Updated
		assert.Equal(t, before, after, "the content is unchanged")

		n, err = svc.Reindex(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing is stale after one run")
	})
}
