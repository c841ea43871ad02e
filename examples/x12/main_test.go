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

func runParse(t *testing.T, args ...string) (int, []map[string]any, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	var objs []map[string]any
	if len(args) > 1 && args[1] == "-json" {
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if line == "" {
				continue
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &m), line)
			objs = append(objs, m)
		}
	}
	return code, objs, out.String() + errOut.String()
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"parse"}, {"parse", "-json"}, {"parse", "-nope", "x"}, {"frobnicate", "x"}} {
		code, _, msg := runParse(t, args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Contains(t, msg, "usage")
	}
}

func TestParseJSON(t *testing.T) {
	code, objs, _ := runParse(t, "parse", "-json", "testdata/two-claims.837")
	require.Equal(t, 0, code)
	require.Len(t, objs, 1)
	o := objs[0]
	assert.Equal(t, "000000042", o["interchange"])
	assert.Equal(t, "42", o["group"])
	assert.Equal(t, "0001", o["set"])
	assert.Equal(t, "837", o["type"])
	assert.Equal(t, "005010X222A2", o["version"])
	assert.Equal(t, 25.0, o["segments"])
	assert.Equal(t, 2.0, o["claims"])
	assert.Equal(t, "120.30", o["total_charge"], "decimal, not float: 120.10 + 0.20")
	assert.Contains(t, o, "error")
	assert.Nil(t, o["error"])
}

func TestParseErrors(t *testing.T) {
	b, err := os.ReadFile("testdata/two-claims.837")
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
		return p
	}
	badAmount := write("amount.837", strings.Replace(string(b), "CLM*C2*0.20", "CLM*C2*12X", 1))
	badIEA := write("iea.837", strings.Replace(string(b), "IEA*1*000000042", "IEA*1*000000043", 1))
	code, objs, _ := runParse(t, "parse", "-json", "testdata/two-claims.837", badAmount, badIEA, filepath.Join(dir, "missing"))
	assert.Equal(t, 1, code)
	// the IEA file's set is sound; the interchange trailer fails in an object
	// of its own. The unreadable file is reported on stderr.
	require.Len(t, objs, 4)
	assert.Nil(t, objs[0]["error"])
	e := objs[1]["error"].(map[string]any)
	assert.Equal(t, map[string]any{"segment": "CLM", "position": 21.0, "element": 2.0, "message": e["message"]}, e)
	assert.NotContains(t, e["message"], "12X", "no element values in errors")
	assert.Nil(t, objs[2]["error"])
	e = objs[3]["error"].(map[string]any)
	assert.Equal(t, "IEA", e["segment"])
	assert.Equal(t, 2.0, e["element"])
}

// TestCorpusProgram runs the program over the corpus: the guide examples
// parse (exit 0), the deliberately broken imsweb files fail (exit 1) with the
// segment named.
func TestCorpusProgram(t *testing.T) {
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		t.Skip("EHRKIT_CORPUS not set: corpus program test skipped")
	}
	files, err := filepath.Glob(filepath.Join(dir, "x12", "*.*"))
	require.NoError(t, err)
	var inputs []string
	for _, f := range files {
		if filepath.Ext(f) != ".md" {
			inputs = append(inputs, f)
		}
	}
	code, objs, msg := runParse(t, append([]string{"parse", "-json"}, inputs...)...)
	require.Equal(t, 0, code, msg)
	assert.GreaterOrEqual(t, len(objs), len(inputs))
	for _, name := range []string{"x12_bad_first_line", "x12_no_isa_line", "x12_missing_elements", "x12_segments_out_of_order", "x12_loop_errors3_missing_loops"} {
		code, objs, _ := runParse(t, "parse", "-json", filepath.Join(dir, "x12", "imsweb", name+".x12"))
		assert.Equal(t, 1, code, name)
		require.Len(t, objs, 1, name)
		e, ok := objs[0]["error"].(map[string]any)
		require.True(t, ok, name)
		assert.NotEmpty(t, e["segment"], name)
	}
}
