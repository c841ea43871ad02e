package billing_test

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

func usd(t *testing.T, s string) billing.Money {
	t.Helper()
	m, err := billing.ParseMoney(s, "USD")
	require.NoError(t, err)
	return m
}

func TestMoneyExact(t *testing.T) {
	// 0.1 + 0.2 is exactly 0.3 in decimal, unlike float64.
	sum, err := billing.Sum("USD", usd(t, "0.10"), usd(t, "0.20"))
	require.NoError(t, err)
	assert.True(t, sum.Equal(usd(t, "0.3")))
	assert.Equal(t, "0.30 USD", sum.String())

	eur, err := billing.ParseMoney("1", "EUR")
	require.NoError(t, err)
	_, err = sum.Add(eur)
	require.ErrorIs(t, err, billing.ErrCurrencyMismatch)
	require.ErrorIs(t, err, ehrkit.ErrInvalid)
}

func TestMoneyRound(t *testing.T) {
	tests := []struct {
		amount, cur, want string
	}{
		{"2.345", "USD", "2.35"},   // half away from zero
		{"-2.345", "USD", "-2.35"}, // half away from zero, negative
		{"2.344", "USD", "2.34"},
		{"1234.5", "JPY", "1235"},  // no minor unit
		{"1.2345", "BHD", "1.235"}, // three minor digits
	}
	for _, tt := range tests {
		m, err := billing.ParseMoney(tt.amount, tt.cur)
		require.NoError(t, err)
		assert.Equal(t, tt.want, m.Round().Amount.StringFixed(m.Scale()), tt.amount+" "+tt.cur)
	}
	third := usd(t, "100").Mul(decimal.RequireFromString("0.3333"))
	assert.Equal(t, "33.33 USD", third.Round().String())
}

func TestMoneyFormat(t *testing.T) {
	s, err := usd(t, "1234.5").Format(language.AmericanEnglish)
	require.NoError(t, err)
	assert.Equal(t, "$ 1,234.50", s)
}

func TestMoneyInvalid(t *testing.T) {
	_, err := billing.ParseMoney("12,50", "USD")
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("amount", ehrkit.IssueValue))
	_, err = billing.ParseMoney("1", "XYZ1")
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("currency", ehrkit.IssueCodeInvalid))
}
