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
