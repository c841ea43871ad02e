package clinical_test

import (
	"context"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	physician = access.Principal{Kind: access.User, ID: "dr-1", Roles: []string{access.RolePhysician}, Practitioner: "prac-1", CareTeam: []string{"p1", "p2"}}
	nurse     = access.Principal{Kind: access.User, ID: "rn-1", Roles: []string{access.RoleNurse}, CareTeam: []string{"p1", "p2"}}
	admin     = access.Principal{Kind: access.User, ID: "ad-1", Roles: []string{access.RoleAdministrator}}
)

// env is a service on a fresh store with a fixed clock, sequential ids and
// patients p1 and p2.
type env struct {
	svc   *clinical.Service
	store storage.Store
	clock *ehrkit.FakeClock
	ctx   context.Context
}

func newEnv(t *testing.T, s storage.Store, clock *ehrkit.FakeClock, opts ...clinical.Option) env {
	t.Helper()
	ctx := access.WithPrincipal(t.Context(), physician)
	addPatients(t, ctx, s, "p1", "p2")
	opts = append([]clinical.Option{clinical.WithClock(clock), clinical.WithIDs(&ehrkit.SeqIDs{Prefix: "c-"})}, opts...)
	return env{svc: clinical.NewService(trusted(s), opts...), store: s, clock: clock, ctx: ctx}
}

// addPatients stores minimal patient records: the clinical service only checks
// that the patient exists.
func addPatients(t *testing.T, ctx context.Context, s storage.Store, ids ...patient.ID) {
	addPatientsTB(t, ctx, s, ids...)
}

func addPatientsTB(t testing.TB, ctx context.Context, s storage.Store, ids ...patient.ID) {
	t.Helper()
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		for _, id := range ids {
			if _, err := tx.Put(ctx, storage.Record{Type: patient.RecordType, ID: string(id), Compartment: string(id), Value: []byte(`{"v":1,"d":{"id":"` + string(id) + `"}}`)}, 0); err != nil {
				return err
			}
		}
		return nil
	}))
}

func runEnv(t *testing.T, fn func(t *testing.T, e env), opts ...clinical.Option) {
	clock := ehrkit.NewFakeClock(fixed)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		clock.Set(fixed)
		fn(t, newEnv(t, s, clock, opts...))
	})
}

func TestServiceEncounter(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		enc, err := e.svc.OpenEncounter(e.ctx, clinical.Encounter{Patient: "p1", Class: clinical.ClassAmbulatory,
			Participants: []clinical.Participant{{Type: "ATND", Individual: ehrkit.Ref("Practitioner", "prac-1")}}})
		require.NoError(t, err)
		assert.Equal(t, clinical.EncounterInProgress, enc.Status)
		assert.Equal(t, fixed, enc.Period.Start)

		e.clock.Advance(20 * time.Minute)
		enc, err = e.svc.SetEncounterStatus(e.ctx, enc.ID, clinical.EncounterFinished)
		require.NoError(t, err)
		assert.Equal(t, fixed.Add(20*time.Minute), enc.Period.End)

		_, err = e.svc.SetEncounterStatus(e.ctx, enc.ID, clinical.EncounterInProgress)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		_, err = e.svc.UpdateEncounter(e.ctx, enc.ID, func(x *clinical.Encounter) error { x.Status = clinical.EncounterPlanned; return nil })
		assert.Equal(t, []string{"status business-rule"}, issues(t, err))
		_, err = e.svc.UpdateEncounter(e.ctx, enc.ID, func(x *clinical.Encounter) error { x.Patient = "p2"; return nil })
		assert.Equal(t, []string{"patient invariant"}, issues(t, err))

		got, err := e.svc.Encounter(e.ctx, enc.ID)
		require.NoError(t, err)
		assert.Equal(t, enc, got, "refused changes leave the stored encounter as it was")

		_, err = e.svc.OpenEncounter(e.ctx, clinical.Encounter{Patient: "nobody", Class: clinical.ClassVirtual})
		assert.Equal(t, []string{"patient value"}, issues(t, err))
		_, err = e.svc.Encounter(e.ctx, "missing")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
	})
}

