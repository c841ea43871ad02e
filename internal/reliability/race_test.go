package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/invariant"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/internal/workload"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// goroutines is how many goroutines TestConcurrentClinic runs at once.
const goroutines = 64

// TestConcurrentClinic runs 64 goroutines at once on every backend, in four
// groups of 16: signers racing to put simvastatin or clarithromycin (a
// contraindicated pair, simvastatin label section 4) on one patient's list
// without an override; writers each adding a phone number to one patient
// record (read, change, write with the version read); front-desk clerks all
// booking the same slot, then reading; and the random clinic mix
// (registrations, bookings, signed orders, ADT, merges and unmerges). At the
// end: one order on the contested list, no phone number lost, one booking of
// the contested slot, every acknowledged write confirmed, MRNs unique, and
// every invariant of internal/invariant (no double booking, identifiers
// unique, merged compartments empty, interacting orders overridden).
func TestConcurrentClinic(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		c, err := workload.New(s)
		require.NoError(t, err)
		require.NoError(t, c.Setup(ctx))
		rng := rand.New(rand.NewPCG(64, 1))
		for range 8 {
			_, err := c.Register(ctx, rng)
			require.NoError(t, err)
		}
		// The contested patients are registered past the Clinic, so the random
		// mix never merges them away.
		var contested [3]patient.Patient
		for i := range contested {
			contested[i], err = c.Registry.Register(workload.As(ctx, workload.Desk), patient.Patient{
				Names: []ehrkit.HumanName{{Family: "Contested", Given: []string{fmt.Sprint(i)}}}, Gender: patient.GenderMale,
				BirthDate: ehrkit.NewDate(1960, 1, 1+i)}, patient.AllowDuplicate())
			require.NoError(t, err)
		}
		listPatient, phonePatient := contested[0].ID, contested[1].ID
		slot := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 40).Add(10 * time.Hour)

		var (
			mu     sync.Mutex
			acks   []workload.Ack
			booked []string
		)
		keep := func(a workload.Ack) {
			mu.Lock()
			acks = append(acks, a)
			mu.Unlock()
		}
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(g), 64))
				switch g % 4 {
				case 0: // racing signers, no override
					drug := workload.Drugs[g/4%2]
					a, err := c.SignFor(ctx, listPatient, drug, false)
					var alerts *rx.AlertsError
					switch {
					case err == nil:
						keep(a)
					case !errors.As(err, &alerts):
						t.Errorf("signer %d: %v", g, err)
					}
				case 1: // read, change, write the same record
					phone := fmt.Sprintf("+1-555-01%02d", g)
					err := ehrkit.Retry(ctx, 100, func() error {
						p, err := c.Registry.Get(workload.As(ctx, workload.Desk), phonePatient)
						if err != nil {
							return err
						}
						p.Telecom = append(p.Telecom, ehrkit.ContactPoint{System: "phone", Value: phone})
						_, err = c.Registry.Update(workload.As(ctx, workload.Desk), p)
						return err
					})
					if err != nil {
						t.Errorf("writer %d: %v", g, err)
					}
				case 2: // the same slot, then reads
					a, err := c.Schedule.Book(workload.As(ctx, workload.Desk), schedule.BookRequest{Type: workload.VisitType,
						Patient: contested[2].ID, Resources: workload.Practitioners[:1], Start: slot})
					switch {
					case err == nil:
						mu.Lock()
						booked = append(booked, a.ID)
						mu.Unlock()
						keep(workload.Ack{Op: workload.OpBook, ID: a.ID, Detail: a.Start.Format(time.RFC3339Nano)})
					case !errors.Is(err, schedule.ErrSlotUnavailable):
						t.Errorf("booker %d: %v", g, err)
					}
					if _, err := c.Registry.Search(workload.As(ctx, workload.Desk), patient.Query{Name: "Contested"}); err != nil {
						t.Errorf("reader %d: %v", g, err)
					}
				default: // the clinic mix
					for range 4 {
						a, err := c.Step(ctx, rng)
						switch {
						case err == nil:
							keep(a)
						case !workload.Expected(err):
							t.Errorf("clinic %d: %v", g, err)
						}
					}
				}
			})
		}
		wg.Wait()

		active, err := c.Orders.Orders(workload.As(ctx, workload.Doctor), listPatient, rx.Active)
		require.NoError(t, err)
		assert.Len(t, active, 1, "one order wins the contested list")
		p, err := c.Registry.Get(workload.As(ctx, workload.Desk), phonePatient)
		require.NoError(t, err)
		assert.Len(t, p.Telecom, goroutines/4, "no lost update")
		assert.Len(t, booked, 1, "one booking of the contested slot")
		var mrns []string
		for _, a := range acks {
			require.NoError(t, workload.Confirm(ctx, s, a))
			if a.Op == workload.OpRegister {
				mrns = append(mrns, a.Detail)
			}
		}
		slices.Sort(mrns)
		assert.Len(t, slices.Compact(mrns), len(mrns), "MRNs unique")
		require.NoError(t, invariant.Check(ctx, s))
		t.Logf("%d acknowledged writes", len(acks))
	})
}
