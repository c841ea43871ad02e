package ehrkit

import "strings"

// Well-known code-system URIs (as FHIR R4 names them).
const (
	SystemLOINC    = "http://loinc.org"
	SystemSNOMED   = "http://snomed.info/sct"
	SystemRxNorm   = "http://www.nlm.nih.gov/research/umls/rxnorm"
	SystemICD10CM  = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemCPT      = "http://www.ama-assn.org/go/cpt"
	SystemHCPCS    = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
	SystemUCUM     = "http://unitsofmeasure.org"
	SystemNPI      = "http://hl7.org/fhir/sid/us-npi"
	SystemUNII     = "http://fdasis.nlm.nih.gov"
	SystemCVX      = "http://hl7.org/fhir/sid/cvx"
	SystemNDC      = "http://hl7.org/fhir/sid/ndc"
	SystemSSN      = "http://hl7.org/fhir/sid/us-ssn"
	SystemV2Tables = "http://terminology.hl7.org/CodeSystem/v2-0203"
)

// Coding is one code from a code system (FHIR Coding).
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// IsZero reports whether c carries neither system nor code.
func (c Coding) IsZero() bool { return c.System == "" && c.Code == "" }

// Is reports whether c has the given system and code (display is ignored).
func (c Coding) Is(system, code string) bool { return c.System == system && c.Code == code }

// Token renders c as the search token "system|code".
func (c Coding) Token() string { return c.System + "|" + c.Code }

// Validate checks that the code is present and, for the code systems ehrkit
// knows the syntax of, well formed. Unknown systems are accepted.
func (c Coding) Validate() error {
	var v Issues
	v.Required("code", strings.TrimSpace(c.Code) != "")
	if c.Code != "" {
		v.Merge("", CheckCode(c.System, c.Code))
	}
	return v.Err()
}

// CodeableConcept is a concept given by one or more codings and/or text (FHIR
// CodeableConcept).
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Concept builds a CodeableConcept from one coding, using its display as text.
func Concept(system, code, display string) CodeableConcept {
	return CodeableConcept{Coding: []Coding{{System: system, Code: code, Display: display}}, Text: display}
}

// IsZero reports whether cc carries no coding and no text.
func (cc CodeableConcept) IsZero() bool { return len(cc.Coding) == 0 && cc.Text == "" }

// Has reports whether any coding of cc has the given system and code.
func (cc CodeableConcept) Has(system, code string) bool {
	for _, c := range cc.Coding {
		if c.Is(system, code) {
			return true
		}
	}
	return false
}

// CodeIn returns the first code of cc in the given system, or "".
func (cc CodeableConcept) CodeIn(system string) string {
	for _, c := range cc.Coding {
		if c.System == system {
			return c.Code
		}
	}
	return ""
}

// String returns the text, or the display or code of the first coding.
func (cc CodeableConcept) String() string {
	if cc.Text != "" {
		return cc.Text
	}
	for _, c := range cc.Coding {
		if c.Display != "" {
			return c.Display
		}
	}
	if len(cc.Coding) > 0 {
		return cc.Coding[0].Code
	}
	return ""
}

// Validate checks every coding; a concept needs at least one coding or text.
func (cc CodeableConcept) Validate() error {
	var v Issues
	v.Check(!cc.IsZero(), "", IssueRequired, "needs a coding or text")
	for i, c := range cc.Coding {
		v.Merge(Index("coding", i), c.Validate())
	}
	return v.Err()
}
