package rx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

const pat = patient.ID("p1")

func medOrder(rxcui, display string) rx.Order {
	return rx.Order{
		Patient: pat, Kind: rx.KindMedication, Requester: "dr-1", Priority: rx.PriorityRoutine,
		Medication: &rx.MedicationDetail{
			Medication: ehrkit.Coding{System: ehrkit.SystemRxNorm, Code: rxcui, Display: display},
			Dose:       ehrkit.Qty("1", "{tablet}"), FrequencyPerDay: decimal.NewFromInt(1), Route: "oral",
			DurationDays: 30, Quantity: ehrkit.Qty("30", "{tablet}"), Refills: 2, SubstitutionAllowed: true,
		},
	}
}

func labOrder() rx.Order {
	return rx.Order{Patient: pat, Kind: rx.KindLab, Requester: "dr-1",
		Lab: &rx.LabDetail{Test: ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "2093-3", Display: "Cholesterol"}}}
}

func user(id string, roles ...string) context.Context {
	return access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, ID: id, Roles: roles})
}

// runBackends runs fn on every backend with a fake clock set to t0 and the
// test patients registered.
func runBackends(t *testing.T, fn func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock)) {
	clock := ehrkit.NewFakeClock(t0)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		clock.Set(t0) // the clock is shared by the backends
		register(t, s, clock)
		fn(t, s, clock)
	})
}

// register registers the test patients: pat, an adult, and "kid", a child.
func register(t *testing.T, s storage.Store, clock ehrkit.Clock) {
	t.Helper()
	reg, err := patient.NewService(access.Trusted(s), patient.WithClock(clock))
	require.NoError(t, err)
	for _, p := range []patient.Patient{
		{ID: pat, Active: true, Names: []ehrkit.HumanName{{Family: "Doe", Given: []string{"Ann"}}}, BirthDate: ehrkit.MustDate("1970-05-01")},
		{ID: "kid", Active: true, Names: []ehrkit.HumanName{{Family: "Doe", Given: []string{"Kit"}}}, BirthDate: ehrkit.MustDate("2020-01-01")},
	} {
		_, err := reg.Register(user("u-reg", "registrar"), p)
		require.NoError(t, err)
	}
}

func newService(t *testing.T, s storage.Store, clock ehrkit.Clock) *rx.Service {
	t.Helper()
	if _, guarded := s.(*access.Store); !guarded {
		s = access.Trusted(s) // tests without a policy
	}
	svc, err := rx.NewService(s, rx.Shipped(), rx.WithClock(clock), rx.WithIDs(&ehrkit.SeqIDs{Prefix: "o-"}))
	require.NoError(t, err)
	return svc
}

func TestOrderLifecycle(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")

		o, err := svc.Draft(ctx, medOrder("312961", "Simvastatin 20 MG Oral Tablet"))
		require.NoError(t, err)
		assert.Equal(t, "o-000001", o.ID)
		assert.Equal(t, rx.Draft, o.Status)
		assert.Equal(t, t0, o.Authored)
		assert.Empty(t, o.Alerts)

		_, err = svc.Transition(ctx, o.ID, rx.Active, "")
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a draft becomes active only by signing")

		clock.Advance(time.Minute)
		o, err = svc.Sign(ctx, o.ID, "")
		require.NoError(t, err)
		assert.Equal(t, rx.Active, o.Status)
		assert.Equal(t, "u-dr", o.SignedBy)
		assert.Equal(t, t0.Add(time.Minute), o.Signed)
		assert.Nil(t, o.Override)
		_, err = svc.Sign(ctx, o.ID, "")
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "signed twice")

		tr, err := svc.Transmission(ctx, o.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Queued, tr.Status)

		for _, step := range []struct {
			to Status
			ok bool
		}{
			{rx.OnHold, true}, {rx.Active, true}, {rx.Completed, true}, {rx.Active, false}, {rx.Stopped, false}, {rx.EnteredInError, true}, {rx.Completed, false},
		} {
			got, err := svc.Transition(ctx, o.ID, step.to, "step")
			if !step.ok {
				require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "to %s", step.to)
				continue
			}
			require.NoError(t, err, "to %s", step.to)
			assert.Equal(t, step.to, got.Status)
		}

		lab, err := svc.Draft(ctx, labOrder())
		require.NoError(t, err)
		lab, err = svc.Sign(ctx, lab.ID, "")
		require.NoError(t, err)
		_, err = svc.Transmission(ctx, lab.ID)
		require.ErrorIs(t, err, ehrkit.ErrNotFound, "only prescriptions are transmitted")
		_, err = svc.Transition(ctx, lab.ID, rx.Stopped, "")
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a service request is never stopped")
		lab, err = svc.Transition(ctx, lab.ID, rx.Cancelled, "duplicate")
		require.NoError(t, err)
		assert.Equal(t, "revoked", rx.FHIRStatus(lab.Kind, lab.Status))
		assert.Equal(t, "duplicate", lab.StatusReason)

		all, err := svc.Orders(ctx, pat)
		require.NoError(t, err)
		assert.Len(t, all, 2)
		cancelled, err := svc.Orders(ctx, pat, rx.Cancelled)
		require.NoError(t, err)
		require.Len(t, cancelled, 1)
		assert.Equal(t, lab.ID, cancelled[0].ID)

		_, err = svc.Get(ctx, "nope")
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
	})
}

