package rx_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Simvastatin with clarithromycin is contraindicated: FDA simvastatin label
// (Zocor), section 4 Contraindications (strong CYP3A4 inhibitors, among
// them clarithromycin) and section 7 Drug Interactions (table 1).
const (
	simvastatin    = "312961" // Simvastatin 20 MG Oral Tablet
	clarithromycin = "21212"  // clarithromycin
)

// interacting reports the rules of interruptive alerts between two
// medication orders, checked as if a were active and b proposed.
func interacting(a, b rx.Order) []string {
	res := rx.Check(rx.Shipped(), rx.Input{
		Active: []ehrkit.Coding{a.Medication.Medication},
		Orders: []rx.Proposed{{Medication: b.Medication.Medication}},
	})
	var out []string
	for _, al := range res.Interrupting() {
		if al.Kind == rx.DrugDrug || al.Kind == rx.DuplicateTherapy {
			out = append(out, al.Rule)
		}
	}
	return out
}

// TestConcurrentSigning: drafts of interacting orders for one patient signed
// at the same time by several clinicians never end as two active orders
// that interact without an override, on every backend; every signer either
// signs or is refused with the alerts (a conflict is retried, never
// returned).
func TestConcurrentSigning(t *testing.T) {
	const signers = 8
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		var drafts []rx.Order
		for i := range signers {
			code, name := simvastatin, "Simvastatin 20 MG Oral Tablet"
			if i%2 == 1 {
				code, name = clarithromycin, "clarithromycin"
			}
			o, err := svc.Draft(ctx, medOrder(code, name))
			require.NoError(t, err)
			require.Empty(t, o.Alerts, "nothing is active yet")
			drafts = append(drafts, o)
		}

		errs := make([]error, signers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, o := range drafts {
			wg.Go(func() {
				<-start
				_, errs[i] = svc.Sign(user("u-dr-"+o.ID, "physician"), o.ID, "")
			})
		}
		close(start)
		wg.Wait()

		signed := 0
		for i, err := range errs {
			var ae *rx.AlertsError
			if err != nil {
				require.ErrorAs(t, err, &ae, "signer %d: refused only with alerts", i)
				continue
			}
			signed++
		}
		assert.Positive(t, signed, "someone signs")

		active, err := svc.Orders(ctx, pat, rx.Active)
		require.NoError(t, err)
		assert.Len(t, active, signed)
		for i, a := range active {
			assert.Nil(t, a.Override)
			for _, b := range active[i+1:] {
				assert.Empty(t, interacting(a, b), "%s and %s are both active", a.ID, b.ID)
			}
		}

		// Signed one after the other, the second is refused too.
		var second rx.Order
		for _, o := range drafts {
			if slices.ContainsFunc(active, func(a rx.Order) bool { return a.ID == o.ID }) {
				continue // signed above: not a draft any more
			}
			if len(interacting(active[0], o)) > 0 {
				second = o
				break
			}
		}
		require.NotEmpty(t, second.ID)
		_, err = svc.Sign(ctx, second.ID, "")
		var ae *rx.AlertsError
		require.ErrorAs(t, err, &ae)
	})
}

