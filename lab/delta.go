package lab

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/shopspring/decimal"
)

// DeltaRule is the largest change of a test's value between two results of a
// patient that is not questioned: a larger one may be a specimen mix-up or a
// real and sudden change, and either way is shown beside the result. Absolute
// is in Unit; Percent is relative to the previous value. A limit that is not
// Valid does not apply; Within bounds the time between the two results (0 for
// any).
type DeltaRule struct {
	Code     string              `json:"code"`
	Unit     string              `json:"unit"`
	Absolute decimal.NullDecimal `json:"absolute,omitzero"`
	Percent  decimal.NullDecimal `json:"percent,omitzero"`
	Within   time.Duration       `json:"within,omitempty"`
}

// StarterDeltaRules returns the delta rules ehrkit ships (a fresh table each
// call). They follow the absolute and percent-change method of CLSI EP33
// (Use of Delta Checks in the Medical Laboratory); the limits themselves are
// a site's choice and these are conservative defaults: potassium 1.0 mmol/L,
// sodium 8 mmol/L, hemoglobin 2.0 g/dL, creatinine 50 % — each within 7 days.
func StarterDeltaRules() []DeltaRule {
	week := 7 * 24 * time.Hour
	return []DeltaRule{
		{Code: LOINCPotassium, Unit: "mmol/L", Absolute: dec("1.0"), Within: week},
		{Code: LOINCSodium, Unit: "mmol/L", Absolute: dec("8"), Within: week},
		{Code: LOINCHemoglobin, Unit: "g/dL", Absolute: dec("2.0"), Within: week},
		{Code: LOINCCreatinine, Unit: "mg/dL", Percent: dec("50"), Within: week},
	}
}

// Delta is the outcome of a delta check: the previous result it compared
// against, the change and whether it exceeded the rule.
type Delta struct {
	// Previous is the id of the patient's previous result of the test.
	Previous string          `json:"previous"`
	At       time.Time       `json:"at"`
	Value    ehrkit.Quantity `json:"value"`
	Change   ehrkit.Quantity `json:"change"`
	Exceeded bool            `json:"exceeded"`
}

// Previous is an earlier result of a patient, the input of a delta check.
type Previous struct {
	ID    string
	At    time.Time
	Value clinical.Value
}

// CheckDelta compares the quantity cur, taken at `at`, with the previous
// result under rule: false when the check does not apply (not quantities,
// units that do not convert to the rule's, a comparator on either value, or
// results further apart than rule.Within).
func CheckDelta(rule DeltaRule, prev Previous, cur ehrkit.Quantity, at time.Time) (Delta, bool) {
	if prev.Value.Kind != clinical.KindQuantity || prev.Value.Quantity.Comparator != "" || cur.Comparator != "" {
		return Delta{}, false
	}
	if rule.Within > 0 && at.Sub(prev.At) > rule.Within {
		return Delta{}, false
	}
	p, err1 := clinical.Convert(prev.Value.Quantity, rule.Unit)
	c, err2 := clinical.Convert(cur, rule.Unit)
	if err1 != nil || err2 != nil {
		return Delta{}, false
	}
	change := c.Value.Sub(p.Value)
	d := Delta{Previous: prev.ID, At: prev.At, Value: prev.Value.Quantity, Change: ehrkit.Quantity{Value: change, Unit: rule.Unit}}
	if rule.Absolute.Valid && change.Abs().GreaterThan(rule.Absolute.Decimal) {
		d.Exceeded = true
	}
	if rule.Percent.Valid && !p.Value.IsZero() {
		pct := change.Abs().Mul(decimal.NewFromInt(100)).Div(p.Value.Abs())
		d.Exceeded = d.Exceeded || pct.GreaterThan(rule.Percent.Decimal)
	}
	return d, true
}