// Status is a local alias for readable tables.
type Status = rx.Status

func TestCanMove(t *testing.T) {
	tests := []struct {
		kind     rx.OrderKind
		from, to rx.Status
		want     bool
	}{
		{rx.KindMedication, rx.Draft, rx.Active, true},
		{rx.KindMedication, rx.Draft, rx.Completed, false},
		{rx.KindMedication, rx.Active, rx.Stopped, true},
		{rx.KindLab, rx.Active, rx.Stopped, false},
		{rx.KindImaging, rx.OnHold, rx.Active, true},
		{rx.KindReferral, rx.Completed, rx.EnteredInError, true},
		{rx.KindMedication, rx.EnteredInError, rx.Active, false},
		{rx.KindMedication, rx.Cancelled, rx.Active, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, rx.CanMove(tt.kind, tt.from, tt.to), "%s %s->%s", tt.kind, tt.from, tt.to)
	}
}

func TestDraftValidation(t *testing.T) {
	store := testbackends.All()[0].Open(t, ehrkit.NewFakeClock(t0))
	register(t, store, ehrkit.NewFakeClock(t0))
	svc := newService(t, store, ehrkit.NewFakeClock(t0))
	bad := rx.Order{Kind: rx.KindMedication, Priority: "whenever", Medication: &rx.MedicationDetail{
		Medication: ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "x"}, Dose: ehrkit.Qty("-1", ""), Refills: -1,
	}, Lab: &rx.LabDetail{}}
	_, err := svc.Draft(user("u", "physician"), bad)
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, want := range []struct {
		path string
		code ehrkit.IssueCode
	}{
		{"patient", ehrkit.IssueRequired},
		{"requester", ehrkit.IssueRequired},
		{"priority", ehrkit.IssueCodeInvalid},
		{"", ehrkit.IssueInvariant},
		{"medication.medication.system", ehrkit.IssueCodeInvalid},
		{"medication.dose.value", ehrkit.IssueValue},
		{"medication.dose.unit", ehrkit.IssueRequired},
		{"medication.refills", ehrkit.IssueValue},
	} {
		assert.True(t, ve.Has(want.path, want.code), "missing %s %s in %v", want.path, want.code, ve.Issues)
	}
	imaging := rx.Order{Patient: pat, Kind: rx.KindImaging, Requester: "dr", Imaging: &rx.ImagingDetail{Procedure: ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "24627-2"}, Modality: "XR"}}
	_, err = svc.Draft(user("u", "physician"), imaging)
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("imaging.modality", ehrkit.IssueCodeInvalid))
	imaging.Imaging.Modality = "CT"
	_, err = svc.Draft(user("u", "physician"), imaging)
	require.NoError(t, err)
}

// overridePolicy has a prescriber who may sign but not override and an
// attending who may do both.
func overridePolicy(t *testing.T) *access.Policy {
	types := []string{rx.MedicationRequestType, rx.ServiceRequestType, "Patient", "AllergyIntolerance", "Observation"}
	rules := []access.Rule{{Types: types, Actions: access.Actions}}
	p, err := access.NewPolicy([]access.Role{
		{Name: "prescriber", Scope: access.ScopeAll, Rules: rules, Permissions: []access.Permission{access.PermRxSign}},
		{Name: "attending", Scope: access.ScopeAll, Rules: rules, Permissions: []access.Permission{access.PermRxSign, access.PermRxOverride}},
		{Name: "auditor", Scope: access.ScopeAll, Permissions: []access.Permission{access.PermAuditRead}},
	}, nil, []string{storage.CheckpointType})
	require.NoError(t, err)
	return p
}

