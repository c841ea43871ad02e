package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestParseJSON(t *testing.T) {
	good := "MSH|^~\\&|LAB||EHR||20261125||ORU^R01^ORU_R01|c-1|P|2.5.1\nPID|1||m^^^H^MR\n"
	bad := "MSH|^~\\&|LAB||EHR||20261125||ORU^R01|c-2|P|2.5.1\nOBX|1|ST|x||SECRET\\Q\\\n"
	f := write(t, "two.hl7", good+bad)
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"parse", "-json", f}, &out, &errOut)
	assert.Equal(t, 1, code, "one message failed")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	var r0, r1 map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &r0))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &r1))
	assert.Equal(t, map[string]any{"source": f, "index": 0.0, "type": "ORU^R01", "version": "2.5.1", "control_id": "c-1",
		"segments": 2.0, "roundtrip": true, "error": nil}, r0)
	e := r1["error"].(map[string]any)
	assert.Equal(t, "OBX", e["segment"])
	assert.Equal(t, 5.0, e["field"])
	assert.Equal(t, 1.0, e["repetition"])
	assert.Equal(t, 1.0, e["component"])
	assert.NotContains(t, lines[1], "SECRET", "no message bytes")

	out.Reset()
	assert.Equal(t, 0, run(t.Context(), []string{"parse", "-json", write(t, "one.hl7", good)}, &out, &errOut))
	assert.Equal(t, 2, run(t.Context(), []string{"parse"}, &out, &errOut), "no file")
	assert.Equal(t, 2, run(t.Context(), []string{"frobnicate", f}, &out, &errOut))
	assert.Equal(t, 2, run(t.Context(), []string{"parse", "-nope", f}, &out, &errOut))
	out.Reset()
	assert.Equal(t, 1, run(t.Context(), []string{"parse", "-json", write(t, "empty.hl7", "")}, &out, &errOut), "no message is a failure")
}

// Every corpus file parses (the deliberately broken ones excepted, which
// fail with exit 1) and round-trips.
func TestParseCorpus(t *testing.T) {
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		t.Skip("EHRKIT_CORPUS is not set")
	}
	files, err := filepath.Glob(filepath.Join(dir, "hl7v2", "fhir-converter", "*.hl7"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out, errOut bytes.Buffer
	assert.Equal(t, 0, run(t.Context(), append([]string{"parse", "-json"}, files...), &out, &errOut))
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		assert.Equal(t, true, r["roundtrip"], l)
	}
}
