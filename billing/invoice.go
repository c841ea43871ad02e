package billing

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// InvoiceType is the record type of patient invoices (FHIR Invoice).
const InvoiceType = "Invoice"

// InvoiceStatus is an invoice's place in its lifecycle (FHIR Invoice.status
// codes).
type InvoiceStatus string

// The invoice lifecycle: draft → issued → paid or cancelled. An issued
// invoice is paid (FHIR "balanced") when its balance reaches zero; a draft,
// or an issued invoice holding no payment, may be cancelled.
const (
	InvoiceDraft     InvoiceStatus = "draft"
	InvoiceIssued    InvoiceStatus = "issued"
	InvoicePaid      InvoiceStatus = "balanced"
	InvoiceCancelled InvoiceStatus = "cancelled"
)

// Invoice is a bill to the patient, or to a guarantor, for the patient's
// share of one or more billed claims and for self-pay charges billed to no
// payer. Its number is also its record id, so two invoices never share one.
type Invoice struct {
	Number    string        `json:"number"`
	Patient   string        `json:"patient"`             // the patient served
	Recipient string        `json:"recipient,omitempty"` // the guarantor's patient id, when not the patient
	Currency  string        `json:"currency"`
	Status    InvoiceStatus `json:"status"`
	Issued    time.Time     `json:"issued,omitzero"` // when it was issued
	Due       time.Time     `json:"due,omitzero"`    // the day payment is due
	Lines     []InvoiceLine `json:"lines"`
	// Payments are the patient's payments (cash, card, check), each with
	// the lines it paid (LinePayment.Line indexes Lines).
	Payments []Payment `json:"payments,omitempty"`
}

// InvoiceLine is one item of an invoice: the patient's share of a claim
// (Claim) or a self-pay charge (Charge). The service sets Amount: the
// claim's patient share due (Ledger.PatientDue) when the invoice is created
// and again when it is issued, re-stated when a payer's payment posts to the
// claim later (Service.PostPayment), or the charge's amount.
type InvoiceLine struct {
	Claim  string  `json:"claim,omitempty"`
	Charge *Charge `json:"charge,omitempty"`
	Amount Money   `json:"amount"`
}

var invoices = storage.Kind[Invoice]{
	Type: InvoiceType, Version: 1,
	Meta: func(inv *Invoice) storage.Meta {
		terms := []storage.Term{{Name: "status", Value: string(inv.Status)}}
		if inv.Recipient != "" {
			terms = append(terms, storage.Term{Name: "recipient", Value: inv.Recipient})
		}
		return storage.Meta{ID: inv.Number, Compartment: inv.Patient, Terms: terms}
	},
}

// InvoiceRecords is a read-only view of the stored invoices, for packages
// that read them in their own transactions (a FHIR export).
var InvoiceRecords = invoices.View()