func TestSignOverride(t *testing.T) {
	runBackends(t, func(t *testing.T, raw storage.Store, clock *ehrkit.FakeClock) {
		store := access.Guard(raw, overridePolicy(t), access.WithClock(clock))
		svc := newService(t, store, clock)
		prescriber, attending := user("u-pres", "prescriber"), user("u-att", "attending")

		statin, err := svc.Draft(attending, medOrder("312961", "Simvastatin 20 MG Oral Tablet"))
		require.NoError(t, err)
		_, err = svc.Sign(attending, statin.ID, "")
		require.NoError(t, err)

		// Checked at draft: the alert is stored with the draft.
		macrolide, err := svc.Draft(prescriber, medOrder("21212", "clarithromycin"))
		require.NoError(t, err)
		require.Len(t, macrolide.Alerts, 1)
		assert.Equal(t, "ONC-HP-25", macrolide.Alerts[0].Rule)

		// Checked again at signing: no reason, no signature.
		_, err = svc.Sign(prescriber, macrolide.ID, "")
		var ae *rx.AlertsError
		require.ErrorAs(t, err, &ae)
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		assert.Equal(t, "ONC-HP-25", ae.Alerts[0].Rule)
		assert.Equal(t, rx.Contraindicated, ae.Alerts[0].Severity)

		// A reason without the permission is refused.
		_, err = svc.Sign(prescriber, macrolide.ID, "short course, statin paused")
		require.ErrorIs(t, err, ehrkit.ErrPermission)
		got, err := svc.Get(attending, macrolide.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Draft, got.Status)

		// No principal at all.
		_, err = svc.Sign(context.Background(), macrolide.ID, "reason")
		require.ErrorIs(t, err, ehrkit.ErrUnauthenticated)

		clock.Advance(time.Hour)
		signed, err := svc.Sign(attending, macrolide.ID, "short course, statin paused")
		require.NoError(t, err)
		assert.Equal(t, rx.Active, signed.Status)
		require.NotNil(t, signed.Override)
		assert.Equal(t, rx.Override{Reason: "short course, statin paused", By: "u-att", At: t0.Add(time.Hour), Rules: []string{"ONC-HP-25"}}, *signed.Override)
		stored, err := svc.Get(attending, macrolide.ID)
		require.NoError(t, err)
		assert.Equal(t, signed.Override, stored.Override)

		require.NoError(t, store.Flush(context.Background()))
		var actions []string
		for ev, err := range access.Accounting(user("u-aud", "auditor"), store, string(pat), t0, t0.Add(2*time.Hour)) {
			require.NoError(t, err)
			if ev.Action == string(access.PermRxOverride) && ev.Outcome == access.Success && ev.Type == "" {
				actions = append(actions, ev.Actor+" "+ev.Reason)
			}
		}
		assert.Contains(t, actions, "u-att order "+macrolide.ID+" rules ONC-HP-25")
	})
}

// TestCheckContextFromRecords: the service checks with the birth date from the
// registry and the weight and allergies from the clinical record.
func TestCheckContextFromRecords(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		ctx := user("u-dr", "physician")
		records := clinical.NewService(s, clinical.WithClock(clock))
		_, err := records.AddAllergy(ctx, clinical.AllergyIntolerance{
			Patient: pat, ClinicalStatus: "active", Type: "allergy", Categories: []string{"medication"},
			Code: ehrkit.Concept(ehrkit.SystemRxNorm, "7980", "Penicillin G"),
		})
		require.NoError(t, err)
		for i, w := range []string{"18", "20"} {
			_, err = records.RecordObservation(ctx, clinical.Observation{
				Patient: "kid", Status: clinical.ObservationFinal, Categories: []string{"vital-signs"},
				Code: ehrkit.Concept(ehrkit.SystemLOINC, clinical.LOINCBodyWeight, "Body weight"), Effective: t0.Add(time.Duration(i-2) * time.Hour),
				Value: clinical.QuantityValue(ehrkit.Qty(w, "kg")),
			})
			require.NoError(t, err)
		}

		site, err := rx.NewBase(rx.Document{
			Format:      rx.FormatV1,
			Sources:     []rx.Source{{ID: "SITE", Citation: "Site paediatric formulary"}},
			Ingredients: []rx.Ingredient{{RxCUI: "5640", Name: "ibuprofen"}},
			DoseLimits: []rx.DoseLimit{{ID: "PAED-IBUPROFEN", RxCUI: "5640", MinAgeYears: 1, MaxAgeYears: 18,
				MaxSinglePerKg: &rx.Amount{Value: decimal.NewFromInt(10), Unit: "mg"}, Sources: []string{"SITE"}}},
		})
		require.NoError(t, err)
		svc, err := rx.NewService(s, rx.Merge([]rx.KnowledgeBase{site, rx.Shipped()}), rx.WithClock(clock))
		require.NoError(t, err)

		amox := medOrder("308182", "Amoxicillin 250 MG Oral Capsule")
		amox.Medication.Dose = ehrkit.Qty("6", "{capsule}")
		o, err := svc.Draft(ctx, amox)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"ALLERGY_PENICILLINS", "ADULT-AMOXICILLIN/single"}, rules(o.Alerts))

		ibu := medOrder("5640", "ibuprofen")
		ibu.Patient, ibu.Medication.Dose = "kid", ehrkit.Qty("190", "mg")
		o, err = svc.Draft(ctx, ibu)
		require.NoError(t, err)
		assert.Empty(t, o.Alerts, "190 mg is within 10 mg/kg of the latest weight (20 kg), not of the older one (18 kg)")
		ibu.Medication.Dose = ehrkit.Qty("250", "mg")
		o, err = svc.Draft(ctx, ibu)
		require.NoError(t, err)
		assert.Equal(t, []string{"PAED-IBUPROFEN/single"}, rules(o.Alerts), "250 mg is over 10 mg/kg")
	})
}