func TestServiceReferencesAndAtomicity(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		enc, err := e.svc.OpenEncounter(e.ctx, clinical.Encounter{Patient: "p1", Class: clinical.ClassAmbulatory})
		require.NoError(t, err)

		// An encounter of another patient is refused.
		_, err = e.svc.AddCondition(e.ctx, clinical.Condition{Patient: "p2", Encounter: enc.ID, Category: clinical.ConditionEncounterDiagnosis,
			ClinicalStatus: clinical.ConditionActive, Code: ehrkit.Concept(ehrkit.SystemICD10CM, "J06.9", "")})
		assert.Equal(t, []string{"encounter value"}, issues(t, err))

		// One bad unit in a set of vitals stores none of them.
		_, err = e.svc.RecordVitals(e.ctx, "p1", enc.ID, clinical.Vitals{HeartRate: qp("72", "/min"), Weight: qp("70", "stone")})
		assert.ElementsMatch(t, []string{"observations[1].value.quantity.unit code-invalid", "observations[1].value.quantity.unit value"}, issues(t, err))
		obs, err := e.svc.Observations(e.ctx, "p1", ehrkit.Coding{})
		require.NoError(t, err)
		assert.Empty(t, obs)

		// A kg heart rate is refused on its own too.
		_, err = e.svc.RecordObservation(e.ctx, clinical.Observation{Patient: "p1", Status: clinical.ObservationFinal,
			Code: loinc(clinical.LOINCHeartRate, ""), Effective: fixed, Value: clinical.QuantityValue(qty("72", "kg"))})
		assert.Equal(t, []string{"value.quantity.unit value"}, issues(t, err))

		_, err = e.svc.Conditions(e.ctx, "bad id!")
		assert.Equal(t, []string{"patient value"}, issues(t, err))
	})
}

func TestServiceObservations(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		obs, err := e.svc.RecordVitals(e.ctx, "p1", "", clinical.Vitals{HeartRate: qp("118", "/min"), Height: qp("172", "cm"), Weight: qp("81", "kg")})
		require.NoError(t, err)
		require.Len(t, obs, 4)
		assert.Equal(t, []string{clinical.InterpretationHigh}, obs[0].Interpretation)
		bmi := obs[3]
		assert.Equal(t, "27.4 kg/m2", bmi.Value.Quantity.String())
		assert.Equal(t, []ehrkit.Reference{ehrkit.Ref(clinical.ObservationType, obs[1].ID), ehrkit.Ref(clinical.ObservationType, obs[2].ID)}, bmi.DerivedFrom)

		e.clock.Advance(time.Hour)
		_, err = e.svc.RecordVitals(e.ctx, "p1", "", clinical.Vitals{HeartRate: qp("76", "/min")})
		require.NoError(t, err)

		hr, err := e.svc.Observations(e.ctx, "p1", ehrkit.Coding{System: ehrkit.SystemLOINC, Code: clinical.LOINCHeartRate})
		require.NoError(t, err)
		require.Len(t, hr, 2)
		assert.Equal(t, "118", hr[0].Value.Quantity.Value.String(), "oldest first")
		assert.Equal(t, []string{clinical.InterpretationNormal}, hr[1].Interpretation)

		// A correction re-flags the value.
		fixedHR, err := e.svc.UpdateObservation(e.ctx, hr[0].ID, func(o *clinical.Observation) error {
			o.Status, o.Value = clinical.ObservationCorrected, clinical.QuantityValue(qty("88", "/min"))
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, []string{clinical.InterpretationNormal}, fixedHR.Interpretation)
		hist, err := e.store.History(e.ctx, clinical.ObservationType, hr[0].ID)
		require.NoError(t, err)
		assert.Len(t, hist, 2, "the original value stays in history")
	}, clinical.WithVitalRanges(clinical.AdultVitalRanges()))
}

