package ehrkit_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/redacttest"
)

func TestPHIRedacted(t *testing.T) {
	cases := []struct {
		name  string
		value any
		phi   []string
	}{
		{"HumanName", ehrkit.HumanName{Use: "official", Family: "Zabriskie", Given: []string{"Philomena", "Ottoline"}, Prefix: []string{"Dame"}, Suffix: []string{"III"}},
			[]string{"Zabriskie", "Philomena", "Ottoline", "Dame", "III"}},
		{"HumanName text", ehrkit.HumanName{Text: "Philomena Zabriskie"}, []string{"Philomena", "Zabriskie"}},
		{"Identifier", ehrkit.Identifier{System: ehrkit.SystemSSN, Value: "123-45-6789"}, []string{"123-45-6789"}},
		{"Address", ehrkit.Address{Use: "home", Line: []string{"42 Wallaby Way", "Flat 7"}, City: "Quillborough", District: "Fenwick", State: "VT", PostalCode: "05401"},
			[]string{"Wallaby", "Flat 7", "Quillborough", "Fenwick", "05401"}},
		{"ContactPoint", ehrkit.ContactPoint{System: "email", Value: "philomena@example.org", Use: "home"}, []string{"philomena", "example.org"}},
		{"ContactPoint phone", ehrkit.ContactPoint{System: "phone", Value: "555-867-5309"}, []string{"867-5309"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { redacttest.Check(t, tc.value, tc.phi...) })
	}
	// What is shown instead: the kind of value, and a system where it says
	// what the value is without showing it.
	ssn := ehrkit.Identifier{System: ehrkit.SystemSSN, Value: "123-45-6789"}
	assert.Equal(t, "Identifier(http://hl7.org/fhir/sid/us-ssn|redacted)", fmt.Sprint(ssn))
	assert.Equal(t, `"Identifier(http://hl7.org/fhir/sid/us-ssn|redacted)"`, fmt.Sprintf("%q", ssn))
	assert.Equal(t, `ehrkit.Identifier{System:"http://hl7.org/fhir/sid/us-ssn" /* value redacted */}`, fmt.Sprintf("%#v", ssn))
	assert.Equal(t, "[HumanName(redacted) HumanName(redacted)]", fmt.Sprintf("%v", []ehrkit.HumanName{{Family: "A"}, {Family: "B"}}))
	assert.Equal(t, "{Home:Address(redacted) Phone:ContactPoint(phone, redacted)}", fmt.Sprintf("%+v", struct {
		Home  ehrkit.Address
		Phone ehrkit.ContactPoint
	}{ehrkit.Address{City: "X"}, ehrkit.ContactPoint{System: "phone", Value: "1"}}))
	assert.Equal(t, "    HumanName(redacted)", fmt.Sprintf("%23v", ehrkit.HumanName{Family: "A"}), "width is kept")
}