func rules(alerts []rx.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Rule)
	}
	return out
}

func TestOrderSets(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		template := medOrder("83367", "atorvastatin")
		template.Patient, template.Requester = "", ""
		lipids := labOrder()
		lipids.Patient, lipids.Requester = "", ""
		require.NoError(t, svc.SaveOrderSet(ctx, rx.OrderSet{ID: "lipids", Name: "Hyperlipidaemia start", Orders: []rx.Order{template, lipids}}))

		// An active statin makes the set's statin a duplicate, found at draft.
		active, err := svc.Draft(ctx, medOrder("36567", "simvastatin"))
		require.NoError(t, err)
		_, err = svc.Sign(ctx, active.ID, "")
		require.NoError(t, err)

		orders, err := svc.ApplyOrderSet(ctx, "lipids", pat, "dr-2")
		require.NoError(t, err)
		require.Len(t, orders, 2)
		for _, o := range orders {
			assert.Equal(t, rx.Draft, o.Status)
			assert.Equal(t, "lipids", o.OrderSet)
			assert.Equal(t, "dr-2", o.Requester)
		}
		require.Len(t, orders[0].Alerts, 1)
		assert.Equal(t, "DUP_STATINS", orders[0].Alerts[0].Rule)
		set, err := svc.OrderSet(ctx, "lipids")
		require.NoError(t, err)
		assert.Empty(t, set.Orders[0].Patient, "applying leaves the template untouched")

		err = svc.SaveOrderSet(ctx, rx.OrderSet{ID: "bad", Orders: []rx.Order{{Kind: "x"}}})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("name", ehrkit.IssueRequired))
		assert.True(t, ve.Has("orders[0].kind", ehrkit.IssueCodeInvalid))
		_, err = svc.ApplyOrderSet(ctx, "missing", pat, "dr-2")
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
	})
}

// pharmacy is a pharmacy system honouring idempotency keys: a key seen again
// gets the first answer and is never dispensed twice. failNext makes the next
// calls fail after the pharmacy received the prescription (a lost answer).
type pharmacy struct {
	received map[string]int // key -> deliveries seen
	answers  map[string]rx.Ack
	failNext int
	down     bool
}

func newPharmacy() *pharmacy {
	return &pharmacy{received: map[string]int{}, answers: map[string]rx.Ack{}}
}

func (p *pharmacy) Transmit(_ context.Context, pr rx.Prescription) (rx.Ack, error) {
	if p.down {
		return rx.Ack{}, errors.New("connection refused")
	}
	p.received[pr.Key]++
	ack, seen := p.answers[pr.Key]
	if !seen {
		ack = rx.Ack{Status: rx.Accepted, Reference: "ph-" + pr.Order.ID}
		p.answers[pr.Key] = ack
	}
	if p.failNext > 0 {
		p.failNext--
		return rx.Ack{}, errors.New("connection reset after send")
	}
	return ack, nil
}

// crashStore fails the change-feed checkpoint writes while crash is set: the
// process "dies" after handling a batch and before recording its position.
type crashStore struct {
	storage.Store
	crash bool
}

type crashTx struct {
	storage.Tx
	crash bool
}

func (s *crashStore) Update(ctx context.Context, fn func(storage.Tx) error) error {
	return s.Store.Update(ctx, func(tx storage.Tx) error { return fn(crashTx{tx, s.crash}) })
}

func (t crashTx) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	if t.crash && rec.Type == storage.CheckpointType {
		return storage.Record{}, errors.New("simulated crash")
	}
	return t.Tx.Put(ctx, rec, expect)
}

