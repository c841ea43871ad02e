package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawPadding brings a raw benchmark value to about 1 KB.
var rawPadding = strings.Repeat("x", 800)

// rawValue is a ~1 KB JSON Observation shaped like the values storetest's
// benchmarks write (same fields, same padding, built the same way), so the raw
// driver and the store insert bodies of the same size and make-up and spend
// the same time making them.
func rawValue(i int) []byte {
	date := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%9000).Format("2006-01-02")
	return fmt.Appendf(nil, `{"resourceType":"Observation","id":"obs-%08d","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"code-%04d"}]},"subject":{"reference":"Patient/p%d"},"effectiveDateTime":%q,"valueQuantity":{"value":%d.5,"unit":"mg/dL"},"note":%q}`,
		i, i%1000, i%5000, date, i%300, rawPadding)
}

// BenchmarkRawBatchWrite1000 is the yardstick for the store's BatchWrite1000:
// the same driver, file settings and ~1 KB JSON bodies, inserted with plain
// SQL into a rowid table (an id and the body, no secondary index), 1 000 rows
// per transaction through one prepared statement. Its commits checkpoint the
// log themselves (SQLite's automatic checkpoint) at the store's threshold.
func BenchmarkRawBatchWrite1000(b *testing.B) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(b.TempDir(), "raw.db"), false, checkpointPages))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE raw (id TEXT NOT NULL, body BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	ins, err := db.PrepareContext(ctx, `INSERT INTO raw (id, body) VALUES (?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	defer ins.Close()
	b.ReportAllocs()
	n := 0
	start := time.Now()
	for b.Loop() {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		st := tx.StmtContext(ctx, ins)
		for i := n; i < n+1000; i++ {
			if _, err := st.ExecContext(ctx, fmt.Sprintf("obs-%08d", i), rawValue(i)); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		n += 1000
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
}