// TestMedicationList: stopping an order takes it off the list signing checks
// against; a merge brings the source patient's list along; an imported
// active order is on the list.
func TestMedicationList(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		sign := func(p patient.ID, code string) (rx.Order, error) {
			o := medOrder(code, "")
			o.Patient = p
			d, err := svc.Draft(ctx, o)
			require.NoError(t, err)
			return svc.Sign(ctx, d.ID, "")
		}

		statin, err := sign(pat, simvastatin)
		require.NoError(t, err)
		_, err = sign(pat, clarithromycin)
		var ae *rx.AlertsError
		require.ErrorAs(t, err, &ae)
		_, err = svc.Transition(ctx, statin.ID, rx.OnHold, "")
		require.NoError(t, err)
		_, err = sign(pat, clarithromycin)
		require.ErrorAs(t, err, &ae, "an order on hold stays on the list")
		_, err = svc.Transition(ctx, statin.ID, rx.Stopped, "myalgia")
		require.NoError(t, err)
		macrolide, err := sign(pat, clarithromycin)
		require.NoError(t, err, "the stopped statin is off the list")
		assert.Empty(t, macrolide.Alerts)

		// kid's active statin comes along when kid is merged into pat, once
		// pat's macrolide is completed (with it on the list the merge needs
		// an override: TestMergeInteractingOrders).
		kidStatin, err := sign("kid", "36567")
		require.NoError(t, err)
		reg, err := patient.NewService(access.Trusted(s), patient.WithClock(clock))
		require.NoError(t, err)
		_, err = reg.Merge(ctx, "kid", pat)
		var hazard *patient.MergeHazardError
		require.ErrorAs(t, err, &hazard)
		assert.Equal(t, "ONC-HP-25", hazard.Findings[0].Rules[0])
		_, err = svc.Transition(ctx, macrolide.ID, rx.Completed, "")
		require.NoError(t, err)
		_, err = reg.Merge(ctx, "kid", pat)
		require.NoError(t, err)
		moved, err := svc.Get(ctx, kidStatin.ID)
		require.NoError(t, err)
		assert.Equal(t, pat, moved.Patient)
		d, err := svc.Draft(ctx, medOrder(clarithromycin, ""))
		require.NoError(t, err)
		assert.Equal(t, []string{"ONC-HP-25"}, rules(d.Alerts), "checked at draft against the merged statin")
		_, err = svc.Sign(ctx, d.ID, "")
		require.ErrorAs(t, err, &ae, "checked at signing against the merged statin")
		_, err = svc.Transition(ctx, kidStatin.ID, rx.Completed, "")
		require.NoError(t, err)
		_, err = svc.Sign(ctx, d.ID, "")
		require.NoError(t, err, "the merged statin left the list")

		// An order imported as active is on the list, and leaves it when it is
		// imported again as stopped.
		_, err = svc.Transition(ctx, d.ID, rx.Stopped, "")
		require.NoError(t, err)
		imported := medOrder(clarithromycin, "")
		imported.ID, imported.Status = "imported-1", rx.Active
		save := func(o rx.Order) (storage.Outcome, error) {
			var out storage.Outcome
			err := access.Trusted(s).Update(ctx, func(tx storage.Tx) error {
				var err error
				out, err = svc.SaveOrder(ctx, tx, o)
				return err
			})
			return out, err
		}
		outcome, err := save(imported)
		require.NoError(t, err)
		assert.Equal(t, storage.Created, outcome)
		_, err = sign(pat, simvastatin)
		require.ErrorAs(t, err, &ae, "checked against the imported clarithromycin")
		imported.Status = rx.Stopped
		outcome, err = save(imported)
		require.NoError(t, err)
		assert.Equal(t, storage.Updated, outcome)
		_, err = sign(pat, simvastatin)
		require.NoError(t, err)
	})
}

