package rx_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDoseUnchecked: a dose that cannot be converted to an amount of an
// ingredient with a limit raises a dose-unchecked alert instead of passing
// unchecked.
func TestDoseUnchecked(t *testing.T) {
	adult := rx.Patient{BirthDate: ehrkit.MustDate("1970-05-01")}
	on := ehrkit.MustDate("2026-11-25")
	tests := []struct {
		name  string
		order rx.Proposed
		rules []string
	}{
		{"unknown unit", rx.Proposed{Medication: code("36567"), Dose: dose("10000", "xyz")}, []string{"ADULT-SIMVASTATIN/unit"}},
		{"volume for a mass limit", rx.Proposed{Medication: code("36567"), Dose: dose("10000", "mL")}, []string{"ADULT-SIMVASTATIN/unit"}},
		{"non-UCUM mass", rx.Proposed{Medication: code("36567"), Dose: dose("10000", "lbs"), FrequencyPerDay: decimal.NewFromInt(1)}, []string{"ADULT-SIMVASTATIN/unit"}},
		{"unit case is folded", rx.Proposed{Medication: code("36567"), Dose: dose("20", "MG")}, nil},
		{"mass converts", rx.Proposed{Medication: code("36567"), Dose: dose("20", "mg")}, nil},
		{"tablets of a product of known strength", rx.Proposed{Medication: code("312961"), Dose: dose("1", "{tbl}")}, nil},
		{"no dose, no check", rx.Proposed{Medication: code("36567")}, nil},
		{"a drug without limits", rx.Proposed{Medication: code("7646"), Dose: dose("1", "xyz")}, nil},
		{"no limit for the route", rx.Proposed{Medication: code("5640"), Dose: dose("1", "xyz"), Route: "intravenous"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := rx.Check(rx.Shipped(), rx.Input{Patient: adult, Orders: []rx.Proposed{tt.order}, On: on})
			var got []string
			for _, a := range kinds(res, rx.DoseUnchecked) {
				got = append(got, a.Rule)
				assert.True(t, a.Interruptive, "an unchecked dose must be acknowledged")
				assert.Equal(t, rx.Moderate, a.Severity)
				assert.Contains(t, a.Message, "Dose not checked")
				assert.Contains(t, a.Source, "FDA-LABEL-")
				assert.NotEmpty(t, a.Codes)
			}
			assert.ElementsMatch(t, tt.rules, got)
			assert.Empty(t, kinds(res, rx.DoseRange), "an unconvertible dose is never compared with the limit")
		})
	}

	t.Run("suppressing the limit suppresses the alert", func(t *testing.T) {
		kb := rx.Merge([]rx.KnowledgeBase{rx.Shipped()}, "ADULT-SIMVASTATIN")
		res := rx.Check(kb, rx.Input{Patient: adult, Orders: []rx.Proposed{{Medication: code("36567"), Dose: dose("1", "xyz")}}, On: on})
		require.Empty(t, kinds(res, rx.DoseUnchecked))
	})
}
