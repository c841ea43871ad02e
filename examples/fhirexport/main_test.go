package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const source = `{"resourceType":"Patient","id":"p1","name":[{"family":"Ordóñez"}],"gender":"male"}
{"resourceType":"Patient","id":"p2","name":[{"family":"Mejía"}],"gender":"female"}
{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"Diabetes"}]},"subject":{"reference":"Patient/p1"}}
`

func seed(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "x.db")
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, db)
	require.NoError(t, err)
	im := fhir.NewImporter(s)
	require.NoError(t, im.ImportNDJSON(ctx, bytes.NewReader([]byte(source)), "seed"))
	require.Empty(t, im.Report().Failed)
	require.NoError(t, s.Close())
	return db
}

func lines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		out = append(out, m)
	}
	return out
}

func TestExport(t *testing.T) {
	db := seed(t)
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-db", db, "-out", out}, &stdout, &stderr), stderr.String())
	patients := lines(t, filepath.Join(out, "Patient.ndjson"))
	require.Len(t, patients, 2)
	assert.Equal(t, "Patient", patients[0]["resourceType"])
	assert.Len(t, lines(t, filepath.Join(out, "Condition.ndjson")), 1)

	one := filepath.Join(t.TempDir(), "one")
	require.Equal(t, 0, run(context.Background(), []string{"-db", db, "-patient", "p2", "-out", one}, &stdout, &stderr))
	assert.Len(t, lines(t, filepath.Join(one, "Patient.ndjson")), 1)
	_, err := os.Stat(filepath.Join(one, "Condition.ndjson"))
	assert.True(t, os.IsNotExist(err), "p2 has no conditions")
}

func TestExportUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-db", "x.db"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"-out", "d", "extra"}, &stdout, &stderr))
}

// TestExportRefusesWhatIsMissing: a missing database or patient is an error
// naming it, and nothing is created.
func TestExportRefusesWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	db := seed(t)
	empty := filepath.Join(t.TempDir(), "empty.db")
	s, err := sqlitestore.Open(ctx, empty)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	notStore := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(notStore, []byte("not a database"), 0o600))
	missing := filepath.Join(t.TempDir(), "absent.db")

	tests := []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"missing database file", []string{"-db", missing}, 1, []string{missing, "no such database file"}},
		{"unknown patient", []string{"-db", db, "-patient", "no-such-patient"}, 1, []string{`no patient "no-such-patient"`}},
		{"not a store", []string{"-db", notStore}, 1, []string{notStore}},
		{"a store without records", []string{"-db", empty}, 0, []string{"holds no records"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			code := run(ctx, append(tt.args, "-out", out), &stdout, &stderr)
			assert.Equal(t, tt.code, code, stderr.String())
			assert.Empty(t, stdout.String())
			for _, w := range tt.wants {
				assert.Contains(t, stderr.String(), w)
			}
			_, err := os.Stat(out)
			assert.ErrorIs(t, err, os.ErrNotExist, "no output folder")
		})
	}
	_, err = os.Stat(missing)
	assert.ErrorIs(t, err, os.ErrNotExist, "the missing database was not created")
}

// TestPostgresNotMigrated: fhirexport opens PostgreSQL read-only, so a
// database without a store is reported and left as it was (no schema, no
// tables created).
func TestPostgresNotMigrated(t *testing.T) {
	ctx := context.Background()
	dsn, schema := testbackends.PostgresSchema(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	tables := func() int {
		var n int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, schema).Scan(&n))
		return n
	}

	export := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(ctx, []string{"-postgres", u.String(), "-out", filepath.Join(t.TempDir(), "out")}, &stdout, &stderr)
		return code, stderr.String()
	}
	code, msg := export()
	assert.Equal(t, 1, code, msg)
	assert.Contains(t, msg, "no existing schema")
	var exists bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists))
	assert.False(t, exists, "the schema is not created")

	_, err = conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	code, msg = export()
	assert.Equal(t, 1, code, msg)
	assert.Contains(t, msg, "holds no ehrkit store")
	assert.Zero(t, tables(), "no migration ran")
}
