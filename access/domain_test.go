package access_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// domainPolicy is the default policy over the groups the domain packages
// declare.
func domainPolicy(t testing.TB) *access.Policy {
	t.Helper()
	p, err := access.DefaultPolicy(patient.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups())
	require.NoError(t, err)
	return p
}

func TestDomainGroupsAreFreshValues(t *testing.T) {
	for name, groups := range map[string]func() []access.Group{
		"patient": patient.Groups, "clinical": clinical.Groups, "schedule": schedule.Groups, "rx": rx.Groups,
	} {
		g := groups()
		require.NotEmpty(t, g, name)
		g[0].Types[0], g[0].Class = "Tampered", access.ClassInternal
		assert.NotEqual(t, "Tampered", groups()[0].Types[0], name)
		assert.NotEqual(t, access.ClassInternal, groups()[0].Class, name)
	}
}

// TestDomainRecordTypes checks the default roles over the record types the
// domain packages keep beside the FHIR-shaped ones, as their groups declare
// them.
func TestDomainRecordTypes(t *testing.T) {
	const (
		ok    = access.Reason("")
		role  = access.ReasonRole
		scope = access.ReasonScope
	)
	roleCases(t, domainPolicy(t), []roleCase{
		{frontDesk, access.Create, patient.IdentifierRecordType, "p3", nil, ok},
		{frontDesk, access.Update, patient.CounterRecordType, "", nil, ok},
		{frontDesk, access.Create, patient.MergeRecordType, "p3", nil, ok},
		{physician, access.Create, patient.IdentifierRecordType, "p1", nil, ok},
		{nurse, access.Create, patient.IdentifierRecordType, "p1", nil, role},
		{frontDesk, access.Create, schedule.RecordAppointmentType, "", nil, ok},
		{frontDesk, access.Update, schedule.RecordLedger, "", nil, ok},
		{frontDesk, access.Create, schedule.RecordWaitlist, "p3", nil, ok},
		{frontDesk, access.Create, schedule.RecordReminder, "p3", nil, ok},
		{frontDesk, access.Update, schedule.RecordAppointment, "p3", nil, ok},
		{portal1, access.Read, schedule.RecordAppointment, "p1", nil, ok},
		{portal1, access.Create, schedule.RecordAppointment, "p1", nil, role},
		{biller, access.Read, schedule.RecordAppointment, "p3", nil, ok},
		{nurse, access.Read, schedule.RecordLedger, "", nil, ok},
		{physician, access.Read, clinical.FormType, "", nil, ok},
		{nurse, access.Search, clinical.FormType, "", nil, ok},
		{physician, access.Create, clinical.FormType, "", nil, role},
		{nurse, access.Create, clinical.ObservationType, "p1", nil, ok},
		{nurse, access.Create, clinical.ConditionType, "p1", nil, role},
		{pharmacist, access.Read, clinical.AllergyType, "p3", nil, ok},
		{pharmacist, access.Read, clinical.NoteType, "p3", nil, role},
		{labTech, access.Create, clinical.ObservationType, "p3", nil, ok},
		{labTech, access.Read, rx.ServiceRequestType, "p3", nil, ok},
		{labTech, access.Read, rx.MedicationRequestType, "p3", nil, role},
		{physician, access.Read, rx.OrderSetType, "", nil, ok},
		{physician, access.Update, rx.OrderSetType, "", nil, role},
		{physician, access.Read, rx.TransmissionType, "p1", nil, ok},
		{physician, access.Create, rx.TransmissionType, "p1", nil, role},
		{nurse, access.Search, rx.TransmissionType, "p1", nil, ok},
		{pharmacist, access.Read, rx.TransmissionType, "p3", nil, ok},
		{pharmacist, access.Update, rx.MedicationRequestType, "p3", nil, ok},
		{dispatcher, access.Read, rx.MedicationRequestType, "p3", nil, ok},
		{dispatcher, access.Create, rx.TransmissionType, "p3", nil, ok},
		{dispatcher, access.Update, rx.TransmissionType, "p3", nil, ok},
		{dispatcher, access.Update, rx.TransmissionType, "p2", nil, scope},
		{dispatcher, access.Update, storage.CheckpointType, "", nil, ok},
	})
}