// Validate checks an invoice on its own, listing every problem: a number
// that is a record id, a patient, a known status and currency, and lines
// that each bill either one claim (once) or one self-pay charge with a
// CPT / HCPCS procedure, positive units, a fee in the invoice's currency and
// a date of service.
func (inv *Invoice) Validate() error {
	var v ehrkit.Issues
	v.Required("number", inv.Number != "")
	v.Check(inv.Number == "" || storage.ValidID(inv.Number), "number", ehrkit.IssueValue, "not a valid record id")
	v.Required("patient", inv.Patient != "")
	v.Check(inv.Recipient == "" || storage.ValidID(inv.Recipient), "recipient", ehrkit.IssueValue, "not a valid record id")
	if _, err := NewMoney(decimal.Zero, inv.Currency); err != nil {
		v.Add("currency", ehrkit.IssueCodeInvalid, "not an ISO 4217 currency code")
	}
	switch inv.Status {
	case InvoiceDraft, InvoiceIssued, InvoicePaid, InvoiceCancelled:
	default:
		v.Add("status", ehrkit.IssueCodeInvalid, "not an invoice status")
	}
	v.Check(len(inv.Lines) > 0, "lines", ehrkit.IssueRequired, "at least one line is required")
	seen := map[string]bool{}
	for i, l := range inv.Lines {
		p := ehrkit.Index("lines", i)
		switch {
		case (l.Claim == "") == (l.Charge == nil):
			v.Add(p, ehrkit.IssueInvariant, "a line bills either a claim or a self-pay charge")
		case l.Charge != nil:
			cp := ehrkit.JoinPath(p, "charge")
			proc := ehrkit.JoinPath(cp, "procedure")
			switch l.Charge.Procedure.System {
			case ehrkit.SystemCPT, ehrkit.SystemHCPCS:
				v.Merge(proc, ehrkit.CheckCode(l.Charge.Procedure.System, l.Charge.Procedure.Code))
			default:
				v.Add(ehrkit.JoinPath(proc, "system"), ehrkit.IssueCodeInvalid, "procedures must be CPT or HCPCS")
			}
			checkService(&v, cp, *l.Charge, inv.Currency)
		default:
			v.Check(!seen[l.Claim], ehrkit.JoinPath(p, "claim"), ehrkit.IssueDuplicate, "the claim is on another line")
			seen[l.Claim] = true
		}
	}
	v.Check(inv.Due.IsZero() || !day(inv.Due).Before(day(inv.Issued)), "due", ehrkit.IssueInvariant, "before the issue date")
	return v.Err()
}

// day is t's calendar day in UTC.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Total is the sum of the lines.
func (inv Invoice) Total() Money {
	t := Money{Currency: inv.Currency}
	for _, l := range inv.Lines {
		t = t.plus(l.Amount)
	}
	return t
}

// Paid is the sum of the payments.
func (inv Invoice) Paid() Money {
	t := Money{Currency: inv.Currency}
	for _, p := range inv.Payments {
		t = t.plus(p.Amount)
	}
	return t
}

// Balance is what remains due: the total less the payments, exact.
func (inv Invoice) Balance() Money {
	return Money{Amount: inv.Total().Amount.Sub(inv.Paid().Amount), Currency: inv.Currency}
}

// linePaid is what the payments paid on each line.
func (inv Invoice) linePaid() []decimal.Decimal {
	paid := make([]decimal.Decimal, len(inv.Lines))
	for _, p := range inv.Payments {
		for _, l := range p.Lines {
			paid[l.Line] = paid[l.Line].Add(l.Paid.Amount)
		}
	}
	return paid
}

// asOf is the invoice with only the payments posted on or before t.
func (inv Invoice) asOf(t time.Time) Invoice {
	inv.Payments = postedBy(inv.Payments, t)
	return inv
}

// open reports whether the invoice was out with the patient on t: issued
// by then and not cancelled.
func (inv Invoice) open(t time.Time) bool {
	return (inv.Status == InvoiceIssued || inv.Status == InvoicePaid) && !inv.Issued.After(t)
}

// selfPay returns the statement lines of the invoice's self-pay charges
// that are unpaid as of t: each charged to the patient and owed by the
// patient, less what the payments posted by then paid on it.
func (inv Invoice) selfPay(t time.Time) []StatementLine {
	paid := inv.asOf(t).linePaid()
	var out []StatementLine
	for i, l := range inv.Lines {
		if l.Charge == nil || paid[i].Equal(l.Amount.Amount) {
			continue
		}
		z := Money{Currency: inv.Currency}
		out = append(out, StatementLine{Invoice: inv.Number, ServiceDate: l.Charge.ServiceDate, Procedures: []string{l.Charge.label()},
			Ledger: Ledger{Charged: l.Amount, Paid: z, PatientPaid: Money{Amount: paid[i], Currency: inv.Currency}, WrittenOff: z, PatientResponsibility: l.Amount}})
	}
	return out
}

