package fhir

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	bcrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
	mrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/medication_request_go_proto"
	srpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/service_request_go_proto"
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
func stateExtension(o *rx.Order) ([]*dtpb.Extension, error) {
	st := orderState{Alerts: o.Alerts, Override: o.Override, Signed: formatDateTime(o.Signed),
		SignedBy: o.SignedBy, OrderSet: o.OrderSet, StatusChanged: formatDateTime(o.StatusChanged)}
	if o.Kind != rx.KindMedication {
		st.StatusReason = o.StatusReason
	}
	if o.Lab != nil && !o.Lab.Specimen.IsZero() {
		st.Specimen = &o.Lab.Specimen
	}
	return pbJSONExtension(extOrderState, st)
}

// applyStateExtension sets the order state of o from its extension, if any.
func applyStateExtension(exts []*dtpb.Extension, o *rx.Order) error {
	var st orderState
	if err := readJSONExtension(exts, extOrderState, &st); err != nil {
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
func requesterOf(r *dtpb.Reference, rs *Refs) string {
	ref := readRef(r, rs)
	if ref.ID == "" {
		return ref.Display
	}
	return ref.ID
}

func requesterRef(id string) *dtpb.Reference { return pbIDRef("Practitioner", id) }

// ---- MedicationRequest

// medicationConcept returns the medication of a request: its code, or the
// code of the contained Medication its reference points at.
func medicationConcept(f *mrpb.MedicationRequest) ehrkit.CodeableConcept {
	med := f.GetMedication()
	if med.GetReference() == nil {
		return readConcept(med.GetCodeableConcept())
	}
	target := referenceString(med.GetReference())
	for _, a := range f.GetContained() {
		var cr bcrpb.ContainedResource
		if a.UnmarshalTo(&cr) != nil {
			continue
		}
		if m := cr.GetMedication(); m != nil && "#"+m.GetId().GetValue() == target {
			return readConcept(m.GetCode())
		}
	}
	return ehrkit.CodeableConcept{}
}

// perDay converts a FHIR timing repeat to a frequency per day.
func perDay(r *dtpb.Timing_Repeat) decimal.Decimal {
	if r.GetFrequency().GetValue() == 0 {
		return decimal.Zero
	}
	period := decimal.NewFromInt(1)
	if p, err := decimal.NewFromString(r.GetPeriod().GetValue()); err == nil && p.IsPositive() {
		period = p
	}
	// Units per day as a fraction, so that "every 6 h" is exactly 4 a day.
	units := map[string][2]int64{"s": {86400, 1}, "min": {1440, 1}, "h": {24, 1}, "d": {1, 1}, "wk": {1, 7}, "mo": {1, 30}, "a": {1, 365}}
	u, ok := units[codeOf(r.GetPeriodUnit())]
	if !ok {
		u = units["d"]
	}
	n := decimal.NewFromInt(int64(r.GetFrequency().GetValue()) * u[0])
	return n.Div(period.Mul(decimal.NewFromInt(u[1]))).Round(6)
}

// dailyTiming renders a frequency per day as "frequency per period days" in
// whole numbers: the smallest period up to a year that makes the frequency a
// whole number (within the six decimals perDay keeps), else a power of ten.
func dailyTiming(perDay decimal.Decimal) *dtpb.Timing_Repeat {
	repeat := func(freq, period decimal.Decimal) *dtpb.Timing_Repeat {
		var err error // "d" is a unit of time
		return &dtpb.Timing_Repeat{Frequency: &dtpb.PositiveInt{Value: uint32(freq.IntPart())},
			Period: &dtpb.Decimal{Value: period.String()}, PeriodUnit: pbCode[*dtpb.Timing_Repeat_PeriodUnitCode]("d", &err)}
	}
	tolerance := decimal.New(1, -5)
	for p := int64(1); p <= 365; p++ {
		x := perDay.Mul(decimal.NewFromInt(p))
		if x.Sub(x.Round(0)).Abs().LessThan(tolerance.Mul(decimal.NewFromInt(p))) && x.Round(0).IsPositive() {
			return repeat(x.Round(0), decimal.NewFromInt(p))
		}
	}
	freq, period := perDay, decimal.NewFromInt(1)
	for !freq.IsInteger() {
		freq, period = freq.Mul(decimal.NewFromInt(10)), period.Mul(decimal.NewFromInt(10))
	}
	return repeat(freq, period)
}

func medicationRequestFrom(f *mrpb.MedicationRequest, id string, rs *Refs) (rx.Order, error) {
	sub := f.GetSubstitution().GetAllowed()
	o := rx.Order{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs), Kind: rx.KindMedication,
		Status: rx.Status(codeOf(f.GetStatus())), Priority: codeOf(f.GetPriority()), Requester: requesterOf(f.GetRequester(), rs),
		Reasons: readConcepts(f.GetReasonCode()), Note: readNote(f.GetNote()), StatusReason: readConcept(f.GetStatusReason()).String(),
		Authored:   readDateTime(f.GetAuthoredOn()),
		Medication: &rx.MedicationDetail{SubstitutionAllowed: sub == nil || sub.GetBoolean().GetValue()},
	}
	if mc := medicationConcept(f); len(mc.Coding) > 0 {
		o.Medication.Medication = mc.Coding[0]
		for _, c := range mc.Coding {
			if c.System == ehrkit.SystemRxNorm {
				o.Medication.Medication = c
				break
			}
		}
	}
	var err error
	if ds := f.GetDosageInstruction(); len(ds) > 0 {
		d := ds[0]
		m := o.Medication
		m.Instructions, m.Route = d.GetText().GetValue(), readCode(d.GetRoute())
		m.FrequencyPerDay = perDay(d.GetTiming().GetRepeat())
		if dr := d.GetDoseAndRate(); len(dr) > 0 {
			if m.Dose, err = readSimpleQuantity(dr[0].GetDose().GetQuantity()); err != nil {
				return o, err
			}
			if m.Dose.Unit == "" && !m.Dose.Value.IsZero() {
				m.Dose.Unit = "1" // a dose without a unit counts dose units (UCUM unity)
			}
		}
	}
	if dr := f.GetDispenseRequest(); dr != nil {
		o.Medication.Refills = int(dr.GetNumberOfRepeatsAllowed().GetValue())
		if o.Medication.Quantity, err = readSimpleQuantity(dr.GetQuantity()); err != nil {
			return o, err
		}
		if days, err := decimal.NewFromString(dr.GetExpectedSupplyDuration().GetValue().GetValue()); err == nil {
			o.Medication.DurationDays = int(days.IntPart())
		}
	}
	return o, applyStateExtension(f.GetExtension(), &o)
}

// medicationRequestTo renders an order as a MedicationRequest with the ehrkit
// order-state extension.
func medicationRequestTo(o *rx.Order) (*mrpb.MedicationRequest, error) {
	ext, err := stateExtension(o)
	if err != nil {
		return nil, err
	}
	f := &mrpb.MedicationRequest{
		Id: pbID(o.ID), Extension: ext, Status: pbCode[*mrpb.MedicationRequest_StatusCode](rx.FHIRStatus(o.Kind, o.Status), &err),
		Intent:   pbCode[*mrpb.MedicationRequest_IntentCode]("order", &err),
		Priority: pbCode[*mrpb.MedicationRequest_PriorityCode](o.Priority, &err), Subject: pbPatientRef(o.Patient),
		Encounter: pbEncounterRef(o.Encounter), AuthoredOn: pbDateTime(o.Authored),
		Requester: requesterRef(o.Requester), ReasonCode: pbConcepts(o.Reasons), Note: pbNotes(o.Note),
	}
	if o.StatusReason != "" {
		f.StatusReason = &dtpb.CodeableConcept{Text: str(o.StatusReason)}
	}
	m := o.Medication
	if m == nil {
		return f, err
	}
	f.Medication = &mrpb.MedicationRequest_MedicationX{Choice: &mrpb.MedicationRequest_MedicationX_CodeableConcept{
		CodeableConcept: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{pbCoding(m.Medication)}}}}
	d := &dtpb.Dosage{Text: str(m.Instructions), Route: pbCoded("http://snomed.info/sct", m.Route)}
	if m.FrequencyPerDay.IsPositive() {
		d.Timing = &dtpb.Timing{Repeat: dailyTiming(m.FrequencyPerDay)}
	}
	if q := pbSimpleQuantity(m.Dose); q != nil {
		d.DoseAndRate = []*dtpb.Dosage_DoseAndRate{{Dose: &dtpb.Dosage_DoseAndRate_DoseX{
			Choice: &dtpb.Dosage_DoseAndRate_DoseX_Quantity{Quantity: q}}}}
	}
	if d.Text != nil || d.Route != nil || d.Timing != nil || d.DoseAndRate != nil {
		f.DosageInstruction = []*dtpb.Dosage{d}
	}
	quantity := pbSimpleQuantity(m.Quantity)
	if m.Refills > 0 || quantity != nil || m.DurationDays > 0 {
		dr := &mrpb.MedicationRequest_DispenseRequest{Quantity: quantity}
		if m.Refills > 0 {
			dr.NumberOfRepeatsAllowed = &dtpb.UnsignedInt{Value: uint32(m.Refills)}
		}
		if m.DurationDays > 0 {
			dr.ExpectedSupplyDuration = &dtpb.Duration{Value: &dtpb.Decimal{Value: decimal.NewFromInt(int64(m.DurationDays)).String()},
				Unit: str("d"), System: uri(ehrkit.SystemUCUM), Code: pbCodeValue("d")}
		}
		f.DispenseRequest = dr
	}
	if !m.SubstitutionAllowed {
		f.Substitution = &mrpb.MedicationRequest_Substitution{Allowed: &mrpb.MedicationRequest_Substitution_AllowedX{
			Choice: &mrpb.MedicationRequest_Substitution_AllowedX_Boolean{Boolean: pbBool(false)}}}
	}
	return f, err
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

func serviceRequestFrom(f *srpb.ServiceRequest, id string, rs *Refs) (rx.Order, error) {
	status := codeOf(f.GetStatus())
	if status == "revoked" {
		status = string(rx.Cancelled)
	}
	o := rx.Order{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs), Status: rx.Status(status),
		Priority: codeOf(f.GetPriority()), Requester: requesterOf(f.GetRequester(), rs), Reasons: readConcepts(f.GetReasonCode()),
		Note: readNote(f.GetNote()), Authored: readDateTime(f.GetAuthoredOn()),
	}
	cat := ""
	for _, c := range f.GetCategory() {
		if c := readCodeIn(c, "http://snomed.info/sct"); c != "" {
			cat = c
		}
	}
	var first ehrkit.Coding
	if cs := f.GetCode().GetCoding(); len(cs) > 0 {
		first = readCoding(cs[0])
	}
	switch {
	case cat == snomedImaging:
		o.Kind = rx.KindImaging
		o.Imaging = &rx.ImagingDetail{Procedure: first}
		for _, d := range f.GetOrderDetail() {
			if m := readCodeIn(d, systemDICOMModality); m != "" {
				o.Imaging.Modality = m
			}
		}
		if bs := f.GetBodySite(); len(bs) > 0 && len(bs[0].GetCoding()) > 0 {
			o.Imaging.BodySite = readCoding(bs[0].GetCoding()[0])
		}
		for _, id := range f.GetIdentifier() {
			if readCodeIn(id.GetType(), ehrkit.SystemV2Tables) == accessionType {
				o.Imaging.Accession = id.GetValue().GetValue()
			}
		}
	case cat != snomedReferral && (cat == snomedLabProcedure || first.System == ehrkit.SystemLOINC):
		o.Kind = rx.KindLab
		o.Lab = &rx.LabDetail{Test: first}
	default:
		o.Kind = rx.KindReferral
		o.Referral = &rx.ReferralDetail{Specialty: first}
		if ps := f.GetPerformer(); len(ps) > 0 {
			o.Referral.To = readRef(ps[0], rs).ID
		}
	}
	return o, applyStateExtension(f.GetExtension(), &o)
}

