package fhir_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage"
)

// heartRate is a vital-sign Observation of patient pid with the given rate
// and, when interp is not "", the sender's interpretation code.
func heartRate(id, pid, rate, interp string) string {
	s := `{"resourceType":"Observation","id":"` + id + `","status":"final",
	 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
	 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},
	 "subject":{"reference":"Patient/` + pid + `"},"effectiveDateTime":"2026-03-02T09:00:00Z",
	 "valueQuantity":{"value":` + rate + `,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}`
	if interp != "" {
		s += `,"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"` + interp + `"}]}]`
	}
	return strings.ReplaceAll(s, "\n", "") + "}"
}

// TestImportRunsDomainRules: imported resources go through the clinical
// service: vital signs are flagged where the sender gave no interpretation
// (and the sender's is kept), and a record naming a patient that does not
// exist is refused per resource, naming the field, with nothing stored in
// that compartment.
func TestImportRunsDomainRules(t *testing.T) {
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "importer"})
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		src := strings.Join([]string{
			`{"resourceType":"Patient","id":"p1","name":[{"family":"Imported"}]}`,
			heartRate("hr-high", "p1", "120", ""),
			heartRate("hr-sent", "p1", "150", "N"),
			heartRate("hr-orphan", "nobody", "70", ""),
		}, "\n")
		im := fhir.NewImporter(s, fhir.WithWorkers(1))
		require.NoError(t, im.ImportNDJSON(ctx, strings.NewReader(src), "vitals.ndjson"))
		rep := im.Report()
		assert.Equal(t, map[string]int{"Patient": 1, "Observation": 2}, rep.Imported)
		require.Len(t, rep.Failed, 1)
		assert.Equal(t, 4, rep.Failed[0].Entry)
		require.Len(t, rep.Failed[0].Issues, 1)
		assert.True(t, strings.HasPrefix(rep.Failed[0].Issues[0], "Observation.subject:"), rep.Failed[0].Issues)

		svc := clinical.NewService(access.Trusted(s))
		high, err := svc.Observation(ctx, "hr-high")
		require.NoError(t, err)
		assert.Equal(t, []string{clinical.InterpretationHigh}, high.Interpretation, "flagged against the adult range")
		sent, err := svc.Observation(ctx, "hr-sent")
		require.NoError(t, err)
		assert.Equal(t, []string{clinical.InterpretationNormal}, sent.Interpretation, "the sender's interpretation is kept")

		_, err = s.Get(ctx, clinical.ObservationType, "hr-orphan")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
		page, err := s.Query(ctx, storage.Query{Compartment: "nobody"})
		require.NoError(t, err)
		assert.Empty(t, page.Records, "nothing is stored for a patient who does not exist")
	})
}
