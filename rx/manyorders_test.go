package rx_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/membound"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manyOrders is n orders cycling through codes, each 500 mg twice a day.
func manyOrders(n int, codes ...string) rx.Input {
	in := rx.Input{On: ehrkit.MustDate("2026-01-01")}
	for i := range n {
		in.Orders = append(in.Orders, rx.Proposed{Medication: code(codes[i%len(codes)]), Dose: ehrkit.Qty("500", "mg"), FrequencyPerDay: decimal.NewFromInt(2)})
	}
	return in
}

// TestCheckManyOrdersFindings checks that a long list of orders of one drug
// gives every order its findings once: a duplicate of the next order (each
// order is checked against the orders after it) and the cumulative daily dose
// across all of them.
func TestCheckManyOrdersFindings(t *testing.T) {
	const n = 300
	res := rx.Check(rx.Shipped(), manyOrders(n, "21212"))
	require.Len(t, res.Alerts, 2*n-1)
	dup, cum := map[int]int{}, map[int]int{}
	for _, a := range res.Alerts {
		switch {
		case a.Kind == rx.DuplicateTherapy && a.Rule == "SAME-INGREDIENT":
			dup[a.Order]++
		case a.Kind == rx.DoseRange:
			assert.Contains(t, a.Rule, "/cumulative")
			cum[a.Order]++
		default:
			t.Fatalf("unexpected alert %+v", a)
		}
	}
	for i := range n {
		assert.Equal(t, 1, cum[i], "order %d cumulative", i)
		want := 1
		if i == n-1 {
			want = 0
		}
		assert.Equal(t, want, dup[i], "order %d duplicate", i)
	}
	// Alerts of different orders do not share their code lists.
	res.Alerts[0].Codes[0] = "changed"
	assert.NotEqual(t, "changed", res.Alerts[2].Codes[0])
}

// TestCheckManyOrdersLinear checks that the memory Check allocates grows with
// the number of orders, not with its square: 4 000 orders took 5.2 GB when
// every order was paired with every later one alert by alert.
func TestCheckManyOrdersLinear(t *testing.T) {
	kb := rx.Shipped()
	for _, codes := range [][]string{{"21212"}, {"21212", "11289", "5640", "161", "7646", "36567", "1191", "8640"}} {
		small := membound.Alloc(func() { rx.Check(kb, manyOrders(500, codes...)) })
		large := membound.Alloc(func() { rx.Check(kb, manyOrders(4000, codes...)) })
		// Eight times the orders: quadratic growth would allocate 64 times as much.
		assert.Less(t, large, 16*small, "codes %v: %d bytes for 500 orders, %d for 4000", codes, small, large)
	}
}
