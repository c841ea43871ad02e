package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const good = `{"resourceType":"Patient","id":"p1","name":[{"family":"Álvarez","given":["Jesús"]}],"gender":"male","birthDate":"1970-05-01"}
{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-01-02T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}
{"resourceType":"Goal","id":"g1","lifecycleStatus":"active","description":{"text":"walk daily"},"subject":{"reference":"Patient/p1"}}
`

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestJSONReport(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	src := write(t, "in.ndjson", good+"{\"resourceType\":\"Patient\",\"id\":\"p2\",\"gender\":\"nonsense\",\"name\":[{\"family\":\"X\"}]}\n")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-db", db, "-json", src}, &out, &errb)
	assert.Equal(t, 1, code, "a failed resource makes the exit status 1; stderr: %s", errb.String())
	var rep struct {
		Resources   int            `json:"resources"`
		Imported    map[string]int `json:"imported"`
		Updated     map[string]int `json:"updated"`
		Unsupported map[string]int `json:"unsupported"`
		Failed      []struct {
			Source string   `json:"source"`
			Entry  int      `json:"entry"`
			Type   string   `json:"type"`
			Issues []string `json:"issues"`
		} `json:"failed"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
	assert.Equal(t, 4, rep.Resources)
	assert.Equal(t, map[string]int{"Patient": 1, "Observation": 1}, rep.Imported)
	assert.Equal(t, map[string]int{"Goal": 1}, rep.Unsupported)
	require.Len(t, rep.Failed, 1)
	assert.Equal(t, src, rep.Failed[0].Source)
	assert.Equal(t, 4, rep.Failed[0].Entry)
	assert.Equal(t, "Patient", rep.Failed[0].Type)
	assert.NotEmpty(t, rep.Failed[0].Issues)

	// Importing the clean file again into the same database updates nothing.
	clean := write(t, "clean.ndjson", good)
	out.Reset()
	code = run(context.Background(), []string{"-db", db, "-json", clean}, &out, &errb)
	assert.Equal(t, 0, code)
	rep.Imported, rep.Updated, rep.Failed = nil, nil, nil
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	assert.Empty(t, rep.Imported)
	assert.Empty(t, rep.Updated)
	assert.Empty(t, rep.Failed)
}

func TestUsage(t *testing.T) {
	src := write(t, "in.ndjson", good)
	for name, args := range map[string][]string{
		"no paths":      {"-json"},
		"both stores":   {"-db", "a.db", "-postgres", "postgres://x", src},
		"unknown flag":  {"-nope", src},
		"missing input": {filepath.Join(t.TempDir(), "absent.json")},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			assert.Equal(t, 2, run(context.Background(), args, &out, &errb))
			assert.Empty(t, out.String())
			assert.NotEmpty(t, strings.TrimSpace(errb.String()))
		})
	}
}

func TestTextReport(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-db", db, write(t, "in.ndjson", good)}, &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "3 resources read")
	assert.Contains(t, out.String(), "failed: 0")
}

// TestNoFHIRFiles: a folder without .json or .ndjson files is an error, and
// no store is created.
func TestNoFHIRFiles(t *testing.T) {
	empty := t.TempDir()
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("hello"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(other, "sub"), 0o755))
	for name, dir := range map[string]string{"empty folder": empty, "no FHIR files": other} {
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "x.db")
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"-db", db, dir}, &out, &errb)
			assert.Equal(t, 1, code)
			assert.Empty(t, out.String())
			assert.Contains(t, errb.String(), "no FHIR files found in "+dir)
			_, err := os.Stat(db)
			assert.ErrorIs(t, err, os.ErrNotExist, "no store is created")
		})
	}
	t.Run("one folder of several", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"-db", filepath.Join(t.TempDir(), "x.db"), write(t, "in.ndjson", good), empty}, &out, &errb)
		assert.Equal(t, 1, code)
		assert.Contains(t, errb.String(), "no FHIR files found in "+empty)
	})
}

// TestFileLevelFailures: a file that cannot be read as FHIR at all is
// reported as the file, with no entry number (entry -1 in the JSON report).
func TestFileLevelFailures(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"garbage.json":    "not json at all",
		"not-bundle.json": `{"entry": []}`,
		"entries.json":    `{"resourceType": "Bundle", "entry": {"resource": {}}}`,
	}
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Patient.ndjson"), []byte(good), 0o644))

	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-db", filepath.Join(t.TempDir(), "x.db"), dir}, &out, &errb)
	assert.Equal(t, 1, code, errb.String())
	text := out.String()
	assert.Contains(t, text, "failed: 3")
	for name := range files {
		assert.Contains(t, text, "  file "+filepath.Join(dir, name)+": ")
	}
	assert.NotContains(t, text, "entry -1")
	assert.NotContains(t, text, "entry 0")

	out.Reset()
	code = run(context.Background(), []string{"-db", filepath.Join(t.TempDir(), "y.db"), "-json", dir}, &out, &errb)
	assert.Equal(t, 1, code)
	var rep struct {
		Failed []struct {
			Source string `json:"source"`
			Entry  int    `json:"entry"`
		} `json:"failed"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Failed, 3)
	for _, f := range rep.Failed {
		assert.Equal(t, -1, f.Entry, f.Source)
	}
}

// corpus returns a folder of the corpus, skipping the test, saying so, when
// it is absent.
func corpus(t *testing.T, sub string) string {
	t.Helper()
	root := os.Getenv("EHRKIT_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found at %s (set EHRKIT_CORPUS): %v", dir, err)
	}
	return dir
}

// TestSyntheaCorpus checks what the program's documentation says importing
// the corpus's Synthea folder reports: 4307 resources read, 6 failing with
// invalid codes, exit status 1. Under the race detector (which slows the FHIR
// parser about tenfold) it imports only the two Bundles holding the failures.
func TestSyntheaCorpus(t *testing.T) {
	dir := corpus(t, filepath.Join("fhir", "synthea"))
	paths := []string{dir}
	if raceEnabled {
		paths = []string{
			filepath.Join(dir, "Cathryn_Windler_5b477e00-ba36-4786-b672-a2816b3b9149.json"),
			filepath.Join(dir, "Vicenta_Maggio_456879da-8654-413e-b211-6308d9815586.json"),
		}
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"-db", filepath.Join(t.TempDir(), "x.db"), "-json"}, paths...), &out, &errb)
	assert.Equal(t, 1, code, errb.String())
	var rep struct {
		Resources int `json:"resources"`
		Failed    []struct {
			Type   string   `json:"type"`
			Issues []string `json:"issues"`
		} `json:"failed"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	if !raceEnabled {
		assert.Equal(t, 4307, rep.Resources)
	}
	require.Len(t, rep.Failed, 6)
	types := map[string]int{}
	for _, f := range rep.Failed {
		types[f.Type]++
		require.Len(t, f.Issues, 1)
		assert.Contains(t, f.Issues[0], "(code-invalid)")
	}
	assert.Equal(t, map[string]int{"Observation": 3, "Procedure": 3}, types)
}