func TestServiceNotes(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		n, err := e.svc.CreateNote(e.ctx, clinical.Note{Patient: "p1", Type: loinc(clinical.LOINCProgressNote, "Progress note"),
			Author: ehrkit.Ref("Practitioner", "prac-1"), Text: "Cough for three days."})
		require.NoError(t, err)
		assert.Equal(t, clinical.NoteDraft, n.Status)
		_, err = e.svc.EditNote(e.ctx, n.ID, "Visit", "Cough for three days, no fever.")
		require.NoError(t, err)

		// Signing needs a principal acting as a practitioner.
		_, err = e.svc.SignNote(t.Context(), n.ID)
		assert.ErrorIs(t, err, ehrkit.ErrUnauthenticated)
		_, err = e.svc.SignNote(access.WithPrincipal(t.Context(), admin), n.ID)
		assert.ErrorIs(t, err, ehrkit.ErrPermission)

		e.clock.Advance(time.Minute)
		signed, err := e.svc.SignNote(e.ctx, n.ID)
		require.NoError(t, err)
		assert.Equal(t, &clinical.Signature{By: ehrkit.Ref("Practitioner", "prac-1"), Principal: "dr-1", At: fixed.Add(time.Minute)}, signed.Signature)

		// A signed note is immutable.
		_, err = e.svc.EditNote(e.ctx, n.ID, "Visit", "rewritten")
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		_, err = e.svc.SignNote(e.ctx, n.ID)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		got, err := e.svc.Note(e.ctx, n.ID)
		require.NoError(t, err)
		assert.Equal(t, signed, got)

		// Corrections: an addendum, then an amendment keeping the original.
		e.clock.Advance(time.Hour)
		_, err = e.svc.AddAddendum(e.ctx, n.ID, "Chest X-ray clear.")
		require.NoError(t, err)
		_, err = e.svc.AmendNote(e.ctx, n.ID, "  ", "typo")
		assert.Equal(t, []string{"text required"}, issues(t, err))
		amended, err := e.svc.AmendNote(e.ctx, n.ID, "Cough for four days, no fever.", "duration misrecorded")
		require.NoError(t, err)
		assert.Equal(t, clinical.NoteAmended, amended.Status)
		require.Len(t, amended.Addenda, 1)

		hist, err := e.svc.NoteHistory(e.ctx, n.ID)
		require.NoError(t, err)
		require.Len(t, hist, 5, "draft, edit, signed, addendum, amendment")
		original := hist[amended.Amendments[0].Supersedes-1]
		assert.Equal(t, "Cough for three days, no fever.", original.Text)
		assert.Equal(t, clinical.NoteSigned, original.Status)
	})
}

// TestServiceNotesGuarded runs note signing on a store guarded by access with
// the default policy: a nurse may read notes but not sign them, a physician
// may, and the signing is in the audit trail.
func TestServiceNotesGuarded(t *testing.T) {
	clock := ehrkit.NewFakeClock(fixed)
	testbackends.RunClock(t, clock, func(t *testing.T, raw storage.Store) {
		policy, err := access.DefaultPolicy(patient.Groups(), clinical.Groups())
		require.NoError(t, err)
		guarded := access.Guard(raw, policy, access.WithClock(clock))
		e := newEnv(t, raw, clock)
		svc := clinical.NewService(guarded, clinical.WithClock(clock), clinical.WithIDs(&ehrkit.SeqIDs{Prefix: "g-"}))
		n, err := svc.CreateNote(e.ctx, clinical.Note{Patient: "p1", Type: loinc(clinical.LOINCProgressNote, ""), Author: ehrkit.Ref("Practitioner", "prac-1"), Text: "Seen."})
		require.NoError(t, err)

		nurseCtx := access.WithPrincipal(t.Context(), nurse)
		_, err = svc.Note(nurseCtx, n.ID)
		require.NoError(t, err, "a nurse reads notes")
		_, err = svc.SignNote(nurseCtx, n.ID)
		require.ErrorIs(t, err, ehrkit.ErrPermission)

		_, err = svc.SignNote(e.ctx, n.ID)
		require.NoError(t, err)
		require.NoError(t, guarded.Flush(e.ctx))

		var actions []string
		for ev, err := range access.Accounting(access.WithPrincipal(t.Context(), admin), guarded, "p1", fixed.Add(-time.Hour), fixed.Add(time.Hour)) {
			require.NoError(t, err)
			if ev.Action == "note.sign" {
				actions = append(actions, ev.Actor+" "+string(ev.Outcome))
			}
		}
		assert.Len(t, actions, 3, "the permission checks (nurse denied, physician allowed) and the signing itself: %v", actions)
	})
}

func TestServiceForms(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		require.NoError(t, e.svc.InstallBuiltinForms(e.ctx))
		phq, err := e.svc.Form(e.ctx, clinical.FormPHQ9)
		require.NoError(t, err)
		assert.Equal(t, builtin(t, clinical.FormPHQ9), phq)

		// An invalid response stores nothing.
		bad := phq9Response(1, 1)
		bad.ID = ""
		_, _, err = e.svc.SubmitResponse(e.ctx, bad)
		assert.Len(t, issues(t, err), 7, "seven unanswered required items")
		rs, err := e.svc.FormResponses(e.ctx, "p1")
		require.NoError(t, err)
		assert.Empty(t, rs)

		// In progress: stored, nothing extracted.
		bad.Status = clinical.ResponseInProgress
		r, obs, err := e.svc.SubmitResponse(e.ctx, bad)
		require.NoError(t, err)
		assert.Empty(t, obs)
		_, err = e.svc.FormResponse(e.ctx, r.ID)
		require.NoError(t, err)

		full := phq9Response(2, 2, 1, 1, 1, 0, 0, 0, 0)
		full.ID = ""
		r, obs, err = e.svc.SubmitResponse(e.ctx, full)
		require.NoError(t, err)
		require.Len(t, obs, 10)
		assert.Equal(t, "7 {score}", obs[9].Value.Quantity.String())
		assert.Equal(t, []ehrkit.Reference{ehrkit.Ref(clinical.FormResponseType, r.ID)}, obs[9].DerivedFrom)
		stored, err := e.svc.Observations(e.ctx, "p1", ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "44261-6"})
		require.NoError(t, err)
		require.Len(t, stored, 1)
		assert.Equal(t, "Mild depression", stored[0].Components[0].Value.Concept.Text)

		_, _, err = e.svc.SubmitResponse(e.ctx, clinical.FormResponse{Patient: "p1", Form: "gad-7", Status: clinical.ResponseCompleted})
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)
	})
}

