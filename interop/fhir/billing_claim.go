package fhir

import (
	"cmp"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// ---- Claim
//
// A FHIR Claim is a billing.Claim, saved through
// (*billing.Service).SaveClaim. Status draft is a draft claim and active a
// submitted one (a claim a payer has); the type is the claim-type code,
// professional being the default (billing.Claim.Type empty). The focal
// insurance's coverage display is the payer; each item is a charge: its
// first productOrService coding, modifiers, servicedDate or
// servicedPeriod.start (else billablePeriod.start), place of service
// (locationCodeableConcept), quantity (1 when absent), unitPrice (else
// net / quantity), diagnosisSequence; diagnoses are kept when every one is
// a code (a diagnosisReference to a Condition is not). What FHIR's Claim has
// no element for (the lifecycle status, the payments posted, the NPIs, the
// member id, the institutional facts, the submission and acknowledgements)
// travels in the ehrkit claim-state extension, so a claim exports and
// imports back equal. provider is exported as the billing NPI, created as
// the first date of service (a claim without charges: its last write).

const (
	extClaimState      = "https://ehrkit.dev/fhir/StructureDefinition/claim-state"
	systemClaimType    = "http://terminology.hl7.org/CodeSystem/claim-type"
	systemPriority     = "http://terminology.hl7.org/CodeSystem/processpriority"
	systemServicePlace = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
)

// fMoney is a FHIR Money.
type fMoney struct {
	Value    json.Number `json:"value,omitempty"`
	Currency string      `json:"currency,omitempty"`
}

// fBillingRef is a FHIR Reference that may carry a logical identifier.
type fBillingRef struct {
	Reference  string       `json:"reference,omitempty"`
	Identifier *fIdentifier `json:"identifier,omitempty"`
	Display    string       `json:"display,omitempty"`
}

type fClaim struct {
	ResourceType   string            `json:"resourceType"`
	ID             string            `json:"id,omitempty"`
	Extension      []fExtension      `json:"extension,omitempty"`
	Status         string            `json:"status"`
	Type           *fConcept         `json:"type"`
	Use            string            `json:"use"`
	Patient        *fReference       `json:"patient"`
	BillablePeriod *fPeriod          `json:"billablePeriod,omitempty"`
	Created        string            `json:"created"`
	Provider       *fBillingRef      `json:"provider"`
	Priority       *fConcept         `json:"priority"`
	Diagnosis      []fClaimDiagnosis `json:"diagnosis,omitempty"`
	Insurance      []fClaimInsurance `json:"insurance"`
	Item           []fClaimItem      `json:"item,omitempty"`
	Total          *fMoney           `json:"total,omitempty"`
}

type fClaimDiagnosis struct {
	Sequence                 int         `json:"sequence"`
	DiagnosisCodeableConcept *fConcept   `json:"diagnosisCodeableConcept,omitempty"`
	DiagnosisReference       *fReference `json:"diagnosisReference,omitempty"`
}

type fClaimInsurance struct {
	Sequence int          `json:"sequence"`
	Focal    bool         `json:"focal"`
	Coverage *fBillingRef `json:"coverage"`
}

type fClaimItem struct {
	Sequence                int        `json:"sequence"`
	DiagnosisSequence       []int      `json:"diagnosisSequence,omitempty"`
	ProductOrService        *fConcept  `json:"productOrService"`
	Modifier                []fConcept `json:"modifier,omitempty"`
	ServicedDate            string     `json:"servicedDate,omitempty"`
	ServicedPeriod          *fPeriod   `json:"servicedPeriod,omitempty"`
	LocationCodeableConcept *fConcept  `json:"locationCodeableConcept,omitempty"`
	Quantity                *fQuantity `json:"quantity,omitempty"`
	UnitPrice               *fMoney    `json:"unitPrice,omitempty"`
	Net                     *fMoney    `json:"net,omitempty"`
}

// claimState is what a claim holds beyond FHIR's Claim elements.
type claimState struct {
	Status billing.ClaimStatus `json:"status,omitempty"`
	// NoPayer marks a claim to no payer yet (its insurance is exported as
	// "none", FHIR requiring one).
	NoPayer            bool                      `json:"noPayer,omitempty"`
	MemberID           string                    `json:"memberId,omitempty"`
	BillingNPI         string                    `json:"billingNpi,omitempty"`
	BillingTaxID       string                    `json:"billingTaxId,omitempty"`
	RenderingNPI       string                    `json:"renderingNpi,omitempty"`
	ReferringNPI       string                    `json:"referringNpi,omitempty"`
	ReferralRequired   bool                      `json:"referralRequired,omitempty"`
	ServiceFacilityNPI string                    `json:"serviceFacilityNpi,omitempty"`
	PlaceOfService     string                    `json:"placeOfService,omitempty"`
	Facility           *billing.FacilityClaim    `json:"facility,omitempty"`
	LineNPIs           []string                  `json:"lineNpis,omitempty"`
	RevenueCodes       []string                  `json:"revenueCodes,omitempty"`
	Payments           []billing.Payment         `json:"payments,omitempty"`
	Submission         *billing.SubmissionRef    `json:"submission,omitempty"`
	Acknowledgements   []billing.Acknowledgement `json:"acknowledgements,omitempty"`
}

// toMoney reads a FHIR Money exactly; currency, when the Money has none.
func toMoney(m *fMoney, currency string) (billing.Money, error) {
	if m == nil || m.Value == "" {
		return billing.Money{Amount: decimal.Zero, Currency: currency}, nil
	}
	d, err := decimal.NewFromString(string(m.Value))
	if err != nil {
		return billing.Money{}, fmt.Errorf("%w: malformed decimal", ehrkit.ErrInvalid)
	}
	return billing.Money{Amount: d, Currency: cmp.Or(m.Currency, currency)}, nil
}

func fromMoney(m billing.Money) *fMoney {
	return &fMoney{Value: decimalNumber(m.Amount), Currency: m.Currency}
}

func firstCoding(c *fConcept) ehrkit.Coding {
	if c == nil || len(c.Coding) == 0 {
		return ehrkit.Coding{}
	}
	return toCoding(c.Coding[0])
}

// claimCurrency is the currency of the claim's total, else of its first
// priced item.
func claimCurrency(f *fClaim) string {
	if f.Total != nil && f.Total.Currency != "" {
		return f.Total.Currency
	}
	for _, it := range f.Item {
		for _, m := range []*fMoney{it.Net, it.UnitPrice} {
			if m != nil && m.Currency != "" {
				return m.Currency
			}
		}
	}
	return ""
}

func claimFrom(f *fClaim, id string, rs *Refs) (billing.Claim, error) {
	c := billing.Claim{ID: id, Patient: string(subjectOf(f.Patient, rs)), Currency: claimCurrency(f)}
	var st claimState
	if err := readExtension(f.Extension, extClaimState, &st); err != nil {
		return c, err
	}
	var v ehrkit.Issues
	switch f.Status {
	case "draft":
		c.Status = billing.ClaimDraft
	case "active":
		c.Status = billing.ClaimSubmitted
	default:
		v.Add("status", ehrkit.IssueCodeInvalid, "ehrkit keeps draft and active claims")
	}
	c.Status = cmp.Or(st.Status, c.Status)
	if c.Type = firstCoding(f.Type).Code; c.Type == billing.Professional {
		c.Type = ""
	}
	for _, in := range f.Insurance {
		if in.Focal && in.Coverage != nil {
			c.Payer = in.Coverage.Display
		}
	}
	coded := true
	for _, d := range f.Diagnosis {
		if d.DiagnosisCodeableConcept == nil {
			coded = false
			break
		}
		c.Diagnoses = append(c.Diagnoses, firstCoding(d.DiagnosisCodeableConcept))
	}
	if !coded {
		c.Diagnoses = nil
	}
	if st.NoPayer {
		c.Payer = ""
	}
	billable, err := toPeriod(f.BillablePeriod)
	if err != nil {
		return c, err
	}
	for i, it := range f.Item {
		p := ehrkit.Index("item", i)
		ch := billing.Charge{Procedure: firstCoding(it.ProductOrService), Units: decimal.NewFromInt(1), ServiceDate: billable.Start,
			PlaceOfService: firstCoding(it.LocationCodeableConcept).Code}
		for _, m := range it.Modifier {
			ch.Modifiers = append(ch.Modifiers, firstCoding(&m).Code)
		}
		if coded {
			ch.DiagnosisPointers = it.DiagnosisSequence
		}
		if it.Quantity != nil && it.Quantity.Value != "" {
			q, err := toQuantity(it.Quantity)
			if err != nil {
				return c, err
			}
			ch.Units = q.Value
		}
		served, err := parseDateTime(it.ServicedDate)
		if err != nil {
			return c, err
		}
		if sp, err := toPeriod(it.ServicedPeriod); err != nil {
			return c, err
		} else if !sp.Start.IsZero() {
			served = sp.Start
		}
		if !served.IsZero() {
			ch.ServiceDate = served
		}
		switch {
		case it.UnitPrice != nil:
			ch.UnitFee, err = toMoney(it.UnitPrice, c.Currency)
		case it.Net != nil && ch.Units.IsPositive():
			ch.UnitFee, err = toMoney(it.Net, c.Currency)
			ch.UnitFee.Amount = ch.UnitFee.Amount.Div(ch.Units)
		default:
			ch.UnitFee, err = toMoney(nil, c.Currency)
		}
		if err != nil {
			return c, err
		}
		if i < len(st.LineNPIs) {
			ch.RenderingNPI = st.LineNPIs[i]
		}
		if i < len(st.RevenueCodes) {
			ch.RevenueCode = st.RevenueCodes[i]
		}
		v.Check(ch.Procedure.Code != "" || ch.RevenueCode != "", ehrkit.JoinPath(p, "productOrService"), ehrkit.IssueRequired, "a coded product or service")
		c.Charges = append(c.Charges, ch)
	}
	c.MemberID, c.BillingNPI, c.BillingTaxID, c.RenderingNPI, c.ReferringNPI = st.MemberID, st.BillingNPI, st.BillingTaxID, st.RenderingNPI, st.ReferringNPI
	c.ReferralRequired, c.ServiceFacilityNPI, c.PlaceOfService, c.Facility = st.ReferralRequired, st.ServiceFacilityNPI, st.PlaceOfService, st.Facility
	c.Payments, c.Submission, c.Acknowledgements = st.Payments, st.Submission, st.Acknowledgements
	v.Required("total.currency", c.Currency != "")
	return c, v.Err()
}

func claimTo(c *billing.Claim) (fClaim, error) {
	st := claimState{Status: c.Status, MemberID: c.MemberID, BillingNPI: c.BillingNPI, BillingTaxID: c.BillingTaxID, RenderingNPI: c.RenderingNPI,
		ReferringNPI: c.ReferringNPI, ReferralRequired: c.ReferralRequired, ServiceFacilityNPI: c.ServiceFacilityNPI, PlaceOfService: c.PlaceOfService,
		Facility: c.Facility, Payments: c.Payments, Submission: c.Submission, Acknowledgements: c.Acknowledgements, NoPayer: c.Payer == ""}
	status := "active"
	if c.Status == billing.ClaimDraft {
		status = "draft"
	}
	f := fClaim{ResourceType: billing.ClaimType, ID: c.ID, Status: status, Use: "claim", Patient: patientRef(patient.ID(c.Patient)),
		Type:      &fConcept{Coding: []fCoding{{System: systemClaimType, Code: cmp.Or(c.Type, billing.Professional)}}},
		Priority:  &fConcept{Coding: []fCoding{{System: systemPriority, Code: "normal"}}},
		Created:   formatDateTime(c.ServiceDate()),
		Provider:  &fBillingRef{Display: "billing provider"},
		Insurance: []fClaimInsurance{{Sequence: 1, Focal: true, Coverage: &fBillingRef{Display: cmp.Or(c.Payer, "none")}}}}
	if c.BillingNPI != "" {
		f.Provider = &fBillingRef{Identifier: &fIdentifier{System: ehrkit.SystemNPI, Value: c.BillingNPI}}
	}
	for i, d := range c.Diagnoses {
		f.Diagnosis = append(f.Diagnosis, fClaimDiagnosis{Sequence: i + 1, DiagnosisCodeableConcept: &fConcept{Coding: []fCoding{fromCoding(d)}}})
	}
	lineNPIs, revenue := false, false
	for i, ch := range c.Charges {
		it := fClaimItem{Sequence: i + 1, DiagnosisSequence: ch.DiagnosisPointers, ServicedPeriod: &fPeriod{Start: formatDateTime(ch.ServiceDate)},
			Quantity: &fQuantity{Value: decimalNumber(ch.Units)}, UnitPrice: fromMoney(ch.UnitFee), Net: fromMoney(ch.Amount())}
		it.ProductOrService = &fConcept{Coding: []fCoding{fromCoding(ch.Procedure)}}
		if ch.Procedure.Code == "" {
			it.ProductOrService = &fConcept{Text: "revenue code " + ch.RevenueCode}
		}
		for _, m := range ch.Modifiers {
			it.Modifier = append(it.Modifier, fConcept{Coding: []fCoding{{Code: m}}})
		}
		if ch.PlaceOfService != "" {
			it.LocationCodeableConcept = &fConcept{Coding: []fCoding{{System: systemServicePlace, Code: ch.PlaceOfService}}}
		}
		st.LineNPIs, st.RevenueCodes = append(st.LineNPIs, ch.RenderingNPI), append(st.RevenueCodes, ch.RevenueCode)
		lineNPIs, revenue = lineNPIs || ch.RenderingNPI != "", revenue || ch.RevenueCode != ""
		f.Item = append(f.Item, it)
	}
	if !lineNPIs {
		st.LineNPIs = nil
	}
	if !revenue {
		st.RevenueCodes = nil
	}
	if total, err := c.Total(); err == nil {
		f.Total = fromMoney(total)
	}
	var err error
	f.Extension, err = jsonExtension(extClaimState, st)
	return f, err
}

// claimMapping is the typed mapping of claims, whose export dates a claim
// without charges (created is required) by its record's last write.
type claimMapping struct{ typed[billing.Claim, fClaim] }

// Export renders a stored claim.
func (m claimMapping) Export(rec storage.Record) ([]byte, error) {
	c, err := m.view.Decode(rec)
	if err != nil {
		return nil, err
	}
	f, err := claimTo(&c)
	if err != nil {
		return nil, err
	}
	f.Created = cmp.Or(f.Created, formatDateTime(rec.Updated))
	return json.Marshal(f)
}

func init() {
	register(claimMapping{typed[billing.Claim, fClaim]{view: billing.ClaimRecords, save: via(billingSvc, (*billing.Service).SaveClaim), from: claimFrom, to: claimTo,
		elements: []string{"extension", "status", "type", "use", "patient", "billablePeriod", "insurance", "diagnosis", "item", "total"}}})
}
