package access_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// start is the fixed time every test store starts at.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is one guarded store over a fresh backend store.
type env struct {
	backend testbackends.Backend
	inner   storage.Store
	g       *access.Store
	clock   *ehrkit.FakeClock
}

// testGroups stand for the record-type groups the domain packages declare
// (patient.Groups() and the others; domain_test.go uses the real ones), with
// FHIR record types of packages still to come (billing, laboratory).
func testGroups() []access.Group {
	return []access.Group{
		{Class: access.ClassDemographic, Types: []string{"Patient", "RelatedPerson"}, Topics: []string{"patient.registered"}},
		{Class: access.ClassClinical, Types: []string{"Encounter", "Condition", "Observation", "AllergyIntolerance", "Procedure", "Immunization", "DocumentReference", "CarePlan"}},
		{Class: access.ClassCharting, Types: []string{"Observation", "AllergyIntolerance", "Immunization", "MedicationAdministration"}},
		{Class: access.ClassResult, Types: []string{"Observation", "Specimen", "DiagnosticReport"}},
		{Class: access.ClassMedication, Types: []string{"MedicationRequest", "MedicationDispense", "MedicationAdministration"}, Topics: []string{"rx.prescription"}},
		{Class: access.ClassDiagnosticOrder, Types: []string{"ServiceRequest"}},
		{Class: access.ClassMedicationReview, Types: []string{"AllergyIntolerance", "Condition", "Observation"}},
		{Class: access.ClassScheduling, Types: []string{"Appointment"}, Topics: []string{"schedule.reminder"}},
		{Class: access.ClassScheduling, Types: []string{"Schedule", "Slot"}, Shared: true},
		{Class: access.ClassCoverage, Types: []string{"Coverage"}},
		{Class: access.ClassBilling, Types: []string{"Account", "Claim", "Invoice"}},
		{Class: access.ClassStatement, Types: []string{"Account", "Invoice"}},
		{Class: access.ClassBillable, Types: []string{"Encounter", "Procedure", "Condition", "Appointment"}},
		{Class: access.ClassDirectory, Types: []string{"Practitioner", "Location", "Questionnaire"}, Shared: true},
	}
}

// testPolicy is the default policy over testGroups.
func testPolicy(t testing.TB) *access.Policy {
	t.Helper()
	p, err := access.DefaultPolicy(testGroups())
	require.NoError(t, err)
	return p
}

// eachBackend runs fn in a subtest per backend with a fresh store guarded by
// testPolicy.
func eachBackend(t *testing.T, fn func(t *testing.T, e env)) {
	eachBackendWith(t, testPolicy(t), fn)
}

// eachBackendWith runs fn in a subtest per backend with a fresh store
// guarded by policy.
func eachBackendWith(t *testing.T, policy *access.Policy, fn func(t *testing.T, e env)) {
	for _, b := range testbackends.All() {
		t.Run(b.Name, func(t *testing.T) {
			clock := ehrkit.NewFakeClock(start)
			inner := b.Open(t, clock)
			g := access.Guard(inner, policy, access.WithClock(clock), access.WithIDs(&ehrkit.SeqIDs{Prefix: "grant-"}))
			fn(t, env{backend: b, inner: inner, g: g, clock: clock})
		})
	}
}

// Principals of the tests. Facility F1 holds patients p1 and p3, F2 holds p2.
var (
	physician  = access.Principal{Kind: access.User, ID: "dr-1", Roles: []string{access.RolePhysician}, Facility: "F1", Practitioner: "prac-1", CareTeam: []string{"p1"}}
	physician2 = access.Principal{Kind: access.User, ID: "dr-2", Roles: []string{access.RolePhysician}, Facility: "F2", CareTeam: []string{"p1"}}
	nurse      = access.Principal{Kind: access.User, ID: "rn-1", Roles: []string{access.RoleNurse}, Facility: "F1", CareTeam: []string{"p1"}}
	pharmacist = access.Principal{Kind: access.User, ID: "ph-1", Roles: []string{access.RolePharmacist}, Facility: "F1"}
	labTech    = access.Principal{Kind: access.User, ID: "lt-1", Roles: []string{access.RoleLabTechnician}, Facility: "F1"}
	frontDesk  = access.Principal{Kind: access.User, ID: "fd-1", Roles: []string{access.RoleFrontDesk}, Facility: "F1"}
	biller     = access.Principal{Kind: access.User, ID: "bi-1", Roles: []string{access.RoleBiller}, Facility: "F1"}
	portal1    = access.Principal{Kind: access.User, ID: "pt-1", Roles: []string{access.RolePatient}, Patient: "p1"}
	admin      = access.Principal{Kind: access.User, ID: "ad-1", Roles: []string{access.RoleAdministrator}}
	privacy    = access.Principal{Kind: access.User, ID: "po-1", Roles: []string{access.RolePrivacy}}
	system     = access.Principal{Kind: access.System, ID: "feed-worker", Roles: []string{access.RoleAdministrator}}
	dispatcher = access.Principal{Kind: access.System, ID: "rx-dispatcher", Roles: []string{access.RoleIntegration}, Facility: "F1"}
	stranger   = access.Principal{Kind: access.User, ID: "x-1", Roles: []string{"janitor"}, Facility: "F1"}
)

