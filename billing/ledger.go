package billing

import (
	"time"

	"github.com/ehrkit/ehrkit"
)

// PatientPayer is the Payment.Payer of money the patient paid (or was
// refunded).
const PatientPayer = "patient"

// Payment methods (Payment.Method).
const (
	MethodEFT    = "eft"    // an insurer's electronic funds transfer (835 BPR04 ACH)
	MethodCheck  = "check"  // a paper check (835 BPR04 CHK)
	MethodCash   = "cash"   // cash at the desk
	MethodCard   = "card"   // a card payment; the reference is the processor's, never the card number
	MethodRefund = "refund" // money paid back: a negative amount
)

// Payment is money received against a claim: an insurance payment (the
// reference is the check or EFT trace number, TRN02 of an 835) or a patient
// payment (the receipt or card reference), with the payer's claim-level
// adjustments and, from a remittance, the service lines it paid. A refund
// is a payment of negative amount with the method "refund".
type Payment struct {
	Reference   string        `json:"reference"`
	Payer       string        `json:"payer"` // payer id, or PatientPayer
	Method      string        `json:"method,omitempty"`
	Amount      Money         `json:"amount"`
	Adjustments []Adjustment  `json:"adjustments,omitempty"` // claim level (835 CAS of loop 2100)
	Lines       []LinePayment `json:"lines,omitempty"`       // service lines (835 loop 2110)
	// Adjudication is the payer's decision a remittance carries: ClaimPaid
	// or ClaimDenied; empty for a patient payment.
	Adjudication ClaimStatus `json:"adjudication,omitempty"`
	Posted       time.Time   `json:"posted"`
}

// LinePayment is what a payer paid and adjusted on one of the claim's
// service lines.
type LinePayment struct {
	Line        int          `json:"line"` // index into Claim.Charges
	Paid        Money        `json:"paid"`
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// ModifiersDropped records that the payer's remittance named the line's
	// procedure without (some of) the modifiers billed, and the line was
	// matched by code (see MatchLine).
	ModifiersDropped bool `json:"modifiersDropped,omitempty"`
}

// Adjustment is a payer's claim adjustment (X12 CAS): a group code (CO
// contractual obligation, PR patient responsibility, OA other, PI payer
// initiated, CR correction), a CARC reason code and the amount.
type Adjustment struct {
	Group  string `json:"group"`
	Reason string `json:"reason"`
	Amount Money  `json:"amount"`
}

// PatientResponsibility is the group code of adjustments the patient owes:
// they move the amount to the patient rather than writing it off.
const PatientResponsibility = "PR"

// adjustments returns the claim- and line-level adjustments of a payment.
func (p Payment) adjustments() []Adjustment {
	all := append([]Adjustment(nil), p.Adjustments...)
	for _, l := range p.Lines {
		all = append(all, l.Adjustments...)
	}
	return all
}

// Ledger is a claim's money split by who owes it, exact. Charged is the
// claim total; Paid what payers paid; PatientPaid what the patient paid, net
// of refunds; WrittenOff the payers' adjustments other than patient
// responsibility (contractual, other, payer-initiated, corrections);
// PatientResponsibility the PR adjustments. The patient owes
// PatientResponsibility less PatientPaid (PatientDue); the rest of the
// balance is still expected from insurance (InsuranceDue).
type Ledger struct {
	Charged, Paid, PatientPaid, WrittenOff, PatientResponsibility Money
}

// Ledger sums the claim's payments and adjustments.
func (c Claim) Ledger() (Ledger, error) {
	total, err := c.Total()
	if err != nil {
		return Ledger{}, err
	}
	zero := Money{Amount: total.Amount.Sub(total.Amount), Currency: c.Currency}
	l := Ledger{Charged: total, Paid: zero, PatientPaid: zero, WrittenOff: zero, PatientResponsibility: zero}
	for _, p := range c.Payments {
		into := &l.Paid
		if p.Payer == PatientPayer {
			into = &l.PatientPaid
		}
		if *into, err = into.Add(p.Amount); err != nil {
			return Ledger{}, err
		}
		for _, a := range p.adjustments() {
			into := &l.WrittenOff
			if a.Group == PatientResponsibility {
				into = &l.PatientResponsibility
			}
			if *into, err = into.Add(a.Amount); err != nil {
				return Ledger{}, err
			}
		}
	}
	return l, nil
}

