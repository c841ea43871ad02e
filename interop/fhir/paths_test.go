package fhir

import "testing"

// TestFHIRPath: issue paths of domain values are reported as FHIR element
// paths of the resource they came from.
func TestFHIRPath(t *testing.T) {
	cases := []struct{ typ, in, want string }{
		{"Observation", "categories[0]", "category[0].coding[0].code"},
		{"Observation", "patient", "subject"},
		{"Observation", "components[1].value.unit", "component[1].value[x].unit"},
		{"Observation", "code.coding[0].code", "code.coding[0].code"},
		{"Observation", "valueless", "valueless"},
		{"Condition", "category", "category[0].coding[0].code"},
		{"Condition", "clinicalStatus", "clinicalStatus"},
		{"MedicationRequest", "medication.medication.code", "medicationCodeableConcept.coding[0].code"},
		{"MedicationRequest", "medication.dose.value", "dosageInstruction[0].doseAndRate[0].doseQuantity.value"},
		{"MedicationRequest", "medication.frequencyPerDay", "dosageInstruction[0].frequencyPerDay"},
		{"Procedure", "reasons[2].coding[0]", "reasonCode[2].coding[0]"},
		{"Patient", "name[0].family", "name[0].family"},
		{"Goal", "patient", "subject"},
		{"Goal", "targets[1].detail.unit", "target[1].detailQuantity.unit"},
		{"Goal", "targets[0].measure", "target[0].measure"},
		{"CarePlan", "goalRefs[2]", "goal"},
		{"CarePlan", "patient", "subject"},
		{"Unknown", "categories[0]", "categories[0]"},
	}
	for _, c := range cases {
		if got := fhirPath(c.typ, c.in); got != c.want {
			t.Errorf("fhirPath(%s, %q) = %q, want %q", c.typ, c.in, got, c.want)
		}
	}
}
