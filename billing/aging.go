package billing

import (
	"iter"
	"time"
)

// AgingBuckets is the number of A/R aging buckets.
const AgingBuckets = 5

// AgingLabels name the aging buckets: days since the date of service.
var AgingLabels = [AgingBuckets]string{"0-30", "31-60", "61-90", "91-120", "121+"}

// AgingBucket is the bucket of a receivable on asOf whose service was on
// the given day: 0 for 0-30 days, 1 for 31-60, 2 for 61-90, 3 for 91-120, 4
// beyond. Days count calendar days in UTC.
func AgingBucket(asOf, service time.Time) int {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	days := int(day(asOf.UTC()).Sub(day(service.UTC())).Hours() / 24)
	if days <= 30 {
		return 0
	}
	return min((days-1)/30, AgingBuckets-1)
}

// Aging is accounts receivable by age of service, split by who owes it:
// the balance still expected from payers and the patients' share. A claim
// holding a credit (paid more than owed) is not a receivable: its credit is
// summed in Credit instead, for refunding.
type Aging struct {
	AsOf      time.Time           `json:"asOf"`
	Currency  string              `json:"currency"`
	Insurance [AgingBuckets]Money `json:"insurance"`
	Patient   [AgingBuckets]Money `json:"patient"`
	Credit    Money               `json:"credit"`
}

// Total is the receivables of all buckets, insurance and patient.
func (a Aging) Total() Money {
	t := Money{Currency: a.Currency}
	for i := range a.Insurance {
		t = t.plus(a.Insurance[i]).plus(a.Patient[i])
	}
	return t
}

// AgeReceivables buckets the balances of the billed claims in one currency
// as of a day (payments posted later are not counted), aged from each
// claim's first date of service, and the unpaid self-pay charges of the
// invoices issued by then, aged from their dates of service, as the
// patients'. A claim's share paid through an invoice is on the claim's
// ledger. A claim or invoice in another currency is an error; invoices may
// be nil.
func AgeReceivables(claims iter.Seq[Claim], invoices iter.Seq[Invoice], asOf time.Time, currency string) (Aging, error) {
	zero, err := zeroMoney(currency)
	if err != nil {
		return Aging{}, err
	}
	a := Aging{AsOf: asOf, Currency: currency, Credit: zero}
	for i := range a.Insurance {
		a.Insurance[i], a.Patient[i] = zero, zero
	}
	for c := range claims {
		if c.Currency != currency {
			return Aging{}, ErrCurrencyMismatch
		}
		if !c.billed() {
			continue
		}
		l, err := c.asOf(asOf).Ledger()
		if err != nil {
			return Aging{}, err
		}
		b := AgingBucket(asOf, c.ServiceDate())
		for _, part := range []struct {
			due  Money
			into *Money
		}{{l.InsuranceDue(), &a.Insurance[b]}, {l.PatientDue(), &a.Patient[b]}} {
			if part.due.Amount.IsNegative() {
				a.Credit.Amount = a.Credit.Amount.Sub(part.due.Amount)
				continue
			}
			*part.into = part.into.plus(part.due)
		}
	}
	for inv := range orNone(invoices) {
		if inv.Currency != currency {
			return Aging{}, ErrCurrencyMismatch
		}
		if !inv.open(asOf) {
			continue
		}
		for _, l := range inv.selfPay(asOf) {
			b := AgingBucket(asOf, l.ServiceDate)
			a.Patient[b] = a.Patient[b].plus(l.Ledger.PatientDue())
		}
	}
	return a, nil
}
