package billing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

func TestPrice(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jul := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	schedules := []billing.FeeSchedule{
		{Payer: "A", Effective: ehrkit.Period{Start: jan, End: jul}, Fees: []billing.Fee{
			{Code: "71046", Price: usd(t, "80.00")},
			{Code: "71046", Modifier: "26", Price: usd(t, "30.00")},
		}},
		{Payer: "A", Effective: ehrkit.Period{Start: jul}, Fees: []billing.Fee{{Code: "71046", Price: usd(t, "85.00")}}},
		{Payer: "B", Effective: ehrkit.Period{Start: jan}, Fees: []billing.Fee{{Code: "71046", Price: usd(t, "70.00")}}},
	}
	tests := []struct {
		name, payer, code string
		mods              []string
		on                time.Time
		want              string
	}{
		{"plain fee", "A", "71046", nil, jan.AddDate(0, 2, 0), "80.00 USD"},
		{"modifier fee wins", "A", "71046", []string{"26"}, jan.AddDate(0, 2, 0), "30.00 USD"},
		{"end is exclusive: the July schedule applies", "A", "71046", nil, jul, "85.00 USD"},
		{"other payer", "B", "71046", nil, jul, "70.00 USD"},
		{"before any schedule", "A", "71046", nil, jan.AddDate(0, 0, -1), ""},
		{"code not priced", "A", "99213", nil, jul, ""},
	}
	for _, tt := range tests {
		p, ok := billing.Price(schedules, tt.payer, tt.code, tt.mods, tt.on)
		if tt.want == "" {
			assert.False(t, ok, tt.name)
			continue
		}
		assert.True(t, ok, tt.name)
		assert.Equal(t, tt.want, p.String(), tt.name)
	}
}