// withSigned runs fn per backend with the clock reset, a service, a
// physician's context and the ids of signed prescriptions of the codes.
func withSigned(t *testing.T, codes []string, fn func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string)) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		var ids []string
		for _, c := range codes {
			o, err := svc.Draft(ctx, medOrder(c, ""))
			require.NoError(t, err)
			_, err = svc.Sign(ctx, o.ID, "")
			require.NoError(t, err)
			ids = append(ids, o.ID)
		}
		fn(t, s, svc, clock, ctx, ids)
	})
}

func TestDispatcher(t *testing.T) {
	withSigned(t, []string{"197361", "309362"}, func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string) {
		ph := newPharmacy()

		// The first delivery reaches the pharmacy but the answer is lost: the
		// feed does not advance and the retry carries the same key.
		ph.failNext = 1
		crashing := &crashStore{Store: s}
		d, err := rx.NewDispatcher(crashing, idEncoder{}, ph, rx.WithClock(clock))
		require.NoError(t, err)
		_, err = d.Poll(ctx)
		require.Error(t, err)
		tr, err := svc.Transmission(ctx, ids[0])
		require.NoError(t, err)
		assert.Equal(t, rx.Queued, tr.Status)
		assert.Equal(t, 1, tr.Attempts)

		// The retry succeeds, then the process crashes before saving its feed
		// position.
		crashing.crash = true
		_, err = d.Poll(ctx)
		require.Error(t, err)

		// A new process replays the batch: nothing is sent twice.
		d2, err := rx.NewDispatcher(s, idEncoder{}, ph, rx.WithClock(clock))
		require.NoError(t, err)
		n, err := d2.Poll(ctx)
		require.NoError(t, err)
		assert.Positive(t, n)
		n, err = d2.Poll(ctx)
		require.NoError(t, err)
		assert.Zero(t, n)

		assert.Equal(t, map[string]int{"rx.prescription/" + ids[0]: 2, "rx.prescription/" + ids[1]: 1}, ph.received,
			"the lost answer is the only repeat, and the pharmacy dropped it by its key")
		assert.Len(t, ph.answers, 2, "each prescription dispensed once")
		for _, id := range ids {
			tr, err := svc.Transmission(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, rx.Accepted, tr.Status, id)
			assert.Equal(t, "ph-"+id, tr.Reference)
		}
	})
}

func TestDispatcherGivesUp(t *testing.T) {
	withSigned(t, []string{"197361"}, func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string) {
		ph := newPharmacy()
		ph.down = true
		d, err := rx.NewDispatcher(s, idEncoder{}, ph, rx.WithClock(clock), rx.WithMaxAttempts(2))
		require.NoError(t, err)
		_, err = d.Poll(ctx)
		require.Error(t, err)
		_, err = d.Poll(ctx)
		require.NoError(t, err)
		tr, err := svc.Transmission(ctx, ids[0])
		require.NoError(t, err)
		assert.Equal(t, rx.DeadLetter, tr.Status)
		assert.Equal(t, 2, tr.Attempts)
		assert.Equal(t, "pharmacy: not delivered after 2 attempts: connection refused", tr.Cause)
	})
}

// asyncPharmacy acknowledges receipt and answers later.
type asyncPharmacy struct{}

func (asyncPharmacy) Transmit(context.Context, rx.Prescription) (rx.Ack, error) {
	return rx.Ack{Status: rx.Sent, Reference: "q-1"}, nil
}

func TestPharmacyAnswerLater(t *testing.T) {
	withSigned(t, []string{"197361"}, func(t *testing.T, s storage.Store, svc *rx.Service, clock *ehrkit.FakeClock, ctx context.Context, ids []string) {
		o := rx.Order{ID: ids[0]}
		d, err := rx.NewDispatcher(s, idEncoder{}, asyncPharmacy{}, rx.WithClock(clock))
		require.NoError(t, err)
		_, err = d.Poll(ctx)
		require.NoError(t, err)
		tr, err := svc.Transmission(ctx, o.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Sent, tr.Status)

		_, err = svc.RecordPharmacyAnswer(ctx, o.ID, rx.Ack{Status: rx.Queued})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		tr, err = svc.RecordPharmacyAnswer(ctx, o.ID, rx.Ack{Status: rx.Rejected, Reason: "not in formulary"})
		require.NoError(t, err)
		assert.Equal(t, rx.Rejected, tr.Status)
		assert.Equal(t, "q-1", tr.Reference)
		_, err = svc.RecordPharmacyAnswer(ctx, o.ID, rx.Ack{Status: rx.Accepted})
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
	})
}
