package billing

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/ehrkit/ehrkit"
)

// Money is an exact amount in one ISO 4217 currency. The zero Money has no
// currency and is only a placeholder; construct amounts with [NewMoney] or
// [ParseMoney].
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"` // ISO 4217 alphabetic code, e.g. "USD"
}

// ErrCurrencyMismatch is returned when amounts of different currencies meet.
var ErrCurrencyMismatch = fmt.Errorf("billing: currencies differ: %w", ehrkit.ErrInvalid)

// NewMoney returns amount in the given ISO 4217 currency.
func NewMoney(amount decimal.Decimal, cur string) (Money, error) {
	if _, err := currency.ParseISO(cur); err != nil || len(cur) != 3 {
		var v ehrkit.Issues
		v.Add("currency", ehrkit.IssueCodeInvalid, "not an ISO 4217 currency code")
		return Money{}, v.Err()
	}
	return Money{Amount: amount, Currency: cur}, nil
}

// ParseMoney reads a decimal string ("123.45") in the given currency.
func ParseMoney(s, cur string) (Money, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		var v ehrkit.Issues
		v.Add("amount", ehrkit.IssueValue, "not a decimal amount")
		return Money{}, v.Err()
	}
	return NewMoney(d, cur)
}

// Scale is the number of minor-unit digits of the currency (ISO 4217).
func (m Money) Scale() int32 {
	u, err := currency.ParseISO(m.Currency)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return int32(scale)
}

// Round applies the package's one rounding rule: half away from zero to the
// currency's minor unit.
func (m Money) Round() Money {
	return Money{Amount: m.Amount.Round(m.Scale()), Currency: m.Currency}
}

func (m Money) same(o Money) error {
	if m.Currency != o.Currency {
		return ErrCurrencyMismatch
	}
	return nil
}

// Add returns m + o; the currencies must agree.
func (m Money) Add(o Money) (Money, error) {
	if err := m.same(o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}, nil
}

// Sub returns m - o; the currencies must agree.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.same(o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: m.Currency}, nil
}

// Mul returns m times an exact factor (units, a percentage), unrounded.
func (m Money) Mul(f decimal.Decimal) Money {
	return Money{Amount: m.Amount.Mul(f), Currency: m.Currency}
}

// Sum adds amounts of one currency; cur names the currency of an empty sum.
func Sum(cur string, ms ...Money) (Money, error) {
	total := Money{Amount: decimal.Zero, Currency: cur}
	var err error
	for _, m := range ms {
		if total, err = total.Add(m); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount.IsZero() }

// Equal reports whether m and o are the same amount in the same currency
// (1.5 USD equals 1.50 USD).
func (m Money) Equal(o Money) bool { return m.Currency == o.Currency && m.Amount.Equal(o.Amount) }

// String is the exact amount at the currency's scale and the ISO code:
// "123.45 USD".
func (m Money) String() string {
	return m.Amount.StringFixed(m.Scale()) + " " + m.Currency
}

// Format renders the rounded amount for people in the conventions of the
// language, e.g. "$ 1,234.50" for 1234.5 USD in en-US.
func (m Money) Format(tag language.Tag) (string, error) {
	u, err := currency.ParseISO(m.Currency)
	if err != nil {
		return "", errors.New("billing: not an ISO 4217 currency")
	}
	// The amount is rounded to the minor unit first; a float64 holds such
	// an amount exactly up to 2^53 minor units, ample for display.
	f, _ := m.Round().Amount.Float64()
	return message.NewPrinter(tag).Sprint(currency.Symbol(u.Amount(f))), nil
}
