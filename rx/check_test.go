package rx_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kinds(res rx.Result, kind rx.AlertKind) []rx.Alert {
	var out []rx.Alert
	for _, a := range res.Alerts {
		if a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

func TestProductExpansion(t *testing.T) {
	tests := []struct {
		name   string
		active ehrkit.Coding
		order  ehrkit.Coding
		rule   string
		codes  [][]string
	}{
		{"SCD code expands to simvastatin", code("312961"), code("21212"), "ONC-HP-25", [][]string{{"21212", "36567", "312961"}}},
		{"SCD name without a known code", ehrkit.Coding{System: rxnorm, Code: "0", Display: "Simvastatin 40 MG Oral Tablet"}, code("21212"), "ONC-HP-25", [][]string{{"21212", "36567"}}},
		{"combination by name", ehrkit.Coding{Display: "lopinavir / ritonavir"}, code("36567"), "ONC-HP-25", [][]string{{"36567", "195088"}, {"36567", "85762"}}},
		{"combination without spaces", ehrkit.Coding{Display: "Lopinavir/Ritonavir"}, code("6472"), "ONC-HP-25", [][]string{{"6472", "195088"}, {"6472", "85762"}}},
		{"combination product code", code("1049221"), ehrkit.Coding{Display: "phenelzine"}, "", nil},
		{"salt name resolves to the ingredient", ehrkit.Coding{Display: "Simvastatin"}, ehrkit.Coding{System: "http://example.org/local", Code: "X1", Display: "Clarithromycin 500 MG Oral Tablet"}, "ONC-HP-25", [][]string{{"21212", "36567"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{tt.active}, Orders: []rx.Proposed{{Medication: tt.order}}})
			assert.Empty(t, res.Unresolved)
			if tt.rule == "" {
				return
			}
			var got [][]string
			for _, a := range fired(res, tt.rule) {
				got = append(got, a.Codes)
			}
			assert.Equal(t, tt.codes, got)
		})
	}
}

func TestProductsExpandToIngredients(t *testing.T) {
	tests := []struct {
		rxcui string
		want  []string
	}{
		{"312961", []string{"36567"}},
		{"855332", []string{"11289"}},
		{"562251", []string{"723", "48203"}},
		{"1049221", []string{"161", "7804"}},
		{"866414", []string{"6918"}},
	}
	for _, tt := range tests {
		d, ok := rx.Shipped().Drug(tt.rxcui)
		require.True(t, ok, tt.rxcui)
		var got []string
		for _, c := range d.Ingredients {
			got = append(got, c.RxCUI)
			require.NotNil(t, c.Strength, tt.rxcui)
		}
		assert.Equal(t, tt.want, got, tt.rxcui)
	}
}

func TestUnresolved(t *testing.T) {
	unknown := ehrkit.Coding{System: rxnorm, Code: "99999999", Display: "Frobnicate 5 MG Oral Tablet"}
	noName := ehrkit.Coding{System: rxnorm, Code: "88888888"}
	allergy := ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "91936005", Display: "Allergy to something unknown"}
	res := rx.Check(rx.Shipped(), rx.Input{
		Patient: rx.Patient{Allergies: []ehrkit.Coding{allergy}},
		Active:  []ehrkit.Coding{noName},
		Orders:  []rx.Proposed{{Medication: unknown}, order("36567")},
	})
	assert.Equal(t, []ehrkit.Coding{unknown, noName, allergy}, res.Unresolved)

	// An allergy class is an allergen, never a medication.
	class := ehrkit.Coding{Display: "Penicillins"}
	res = rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{class}, Orders: []rx.Proposed{{Medication: class}}})
	assert.Equal(t, []ehrkit.Coding{class, class}, res.Unresolved)
	assert.Empty(t, res.Alerts)

	// A display of punctuation only names no drug: it is reported, not
	// silently taken for a drug without ingredients.
	for _, display := range []string{"--", "/", " / ", "...", "()", "+"} {
		punct := ehrkit.Coding{Display: display}
		res = rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{punct}, Patient: rx.Patient{Allergies: []ehrkit.Coding{punct}}, Orders: []rx.Proposed{{Medication: punct}}})
		assert.Equal(t, []ehrkit.Coding{punct, punct, punct}, res.Unresolved, "display %q", display)
	}
}

