package fhir

import (
	"encoding/json"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
)

// extOrderState carries the ehrkit order state FHIR has no element for (the
// alerts of the last check, the override, who signed and when, the order set,
// the last status change, and for ServiceRequests the status reason and the
// lab specimen), as a JSON string, so that orders round-trip.
const extOrderState = "https://ehrkit.dev/fhir/StructureDefinition/order-state"

// orderState is what extOrderState holds.
type orderState struct {
	Alerts        []rx.Alert   `json:"alerts,omitempty"`
	Override      *rx.Override `json:"override,omitempty"`
	Signed        string       `json:"signed,omitempty"`
	SignedBy      string       `json:"signedBy,omitempty"`
	OrderSet      string       `json:"orderSet,omitempty"`
	StatusChanged string       `json:"statusChanged,omitempty"`
	// StatusReason and Specimen have no ServiceRequest element (a specimen is a
	// reference to a Specimen resource); MedicationRequest uses statusReason.
	StatusReason string         `json:"statusReason,omitempty"`
	Specimen     *ehrkit.Coding `json:"specimen,omitempty"`
}

// stateExtension renders the order state of o, or nothing when it has none.
func stateExtension(o *rx.Order) ([]fExtension, error) {
	st := orderState{Alerts: o.Alerts, Override: o.Override, Signed: formatDateTime(o.Signed),
		SignedBy: o.SignedBy, OrderSet: o.OrderSet, StatusChanged: formatDateTime(o.StatusChanged)}
	if o.Kind != rx.KindMedication {
		st.StatusReason = o.StatusReason
	}
	if o.Lab != nil && !o.Lab.Specimen.IsZero() {
		st.Specimen = &o.Lab.Specimen
	}
	return jsonExtension(extOrderState, st)
}

// applyStateExtension sets the order state of o from its extension, if any.
func applyStateExtension(exts []fExtension, o *rx.Order) error {
	var st orderState
	if err := readExtension(exts, extOrderState, &st); err != nil {
		return err
	}
	o.Alerts, o.Override, o.SignedBy, o.OrderSet = st.Alerts, st.Override, st.SignedBy, st.OrderSet
	if st.StatusReason != "" {
		o.StatusReason = st.StatusReason
	}
	if o.Lab != nil && st.Specimen != nil {
		o.Lab.Specimen = *st.Specimen
	}
	var err error
	if o.Signed, err = parseDateTime(st.Signed); err != nil {
		return err
	}
	o.StatusChanged, err = parseDateTime(st.StatusChanged)
	return err
}

// requesterOf resolves the requester to its practitioner id.
func requesterOf(r *fReference, rs *Refs) string {
	ref := toRef(r, rs)
	if ref.ID == "" {
		return ref.Display
	}
	return ref.ID
}

func requesterRef(id string) *fReference {
	if id == "" {
		return nil
	}
	return fromRef(ehrkit.Ref("Practitioner", id))
}

// ---- MedicationRequest

type fMedicationRequest struct {
	ResourceType              string         `json:"resourceType"`
	ID                        string         `json:"id,omitempty"`
	Extension                 []fExtension   `json:"extension,omitempty"`
	Status                    string         `json:"status"`
	StatusReason              *fConcept      `json:"statusReason,omitempty"`
	Intent                    string         `json:"intent"`
	Priority                  string         `json:"priority,omitempty"`
	MedicationCodeableConcept *fConcept      `json:"medicationCodeableConcept,omitempty"`
	MedicationReference       *fReference    `json:"medicationReference,omitempty"`
	Contained                 []fContained   `json:"contained,omitempty"`
	Subject                   *fReference    `json:"subject"`
	Encounter                 *fReference    `json:"encounter,omitempty"`
	AuthoredOn                string         `json:"authoredOn,omitempty"`
	Requester                 *fReference    `json:"requester,omitempty"`
	ReasonCode                []fConcept     `json:"reasonCode,omitempty"`
	Note                      []fAnnotation  `json:"note,omitempty"`
	DosageInstruction         []fDosage      `json:"dosageInstruction,omitempty"`
	DispenseRequest           *fDispense     `json:"dispenseRequest,omitempty"`
	Substitution              *fSubstitution `json:"substitution,omitempty"`
}

// fContained is a contained resource as far as order mapping reads it: a
// Medication's code.
type fContained struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Code         *fConcept `json:"code,omitempty"`
}

// medicationConcept returns the medication of a request: its code, or the
// code of the contained Medication its reference points at.
func (f *fMedicationRequest) medicationConcept() ehrkit.CodeableConcept {
	if f.MedicationCodeableConcept != nil || f.MedicationReference == nil {
		return toConcept(f.MedicationCodeableConcept)
	}
	for _, c := range f.Contained {
		if c.ResourceType == "Medication" && "#"+c.ID == f.MedicationReference.Reference {
			return toConcept(c.Code)
		}
	}
	return ehrkit.CodeableConcept{}
}

