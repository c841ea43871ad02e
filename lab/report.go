package lab

import (
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
)

// ValueType is the HL7 v2 value type of a result (OBX-2), which says what kind
// of clinical.Value it carries.
type ValueType string

// Value types and the value kinds they map to.
const (
	TypeNumeric    ValueType = "NM"  // a quantity without comparator
	TypeStructured ValueType = "SN"  // a quantity with a comparator (">10"), or a range ("1-3")
	TypeCoded      ValueType = "CE"  // a coded answer (HL7 v2.3–2.5)
	TypeCodedWith  ValueType = "CWE" // a coded answer (HL7 v2.5 onwards)
	TypeString     ValueType = "ST"  // short text
	TypeText       ValueType = "TX"  // text
	TypeFormatted  ValueType = "FT"  // formatted text
	TypeEncoded    ValueType = "ED"  // encapsulated data: an Attachment
)

// kinds lists the value kinds each value type may carry.
var kinds = map[ValueType][]clinical.ValueKind{
	TypeNumeric:    {clinical.KindQuantity},
	TypeStructured: {clinical.KindQuantity, clinical.KindRange},
	TypeCoded:      {clinical.KindCoded},
	TypeCodedWith:  {clinical.KindCoded},
	TypeString:     {clinical.KindText},
	TypeText:       {clinical.KindText},
	TypeFormatted:  {clinical.KindText},
	TypeEncoded:    {},
}

// TypeOf returns the value type of a value: NM for a plain quantity, SN for a
// quantity with a comparator or a range, CWE for a coded value, ST for text;
// "" for other kinds.
func TypeOf(v clinical.Value) ValueType {
	switch v.Kind {
	case clinical.KindQuantity:
		if v.Quantity.Comparator != "" {
			return TypeStructured
		}
		return TypeNumeric
	case clinical.KindRange:
		return TypeStructured
	case clinical.KindCoded:
		return TypeCodedWith
	case clinical.KindText:
		return TypeString
	}
	return ""
}

// Attachment is encapsulated data: a PDF, an image, a text report (FHIR
// Attachment, HL7 v2 ED).
type Attachment struct {
	ContentType string `json:"contentType"`
	Data        []byte `json:"data,omitempty"`
	URL         string `json:"url,omitempty"`
	Title       string `json:"title,omitempty"`
}

func (a Attachment) validate() error {
	var is ehrkit.Issues
	is.Required("contentType", strings.TrimSpace(a.ContentType) != "")
	is.Check(len(a.Data) > 0 || a.URL != "", "data", ehrkit.IssueRequired, "an attachment has data or a url")
	return is.Err()
}

// Specimen is what was tested (FHIR Specimen, HL7 v2 SPM): its type, when it
// was collected and received, and the lab's accession id.
type Specimen struct {
	ID        string        `json:"id,omitempty"`
	Type      ehrkit.Coding `json:"type,omitzero"`
	Collected time.Time     `json:"collected,omitzero"`
	Received  time.Time     `json:"received,omitzero"`
	// Condition notes what the lab saw (hemolyzed, clotted), as sent.
	Condition string `json:"condition,omitempty"`
}

