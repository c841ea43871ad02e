package clinical_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckUnit(t *testing.T) {
	valid := []string{
		"kg", "g", "mg/dL", "mmol/L", "mm[Hg]", "/min", "Cel", "[degF]", "[lb_av]", "[in_i]", "%",
		"kg/m2", "{score}", "mL/min/{1.73_m2}", "10*3/uL", "10*6/uL", "fL", "pg", "U/L", "mg/g",
		"{T-score}", "{pack}/d", "(kg.m)/s2", "m.s-1", "ug/mL", "dam", "kPa", "1/min", "[iU]/L", "10*-3",
	}
	for _, u := range valid {
		assert.NoError(t, clinical.CheckUnit(u), u)
	}
	invalid := []string{
		"", "lbs", "kgs", "mmHg", "deg F", "kg//m", "kg/", "(kg", "kg)", "{abc", "[lb_av", "°C",
		"kg m", "bpm", "beats/min", "kmin", "Kg", "2-", "kg.{a{b}", "mm[Hg]x", "()",
	}
	for _, u := range invalid {
		err := clinical.CheckUnit(u)
		assert.ErrorIs(t, err, ehrkit.ErrInvalid, u)
		var ve *ehrkit.ValidationError
		if assert.ErrorAs(t, err, &ve, u) {
			assert.True(t, ve.Has("unit", ehrkit.IssueCodeInvalid), "%q names the unit", u)
		}
	}
}

func FuzzCheckUnit(f *testing.F) {
	for _, s := range []string{"kg", "mL/min/{1.73_m2}", "(kg.m)/s2", "10*3/uL", "[lb_av]", "{a", "((("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if clinical.CheckUnit(s) != nil || strings.Count(s, "(") > 6 {
			return // nesting beyond 8 levels is refused on purpose
		}
		// An accepted unit stays accepted after another term and, unless it
		// starts with the leading "/" only a whole expression may have, inside
		// parentheses.
		if s[0] == '/' {
			require.NoError(t, clinical.CheckUnit("g"+s), s)
			return
		}
		require.NoError(t, clinical.CheckUnit("("+s+")"), s)
		require.NoError(t, clinical.CheckUnit("g/("+s+")"), s)
	})
}

func TestConvert(t *testing.T) {
	tests := []struct {
		from ehrkit.Quantity
		to   string
		want string
	}{
		{qty("150", "[lb_av]"), "kg", "68.038856"},
		{qty("70", "kg"), "[lb_av]", "154.323584"},
		{qty("98.6", "[degF]"), "Cel", "37"},
		{qty("212", "[degF]"), "Cel", "100"},
		{qty("-40", "Cel"), "[degF]", "-40"},
		{qty("37", "Cel"), "[degF]", "98.6"},
		{qty("37", "Cel"), "K", "310.15"},
		{qty("65", "[in_i]"), "cm", "165.1"},
		{qty("6", "[ft_i]"), "m", "1.8288"},
		{qty("172", "cm"), "[in_i]", "67.716535"},
		{qty("16", "[oz_av]"), "[lb_av]", "1"},
		{qty("120", "mm[Hg]"), "kPa", "15.99864"},
		{qty("2500", "g"), "kg", "2.5"},
		{qty("72", "/min"), "/min", "72"},
		// Metric prefixes and the dimensionless unit (UCUM §2.2, §3.2).
		{qty("500", "mg"), "g", "0.5"},
		{qty("250", "ug"), "mg", "0.25"},
		{qty("1.5", "L"), "mL", "1500"},
		{qty("0.97", "1"), "%", "97"},
		{qty("45", "%"), "1", "0.45"},
		{qty("7.2", "10*3/uL"), "10*9/L", "7.2"},
		{qty("4.5", "10*6/uL"), "10*12/L", "4.5"},
		{qty("250", "10*3/uL"), "/uL", "250000"},
		{qty("13.5", "g/dL"), "g/L", "135"},
		{qty("90", "mg/dL"), "g/L", "0.9"},
	}
	for _, tt := range tests {
		got, err := clinical.Convert(tt.from, tt.to)
		require.NoError(t, err, "%s -> %s", tt.from, tt.to)
		assert.Equal(t, tt.want, got.Value.String(), "%s -> %s", tt.from, tt.to)
		assert.Equal(t, tt.to, got.Unit)
	}

	_, err := clinical.Convert(qty("1", "kg"), "cm")
	assert.ErrorIs(t, err, ehrkit.ErrInvalid, "different dimensions")
	_, err = clinical.Convert(qty("1", "mg/dL"), "mmol/L")
	assert.ErrorIs(t, err, ehrkit.ErrUnsupported, "no conversion known")
}

// TestSyntheaUnits checks every quantity unit of the Synthea observations in
// the corpus: each is a UCUM unit CheckUnit accepts, and every vital sign
// passes Observation.Validate's unit-fit check.
func TestSyntheaUnits(t *testing.T) {
	dir := corpusDir(t, "fhir/synthea")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	type quantity struct {
		Value  float64 `json:"value"`
		Code   string  `json:"code"`
		System string  `json:"system"`
	}
	type coded struct {
		Coding []ehrkit.Coding `json:"coding"`
	}
	var bundle struct {
		Entry []struct {
			Resource struct {
				ResourceType  string    `json:"resourceType"`
				Code          coded     `json:"code"`
				ValueQuantity *quantity `json:"valueQuantity"`
				Component     []struct {
					Code          coded     `json:"code"`
					ValueQuantity *quantity `json:"valueQuantity"`
				} `json:"component"`
			} `json:"resource"`
		} `json:"entry"`
	}
	seen, vitals := 0, 0
	check := func(code coded, q *quantity) {
		if q == nil {
			return
		}
		seen++
		require.Equal(t, ehrkit.SystemUCUM, q.System)
		require.NoError(t, clinical.CheckUnit(q.Code), q.Code)
		cc := ehrkit.CodeableConcept{Coding: code.Coding}
		if _, ok := clinical.VitalSignOf(cc); ok {
			vitals++
			o := clinical.Observation{Patient: "p", Status: clinical.ObservationFinal, Code: cc, Effective: fixed,
				Value: clinical.QuantityValue(ehrkit.Quantity{Value: decimalOf(q.Value), Unit: q.Code})}
			require.NoError(t, o.Validate(), "%s %s", cc.CodeIn(ehrkit.SystemLOINC), q.Code)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		bundle.Entry = nil
		require.NoError(t, json.Unmarshal(b, &bundle), f)
		for _, e := range bundle.Entry {
			if e.Resource.ResourceType != clinical.ObservationType {
				continue
			}
			check(e.Resource.Code, e.Resource.ValueQuantity)
			for _, c := range e.Resource.Component {
				check(c.Code, c.ValueQuantity)
			}
		}
	}
	assert.Greater(t, seen, 1500)
	assert.Greater(t, vitals, 800)
}