func TestAllergy(t *testing.T) {
	tests := []struct {
		name     string
		allergen ehrkit.Coding
		order    ehrkit.Coding
		severity rx.Severity
		rule     string
	}{
		{"penicillin G allergy alerts on amoxicillin", code("7980"), code("723"), rx.Major, "ALLERGY_PENICILLINS"},
		{"penicillin G allergy alerts on an amoxicillin/clavulanate product", code("7980"), code("562251"), rx.Major, "ALLERGY_PENICILLINS"},
		{"allergy recorded by class name", ehrkit.Coding{Display: "Penicillins"}, code("834061"), rx.Major, "ALLERGY_PENICILLINS"},
		{"SNOMED allergy display", ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "91936005", Display: "Allergy to penicillin"}, code("723"), rx.Major, "ALLERGY_PENICILLINS"},
		{"local code, substance display", ehrkit.Coding{System: "http://example.org/allergens", Code: "PEN", Display: "Penicillin (substance)"}, code("733"), rx.Major, "ALLERGY_PENICILLINS"},
		{"class synonym", ehrkit.Coding{Display: "Sulfa drugs"}, code("10180"), rx.Major, "ALLERGY_SULFONAMIDE_ANTIBACTERIALS"},
		{"same ingredient through a product", code("308182"), code("723"), rx.Contraindicated, "ALLERGY-SAME-INGREDIENT"},
		{"cephalosporins", code("2231"), code("2193"), rx.Major, "ALLERGY_CEPHALOSPORINS"},
		{"sulfonamide antibacterials", ehrkit.Coding{Display: "sulfamethoxazole"}, code("10171"), rx.Major, "ALLERGY_SULFONAMIDE_ANTIBACTERIALS"},
		{"aspirin and NSAIDs", code("1191"), code("310965"), rx.Major, "ALLERGY_NSAIDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := rx.Check(rx.Shipped(), rx.Input{Patient: rx.Patient{Allergies: []ehrkit.Coding{tt.allergen}}, Orders: []rx.Proposed{{Medication: tt.order}}})
			got := kinds(res, rx.DrugAllergy)
			require.Len(t, got, 1, "%+v", res)
			assert.Equal(t, tt.rule, got[0].Rule)
			assert.Equal(t, tt.severity, got[0].Severity)
			assert.True(t, got[0].Interruptive)
			assert.NotEmpty(t, got[0].Source)
		})
	}
	t.Run("no cross-class alert", func(t *testing.T) {
		res := rx.Check(rx.Shipped(), rx.Input{Patient: rx.Patient{Allergies: []ehrkit.Coding{code("7980")}}, Orders: []rx.Proposed{order("2231")}})
		assert.Empty(t, kinds(res, rx.DrugAllergy))
	})
}

func TestDuplicateTherapy(t *testing.T) {
	tests := []struct {
		name          string
		active, order string
		rule          string
	}{
		{"same ingredient, product and ingredient", "312961", "36567", "SAME-INGREDIENT"},
		{"two statins", "83367", "301542", "DUP_STATINS"},
		{"two PPIs", "7646", "40790", "DUP_PPIS"},
		{"two SSRIs", "36437", "2556", "DUP_SSRIS"},
		{"two ACE inhibitors", "29046", "3827", "DUP_ACE_INHIBITORS"},
		{"two ARBs", "52175", "69749", "DUP_ARBS"},
		{"two NSAIDs", "5640", "7258", "DUP_NSAIDS"},
		{"two opioids, one in a combination product", "1049221", "7052", "DUP_OPIOIDS"},
		{"two benzodiazepines", "596", "6470", "DUP_BENZODIAZEPINES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, pair := range [][2]string{{tt.active, tt.order}, {tt.order, tt.active}} {
				res := rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{code(pair[0])}, Orders: []rx.Proposed{order(pair[1])}})
				got := fired(res, tt.rule)
				require.Len(t, got, 1, "%v", res.Alerts)
				assert.Equal(t, rx.DuplicateTherapy, got[0].Kind)
			}
		})
	}
	t.Run("between two new orders", func(t *testing.T) {
		res := rx.Check(rx.Shipped(), rx.Input{Orders: []rx.Proposed{order("83367"), order("36567")}})
		got := fired(res, "DUP_STATINS")
		require.Len(t, got, 1)
		assert.Equal(t, 0, got[0].Order)
	})
	t.Run("statin and PPI are not duplicates", func(t *testing.T) {
		res := rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{code("83367")}, Orders: []rx.Proposed{order("7646")}})
		assert.Empty(t, kinds(res, rx.DuplicateTherapy))
	})
}

func dose(value, unit string) ehrkit.Quantity { return ehrkit.Qty(value, unit) }