type fDosage struct {
	Text        string      `json:"text,omitempty"`
	Timing      *fTiming    `json:"timing,omitempty"`
	Route       *fConcept   `json:"route,omitempty"`
	DoseAndRate []fDoseRate `json:"doseAndRate,omitempty"`
}

type fTiming struct {
	Repeat *fRepeat `json:"repeat,omitempty"`
}

type fRepeat struct {
	Frequency  int         `json:"frequency,omitempty"`
	Period     json.Number `json:"period,omitempty"`
	PeriodUnit string      `json:"periodUnit,omitempty"`
}

type fDoseRate struct {
	DoseQuantity *fQuantity `json:"doseQuantity,omitempty"`
}

type fDispense struct {
	NumberOfRepeatsAllowed int        `json:"numberOfRepeatsAllowed,omitempty"`
	Quantity               *fQuantity `json:"quantity,omitempty"`
	ExpectedSupplyDuration *fQuantity `json:"expectedSupplyDuration,omitempty"`
}

type fSubstitution struct {
	AllowedBoolean bool `json:"allowedBoolean"`
}

// perDay converts a FHIR timing repeat to a frequency per day.
func perDay(r *fRepeat) decimal.Decimal {
	if r == nil || r.Frequency == 0 {
		return decimal.Zero
	}
	period := decimal.NewFromInt(1)
	if p, err := decimal.NewFromString(string(r.Period)); err == nil && p.IsPositive() {
		period = p
	}
	// Units per day as a fraction, so that "every 6 h" is exactly 4 a day.
	units := map[string][2]int64{"s": {86400, 1}, "min": {1440, 1}, "h": {24, 1}, "d": {1, 1}, "wk": {1, 7}, "mo": {1, 30}, "a": {1, 365}}
	u, ok := units[r.PeriodUnit]
	if !ok {
		u = units["d"]
	}
	n := decimal.NewFromInt(int64(r.Frequency) * u[0])
	return n.Div(period.Mul(decimal.NewFromInt(u[1]))).Round(6)
}

// dailyTiming renders a frequency per day as "frequency per period days" in
// whole numbers: the smallest period up to a year that makes the frequency a
// whole number (within the six decimals perDay keeps), else a power of ten.
func dailyTiming(perDay decimal.Decimal) *fRepeat {
	tolerance := decimal.New(1, -5)
	for p := int64(1); p <= 365; p++ {
		x := perDay.Mul(decimal.NewFromInt(p))
		if x.Sub(x.Round(0)).Abs().LessThan(tolerance.Mul(decimal.NewFromInt(p))) && x.Round(0).IsPositive() {
			return &fRepeat{Frequency: int(x.Round(0).IntPart()), Period: json.Number(decimal.NewFromInt(p).String()), PeriodUnit: "d"}
		}
	}
	freq, period := perDay, decimal.NewFromInt(1)
	for !freq.IsInteger() {
		freq, period = freq.Mul(decimal.NewFromInt(10)), period.Mul(decimal.NewFromInt(10))
	}
	return &fRepeat{Frequency: int(freq.IntPart()), Period: json.Number(period.String()), PeriodUnit: "d"}
}

func medicationRequestFrom(f *fMedicationRequest, id string, rs *Refs) (rx.Order, error) {
	o := rx.Order{
		ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs), Kind: rx.KindMedication, Status: rx.Status(f.Status),
		Priority: f.Priority, Requester: requesterOf(f.Requester, rs), Reasons: toConcepts(f.ReasonCode),
		Note: noteText(f.Note), StatusReason: toConcept(f.StatusReason).String(),
		Medication: &rx.MedicationDetail{SubstitutionAllowed: f.Substitution == nil || f.Substitution.AllowedBoolean},
	}
	if mc := f.medicationConcept(); len(mc.Coding) > 0 {
		o.Medication.Medication = mc.Coding[0]
		for _, c := range mc.Coding {
			if c.System == ehrkit.SystemRxNorm {
				o.Medication.Medication = c
				break
			}
		}
	}
	var err error
	if o.Authored, err = parseDateTime(f.AuthoredOn); err != nil {
		return o, err
	}
	if len(f.DosageInstruction) > 0 {
		d := f.DosageInstruction[0]
		m := o.Medication
		m.Instructions, m.Route = d.Text, code(d.Route)
		if d.Timing != nil {
			m.FrequencyPerDay = perDay(d.Timing.Repeat)
		}
		if len(d.DoseAndRate) > 0 {
			if m.Dose, err = toQuantity(d.DoseAndRate[0].DoseQuantity); err != nil {
				return o, err
			}
			if m.Dose.Unit == "" && !m.Dose.Value.IsZero() {
				m.Dose.Unit = "1" // a dose without a unit counts dose units (UCUM unity)
			}
		}
	}
	if dr := f.DispenseRequest; dr != nil {
		o.Medication.Refills = dr.NumberOfRepeatsAllowed
		if o.Medication.Quantity, err = toQuantity(dr.Quantity); err != nil {
			return o, err
		}
		if dr.ExpectedSupplyDuration != nil {
			if days, err := decimal.NewFromString(string(dr.ExpectedSupplyDuration.Value)); err == nil {
				o.Medication.DurationDays = int(days.IntPart())
			}
		}
	}
	return o, applyStateExtension(f.Extension, &o)
}

