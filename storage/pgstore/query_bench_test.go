package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// Sizes of the name-search benchmark data: 100 family names of 1 000 records
// each, scattered over the id order, and 1 000 given names of 100 consecutive
// ids each, so that every (given, family) pair occurs once.
const (
	nameRecords  = 100_000
	nameFamilies = 100
	nameBatch    = 1_000
)

// familyName is the j-th family name: three letters, so that a three-letter
// prefix selects exactly one family.
func familyName(j int) string {
	return string([]byte{byte('a' + j/676%26), byte('a' + j/26%26), byte('a' + j%26)})
}

// givenName is the j-th given name.
func givenName(j int) string { return fmt.Sprintf("given%03d", j) }

// nameRecord is the i-th record of the name-search benchmark: a small value
// and three terms (family, given, birth date), families scattered over the id
// order as in a real registry.
func nameRecord(i int) storage.Record {
	return storage.Record{
		Type:  "Person",
		ID:    fmt.Sprintf("person-%08d", i),
		Value: []byte(`{"resourceType":"Person"}`),
		Terms: []storage.Term{
			{Name: "family", Value: familyName(i * 37 % nameFamilies)},
			{Name: "given", Value: givenName(i / nameFamilies % (nameRecords / nameFamilies))},
			{Name: "birth", Value: time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%30000).Format("2006-01-02")},
		},
	}
}

// BenchmarkNameSearch measures term-filtered queries sorted by id over
// 100 000 records with three terms each, one page of 20:
//
//   - Prefix: a prefix filter on the family name (1 000 matches);
//   - EqPrefix: an eq filter on the given name and a prefix filter on the
//     family name (one match);
//   - PrefixPage2: the second page of Prefix, resuming from its cursor.
func BenchmarkNameSearch(b *testing.B) {
	open := testbackends.PostgresPlace(b)
	s, err := open(ehrkit.RealClock{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	for from := 0; from < nameRecords; from += nameBatch {
		require.NoError(b, s.Update(ctx, func(tx storage.Tx) error {
			for i := from; i < from+nameBatch; i++ {
				if _, err := tx.Put(ctx, nameRecord(i), 0); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	_, err = s.Pool().Exec(ctx, `ANALYZE`)
	require.NoError(b, err)
	prefix := func(i int) storage.Query {
		return storage.Query{Type: "Person", Limit: 20, Filters: []storage.Filter{
			{Term: "family", Op: storage.Prefix, Value: familyName(i * 7 % nameFamilies)},
		}}
	}
	run := func(name string, query func(i int) storage.Query, want int) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				page, err := s.Query(ctx, query(i))
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Records) != want {
					b.Fatalf("query returned %d records, want %d", len(page.Records), want)
				}
			}
		})
	}
	run("Prefix", prefix, 20)
	run("EqPrefix", func(i int) storage.Query {
		return storage.Query{Type: "Person", Limit: 20, Filters: []storage.Filter{
			{Term: "given", Op: storage.Eq, Value: givenName(i * 13 % (nameRecords / nameFamilies))},
			{Term: "family", Op: storage.Prefix, Value: familyName(i * 7 % nameFamilies)},
		}}
	}, 1)
	second := make([]storage.Query, nameFamilies)
	for i := range second {
		second[i] = prefix(i)
		first, err := s.Query(ctx, second[i])
		require.NoError(b, err)
		second[i].Cursor = first.Next
	}
	run("PrefixPage2", func(i int) storage.Query { return second[i%nameFamilies] }, 20)
}
