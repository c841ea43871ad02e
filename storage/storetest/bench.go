package storetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Sizes of the benchmark data.
const (
	benchRecords = 100_000 // records stored for GetByID and QueryTerm
	benchBatch   = 1_000   // records per transaction in BatchWrite1000 and loading
	benchCodes   = 1_000   // distinct values of the "code" term (100 records each)
)

// Benchmarks measures the operations every backend is compared on:
//
//   - SingleWrite: one Put of a ~1 KB JSON value per transaction.
//   - BatchWrite1000: 1 000 Puts of ~1 KB JSON values per transaction; reports records/s.
//   - GetByID: Get of one of 100 000 stored records.
//   - QueryTerm: an eq query on an index term over 100 000 records, each with two
//     terms; every query returns one page of 100 records.
//
// Records written by the write benchmarks carry the same two terms as the
// stored ones. The 100 000 records are loaded once per call, in batches.
func Benchmarks(b *testing.B, h Harness) {
	parent := b
	b.Run("SingleWrite", func(b *testing.B) {
		s := h.Open(b, ehrkit.RealClock{})
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r := benchRecord(i)
			err := s.Update(ctx, func(tx storage.Tx) error {
				_, err := tx.Put(ctx, r, 0)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("BatchWrite1000", func(b *testing.B) {
		s := h.Open(b, ehrkit.RealClock{})
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			loadBatch(b, s, n, benchBatch)
			n += benchBatch
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	})

	var loaded storage.Store
	data := func(b *testing.B) storage.Store {
		if loaded == nil {
			loaded = h.Open(parent, ehrkit.RealClock{})
			for i := 0; i < benchRecords; i += benchBatch {
				loadBatch(b, loaded, i, benchBatch)
			}
		}
		return loaded
	}
	b.Run("GetByID", func(b *testing.B) {
		s := data(b)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Get(ctx, "Observation", benchID((i*7919)%benchRecords)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("QueryTerm", func(b *testing.B) {
		s := data(b)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			q := storage.Query{Type: "Observation", Filters: []storage.Filter{{Term: "code", Op: storage.Eq, Value: benchCode(i)}}}
			page, err := s.Query(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Records) != benchRecords/benchCodes {
				b.Fatalf("query returned %d records, want %d", len(page.Records), benchRecords/benchCodes)
			}
		}
	})
}

// loadBatch creates records from..from+n in one transaction.
func loadBatch(b *testing.B, s storage.Store, from, n int) {
	ctx := context.Background()
	err := s.Update(ctx, func(tx storage.Tx) error {
		for i := from; i < from+n; i++ {
			if _, err := tx.Put(ctx, benchRecord(i), 0); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(b, err)
}

func benchID(i int) string   { return fmt.Sprintf("obs-%08d", i) }
func benchCode(i int) string { return fmt.Sprintf("code-%04d", i%benchCodes) }

// benchPadding brings a benchmark value to about 1 KB.
var benchPadding = strings.Repeat("x", 800)

// benchRecord is the i-th benchmark record: a ~1 KB JSON value, a patient
// compartment and two terms (a code shared by 1 in 1 000 records, a date).
func benchRecord(i int) storage.Record {
	date := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%9000).Format("2006-01-02")
	value := `{"resourceType":"Observation","id":"` + benchID(i) + `","status":"final",` +
		`"code":{"coding":[{"system":"http://loinc.org","code":"` + benchCode(i) + `"}]},` +
		`"subject":{"reference":"Patient/p` + strconv.Itoa(i%5000) + `"},"effectiveDateTime":"` + date + `",` +
		`"valueQuantity":{"value":` + strconv.Itoa(i%300) + `.5,"unit":"mg/dL"},"note":"` + benchPadding + `"}`
	return storage.Record{
		Type: "Observation", ID: benchID(i), Compartment: fmt.Sprintf("p%d", i%5000),
		Terms: []storage.Term{{Name: "code", Value: benchCode(i)}, {Name: "date", Value: date}},
		Value: []byte(value),
	}
}
