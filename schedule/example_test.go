package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// Example defines a clinic week, books a visit, cancels it, and shows the
// waitlist offer and the reminders that follow.
func Example() {
	ctx := access.WithPrincipal(context.Background(), access.Principal{
		Kind: access.User, ID: "desk-1", Roles: []string{access.RoleFrontDesk},
	})
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clock := ehrkit.NewFakeClock(time.Date(2026, 3, 4, 10, 0, 0, 0, berlin)) // Wednesday
	store := access.Trusted(memstore.New(memstore.WithClock(clock)))         // trusted: no policy in this example
	svc := schedule.NewService(store,
		schedule.WithClock(clock), schedule.WithIDs(&ehrkit.SeqIDs{Prefix: "appt-"}),
		schedule.WithReminders(24*time.Hour, 2*time.Hour), schedule.WithHold(4*time.Hour))

	// Appointments are booked for registered patients only.
	registry, err := patient.NewService(store, patient.WithClock(clock), patient.WithIDs(&ehrkit.SeqIDs{Prefix: "pat-"}))
	must(err)
	var pat [2]patient.ID
	for i, given := range []string{"Ada", "Ben"} {
		p, err := registry.Register(ctx, patient.Patient{
			Names:  []ehrkit.HumanName{{Family: "Roth", Given: []string{given}}},
			Gender: patient.GenderUnknown, BirthDate: ehrkit.NewDate(1980+i, 1, 1),
		})
		must(err)
		pat[i] = p.ID
	}

	// Dr. Weber sees patients Monday to Friday, 09:00-12:00 Berlin time, but
	// not on Friday 13 March.
	weber := ehrkit.Ref(schedule.Practitioner, "dr-weber")
	friday := time.Date(2026, 3, 13, 0, 0, 0, 0, berlin)
	must(svc.PutSchedule(ctx, schedule.Schedule{
		Actor: weber, TimeZone: "Europe/Berlin",
		Availability: []schedule.Availability{{Rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", From: ehrkit.NewDate(2026, 1, 5), Open: "09:00", Close: "12:00"}},
		Exceptions:   []ehrkit.Period{{Start: friday, End: friday.AddDate(0, 0, 1)}},
	}))
	must(svc.PutType(ctx, schedule.AppointmentType{ID: "checkup", Duration: 40 * time.Minute, BufferAfter: 5 * time.Minute, Requires: []string{schedule.Practitioner}}))

	week := time.Date(2026, 3, 9, 0, 0, 0, 0, berlin)
	slots, err := svc.FreeSlots(ctx, schedule.SlotQuery{Type: "checkup", Resources: []ehrkit.Reference{weber}, Start: week, End: week.AddDate(0, 0, 7)})
	must(err)
	perDay := map[string]int{}
	for _, s := range slots {
		perDay[s.Start.In(berlin).Format("Mon")]++
	}
	fmt.Println("free:", len(slots), "slots; Monday", perDay["Mon"], "Friday", perDay["Fri"], "first", slots[0].Start.In(berlin).Format("Mon 15:04"))

	appt, err := svc.Book(ctx, schedule.BookRequest{Type: "checkup", Patient: pat[0], Resources: []ehrkit.Reference{weber}, Start: slots[0].Start})
	must(err)
	fmt.Println("booked", appt.ID, appt.Start.In(berlin).Format("Mon 15:04"), "-", appt.End.In(berlin).Format("15:04"), appt.Status)

	_, err = svc.Book(ctx, schedule.BookRequest{Type: "checkup", Patient: pat[1], Resources: []ehrkit.Reference{weber}, Start: slots[0].Start})
	fmt.Println("second booking refused:", errors.Is(err, schedule.ErrSlotUnavailable))
	entry, err := svc.JoinWaitlist(ctx, schedule.WaitlistEntry{Patient: pat[1], Type: "checkup", Resource: weber, Window: ehrkit.Period{Start: week, End: week.AddDate(0, 0, 1)}})
	must(err)
	fmt.Println("waitlist:", entry.Patient, entry.State)

	cancelled, err := svc.Cancel(ctx, appt.ID)
	must(err)
	fmt.Println("cancelled", cancelled.ID, cancelled.Status)

	_, err = svc.ProcessWaitlist(ctx)
	must(err)
	notifier := schedule.NotifierFunc(func(_ context.Context, n schedule.Notice) error {
		switch n.Kind {
		case schedule.OfferNotice:
			fmt.Println("notify", n.Patient, "offer for", n.Start.In(berlin).Format("Mon 15:04"), "held until", n.HoldUntil.In(berlin).Format("Mon 15:04"))
		case schedule.ReminderNotice:
			fmt.Println("notify", n.Patient, "reminder", n.Before, "before", n.Start.In(berlin).Format("Mon 15:04"))
		}
		return nil
	})
	_, err = svc.Deliver(ctx, notifier)
	must(err)

	entry, err = svc.WaitlistEntry(ctx, entry.ID)
	must(err)
	offer, err := svc.AcceptOffer(ctx, entry.Offer)
	must(err)
	fmt.Println("offer accepted:", offer.Patient, offer.Status)

	// Sunday 10:00: the 24-hour reminder is due; Monday 07:00: the 2-hour one.
	for _, now := range []time.Time{time.Date(2026, 3, 8, 10, 0, 0, 0, berlin), time.Date(2026, 3, 9, 7, 0, 0, 0, berlin)} {
		clock.Set(now)
		_, err := svc.ReleaseReminders(ctx)
		must(err)
		_, err = svc.Deliver(ctx, notifier)
		must(err)
	}
	// Output:
	// free: 16 slots; Monday 4 Friday 0 first Mon 09:00
	// booked appt-000001 Mon 09:00 - 09:40 booked
	// second booking refused: true
	// waitlist: pat-000002 waiting
	// cancelled appt-000001 cancelled
	// notify pat-000002 offer for Mon 09:00 held until Wed 14:00
	// offer accepted: pat-000002 booked
	// notify pat-000002 reminder 24h0m0s before Mon 09:00
	// notify pat-000002 reminder 2h0m0s before Mon 09:00
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
