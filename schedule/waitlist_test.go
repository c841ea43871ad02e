package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
)

func TestWaitlistOffer(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		booked, err := f.svc.Book(ctx, book("visit", "p1", at(monday, "09:00")))
		require.NoError(t, err)
		mondayAll := ehrkit.Period{Start: monday, End: monday.Add(24 * time.Hour)}
		join := func(e WaitlistEntry) WaitlistEntry {
			f.clock.Advance(time.Minute)
			got, err := f.svc.JoinWaitlist(ctx, e)
			require.NoError(t, err)
			assert.Equal(t, Waiting, got.State)
			return got
		}
		tuesday := join(WaitlistEntry{Patient: "p2", Type: "visit", Window: ehrkit.Period{Start: monday.Add(24 * time.Hour)}})
		group := join(WaitlistEntry{Patient: "p3", Type: "group", Window: mondayAll})
		otherDr := join(WaitlistEntry{Patient: "p4", Type: "visit", Resource: ehrkit.Ref(Practitioner, "dr-b"), Window: mondayAll})
		first := join(WaitlistEntry{Patient: "p5", Type: "visit", Resource: drA, Window: mondayAll})
		second := join(WaitlistEntry{Patient: "p6", Type: "visit"})

		n, err := f.svc.ProcessWaitlist(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing was freed yet")

		_, err = f.svc.Cancel(ctx, booked.ID)
		require.NoError(t, err)
		n, err = f.svc.ProcessWaitlist(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n)

		e, err := f.svc.WaitlistEntry(ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, Offered, e.State)
		hold, err := f.svc.Appointment(ctx, e.Offer)
		require.NoError(t, err)
		assert.Equal(t, Proposed, hold.Status)
		assert.Equal(t, first.Patient, hold.Patient)
		assert.Equal(t, booked.Start, hold.Start)
		assert.Equal(t, f.clock.Now().Add(2*time.Hour), hold.HoldUntil)
		for _, id := range []string{tuesday.ID, group.ID, otherDr.ID, second.ID} {
			e, err := f.svc.WaitlistEntry(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, Waiting, e.State, "entry %s", id)
		}

		// The hold keeps the slot from others, and handling the event again
		// makes no second offer.
		_, err = f.svc.Book(ctx, book("visit", "p9", booked.Start))
		require.ErrorIs(t, err, ErrSlotUnavailable)
		key := "freed:" + booked.ID + ":1"
		require.NoError(t, f.svc.offer(ctx, key, freed{Appointment: booked.ID, Revision: 1, Type: "visit", Start: booked.Start, Resources: booked.Resources}))
		e, err = f.svc.WaitlistEntry(ctx, second.ID)
		require.NoError(t, err)
		assert.Equal(t, Waiting, e.State)

		var in inbox
		_, err = f.svc.Deliver(ctx, &in)
		require.NoError(t, err)
		require.Len(t, in.got, 1)
		assert.Equal(t, OfferNotice, in.got[0].Kind)
		assert.Equal(t, hold.ID, in.got[0].Appointment)

		// Nobody answers: the hold lapses and the next matching entry gets the slot.
		expired, err := f.svc.ExpireOffers(ctx)
		require.NoError(t, err)
		assert.Zero(t, expired, "the hold is still running")
		f.clock.Advance(2 * time.Hour)
		_, err = f.svc.AcceptOffer(ctx, hold.ID)
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		expired, err = f.svc.ExpireOffers(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, expired)
		e, err = f.svc.WaitlistEntry(ctx, first.ID)
		require.NoError(t, err)
		assert.Equal(t, Lapsed, e.State)
		_, err = f.svc.ProcessWaitlist(ctx)
		require.NoError(t, err)

		e, err = f.svc.WaitlistEntry(ctx, second.ID)
		require.NoError(t, err)
		require.Equal(t, Offered, e.State)
		accepted, err := f.svc.AcceptOffer(ctx, e.Offer)
		require.NoError(t, err)
		assert.Equal(t, Booked, accepted.Status)
		assert.True(t, accepted.HoldUntil.IsZero())
		e, err = f.svc.WaitlistEntry(ctx, second.ID)
		require.NoError(t, err)
		assert.Equal(t, Accepted, e.State)

		// Accepted, the booking holds the slot for good.
		f.clock.Advance(3 * time.Hour)
		_, err = f.svc.Book(ctx, book("visit", "p9", booked.Start))
		require.ErrorIs(t, err, ErrSlotUnavailable)

		// A lapsed offer is not delivered.
		in = inbox{}
		_, err = f.svc.Deliver(ctx, &in)
		require.NoError(t, err)
		assert.Empty(t, in.got)
	})
}

func TestWaitlistRefusesBadInput(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		_, err := f.svc.JoinWaitlist(ctx, WaitlistEntry{Resource: ehrkit.Ref("Patient", "x"), Window: ehrkit.Period{Start: monday, End: monday.Add(-time.Hour)}})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		for _, p := range []string{"patient", "type", "resource.type", "window.end"} {
			assert.True(t, slicesHasPath(ve, p), "missing %s in %v", p, ve.Issues)
		}
		_, err = f.svc.JoinWaitlist(ctx, WaitlistEntry{Patient: "p1", Type: "massage"})
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("type", ehrkit.IssueValue))

		e, err := f.svc.JoinWaitlist(ctx, WaitlistEntry{Patient: "p1", Type: "visit"})
		require.NoError(t, err)
		require.NoError(t, f.svc.LeaveWaitlist(ctx, e.ID))
		require.ErrorIs(t, f.svc.LeaveWaitlist(ctx, e.ID), ehrkit.ErrFailedPrecondition)
	})
}

func slicesHasPath(ve *ehrkit.ValidationError, path string) bool {
	for _, is := range ve.Issues {
		if is.Path == path {
			return true
		}
	}
	return false
}
