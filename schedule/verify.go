package schedule

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit/storage"
)

// LedgerError reports where the day ledgers and the appointments disagree. Each
// problem names ids only.
type LedgerError struct {
	// Missing lists, as "appointment id@ledger id", appointments that hold
	// time but are absent from (or listed with other times in) a ledger of a
	// resource and day they touch.
	Missing []string
	// Stale lists, as "appointment id@ledger id", ledger entries of an
	// appointment that does not exist, holds no time, or has no such resource.
	Stale []string
}

// Error returns the counts and the first problem of each kind.
func (e *LedgerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schedule: ledgers disagree with appointments: %d missing, %d stale", len(e.Missing), len(e.Stale))
	if len(e.Missing) > 0 {
		b.WriteString("; missing " + e.Missing[0])
	}
	if len(e.Stale) > 0 {
		b.WriteString("; stale " + e.Stale[0])
	}
	return b.String()
}

// VerifyLedgers reads every appointment and every day ledger in r and checks
// that they agree: an appointment holding time (any status but cancelled) is
// listed, with its busy span, in the ledger of each of its resources for each
// UTC day it touches, and a ledger lists nothing else. It returns nil or a
// *LedgerError listing every disagreement. A recovery check and a test
// harness run it; the service keeps the two in step in every transaction.
func VerifyLedgers(ctx context.Context, r storage.Reader) error {
	occupying := map[string]Appointment{}
	want := map[string]map[string]Booking{} // ledger id -> appointment id -> booking
	for a, err := range appointments.All(ctx, r, storage.Query{Limit: storage.MaxLimit}) {
		if err != nil {
			return err
		}
		if !a.occupies() {
			continue
		}
		occupying[a.ID] = a
		b := a.booking()
		for _, res := range a.Resources {
			for _, day := range utcDays(b.BusyStart, b.BusyEnd) {
				id := actorKey(res) + ":" + day
				if want[id] == nil {
					want[id] = map[string]Booking{}
				}
				want[id][a.ID] = b
			}
		}
	}
	var e LedgerError
	seen := map[string]bool{}
	for l, err := range ledgers.All(ctx, r, storage.Query{Limit: storage.MaxLimit}) {
		if err != nil {
			return err
		}
		id := actorKey(l.Resource) + ":" + l.Day
		for _, en := range l.Bookings {
			got := en.booking()
			exp, ok := want[id][en.Appointment]
			if !ok || !sameBooking(got, exp) {
				e.Stale = append(e.Stale, en.Appointment+"@"+id)
				continue
			}
			seen[en.Appointment+"@"+id] = true
		}
	}
	for id, m := range want {
		for appt := range m {
			if !seen[appt+"@"+id] {
				e.Missing = append(e.Missing, appt+"@"+id)
			}
		}
	}
	if len(e.Missing)+len(e.Stale) == 0 {
		return nil
	}
	slices.Sort(e.Missing)
	slices.Sort(e.Stale)
	return &e
}

func sameBooking(a, b Booking) bool {
	return a.Appointment == b.Appointment && a.Type == b.Type && a.Start.Equal(b.Start) &&
		a.BusyStart.Equal(b.BusyStart) && a.BusyEnd.Equal(b.BusyEnd) && a.HoldUntil.Equal(b.HoldUntil)
}