// Invoice returns a stored invoice by number.
func (s *Service) Invoice(ctx context.Context, number string) (Invoice, error) {
	inv, _, err := invoices.Get(ctx, s.store, number)
	return inv, err
}

// invoiced is a claim an invoice bills, as read in the invoice's
// transaction.
type invoiced struct {
	claim   Claim
	version int64
}

// price reads the claims the invoice bills in tx and sets each line's
// amount: the claim's patient share due, or the self-pay charge's amount. A
// claim must be the invoice patient's, billed, in the invoice's currency,
// with a share due, and on no other open invoice.
func price(ctx context.Context, tx storage.Tx, inv *Invoice, is *ehrkit.Issues) ([]invoiced, error) {
	var out []invoiced
	for i := range inv.Lines {
		l := &inv.Lines[i]
		if l.Charge != nil {
			l.Amount = l.Charge.Amount()
			continue
		}
		p := ehrkit.JoinPath(ehrkit.Index("lines", i), "claim")
		l.Amount = Money{Amount: decimal.Zero, Currency: inv.Currency}
		c, version, err := claims.Get(ctx, tx, l.Claim)
		if errors.Is(err, ehrkit.ErrNotFound) {
			is.Add(p, ehrkit.IssueValue, "no such claim")
			continue
		} else if err != nil {
			return nil, err
		}
		is.Check(c.Patient == inv.Patient, p, ehrkit.IssueBusinessRule, "a claim of another patient")
		is.Check(c.billed(), p, ehrkit.IssueBusinessRule, "the claim is not billed yet")
		is.Check(c.Invoice == "" || c.Invoice == inv.Number, p, ehrkit.IssueBusinessRule, "the claim's patient share is on another open invoice")
		if c.Currency != inv.Currency {
			is.Add(p, ehrkit.IssueValue, "the claim is in another currency")
			continue
		}
		led, err := c.Ledger()
		if err != nil {
			return nil, err
		}
		is.Check(led.PatientDue().Amount.IsPositive(), p, ehrkit.IssueBusinessRule, "the patient owes nothing on the claim")
		l.Amount = led.PatientDue()
		out = append(out, invoiced{claim: c, version: version})
	}
	return out, nil
}

// CreateInvoice stores a new draft invoice and returns it with its number
// (the caller's, or a generated one) and line amounts. In one transaction
// the patient and recipient are checked, the number must be free (a
// duplicate issue at "number"), every claim line is priced (price) and each
// claim records the invoice (Claim.Invoice), so a claim's share is never on
// two open invoices: two concurrent invoices of one claim conflict and the
// loser re-checks.
func (s *Service) CreateInvoice(ctx context.Context, inv Invoice) (Invoice, error) {
	if inv.Number == "" {
		inv.Number = s.ids.NewID()
	}
	inv.Status, inv.Issued, inv.Due, inv.Payments = InvoiceDraft, time.Time{}, time.Time{}, nil
	if err := inv.Validate(); err != nil {
		return Invoice{}, err
	}
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		var is ehrkit.Issues
		if err := patient.CheckRef(ctx, tx, patient.ID(inv.Patient), "patient", &is); err != nil {
			return err
		}
		if inv.Recipient != "" {
			if err := patient.CheckRef(ctx, tx, patient.ID(inv.Recipient), "recipient", &is); err != nil {
				return err
			}
		}
		if _, _, err := invoices.Get(ctx, tx, inv.Number); err == nil {
			is.Add("number", ehrkit.IssueDuplicate, "another invoice has this number")
		} else if !errors.Is(err, ehrkit.ErrNotFound) {
			return err
		}
		billed, err := price(ctx, tx, &inv, &is)
		if err != nil {
			return err
		}
		if err := is.Err(); err != nil {
			return err
		}
		for _, b := range billed {
			b.claim.Invoice = inv.Number
			if _, err := claims.Put(ctx, tx, &b.claim, b.version); err != nil {
				return err
			}
		}
		_, err = invoices.Put(ctx, tx, &inv, 0)
		return err
	})
	if err != nil {
		return Invoice{}, err
	}
	return inv, nil
}

