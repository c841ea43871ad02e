package pgstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
)

// rawBatch is the number of rows per transaction of the raw-driver benchmarks,
// as in storetest's BatchWrite1000.
const rawBatch = 1000

// rawRow is the i-th row of the raw-driver benchmarks: a key and a ~1 KB JSON
// Observation, the size and shape of storetest's benchmark records.
func rawRow(i int) (string, []byte) {
	id := fmt.Sprintf("obs-%08d", i)
	v, _ := json.Marshal(map[string]any{
		"resourceType": "Observation", "id": id, "status": "final",
		"code":          map[string]any{"coding": []any{map[string]string{"system": ehrkit.SystemLOINC, "code": fmt.Sprintf("code-%04d", i%1000)}}},
		"subject":       map[string]string{"reference": fmt.Sprintf("Patient/p%d", i%5000)},
		"valueQuantity": map[string]any{"value": float64(i%300) + 0.5, "unit": "mg/dL"},
		"note":          strings.Repeat("x", 800),
	})
	return id, v
}

// BenchmarkRaw measures pgx alone writing the same rows into a plain table
// (key and value, primary key on the key): the ceiling the store's batched
// write is compared with. One op is one transaction of rawBatch rows.
func BenchmarkRaw(b *testing.B) {
	for _, column := range []string{"bytea", "jsonb"} {
		b.Run("CopyFrom/"+column, func(b *testing.B) {
			conn, table := rawTable(b, column)
			benchRaw(b, conn, func(ctx context.Context, tx pgx.Tx, from int) error {
				_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "value"},
					pgx.CopyFromSlice(rawBatch, func(i int) ([]any, error) {
						id, v := rawRow(from + i)
						return []any{id, v}, nil
					}))
				return err
			})
		})
		b.Run("InsertBatch/"+column, func(b *testing.B) {
			conn, table := rawTable(b, column)
			insert := `INSERT INTO ` + pgx.Identifier{table}.Sanitize() + ` (id, value) VALUES ($1, $2)`
			benchRaw(b, conn, func(ctx context.Context, tx pgx.Tx, from int) error {
				batch := &pgx.Batch{}
				for i := range rawBatch {
					id, v := rawRow(from + i)
					batch.Queue(insert, id, v)
				}
				return tx.SendBatch(ctx, batch).Close()
			})
		})
	}
}

// rawTable connects to the test database and creates an empty table with a
// value column of the given type in a fresh schema.
func rawTable(b *testing.B, column string) (*pgx.Conn, string) {
	open := testbackends.PostgresPlace(b)
	s, err := open(ehrkit.RealClock{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	conn, err := s.Pool().Acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(conn.Release)
	if _, err := conn.Exec(context.Background(), `CREATE TABLE raw (id text COLLATE "C" PRIMARY KEY, value `+column+` NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return conn.Conn(), "raw"
}

// benchRaw runs write once per op in its own transaction and reports rows/s.
func benchRaw(b *testing.B, conn *pgx.Conn, write func(ctx context.Context, tx pgx.Tx, from int) error) {
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return write(ctx, tx, n) })
		if err != nil {
			b.Fatal(err)
		}
		n += rawBatch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