func TestDoseRange(t *testing.T) {
	adult := rx.Patient{BirthDate: ehrkit.MustDate("1970-05-01")}
	on := ehrkit.MustDate("2026-11-25")
	tests := []struct {
		name    string
		patient rx.Patient
		order   rx.Proposed
		rules   []string
	}{
		{"within limits", adult, rx.Proposed{Medication: code("5640"), Dose: dose("400", "mg"), FrequencyPerDay: decimal.NewFromInt(3)}, nil},
		{"single dose over", adult, rx.Proposed{Medication: code("5640"), Dose: dose("1200", "mg"), FrequencyPerDay: decimal.NewFromInt(1)}, []string{"ADULT-IBUPROFEN/single"}},
		{"daily dose over", adult, rx.Proposed{Medication: code("5640"), Dose: dose("800", "mg"), FrequencyPerDay: decimal.NewFromInt(5)}, []string{"ADULT-IBUPROFEN/daily"}},
		{"grams convert", adult, rx.Proposed{Medication: code("161"), Dose: dose("1.5", "g"), FrequencyPerDay: decimal.NewFromInt(2)}, []string{"ADULT-ACETAMINOPHEN/single"}},
		{"tablets of a product", adult, rx.Proposed{Medication: code("313782"), Dose: dose("4", "{tablet}"), FrequencyPerDay: decimal.NewFromInt(4)}, []string{"ADULT-ACETAMINOPHEN/daily", "ADULT-ACETAMINOPHEN/single"}},
		{"tablets of a combination", adult, rx.Proposed{Medication: code("1049221"), Dose: dose("2", "{tablet}"), FrequencyPerDay: decimal.NewFromInt(8)}, []string{"ADULT-ACETAMINOPHEN/daily"}},
		{"strength read from an unknown product's name", adult, rx.Proposed{Medication: ehrkit.Coding{Display: "Simvastatin 80 MG Oral Tablet"}, Dose: dose("2", "{tablet}")}, []string{"ADULT-SIMVASTATIN/daily"}},
		{"mass dose of a combination is not attributed", adult, rx.Proposed{Medication: code("1049221"), Dose: dose("5000", "mg")}, nil},
		{"no dose, no check", adult, rx.Proposed{Medication: code("5640")}, nil},
		{"a child without a weight meets the fixed paediatric cap and a cannot-check alert", rx.Patient{BirthDate: ehrkit.MustDate("2020-01-01")}, rx.Proposed{Medication: code("5640"), Dose: dose("1200", "mg")}, []string{"PAED-IBUPROFEN/single", rx.RuleNoWeight}},
		{"unknown age counts as adult", rx.Patient{}, rx.Proposed{Medication: code("5640"), Dose: dose("1200", "mg")}, []string{"ADULT-IBUPROFEN/single"}},
		{"route mismatch", adult, rx.Proposed{Medication: code("5640"), Dose: dose("1200", "mg"), Route: "intravenous"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := rx.Check(rx.Shipped(), rx.Input{Patient: tt.patient, Orders: []rx.Proposed{tt.order}, On: on})
			var got []string
			for _, a := range kinds(res, rx.DoseRange) {
				got = append(got, a.Rule)
				assert.True(t, a.Interruptive)
				assert.Contains(t, a.Source, "FDA-LABEL-")
			}
			assert.ElementsMatch(t, tt.rules, got)
		})
	}
}

// TestPaediatricExtension loads a weight-based limit in the knowledge-base
// format, the documented extension point, and merges it with the shipped base.
func TestPaediatricExtension(t *testing.T) {
	site, err := rx.NewBase(rx.Document{
		Format:      rx.FormatV1,
		Sources:     []rx.Source{{ID: "SITE", Citation: "Site paediatric formulary"}},
		Ingredients: []rx.Ingredient{{RxCUI: "5640", Name: "ibuprofen"}},
		DoseLimits: []rx.DoseLimit{{ID: "PAED-IBUPROFEN", RxCUI: "5640", MinAgeYears: 1, MaxAgeYears: 18,
			MaxSinglePerKg: &rx.Amount{Value: decimal.NewFromInt(10), Unit: "mg"}, MaxDailyPerKg: &rx.Amount{Value: decimal.NewFromInt(40), Unit: "mg"},
			MaxDaily: &rx.Amount{Value: decimal.NewFromInt(1200), Unit: "mg"}, Sources: []string{"SITE"}}},
	})
	require.NoError(t, err)
	kb := rx.Merge([]rx.KnowledgeBase{site, rx.Shipped()})
	child := rx.Patient{BirthDate: ehrkit.MustDate("2020-01-01"), WeightKg: decimal.NewFromInt(20)}
	in := rx.Input{Patient: child, On: ehrkit.MustDate("2026-11-25"), Orders: []rx.Proposed{{Medication: code("5640"), Dose: dose("300", "mg"), FrequencyPerDay: decimal.NewFromInt(3)}}}
	var got []string
	for _, a := range kinds(rx.Check(kb, in), rx.DoseRange) {
		got = append(got, a.Rule)
	}
	assert.ElementsMatch(t, []string{"PAED-IBUPROFEN/single", "PAED-IBUPROFEN/daily"}, got)
	in.Patient.WeightKg = decimal.NewFromInt(40)
	in.Orders[0].Dose = dose("350", "mg")
	in.Orders[0].FrequencyPerDay = decimal.NewFromInt(4)
	got = nil
	for _, a := range kinds(rx.Check(kb, in), rx.DoseRange) {
		got = append(got, a.Rule)
	}
	assert.Equal(t, []string{"PAED-IBUPROFEN/daily"}, got, "1400 mg/day is under 40 mg/kg but over the fixed cap")
}

