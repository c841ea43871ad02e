package fhir_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage"
)

// TestEverythingIncludesDirectory: Patient/$everything returns the
// compartment and, once each, the practitioners and organizations it
// references; directory records nobody in the compartment references stay
// out.
func TestEverythingIncludesDirectory(t *testing.T) {
	ctx := importing()
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		src := strings.Join([]string{
			`{"resourceType":"Organization","id":"org-1","name":"Saint Mary Clinic"}`,
			`{"resourceType":"Organization","id":"org-2","name":"Unrelated"}`,
			`{"resourceType":"Practitioner","id":"dr-1","name":[{"family":"Núñez"}],"identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}]}`,
			`{"resourceType":"Patient","id":"p1","name":[{"family":"Everything"}],"generalPractitioner":[{"reference":"Practitioner/dr-1"}],"managingOrganization":{"reference":"Organization/org-1"}}`,
			`{"resourceType":"Encounter","id":"e1","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/p1"},"participant":[{"individual":{"reference":"Practitioner/dr-1"}}],"period":{"start":"2026-03-02T09:00:00Z"}}`,
		}, "\n")
		im := fhir.NewImporter(access.Trusted(s), fhir.WithWorkers(1))
		require.NoError(t, im.ImportNDJSON(ctx, strings.NewReader(src), "everything.ndjson"))
		require.Empty(t, im.Report().Failed)
		x, err := fhir.NewExporter(access.Trusted(s))
		require.NoError(t, err)
		var out bytes.Buffer
		require.NoError(t, x.Everything(ctx, "p1", &out))
		var bundle struct {
			Entry []struct {
				FullURL string `json:"fullUrl"`
				Search  struct {
					Mode string `json:"mode"`
				} `json:"search"`
			} `json:"entry"`
		}
		require.NoError(t, json.Unmarshal(out.Bytes(), &bundle))
		got := map[string]string{}
		for _, e := range bundle.Entry {
			_, dup := got[e.FullURL]
			require.False(t, dup, "%s twice", e.FullURL)
			got[e.FullURL] = e.Search.Mode
		}
		assert.Equal(t, map[string]string{
			"Patient/p1": "match", "Encounter/e1": "match",
			"Practitioner/dr-1": "include", "Organization/org-1": "include",
		}, got)
	})
}
