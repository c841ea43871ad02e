package rx_test

import (
	"errors"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func per(n int64) decimal.Decimal { return decimal.NewFromInt(n) }

// TestDosingCases checks the shipped dose limits: paediatric per-kilogram
// limits, route-specific and age-specific limits and dangerous patterns, each
// case with the label section it follows.
func TestDosingCases(t *testing.T) {
	on := ehrkit.MustDate("2026-11-25")
	child := func(birth, kg string) rx.Patient {
		return rx.Patient{BirthDate: ehrkit.MustDate(birth), WeightKg: decimal.RequireFromString(kg)}
	}
	adult := rx.Patient{BirthDate: ehrkit.MustDate("1970-05-01"), WeightKg: per(70)}
	older := rx.Patient{BirthDate: ehrkit.MustDate("1950-03-01"), WeightKg: per(70)}
	const (
		apap = "161"
		ibu  = "5640"
		amox = "723"
	)
	tests := []struct {
		name      string
		patient   rx.Patient
		order     rx.Proposed
		want      []string
		reference string
	}{
		{"acetaminophen 15 mg/kg q6h in a 20 kg child is within limits", child("2020-06-01", "20"),
			rx.Proposed{Medication: code(apap), Dose: dose("300", "mg"), FrequencyPerDay: per(4)}, nil, "Ofirmev 2.2: 15 mg/kg, 75 mg/kg/day"},
		{"acetaminophen 500 mg in a 20 kg child is over 15 mg/kg", child("2020-06-01", "20"),
			rx.Proposed{Medication: code(apap), Dose: dose("500", "mg"), FrequencyPerDay: per(4)}, []string{"PAED-ACETAMINOPHEN-CHILD/single", "PAED-ACETAMINOPHEN-CHILD/daily"}, "Ofirmev 2.2"},
		{"acetaminophen 15 mg/kg six times a day is over 75 mg/kg/day", child("2020-06-01", "20"),
			rx.Proposed{Medication: code(apap), Dose: dose("300", "mg"), FrequencyPerDay: per(6)}, []string{"PAED-ACETAMINOPHEN-CHILD/daily"}, "Ofirmev 2.2; OTC children's label: at most 5 doses in 24 hours"},
		{"acetaminophen in an infant: 60 mg/kg/day", child("2025-11-01", "8"),
			rx.Proposed{Medication: code(apap), Dose: dose("120", "mg"), FrequencyPerDay: per(5)}, []string{"PAED-ACETAMINOPHEN-INFANT/daily"}, "Ofirmev 2.2, infants 29 days to 2 years"},
		{"acetaminophen 50 mg q6h in a 10-day-old of 3.5 kg is over the neonatal 12.5 mg/kg and 50 mg/kg/day", child("2026-11-15", "3.5"),
			rx.Proposed{Medication: code(apap), Dose: dose("50", "mg"), FrequencyPerDay: per(4)}, []string{"NEONATE-ACETAMINOPHEN/single", "NEONATE-ACETAMINOPHEN/daily"}, "Ofirmev 2.2, neonates: 12.5 mg/kg every 6 hours, 50 mg/kg/day"},
		{"acetaminophen 40 mg q6h in a 10-day-old of 3.5 kg is within the neonatal limits", child("2026-11-15", "3.5"),
			rx.Proposed{Medication: code(apap), Dose: dose("40", "mg"), FrequencyPerDay: per(4)}, nil, "Ofirmev 2.2, neonates"},
		{"acetaminophen 50 mg q6h at 35 days of age follows the infant band", child("2026-10-21", "3.5"),
			rx.Proposed{Medication: code(apap), Dose: dose("50", "mg"), FrequencyPerDay: per(4)}, nil, "Ofirmev 2.2, infants 29 days to 2 years: 15 mg/kg, 60 mg/kg/day"},
		{"amoxicillin 50 mg/kg/day in a 6-week-old is over 30 mg/kg/day", child("2026-10-14", "5"),
			rx.Proposed{Medication: code(amox), Dose: dose("125", "mg"), FrequencyPerDay: per(2)}, []string{"INFANT-AMOXICILLIN/daily"}, "Amoxil 2.3: up to 12 weeks, 30 mg/kg/day divided every 12 hours"},
		{"amoxicillin 30 mg/kg/day in a 6-week-old is within limits", child("2026-10-14", "5"),
			rx.Proposed{Medication: code(amox), Dose: dose("75", "mg"), FrequencyPerDay: per(2)}, nil, "Amoxil 2.3"},
		{"amoxicillin 50 mg/kg/day at 14 weeks follows the child band", child("2026-08-19", "5"),
			rx.Proposed{Medication: code(amox), Dose: dose("125", "mg"), FrequencyPerDay: per(2)}, nil, "Amoxil 2.2: 25-45 mg/kg/day from 3 months"},
		{"ibuprofen 10 mg/kg q8h in a 15 kg child is within limits", child("2022-01-01", "15"),
			rx.Proposed{Medication: code(ibu), Dose: dose("150", "mg"), FrequencyPerDay: per(3)}, nil, "Motrin pediatric dosing: 5-10 mg/kg, 40 mg/kg/day"},
		{"ibuprofen 200 mg q6h in a 15 kg child is over 10 and 40 mg/kg", child("2022-01-01", "15"),
			rx.Proposed{Medication: code(ibu), Dose: dose("200", "mg"), FrequencyPerDay: per(4)}, []string{"PAED-IBUPROFEN/single", "PAED-IBUPROFEN/daily"}, "Motrin pediatric dosing"},
		{"amoxicillin 90 mg/kg/day for otitis media is within limits", child("2023-03-01", "12"),
			rx.Proposed{Medication: code(amox), Dose: dose("540", "mg"), FrequencyPerDay: per(2)}, nil, "Augmentin ES-600; AAP 2013"},
		{"amoxicillin 1000 mg three times a day in a 12 kg child", child("2023-03-01", "12"),
			rx.Proposed{Medication: code(amox), Dose: dose("1000", "mg"), FrequencyPerDay: per(3)}, []string{"PAED-AMOXICILLIN/single", "PAED-AMOXICILLIN/daily"}, "Amoxil 2.2"},
		{"a child without a weight: cannot check, said so", rx.Patient{BirthDate: ehrkit.MustDate("2022-01-01")},
			rx.Proposed{Medication: code(amox), Dose: dose("250", "mg"), FrequencyPerDay: per(3)}, []string{rx.RuleNoWeight}, "weight-based limits need a weight"},
		{"citalopram 40 mg at 76 is over the 20 mg limit for age, reported once", older,
			rx.Proposed{Medication: code(byName(t, "citalopram")), Dose: dose("40", "mg"), FrequencyPerDay: per(1)}, []string{"OLDER-CITALOPRAM/daily"}, "Celexa 2.1: 20 mg/day over 60"},
		{"citalopram 40 mg at 56 is within limits", adult,
			rx.Proposed{Medication: code(byName(t, "citalopram")), Dose: dose("40", "mg"), FrequencyPerDay: per(1)}, nil, "Celexa 2.1"},
		{"citalopram 60 mg at 56 is over the general limit", adult,
			rx.Proposed{Medication: code(byName(t, "citalopram")), Dose: dose("60", "mg"), FrequencyPerDay: per(1)}, []string{"ADULT-CITALOPRAM/daily"}, "Celexa 2.1"},
		{"ketorolac 30 mg IV is within the injection limit", adult,
			rx.Proposed{Medication: code(byName(t, "ketorolac")), Dose: dose("30", "mg"), FrequencyPerDay: per(4), Route: "IV"}, nil, "ketorolac injection label"},
		{"ketorolac 30 mg by mouth is over the oral limit", adult,
			rx.Proposed{Medication: code(byName(t, "ketorolac")), Dose: dose("30", "mg"), FrequencyPerDay: per(4), Route: "PO"}, []string{"ADULT-KETOROLAC-ORAL/single", "ADULT-KETOROLAC-ORAL/daily"}, "ketorolac tablets label"},
		{"ketorolac 30 mg IV at 76 is over the limit for age", older,
			rx.Proposed{Medication: code(byName(t, "ketorolac")), Dose: dose("30", "mg"), FrequencyPerDay: per(4), Route: "47625008"}, []string{"OLDER-KETOROLAC-PARENTERAL/single", "OLDER-KETOROLAC-PARENTERAL/daily"}, "ketorolac injection label, 65 years and over"},
		{"acetaminophen 1000 mg IV in a 50 kg adult is over 15 mg/kg", rx.Patient{BirthDate: ehrkit.MustDate("1970-05-01"), WeightKg: per(50)},
			rx.Proposed{Medication: code(apap), Dose: dose("1000", "mg"), FrequencyPerDay: per(4), Route: "intravenous"}, []string{"ADULT-ACETAMINOPHEN-IV/single", "ADULT-ACETAMINOPHEN-IV/daily"}, "Ofirmev 2.1: under 50 kg 15 mg/kg"},
		{"methotrexate 2.5 mg daily by mouth", adult,
			rx.Proposed{Medication: code(byName(t, "methotrexate")), Dose: dose("2.5", "mg"), FrequencyPerDay: per(1), Route: "oral"}, []string{"PATTERN-METHOTREXATE-WEEKLY/frequency"}, "methotrexate tablets boxed warning, 2.1"},
		{"methotrexate 15 mg weekly by mouth", adult,
			rx.Proposed{Medication: code(byName(t, "methotrexate")), Dose: dose("15", "mg"), FrequencyPerDay: decimal.NewFromInt(1).Div(per(7)), Route: "oral"}, nil, "methotrexate tablets 2.1"},
		{"colchicine 0.6 mg every hour", adult,
			rx.Proposed{Medication: code(byName(t, "colchicine")), Dose: dose("0.6", "mg"), FrequencyPerDay: per(8)}, []string{"ADULT-COLCHICINE/frequency", "ADULT-COLCHICINE/daily"}, "Colcrys 2.1-2.3"},
		{"colchicine 0.6 mg twice daily", adult,
			rx.Proposed{Medication: code(byName(t, "colchicine")), Dose: dose("0.6", "mg"), FrequencyPerDay: per(2)}, nil, "Colcrys 2.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := rx.Check(rx.Shipped(), rx.Input{Patient: tt.patient, Orders: []rx.Proposed{tt.order}, On: on})
			var got []string
			for _, a := range kinds(res, rx.DoseRange) {
				got = append(got, a.Rule)
				assert.True(t, a.Interruptive, tt.reference)
				assert.Contains(t, a.Source, "FDA-LABEL-", tt.reference)
			}
			assert.ElementsMatch(t, tt.want, got, tt.reference)
		})
	}
}

