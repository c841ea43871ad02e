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

func corpus(t *testing.T) string {
	t.Helper()
	root := os.Getenv("EHRKIT_CORPUS")
	if root == "" {
		t.Skip("EHRKIT_CORPUS not set: the DICOM corpus is not available")
	}
	return filepath.Join(root, "dicom")
}

// lines runs the program and decodes each output line loosely, so that the
// test checks the field names of the contract.
func lines(t *testing.T, args ...string) ([]map[string]any, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		out = append(out, m)
	}
	return out, code, stderr.String()
}

func TestSummary(t *testing.T) {
	dir := corpus(t)
	out, code, _ := lines(t, "-json", filepath.Join(dir, "3.dcm"), filepath.Join(dir, "pydicom", "MR_small_implicit.dcm"))
	assert.Equal(t, exitOK, code)
	require.Len(t, out, 2)
	assert.Equal(t, map[string]any{"source": filepath.Join(dir, "3.dcm"), "patient_id": "MIP-PROSTATE-01-0022",
		"study_uid": "1.3.6.1.4.1.14519.5.2.1.9823.1001.108958069993282969141944803554", "series_uid": "1.3.6.1.4.1.14519.5.2.1.9823.1001.115805672672216488921886375902",
		"sop_instance_uid": "1.3.6.1.4.1.14519.5.2.1.9823.1001.100673283425501223987092441879", "modality": "MR",
		"transfer_syntax": "1.2.840.10008.1.2.1", "elements": 134.0, "error": nil}, out[0])
	assert.Equal(t, "1.2.840.10008.1.2", out[1]["transfer_syntax"])

	// The same without -json.
	plain, code, _ := lines(t, filepath.Join(dir, "3.dcm"))
	assert.Equal(t, exitOK, code)
	assert.Equal(t, out[:1], plain)
}

func TestFailures(t *testing.T) {
	dir := corpus(t)
	out, code, _ := lines(t, filepath.Join(dir, "pydicom", "MR_truncated.dcm"), filepath.Join(dir, "1.dcm"), filepath.Join(dir, "missing.dcm"))
	assert.Equal(t, exitFailed, code)
	require.Len(t, out, 3)
	assert.Equal(t, map[string]any{"tag": "(7FE0,0010)", "offset": 1488.0, "message": out[0]["error"].(map[string]any)["message"]}, out[0]["error"])
	assert.Nil(t, out[1]["error"])
	assert.Equal(t, nil, out[2]["error"].(map[string]any)["tag"])

	// A directory is read recursively: every file gets its line.
	out, code, _ = lines(t, filepath.Join(dir, "pydicom"))
	assert.Equal(t, exitFailed, code, "MR_truncated.dcm and the text files fail")
	entries, err := os.ReadDir(filepath.Join(dir, "pydicom"))
	require.NoError(t, err)
	assert.Len(t, out, len(entries))
}

func TestDICOMJSON(t *testing.T) {
	dir := corpus(t)
	out, code, _ := lines(t, "-dicomjson", filepath.Join(dir, "pydicom", "chrH31.dcm"))
	assert.Equal(t, exitOK, code)
	require.Len(t, out, 1)
	assert.Equal(t, map[string]any{"vr": "PN", "Value": []any{map[string]any{"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎", "Phonetic": "やまだ^たろう"}}}, out[0]["00100010"])

	out, code, stderr := lines(t, "-dicomjson", filepath.Join(dir, "pydicom", "MR_truncated.dcm"))
	assert.Equal(t, exitFailed, code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, "MR_truncated.dcm")
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-nope", "x.dcm"}, {"-json"}} {
		_, code, stderr := lines(t, args...)
		assert.Equal(t, exitUsage, code, "%q", args)
		assert.NotEmpty(t, stderr)
	}
}