func (s *Service) changeInvoice(ctx context.Context, number string, fn func(tx storage.Tx, inv *Invoice) error) (Invoice, error) {
	return update(ctx, s.store, invoices, number, fn)
}

func notStatus(inv *Invoice, action string) error {
	return fmt.Errorf("billing: a %s invoice cannot be %s: %w", inv.Status, action, ehrkit.ErrFailedPrecondition)
}

// IssueInvoice issues a draft invoice now, payable by the day due (not
// before the issue date): the claim lines are priced again in the issuing
// transaction, so the invoice asks for the patient's share as it stands.
func (s *Service) IssueInvoice(ctx context.Context, number string, due time.Time) (Invoice, error) {
	return s.changeInvoice(ctx, number, func(tx storage.Tx, inv *Invoice) error {
		if inv.Status != InvoiceDraft {
			return notStatus(inv, "issued")
		}
		inv.Status, inv.Issued, inv.Due = InvoiceIssued, s.clock.Now().UTC().Truncate(time.Microsecond), due
		var is ehrkit.Issues
		is.Required("due", !due.IsZero())
		is.Merge("", inv.Validate())
		if _, err := price(ctx, tx, inv, &is); err != nil {
			return err
		}
		is.Check(inv.Total().Amount.IsPositive(), "lines", ehrkit.IssueBusinessRule, "the invoice bills nothing")
		return is.Err()
	})
}