// TestCumulativeDailyDose sums one ingredient across products and orders: the
// FDA OTC acetaminophen label caps all products together at 4 g a day.
func TestCumulativeDailyDose(t *testing.T) {
	adult := rx.Patient{BirthDate: ehrkit.MustDate("1970-05-01"), WeightKg: per(70)}
	on := ehrkit.MustDate("2026-11-25")
	percocet := rx.Proposed{Medication: code("1049221"), Dose: dose("2", "{tablet}"), FrequencyPerDay: per(6)} // 3.9 g acetaminophen
	tylenol := rx.Proposed{Medication: code("161"), Dose: dose("1000", "mg"), FrequencyPerDay: per(4)}         // 4 g
	t.Run("two orders together: 7.9 g a day", func(t *testing.T) {
		res := rx.Check(rx.Shipped(), rx.Input{Patient: adult, On: on, Orders: []rx.Proposed{percocet, tylenol}})
		cum := fired(res, "ADULT-ACETAMINOPHEN/cumulative")
		require.Len(t, cum, 2, "both orders carry the alert")
		assert.ElementsMatch(t, []int{0, 1}, []int{cum[0].Order, cum[1].Order})
		assert.Contains(t, cum[0].Message, "7900 mg")
		assert.Contains(t, cum[0].Source, "FDA-LABEL-ACETAMINOPHEN")
		assert.Empty(t, fired(res, "ADULT-ACETAMINOPHEN/daily"), "neither order alone is over the limit")
	})
	t.Run("an active order counts", func(t *testing.T) {
		res := rx.Check(rx.Shipped(), rx.Input{Patient: adult, On: on, ActiveOrders: []rx.Proposed{tylenol}, Orders: []rx.Proposed{percocet}})
		cum := fired(res, "ADULT-ACETAMINOPHEN/cumulative")
		require.Len(t, cum, 1)
		assert.Equal(t, 0, cum[0].Order)
		assert.NotEmpty(t, kinds(res, rx.DuplicateTherapy), "the active order is also an active medication")
	})
	t.Run("within 4 g together: quiet", func(t *testing.T) {
		half := rx.Proposed{Medication: code("161"), Dose: dose("500", "mg"), FrequencyPerDay: per(4)}
		percocetLow := rx.Proposed{Medication: code("1049221"), Dose: dose("1", "{tablet}"), FrequencyPerDay: per(4)}
		res := rx.Check(rx.Shipped(), rx.Input{Patient: adult, On: on, Orders: []rx.Proposed{half, percocetLow}})
		assert.Empty(t, fired(res, "ADULT-ACETAMINOPHEN/cumulative"))
	})
}

