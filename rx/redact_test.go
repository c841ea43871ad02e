package rx_test

import (
	"fmt"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/redacttest"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

// TestNoPHIInStringsAndLogs: orders, check inputs, the patient facts of a
// check and prescriptions show no drug, dose, note, birth date, weight or
// allergy with any fmt verb (%#v included) or through slog.
func TestNoPHIInStringsAndLogs(t *testing.T) {
	o := medOrder("21212", "clarithromycin")
	o.ID, o.Status, o.Note = "o-1", rx.Draft, "patient lives alone"
	o.Medication.Instructions = "take with food"
	p := rx.Patient{BirthDate: ehrkit.MustDate("1970-05-01"), WeightKg: decimal.RequireFromString("71.3"), Allergies: []ehrkit.Coding{{System: ehrkit.SystemRxNorm, Code: "7980", Display: "penicillin G"}}}
	in := rx.Input{Patient: p, Active: []ehrkit.Coding{code("36567")}, Orders: []rx.Proposed{order("21212")}}

	redacttest.Check(t, o, "clarithromycin", "21212", "lives alone", "take with food")
	redacttest.Check(t, in, "1970", "71.3", "7980", "penicillin", "36567", "21212")
	redacttest.Check(t, p, "1970", "71.3", "7980", "penicillin")
	redacttest.Check(t, rx.Prescription{Key: "k-1", Order: o, ContentType: "application/fhir+json"}, "clarithromycin", "lives alone")

	assert.Equal(t, "Order/o-1 (medication, draft)", fmt.Sprint(o), "String names the order by id, kind and status")
	assert.Equal(t, `rx.Order{ID:"o-1", Kind:"medication", Status:"draft" /* PHI redacted */}`, fmt.Sprintf("%#v", o))
}
