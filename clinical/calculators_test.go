package clinical_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBMI uses the worked examples of the CDC page "About Adult BMI"
// (Centers for Disease Control and Prevention, Healthy Weight, "How is BMI
// calculated?"): 68 kg and 165 cm give 68 / 1.65^2 = 24.98, and 150 lb and
// 5'5" (65 in) give 150 / 65^2 x 703 = 24.96; both round to 25.0.
func TestBMI(t *testing.T) {
	tests := []struct {
		name           string
		weight, height ehrkit.Quantity
		want           string
	}{
		{"CDC metric example", qty("68", "kg"), qty("165", "cm"), "25"},
		{"CDC imperial example", qty("150", "[lb_av]"), qty("65", "[in_i]"), "25"},
		{"metres and grams", qty("81500", "g"), qty("1.8", "m"), "25.2"},
		{"underweight", qty("45", "kg"), qty("170", "cm"), "15.6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clinical.BMI(tt.weight, tt.height)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Value.String())
			assert.Equal(t, "kg/m2", got.Unit)
		})
	}

	_, err := clinical.BMI(qty("70", "cm"), qty("170", "kg"))
	assert.ElementsMatch(t, []string{"weight.unit value", "height.unit value"}, issues(t, err))
	_, err = clinical.BMI(qty("0", "kg"), qty("-1", "m"))
	assert.ElementsMatch(t, []string{"weight.value value", "height.value value"}, issues(t, err))
}

// TestEGFR checks the CKD-EPI 2021 creatinine equation (Inker LA et al., N
// Engl J Med 2021;385:1737-1749; as published by the National Kidney
// Foundation, "CKD-EPI Creatinine Equation (2021)"). At the knot (Scr equal to
// kappa) the creatinine terms are 1, so eGFR = 142 x 0.9938^age (x 1.012 for
// women): at 40 years 112.05 for a woman with 0.7 mg/dL and 110.73 for a man
// with 0.9 mg/dL. The other rows are the equation evaluated by hand with the
// published coefficients.
func TestEGFR(t *testing.T) {
	tests := []struct {
		scr  ehrkit.Quantity
		age  int
		sex  clinical.Sex
		want string
	}{
		{qty("0.7", "mg/dL"), 40, clinical.Female, "112"},
		{qty("0.9", "mg/dL"), 40, clinical.Male, "111"},
		{qty("1.0", "mg/dL"), 50, clinical.Female, "69"},  // 68.63
		{qty("1.0", "mg/dL"), 50, clinical.Male, "92"},    // 91.69
		{qty("0.5", "mg/dL"), 25, clinical.Female, "133"}, // 133.40, below the knot: alpha applies
		{qty("0.8", "mg/dL"), 30, clinical.Male, "122"},   // 122.10
		{qty("2.5", "mg/dL"), 70, clinical.Male, "27"},    // 26.96
		{qty("1.2", "mg/dL"), 60, clinical.Female, "52"},  // 51.82
		{qty("3.0", "mg/dL"), 80, clinical.Female, "15"},  // 15.24
		{qty("5.0", "mg/dL"), 45, clinical.Male, "14"},    // 13.71
		{qty("88.4", "umol/L"), 50, clinical.Female, "69"},
	}
	for _, tt := range tests {
		got, err := clinical.EGFR(tt.scr, tt.age, tt.sex)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got.Value.String(), "%s %d %s", tt.scr, tt.age, tt.sex)
		assert.Equal(t, "mL/min/{1.73_m2}", got.Unit)
		require.NoError(t, clinical.CheckUnit(got.Unit))
	}

	_, err := clinical.EGFR(qty("-1", "mg/L"), 12, "x")
	assert.ElementsMatch(t, []string{"creatinine.unit value", "creatinine.value value", "age value", "sex code-invalid"}, issues(t, err))
}

// TestCHA2DS2VASc follows the point table of Lip GY et al., Chest
// 2010;137(2):263-272 (Table 1): C 1, H 1, A2 2, D 1, S2 2, V 1, A 1, Sc 1.
func TestCHA2DS2VASc(t *testing.T) {
	all := clinical.CHA2DS2VAScInput{CongestiveHeartFailure: true, Hypertension: true, Age: 80, Diabetes: true, StrokeTIAOrEmbolism: true, VascularDisease: true, Sex: clinical.Female}
	tests := []struct {
		name string
		in   clinical.CHA2DS2VAScInput
		want int
	}{
		{"man under 65 without risk factors", clinical.CHA2DS2VAScInput{Age: 50, Sex: clinical.Male}, 0},
		{"woman under 65 without risk factors", clinical.CHA2DS2VAScInput{Age: 50, Sex: clinical.Female}, 1},
		{"age 64", clinical.CHA2DS2VAScInput{Age: 64, Sex: clinical.Male}, 0},
		{"age 65", clinical.CHA2DS2VAScInput{Age: 65, Sex: clinical.Male}, 1},
		{"age 74", clinical.CHA2DS2VAScInput{Age: 74, Sex: clinical.Male}, 1},
		{"age 75", clinical.CHA2DS2VAScInput{Age: 75, Sex: clinical.Male}, 2},
		{"prior stroke", clinical.CHA2DS2VAScInput{Age: 60, Sex: clinical.Male, StrokeTIAOrEmbolism: true}, 2},
		{"heart failure and hypertension", clinical.CHA2DS2VAScInput{Age: 60, Sex: clinical.Male, CongestiveHeartFailure: true, Hypertension: true}, 2},
		{"diabetic woman of 70 with vascular disease", clinical.CHA2DS2VAScInput{Age: 70, Sex: clinical.Female, Diabetes: true, VascularDisease: true}, 4},
		{"every factor (maximum)", all, 9},
	}
	for _, tt := range tests {
		got, err := clinical.CHA2DS2VASc(tt.in)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
	_, err := clinical.CHA2DS2VASc(clinical.CHA2DS2VAScInput{Age: -1})
	assert.ElementsMatch(t, []string{"age value", "sex required"}, issues(t, err))
}