// CancelInvoice cancels a draft invoice or an issued one holding no
// payment, and frees its claims for another invoice.
func (s *Service) CancelInvoice(ctx context.Context, number string) (Invoice, error) {
	return s.changeInvoice(ctx, number, func(tx storage.Tx, inv *Invoice) error {
		if (inv.Status != InvoiceDraft && inv.Status != InvoiceIssued) || len(inv.Payments) > 0 {
			return notStatus(inv, "cancelled")
		}
		inv.Status = InvoiceCancelled
		for _, l := range inv.Lines {
			if l.Claim == "" {
				continue
			}
			if _, err := modify(ctx, tx, claims, l.Claim, func(_ storage.Tx, c *Claim) error {
				if c.Invoice != inv.Number {
					return errUnchanged
				}
				c.Invoice = ""
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// PostInvoicePayment records the patient's payment of an issued invoice
// (cash, card with the processor's reference, or check), with the
// billing.post permission, and returns the invoice. Posting is idempotent by
// reference. The payment may not exceed the balance; it pays the lines in
// order, and what it pays on a claim line is posted to that claim as the
// patient's payment (reference "number/reference") in the same
// transaction, so the claim's ledger, statements and A/R aging see it. A
// claim whose line is paid in full is freed for a later invoice; the
// invoice is paid when its balance reaches zero.
func (s *Service) PostInvoicePayment(ctx context.Context, number string, p Payment) (Invoice, error) {
	return s.changeInvoice(ctx, number, func(tx storage.Tx, inv *Invoice) error {
		if err := access.RequireIn(ctx, tx, access.PermBillingPost, inv.Patient); err != nil {
			return err
		}
		for _, q := range inv.Payments {
			if q.Reference == p.Reference {
				return errUnchanged
			}
		}
		if p.Payer == "" {
			p.Payer = PatientPayer
		}
		var v ehrkit.Issues
		v.Required("reference", p.Reference != "")
		v.Check(p.Payer == PatientPayer, "payer", ehrkit.IssueBusinessRule, "an invoice is paid by the patient or guarantor")
		switch p.Method {
		case MethodCash, MethodCard, MethodCheck:
		default:
			v.Add("method", ehrkit.IssueCodeInvalid, "an invoice is paid by cash, card or check")
		}
		v.Check(p.Amount.Currency == inv.Currency, "amount", ehrkit.IssueValue, "currency differs from the invoice's")
		v.Check(p.Amount.Amount.IsPositive(), "amount", ehrkit.IssueValue, "must be positive")
		v.Check(p.Amount.Amount.LessThanOrEqual(inv.Balance().Amount), "amount", ehrkit.IssueBusinessRule, "exceeds the invoice's balance")
		v.Check(len(p.Adjustments) == 0 && len(p.Lines) == 0 && p.Adjudication == "", "adjustments", ehrkit.IssueBusinessRule, "a patient payment carries no adjustments or line payments")
		v.Check(inv.Status == InvoiceIssued, "status", ehrkit.IssueBusinessRule, "payments post to issued invoices")
		if err := v.Err(); err != nil {
			return err
		}
		p.Posted = s.clock.Now().UTC().Truncate(time.Microsecond)
		paid, left := inv.linePaid(), p.Amount.Amount
		for i, l := range inv.Lines {
			open := l.Amount.Amount.Sub(paid[i])
			if !open.IsPositive() || !left.IsPositive() {
				continue
			}
			x := decimal.Min(open, left)
			left = left.Sub(x)
			p.Lines = append(p.Lines, LinePayment{Line: i, Paid: Money{Amount: x, Currency: inv.Currency}})
			if l.Claim == "" {
				continue
			}
			if _, err := modify(ctx, tx, claims, l.Claim, func(_ storage.Tx, c *Claim) error {
				cp := Payment{Reference: inv.Number + "/" + p.Reference, Payer: PatientPayer, Method: p.Method,
					Amount: Money{Amount: x, Currency: inv.Currency}, Posted: p.Posted}
				if err := validatePayment(c, cp); err != nil {
					return err
				}
				c.Payments = append(c.Payments, cp)
				if x.Equal(open) && c.Invoice == inv.Number {
					c.Invoice = ""
				}
				return nil
			}); err != nil {
				return err
			}
		}
		inv.Payments = append(inv.Payments, p)
		if inv.Balance().IsZero() {
			inv.Status = InvoicePaid
		}
		return nil
	})
}

// restate re-states, in tx, the line of the open invoice billing claim c
// (c.Invoice) after a payment changed the claim's ledger: the line asks for
// the patient's share due now plus what the invoice has already paid on it,
// so the invoice's balance is the claim's patient share due. An issued
// invoice whose balance falls to zero or below is paid (a negative balance
// is the patient's credit, also on the claim's ledger, refunded on the
// claim) and one whose balance rises again is issued. A line the invoice
// has paid in full frees the claim for a later invoice, as a payment
// settling it does (PostInvoicePayment).
func restate(ctx context.Context, tx storage.Tx, c *Claim) error {
	if c.Invoice == "" {
		return nil
	}
	led, err := c.Ledger()
	if err != nil {
		return err
	}
	_, err = modify(ctx, tx, invoices, c.Invoice, func(_ storage.Tx, inv *Invoice) error {
		i := slices.IndexFunc(inv.Lines, func(l InvoiceLine) bool { return l.Claim == c.ID })
		if i < 0 {
			return errUnchanged
		}
		paid := inv.linePaid()[i]
		inv.Lines[i].Amount = Money{Amount: led.PatientDue().Amount.Add(paid), Currency: inv.Currency}
		if !inv.Lines[i].Amount.Amount.GreaterThan(paid) {
			c.Invoice = ""
		}
		switch bal := inv.Balance().Amount; {
		case inv.Status == InvoiceIssued && !bal.IsPositive():
			inv.Status = InvoicePaid
		case inv.Status == InvoicePaid && bal.IsPositive():
			inv.Status = InvoiceIssued
		}
		return nil
	})
	return err
}

// orNone is invoices, or no invoice when it is nil.
func orNone(invoices iter.Seq[Invoice]) iter.Seq[Invoice] {
	if invoices == nil {
		return func(func(Invoice) bool) {}
	}
	return invoices
}
