package patient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/redacttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"
)

func fullPatient() Patient {
	p := person("José", "Müller-Lüdenscheidt", "1970-05-01", GenderMale)
	p.ID = "p-1"
	p.Active = true
	p.Identifiers = []ehrkit.Identifier{{System: ehrkit.SystemSSN, Value: "123-45-6789"}}
	p = phone(p, "+1 555 010 2030")
	p = address(p, "1 Main St", "Springfield", "02139")
	p.MaritalStatus = ehrkit.Concept("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "M", "Married")
	p.Language = language.MustParse("es-MX")
	p.Contacts = []Contact{{
		Relationship: []ehrkit.CodeableConcept{ehrkit.Concept(SystemContactRelationship, RelationshipEmergency, "Emergency contact")},
		Name:         ehrkit.HumanName{Family: "Müller", Given: []string{"Ana"}},
		Telecom:      []ehrkit.ContactPoint{{System: "phone", Value: "555 0199"}},
	}}
	p.GeneralPractitioner = []ehrkit.Reference{ehrkit.Ref("Practitioner", "dr-1")}
	p.ManagingOrganization = ehrkit.Ref("Organization", "org-1")
	return p
}

func TestValidateAcceptsFullPatient(t *testing.T) {
	require.NoError(t, fullPatient().Validate())
}

func TestValidateReportsEveryField(t *testing.T) {
	p := Patient{
		ID:         "bad id/",
		Gender:     "robot",
		BirthDate:  ehrkit.NewDate(1970, 2, 30),
		DeceasedAt: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		Identifiers: []ehrkit.Identifier{
			{System: "urn:x", Value: "1"}, {System: "urn:x", Value: "1"}, {Value: "2", Use: "primary"},
		},
		Telecom:              []ehrkit.ContactPoint{{System: "phone", Value: "call me"}, {System: "pigeon", Value: "x"}},
		Addresses:            []ehrkit.Address{{Use: "castle"}},
		Contacts:             []Contact{{Gender: "robot"}},
		GeneralPractitioner:  []ehrkit.Reference{{Type: "Patient"}},
		ManagingOrganization: ehrkit.Reference{Type: "Practitioner", ID: "x"},
		Links:                []Link{{Other: "bad id/", Type: "twin"}},
	}
	err := p.Validate()
	var ve *ehrkit.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.ErrorIs(t, err, ehrkit.ErrInvalid)
	for _, want := range []struct {
		path string
		code ehrkit.IssueCode
	}{
		{"id", ehrkit.IssueValue},
		{"name", ehrkit.IssueRequired},
		{"gender", ehrkit.IssueCodeInvalid},
		{"birthDate", ehrkit.IssueValue},
		{"deceased", ehrkit.IssueInvariant},
		{"identifier[1]", ehrkit.IssueDuplicate},
		{"identifier[2].system", ehrkit.IssueRequired},
		{"identifier[2].use", ehrkit.IssueCodeInvalid},
		{"telecom[0].value", ehrkit.IssueValue},
		{"telecom[1].system", ehrkit.IssueCodeInvalid},
		{"address[0].use", ehrkit.IssueCodeInvalid},
		{"contact[0].name", ehrkit.IssueRequired},
		{"contact[0].gender", ehrkit.IssueCodeInvalid},
		{"generalPractitioner[0].type", ehrkit.IssueValue},
		{"generalPractitioner[0].id", ehrkit.IssueRequired},
		{"managingOrganization.type", ehrkit.IssueValue},
		{"link[0].other", ehrkit.IssueValue},
		{"link[0].type", ehrkit.IssueCodeInvalid},
	} {
		assert.True(t, ve.Has(want.path, want.code), "missing %s (%s) in %v", want.path, want.code, ve.Issues)
	}
}

func TestValidateDeceasedBeforeBirth(t *testing.T) {
	p := fullPatient()
	p.Deceased = true
	p.DeceasedAt = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, p.Validate(), &ve)
	assert.True(t, ve.Has("deceasedDateTime", ehrkit.IssueInvariant))
}

func TestJSONRoundTrip(t *testing.T) {
	p := fullPatient()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var back Patient
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, p, back)
}

// A patient and its contacts show no PHI however they are printed or logged
// (every fmt verb, inside structs, slices and maps, slog's text and JSON
// handlers), while encoding/json keeps every field.
func TestNoPHIInStringOrLogs(t *testing.T) {
	p := fullPatient()
	p.Deceased, p.DeceasedAt = true, time.Date(2026, 2, 11, 8, 30, 0, 0, time.UTC)
	redacttest.Check(t, p, "José", "Müller", "1970", "123-45-6789", "Main St", "Springfield", "02139", "555", "2026-02-11")
	redacttest.Check(t, p.Contacts[0], "Müller", "Ana", "555 0199")
	redacttest.Check(t, Match{Patient: p, Level: LevelProbable, Comparison: Comparison{Score: 9.5}}, "José", "Müller", "1970", "123-45-6789")
	redacttest.Check(t, Results{Patients: []Patient{p, p}, Next: "cursor-Müller"}, "José", "Müller", "1970", "123-45-6789", "Springfield")
	q := Query{Name: "José Müller", BirthDate: ehrkit.MustDate("1970-05-01"), Identifier: ehrkit.Identifier{System: ehrkit.SystemSSN, Value: "123-45-6789"},
		Phone: "555 010 2030", Email: "jose@example.org", PostalCode: "02139"}
	redacttest.Check(t, q, "José", "Müller", "1970", "123-45-6789", "555 010", "jose@example.org", "02139")
	assert.Equal(t, "Query(name, birthDate, identifier, phone, email, postalCode)", fmt.Sprint(q), "the criteria set, not their values")

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "patient", p)
	assert.Contains(t, buf.String(), `"id":"p-1"`, "the id is what a log shows")
	assert.Equal(t, "Patient/p-1", fmt.Sprintf("%v", p))
	assert.Equal(t, `patient.Patient{ID:"p-1", Version:0 /* PHI redacted */}`, fmt.Sprintf("%#v", p))
}

func TestAccessors(t *testing.T) {
	p := fullPatient()
	p.Names = append([]ehrkit.HumanName{{Use: "old", Family: "Old"}}, p.Names...)
	assert.Equal(t, "Müller-Lüdenscheidt", p.Name().Family)
	assert.Equal(t, "123-45-6789", p.Identifier(ehrkit.SystemSSN))
	assert.Empty(t, p.Identifier("urn:none"))
	assert.Empty(t, p.ReplacedBy())
	assert.True(t, p.Contacts[0].Is(RelationshipEmergency))
	assert.False(t, p.Contacts[0].Is(RelationshipNextOfKin))
}