// Balance is what remains due: charged less everything paid and written off.
// Patient responsibility stays in it: the patient owes it.
func (l Ledger) Balance() Money {
	return Money{Amount: l.Charged.Amount.Sub(l.Paid.Amount).Sub(l.PatientPaid.Amount).Sub(l.WrittenOff.Amount), Currency: l.Charged.Currency}
}

// PatientDue is the patient's share still unpaid (negative when the patient
// paid more than was assigned: a credit).
func (l Ledger) PatientDue() Money {
	return Money{Amount: l.PatientResponsibility.Amount.Sub(l.PatientPaid.Amount), Currency: l.Charged.Currency}
}

// InsuranceDue is the part of the balance still expected from payers.
func (l Ledger) InsuranceDue() Money {
	return Money{Amount: l.Balance().Amount.Sub(l.PatientDue().Amount), Currency: l.Charged.Currency}
}

// Balance is what remains due on the claim: its total less payments and
// the adjustments written off, exact. Patient-responsibility adjustments (PR)
// stay in the balance: the patient owes them.
func (c Claim) Balance() (Money, error) {
	l, err := c.Ledger()
	if err != nil {
		return Money{}, err
	}
	return l.Balance(), nil
}

// ServiceDate is the claim's first date of service (zero without charges):
// the date A/R ages from.
func (c Claim) ServiceDate() time.Time {
	var first time.Time
	for _, ch := range c.Charges {
		if first.IsZero() || ch.ServiceDate.Before(first) {
			first = ch.ServiceDate
		}
	}
	return first
}

// billed reports whether the claim has left the practice: submitted or later.
// Drafts and validated claims are not receivables yet.
func (c Claim) billed() bool {
	return c.Status != ClaimDraft && c.Status != ClaimValidated
}

// validatePayment lists every problem of a payment against the claim it
// posts to.
func validatePayment(c *Claim, p Payment) error {
	var v ehrkit.Issues
	v.Required("reference", p.Reference != "")
	v.Required("payer", p.Payer != "")
	v.Check(p.Amount.Currency == c.Currency, "amount", ehrkit.IssueValue, "currency differs from the claim's")
	if p.Method == MethodRefund {
		v.Check(p.Amount.Amount.IsNegative(), "amount", ehrkit.IssueValue, "a refund is a negative amount")
	} else {
		v.Check(!p.Amount.Amount.IsNegative(), "amount", ehrkit.IssueValue, "must not be negative")
	}
	switch p.Method {
	case "", MethodEFT, MethodCheck, MethodCash, MethodCard, MethodRefund:
	default:
		v.Add("method", ehrkit.IssueCodeInvalid, "not a payment method")
	}
	switch p.Adjudication {
	case "", ClaimPaid, ClaimDenied:
	default:
		v.Add("adjudication", ehrkit.IssueCodeInvalid, "a remittance adjudicates a claim paid or denied")
	}
	v.Check(p.Adjudication == "" || p.Payer != PatientPayer, "adjudication", ehrkit.IssueBusinessRule, "only a payer adjudicates")
	checkAdjustments := func(path string, as []Adjustment) {
		for i, a := range as {
			p := ehrkit.Index(path, i)
			v.Check(a.Amount.Currency == c.Currency, p+".amount", ehrkit.IssueValue, "currency differs from the claim's")
			v.Required(p+".group", a.Group != "")
		}
	}
	checkAdjustments("adjustments", p.Adjustments)
	for i, l := range p.Lines {
		lp := ehrkit.Index("lines", i)
		v.Check(l.Line >= 0 && l.Line < len(c.Charges), lp+".line", ehrkit.IssueValue, "not a service line of the claim")
		v.Check(l.Paid.Currency == c.Currency, lp+".paid", ehrkit.IssueValue, "currency differs from the claim's")
		checkAdjustments(lp+".adjustments", l.Adjustments)
	}
	v.Check(c.billed(), "status", ehrkit.IssueBusinessRule, "payments post to submitted claims")
	return v.Err()
}

// adjudicate moves a claim to the payer's decision where the lifecycle
// allows it: a submitted claim is accepted first (a remittance implies
// acceptance). A decision the lifecycle does not allow (a second payer's
// remittance on a paid claim) leaves the status as it is: the money posts
// regardless.
func adjudicate(c *Claim, to ClaimStatus) {
	if to == "" {
		return
	}
	if c.Status == ClaimSubmitted {
		c.Status = ClaimAccepted
	}
	if CanTransition(c.Status, to) {
		c.Status = to
	}
}