func TestNormalizeRoute(t *testing.T) {
	for in, want := range map[string]string{"PO": "oral", "oral": "oral", "26643006": "oral", "IV": "intravenous", " im ": "intramuscular", "Nasal": "nasal"} {
		assert.Equal(t, want, rx.NormalizeRoute(in), in)
	}
}

// TestServiceSumsActiveDoses: at draft and at signing the service gives the
// engine the doses of the patient's active orders, so a second acetaminophen
// product that takes the day over 4 g (FDA OTC acetaminophen label) is
// flagged, on every backend.
func TestServiceSumsActiveDoses(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-1", "attending")
		tylenol := medOrder("161", "acetaminophen")
		tylenol.Medication.Dose, tylenol.Medication.FrequencyPerDay = ehrkit.Qty("1000", "mg"), decimal.NewFromInt(4)
		first, err := svc.Draft(ctx, tylenol)
		require.NoError(t, err)
		_, err = svc.Sign(ctx, first.ID, "")
		require.NoError(t, err)

		percocet := medOrder("1049221", "oxycodone / acetaminophen")
		percocet.Medication.Dose, percocet.Medication.FrequencyPerDay = ehrkit.Qty("2", "{tablet}"), decimal.NewFromInt(6)
		second, err := svc.Draft(ctx, percocet)
		require.NoError(t, err)
		assert.NotEmpty(t, firedOn(second.Alerts, "ADULT-ACETAMINOPHEN/cumulative"), "at draft: %v", second.Alerts)

		signed, err := svc.Sign(ctx, second.ID, "")
		var ae *rx.AlertsError
		if errors.As(err, &ae) {
			assert.NotEmpty(t, firedOn(ae.Alerts, "ADULT-ACETAMINOPHEN/cumulative"), "at signing: %v", ae.Alerts)
			return
		}
		require.NoError(t, err)
		assert.NotEmpty(t, firedOn(signed.Alerts, "ADULT-ACETAMINOPHEN/cumulative"), "at signing: %v", signed.Alerts)
	})
}

func firedOn(alerts []rx.Alert, rule string) []rx.Alert {
	var out []rx.Alert
	for _, a := range alerts {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}
