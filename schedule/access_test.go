package schedule

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
)

// Principals of the access tests; the fixture's patients are in facility F1.
var (
	deskF1  = access.Principal{Kind: access.User, ID: "desk-f1", Roles: []string{access.RoleFrontDesk}, Facility: "F1"}
	nurseF1 = access.Principal{Kind: access.User, ID: "rn-f1", Roles: []string{access.RoleNurse}, Facility: "F1"}
	billerF = access.Principal{Kind: access.User, ID: "bill-f1", Roles: []string{access.RoleBiller}, Facility: "F1"}
	portal1 = access.Principal{Kind: access.User, ID: "portal-p1", Roles: []string{access.RolePatient}, Patient: "p1"}
	auditor = access.Principal{Kind: access.User, ID: "admin-1", Roles: []string{access.RoleAdministrator}}
)

func as(p access.Principal) context.Context { return access.WithPrincipal(context.Background(), p) }

// TestBookIsAnAct: on a store guarded by the default policy, booking is an
// act of access.PermScheduleBook for the patient. The portal books and
// cancels its own patient's appointments, the appointment and the day ledger
// written as the audited act, but may neither book for another patient nor
// write an Appointment record directly; a role without the permission may
// not book; what the front desk books it can then check in.
func TestBookIsAnAct(t *testing.T) {
	clock := ehrkit.NewFakeClock(start0)
	testbackends.RunClock(t, clock, func(t *testing.T, raw storage.Store) {
		clock.Set(start0)
		addPatients(t, raw, "p1", "p2")
		guarded := access.Guard(raw, access.DefaultPolicy(), access.WithClock(clock))
		svc := NewService(guarded, WithClock(clock), WithIDs(&ehrkit.SeqIDs{Prefix: "a-"}))
		desk := as(deskF1)
		require.NoError(t, svc.PutSchedule(desk, sched(drA, "UTC", weekdays("09:00", "12:00"))))
		require.NoError(t, svc.PutType(desk, visit(30*time.Minute)))

		own, err := svc.Book(as(portal1), book("visit", "p1", at(monday, "09:00")))
		require.NoError(t, err)
		_, err = raw.Get(desk, RecordLedger, actorKey(drA)+":"+monday.Format(time.DateOnly))
		require.NoError(t, err, "the day ledger is written by the act")

		_, err = svc.Book(as(portal1), book("visit", "p2", at(monday, "10:00")))
		require.ErrorIs(t, err, ehrkit.ErrPermission, "the portal books for its own patient only")
		_, err = svc.Book(as(billerF), book("visit", "p1", at(monday, "10:00")))
		require.ErrorIs(t, err, ehrkit.ErrPermission, "the biller may not book")

		direct := Appointment{ID: "direct", Status: Booked, Type: "visit", Patient: "p1", Resources: []ehrkit.Reference{drA},
			Start: at(monday, "10:00"), End: at(monday, "10:30"), Revision: 1}
		err = guarded.Update(as(portal1), func(tx storage.Tx) error {
			_, err := appointments.Put(as(portal1), tx, &direct, 0)
			return err
		})
		var denied *access.DeniedError
		require.ErrorAs(t, err, &denied, "the portal writes no Appointment record directly")
		assert.Equal(t, access.ReasonRole, denied.Reason)
		_, err = raw.Get(desk, RecordAppointment, direct.ID)
		require.ErrorIs(t, err, ehrkit.ErrNotFound)

		other, err := svc.Book(desk, book("visit", "p2", at(monday, "10:00")))
		require.NoError(t, err)
		checkedIn, err := svc.CheckIn(desk, other.ID)
		require.NoError(t, err, "a booked appointment is of its patient's facility")
		assert.Equal(t, CheckedIn, checkedIn.Status)
		_, err = svc.Book(as(nurseF1), book("visit", "p2", at(monday, "10:30")))
		require.NoError(t, err, "the nurse books")

		cancelled, err := svc.Cancel(as(portal1), own.ID)
		require.NoError(t, err)
		assert.Equal(t, Cancelled, cancelled.Status)
		_, err = svc.Cancel(as(portal1), other.ID)
		require.ErrorIs(t, err, ehrkit.ErrPermission, "nor cancels another patient's")

		require.NoError(t, guarded.Flush(desk))
		var acts, denials, writes int
		for _, p := range []string{"p1", "p2"} {
			for ev, err := range access.Accounting(as(auditor), guarded, p, start0.Add(-time.Hour), start0.Add(time.Hour)) {
				require.NoError(t, err)
				switch {
				case ev.Action == string(access.PermScheduleBook) && ev.Outcome == access.Success:
					acts++
				case ev.Action == string(access.PermScheduleBook) && ev.Outcome == access.Denied:
					denials++
				case ev.Type == RecordAppointment && ev.Reason == "act "+string(access.PermScheduleBook) && ev.Action != string(access.Read):
					writes++
				}
			}
		}
		assert.Equal(t, 4, acts, "three bookings and a cancellation")
		assert.Equal(t, 2, denials, "two bookings (the foreign cancellation is refused at reading the appointment)")
		assert.Equal(t, 4, writes, "each act wrote its appointment")
		require.NoError(t, access.Verify(as(auditor), raw))
	})
}
