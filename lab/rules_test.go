package lab_test

import (
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func qty(v, unit string) clinical.Value { return clinical.QuantityValue(ehrkit.Qty(v, unit)) }

func cmpQty(cmp, v, unit string) clinical.Value {
	q := ehrkit.Qty(v, unit)
	q.Comparator = cmp
	return clinical.QuantityValue(q)
}

func TestInterpretStarterRanges(t *testing.T) {
	ranges := lab.StarterRanges()
	cases := []struct {
		name string
		code string
		sex  patient.Gender
		v    clinical.Value
		flag string
		ok   bool
	}{
		{"potassium normal", lab.LOINCPotassium, "", qty("4.1", "mmol/L"), lab.FlagNormal, true},
		{"potassium at low limit is normal", lab.LOINCPotassium, "", qty("3.7", "mmol/L"), lab.FlagNormal, true},
		{"potassium low", lab.LOINCPotassium, "", qty("3.2", "mmol/L"), lab.FlagLow, true},
		{"potassium high", lab.LOINCPotassium, "", qty("5.6", "mmol/L"), lab.FlagHigh, true},
		{"potassium critical high at limit", lab.LOINCPotassium, "", qty("6.2", "mmol/L"), lab.FlagCriticalHigh, true},
		{"potassium critical low", lab.LOINCPotassium, "", qty("2.5", "mmol/L"), lab.FlagCriticalLow, true},
		{"potassium in mEq/L is not converted", lab.LOINCPotassium, "", qty("4.1", "meq/L"), "", false},
		{"sodium critical low", lab.LOINCSodium, "", qty("118", "mmol/L"), lab.FlagCriticalLow, true},
		{"sodium critical high", lab.LOINCSodium, "", qty("160", "mmol/L"), lab.FlagCriticalHigh, true},
		{"glucose high", lab.LOINCGlucose, "", qty("180", "mg/dL"), lab.FlagHigh, true},
		{"glucose critical low", lab.LOINCGlucose, "", qty("40", "mg/dL"), lab.FlagCriticalLow, true},
		{"hemoglobin female low", lab.LOINCHemoglobin, patient.GenderFemale, qty("11.5", "g/dL"), lab.FlagLow, true},
		{"hemoglobin male low at female normal", lab.LOINCHemoglobin, patient.GenderMale, qty("13.0", "g/dL"), lab.FlagLow, true},
		{"hemoglobin critical", lab.LOINCHemoglobin, patient.GenderMale, qty("6.0", "g/dL"), lab.FlagCriticalLow, true},
		{"creatinine male high", lab.LOINCCreatinine, patient.GenderMale, qty("1.5", "mg/dL"), lab.FlagHigh, true},
		{"creatinine critical", lab.LOINCCreatinine, patient.GenderFemale, qty("8.0", "mg/dL"), lab.FlagCriticalHigh, true},
		{"troponin high", lab.LOINCTroponinI, "", qty("0.5", "ng/mL"), lab.FlagHigh, true},
		{"troponin below detection", lab.LOINCTroponinI, "", cmpQty("<", "0.01", "ng/mL"), lab.FlagNormal, true},
		{"troponin above measuring range", lab.LOINCTroponinI, "", cmpQty(">", "50", "ng/mL"), lab.FlagHigh, true},
		{"potassium <3.0 spans L and LL", lab.LOINCPotassium, "", cmpQty("<", "3.0", "mmol/L"), "", false},
		{"potassium <2.8 is all critical", lab.LOINCPotassium, "", cmpQty("<", "2.8", "mmol/L"), lab.FlagCriticalLow, true},
		{"potassium >6.2 is all critical", lab.LOINCPotassium, "", cmpQty(">", "6.2", "mmol/L"), lab.FlagCriticalHigh, true},
		{"text is never flagged", lab.LOINCPotassium, "", clinical.TextValue("hemolyzed"), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, found := ranges.For(c.code, c.sex, 40, true)
			require.True(t, found)
			flag, ok := lab.Interpret(c.v, r)
			assert.Equal(t, c.ok, ok)
			if c.ok {
				assert.Equal(t, c.flag, flag)
			}
		})
	}
}

