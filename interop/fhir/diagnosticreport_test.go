package fhir_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSyntheaDiagnosticReports imports Synthea's DiagnosticReports as lab
// reports grouping the result observations they name, and exports them back
// with the same results.
func TestSyntheaDiagnosticReports(t *testing.T) {
	bundles, err := filepath.Glob(filepath.Join(corpus(t, "fhir/synthea"), "*.json"))
	require.NoError(t, err)
	s := memstore.New()
	im := fhir.NewImporter(access.Trusted(s), fhir.KeepOriginal(), fhir.Lenient())
	ctx := importing()
	require.NoError(t, im.ImportPaths(ctx, bundles...))
	rep := im.Report()
	assert.NotContains(t, rep.Unsupported, "DiagnosticReport")
	assert.Equal(t, 122, rep.Imported["DiagnosticReport"], "every Synthea DiagnosticReport is imported")

	withResults := 0
	for rec, err := range storageAll(t, s, lab.ReportType) {
		require.NoError(t, err)
		r, err := lab.ReportRecords.Decode(rec)
		require.NoError(t, err)
		assert.True(t, r.Unsolicited, "Synthea's reports name no ehrkit order")
		if len(r.Observations) > 0 {
			withResults++
			_, err := s.Get(ctx, "Observation", r.Observations[0])
			assert.NoError(t, err, "a report's results are chart observations")
		}
	}
	assert.Positive(t, withResults)

	x, err := fhir.NewExporter(s)
	require.NoError(t, err)
	var buf bytes.Buffer
	n, err := x.NDJSON(ctx, "DiagnosticReport", "", &buf)
	require.NoError(t, err)
	assert.Equal(t, rep.Imported["DiagnosticReport"], n)
	for line := range bytes.Lines(buf.Bytes()) {
		var f struct {
			ResourceType string `json:"resourceType"`
			Status       string `json:"status"`
		}
		require.NoError(t, json.Unmarshal(line, &f))
		assert.Equal(t, "DiagnosticReport", f.ResourceType)
		assert.NotEmpty(t, f.Status)
	}
}

func storageAll(t *testing.T, s storage.Store, typ string) func(func(storage.Record, error) bool) {
	return func(yield func(storage.Record, error) bool) {
		q := storage.Query{Type: typ, Limit: storage.MaxLimit}
		for {
			page, err := s.Query(t.Context(), q)
			if err != nil {
				yield(storage.Record{}, err)
				return
			}
			for _, r := range page.Records {
				if !yield(r, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			q.Cursor = page.Next
		}
	}
}

// TestDiagnosticReportMatchesOrder imports a lab ServiceRequest and a
// DiagnosticReport based on it: the report is matched to the order and its
// requester is the order's.
func TestDiagnosticReportMatchesOrder(t *testing.T) {
	s := memstore.New()
	im := fhir.NewImporter(access.Trusted(s))
	ndjson := `{"resourceType":"Patient","id":"p1","name":[{"family":"Rivera","given":["Ana"]}],"gender":"female","birthDate":"1970-05-01"}
{"resourceType":"Practitioner","id":"dr1","name":[{"family":"Osler"}]}
{"resourceType":"ServiceRequest","id":"sr1","status":"active","intent":"order","category":[{"coding":[{"system":"http://snomed.info/sct","code":"108252007"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2823-3"}]},"subject":{"reference":"Patient/p1"},"requester":{"reference":"Practitioner/dr1"},"authoredOn":"2026-03-01T08:00:00Z"}
{"resourceType":"DiagnosticReport","id":"dr-1","status":"final","basedOn":[{"reference":"ServiceRequest/sr1"}],"code":{"coding":[{"system":"http://loinc.org","code":"2823-3"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-03-01T09:00:00Z"}
`
	require.NoError(t, im.ImportNDJSON(importing(), bytes.NewReader([]byte(ndjson)), "test"))
	require.Empty(t, im.Report().Failed)
	require.Equal(t, 1, im.Report().Imported["DiagnosticReport"])
	var r lab.Report
	for rec, err := range storageAll(t, s, lab.ReportType) {
		require.NoError(t, err)
		r, err = lab.ReportRecords.Decode(rec)
		require.NoError(t, err)
	}
	assert.False(t, r.Unsolicited)
	assert.Equal(t, r.Placer, r.Order)
	assert.NotEmpty(t, r.Requester)
}