// meds is a MedicationSource standing in for rx, which sits above clinical.
type meds map[patient.ID][]clinical.Medication

func (m meds) ActiveMedications(_ context.Context, p patient.ID) ([]clinical.Medication, error) {
	return m[p], nil
}

func TestServiceSummaryAndTimeline(t *testing.T) {
	metformin := clinical.Medication{Code: ehrkit.Concept(ehrkit.SystemRxNorm, "860975", "metformin 500 MG Extended Release Oral Tablet"), Dosage: "1 tablet twice daily"}
	runEnv(t, func(t *testing.T, e env) {
		active := clinical.Condition{Patient: "p1", Category: clinical.ConditionProblemListItem, ClinicalStatus: clinical.ConditionActive,
			Code: ehrkit.Concept(ehrkit.SystemICD10CM, "E11.9", "Type 2 diabetes mellitus without complications"), Onset: ehrkit.MustDate("2019")}
		resolved := active
		resolved.Code, resolved.ClinicalStatus, resolved.Onset, resolved.Abatement = ehrkit.Concept(ehrkit.SystemICD10CM, "J18.9", "Pneumonia"), clinical.ConditionResolved, ehrkit.MustDate("2024-01"), ehrkit.MustDate("2024-02")
		dx := active
		dx.Category, dx.Code, dx.Onset = clinical.ConditionEncounterDiagnosis, ehrkit.Concept(ehrkit.SystemICD10CM, "J06.9", "Acute upper respiratory infection"), ehrkit.Date{}
		for _, c := range []clinical.Condition{active, resolved, dx} {
			_, err := e.svc.AddCondition(e.ctx, c)
			require.NoError(t, err)
		}
		pen, err := e.svc.AddAllergy(e.ctx, clinical.AllergyIntolerance{Patient: "p1", ClinicalStatus: "active", VerificationStatus: "confirmed", Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G")})
		require.NoError(t, err)
		refuted, err := e.svc.AddAllergy(e.ctx, clinical.AllergyIntolerance{Patient: "p1", ClinicalStatus: "active", VerificationStatus: "unconfirmed", Code: ehrkit.CodeableConcept{Text: "Shellfish"}})
		require.NoError(t, err)
		_, err = e.svc.UpdateAllergy(e.ctx, refuted.ID, func(a *clinical.AllergyIntolerance) error {
			a.VerificationStatus = clinical.VerificationRefuted
			return nil
		})
		require.NoError(t, err)
		_, err = e.svc.RecordVitals(e.ctx, "p1", "", clinical.Vitals{Systolic: qp("150", "mm[Hg]"), Diastolic: qp("92", "mm[Hg]"), Weight: qp("180", "[lb_av]")})
		require.NoError(t, err)
		e.clock.Advance(24 * time.Hour)
		_, err = e.svc.RecordVitals(e.ctx, "p1", "", clinical.Vitals{Systolic: qp("128", "mm[Hg]"), Diastolic: qp("78", "mm[Hg]")})
		require.NoError(t, err)
		_, err = e.svc.AddProcedure(e.ctx, clinical.Procedure{Patient: "p1", Status: "completed", Code: ehrkit.Concept(ehrkit.SystemSNOMED, "73761001", "Colonoscopy"), Performed: ehrkit.Period{Start: fixed.AddDate(-1, 0, 0)}})
		require.NoError(t, err)
		_, err = e.svc.RecordImmunization(e.ctx, clinical.Immunization{Patient: "p1", Status: "completed", VaccineCode: ehrkit.Concept(ehrkit.SystemCVX, "140", "Influenza, seasonal, injectable"), Occurrence: fixed.AddDate(0, -5, 0), PrimarySource: true})
		require.NoError(t, err)
		plan, err := e.svc.AddCarePlan(e.ctx, clinical.CarePlan{Patient: "p1", Status: "active", Intent: "plan", Title: "Diabetes", Period: ehrkit.Period{Start: fixed},
			Goals: []clinical.Goal{{LifecycleStatus: "active", Description: ehrkit.CodeableConcept{Text: "HbA1c below 7 %"}}}})
		require.NoError(t, err)
		_, err = e.svc.RecordVitals(e.ctx, "p2", "", clinical.Vitals{HeartRate: qp("60", "/min")})
		require.NoError(t, err)

		sum, err := e.svc.Summary(e.ctx, "p1")
		require.NoError(t, err)
		require.Len(t, sum.ActiveProblems, 1)
		assert.Equal(t, "E11.9", sum.ActiveProblems[0].Code.CodeIn(ehrkit.SystemICD10CM))
		require.Len(t, sum.Allergies, 1)
		assert.Equal(t, pen.ID, sum.Allergies[0].ID)
		require.Len(t, sum.LatestVitals, 2, "blood pressure and weight")
		assert.Equal(t, "128 mm[Hg]", sum.LatestVitals[0].Components[0].Value.Quantity.String())
		assert.Equal(t, "180 [lb_av]", sum.LatestVitals[1].Value.Quantity.String())
		require.Len(t, sum.CarePlans, 1)
		assert.Equal(t, plan.ID, sum.CarePlans[0].ID)
		assert.Nil(t, sum.Medications, "no medication source configured")

		withMeds := clinical.NewService(e.store, clinical.WithMedications(meds{"p1": {metformin}}))
		sum, err = withMeds.Summary(e.ctx, "p1")
		require.NoError(t, err)
		assert.Equal(t, []clinical.Medication{metformin}, sum.Medications)

		tl, err := e.svc.Timeline(e.ctx, "p1")
		require.NoError(t, err)
		var got []string
		for _, en := range tl {
			got = append(got, en.Type+" "+en.Title)
		}
		assert.Equal(t, []string{
			"Condition Type 2 diabetes mellitus without complications", // onset 2019
			"Condition Pneumonia",                          // onset 2024-01
			"Procedure Colonoscopy",                        // a year ago
			"Immunization Influenza, seasonal, injectable", // five months ago
			"AllergyIntolerance Penicillin G",              // recorded now (ids in creation order)
			"AllergyIntolerance Shellfish",
			"CarePlan Diabetes",
			"Condition Acute upper respiratory infection",
			"Observation Body weight", // same time as the panel: ids in creation order
			"Observation Blood pressure panel with all children optional",
			"Observation Blood pressure panel with all children optional", // a day later
		}, got)
		for i := 1; i < len(tl); i++ {
			assert.False(t, tl[i].Time.Before(tl[i-1].Time))
		}
	})
}

// TestServiceConcurrentUpdates: concurrent read-modify-write updates of one
// condition never lose a write: each either lands or fails with ErrConflict.
func TestServiceConcurrentUpdates(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		c, err := e.svc.AddCondition(e.ctx, clinical.Condition{Patient: "p1", Category: clinical.ConditionProblemListItem,
			ClinicalStatus: clinical.ConditionActive, Code: ehrkit.Concept(ehrkit.SystemICD10CM, "I10", "Essential (primary) hypertension")})
		require.NoError(t, err)
		const writers = 8
		errs := make(chan error, writers)
		for i := range writers {
			go func() {
				_, err := e.svc.UpdateCondition(e.ctx, c.ID, func(c *clinical.Condition) error {
					c.Note += string(rune('a' + i))
					return nil
				})
				errs <- err
			}()
		}
		landed := 0
		for range writers {
			err := <-errs
			if err == nil {
				landed++
				continue
			}
			require.ErrorIs(t, err, ehrkit.ErrConflict)
		}
		got, err := e.svc.Condition(e.ctx, c.ID)
		require.NoError(t, err)
		assert.Len(t, got.Note, landed, "every successful update is kept")
		hist, err := e.store.History(e.ctx, clinical.ConditionType, c.ID)
		require.NoError(t, err)
		assert.Len(t, hist, landed+1)
	})
}

// trusted marks a store without a policy as trusted, so operation checks pass.
func trusted(s storage.Store) storage.Store {
	if _, guarded := s.(*access.Store); guarded {
		return s
	}
	return access.Trusted(s)
}
