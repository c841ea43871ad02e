package fhir

import (
	"cmp"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	clpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/claim_go_proto"
	"google.golang.org/protobuf/proto"
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

// readMoney reads a FHIR Money exactly; currency, when the Money has none.
func readMoney(m *dtpb.Money, currency string) (billing.Money, error) {
	if m.GetValue() == nil {
		return billing.Money{Amount: decimal.Zero, Currency: currency}, nil
	}
	d, err := decimal.NewFromString(m.GetValue().GetValue())
	if err != nil {
		return billing.Money{}, fmt.Errorf("%w: malformed decimal", ehrkit.ErrInvalid)
	}
	return billing.Money{Amount: d, Currency: cmp.Or(m.GetCurrency().GetValue(), currency)}, nil
}

// pbMoney is the Money message of m, its amount with the decimals it has.
func pbMoney(m billing.Money) *dtpb.Money {
	out := &dtpb.Money{Value: &dtpb.Decimal{Value: decimalNumber(m.Amount)}}
	if m.Currency != "" {
		out.Currency = &dtpb.Money_CurrencyCode{Value: m.Currency}
	}
	return out
}

// readFirstCoding is the first coding of c, the zero coding for none.
func readFirstCoding(c *dtpb.CodeableConcept) ehrkit.Coding {
	if len(c.GetCoding()) == 0 {
		return ehrkit.Coding{}
	}
	return readCoding(c.GetCoding()[0])
}

// claimCurrency is the currency of the claim's total, else of its first
// priced item.
func claimCurrency(f *clpb.Claim) string {
	if c := f.GetTotal().GetCurrency().GetValue(); c != "" {
		return c
	}
	for _, it := range f.GetItem() {
		for _, m := range []*dtpb.Money{it.GetNet(), it.GetUnitPrice()} {
			if c := m.GetCurrency().GetValue(); c != "" {
				return c
			}
		}
	}
	return ""
}

func claimFrom(f *clpb.Claim, id string, rs *Refs) (billing.Claim, error) {
	c := billing.Claim{ID: id, Patient: string(readSubject(f.GetPatient(), rs)), Currency: claimCurrency(f)}
	var st claimState
	if err := readJSONExtension(f.GetExtension(), extClaimState, &st); err != nil {
		return c, err
	}
	var v ehrkit.Issues
	switch codeOf(f.GetStatus()) {
	case "draft":
		c.Status = billing.ClaimDraft
	case "active":
		c.Status = billing.ClaimSubmitted
	default:
		v.Add("status", ehrkit.IssueCodeInvalid, "ehrkit keeps draft and active claims")
	}
	c.Status = cmp.Or(st.Status, c.Status)
	if c.Type = readCode(f.GetType()); c.Type == billing.Professional {
		c.Type = ""
	}
	for _, in := range f.GetInsurance() {
		if in.GetFocal().GetValue() && in.GetCoverage() != nil {
			c.Payer = in.GetCoverage().GetDisplay().GetValue()
		}
	}
	coded := true
	for _, d := range f.GetDiagnosis() {
		cc := d.GetDiagnosis().GetCodeableConcept()
		if cc == nil {
			coded = false
			break
		}
		c.Diagnoses = append(c.Diagnoses, readFirstCoding(cc))
	}
	if !coded {
		c.Diagnoses = nil
	}
	if st.NoPayer {
		c.Payer = ""
	}
	billable := readPeriod(f.GetBillablePeriod())
	for i, it := range f.GetItem() {
		p := ehrkit.Index("item", i)
		ch := billing.Charge{Procedure: readFirstCoding(it.GetProductOrService()), Units: decimal.NewFromInt(1), ServiceDate: billable.Start,
			PlaceOfService: readCode(it.GetLocation().GetCodeableConcept())}
		for _, m := range it.GetModifier() {
			ch.Modifiers = append(ch.Modifiers, readCode(m))
		}
		if coded {
			ch.DiagnosisPointers = each(it.GetDiagnosisSequence(), func(n *dtpb.PositiveInt) int { return int(n.GetValue()) })
		}
		if it.GetQuantity().GetValue() != nil {
			q, err := readSimpleQuantity(it.GetQuantity())
			if err != nil {
				return c, err
			}
			ch.Units = q.Value
		}
		var served time.Time
		if d := it.GetServiced().GetDate(); d != nil {
			served = readDate(d).Start(time.UTC)
		}
		if sp := readPeriod(it.GetServiced().GetPeriod()); !sp.Start.IsZero() {
			served = sp.Start
		}
		if !served.IsZero() {
			ch.ServiceDate = served
		}
		var err error
		switch {
		case it.GetUnitPrice() != nil:
			ch.UnitFee, err = readMoney(it.GetUnitPrice(), c.Currency)
		case it.GetNet() != nil && ch.Units.IsPositive():
			ch.UnitFee, err = readMoney(it.GetNet(), c.Currency)
			ch.UnitFee.Amount = ch.UnitFee.Amount.Div(ch.Units)
		default:
			ch.UnitFee, err = readMoney(nil, c.Currency)
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

// positiveInt is the positiveInt message of n.
func positiveInt(n int) *dtpb.PositiveInt { return &dtpb.PositiveInt{Value: uint32(n)} }

func claimTo(c *billing.Claim) (*clpb.Claim, error) {
	st := claimState{Status: c.Status, MemberID: c.MemberID, BillingNPI: c.BillingNPI, BillingTaxID: c.BillingTaxID, RenderingNPI: c.RenderingNPI,
		ReferringNPI: c.ReferringNPI, ReferralRequired: c.ReferralRequired, ServiceFacilityNPI: c.ServiceFacilityNPI, PlaceOfService: c.PlaceOfService,
		Facility: c.Facility, Payments: c.Payments, Submission: c.Submission, Acknowledgements: c.Acknowledgements, NoPayer: c.Payer == ""}
	status := "active"
	if c.Status == billing.ClaimDraft {
		status = "draft"
	}
	var err error
	f := &clpb.Claim{Id: pbID(c.ID), Status: pbCode[*clpb.Claim_StatusCode](status, &err), Use: pbCode[*clpb.Claim_UseCode]("claim", &err),
		Patient: pbPatientRef(patient.ID(c.Patient)), Type: pbCoded(systemClaimType, cmp.Or(c.Type, billing.Professional)),
		Priority: pbCoded(systemPriority, "normal"), Created: pbDateTime(c.ServiceDate()),
		Provider: &dtpb.Reference{Display: str("billing provider")},
		Insurance: []*clpb.Claim_Insurance{{Sequence: positiveInt(1), Focal: pbBool(true),
			Coverage: &dtpb.Reference{Display: str(cmp.Or(c.Payer, "none"))}}}}
	if c.BillingNPI != "" {
		f.Provider = &dtpb.Reference{Identifier: &dtpb.Identifier{System: uri(ehrkit.SystemNPI), Value: str(c.BillingNPI)}}
	}
	for i, d := range c.Diagnoses {
		f.Diagnosis = append(f.Diagnosis, &clpb.Claim_Diagnosis{Sequence: positiveInt(i + 1), Diagnosis: &clpb.Claim_Diagnosis_DiagnosisX{
			Choice: &clpb.Claim_Diagnosis_DiagnosisX_CodeableConcept{CodeableConcept: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{pbCoding(d)}}}}})
	}
	lineNPIs, revenue := false, false
	for i, ch := range c.Charges {
		it := &clpb.Claim_Item{Sequence: positiveInt(i + 1), DiagnosisSequence: each(ch.DiagnosisPointers, positiveInt),
			Quantity: &dtpb.SimpleQuantity{Value: &dtpb.Decimal{Value: decimalNumber(ch.Units)}}, UnitPrice: pbMoney(ch.UnitFee), Net: pbMoney(ch.Amount())}
		if sp := pbPeriod(ehrkit.Period{Start: ch.ServiceDate}); sp != nil {
			it.Serviced = &clpb.Claim_Item_ServicedX{Choice: &clpb.Claim_Item_ServicedX_Period{Period: sp}}
		}
		it.ProductOrService = &dtpb.CodeableConcept{Coding: []*dtpb.Coding{pbCoding(ch.Procedure)}}
		if ch.Procedure.Code == "" {
			it.ProductOrService = &dtpb.CodeableConcept{Text: str("revenue code " + ch.RevenueCode)}
		}
		for _, m := range ch.Modifiers {
			it.Modifier = append(it.Modifier, &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{Code: pbCodeValue(m)}}})
		}
		if ch.PlaceOfService != "" {
			it.Location = &clpb.Claim_Item_LocationX{Choice: &clpb.Claim_Item_LocationX_CodeableConcept{CodeableConcept: pbCoded(systemServicePlace, ch.PlaceOfService)}}
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
	if total, terr := c.Total(); terr == nil {
		f.Total = pbMoney(total)
	}
	if err != nil {
		return nil, err
	}
	f.Extension, err = pbJSONExtension(extClaimState, st)
	return f, err
}

// claimMapping is the mapping of claims, whose export dates a claim
// without charges (created is required) by its record's last write.
type claimMapping struct {
	protoTyped[billing.Claim, *clpb.Claim]
}

// Export renders a stored claim.
func (m claimMapping) Export(rec storage.Record) ([]byte, error) { return exportRecord(m, rec) }

// message is the Claim of a stored claim, created at its record's last
// write when it has no charges.
func (m claimMapping) message(rec storage.Record) (proto.Message, error) {
	c, err := m.view.Decode(rec)
	if err != nil {
		return nil, err
	}
	f, err := claimTo(&c)
	if err != nil {
		return nil, err
	}
	if f.Created == nil {
		f.Created = pbDateTime(rec.Updated)
	}
	return f, nil
}

func init() {
	register(claimMapping{protoTyped[billing.Claim, *clpb.Claim]{view: billing.ClaimRecords, save: via(billingSvc, (*billing.Service).SaveClaim), from: claimFrom, to: claimTo,
		elements: []string{"extension", "status", "type", "use", "patient", "billablePeriod", "insurance", "diagnosis", "item", "total"}}})
}
