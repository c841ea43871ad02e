package fhir

import (
	"regexp"
	"strings"
)

// pathRule rewrites the start of a domain value's issue path (as its
// Validate names it, after the Go value's shape) into the FHIR element path
// of the resource it came from. A "[*]" in from matches an index, which to
// keeps where it says "[*]".
type pathRule struct{ from, to string }

// fhirPathRules are the rules of each resource type whose domain value is
// not shaped exactly like the resource, most specific first. Elements not
// listed have the same path in both.
var fhirPathRules = map[string][]pathRule{
	"Observation": {
		{"patient", "subject"}, {"categories[*]", "category[*].coding[0].code"}, {"effective", "effective[x]"},
		{"value", "value[x]"}, {"components[*].value", "component[*].value[x]"}, {"components[*]", "component[*]"},
		{"interpretation[*]", "interpretation[*].coding[0].code"}, {"dataAbsentReason", "dataAbsentReason.coding[0].code"},
	},
	"Condition": {
		{"patient", "subject"}, {"category", "category[0].coding[0].code"},
		{"onset", "onset[x]"}, {"abatement", "abatement[x]"},
	},
	"AllergyIntolerance": {
		{"categories[*]", "category[*]"}, {"reactions[*]", "reaction[*]"}, {"onset", "onset[x]"},
	},
	"Procedure":    {{"patient", "subject"}, {"performed", "performed[x]"}, {"reasons[*]", "reasonCode[*]"}},
	"Immunization": {{"occurrence", "occurrence[x]"}},
	// A plan's goals and its references to Goals of their own share
	// CarePlan.goal, contained ones first on export: a reference is named by
	// the element, not by an index into it.
	"CarePlan": {{"patient", "subject"}, {"goalRefs[*]", "goal"}},
	"Goal": {
		{"patient", "subject"}, {"categories[*]", "category[*]"}, {"start", "startDate"},
		{"targets[*].detail", "target[*].detailQuantity"}, {"targets[*].due", "target[*].dueDate"}, {"targets[*]", "target[*]"},
	},
	"Encounter": {
		{"patient", "subject"}, {"class", "class.code"}, {"participants[*]", "participant[*]"},
		{"diagnoses[*]", "diagnosis[*]"}, {"reasons[*]", "reasonCode[*]"},
	},
	"MedicationRequest": {
		{"patient", "subject"}, {"reasons[*]", "reasonCode[*]"}, {"authored", "authoredOn"},
		{"medication.medication", "medicationCodeableConcept.coding[0]"},
		{"medication.dose", "dosageInstruction[0].doseAndRate[0].doseQuantity"},
		{"medication.quantity", "dispenseRequest.quantity"},
		{"medication.refills", "dispenseRequest.numberOfRepeatsAllowed"},
		{"medication", "dosageInstruction[0]"},
	},
	"ServiceRequest": {{"patient", "subject"}, {"reasons[*]", "reasonCode[*]"}, {"authored", "authoredOn"}},
	"Appointment":    {{"patient", "participant"}, {"resources[*]", "participant[*]"}},
}

type compiledRule struct {
	re *regexp.Regexp
	to string
}

var compiledPathRules = compilePathRules()

func compilePathRules() map[string][]compiledRule {
	out := map[string][]compiledRule{}
	for typ, rules := range fhirPathRules {
		for _, r := range rules {
			pattern := "^" + strings.ReplaceAll(regexp.QuoteMeta(r.from), `\[\*\]`, `\[(\d+)\]`) + `(\.|\[|$)`
			to := r.to
			for i := 1; strings.Contains(to, "[*]"); i++ {
				to = strings.Replace(to, "[*]", "[${"+string(rune('0'+i))+"}]", 1)
			}
			out[typ] = append(out[typ], compiledRule{re: regexp.MustCompile(pattern), to: to})
		}
	}
	return out
}

// fhirPath returns the FHIR element path of a domain issue path of a
// resource of type typ ("categories[0]" of an Observation is
// "category[0].coding[0].code").
func fhirPath(typ, path string) string {
	for _, r := range compiledPathRules[typ] {
		m := r.re.FindStringSubmatchIndex(path)
		if m == nil {
			continue
		}
		rest := m[len(m)-2] // where the separator after the match starts
		return string(r.re.ExpandString(nil, r.to, path, m)) + path[rest:]
	}
	return path
}
