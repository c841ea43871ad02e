package schedule

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// The benchmark clinic: 100 practitioners in New York, each open Monday to
// Friday 08:00-17:00 under an open-ended rule begun in January 2025, a 15
// minute visit, and 10 000 booked appointments (100 per practitioner) spread
// over the 30 days searched.
const (
	benchPractitioners = 100
	benchPerDr         = 100
)

var (
	benchFrom = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	benchType = AppointmentType{ID: "visit", Duration: 15 * time.Minute, BufferAfter: 5 * time.Minute, Requires: []string{Practitioner}}
)

func benchDr(i int) ehrkit.Reference { return ehrkit.Ref(Practitioner, fmt.Sprintf("dr-%03d", i)) }

func benchSchedule(i int) Schedule {
	return Schedule{Actor: benchDr(i), TimeZone: "America/New_York", Availability: []Availability{
		{Rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", From: ehrkit.NewDate(2025, 1, 6), Open: "08:00", Close: "17:00"},
	}}
}

// benchAppointments returns practitioner i's booked appointments: every fifth
// free slot of the 30 days, up to benchPerDr.
func benchAppointments(i int) []Appointment {
	slots, err := FreeSlots(SlotRequest{Type: benchType, Start: benchFrom, End: benchFrom.AddDate(0, 0, 30)}, []Calendar{{Schedule: benchSchedule(i)}})
	if err != nil {
		panic(err)
	}
	var out []Appointment
	for k := (i % 5); k < len(slots) && len(out) < benchPerDr; k += 5 {
		out = append(out, Appointment{
			ID: fmt.Sprintf("ap-%03d-%03d", i, len(out)), Status: Booked, Type: benchType.ID,
			Patient: patient.ID(fmt.Sprintf("pt-%03d-%03d", i, len(out))), Resources: []ehrkit.Reference{benchDr(i)},
			Start: slots[k].Start, End: slots[k].End, BufferAfter: benchType.BufferAfter, Revision: 1,
		})
	}
	return out
}

func benchCalendars() []Calendar {
	cals := make([]Calendar, benchPractitioners)
	for i := range cals {
		cals[i].Schedule = benchSchedule(i)
		for _, a := range benchAppointments(i) {
			cals[i].Bookings = append(cals[i].Bookings, a.booking())
		}
	}
	return cals
}

// loop runs fn as the benchmark body. Besides wall time it reports the
// process CPU time per operation (cpu-ns/op), which stays meaningful on a
// machine shared with other work.
func loop(b *testing.B, fn func() error) {
	n, cpu := 0, cpuTime()
	for b.Loop() {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if used := cpuTime() - cpu; used > 0 && n > 0 {
		b.ReportMetric(float64(used)/float64(n), "cpu-ns/op")
	}
}

func BenchmarkFreeSlots(b *testing.B) {
	cals := benchCalendars()
	b.Run("1-practitioner-30-days", func(b *testing.B) {
		req := SlotRequest{Type: benchType, Start: benchFrom, End: benchFrom.AddDate(0, 0, 30)}
		loop(b, func() error {
			_, err := FreeSlots(req, cals[:1])
			return err
		})
	})
	b.Run("100-practitioners-7-days", func(b *testing.B) {
		req := SlotRequest{Type: benchType, Start: benchFrom, End: benchFrom.AddDate(0, 0, 7)}
		loop(b, func() error {
			for i := range cals {
				if _, err := FreeSlots(req, cals[i:i+1]); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// BenchmarkServiceFreeSlots runs the same searches through the service, which
// reads schedules and ledgers from the store, on every backend.
func BenchmarkServiceFreeSlots(b *testing.B) {
	ctx := context.Background()
	clock := ehrkit.NewFakeClock(benchFrom.Add(-time.Hour))
	for _, be := range testbackends.All() {
		b.Run(be.Name, func(b *testing.B) {
			s := be.Open(b, clock)
			svc := NewService(s, WithClock(clock))
			if err := svc.PutType(ctx, benchType); err != nil {
				b.Fatal(err)
			}
			for i := range benchPractitioners {
				if err := svc.PutSchedule(ctx, benchSchedule(i)); err != nil {
					b.Fatal(err)
				}
				if err := seed(ctx, s, benchAppointments(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("1-practitioner-30-days", func(b *testing.B) {
				q := SlotQuery{Type: benchType.ID, Resources: []ehrkit.Reference{benchDr(0)}, Start: benchFrom, End: benchFrom.AddDate(0, 0, 30)}
				loop(b, func() error {
					_, err := svc.FreeSlots(ctx, q)
					return err
				})
			})
			b.Run("100-practitioners-7-days", func(b *testing.B) {
				loop(b, func() error {
					for i := range benchPractitioners {
						q := SlotQuery{Type: benchType.ID, Resources: []ehrkit.Reference{benchDr(i)}, Start: benchFrom, End: benchFrom.AddDate(0, 0, 7)}
						if _, err := svc.FreeSlots(ctx, q); err != nil {
							return err
						}
					}
					return nil
				})
			})
		})
	}
}

// seed stores appointments and their ledger entries in one transaction,
// without the slot checks of Book (the appointments are known to fit).
func seed(ctx context.Context, s storage.Store, as []Appointment) error {
	return s.Update(ctx, func(tx storage.Tx) error {
		ls := newLedgerSet(tx)
		for i := range as {
			if _, err := appointments.Put(ctx, tx, &as[i], 0); err != nil {
				return err
			}
			if err := ls.add(ctx, as[i].Resources[0], as[i].booking()); err != nil {
				return err
			}
		}
		return ls.flush(ctx, tx)
	})
}
