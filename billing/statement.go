package billing

import (
	"fmt"
	"io"
	"iter"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/text/language"

	"github.com/ehrkit/ehrkit"
)

// Statement is a patient's invoice: the open items of the patient's billed
// claims in one currency (a claim with a zero balance is settled and left
// out), each with its ledger, the totals, and what the patient owes by age.
type Statement struct {
	Patient  string          `json:"patient"`
	AsOf     time.Time       `json:"asOf"`
	Currency string          `json:"currency"`
	Lines    []StatementLine `json:"lines"`
	// Totals over the lines.
	Ledger Ledger `json:"ledger"`
	// PatientAging is the patient's share by age of service (AgingLabels).
	PatientAging [AgingBuckets]Money `json:"patientAging"`
}

// StatementLine is one claim on a statement.
type StatementLine struct {
	Claim       string    `json:"claim"`
	ServiceDate time.Time `json:"serviceDate"`
	Procedures  []string  `json:"procedures"` // code, then "-" and each modifier: "99213-25"
	Ledger      Ledger    `json:"ledger"`
}

// PatientDue is what the statement asks the patient to pay.
func (s Statement) PatientDue() Money { return s.Ledger.PatientDue() }

// NewStatement builds the statement of a patient's claims as of a day:
// payments posted after asOf are not on it. Claims that are not billed yet
// (draft, validated) are left out; a claim of another patient or currency
// is an error.
func NewStatement(patient string, claims iter.Seq[Claim], asOf time.Time, currency string) (Statement, error) {
	zero, err := zeroMoney(currency)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{Patient: patient, AsOf: asOf, Currency: currency, Ledger: zeroLedger(zero)}
	for i := range st.PatientAging {
		st.PatientAging[i] = zero
	}
	for c := range claims {
		if c.Patient != patient {
			return Statement{}, fmt.Errorf("billing: statement of one patient given another's claim: %w", ehrkit.ErrInvalid)
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
		line := StatementLine{Claim: c.ID, ServiceDate: c.ServiceDate(), Ledger: l}
		for _, ch := range c.Charges {
			line.Procedures = append(line.Procedures, strings.Join(append([]string{ch.Procedure.Code}, ch.Modifiers...), "-"))
		}
		st.Lines = append(st.Lines, line)
		st.Ledger = st.Ledger.add(l)
		b := AgingBucket(asOf, line.ServiceDate)
		st.PatientAging[b] = st.PatientAging[b].plus(l.PatientDue())
	}
	return st, nil
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
	fmt.Fprintf(tw, "Date\tClaim\tServices\tCharged\tInsurance paid\tAdjusted\tYou paid\tYou owe\t\n")
	for _, l := range s.Lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.ServiceDate.Format(time.DateOnly), l.Claim,
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
	_, err := fmt.Fprintf(w, "Pending insurance: %s\nAmount due: %s\n%s\n", f(s.Ledger.InsuranceDue()), f(s.PatientDue()), strings.Join(aging, ", "))
	return err
}

// asOf is the claim with only the payments posted on or before t.
func (c Claim) asOf(t time.Time) Claim {
	var kept []Payment
	for _, p := range c.Payments {
		if !p.Posted.After(t) {
			kept = append(kept, p)
		}
	}
	c.Payments = kept
	return c
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
