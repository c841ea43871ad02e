package ehrkit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ehrkit/ehrkit"
)

// Real codes from the public code systems (ICD-10-CM 2024 tabular list, LOINC,
// SNOMED CT International, the CMS NPI check-digit example and NPPES).
func TestCheckCode(t *testing.T) {
	cases := []struct {
		system string
		valid  []string
		bad    []string
	}{
		{ehrkit.SystemICD10CM,
			[]string{"I10", "E11.9", "J45.909", "S72.001A", "T36.0X1A", "C4A.0", "Z3A.01", "M1A.0710", "U07.1", "U09.9", "Z00.00"},
			[]string{"", "i10", "E11.", "E119", "11.9", "E11.90000", "EE1.9", "E1C.9", "E11-9", "E11.9 "}},
		{ehrkit.SystemLOINC,
			[]string{"2345-7", "718-7", "4548-4", "8480-6", "8462-4", "29463-7", "94500-6", "LA6576-8"},
			[]string{"", "2345-8", "718-0", "2345", "2345-77", "A345-7", "12345678-9"}},
		{ehrkit.SystemSNOMED,
			[]string{"22298006", "73211009", "38341003", "404684003", "138875005", "195967001", "900000000000207008"},
			// 751689013 has a valid check digit but partition 01: a description id, not a concept.
			[]string{"", "22298007", "73211008", "12345", "022298006", "2229800a", "1234567890123456789", "751689013"}},
		{ehrkit.SystemNPI,
			[]string{"1234567893", "1245319599"},
			// 3234567899 passes the Luhn check but an NPI starts with 1 or 2.
			[]string{"", "1234567890", "123456789", "12345678930", "123456789X", "1245319598", "+000000441", "-000000441", " 123456789", "3234567899"}},
		{ehrkit.SystemCPT, []string{"99213", "0001F", "0042T", "0001U"}, []string{"9921", "992133", "0001A"}},
		{ehrkit.SystemHCPCS, []string{"J1100", "E0114", "99213"}, []string{"W1100", "J110", "j1100"}},
		{ehrkit.SystemRxNorm, []string{"197361", "1049502"}, []string{"", "RX197361", "1234567890"}},
		{"http://example.org/local", []string{"anything", ""}, nil},
	}
	for _, tc := range cases {
		for _, code := range tc.valid {
			assert.NoError(t, ehrkit.CheckCode(tc.system, code), "%s %q is valid", tc.system, code)
		}
		for _, code := range tc.bad {
			err := ehrkit.CheckCode(tc.system, code)
			assert.ErrorIs(t, err, ehrkit.ErrInvalid, "%s %q is invalid", tc.system, code)
			var ve *ehrkit.ValidationError
			if assert.ErrorAs(t, err, &ve, "%s %q", tc.system, code) {
				assert.True(t, ve.Has("code", ehrkit.IssueCodeInvalid), "%s %q names the code", tc.system, code)
				assert.Len(t, ve.Issues, 1)
			}
		}
	}
	assert.True(t, ehrkit.ValidNPI("1234567893"))
	assert.False(t, ehrkit.ValidNPI("1234567894"))
}

func TestCodingValidate(t *testing.T) {
	assert.NoError(t, ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "2345-7"}.Validate())
	err := ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "2345-8"}.Validate()
	var ve *ehrkit.ValidationError
	if assert.ErrorAs(t, err, &ve) {
		assert.True(t, ve.Has("code", ehrkit.IssueCodeInvalid))
	}
	err = ehrkit.Coding{System: ehrkit.SystemLOINC}.Validate()
	if assert.ErrorAs(t, err, &ve) {
		assert.True(t, ve.Has("code", ehrkit.IssueRequired))
	}

	cc := ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: ehrkit.SystemSNOMED, Code: "22298006"}, {System: ehrkit.SystemICD10CM, Code: "i21"}, {System: ehrkit.SystemNPI}}}
	err = cc.Validate()
	if assert.ErrorAs(t, err, &ve) {
		assert.True(t, ve.Has("coding[1].code", ehrkit.IssueCodeInvalid))
		assert.True(t, ve.Has("coding[2].code", ehrkit.IssueRequired))
		assert.Len(t, ve.Issues, 2)
	}
	err = ehrkit.CodeableConcept{}.Validate()
	if assert.ErrorAs(t, err, &ve) {
		assert.True(t, ve.Has("", ehrkit.IssueRequired))
	}
	assert.NoError(t, ehrkit.CodeableConcept{Text: "free text"}.Validate())
}

func TestCodeableConcept(t *testing.T) {
	cc := ehrkit.Concept(ehrkit.SystemLOINC, "2345-7", "Glucose")
	cc.Coding = append(cc.Coding, ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "33747003"})
	assert.True(t, cc.Has(ehrkit.SystemSNOMED, "33747003"))
	assert.False(t, cc.Has(ehrkit.SystemLOINC, "33747003"))
	assert.Equal(t, "2345-7", cc.CodeIn(ehrkit.SystemLOINC))
	assert.Equal(t, "", cc.CodeIn(ehrkit.SystemRxNorm))
	assert.Equal(t, "Glucose", cc.String())
	assert.Equal(t, "http://loinc.org|2345-7", cc.Coding[0].Token())
	assert.Equal(t, "Display", ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{Code: "x"}, {Code: "y", Display: "Display"}}}.String())
	assert.Equal(t, "x", ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{Code: "x"}}}.String())
	assert.True(t, ehrkit.CodeableConcept{}.IsZero())
	assert.True(t, ehrkit.Coding{Display: "d"}.IsZero())
}

func FuzzCheckCode(f *testing.F) {
	for _, s := range []string{"2345-7", "22298006", "1234567893", "E11.9", "", "٣٤٥-٧"} {
		f.Add(s)
	}
	systems := []string{ehrkit.SystemICD10CM, ehrkit.SystemLOINC, ehrkit.SystemSNOMED, ehrkit.SystemNPI, ehrkit.SystemCPT, ehrkit.SystemHCPCS, ehrkit.SystemRxNorm}
	f.Fuzz(func(t *testing.T, code string) {
		for _, system := range systems {
			_ = ehrkit.CheckCode(system, code) // must not panic on any input
		}
		if ehrkit.ValidNPI(code) {
			assert.Regexp(t, `^[0-9]{10}$`, code, "a valid NPI is ten digits")
		}
		assert.Equal(t, ehrkit.ValidNPI(code), ehrkit.CheckCode(ehrkit.SystemNPI, code) == nil)
	})
}