func TestRangesBySexAndAge(t *testing.T) {
	rs := lab.StarterRanges()
	_, ok := rs.For(lab.LOINCHemoglobin, "", 40, true)
	assert.False(t, ok, "a sex-specific range needs a sex")
	_, ok = rs.For(lab.LOINCPotassium, "", 5, true)
	assert.False(t, ok, "adult ranges do not apply to a child")
	_, ok = rs.For(lab.LOINCPotassium, "", 0, false)
	assert.True(t, ok, "an unknown age is read against the adult ranges")

	child := lab.ReferenceRange{Code: lab.LOINCPotassium, AgeTo: 18, Unit: "mmol/L", Low: decimalOf("3.4"), High: decimalOf("4.7")}
	table := append(lab.Ranges{child}, rs...)
	r, ok := table.For(lab.LOINCPotassium, patient.GenderFemale, 10, true)
	require.True(t, ok)
	flag, _ := lab.Interpret(qty("5.0", "mmol/L"), r)
	assert.Equal(t, lab.FlagHigh, flag)
	r, _ = table.For(lab.LOINCPotassium, patient.GenderFemale, 30, true)
	flag, _ = lab.Interpret(qty("5.0", "mmol/L"), r)
	assert.Equal(t, lab.FlagNormal, flag)
}

func TestInterpretCoded(t *testing.T) {
	neg := ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "260385009"}
	pos := ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "10828004"}
	r := lab.ReferenceRange{Normal: []ehrkit.Coding{neg}}
	flag, ok := lab.Interpret(clinical.CodedValue(ehrkit.CodeableConcept{Coding: []ehrkit.Coding{pos}}), r)
	assert.True(t, ok)
	assert.Equal(t, lab.FlagAbnormal, flag)
	r.Critical = []ehrkit.Coding{pos}
	flag, _ = lab.Interpret(clinical.CodedValue(ehrkit.CodeableConcept{Coding: []ehrkit.Coding{pos}}), r)
	assert.Equal(t, lab.FlagCriticalAbnormal, flag)
	assert.True(t, lab.IsCritical(flag))
	flag, _ = lab.Interpret(clinical.CodedValue(ehrkit.CodeableConcept{Coding: []ehrkit.Coding{neg}}), r)
	assert.Equal(t, lab.FlagNormal, flag)
}

func TestCheckDelta(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	rules := lab.StarterDeltaRules()
	potassium, creatinine := rules[0], rules[3]
	prev := lab.Previous{ID: "k1", At: t0, Value: qty("4.0", "mmol/L")}
	d, ok := lab.CheckDelta(potassium, prev, ehrkit.Qty("5.5", "mmol/L"), t0.Add(24*time.Hour))
	require.True(t, ok)
	assert.True(t, d.Exceeded)
	assert.Equal(t, "1.5", d.Change.Value.String())
	d, ok = lab.CheckDelta(potassium, prev, ehrkit.Qty("4.5", "mmol/L"), t0.Add(24*time.Hour))
	require.True(t, ok)
	assert.False(t, d.Exceeded)
	_, ok = lab.CheckDelta(potassium, prev, ehrkit.Qty("5.5", "mmol/L"), t0.Add(30*24*time.Hour))
	assert.False(t, ok, "results a month apart are not compared")
	d, ok = lab.CheckDelta(creatinine, lab.Previous{ID: "c1", At: t0, Value: qty("1.0", "mg/dL")}, ehrkit.Qty("1.6", "mg/dL"), t0.Add(time.Hour))
	require.True(t, ok)
	assert.True(t, d.Exceeded, "a 60% rise exceeds 50%")
}

func TestAgeAt(t *testing.T) {
	birth := ehrkit.NewDate(2000, time.June, 15)
	age, ok := lab.AgeAt(birth, time.Date(2026, 6, 14, 0, 0, 0, 0, time.UTC))
	require.True(t, ok)
	assert.Equal(t, 25, age)
	age, _ = lab.AgeAt(birth, time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC))
	assert.Equal(t, 26, age)
}

func decimalOf(s string) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: decimal.RequireFromString(s), Valid: true}
}
