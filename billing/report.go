package billing

import (
	"cmp"
	"iter"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Revenue is what was charged, paid and written off under one key (a payer,
// a procedure code, a provider NPI).
type Revenue struct {
	Key        string `json:"key"`
	Charged    Money  `json:"charged"`
	Paid       Money  `json:"paid"`
	WrittenOff Money  `json:"writtenOff"`
}

// DenialReason counts the denied claims whose remittance carried one
// adjustment reason ("CO-50": group code and CARC), with the amount it
// adjusted.
type DenialReason struct {
	Reason string `json:"reason"`
	Claims int    `json:"claims"`
	Amount Money  `json:"amount"`
}

// Report is the financial performance of a period [From, To).
//
// Charges count by date of service in the period; payments and adjustments
// by the day they were posted in the period. By payer, a payment counts
// under the payer who paid (PatientPayer for patients), a charge under the
// claim's payer. By procedure and by provider (the line's rendering NPI,
// else the claim's), payments and adjustments are the remittances' service
// lines: money a payer or patient paid on the claim as a whole is not
// attributed to a line.
//
// Denial rate is the remittances denying a claim over all remittances
// adjudicating one, posted in the period. Net collection rate is payments
// received over charges less write-offs (contractual and other non-patient
// adjustments). Days in A/R is the receivables at To (the balances of claims
// serviced before To, payments posted before To) over the average daily
// charge of the period. Claims not yet billed (draft, validated) are in no
// figure.
//
// Self-pay lines (invoice lines billing a charge to no payer) count like a
// claim's charges: charged by date of service under PatientPayer, the
// procedure and the line's rendering NPI (none when the charge names none);
// the invoice payments posted on them are patient payments, by payer, by
// procedure and by provider; their unpaid amount at To is receivable. Only
// invoices issued by To count (an invoice's claim lines are the claims'
// patient shares, already in the claims' figures).
// Rates are rounded to 4 decimal places, days to 1.
type Report struct {
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	Currency    string          `json:"currency"`
	ByPayer     []Revenue       `json:"byPayer"`
	ByProcedure []Revenue       `json:"byProcedure"`
	ByProvider  []Revenue       `json:"byProvider"`
	Adjudicated int             `json:"adjudicated"`
	Denied      int             `json:"denied"`
	DenialRate  decimal.Decimal `json:"denialRate"`
	Denials     []DenialReason  `json:"denials"`
	Charged     Money           `json:"charged"`
	WrittenOff  Money           `json:"writtenOff"`
	// Collected is every payment received, net of refunds; InsurancePaid and
	// PatientPaid split it.
	Collected         Money           `json:"collected"`
	InsurancePaid     Money           `json:"insurancePaid"`
	PatientPaid       Money           `json:"patientPaid"`
	NetCollectionRate decimal.Decimal `json:"netCollectionRate"`
	Receivables       Money           `json:"receivables"`
	DaysInAR          decimal.Decimal `json:"daysInAR"`
}

type revenueTable struct {
	zero Money
	rows map[string]*Revenue
}

func (t *revenueTable) row(key string) *Revenue {
	if t.rows == nil {
		t.rows = map[string]*Revenue{}
	}
	r := t.rows[key]
	if r == nil {
		r = &Revenue{Key: key, Charged: t.zero, Paid: t.zero, WrittenOff: t.zero}
		t.rows[key] = r
	}
	return r
}

// writeOff adds the non-patient adjustments to the row.
func (t *revenueTable) writeOff(key string, as []Adjustment) {
	r := t.row(key)
	for _, a := range as {
		if a.Group != PatientResponsibility {
			r.WrittenOff = r.WrittenOff.plus(a.Amount)
		}
	}
}

func (t *revenueTable) sorted() []Revenue {
	out := make([]Revenue, 0, len(t.rows))
	for _, r := range t.rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Revenue) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// Summarize computes the report of the period [from, to) over claims and
// the self-pay lines of invoices in one currency; a claim or invoice in
// another currency is an error. invoices may be nil.
func Summarize(claims iter.Seq[Claim], invoices iter.Seq[Invoice], from, to time.Time, currency string) (Report, error) {
	zero, err := zeroMoney(currency)
	if err != nil {
		return Report{}, err
	}
	rep := Report{From: from, To: to, Currency: currency, Charged: zero, WrittenOff: zero, Collected: zero,
		InsurancePaid: zero, PatientPaid: zero, Receivables: zero}
	payers, procs, providers := revenueTable{zero: zero}, revenueTable{zero: zero}, revenueTable{zero: zero}
	reasons := map[string]*DenialReason{}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	for c := range claims {
		if c.Currency != currency {
			return Report{}, ErrCurrencyMismatch
		}
		if !c.billed() {
			continue
		}
		provider := func(i int) string { return cmp.Or(c.Charges[i].RenderingNPI, c.RenderingNPI, c.BillingNPI) }
		for i, ch := range c.Charges {
			if !in(ch.ServiceDate) {
				continue
			}
			amt := ch.Amount()
			rep.Charged = rep.Charged.plus(amt)
			for _, r := range []*Revenue{payers.row(c.Payer), procs.row(ch.Procedure.Code), providers.row(provider(i))} {
				r.Charged = r.Charged.plus(amt)
			}
		}
		for _, p := range c.Payments {
			if !in(p.Posted) {
				continue
			}
			rep.Collected = rep.Collected.plus(p.Amount)
			if p.Payer == PatientPayer {
				rep.PatientPaid = rep.PatientPaid.plus(p.Amount)
			} else {
				rep.InsurancePaid = rep.InsurancePaid.plus(p.Amount)
			}
			pr := payers.row(p.Payer)
			pr.Paid = pr.Paid.plus(p.Amount)
			payers.writeOff(p.Payer, p.adjustments())
			for _, a := range p.adjustments() {
				if a.Group != PatientResponsibility {
					rep.WrittenOff = rep.WrittenOff.plus(a.Amount)
				}
			}
			for _, l := range p.Lines {
				if l.Line < 0 || l.Line >= len(c.Charges) {
					continue
				}
				for _, t := range []struct {
					tab *revenueTable
					key string
				}{{&procs, c.Charges[l.Line].Procedure.Code}, {&providers, provider(l.Line)}} {
					r := t.tab.row(t.key)
					r.Paid = r.Paid.plus(l.Paid)
					t.tab.writeOff(t.key, l.Adjustments)
				}
			}
			if p.Adjudication == "" {
				continue
			}
			rep.Adjudicated++
			if p.Adjudication != ClaimDenied {
				continue
			}
			rep.Denied++
			seen := map[string]bool{}
			for _, a := range p.adjustments() {
				key := a.Group + "-" + a.Reason
				d := reasons[key]
				if d == nil {
					d = &DenialReason{Reason: key, Amount: zero}
					reasons[key] = d
				}
				if !seen[key] {
					d.Claims++
					seen[key] = true
				}
				d.Amount = d.Amount.plus(a.Amount)
			}
		}
		if c.ServiceDate().Before(to) {
			l, err := c.asOf(to.Add(-time.Microsecond)).Ledger()
			if err != nil {
				return Report{}, err
			}
			rep.Receivables = rep.Receivables.plus(l.Balance())
		}
	}
	end := to.Add(-time.Microsecond)
	for inv := range orNone(invoices) {
		if inv.Currency != currency {
			return Report{}, ErrCurrencyMismatch
		}
		if !inv.open(end) {
			continue
		}
		rows := func(ch *Charge) []*Revenue {
			rs := []*Revenue{procs.row(ch.Procedure.Code)}
			if ch.RenderingNPI != "" {
				rs = append(rs, providers.row(ch.RenderingNPI))
			}
			return rs
		}
		for _, l := range inv.Lines {
			if l.Charge == nil || !in(l.Charge.ServiceDate) {
				continue
			}
			rep.Charged = rep.Charged.plus(l.Amount)
			for _, r := range append(rows(l.Charge), payers.row(PatientPayer)) {
				r.Charged = r.Charged.plus(l.Amount)
			}
		}
		for _, p := range inv.Payments {
			if !in(p.Posted) {
				continue
			}
			for _, lp := range p.Lines {
				ch := inv.Lines[lp.Line].Charge
				if ch == nil {
					continue // posted on the claim, counted there
				}
				rep.Collected = rep.Collected.plus(lp.Paid)
				rep.PatientPaid = rep.PatientPaid.plus(lp.Paid)
				for _, r := range append(rows(ch), payers.row(PatientPayer)) {
					r.Paid = r.Paid.plus(lp.Paid)
				}
			}
		}
		for _, l := range inv.selfPay(end) {
			if l.ServiceDate.Before(to) {
				rep.Receivables = rep.Receivables.plus(l.Ledger.PatientDue())
			}
		}
	}
	rep.ByPayer, rep.ByProcedure, rep.ByProvider = payers.sorted(), procs.sorted(), providers.sorted()
	for _, d := range reasons {
		rep.Denials = append(rep.Denials, *d)
	}
	slices.SortFunc(rep.Denials, func(a, b DenialReason) int {
		return cmp.Or(cmp.Compare(b.Claims, a.Claims), cmp.Compare(a.Reason, b.Reason))
	})
	rep.DenialRate = ratio(decimal.NewFromInt(int64(rep.Denied)), decimal.NewFromInt(int64(rep.Adjudicated)), 4)
	rep.NetCollectionRate = ratio(rep.Collected.Amount, rep.Charged.Amount.Sub(rep.WrittenOff.Amount), 4)
	days := decimal.NewFromInt(int64(to.Sub(from).Hours() / 24))
	if !rep.Charged.Amount.IsZero() {
		rep.DaysInAR = ratio(rep.Receivables.Amount.Mul(days), rep.Charged.Amount, 1)
	}
	return rep, nil
}

// ratio is a / b rounded half away from zero to places; zero when b is.
func ratio(a, b decimal.Decimal, places int32) decimal.Decimal {
	if b.IsZero() {
		return decimal.Zero
	}
	return a.DivRound(b, places)
}
