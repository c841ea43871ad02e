package access_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// do performs action on target through the guarded store; target is seeded
// first (unguarded) unless the action creates it.
func do(ctx context.Context, t *testing.T, e env, a access.Action, target storage.Record) error {
	t.Helper()
	if a != access.Create {
		seed(t, e.inner, target)
	}
	switch a {
	case access.Read:
		_, err := e.g.Get(ctx, target.Type, target.ID)
		return err
	case access.Search:
		page, err := e.g.Query(ctx, storage.Query{Type: target.Type, Compartment: target.Compartment, Limit: storage.MaxLimit})
		if err == nil && !slices.ContainsFunc(page.Records, func(r storage.Record) bool { return r.ID == target.ID }) {
			return errors.New("search did not return the target")
		}
		return err
	case access.Delete:
		return e.g.Update(ctx, func(tx storage.Tx) error { return tx.Delete(ctx, target.Type, target.ID, storage.Any) })
	default:
		return e.g.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, target, storage.Any)
			return err
		})
	}
}

func TestRoleTypeAction(t *testing.T) {
	const (
		ok    = access.Reason("")
		role  = access.ReasonRole
		scope = access.ReasonScope
		sens  = access.ReasonSensitive
		app   = access.ReasonAppendOnly
	)
	cases := []struct {
		who    access.Principal
		action access.Action
		typ    string
		comp   string
		labels []string
		want   access.Reason
	}{
		{physician, access.Read, "Observation", "p1", nil, ok},
		{physician, access.Read, "Observation", "p3", nil, ok}, // own facility, not care team
		{physician, access.Read, "Observation", "p2", nil, scope},
		{physician, access.Search, "Condition", "p1", nil, ok},
		{physician, access.Create, "MedicationRequest", "p1", nil, ok},
		{physician, access.Update, "Condition", "p1", nil, ok},
		{physician, access.Delete, "Condition", "p1", nil, ok},
		{physician, access.Create, "MedicationRequest", "p2", nil, scope},
		{physician, access.Read, "Claim", "p1", nil, role},
		{physician, access.Read, "Observation", "p1", []string{access.LabelBehavioralHealth}, ok},
		{physician, access.Read, "Observation", "p1", []string{access.LabelPart2}, sens},
		{nurse, access.Read, "MedicationRequest", "p1", nil, ok},
		{nurse, access.Create, "Observation", "p1", nil, ok},
		{nurse, access.Update, "Observation", "p3", nil, ok},
		{nurse, access.Create, "MedicationRequest", "p1", nil, role},
		{nurse, access.Delete, "Observation", "p1", nil, role},
		{nurse, access.Read, "Observation", "p1", []string{access.LabelSensitive}, sens},
		{pharmacist, access.Read, "MedicationRequest", "p3", nil, ok},
		{pharmacist, access.Update, "MedicationRequest", "p3", nil, ok},
		{pharmacist, access.Create, "MedicationDispense", "p3", nil, ok},
		{pharmacist, access.Read, "MedicationRequest", "p2", nil, scope},
		{pharmacist, access.Read, "Encounter", "p3", nil, role},
		{pharmacist, access.Create, "Condition", "p3", nil, role},
		{labTech, access.Create, "Observation", "p3", nil, ok},
		{labTech, access.Update, "DiagnosticReport", "p3", nil, ok},
		{labTech, access.Search, "ServiceRequest", "p3", nil, ok},
		{labTech, access.Read, "MedicationRequest", "p3", nil, role},
		{labTech, access.Create, "Observation", "p2", nil, scope},
		{frontDesk, access.Create, "Patient", "p3", nil, ok},
		{frontDesk, access.Update, "Appointment", "p3", nil, ok},
		{frontDesk, access.Search, "Practitioner", "", nil, ok},
		{frontDesk, access.Read, "Observation", "p3", nil, role},
		{frontDesk, access.Delete, "Patient", "p3", nil, role},
		{biller, access.Create, "Claim", "p3", nil, ok},
		{biller, access.Read, "Encounter", "p3", nil, ok},
		{biller, access.Read, "Encounter", "p2", nil, scope},
		{biller, access.Read, "Observation", "p3", nil, role},
		{portal1, access.Read, "Observation", "p1", nil, ok},
		{portal1, access.Search, "MedicationRequest", "p1", nil, ok},
		{portal1, access.Read, "Appointment", "p1", nil, ok},
		{portal1, access.Create, "Appointment", "p1", nil, role}, // only through schedule.Book
		{portal1, access.Read, "Observation", "p2", nil, scope},
		{portal1, access.Read, "Appointment", "p2", nil, scope},
		{portal1, access.Update, "Observation", "p1", nil, role},
		{portal1, access.Read, "Observation", "p1", []string{access.LabelBehavioralHealth}, sens},
		{admin, access.Delete, "Observation", "p2", nil, ok},
		{admin, access.Read, "Observation", "p2", []string{access.LabelPart2}, ok},
		{admin, access.Create, access.AuditEventType, "", nil, app},
		{admin, access.Create, access.GrantType, "", nil, app},
		{privacy, access.Read, "Observation", "p1", nil, role},
		{system, access.Update, "Observation", "p2", nil, ok},
		{stranger, access.Read, "Patient", "p3", nil, role},
		// Records the domain packages keep beside the FHIR-shaped ones.
		{frontDesk, access.Create, "PatientIdentifier", "p3", nil, ok},
		{frontDesk, access.Update, "PatientCounter", "", nil, ok},
		{frontDesk, access.Create, "PatientMerge", "p3", nil, ok},
		{physician, access.Create, "PatientIdentifier", "p1", nil, ok},
		{nurse, access.Create, "PatientIdentifier", "p1", nil, role},
		{frontDesk, access.Create, "AppointmentType", "", nil, ok},
		{frontDesk, access.Update, "ScheduleLedger", "", nil, ok},
		{frontDesk, access.Create, "WaitlistEntry", "p3", nil, ok},
		{frontDesk, access.Create, "AppointmentReminder", "p3", nil, ok},
		{nurse, access.Read, "ScheduleLedger", "", nil, ok},
		{physician, access.Read, "Questionnaire", "", nil, ok},
		{nurse, access.Search, "Questionnaire", "", nil, ok},
		{physician, access.Create, "Questionnaire", "", nil, role},
		{physician, access.Read, "PlanDefinition", "", nil, ok},
		{physician, access.Update, "PlanDefinition", "", nil, role},
		{physician, access.Read, "RxTransmission", "p1", nil, ok},
		{physician, access.Create, "RxTransmission", "p1", nil, role},
		{nurse, access.Search, "RxTransmission", "p1", nil, ok},
		{pharmacist, access.Read, "RxTransmission", "p3", nil, ok},
		{dispatcher, access.Read, "MedicationRequest", "p3", nil, ok},
		{dispatcher, access.Create, "RxTransmission", "p3", nil, ok},
		{dispatcher, access.Update, "RxTransmission", "p3", nil, ok},
		{dispatcher, access.Update, "RxTransmission", "p2", nil, scope},
		{dispatcher, access.Update, storage.CheckpointType, "", nil, ok},
		{dispatcher, access.Update, "MedicationRequest", "p3", nil, role},
		{dispatcher, access.Read, "Observation", "p3", nil, role},
	}
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		for i, tc := range cases {
			name := fmt.Sprintf("%s/%s/%s/%s%v", tc.who.ID, tc.action, tc.typ, tc.comp, tc.labels)
			t.Run(name, func(t *testing.T) {
				target := rec(tc.typ, fmt.Sprintf("r%03d", i), tc.comp, tc.labels...)
				err := do(as(tc.who), t, e, tc.action, target)
				assert.Equal(t, tc.want, reasonOf(t, err))
				if tc.want != "" {
					require.ErrorIs(t, err, ehrkit.ErrPermission)
				}
				ev := last(t, e.inner)
				assert.Equal(t, tc.who.ID, ev.Actor)
				assert.Equal(t, string(tc.action), ev.Action)
				if tc.want == "" {
					assert.Equal(t, access.Success, ev.Outcome)
				} else {
					assert.Equal(t, access.Denied, ev.Outcome)
					assert.Equal(t, string(tc.want), ev.Reason)
				}
			})
		}
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

func TestNewPolicyReportsEveryProblem(t *testing.T) {
	_, err := access.NewPolicy([]access.Role{
		{Name: "a", Rules: []access.Rule{{Types: []string{"bad type"}, Actions: []access.Action{"peek"}}}},
		{Name: "a", Permissions: []access.Permission{""}},
		{Rules: []access.Rule{{}}},
	}, map[string]access.Permission{"bad label!": ""}, []string{"lower"})
	requireIssues(t, err,
		issue{"roles[0].rules[0].types[0]", ehrkit.IssueValue},
		issue{"roles[0].rules[0].actions[0]", ehrkit.IssueCodeInvalid},
		issue{"roles[1].name", ehrkit.IssueDuplicate},
		issue{"roles[1].permissions[0]", ehrkit.IssueRequired},
		issue{"roles[2].name", ehrkit.IssueRequired},
		issue{"roles[2].rules[0].types", ehrkit.IssueRequired},
		issue{"roles[2].rules[0].actions", ehrkit.IssueRequired},
		issue{"sensitive", ehrkit.IssueValue},
		issue{"sensitive", ehrkit.IssueRequired},
		issue{"shared[0]", ehrkit.IssueValue},
	)
}

func TestDefaultPolicy(t *testing.T) {
	p := access.DefaultPolicy()
	var names []string
	for _, r := range p.Roles() {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{access.RolePhysician, access.RoleNurse, access.RolePharmacist, access.RoleLabTechnician,
		access.RoleFrontDesk, access.RoleBiller, access.RolePatient, access.RoleAdministrator, access.RolePrivacy, access.RoleIntegration}, names)
	perm, ok := p.Sensitive(access.LabelPart2)
	assert.True(t, ok)
	assert.Equal(t, access.PermPart2, perm)
	_, ok = p.Sensitive("routine")
	assert.False(t, ok)
}
