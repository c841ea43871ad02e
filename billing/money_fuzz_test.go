package billing_test

import (
	"errors"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

// FuzzParseMoney feeds arbitrary amounts and currency codes to ParseMoney: it
// never panics, a refusal is a *ehrkit.ValidationError naming amount or
// currency, and an amount it reads renders back to the same value.
func FuzzParseMoney(f *testing.F) {
	f.Add("123.45", "USD")
	f.Add("-0.005", "JPY")
	f.Add("1e400", "EUR")
	f.Add("12,50", "eur")
	f.Fuzz(func(t *testing.T, amount, cur string) {
		m, err := billing.ParseMoney(amount, cur)
		if err != nil {
			var ve *ehrkit.ValidationError
			if !errors.As(err, &ve) || !(ve.Has("amount", ehrkit.IssueValue) || ve.Has("currency", ehrkit.IssueCodeInvalid)) {
				t.Fatalf("refusal %v", err)
			}
			return
		}
		again, err := billing.ParseMoney(m.Amount.String(), m.Currency)
		if err != nil || !again.Amount.Equal(m.Amount) {
			t.Fatalf("%s %s reads back as %v, %v", m.Amount, m.Currency, again, err)
		}
	})
}