func serviceRequestTo(o *rx.Order) (*srpb.ServiceRequest, error) {
	ext, err := stateExtension(o)
	if err != nil {
		return nil, err
	}
	f := &srpb.ServiceRequest{
		Id: pbID(o.ID), Extension: ext, Status: pbCode[*srpb.ServiceRequest_StatusCode](rx.FHIRStatus(o.Kind, o.Status), &err),
		Intent:   pbCode[*srpb.ServiceRequest_IntentCode]("order", &err),
		Priority: pbCode[*srpb.ServiceRequest_PriorityCode](o.Priority, &err), Subject: pbPatientRef(o.Patient),
		Encounter: pbEncounterRef(o.Encounter), AuthoredOn: pbDateTime(o.Authored),
		Requester: requesterRef(o.Requester), ReasonCode: pbConcepts(o.Reasons), Note: pbNotes(o.Note),
	}
	category := func(c string) []*dtpb.CodeableConcept {
		return []*dtpb.CodeableConcept{pbCoded("http://snomed.info/sct", c)}
	}
	coding := func(c ehrkit.Coding) *dtpb.CodeableConcept {
		return &dtpb.CodeableConcept{Coding: []*dtpb.Coding{pbCoding(c)}}
	}
	switch {
	case o.Lab != nil:
		f.Category, f.Code = category(snomedLabProcedure), coding(o.Lab.Test)
	case o.Imaging != nil:
		f.Category, f.Code = category(snomedImaging), coding(o.Imaging.Procedure)
		if o.Imaging.Modality != "" {
			f.OrderDetail = []*dtpb.CodeableConcept{pbCoded(systemDICOMModality, o.Imaging.Modality)}
		}
		if !o.Imaging.BodySite.IsZero() {
			f.BodySite = []*dtpb.CodeableConcept{coding(o.Imaging.BodySite)}
		}
		if o.Imaging.Accession != "" {
			f.Identifier = []*dtpb.Identifier{{Type: pbCoded(ehrkit.SystemV2Tables, accessionType), Value: str(o.Imaging.Accession)}}
		}
	case o.Referral != nil:
		f.Category, f.Code = category(snomedReferral), coding(o.Referral.Specialty)
		if o.Referral.To != "" {
			f.Performer = []*dtpb.Reference{requesterRef(o.Referral.To)}
		}
	}
	return f, err
}

func init() {
	register(protoTyped[rx.Order, *mrpb.MedicationRequest]{view: rx.MedicationRequestRecords, save: via(orders, (*rx.Service).SaveOrder), from: medicationRequestFrom, to: medicationRequestTo,
		elements: []string{"extension", "status", "statusReason", "intent", "priority", "medicationCodeableConcept", "medicationReference", "subject",
			"encounter", "authoredOn", "requester", "reasonCode", "note", "dosageInstruction", "dispenseRequest", "substitution"}})
	register(protoTyped[rx.Order, *srpb.ServiceRequest]{view: rx.ServiceRequestRecords, save: via(orders, (*rx.Service).SaveOrder), from: serviceRequestFrom, to: serviceRequestTo,
		elements: []string{"extension", "status", "intent", "category", "priority", "code", "subject", "encounter", "authoredOn", "requester",
			"performer", "reasonCode", "bodySite", "note", "orderDetail"}})
}
