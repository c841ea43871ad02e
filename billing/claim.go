package billing

import (
	"fmt"
	"regexp"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
)

// Charge is one billed service line: a CPT or HCPCS Level II procedure with
// its modifiers and units, the diagnoses it treats (pointers into the claim's
// diagnosis list), where and by whom it was rendered, and its unit fee.
type Charge struct {
	Procedure         ehrkit.Coding   `json:"procedure"` // system ehrkit.SystemCPT or ehrkit.SystemHCPCS
	Modifiers         []string        `json:"modifiers,omitempty"`
	Units             decimal.Decimal `json:"units"`
	UnitFee           Money           `json:"unitFee"`
	DiagnosisPointers []int           `json:"diagnosisPointers"` // 1-based into Claim.Diagnoses, at most 4
	ServiceDate       time.Time       `json:"serviceDate"`
	PlaceOfService    string          `json:"placeOfService,omitempty"` // CMS place-of-service code; the claim's when empty
	RenderingNPI      string          `json:"renderingNpi,omitempty"`   // the claim's when empty
	// RevenueCode is the NUBC revenue code of an institutional line
	// (4 digits, e.g. 0305 laboratory hematology); the procedure is then
	// optional.
	RevenueCode string `json:"revenueCode,omitempty"`
}

// Amount is the line charge: unit fee times units, rounded by the package's
// rule ([Money.Round]).
func (c Charge) Amount() Money { return c.UnitFee.Mul(c.Units).Round() }

// ClaimStatus is a claim's place in its lifecycle.
type ClaimStatus string

// The claim lifecycle: draft → validated → submitted → accepted / rejected →
// paid / denied → appealed. A rejected claim is corrected as a draft again;
// an appealed claim is paid or denied again.
const (
	ClaimDraft     ClaimStatus = "draft"
	ClaimValidated ClaimStatus = "validated"
	ClaimSubmitted ClaimStatus = "submitted"
	ClaimAccepted  ClaimStatus = "accepted"
	ClaimRejected  ClaimStatus = "rejected"
	ClaimPaid      ClaimStatus = "paid"
	ClaimDenied    ClaimStatus = "denied"
	ClaimAppealed  ClaimStatus = "appealed"
)

var transitions = map[ClaimStatus][]ClaimStatus{
	ClaimDraft:     {ClaimValidated},
	ClaimValidated: {ClaimDraft, ClaimSubmitted},
	ClaimSubmitted: {ClaimAccepted, ClaimRejected},
	ClaimAccepted:  {ClaimPaid, ClaimDenied},
	ClaimRejected:  {ClaimDraft},
	ClaimDenied:    {ClaimAppealed},
	ClaimAppealed:  {ClaimPaid, ClaimDenied},
	ClaimPaid:      nil,
}

// CanTransition reports whether a claim may move from one status to another.
func CanTransition(from, to ClaimStatus) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Claim types (FHIR claim-type codes): a professional claim (837P, CMS-1500)
// or an institutional one (837I, UB-04).
const (
	Professional  = "professional"
	Institutional = "institutional"
)

// Claim is a claim to one payer for one patient: professional unless Type
// says institutional, when Facility carries the institutional facts.
type Claim struct {
	ID      string      `json:"id"`
	Patient string      `json:"patient"` // patient id
	Status  ClaimStatus `json:"status"`
	// Type is Professional (when empty) or Institutional, the claim types
	// ehrkit submits; an imported claim keeps another FHIR claim-type code
	// (pharmacy, oral, vision) as sent, which Scrub refuses.
	Type               string          `json:"type,omitempty"`
	Facility           *FacilityClaim  `json:"facility,omitempty"`
	Currency           string          `json:"currency"`
	Payer              string          `json:"payer"` // payer id (X12 NM109 of loop 2010BB)
	MemberID           string          `json:"memberId"`
	BillingNPI         string          `json:"billingNpi"`
	BillingTaxID       string          `json:"billingTaxId"`
	RenderingNPI       string          `json:"renderingNpi,omitempty"`
	ReferringNPI       string          `json:"referringNpi,omitempty"`
	ReferralRequired   bool            `json:"referralRequired,omitempty"` // the payer requires a referring provider
	ServiceFacilityNPI string          `json:"serviceFacilityNpi,omitempty"`
	PlaceOfService     string          `json:"placeOfService"`
	Diagnoses          []ehrkit.Coding `json:"diagnoses"` // ICD-10-CM, at most 12 (X12 HI)
	Charges            []Charge        `json:"charges"`
	Payments           []Payment       `json:"payments,omitempty"`
	// Submission is the transmission the claim left in (Service.Submit).
	Submission       *SubmissionRef    `json:"submission,omitempty"`
	Acknowledgements []Acknowledgement `json:"acknowledgements,omitempty"`
	// Invoice is the number of the open invoice (draft or issued) that bills
	// the patient's share of the claim; the billing service sets and clears
	// it (Service.CreateInvoice).
	Invoice string `json:"invoice,omitempty"`
}

