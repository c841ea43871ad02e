package rx

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/shopspring/decimal"
)

// notMedication refuses to encode an order that is not a medication order.
func notMedication(o Order) error {
	if o.Kind == KindMedication && o.Medication != nil {
		return nil
	}
	var v ehrkit.Issues
	v.Add("kind", ehrkit.IssueNotSupported, "only medication orders are prescriptions")
	return v.Err()
}

// hl7Escape escapes the HL7 v2 delimiters (| ^ ~ \ &) and line breaks in a
// text value.
func hl7Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '|':
			b.WriteString(`\F\`)
		case '^':
			b.WriteString(`\S\`)
		case '~':
			b.WriteString(`\R\`)
		case '\\':
			b.WriteString(`\E\`)
		case '&':
			b.WriteString(`\T\`)
		case '\r', '\n':
			b.WriteString(`\.br\`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hl7Time(t time.Time) string { return t.UTC().Format("20060102150405") + "+0000" }

func num(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// EncodeRDE encodes a signed medication order as an HL7 v2.5.1 pharmacy
// encoded order (RDE^O11: MSH, PID, ORC, RXE, RXR; segments end with CR).
// at is the message time; the control id is the order id. Only opaque ids go
// into PID (PID-3 holds the patient id); the pharmacy system resolves
// demographics through its patient interface.
func EncodeRDE(o Order, at time.Time) ([]byte, error) {
	if err := notMedication(o); err != nil {
		return nil, err
	}
	m := o.Medication
	subst := "N"
	if m.SubstitutionAllowed {
		subst = "G"
	}
	var sb strings.Builder
	seg := func(fields ...string) {
		sb.WriteString(strings.Join(fields, "|"))
		sb.WriteByte('\r')
	}
	seg("MSH", `^~\&`, "EHRKIT", "", "PHARMACY", "", hl7Time(at), "", "RDE^O11^RDE_O11", hl7Escape(o.ID), "P", "2.5.1")
	seg("PID", "1", "", hl7Escape(string(o.Patient))+"^^^EHRKIT^PI")
	seg("ORC", "NW", hl7Escape(o.ID)+"^EHRKIT", "", "", "", "", "", "", hl7Time(o.Signed), "", "", hl7Escape(o.Requester))
	timing := ""
	if m.FrequencyPerDay.IsPositive() {
		timing = "^" + m.FrequencyPerDay.String() + "/d"
	}
	seg("RXE",
		timing, // RXE-1 quantity/timing
		hl7Escape(m.Medication.Code)+"^"+hl7Escape(m.Medication.Display)+"^RXNORM", // RXE-2 give code
		num(m.Dose.Value), "", hl7Escape(m.Dose.Unit)+"^^UCUM", // RXE-3..5 give amount and units
		"", hl7Escape(m.Instructions), "", subst, // RXE-6..9 form, instructions, deliver-to, substitution
		num(m.Quantity.Value), hl7Escape(m.Quantity.Unit), fmt.Sprint(m.Refills), // RXE-10..12 dispense amount, units, refills
	)
	if m.Route != "" {
		seg("RXR", hl7Escape(m.Route))
	}
	return []byte(sb.String()), nil
}

// FHIR R4 MedicationRequest, the elements ehrkit writes.
type fhirMedicationRequest struct {
	ResourceType              string            `json:"resourceType"`
	ID                        string            `json:"id"`
	Identifier                []fhirIdentifier  `json:"identifier,omitempty"`
	Status                    string            `json:"status"`
	Intent                    string            `json:"intent"`
	Priority                  string            `json:"priority,omitempty"`
	MedicationCodeableConcept fhirConcept       `json:"medicationCodeableConcept"`
	Subject                   fhirReference     `json:"subject"`
	AuthoredOn                string            `json:"authoredOn,omitempty"`
	Requester                 *fhirReference    `json:"requester,omitempty"`
	ReasonCode                []fhirConcept     `json:"reasonCode,omitempty"`
	Note                      []fhirNote        `json:"note,omitempty"`
	DosageInstruction         []fhirDosage      `json:"dosageInstruction,omitempty"`
	DispenseRequest           *fhirDispense     `json:"dispenseRequest,omitempty"`
	Substitution              *fhirSubstitution `json:"substitution,omitempty"`
}

type fhirIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type fhirConcept struct {
	Coding []ehrkit.Coding `json:"coding,omitempty"`
	Text   string          `json:"text,omitempty"`
}

type fhirReference struct {
	Reference string `json:"reference"`
}

type fhirNote struct {
	Text string `json:"text"`
}

type fhirQuantity struct {
	Value  json.Number `json:"value"`
	Unit   string      `json:"unit,omitempty"`
	System string      `json:"system,omitempty"`
	Code   string      `json:"code,omitempty"`
}

type fhirDosage struct {
	Text        string         `json:"text,omitempty"`
	Timing      *fhirTiming    `json:"timing,omitempty"`
	Route       *fhirConcept   `json:"route,omitempty"`
	DoseAndRate []fhirDoseRate `json:"doseAndRate,omitempty"`
}

type fhirTiming struct {
	Repeat fhirRepeat `json:"repeat"`
}

type fhirRepeat struct {
	Frequency  int         `json:"frequency"`
	Period     json.Number `json:"period"`
	PeriodUnit string      `json:"periodUnit"`
}

type fhirDoseRate struct {
	DoseQuantity fhirQuantity `json:"doseQuantity"`
}

type fhirDispense struct {
	NumberOfRepeatsAllowed int           `json:"numberOfRepeatsAllowed"`
	Quantity               *fhirQuantity `json:"quantity,omitempty"`
	ExpectedSupplyDuration *fhirQuantity `json:"expectedSupplyDuration,omitempty"`
}

type fhirSubstitution struct {
	AllowedBoolean bool `json:"allowedBoolean"`
}

func ucum(q ehrkit.Quantity) fhirQuantity {
	return fhirQuantity{Value: json.Number(q.Value.String()), Unit: q.Unit, System: ehrkit.SystemUCUM, Code: q.Unit}
}

// IdentifierSystem is the identifier system of ehrkit order ids in FHIR.
const IdentifierSystem = "urn:ehrkit:order"

// EncodeMedicationRequest encodes a medication order as a FHIR R4
// MedicationRequest resource in JSON.
func EncodeMedicationRequest(o Order) ([]byte, error) {
	if err := notMedication(o); err != nil {
		return nil, err
	}
	m := o.Medication
	r := fhirMedicationRequest{
		ResourceType: "MedicationRequest", ID: o.ID,
		Identifier: []fhirIdentifier{{System: IdentifierSystem, Value: o.ID}},
		Status:     FHIRStatus(o.Kind, o.Status), Intent: "order", Priority: o.Priority,
		MedicationCodeableConcept: fhirConcept{Coding: []ehrkit.Coding{m.Medication}, Text: m.Medication.Display},
		Subject:                   fhirReference{Reference: "Patient/" + string(o.Patient)},
		Substitution:              &fhirSubstitution{AllowedBoolean: m.SubstitutionAllowed},
		DispenseRequest:           &fhirDispense{NumberOfRepeatsAllowed: m.Refills},
	}
	if !o.Authored.IsZero() {
		r.AuthoredOn = o.Authored.UTC().Format(time.RFC3339)
	}
	if o.Requester != "" {
		r.Requester = &fhirReference{Reference: "Practitioner/" + o.Requester}
	}
	for _, c := range o.Reasons {
		r.ReasonCode = append(r.ReasonCode, fhirConcept(c))
	}
	if o.Note != "" {
		r.Note = []fhirNote{{Text: o.Note}}
	}
	dosage := fhirDosage{Text: m.Instructions}
	switch f := m.FrequencyPerDay; {
	case f.IsPositive() && f.IsInteger():
		dosage.Timing = &fhirTiming{Repeat: fhirRepeat{Frequency: int(f.IntPart()), Period: "1", PeriodUnit: "d"}}
	case f.IsPositive():
		// Less than daily or fractional: once every 1/f days (0.5 a day is
		// once every 2 days).
		period := decimal.NewFromInt(1).DivRound(f, 4)
		dosage.Timing = &fhirTiming{Repeat: fhirRepeat{Frequency: 1, Period: json.Number(period.String()), PeriodUnit: "d"}}
	}
	if m.Route != "" {
		dosage.Route = &fhirConcept{Text: m.Route}
	}
	if m.Dose.Value.IsPositive() {
		dosage.DoseAndRate = []fhirDoseRate{{DoseQuantity: ucum(m.Dose)}}
	}
	if dosage.Text != "" || dosage.Timing != nil || dosage.Route != nil || dosage.DoseAndRate != nil {
		r.DosageInstruction = []fhirDosage{dosage}
	}
	if m.Quantity.Value.IsPositive() {
		q := ucum(m.Quantity)
		r.DispenseRequest.Quantity = &q
	}
	if m.DurationDays > 0 {
		r.DispenseRequest.ExpectedSupplyDuration = &fhirQuantity{Value: json.Number(fmt.Sprint(m.DurationDays)), Unit: "days", System: ehrkit.SystemUCUM, Code: "d"}
	}
	return json.Marshal(r)
}