func medicationRequestTo(o *rx.Order) (fMedicationRequest, error) {
	ext, err := stateExtension(o)
	if err != nil {
		return fMedicationRequest{}, err
	}
	f := fMedicationRequest{
		ResourceType: "MedicationRequest", ID: o.ID, Extension: ext, Status: rx.FHIRStatus(o.Kind, o.Status),
		Intent: "order", Priority: o.Priority, Subject: patientRef(o.Patient), Encounter: encounterRef(o.Encounter), AuthoredOn: formatDateTime(o.Authored),
		Requester: requesterRef(o.Requester), ReasonCode: fromConcepts(o.Reasons), Note: notes(o.Note),
	}
	if o.StatusReason != "" {
		f.StatusReason = &fConcept{Text: o.StatusReason}
	}
	m := o.Medication
	if m == nil {
		return f, nil
	}
	f.MedicationCodeableConcept = &fConcept{Coding: []fCoding{fromCoding(m.Medication)}}
	d := fDosage{Text: m.Instructions, Route: coded("http://snomed.info/sct", m.Route)}
	if m.FrequencyPerDay.IsPositive() {
		d.Timing = &fTiming{Repeat: dailyTiming(m.FrequencyPerDay)}
	}
	if !m.Dose.Value.IsZero() || m.Dose.Unit != "" {
		d.DoseAndRate = []fDoseRate{{DoseQuantity: fromQuantity(m.Dose)}}
	}
	if d.Text != "" || d.Route != nil || d.Timing != nil || d.DoseAndRate != nil {
		f.DosageInstruction = []fDosage{d}
	}
	hasQuantity := !m.Quantity.Value.IsZero() || m.Quantity.Unit != ""
	if m.Refills > 0 || hasQuantity || m.DurationDays > 0 {
		dr := &fDispense{NumberOfRepeatsAllowed: m.Refills}
		if hasQuantity {
			dr.Quantity = fromQuantity(m.Quantity)
		}
		if m.DurationDays > 0 {
			dr.ExpectedSupplyDuration = &fQuantity{Value: json.Number(decimal.NewFromInt(int64(m.DurationDays)).String()), Unit: "d", System: ehrkit.SystemUCUM, Code: "d"}
		}
		f.DispenseRequest = dr
	}
	if !m.SubstitutionAllowed {
		f.Substitution = &fSubstitution{AllowedBoolean: false}
	}
	return f, nil
}

// ---- ServiceRequest (lab, imaging and referral orders)

const (
	snomedLabProcedure = "108252007"
	snomedImaging      = "363679005"
	// accessionType is the v2-0203 identifier type of an accession number,
	// the identifier an imaging order carries as ServiceRequest.identifier.
	accessionType          = "ACSN"
	snomedReferral         = "3457005"
	systemDICOMModality    = "http://dicom.nema.org/resources/ontology/DCM"
	systemServiceReqTarget = "http://snomed.info/sct"
)

type fServiceRequest struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Extension    []fExtension  `json:"extension,omitempty"`
	Identifier   []fIdentifier `json:"identifier,omitempty"`
	Status       string        `json:"status"`
	Intent       string        `json:"intent"`
	Category     []fConcept    `json:"category,omitempty"`
	Priority     string        `json:"priority,omitempty"`
	Code         *fConcept     `json:"code,omitempty"`
	Subject      *fReference   `json:"subject"`
	Encounter    *fReference   `json:"encounter,omitempty"`
	AuthoredOn   string        `json:"authoredOn,omitempty"`
	Requester    *fReference   `json:"requester,omitempty"`
	Performer    []fReference  `json:"performer,omitempty"`
	ReasonCode   []fConcept    `json:"reasonCode,omitempty"`
	BodySite     []fConcept    `json:"bodySite,omitempty"`
	Note         []fAnnotation `json:"note,omitempty"`
	OrderDetail  []fConcept    `json:"orderDetail,omitempty"`
}

