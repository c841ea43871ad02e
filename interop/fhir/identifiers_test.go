package fhir_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportKeepsIdentifiersUnique checks that imported patients claim their
// identifiers as registered ones do: an identifier another patient holds
// refuses the resource, and a re-import of the holder itself is fine.
func TestImportKeepsIdentifiersUnique(t *testing.T) {
	ctx := context.Background()
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		svc, err := patient.NewService(s)
		require.NoError(t, err)
		registered, err := svc.Register(ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "Registered"}},
			Identifiers: []ehrkit.Identifier{{System: "urn:ssn", Value: "123-45-6789"}}})
		require.NoError(t, err)

		src := strings.Join([]string{
			`{"resourceType":"Patient","id":"a","name":[{"family":"A"}],"identifier":[{"system":"urn:ssn","value":"123-45-6789"}]}`,
			`{"resourceType":"Patient","id":"b","name":[{"family":"B"}],"identifier":[{"system":"urn:x","value":"1"}]}`,
			`{"resourceType":"Patient","id":"c","name":[{"family":"C"}],"identifier":[{"system":"urn:x","value":"1"}]}`,
		}, "\n")
		im := fhir.NewImporter(s, fhir.WithWorkers(1)) // one parser: lines are written in order
		require.NoError(t, im.ImportNDJSON(ctx, strings.NewReader(src), "ids.ndjson"))
		rep := im.Report()
		assert.Equal(t, map[string]int{"Patient": 1}, rep.Imported)
		require.Len(t, rep.Failed, 2)
		for _, f := range rep.Failed {
			assert.Equal(t, []string{"Patient.identifier[0]: belongs to another patient (duplicate)"}, f.Issues)
		}
		_, err = s.Get(ctx, patient.RecordType, "a")
		assert.Error(t, err, "a patient with a taken identifier is not written")

		// The registry sees the imported identifier as taken.
		_, err = svc.Register(ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "D"}},
			Identifiers: []ehrkit.Identifier{{System: "urn:x", Value: "1"}}}, patient.AllowDuplicate())
		var inUse *patient.IdentifierInUseError
		require.ErrorAs(t, err, &inUse)
		assert.Equal(t, patient.ID("b"), inUse.Patient)
		_ = registered

		again := fhir.NewImporter(s)
		require.NoError(t, again.ImportNDJSON(ctx, strings.NewReader(src), "ids.ndjson"))
		assert.Equal(t, map[string]int{"Patient": 1}, again.Report().Unchanged)
	})
}