// Result is one test result of a report (HL7 v2 OBX, FHIR Observation). Its
// chart copy is a clinical Observation with the same id, category
// laboratory, written in the transaction that saves the report.
type Result struct {
	ID   string                 `json:"id"`
	Code ehrkit.CodeableConcept `json:"code"` // with a LOINC coding
	// Type is the HL7 value type; "" takes it from Value (TypeOf).
	Type       ValueType      `json:"type,omitempty"`
	Value      clinical.Value `json:"value,omitzero"`
	Attachment *Attachment    `json:"attachment,omitempty"`
	// DataAbsentReason says why there is no value (FHIR data-absent-reason).
	DataAbsentReason string                     `json:"dataAbsentReason,omitempty"`
	Status           clinical.ObservationStatus `json:"status"`
	// Effective is when the specimen was taken; zero means the report's.
	Effective time.Time          `json:"effective,omitzero"`
	Issued    time.Time          `json:"issued,omitzero"`
	Performer []ehrkit.Reference `json:"performer,omitempty"`
	// Range is the reference range the sender gave (OBX-7), if any.
	Range *ReferenceRange `json:"range,omitempty"`
	// Interpretation is the sender's flags (OBX-8), kept as sent.
	Interpretation []string `json:"interpretation,omitempty"`
	Note           string   `json:"note,omitempty"`

	// Set by Service.SaveReport:

	// Applied is the reference range the result was read against: the
	// sender's, else the service's table for the patient's sex and age.
	Applied *ReferenceRange `json:"applied,omitempty"`
	// Computed is the flag Interpret gives ("" when it gives none). It fills
	// the chart observation's interpretation only when the sender gave none.
	Computed string `json:"computed,omitempty"`
	// Disagrees is true when the sender's flags do not include Computed: the
	// sender's flags are kept, and the disagreement is shown.
	Disagrees bool   `json:"disagrees,omitempty"`
	Delta     *Delta `json:"delta,omitempty"`
}

// Flag returns the result's flag as the chart shows it: the sender's first
// flag, else the computed one.
func (r Result) Flag() string {
	if len(r.Interpretation) > 0 {
		return r.Interpretation[0]
	}
	return r.Computed
}

// Critical reports whether the result is critical: the sender flagged it
// LL, HH or AA, or, with no sender flag, the computed flag is one of them.
func (r Result) Critical() bool {
	return slices.ContainsFunc(r.Interpretation, IsCritical) || len(r.Interpretation) == 0 && IsCritical(r.Computed)
}

// LOINC returns the result's LOINC code, or "".
func (r Result) LOINC() string { return r.Code.CodeIn(ehrkit.SystemLOINC) }

var resultStatuses = []clinical.ObservationStatus{clinical.ObservationRegistered, clinical.ObservationPreliminary,
	clinical.ObservationFinal, clinical.ObservationAmended, clinical.ObservationCorrected, clinical.ObservationCancelled,
	clinical.ObservationEnteredInError}

func (r *Result) validate() error {
	var is ehrkit.Issues
	is.Required("status", r.Status != "")
	is.Check(r.Status == "" || slices.Contains(resultStatuses, r.Status), "status", ehrkit.IssueCodeInvalid, "unknown code")
	is.Merge("code", r.Code.Validate())
	is.Check(r.LOINC() != "", "code", ehrkit.IssueCodeInvalid, "a result needs a LOINC code")
	typ := r.Type
	if typ == "" {
		typ = TypeOf(r.Value)
	}
	allowed, known := kinds[typ]
	switch {
	case r.Type != "" && !known:
		is.Add("type", ehrkit.IssueCodeInvalid, "unknown value type")
	case typ == TypeEncoded:
		is.Check(r.Attachment != nil, "attachment", ehrkit.IssueRequired, "an ED result has an attachment")
		is.Check(r.Value.IsZero(), "value", ehrkit.IssueInvariant, "an ED result has no other value")
	case !r.Value.IsZero():
		is.Check(!known || slices.Contains(allowed, r.Value.Kind), "value.kind", ehrkit.IssueValue, "does not fit value type %s", typ)
		is.Check(typ != TypeNumeric || r.Value.Quantity.Comparator == "", "value.quantity.comparator", ehrkit.IssueValue, "an NM value has no comparator")
		is.Merge("value", r.Value.Validate())
	default:
		is.Check(r.DataAbsentReason != "" || r.Status == clinical.ObservationCancelled || r.Status == clinical.ObservationEnteredInError,
			"value", ehrkit.IssueRequired, "needs a value or a data-absent reason")
	}
	if r.Attachment != nil {
		is.Merge("attachment", r.Attachment.validate())
	}
	for i, p := range r.Performer {
		is.Check(p.Type == "Practitioner" || p.Type == "Organization" || p.Type == "PractitionerRole", ehrkit.Index("performer", i), ehrkit.IssueValue, "a performer is a Practitioner or an Organization")
	}
	return is.Err()
}