func serviceRequestFrom(f *fServiceRequest, id string, rs *Refs) (rx.Order, error) {
	status := f.Status
	if status == "revoked" {
		status = string(rx.Cancelled)
	}
	o := rx.Order{
		ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs), Status: rx.Status(status), Priority: f.Priority,
		Requester: requesterOf(f.Requester, rs), Reasons: toConcepts(f.ReasonCode), Note: noteText(f.Note),
	}
	var err error
	if o.Authored, err = parseDateTime(f.AuthoredOn); err != nil {
		return o, err
	}
	cat := ""
	for i := range f.Category {
		if c := codeIn(&f.Category[i], "http://snomed.info/sct"); c != "" {
			cat = c
		}
	}
	codeC := toConcept(f.Code)
	var first ehrkit.Coding
	if len(codeC.Coding) > 0 {
		first = codeC.Coding[0]
	}
	switch {
	case cat == snomedImaging:
		o.Kind = rx.KindImaging
		o.Imaging = &rx.ImagingDetail{Procedure: first}
		for i := range f.OrderDetail {
			if m := codeIn(&f.OrderDetail[i], systemDICOMModality); m != "" {
				o.Imaging.Modality = m
			}
		}
		if len(f.BodySite) > 0 && len(f.BodySite[0].Coding) > 0 {
			o.Imaging.BodySite = toCoding(f.BodySite[0].Coding[0])
		}
		for _, id := range f.Identifier {
			if codeIn(id.Type, ehrkit.SystemV2Tables) == accessionType {
				o.Imaging.Accession = id.Value
			}
		}
	case cat != snomedReferral && (cat == snomedLabProcedure || first.System == ehrkit.SystemLOINC):
		o.Kind = rx.KindLab
		o.Lab = &rx.LabDetail{Test: first}
	default:
		o.Kind = rx.KindReferral
		o.Referral = &rx.ReferralDetail{Specialty: first}
		if len(f.Performer) > 0 {
			o.Referral.To = toRef(&f.Performer[0], rs).ID
		}
	}
	return o, applyStateExtension(f.Extension, &o)
}

func serviceRequestTo(o *rx.Order) (fServiceRequest, error) {
	ext, err := stateExtension(o)
	if err != nil {
		return fServiceRequest{}, err
	}
	f := fServiceRequest{
		ResourceType: "ServiceRequest", ID: o.ID, Extension: ext, Status: rx.FHIRStatus(o.Kind, o.Status),
		Intent: "order", Priority: o.Priority, Subject: patientRef(o.Patient), Encounter: encounterRef(o.Encounter), AuthoredOn: formatDateTime(o.Authored),
		Requester: requesterRef(o.Requester), ReasonCode: fromConcepts(o.Reasons), Note: notes(o.Note),
	}
	category := func(c string) []fConcept { return []fConcept{*coded("http://snomed.info/sct", c)} }
	switch {
	case o.Lab != nil:
		f.Category, f.Code = category(snomedLabProcedure), &fConcept{Coding: []fCoding{fromCoding(o.Lab.Test)}}
	case o.Imaging != nil:
		f.Category, f.Code = category(snomedImaging), &fConcept{Coding: []fCoding{fromCoding(o.Imaging.Procedure)}}
		if o.Imaging.Modality != "" {
			f.OrderDetail = []fConcept{*coded(systemDICOMModality, o.Imaging.Modality)}
		}
		if !o.Imaging.BodySite.IsZero() {
			f.BodySite = []fConcept{{Coding: []fCoding{fromCoding(o.Imaging.BodySite)}}}
		}
		if o.Imaging.Accession != "" {
			f.Identifier = []fIdentifier{{Type: coded(ehrkit.SystemV2Tables, accessionType), Value: o.Imaging.Accession}}
		}
	case o.Referral != nil:
		f.Category, f.Code = category(snomedReferral), &fConcept{Coding: []fCoding{fromCoding(o.Referral.Specialty)}}
		if o.Referral.To != "" {
			f.Performer = []fReference{*requesterRef(o.Referral.To)}
		}
	}
	return f, nil
}

func init() {
	register(typed[rx.Order, fMedicationRequest]{view: rx.MedicationRequestRecords, save: via(orders, (*rx.Service).SaveOrder), from: medicationRequestFrom, to: medicationRequestTo,
		elements: []string{"extension", "status", "statusReason", "intent", "priority", "medicationCodeableConcept", "medicationReference", "subject",
			"encounter", "authoredOn", "requester", "reasonCode", "note", "dosageInstruction", "dispenseRequest", "substitution"}})
	register(typed[rx.Order, fServiceRequest]{view: rx.ServiceRequestRecords, save: via(orders, (*rx.Service).SaveOrder), from: serviceRequestFrom, to: serviceRequestTo,
		elements: []string{"extension", "status", "intent", "category", "priority", "code", "subject", "encounter", "authoredOn", "requester",
			"performer", "reasonCode", "bodySite", "note", "orderDetail"}})
}