func as(p access.Principal) context.Context {
	return access.WithPrincipal(context.Background(), p)
}

// facility of each seeded patient.
var facilities = map[string]string{"p1": "F1", "p2": "F2", "p3": "F1"}

// rec builds a record of patient comp ("" for none) at the patient's facility.
func rec(typ, id, comp string, labels ...string) storage.Record {
	r := storage.Record{Type: typ, ID: id, Compartment: comp, Labels: labels, Value: []byte(`{"v":1,"d":{}}`)}
	if f := facilities[comp]; f != "" {
		r.Terms = []storage.Term{{Name: access.FacilityTerm, Value: f}}
	}
	return r
}

// consentRec builds a valid Consent record of patient comp that denies no one.
func consentRec(comp string) storage.Record {
	r := rec(access.ConsentType, comp, comp)
	r.Value = []byte(`{"v":1,"d":{"patient":"` + comp + `"}}`)
	return r
}

// seed writes records directly to the unguarded store.
func seed(t testing.TB, s storage.Store, recs ...storage.Record) {
	t.Helper()
	require.NoError(t, s.Update(context.Background(), func(tx storage.Tx) error {
		for _, r := range recs {
			if _, err := tx.Put(context.Background(), r, storage.Any); err != nil {
				return err
			}
		}
		return nil
	}))
}

// seedPatients writes the Patient records of p1, p2 and p3.
func seedPatients(t testing.TB, s storage.Store) {
	seed(t, s, rec("Patient", "p1", "p1"), rec("Patient", "p2", "p2"), rec("Patient", "p3", "p3"))
}

// events returns the whole audit trail, oldest first.
func events(t testing.TB, s storage.Store) []access.Event {
	t.Helper()
	ctx := context.Background()
	var out []access.Event
	q := storage.Query{Type: access.AuditEventType, Limit: storage.MaxLimit}
	for {
		page, err := s.Query(ctx, q)
		require.NoError(t, err)
		for _, r := range page.Records {
			evs, err := access.DecodeEvents(r)
			require.NoError(t, err)
			out = append(out, evs...)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	for i, ev := range out {
		require.Equal(t, int64(i+1), ev.Seq, "the chain's events in order")
	}
	return out
}

func eventID(seq int64) string { return fmt.Sprintf("%012d", seq) }

func decodeEvent(t testing.TB, r storage.Record) access.Event {
	t.Helper()
	ev, err := access.DecodeEvent(r)
	require.NoError(t, err)
	return ev
}

func last(t testing.TB, s storage.Store) access.Event {
	t.Helper()
	evs := events(t, s)
	require.NotEmpty(t, evs)
	return evs[len(evs)-1]
}

// reasonOf returns the reason of a *access.DeniedError, or "" for nil.
func reasonOf(t testing.TB, err error) access.Reason {
	t.Helper()
	if err == nil {
		return ""
	}
	var d *access.DeniedError
	require.ErrorAs(t, err, &d)
	return d.Reason
}

// feed reads the whole change feed through s, batch entries at a time.
func feed(t testing.TB, ctx context.Context, s storage.Store, batch int) []storage.Change {
	t.Helper()
	var out []storage.Change
	after := int64(0)
	for {
		changes, err := s.Changes(ctx, after, batch)
		require.NoError(t, err)
		if len(changes) == 0 {
			return out
		}
		out = append(out, changes...)
		after = changes[len(changes)-1].Seq
	}
}

// issue is one expected validation issue.
type issue struct {
	path string
	code ehrkit.IssueCode
}

// requireIssues checks that err is a *ehrkit.ValidationError with exactly the
// issues want.
func requireIssues(t testing.TB, err error, want ...issue) {
	t.Helper()
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, w := range want {
		assert.True(t, ve.Has(w.path, w.code), "missing %s (%s) in %v", w.path, w.code, ve.Issues)
	}
	assert.Len(t, ve.Issues, len(want))
}