// ReportStatus is the FHIR DiagnosticReport status.
type ReportStatus string

// Report statuses (FHIR diagnostic-report-status).
const (
	ReportRegistered     ReportStatus = "registered"
	ReportPartial        ReportStatus = "partial"
	ReportPreliminary    ReportStatus = "preliminary"
	ReportFinal          ReportStatus = "final"
	ReportAmended        ReportStatus = "amended"
	ReportCorrected      ReportStatus = "corrected"
	ReportAppended       ReportStatus = "appended"
	ReportCancelled      ReportStatus = "cancelled"
	ReportEnteredInError ReportStatus = "entered-in-error"
)

var reportStatuses = []ReportStatus{ReportRegistered, ReportPartial, ReportPreliminary, ReportFinal, ReportAmended,
	ReportCorrected, ReportAppended, ReportCancelled, ReportEnteredInError}

// Report is a laboratory report (FHIR DiagnosticReport, the OBR group of an
// HL7 v2 ORU^R01): the results of one order, matched to it by the placer
// order number ehrkit gave (the rx order id) or, for a later report of the
// same order, the filler number the lab gave.
type Report struct {
	ID        string                 `json:"id"`
	Patient   patient.ID             `json:"patient"`
	Encounter string                 `json:"encounter,omitempty"`
	Status    ReportStatus           `json:"status"`
	Category  []string               `json:"category,omitempty"` // v2-0074 section codes ("LAB", "HM", "CH")
	Code      ehrkit.CodeableConcept `json:"code"`
	Effective time.Time              `json:"effective"`
	Issued    time.Time              `json:"issued,omitzero"`
	// Placer and Filler are the order numbers (ORC-2/OBR-2, ORC-3/OBR-3).
	Placer string `json:"placer,omitempty"`
	Filler string `json:"filler,omitempty"`
	// Requester is the ordering clinician's Practitioner id: the order's,
	// else as sent.
	Requester string             `json:"requester,omitempty"`
	Performer []ehrkit.Reference `json:"performer,omitempty"`
	Specimen  *Specimen          `json:"specimen,omitempty"`
	Results   []Result           `json:"results,omitempty"`
	// Observations are ids of result observations of the chart the report
	// groups beyond its Results (a FHIR DiagnosticReport names them by
	// reference); SaveReport adds the ids of Results.
	Observations  []string     `json:"observations,omitempty"`
	PresentedForm []Attachment `json:"presentedForm,omitempty"`
	Conclusion    string       `json:"conclusion,omitempty"`

	// Set by Service.SaveReport:

	// Order is the id of the ehrkit order the report answers, "" when none.
	Order string `json:"order,omitempty"`
	// Unsolicited is true when the report matches no order ehrkit placed: it
	// is kept and flagged.
	Unsolicited bool `json:"unsolicited,omitempty"`
}

// Validate checks the report and each result, naming every problem.
func (r *Report) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", r.Patient != "")
	is.Required("status", r.Status != "")
	is.Check(r.Status == "" || slices.Contains(reportStatuses, r.Status), "status", ehrkit.IssueCodeInvalid, "unknown code")
	is.Merge("code", r.Code.Validate())
	is.Check(!r.Code.IsZero(), "code", ehrkit.IssueRequired, "is required")
	is.Required("effective", !r.Effective.IsZero())
	ids := map[string]bool{}
	for i, res := range r.Results {
		p := ehrkit.Index("results", i)
		is.Merge(p, res.validate())
		is.Check(!ids[res.ID], p+".id", ehrkit.IssueDuplicate, "another result has this id")
		ids[res.ID] = true
	}
	for i, a := range r.PresentedForm {
		is.Merge(ehrkit.Index("presentedForm", i), a.validate())
	}
	for i, p := range r.Performer {
		is.Check(p.Type == "Practitioner" || p.Type == "Organization" || p.Type == "PractitionerRole", ehrkit.Index("performer", i), ehrkit.IssueValue, "a performer is a Practitioner or an Organization")
	}
	return is.Err()
}