// FacilityClaim is what an institutional claim carries beyond a
// professional one (837I, 005010X223A3).
type FacilityClaim struct {
	// BillType is the NUBC type of bill without its leading zero: facility
	// type, care classification and frequency ("131": hospital outpatient,
	// admit through discharge claim). CLM05 carries its parts.
	BillType      string    `json:"billType"`
	StatementFrom time.Time `json:"statementFrom"` // DTP*434
	StatementTo   time.Time `json:"statementTo"`
	// AdmissionType (CL1-1, NUBC priority of admission), AdmissionSource
	// (CL1-2, point of origin) and PatientStatus (CL1-3, discharge status).
	AdmissionType   string `json:"admissionType,omitempty"`
	AdmissionSource string `json:"admissionSource,omitempty"`
	PatientStatus   string `json:"patientStatus"`
	AttendingNPI    string `json:"attendingNpi"` // loop 2310A
}

// IsInstitutional reports whether the claim is an institutional one.
func (c Claim) IsInstitutional() bool { return c.Type == Institutional }

// Total is the sum of the line charges.
func (c Claim) Total() (Money, error) {
	lines := make([]Money, len(c.Charges))
	for i, ch := range c.Charges {
		lines[i] = ch.Amount()
	}
	return Sum(c.Currency, lines...)
}

var (
	modifierRe = regexp.MustCompile(`^[0-9A-Z]{2}$`)
	posRe      = regexp.MustCompile(`^[0-9]{2}$`)
	billTypeRe = regexp.MustCompile(`^[1-9][0-9][0-9A-Z]$`)
	revenueRe  = regexp.MustCompile(`^[0-9]{4}$`)
	taxIDRe    = regexp.MustCompile(`^[0-9]{9}$`)
)

// Scrub lists every problem that would make a payer reject the claim, as one
// *ehrkit.ValidationError (nil when the claim is clean): missing or invalid
// NPIs, diagnoses that are not ICD-10-CM, procedure codes that are neither
// CPT nor HCPCS, diagnosis pointers out of range, a missing referring
// provider the payer requires, a service facility written needlessly (equal
// to the billing provider), units that are not positive and fees in another
// currency. Limits follow the 837P guide (005010X222A2): 12 diagnoses (HI),
// 4 pointers (SV107), 4 modifiers (SV101-3..6), 50 service lines (loop 2400).
// An institutional claim (837I, 005010X223A3) needs its facility part
// instead of a place of service: a type of bill, statement dates, a patient
// status and an attending NPI; its lines need a NUBC revenue code, and may
// have no procedure and no diagnosis pointers.
func Scrub(c Claim) error {
	var v ehrkit.Issues
	v.Required("patient", c.Patient != "")
	v.Required("payer", c.Payer != "")
	v.Required("memberId", c.MemberID != "")
	if _, err := NewMoney(decimal.Zero, c.Currency); err != nil {
		v.Add("currency", ehrkit.IssueCodeInvalid, "not an ISO 4217 currency code")
	}
	npi := func(path, value string, required bool) {
		switch {
		case value == "":
			v.Required(path, !required)
		case !ehrkit.ValidNPI(value):
			v.Add(path, ehrkit.IssueCodeInvalid, "not a valid NPI (Luhn check digit)")
		}
	}
	npi("billingNpi", c.BillingNPI, true)
	npi("renderingNpi", c.RenderingNPI, false)
	npi("referringNpi", c.ReferringNPI, c.ReferralRequired)
	npi("serviceFacilityNpi", c.ServiceFacilityNPI, false)
	v.Check(c.ServiceFacilityNPI == "" || c.ServiceFacilityNPI != c.BillingNPI, "serviceFacilityNpi",
		ehrkit.IssueBusinessRule, "service facility equals the billing provider: leave it out (loop 2310C is written only when they differ)")
	v.Check(taxIDRe.MatchString(c.BillingTaxID), "billingTaxId", ehrkit.IssueValue, "must be a 9-digit EIN")
	switch c.Type {
	case "", Professional:
		v.Check(posRe.MatchString(c.PlaceOfService), "placeOfService", ehrkit.IssueCodeInvalid, "must be a two-digit CMS place-of-service code")
	case Institutional:
		scrubFacility(&v, c.Facility, npi)
	default:
		v.Add("type", ehrkit.IssueCodeInvalid, "not a claim type")
	}

	v.Check(len(c.Diagnoses) > 0, "diagnoses", ehrkit.IssueRequired, "at least one diagnosis is required")
	v.Check(len(c.Diagnoses) <= 12, "diagnoses", ehrkit.IssueTooLong, "at most 12 diagnoses")
	for i, d := range c.Diagnoses {
		p := ehrkit.Index("diagnoses", i)
		if d.System != ehrkit.SystemICD10CM {
			v.Add(ehrkit.JoinPath(p, "system"), ehrkit.IssueCodeInvalid, "diagnoses must be ICD-10-CM")
		}
		v.Merge(p, ehrkit.CheckCode(ehrkit.SystemICD10CM, d.Code))
	}
	v.Check(len(c.Charges) > 0, "charges", ehrkit.IssueRequired, "at least one charge is required")
	v.Check(len(c.Charges) <= 50, "charges", ehrkit.IssueTooLong, "at most 50 service lines")
	for i, ch := range c.Charges {
		scrubCharge(&v, ehrkit.Index("charges", i), ch, c)
	}
	return v.Err()
}

