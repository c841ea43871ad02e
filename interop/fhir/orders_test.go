package fhir_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// medicationRequest is an active MedicationRequest of patient pid for the
// RxNorm code, in encounter enc when not "".
func medicationRequest(id, pid, enc, rxcui, display string) string {
	s := `{"resourceType":"MedicationRequest","id":"` + id + `","status":"active","intent":"order",` +
		`"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"` + rxcui + `","display":"` + display + `"}]},` +
		`"subject":{"reference":"Patient/` + pid + `"},"requester":{"reference":"Practitioner/dr-1"}`
	if enc != "" {
		s += `,"encounter":{"reference":"Encounter/` + enc + `"}`
	}
	return s + "}"
}

// TestImportOrders: imported orders go through the order service: an order
// naming a patient or encounter that does not exist is refused per resource,
// naming the field, and an active prescription enters the patient's
// medication list, so that signing an interacting order is refused (FDA
// simvastatin label, section 4 Contraindications: clarithromycin).
func TestImportOrders(t *testing.T) {
	ctx := importing()
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		src := strings.Join([]string{
			`{"resourceType":"Patient","id":"p1","name":[{"family":"Imported"}]}`,
			medicationRequest("mr-statin", "p1", "", "312961", "Simvastatin 20 MG Oral Tablet"),
			medicationRequest("mr-orphan", "nobody", "", "312961", "Simvastatin 20 MG Oral Tablet"),
			medicationRequest("mr-noenc", "p1", "none", "312961", "Simvastatin 20 MG Oral Tablet"),
		}, "\n")
		im := fhir.NewImporter(access.Trusted(s), fhir.WithWorkers(1))
		require.NoError(t, im.ImportNDJSON(ctx, strings.NewReader(src), "orders.ndjson"))
		rep := im.Report()
		assert.Equal(t, map[string]int{"Patient": 1, "MedicationRequest": 1}, rep.Imported)
		require.Len(t, rep.Failed, 2)
		for i, field := range []string{"subject", "encounter"} { // FHIR element paths
			assert.Equal(t, 3+i, rep.Failed[i].Entry)
			require.Len(t, rep.Failed[i].Issues, 1)
			assert.True(t, strings.HasPrefix(rep.Failed[i].Issues[0], "MedicationRequest."+field+":"), rep.Failed[i].Issues)
		}
		for _, id := range []string{"mr-orphan", "mr-noenc"} {
			_, err := s.Get(ctx, rx.MedicationRequestType, id)
			assert.ErrorIs(t, err, ehrkit.ErrNotFound, id)
		}

		orders, err := rx.NewService(access.Trusted(s), rx.Shipped())
		require.NoError(t, err)
		d, err := orders.Draft(ctx, rx.Order{Patient: "p1", Kind: rx.KindMedication, Requester: "dr-1",
			Medication: &rx.MedicationDetail{Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: "21212", Display: "clarithromycin"}}})
		require.NoError(t, err)
		_, err = orders.Sign(ctx, d.ID, "")
		var ae *rx.AlertsError
		require.ErrorAs(t, err, &ae, "checked against the imported simvastatin")
		assert.Equal(t, "ONC-HP-25", ae.Alerts[0].Rule)
	})
}
