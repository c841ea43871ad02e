package billing

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/text/language"

	"github.com/ehrkit/ehrkit"
)

// Statement is a patient's account as of a day: the open items of the
// patient's billed claims and of the self-pay charges on issued invoices, in
// one currency (an item with a zero balance is settled and left out), each
// with its ledger, the totals, what the patient owes by age, and the open
// invoices that ask for it.
type Statement struct {
	Patient  string          `json:"patient"`
	AsOf     time.Time       `json:"asOf"`
	Currency string          `json:"currency"`
	Lines    []StatementLine `json:"lines"`
	// Totals over the lines.
	Ledger Ledger `json:"ledger"`
	// PatientAging is the patient's share by age of service (AgingLabels).
	PatientAging [AgingBuckets]Money `json:"patientAging"`
	// Invoices are the invoices issued by AsOf with a balance then.
	Invoices []InvoiceDue `json:"invoices,omitempty"`
}

// InvoiceDue is an open invoice on a statement, with its balance as of the
// statement's day.
type InvoiceDue struct {
	Number  string    `json:"number"`
	Issued  time.Time `json:"issued"`
	Due     time.Time `json:"due"`
	Balance Money     `json:"balance"`
}

// StatementLine is one claim, or one self-pay charge of an invoice, on a
// statement.
type StatementLine struct {
	Claim string `json:"claim,omitempty"`
	// Invoice is the open invoice that bills the line: the self-pay
	// charge's, or the one billing the claim's patient share.
	Invoice     string    `json:"invoice,omitempty"`
	ServiceDate time.Time `json:"serviceDate"`
	Procedures  []string  `json:"procedures"` // code, then "-" and each modifier: "99213-25"
	Ledger      Ledger    `json:"ledger"`
}

// PatientDue is what the statement asks the patient to pay.
func (s Statement) PatientDue() Money { return s.Ledger.PatientDue() }

// NewStatement builds the statement of a patient's claims and invoices as
// of a day: payments posted after asOf are not on it. Claims that are not
// billed yet (draft, validated) and invoices not issued by asOf (drafts,
// cancelled ones) are left out; a claim or invoice of another patient or
// currency is an error. A claim's patient share paid through an invoice is
// on the claim's ledger (Service.PostInvoicePayment), so the self-pay
// charges are the only invoice lines added. invoices may be nil.
func NewStatement(patient string, claims iter.Seq[Claim], invoices iter.Seq[Invoice], asOf time.Time, currency string) (Statement, error) {
	zero, err := zeroMoney(currency)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{Patient: patient, AsOf: asOf, Currency: currency, Ledger: zeroLedger(zero)}
	for i := range st.PatientAging {
		st.PatientAging[i] = zero
	}
	onInvoice := map[string]string{}
	var selfPay []StatementLine
	for inv := range orNone(invoices) {
		if inv.Patient != patient {
			return Statement{}, errOtherPatient
		}
		if inv.Currency != currency {
			return Statement{}, ErrCurrencyMismatch
		}
		if !inv.open(asOf) {
			continue
		}
		if bal := inv.asOf(asOf).Balance(); !bal.IsZero() {
			st.Invoices = append(st.Invoices, InvoiceDue{Number: inv.Number, Issued: inv.Issued, Due: inv.Due, Balance: bal})
		}
		for _, l := range inv.Lines {
			if l.Claim != "" {
				onInvoice[l.Claim] = inv.Number
			}
		}
		selfPay = append(selfPay, inv.selfPay(asOf)...)
	}
	for c := range claims {
		if c.Patient != patient {
			return Statement{}, errOtherPatient
		}
		if c.Currency != currency {
			return Statement{}, ErrCurrencyMismatch
		}
		if !c.billed() {
			continue
		}
		l, err := c.asOf(asOf).Ledger()
		if err != nil {
			return Statement{}, err
		}
		if l.Balance().IsZero() {
			continue
		}
		line := StatementLine{Claim: c.ID, Invoice: onInvoice[c.ID], ServiceDate: c.ServiceDate(), Ledger: l}
		for _, ch := range c.Charges {
			line.Procedures = append(line.Procedures, ch.label())
		}
		st.Lines = append(st.Lines, line)
	}
	st.Lines = append(st.Lines, selfPay...)
	for _, line := range st.Lines {
		st.Ledger = st.Ledger.add(line.Ledger)
		b := AgingBucket(asOf, line.ServiceDate)
		st.PatientAging[b] = st.PatientAging[b].plus(line.Ledger.PatientDue())
	}
	return st, nil
}

var errOtherPatient = fmt.Errorf("billing: statement of one patient given another's claim or invoice: %w", ehrkit.ErrInvalid)

// label is the charge's procedure code, then "-" and each modifier:
// "99213-25".
func (c Charge) label() string {
	return strings.Join(append([]string{c.Procedure.Code}, c.Modifiers...), "-")
}

// Render writes the statement for the patient as text, amounts formatted in
// the conventions of the language (Money.Format).
func (s Statement) Render(w io.Writer, tag language.Tag) error {
	f := func(m Money) string {
		out, err := m.Format(tag)
		if err != nil {
			return m.String()
		}
		return out
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "Date\tItem\tServices\tCharged\tInsurance paid\tAdjusted\tYou paid\tYou owe\t\n")
	for _, l := range s.Lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.ServiceDate.Format(time.DateOnly), cmp.Or(l.Claim, l.Invoice),
			strings.Join(l.Procedures, " "), f(l.Ledger.Charged), f(l.Ledger.Paid), f(l.Ledger.WrittenOff),
			f(l.Ledger.PatientPaid), f(l.Ledger.PatientDue()))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var aging []string
	for i, m := range s.PatientAging {
		aging = append(aging, AgingLabels[i]+" days: "+f(m))
	}
	if _, err := fmt.Fprintf(w, "Pending insurance: %s\nAmount due: %s\n%s\n", f(s.Ledger.InsuranceDue()), f(s.PatientDue()), strings.Join(aging, ", ")); err != nil {
		return err
	}
	for _, inv := range s.Invoices {
		if _, err := fmt.Fprintf(w, "Invoice %s of %s, due %s: %s\n", inv.Number, inv.Issued.Format(time.DateOnly), inv.Due.Format(time.DateOnly), f(inv.Balance)); err != nil {
			return err
		}
	}
	return nil
}

// asOf is the claim with only the payments posted on or before t.
func (c Claim) asOf(t time.Time) Claim {
	c.Payments = postedBy(c.Payments, t)
	return c
}

// postedBy returns the payments posted on or before t.
func postedBy(ps []Payment, t time.Time) []Payment {
	var kept []Payment
	for _, p := range ps {
		if !p.Posted.After(t) {
			kept = append(kept, p)
		}
	}
	return kept
}

func zeroMoney(currency string) (Money, error) {
	var z Money
	if _, err := NewMoney(z.Amount, currency); err != nil {
		return Money{}, err
	}
	return Money{Currency: currency}, nil
}

func zeroLedger(z Money) Ledger {
	return Ledger{Charged: z, Paid: z, PatientPaid: z, WrittenOff: z, PatientResponsibility: z}
}

// plus adds amounts already known to share a currency.
func (m Money) plus(o Money) Money {
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}
}

func (l Ledger) add(o Ledger) Ledger {
	return Ledger{Charged: l.Charged.plus(o.Charged), Paid: l.Paid.plus(o.Paid), PatientPaid: l.PatientPaid.plus(o.PatientPaid),
		WrittenOff: l.WrittenOff.plus(o.WrittenOff), PatientResponsibility: l.PatientResponsibility.plus(o.PatientResponsibility)}
}
