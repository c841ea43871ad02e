package fhir_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportAppointment checks how FHIR Appointments from other systems map:
// participants, a foreign appointment type, minutesDuration, and the domain
// rules that refuse an appointment with every offending field named.
func TestImportAppointment(t *testing.T) {
	m, ok := fhir.MappingFor("Appointment")
	require.True(t, ok)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t.Run("foreign", func(t *testing.T) {
		raw := `{"resourceType":"Appointment","id":"a1","status":"booked","serviceType":[{"text":"GP"}],
		 "appointmentType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0276","code":"FOLLOWUP"}]},
		 "start":"2026-03-02T10:00:00+01:00","minutesDuration":20,
		 "participant":[{"actor":{"display":"Phone Call"},"status":"accepted"},
		  {"actor":{"reference":"Location/room-1"},"status":"accepted"},
		  {"actor":{"reference":"Patient/p1"},"status":"accepted"},
		  {"actor":{"reference":"Practitioner/dr-1","display":"Dr. Careful"},"status":"accepted"}]}`
		v, err := m.Import([]byte(raw), "a1", fhir.NewRefs())
		require.NoError(t, err)
		a := v.Domain()
		assert.Equal(t, schedule.Appointment{
			ID: "a1", Status: schedule.Booked, Type: "FOLLOWUP", Patient: "p1",
			Resources: []ehrkit.Reference{ehrkit.Ref("Location", "room-1"), {Type: "Practitioner", ID: "dr-1", Display: "Dr. Careful"}},
			Start:     start, End: start.Add(20 * time.Minute),
		}, a)
		assert.Equal(t, "p1", v.Compartment())
	})
	t.Run("refused", func(t *testing.T) {
		raw := `{"resourceType":"Appointment","id":"a2","status":"waitlist",
		 "participant":[{"actor":{"reference":"RelatedPerson/x"},"status":"accepted"}]}`
		_, err := m.Import([]byte(raw), "a2", fhir.NewRefs())
		var ve *ehrkit.ValidationError
		require.True(t, errors.As(err, &ve), "%v", err)
		for path, code := range map[string]ehrkit.IssueCode{
			"status": ehrkit.IssueCodeInvalid, "type": ehrkit.IssueRequired, "patient": ehrkit.IssueRequired,
			"resources": ehrkit.IssueRequired, "start": ehrkit.IssueRequired, "end": ehrkit.IssueRequired,
		} {
			assert.True(t, ve.Has(path, code), "%s %s in %v", path, code, ve.Issues)
		}
		assert.Len(t, ve.Issues, 6)
	})
}

// TestImportSchedule checks a Schedule without ehrkit's availability extension
// (UTC, no availability) and the refusal of one with several actors.
func TestImportSchedule(t *testing.T) {
	m, ok := fhir.MappingFor("Schedule")
	require.True(t, ok)
	v, err := m.Import([]byte(`{"resourceType":"Schedule","id":"s1","actor":[{"reference":"Location/1"}],"comment":"x"}`), "s1", fhir.NewRefs())
	require.NoError(t, err)
	assert.Equal(t, schedule.Schedule{Actor: ehrkit.Ref("Location", "1"), TimeZone: "UTC"}, v.Domain())
	assert.Equal(t, "Location:1", v.ID(), "a schedule is keyed by its actor")

	_, err = m.Import([]byte(`{"resourceType":"Schedule","id":"s2","actor":[{"reference":"Practitioner/1"},{"reference":"Location/3"}]}`), "s2", fhir.NewRefs())
	var ve *ehrkit.ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.True(t, ve.Has("actor", ehrkit.IssueBusinessRule), "%v", ve.Issues)

	_, err = m.Import([]byte(`{"resourceType":"Schedule","id":"s3","actor":[{"reference":"HealthcareService/1"}]}`), "s3", fhir.NewRefs())
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.True(t, ve.Has("actor.type", ehrkit.IssueCodeInvalid), "%v", ve.Issues)
}
