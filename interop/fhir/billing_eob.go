package fhir

import (
	"context"
	"errors"
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/storage"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	eobpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/explanation_of_benefit_go_proto"
	"google.golang.org/protobuf/proto"
)

// ---- ExplanationOfBenefit
//
// An ExplanationOfBenefit is a payer's adjudication of a stored claim: it
// imports as a billing.Payment posted to the claim it names through
// (*billing.Service).PostPaymentTx, once (its id is the payment's
// reference, the insurer's display or id its payer), on the day it was
// created. payment.amount is the amount paid; each item's adjudication is a
// line payment of the claim's item of the same sequence, with the CMS Blue
// Button adjudication categories read as X12 CAS adjustments (X12 CARC
// codes): line_prvdr_pmt_amt is paid, line_coinsrnc_amt is PR-2
// (coinsurance), line_bene_ptb_ddctbl_amt PR-1 (deductible), and the
// submitted charge less the allowed amount CO-45 (charge exceeds the fee
// schedule). Amounts are rounded once to the currency (billing.Money.Round).
// An outcome of complete or partial adjudicates the claim paid, error denies
// it. The payment is exported within its claim (the claim-state extension),
// so no ExplanationOfBenefit record is stored or exported; the REST handler
// answers the write of one with its claim.

const blueButton = "https://bluebutton.cms.gov/resources/variables/"

// eobMapping imports ExplanationOfBenefit resources as claim payments.
type eobMapping struct{}

func (eobMapping) ResourceType() string { return "ExplanationOfBenefit" }

func (eobMapping) Elements() []string {
	return []string{"patient", "created", "insurer", "claim", "outcome", "item", "payment"}
}

// eobPayment is an imported ExplanationOfBenefit: the payment and the claim
// it posts to.
type eobPayment struct {
	Claim   string
	Payment billing.Payment
}

// Import parses and validates raw with a Codec, then imports it.
func (m eobMapping) Import(raw []byte, id string, refs *Refs) (Value, error) {
	return importJSON(m, raw, id, refs)
}

func (eobMapping) ImportResource(res proto.Message, id string, refs *Refs) (Value, error) {
	f, ok := res.(*eobpb.ExplanationOfBenefit)
	if !ok {
		return nil, fmt.Errorf("%w: ExplanationOfBenefit mapping given a %T", ehrkit.ErrInvalid, res)
	}
	var v ehrkit.Issues
	claim := refID(f.GetClaim(), refs, billing.ClaimType)
	v.Required("claim", claim != "")
	p := billing.Payment{Reference: id, Method: billing.MethodEFT}
	if ins := f.GetInsurer(); ins != nil {
		p.Payer = ins.GetDisplay().GetValue()
		if p.Payer == "" {
			p.Payer = readRef(ins, refs).ID
		}
	}
	v.Required("insurer", p.Payer != "")
	switch codeOf(f.GetOutcome()) {
	case "complete", "partial":
		p.Adjudication = billing.ClaimPaid
	case "error":
		p.Adjudication = billing.ClaimDenied
	}
	p.Posted = readDateTime(f.GetCreated())
	paid := f.GetPayment().GetAmount()
	currency := paid.GetCurrency().GetValue()
	amount := func(m *dtpb.Money) (billing.Money, error) {
		x, err := readMoney(m, currency)
		if err != nil {
			return x, err
		}
		return x.Round(), nil
	}
	for i, it := range f.GetItem() {
		lp := billing.LinePayment{Line: int(it.GetSequence().GetValue()) - 1}
		byCat := map[string]billing.Money{}
		for _, a := range it.GetAdjudication() {
			if len(a.GetCategory().GetCoding()) == 0 || a.GetAmount() == nil {
				continue
			}
			if currency == "" {
				currency = a.GetAmount().GetCurrency().GetValue()
			}
			x, err := amount(a.GetAmount())
			if err != nil {
				return nil, err
			}
			byCat[readCode(a.GetCategory())] = x
		}
		if len(byCat) == 0 {
			continue
		}
		v.Check(currency != "", ehrkit.Index("item", i), ehrkit.IssueRequired, "amounts need a currency")
		lp.Paid = byCat[blueButton+"line_prvdr_pmt_amt"]
		lp.Paid.Currency = currency
		adjust := func(group, reason string, x billing.Money) {
			if x.Amount.IsPositive() {
				lp.Adjustments = append(lp.Adjustments, billing.Adjustment{Group: group, Reason: reason, Amount: x})
			}
		}
		adjust("PR", "1", byCat[blueButton+"line_bene_ptb_ddctbl_amt"])
		adjust("PR", "2", byCat[blueButton+"line_coinsrnc_amt"])
		if sub, ok := byCat[blueButton+"line_sbmtd_chrg_amt"]; ok {
			if allowed, ok := byCat[blueButton+"line_alowd_chrg_amt"]; ok {
				adjust("CO", "45", billing.Money{Amount: sub.Amount.Sub(allowed.Amount), Currency: currency})
			}
		}
		p.Lines = append(p.Lines, lp)
	}
	if paid != nil {
		var err error
		if p.Amount, err = amount(paid); err != nil {
			return nil, err
		}
	} else {
		p.Amount = billing.Money{Currency: currency}
		for _, l := range p.Lines {
			p.Amount.Amount = p.Amount.Amount.Add(l.Paid.Amount)
		}
	}
	v.Required("payment.amount.currency", p.Amount.Currency != "")
	if err := v.Err(); err != nil {
		return nil, err
	}
	return eobValue{&value[eobPayment]{v: eobPayment{Claim: claim, Payment: p},
		meta: storage.Meta{ID: id, Compartment: string(readSubject(f.GetPatient(), refs))}, saver: postEOB}}, nil
}

// recordedOn is a Value stored inside another record rather than as one
// of its own: an ExplanationOfBenefit is a payment on its claim. The REST
// handler answers a write of it with that record.
type recordedOn interface {
	recordedOn() (typ, id string)
}

// eobValue is an imported ExplanationOfBenefit, recorded on its claim.
type eobValue struct{ *value[eobPayment] }

func (v eobValue) recordedOn() (string, string) { return billing.ClaimType, v.v.Claim }

// postEOB posts an imported ExplanationOfBenefit to its claim; a claim that
// is not stored is an issue at "claim".
func postEOB(ctx context.Context, tx storage.Tx, s *Services, e eobPayment) (storage.Outcome, error) {
	out, err := s.Billing.PostPaymentTx(ctx, tx, e.Claim, e.Payment)
	if errors.Is(err, ehrkit.ErrNotFound) {
		var v ehrkit.Issues
		v.Add("claim", ehrkit.IssueValue, "no such claim")
		return "", v.Err()
	}
	if out == storage.Updated {
		out = storage.Created // the payment is new
	}
	return out, err
}

func (eobMapping) Export(storage.Record) ([]byte, error) {
	return nil, fmt.Errorf("fhir: ExplanationOfBenefit is exported within its Claim: %w", ehrkit.ErrUnsupported)
}

func init() { register(eobMapping{}) }