// scrubFacility checks the institutional part of a claim (837I,
// 005010X223A3): the type of bill (CLM05), statement dates (DTP*434),
// discharge status (CL1-3) and the attending provider (loop 2310A).
func scrubFacility(v *ehrkit.Issues, f *FacilityClaim, npi func(path, value string, required bool)) {
	if f == nil {
		v.Add("facility", ehrkit.IssueRequired, "an institutional claim needs its facility part")
		return
	}
	v.Check(billTypeRe.MatchString(f.BillType), "facility.billType", ehrkit.IssueCodeInvalid, "must be a three-character NUBC type of bill (facility, classification, frequency)")
	v.Check(!f.StatementFrom.IsZero(), "facility.statementFrom", ehrkit.IssueRequired, "is required")
	v.Check(!f.StatementTo.Before(f.StatementFrom), "facility.statementTo", ehrkit.IssueInvariant, "ends before the statement starts")
	v.Check(len(f.PatientStatus) == 2, "facility.patientStatus", ehrkit.IssueCodeInvalid, "must be a two-digit NUBC patient status")
	npi("facility.attendingNpi", f.AttendingNPI, true)
}

func scrubCharge(v *ehrkit.Issues, p string, ch Charge, c Claim) {
	proc := ehrkit.JoinPath(p, "procedure")
	if c.IsInstitutional() {
		v.Check(revenueRe.MatchString(ch.RevenueCode), ehrkit.JoinPath(p, "revenueCode"), ehrkit.IssueCodeInvalid, "an institutional line needs a four-digit NUBC revenue code")
	}
	switch ch.Procedure.System {
	case "":
		v.Check(c.IsInstitutional() && ch.Procedure.Code == "", ehrkit.JoinPath(proc, "system"), ehrkit.IssueCodeInvalid, "procedures must be CPT or HCPCS")
	case ehrkit.SystemCPT, ehrkit.SystemHCPCS:
		v.Merge(proc, ehrkit.CheckCode(ch.Procedure.System, ch.Procedure.Code))
	default:
		v.Add(ehrkit.JoinPath(proc, "system"), ehrkit.IssueCodeInvalid, "procedures must be CPT or HCPCS")
	}
	checkService(v, p, ch, c.Currency)
	ptrs := ehrkit.JoinPath(p, "diagnosisPointers")
	v.Check(len(ch.DiagnosisPointers) > 0 || c.IsInstitutional(), ptrs, ehrkit.IssueRequired, "at least one diagnosis pointer is required")
	v.Check(len(ch.DiagnosisPointers) <= 4, ptrs, ehrkit.IssueTooLong, "at most 4 diagnosis pointers")
	for j, ptr := range ch.DiagnosisPointers {
		v.Check(ptr >= 1 && ptr <= len(c.Diagnoses), ehrkit.Index(ptrs, j), ehrkit.IssueValue,
			"%s", fmt.Sprintf("points outside the claim's %d diagnoses", len(c.Diagnoses)))
	}
	if ch.PlaceOfService != "" {
		v.Check(posRe.MatchString(ch.PlaceOfService), ehrkit.JoinPath(p, "placeOfService"), ehrkit.IssueCodeInvalid, "must be a two-digit CMS place-of-service code")
	}
	if ch.RenderingNPI != "" && !ehrkit.ValidNPI(ch.RenderingNPI) {
		v.Add(ehrkit.JoinPath(p, "renderingNpi"), ehrkit.IssueCodeInvalid, "not a valid NPI (Luhn check digit)")
	}
}

// checkService checks what every charge needs, on a claim or billed to the
// patient alone: its modifiers, positive units, a fee in the currency and a
// date of service.
func checkService(v *ehrkit.Issues, p string, ch Charge, currency string) {
	v.Check(len(ch.Modifiers) <= 4, ehrkit.JoinPath(p, "modifiers"), ehrkit.IssueTooLong, "at most 4 modifiers")
	for j, m := range ch.Modifiers {
		v.Check(modifierRe.MatchString(m), ehrkit.Index(ehrkit.JoinPath(p, "modifiers"), j), ehrkit.IssueCodeInvalid, "a modifier is two letters or digits")
	}
	v.Check(ch.Units.IsPositive(), ehrkit.JoinPath(p, "units"), ehrkit.IssueValue, "units must be positive")
	v.Check(ch.UnitFee.Currency == currency, ehrkit.JoinPath(p, "unitFee"), ehrkit.IssueValue, "fee is in another currency")
	v.Check(!ch.UnitFee.Amount.IsNegative(), ehrkit.JoinPath(p, "unitFee"), ehrkit.IssueValue, "fee must not be negative")
	v.Check(!ch.ServiceDate.IsZero(), ehrkit.JoinPath(p, "serviceDate"), ehrkit.IssueRequired, "is required")
}
