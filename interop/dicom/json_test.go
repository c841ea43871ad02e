package dicom

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJSONOracles reads pydicom's DICOM JSON fixtures and writes them back:
// the output is the same JSON document.
func TestJSONOracles(t *testing.T) {
	dir := corpus(t, "dicom/pydicom")
	for _, name := range []string{"test1.json", "test_PN.json"} {
		t.Run(name, func(t *testing.T) {
			oracle, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			ds, err := ParseJSON(oracle)
			require.NoError(t, err)
			var want, got any
			require.NoError(t, json.Unmarshal(oracle, &want))
			require.NoError(t, json.Unmarshal(MarshalJSON(ds), &got))
			assert.Equal(t, want, got)
		})
	}
}

// TestJSONFromFile checks the model written from a file: numbers for IS, DS
// and US, PN groups as objects, binary values inline, pixel data as bulk.
func TestJSONFromFile(t *testing.T) {
	var doc map[string]map[string]any
	require.NoError(t, json.Unmarshal(MarshalJSON(readCorpus(t, "pydicom/CT_small.dcm").Elements), &doc))
	assert.Equal(t, map[string]any{"vr": "PN", "Value": []any{map[string]any{"Alphabetic": "CompressedSamples^CT1"}}}, doc["00100010"])
	assert.Equal(t, map[string]any{"vr": "US", "Value": []any{128.0}}, doc["00280010"])
	assert.Equal(t, "IS", doc["00200013"]["vr"])
	assert.IsType(t, 0.0, doc["00200013"]["Value"].([]any)[0])
	assert.Equal(t, map[string]any{"vr": "OW", "BulkDataURI": ""}, doc["7FE00010"])
	for k := range doc {
		assert.Regexp(t, `^[0-9A-F]{8}$`, k)
	}

	var jp map[string]map[string]any
	require.NoError(t, json.Unmarshal(MarshalJSON(readCorpus(t, "pydicom/chrH31.dcm").Elements), &jp))
	assert.Equal(t, []any{map[string]any{"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎", "Phonetic": "やまだ^たろう"}}, jp["00100010"]["Value"])

	_, err := ParseJSON([]byte(`{"0010001":{"vr":"PN"}}`))
	var de *Error
	require.ErrorAs(t, err, &de)
}
