package clinical

import (
	"github.com/ehrkit/ehrkit"
	"github.com/shopspring/decimal"
)

// ScoreResult is the total of one score rule for a response.
type ScoreResult struct {
	Rule     *ScoreRule
	Total    int
	Answered int   // how many of the rule's items were answered
	Band     *Band // the band the total falls in, nil if none
	Complete bool  // every item of the rule was answered
}

// Score computes every score rule of the form over the response's answers.
// Items left unanswered count as 0 and make the result incomplete.
func (f *FormDefinition) Score(r *FormResponse) []ScoreResult {
	index := map[string]*FormItem{}
	f.walk(func(_ string, it *FormItem) { index[it.LinkID] = it })
	out := make([]ScoreResult, 0, len(f.Scores))
	for i := range f.Scores {
		rule := &f.Scores[i]
		res := ScoreResult{Rule: rule}
		for _, id := range rule.Items {
			def := index[id]
			answers := findAnswers(id, [][]ResponseItem{r.Items})
			if def == nil || len(answers) == 0 {
				continue
			}
			if o := optionOf(def, answers[0].Concept); o != nil && o.Score != nil {
				res.Total += *o.Score
				res.Answered++
			}
		}
		res.Complete = res.Answered == len(rule.Items)
		for j := range rule.Bands {
			if b := &rule.Bands[j]; res.Total >= b.Min && res.Total <= b.Max {
				res.Band = b
			}
		}
		out = append(out, res)
	}
	return out
}

// Extract turns a response into observations (FHIR SDC observation-based
// extraction): one per answer of every item marked Extract, coded with the
// item's code, and one per complete score with the total as a "{score}"
// quantity and, when the rule has a BandCode, the band as a coded component.
// Observations take the response's patient, encounter and authored time and
// are derived from it; ids are left empty. The response must pass Check.
func (f *FormDefinition) Extract(r *FormResponse) ([]Observation, error) {
	if err := f.Check(r); err != nil {
		return nil, err
	}
	from := []ehrkit.Reference{ehrkit.Ref(FormResponseType, r.ID)}
	base := func(code ehrkit.CodeableConcept, category string, v Value) Observation {
		return Observation{
			Patient: r.Patient, Encounter: r.Encounter, Status: ObservationFinal,
			Categories: []string{category}, Code: code, Effective: r.Authored, Value: v, DerivedFrom: from,
		}
	}
	var out []Observation
	var rec func(defs []FormItem, items []ResponseItem)
	rec = func(defs []FormItem, items []ResponseItem) {
		for i := range defs {
			def := &defs[i]
			for _, it := range items {
				if it.LinkID != def.LinkID {
					continue
				}
				rec(def.Items, it.Items)
				if !def.Extract {
					continue
				}
				category := def.Category
				if category == "" {
					category = CategorySurvey
				}
				for _, a := range it.Answers {
					o := base(def.Code, category, a)
					if safetyAnswer(def, a) {
						o.Interpretation = []string{InterpretationCriticalAbnormal}
					}
					out = append(out, o)
				}
			}
		}
	}
	rec(f.Items, r.Items)
	for _, s := range f.Score(r) {
		if !s.Complete {
			continue
		}
		o := base(s.Rule.Code, CategorySurvey, QuantityValue(ehrkit.Quantity{Value: decimal.NewFromInt(int64(s.Total)), Unit: "{score}"}))
		if s.Band != nil && !s.Rule.BandCode.IsZero() {
			o.Components = []Component{{Code: s.Rule.BandCode, Value: CodedValue(s.Band.Meaning)}}
		}
		out = append(out, o)
	}
	return out, nil
}

// InterpretationCriticalAbnormal is FHIR v3-ObservationInterpretation "AA",
// set on an extracted answer that is a safety finding.
const InterpretationCriticalAbnormal = "AA"

// SafetyFinding is an answer that needs attention whatever the total: an
// item with SafetyAt answered at or above it.
type SafetyFinding struct {
	LinkID string
	Text   string
	Score  int
}

// SafetyFindings returns the safety findings of a response: every answer of
// an item with SafetyAt that scores at least that much. A PHQ-9 with a total
// of 3 and item 9 answered "several days" has one.
func (f *FormDefinition) SafetyFindings(r *FormResponse) []SafetyFinding {
	var out []SafetyFinding
	f.walk(func(_ string, def *FormItem) {
		if def.SafetyAt == nil {
			return
		}
		for _, a := range findAnswers(def.LinkID, [][]ResponseItem{r.Items}) {
			if o := optionOf(def, a.Concept); o != nil && o.Score != nil && *o.Score >= *def.SafetyAt {
				out = append(out, SafetyFinding{LinkID: def.LinkID, Text: def.Text, Score: *o.Score})
			}
		}
	})
	return out
}

// safetyAnswer reports whether an answer of def is a safety finding.
func safetyAnswer(def *FormItem, a Value) bool {
	if def.SafetyAt == nil {
		return false
	}
	o := optionOf(def, a.Concept)
	return o != nil && o.Score != nil && *o.Score >= *def.SafetyAt
}
