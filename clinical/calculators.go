package clinical

import (
	"math"

	"github.com/ehrkit/ehrkit"
	"github.com/shopspring/decimal"
)

// BMI returns the body mass index, weight in kilograms divided by the square
// of height in metres, in kg/m2 rounded to one decimal (CDC, "About Adult BMI":
// 68 kg and 165 cm give 24.98, rounded to 25). Weight and height may be in any
// mass and length units Convert knows.
func BMI(weight, height ehrkit.Quantity) (ehrkit.Quantity, error) {
	var is ehrkit.Issues
	kg, err := Convert(weight, "kg")
	is.Check(err == nil, "weight.unit", ehrkit.IssueValue, "not a mass unit")
	m, err := Convert(height, "m")
	is.Check(err == nil, "height.unit", ehrkit.IssueValue, "not a length unit")
	if is.Len() == 0 {
		is.Check(kg.Value.IsPositive(), "weight.value", ehrkit.IssueValue, "must be positive")
		is.Check(m.Value.IsPositive(), "height.value", ehrkit.IssueValue, "must be positive")
	}
	if err := is.Err(); err != nil {
		return ehrkit.Quantity{}, err
	}
	bmi := kg.Value.DivRound(m.Value.Mul(m.Value), 8).Round(1)
	return ehrkit.Quantity{Value: trimZeros(bmi), Unit: "kg/m2"}, nil
}

// Sex is the sex used by sex-specific formulas (administrative sex as in FHIR
// AdministrativeGender, limited to the two values the formulas define).
type Sex string

// Sexes.
const (
	Female Sex = "female"
	Male   Sex = "male"
)

// EGFR estimates the glomerular filtration rate in mL/min/{1.73_m2}, rounded
// to a whole number, with the race-free CKD-EPI 2021 creatinine equation
// (Inker LA et al., "New Creatinine- and Cystatin C-Based Equations to Estimate
// GFR without Race", N Engl J Med 2021;385:1737-1749):
//
//	eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 [female]
//	k = 0.7 (female), 0.9 (male); a = -0.241 (female), -0.302 (male)
//
// creatinine is serum creatinine in mg/dL (umol/L is converted by the molar mass
// 113.12 g/mol: 88.4 umol/L = 1 mg/dL). The equation is for adults: age must be
// 18 or more.
func EGFR(creatinine ehrkit.Quantity, ageYears int, sex Sex) (ehrkit.Quantity, error) {
	var is ehrkit.Issues
	var scr float64
	switch creatinine.Unit {
	case "mg/dL":
		scr = creatinine.Value.InexactFloat64()
	case "umol/L":
		scr = creatinine.Value.InexactFloat64() / 88.4
	default:
		is.Add("creatinine.unit", ehrkit.IssueValue, "must be mg/dL or umol/L")
	}
	is.Check(creatinine.Value.IsPositive(), "creatinine.value", ehrkit.IssueValue, "must be positive")
	is.Check(ageYears >= 18 && ageYears <= 120, "age", ehrkit.IssueValue, "the equation is validated for adults (18 and over)")
	checkCode(&is, "sex", sex, true, Female, Male)
	if err := is.Err(); err != nil {
		return ehrkit.Quantity{}, err
	}
	kappa, alpha, factor := 0.9, -0.302, 1.0
	if sex == Female {
		kappa, alpha, factor = 0.7, -0.241, 1.012
	}
	r := scr / kappa
	gfr := 142 * math.Pow(math.Min(r, 1), alpha) * math.Pow(math.Max(r, 1), -1.200) * math.Pow(0.9938, float64(ageYears)) * factor
	return ehrkit.Quantity{Value: decimal.NewFromFloat(gfr).Round(0), Unit: "mL/min/{1.73_m2}"}, nil
}

// CHA2DS2VAScInput holds the risk factors of the CHA2DS2-VASc score.
type CHA2DS2VAScInput struct {
	CongestiveHeartFailure bool // C: heart failure or moderate-severe LV systolic dysfunction
	Hypertension           bool // H
	Age                    int  // A2 (>= 75) / A (65-74)
	Diabetes               bool // D
	StrokeTIAOrEmbolism    bool // S2: prior stroke, TIA or thromboembolism
	VascularDisease        bool // V: prior myocardial infarction, peripheral artery disease, aortic plaque
	Sex                    Sex  // Sc: female sex category
}

// CHA2DS2VASc returns the stroke-risk score in atrial fibrillation (Lip GY et
// al., "Refining clinical risk stratification for predicting stroke and
// thromboembolism in atrial fibrillation using a novel risk factor-based
// approach: the Euro Heart Survey on Atrial Fibrillation", Chest
// 2010;137(2):263-272): C 1, H 1, A2 (age >= 75) 2, D 1, S2 2, V 1, A (age
// 65-74) 1, Sc (female) 1; 0 to 9.
func CHA2DS2VASc(in CHA2DS2VAScInput) (int, error) {
	var is ehrkit.Issues
	is.Check(in.Age >= 0 && in.Age <= 130, "age", ehrkit.IssueValue, "out of range")
	checkCode(&is, "sex", in.Sex, true, Female, Male)
	if err := is.Err(); err != nil {
		return 0, err
	}
	score := 0
	add := func(ok bool, points int) {
		if ok {
			score += points
		}
	}
	add(in.CongestiveHeartFailure, 1)
	add(in.Hypertension, 1)
	add(in.Age >= 75, 2)
	add(in.Age >= 65 && in.Age < 75, 1)
	add(in.Diabetes, 1)
	add(in.StrokeTIAOrEmbolism, 2)
	add(in.VascularDisease, 1)
	add(in.Sex == Female, 1)
	return score, nil
}