func TestMergeSuppression(t *testing.T) {
	in := rx.Input{Active: []ehrkit.Coding{code("36567")}, Orders: []rx.Proposed{order("21212"), order("83367")}}
	all := rx.Check(rx.Merge([]rx.KnowledgeBase{rx.Shipped()}), in)
	require.NotEmpty(t, fired(all, "ONC-HP-25"))
	require.NotEmpty(t, fired(all, "DUP_STATINS"))
	// Simvastatin with clarithromycin is stated by ONC and by the VA file: one
	// alert, led by the contraindication, citing both.
	require.Len(t, fired(all, "ONC-HP-25"), 1)
	lead := fired(all, "ONC-HP-25")[0]
	assert.Equal(t, []string{"ONC-HP-25", "VA-N0000034301"}, lead.Rules)
	assert.Contains(t, lead.Source, "VA-NDFRT-2014")
	quiet := rx.Check(rx.Merge([]rx.KnowledgeBase{rx.Shipped()}, "ONC-HP-25", "VA-N0000034301", "DUP_STATINS"), in)
	assert.Empty(t, fired(quiet, "ONC-HP-25"))
	assert.Empty(t, fired(quiet, "DUP_STATINS"))
	// With the stated rules suppressed, the derived CYP3A rule for the pair
	// shows (non-interruptive) until it is suppressed too.
	derived := fired(quiet, "FDA-CYP-CYP3A-strong-inhibitor")
	require.Len(t, derived, 1)
	assert.False(t, derived[0].Interruptive)
	silent := rx.Check(rx.Merge([]rx.KnowledgeBase{rx.Shipped()}, "ONC-HP-25", "VA-N0000034301", "DUP_STATINS", "FDA-CYP-CYP3A-strong-inhibitor"), in)
	assert.Len(t, silent.Alerts, len(all.Alerts)-2)
}

func TestDerivedYieldsToStated(t *testing.T) {
	// Clarithromycin (strong CYP3A inhibitor) with alfentanil (sensitive CYP3A
	// substrate) has no stated rule: the derived one fires, non-interruptive.
	res := rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{code("21212")}, Orders: []rx.Proposed{order("480")}})
	dd := kinds(res, rx.DrugDrug)
	require.Len(t, dd, 1)
	assert.True(t, dd[0].Derived)
	assert.False(t, dd[0].Interruptive)
	assert.Equal(t, rx.Major, dd[0].Severity)
	// Simvastatin with clarithromycin has both: only the stated rules show.
	res = rx.Check(rx.Shipped(), rx.Input{Active: []ehrkit.Coding{code("21212")}, Orders: []rx.Proposed{order("36567")}})
	dd = kinds(res, rx.DrugDrug)
	require.Len(t, dd, 1)
	assert.Equal(t, "ONC-HP-25", dd[0].Rule)
	assert.False(t, dd[0].Derived)
}

func TestInputValidate(t *testing.T) {
	in := rx.Input{
		Patient: rx.Patient{WeightKg: decimal.NewFromInt(-1), Allergies: []ehrkit.Coding{{}}},
		Active:  []ehrkit.Coding{{System: rxnorm}},
		Orders:  []rx.Proposed{{Dose: ehrkit.Qty("-5", ""), FrequencyPerDay: decimal.NewFromInt(-2)}},
	}
	err := in.Validate()
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, p := range []struct {
		path string
		code ehrkit.IssueCode
	}{
		{"patient.allergies[0]", ehrkit.IssueRequired},
		{"patient.weightKg", ehrkit.IssueValue},
		{"active[0]", ehrkit.IssueRequired},
		{"orders[0].medication", ehrkit.IssueRequired},
		{"orders[0].dose.value", ehrkit.IssueValue},
		{"orders[0].dose.unit", ehrkit.IssueRequired},
		{"orders[0].frequencyPerDay", ehrkit.IssueValue},
	} {
		assert.True(t, ve.Has(p.path, p.code), "missing %s", p.path)
	}
	assert.NoError(t, rx.Input{Orders: []rx.Proposed{order("1")}}.Validate())
}