// TestOrderRefs: an order for a patient or encounter that does not exist is
// refused with the field named, through Draft and through SaveOrder, and
// nothing is stored or queued, on every backend.
func TestOrderRefs(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		records := clinical.NewService(access.Trusted(s), clinical.WithClock(clock))
		enc, err := records.OpenEncounter(ctx, clinical.Encounter{Patient: "kid", Status: clinical.EncounterInProgress, Class: clinical.ClassAmbulatory})
		require.NoError(t, err)

		tests := []struct {
			name    string
			patient patient.ID
			enc     string
			path    string
		}{
			{"no such patient", "no-such-patient", "", "patient"},
			{"no such encounter", pat, "no-such-encounter", "encounter"},
			{"another patient's encounter", pat, enc.ID, "encounter"},
		}
		for i, tt := range tests {
			o := medOrder(simvastatin, "")
			o.Patient, o.Encounter = tt.patient, tt.enc
			_, err := svc.Draft(ctx, o)
			var ve *ehrkit.ValidationError
			require.ErrorAs(t, err, &ve, tt.name)
			assert.True(t, ve.Has(tt.path, ehrkit.IssueValue), "%s: %v", tt.name, ve.Issues)

			o.ID, o.Status = "imported-"+string(rune('a'+i)), rx.Active
			err = access.Trusted(s).Update(ctx, func(tx storage.Tx) error {
				_, err := svc.SaveOrder(ctx, tx, o)
				return err
			})
			require.ErrorAs(t, err, &ve, tt.name)
			assert.True(t, ve.Has(tt.path, ehrkit.IssueValue), "%s: %v", tt.name, ve.Issues)
			_, err = svc.Get(ctx, o.ID)
			require.ErrorIs(t, err, ehrkit.ErrNotFound)
		}
		orders, err := svc.Orders(ctx, pat)
		require.NoError(t, err)
		assert.Empty(t, orders)
		page, err := s.Query(ctx, storage.Query{Compartment: "no-such-patient"})
		require.NoError(t, err)
		assert.Empty(t, page.Records, "nothing is stored for a patient who does not exist")
		changes, err := s.Changes(ctx, 0, storage.MaxChangeRead)
		require.NoError(t, err)
		for _, c := range changes {
			assert.NotEqual(t, rx.TopicPrescription, c.Topic, "nothing is queued")
			assert.NotEqual(t, "no-such-patient", c.Compartment)
		}

		o := medOrder(simvastatin, "")
		o.Encounter = enc.ID
		o.Patient = "kid"
		d, err := svc.Draft(ctx, o)
		require.NoError(t, err, "the patient's own encounter")
		_, err = svc.Sign(ctx, d.ID, "")
		require.NoError(t, err)
	})
}

// TestActiveMedications: the order service is the medication source of the
// clinical summary.
func TestActiveMedications(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		o := medOrder(simvastatin, "Simvastatin 20 MG Oral Tablet")
		o.Medication.FrequencyPerDay = decimal.NewFromInt(2)
		d, err := svc.Draft(ctx, o)
		require.NoError(t, err)
		_, err = svc.Draft(ctx, medOrder("21212", "clarithromycin")) // a draft is not a medication taken
		require.NoError(t, err)
		signed, err := svc.Sign(ctx, d.ID, "")
		require.NoError(t, err)

		summary, err := clinical.NewService(access.Trusted(s), clinical.WithMedications(svc)).Summary(ctx, pat)
		require.NoError(t, err)
		require.Equal(t, []clinical.Medication{{
			Code:   ehrkit.Concept(ehrkit.SystemRxNorm, simvastatin, "Simvastatin 20 MG Oral Tablet"),
			Dosage: "1 tablet oral 2 per day", Since: signed.Signed, Source: ehrkit.Ref(rx.MedicationRequestType, d.ID),
		}}, summary.Medications)
	})
}

// TestAuthoredSorts: the authored term sorts as the times do, a whole second
// and a fraction of one included.
func TestAuthoredSorts(t *testing.T) {
	runBackends(t, func(t *testing.T, s storage.Store, clock *ehrkit.FakeClock) {
		svc := newService(t, s, clock)
		ctx := user("u-dr", "physician")
		want := []string{"z", "y", "x", "w"} // authored in this order: the reverse of id order
		for i, step := range []time.Duration{0, 500 * time.Millisecond, 499*time.Millisecond + time.Microsecond, 11 * time.Second} {
			clock.Advance(step)
			o := labOrder()
			o.ID = want[i]
			_, err := svc.Draft(ctx, o)
			require.NoError(t, err)
		}
		page, err := s.Query(ctx, storage.Query{Type: rx.ServiceRequestType, Compartment: string(pat), SortBy: rx.TermAuthored})
		require.NoError(t, err)
		var got []string
		for _, rec := range page.Records {
			got = append(got, rec.ID)
		}
		assert.Equal(t, want, got)
	})
}
