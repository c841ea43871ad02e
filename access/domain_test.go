package access_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/directory"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// domainPolicy is the default policy over the groups the domain packages
// declare.
func domainPolicy(t testing.TB) *access.Policy {
	t.Helper()
	p, err := access.DefaultPolicy(patient.Groups(), directory.Groups(), clinical.Groups(), schedule.Groups(), rx.Groups(), lab.Groups(), billing.Groups())
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

// TestMergeThroughTheGuard: a front desk merge moves every record of the
// retired patient, allergies it may not read included, and the retired
// patient takes no new clinical records.
func TestMergeThroughTheGuard(t *testing.T) {
	eachBackendWith(t, domainPolicy(t), func(t *testing.T, e env) {
		desk := as(frontDesk)
		reg, chart := mergeServices(t, e)
		person := func(given string) patient.Patient {
			return patient.Patient{Names: []ehrkit.HumanName{{Use: "official", Family: "Silva", Given: []string{given}}},
				BirthDate: ehrkit.MustDate("1980-01-02"), Gender: patient.GenderFemale}
		}
		a, err := reg.Register(desk, person("Ana"))
		require.NoError(t, err)
		b, err := reg.Register(desk, person("Anna"), patient.AllowDuplicate())
		require.NoError(t, err)

		doctor := physician
		doctor.CareTeam = []string{string(a.ID), string(b.ID)}
		dr := as(doctor)
		allergy, err := chart.AddAllergy(dr, clinical.AllergyIntolerance{Patient: a.ID, ClinicalStatus: "active",
			VerificationStatus: "confirmed", Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G")})
		require.NoError(t, err)
		_, err = chart.Allergies(desk, a.ID)
		require.ErrorIs(t, err, ehrkit.ErrPermission, "the front desk may not read allergies")

		m, err := reg.Merge(desk, a.ID, b.ID)
		require.NoError(t, err)
		assert.Contains(t, m.Records, patient.MergedRecord{Type: clinical.AllergyType, ID: allergy.ID, Before: 1, After: 2})
		moved, err := e.inner.Get(context.Background(), clinical.AllergyType, allergy.ID)
		require.NoError(t, err)
		assert.Equal(t, string(b.ID), moved.Compartment)
		left, err := e.inner.Query(context.Background(), storage.Query{Compartment: string(a.ID), Limit: storage.MaxLimit})
		require.NoError(t, err)
		for _, r := range left.Records {
			assert.Equal(t, patient.RecordType, r.Type, "only the retired patient record stays: %s/%s", r.Type, r.ID)
		}
		list, err := chart.Allergies(dr, b.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)

		// The move is audited as the act, attributed to the front desk.
		var acted int
		for _, ev := range events(t, e.inner) {
			if ev.Actor == frontDesk.ID && ev.Type == clinical.AllergyType && ev.Reason == "act "+string(access.PermPatientMerge) {
				acted++
			}
		}
		assert.Equal(t, 1, acted)

		// Writes to the merged-away patient are refused.
		_, err = chart.AddAllergy(dr, clinical.AllergyIntolerance{Patient: a.ID, ClinicalStatus: "active",
			Code: ehrkit.Concept(ehrkit.SystemRxNorm, "2670", "Codeine")})
		requireIssues(t, err, issue{"patient", ehrkit.IssueBusinessRule})
		_, err = chart.RecordObservation(dr, clinical.Observation{Patient: a.ID, Status: "final",
			Effective: e.clock.Now(),
			Code:      ehrkit.Concept(ehrkit.SystemLOINC, "8867-4", "Heart rate"), DataAbsentReason: "not-performed"})
		requireIssues(t, err, issue{"patient", ehrkit.IssueBusinessRule})

		// Unmerge as the front desk puts the allergy back.
		_, err = reg.Unmerge(desk, a.ID)
		require.NoError(t, err)
		back, err := e.inner.Get(context.Background(), clinical.AllergyType, allergy.ID)
		require.NoError(t, err)
		assert.Equal(t, string(a.ID), back.Compartment)

		// A nurse may not merge at all.
		nurseCtx := as(access.Principal{Kind: access.User, ID: "rn-2", Roles: []string{access.RoleNurse}, Facility: "F1"})
		c, err := reg.Register(desk, person("Anne"), patient.AllowDuplicate())
		require.NoError(t, err)
		_, err = reg.Merge(nurseCtx, c.ID, b.ID)
		require.ErrorIs(t, err, ehrkit.ErrPermission)
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

// TestUnmergeAfterOnwardMerge: once the target of a merge is itself merged
// into a third patient, the records the first merge moved are in the third
// compartment. Unmerging the first merge as the front desk is refused as a
// changed record (ehrkit.ErrFailedPrecondition), not as a read the front
// desk may not make: the act covers the two patients of the merge only.
func TestUnmergeAfterOnwardMerge(t *testing.T) {
	eachBackendWith(t, domainPolicy(t), func(t *testing.T, e env) {
		desk := as(frontDesk)
		reg, chart := mergeServices(t, e)
		var ps [3]patient.Patient
		for i, given := range []string{"Rui", "Ruy", "Rue"} {
			var err error
			ps[i], err = reg.Register(desk, patient.Patient{Names: []ehrkit.HumanName{{Use: "official", Family: "Lopes", Given: []string{given}}},
				BirthDate: ehrkit.MustDate("1970-03-04"), Gender: patient.GenderMale}, patient.AllowDuplicate())
			require.NoError(t, err)
		}
		doctor := physician
		doctor.CareTeam = []string{string(ps[0].ID)}
		allergy, err := chart.AddAllergy(as(doctor), clinical.AllergyIntolerance{Patient: ps[0].ID, ClinicalStatus: "active",
			VerificationStatus: "confirmed", Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G")})
		require.NoError(t, err)

		_, err = reg.Merge(desk, ps[0].ID, ps[1].ID)
		require.NoError(t, err)
		_, err = reg.Merge(desk, ps[1].ID, ps[2].ID)
		require.NoError(t, err)
		_, err = reg.Unmerge(desk, ps[0].ID)
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		assert.NotErrorIs(t, err, ehrkit.ErrPermission)
		assert.Contains(t, err.Error(), clinical.AllergyType+"/"+allergy.ID)

		// Nothing was written: the allergy stays with the third patient.
		kept, err := e.inner.Get(context.Background(), clinical.AllergyType, allergy.ID)
		require.NoError(t, err)
		assert.Equal(t, string(ps[2].ID), kept.Compartment)
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

// TestMergeRacingClinicalWrites: clinical writes that race a merge through
// the guard either commit before it (and are moved) or see the merge and are
// refused; none is left behind in the retired patient. Every guarded write
// transaction appends to the audit chain, so the racing transactions
// conflict on its head and the loser runs again, re-checking the patient.
func TestMergeRacingClinicalWrites(t *testing.T) {
	eachBackendWith(t, domainPolicy(t), func(t *testing.T, e env) {
		desk := as(frontDesk)
		reg, err := patient.NewService(e.g, patient.WithClock(e.clock), patient.WithIDs(&ehrkit.SeqIDs{Prefix: "pat-"}))
		require.NoError(t, err)
		chart := clinical.NewService(e.g, clinical.WithClock(e.clock))
		person := func(given string) patient.Patient {
			return patient.Patient{Names: []ehrkit.HumanName{{Use: "official", Family: "Costa", Given: []string{given}}},
				BirthDate: ehrkit.MustDate("1975-05-06"), Gender: patient.GenderMale}
		}
		a, err := reg.Register(desk, person("Rui"))
		require.NoError(t, err)
		b, err := reg.Register(desk, person("Ruy"), patient.AllowDuplicate())
		require.NoError(t, err)
		doctor := physician
		doctor.CareTeam = []string{string(a.ID), string(b.ID)}
		dr := as(doctor)

		const writers = 6
		var wg sync.WaitGroup
		written := make(chan string, writers)
		wg.Add(writers + 1)
		go func() {
			defer wg.Done()
			_, err := reg.Merge(desk, a.ID, b.ID)
			assert.NoError(t, err)
		}()
		for range writers {
			go func() {
				defer wg.Done()
				got, err := chart.AddAllergy(dr, clinical.AllergyIntolerance{Patient: a.ID, ClinicalStatus: "active",
					Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G")})
				var ve *ehrkit.ValidationError
				switch {
				case err == nil:
					written <- got.ID
				case errors.As(err, &ve):
					assert.True(t, ve.Has("patient", ehrkit.IssueBusinessRule), "%v", err)
				default:
					assert.NoError(t, err)
				}
			}()
		}
		wg.Wait()
		close(written)
		for id := range written {
			r, err := e.inner.Get(context.Background(), clinical.AllergyType, id)
			require.NoError(t, err)
			assert.Equal(t, string(b.ID), r.Compartment, "allergy %s follows the merge", id)
		}
		left, err := e.inner.Query(context.Background(), storage.Query{Compartment: string(a.ID), Limit: storage.MaxLimit})
		require.NoError(t, err)
		for _, r := range left.Records {
			assert.Equal(t, patient.RecordType, r.Type, "left behind: %s/%s", r.Type, r.ID)
		}
	})
}

// mergeServices returns the registry and the chart of the merge tests, on
// the guarded store of e, with sequential ids.
func mergeServices(t *testing.T, e env) (*patient.Service, *clinical.Service) {
	t.Helper()
	reg, err := patient.NewService(e.g, patient.WithClock(e.clock), patient.WithIDs(&ehrkit.SeqIDs{Prefix: "pat-"}))
	require.NoError(t, err)
	return reg, clinical.NewService(e.g, clinical.WithClock(e.clock), clinical.WithIDs(&ehrkit.SeqIDs{Prefix: "cl-"}))
}
