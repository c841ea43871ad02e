package schedule

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// start0 is the fixed "now" of service tests: Friday 2026-02-27 12:00 UTC, the
// Friday before the week of monday.
var start0 = time.Date(2026, 2, 27, 12, 0, 0, 0, time.UTC)

// bg is the context of the tests: a front-desk clerk.
var bg = access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, ID: "desk-1", Roles: []string{access.RoleFrontDesk}})

// testPatients are the patients the fixture stores: p, p1 to p9 and pa to pz.
var testPatients = func() []patient.ID {
	out := []patient.ID{"p"}
	for _, c := range "123456789abcdefghijklmnopqrstuvwxyz" {
		out = append(out, patient.ID("p"+string(c)))
	}
	return out
}()

// mergedAway is a patient record of the fixture merged into p1.
const mergedAway patient.ID = "merged"

// addPatients stores minimal patient records, in facility F1, and the record
// mergedAway: the service only checks that a patient exists and was not
// merged away.
func addPatients(t testing.TB, s storage.Store, ids ...patient.ID) {
	t.Helper()
	record := func(id patient.ID, data string) storage.Record {
		return storage.Record{Type: patient.RecordType, ID: string(id), Compartment: string(id),
			Terms: []storage.Term{{Name: access.FacilityTerm, Value: "F1"}}, Value: []byte(`{"v":1,"d":` + data + `}`)}
	}
	recs := []storage.Record{record(mergedAway, `{"id":"merged","link":[{"other":"p1","type":"replaced-by"}]}`)}
	for _, id := range ids {
		recs = append(recs, record(id, `{"id":"`+string(id)+`"}`))
	}
	require.NoError(t, s.Update(bg, func(tx storage.Tx) error {
		for _, rec := range recs {
			if _, err := tx.Put(bg, rec, 0); err != nil {
				return err
			}
		}
		return nil
	}))
}

type fixture struct {
	svc   *Service
	clock *ehrkit.FakeClock
	store storage.Store
}

// setup stores a weekday 09:00-12:00 UTC schedule for drA and roomA, a 30
// minute visit needing drA, a 30 minute consult needing drA and roomA, and a
// one-hour group session for three patients.
func setup(t *testing.T, s storage.Store, clock *ehrkit.FakeClock, opts ...Option) fixture {
	t.Helper()
	ctx := bg
	addPatients(t, s, testPatients...)
	opts = append([]Option{WithClock(clock), WithIDs(&ehrkit.SeqIDs{Prefix: "a-"})}, opts...)
	svc := NewService(access.Trusted(s), opts...) // no policy: operation checks need only a principal
	for _, r := range []ehrkit.Reference{drA, roomA} {
		sc := sched(r, "UTC", weekdays("09:00", "12:00"))
		sc.Overbook = 1
		require.NoError(t, svc.PutSchedule(ctx, sc))
	}
	require.NoError(t, svc.PutType(ctx, visit(30*time.Minute)))
	require.NoError(t, svc.PutType(ctx, AppointmentType{ID: "consult", Duration: 30 * time.Minute, Requires: []string{Practitioner, Location}}))
	require.NoError(t, svc.PutType(ctx, AppointmentType{ID: "group", Duration: time.Hour, Capacity: 3, Requires: []string{Practitioner}}))
	return fixture{svc: svc, clock: clock, store: s}
}

func run(t *testing.T, fn func(t *testing.T, f fixture), opts ...Option) {
	clock := ehrkit.NewFakeClock(start0)
	testbackends.RunClock(t, clock, func(t *testing.T, s storage.Store) {
		clock.Set(start0)
		fn(t, setup(t, s, clock, opts...))
	})
}

func book(typ string, p patient.ID, start time.Time, res ...ehrkit.Reference) BookRequest {
	if len(res) == 0 {
		res = []ehrkit.Reference{drA}
	}
	return BookRequest{Type: typ, Patient: p, Resources: res, Start: start}
}

func TestBookAndFreeSlots(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		a, err := f.svc.Book(ctx, book("visit", "p1", at(monday, "09:30")))
		require.NoError(t, err)
		assert.Equal(t, Booked, a.Status)
		assert.Equal(t, at(monday, "10:00"), a.End)
		assert.Equal(t, 1, a.Revision)

		got, err := f.svc.Appointment(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, a, got)

		slots, err := f.svc.FreeSlots(ctx, SlotQuery{Type: "visit", Resources: []ehrkit.Reference{drA}, Start: monday, End: monday.Add(24 * time.Hour)})
		require.NoError(t, err)
		assert.Equal(t, []time.Time{at(monday, "09:00"), at(monday, "10:00"), at(monday, "10:30"), at(monday, "11:00"), at(monday, "11:30")}, starts(slots))

		// The consult needs the room too; the practitioner is busy at 09:30.
		_, err = f.svc.Book(ctx, book("consult", "p2", at(monday, "09:30"), drA, roomA))
		require.ErrorIs(t, err, ErrSlotUnavailable)
		require.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a refusal")
		require.NotErrorIs(t, err, ehrkit.ErrConflict, "not a retryable race")
		c, err := f.svc.Book(ctx, book("consult", "p2", at(monday, "10:00"), drA, roomA))
		require.NoError(t, err)
		slots, err = f.svc.FreeSlots(ctx, SlotQuery{Type: "visit", Resources: []ehrkit.Reference{drA}, Start: monday, End: monday.Add(24 * time.Hour)})
		require.NoError(t, err)
		assert.NotContains(t, starts(slots), c.Start)
	})
}

func TestBookOverbooking(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		_, err := f.svc.Book(ctx, book("visit", "p1", at(monday, "09:00")))
		require.NoError(t, err)
		_, err = f.svc.Book(ctx, book("visit", "p2", at(monday, "09:00")))
		require.ErrorIs(t, err, ErrSlotUnavailable)
		req := book("visit", "p2", at(monday, "09:00"))
		req.Overbook = true
		a, err := f.svc.Book(ctx, req)
		require.NoError(t, err)
		assert.True(t, a.Overbooked)
		_, err = f.svc.Book(ctx, req)
		require.ErrorIs(t, err, ErrSlotUnavailable, "the allowance is one extra patient")
	})
}

func TestBookRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		req  BookRequest
		want map[string]ehrkit.IssueCode
	}{
		{"empty", BookRequest{}, map[string]ehrkit.IssueCode{"type": ehrkit.IssueValue, "patient": ehrkit.IssueValue, "resources": ehrkit.IssueRequired, "start": ehrkit.IssueRequired}},
		{"bad resource", book("visit", "p1", at(monday, "09:00"), ehrkit.Ref("Patient", "x")), map[string]ehrkit.IssueCode{"resources[0].type": ehrkit.IssueCodeInvalid}},
		{"unknown type", book("massage", "p1", at(monday, "09:00")), map[string]ehrkit.IssueCode{"type": ehrkit.IssueValue}},
		{"resource without schedule", book("visit", "p1", at(monday, "09:00"), ehrkit.Ref(Practitioner, "nobody")), map[string]ehrkit.IssueCode{"resources[0]": ehrkit.IssueValue}},
		{"outside availability", book("visit", "p1", at(monday, "11:45")), map[string]ehrkit.IssueCode{"start": ehrkit.IssueBusinessRule}},
		{"on a weekend", book("visit", "p1", at(monday, "09:00").AddDate(0, 0, -2)), map[string]ehrkit.IssueCode{"start": ehrkit.IssueBusinessRule}},
		{"in the past", book("visit", "p1", at(monday, "09:00").AddDate(0, 0, -7)), map[string]ehrkit.IssueCode{"start": ehrkit.IssueBusinessRule}},
		{"no such patient", book("visit", "nobody", at(monday, "09:00")), map[string]ehrkit.IssueCode{"patient": ehrkit.IssueValue}},
		{"merged-away patient", book("visit", mergedAway, at(monday, "09:00")), map[string]ehrkit.IssueCode{"patient": ehrkit.IssueBusinessRule}},
		{"wrong kind of resource", book("consult", "p1", at(monday, "09:00"), roomA, drA), map[string]ehrkit.IssueCode{"resources[0].actor.type": ehrkit.IssueBusinessRule, "resources[1].actor.type": ehrkit.IssueBusinessRule}},
	}
	run(t, func(t *testing.T, f fixture) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.Book(bg, tt.req)
				var ve *ehrkit.ValidationError
				require.ErrorAs(t, err, &ve)
				for path, code := range tt.want {
					assert.True(t, ve.Has(path, code), "missing %s (%s) in %v", path, code, ve.Issues)
				}
			})
		}
		page, err := f.store.Query(bg, storage.Query{Type: RecordAppointment})
		require.NoError(t, err)
		assert.Empty(t, page.Records, "nothing is written for refused bookings")

		_, err = f.svc.FreeSlots(bg, SlotQuery{Resources: []ehrkit.Reference{{Type: "Patient"}}, Start: monday, End: monday})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		for path, code := range map[string]ehrkit.IssueCode{"type": ehrkit.IssueValue, "resources[0].type": ehrkit.IssueCodeInvalid, "resources[0].id": ehrkit.IssueValue, "end": ehrkit.IssueInvariant} {
			assert.True(t, ve.Has(path, code), "missing %s (%s) in %v", path, code, ve.Issues)
		}
	})
}

func TestTransitions(t *testing.T) {
	type step struct {
		op   string
		want Status
		err  error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"visit", []step{{"checkin", CheckedIn, nil}, {"complete", Fulfilled, nil}, {"cancel", "", ehrkit.ErrFailedPrecondition}}},
		{"cancel", []step{{"cancel", Cancelled, nil}, {"checkin", "", ehrkit.ErrFailedPrecondition}, {"cancel", "", ehrkit.ErrFailedPrecondition}}},
		{"no-show only after the start", []step{{"noshow", "", ehrkit.ErrFailedPrecondition}, {"advance", "", nil}, {"noshow", NoShow, nil}, {"complete", "", ehrkit.ErrFailedPrecondition}}},
		{"complete needs check-in", []step{{"complete", "", ehrkit.ErrFailedPrecondition}, {"accept", "", ehrkit.ErrFailedPrecondition}}},
		{"reschedule only booked", []step{{"checkin", CheckedIn, nil}, {"reschedule", "", ehrkit.ErrFailedPrecondition}}},
	}
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.clock.Set(start0)
				a, err := f.svc.Book(ctx, book("visit", "p1", at(monday, "09:00").Add(time.Duration(i)*30*time.Minute)))
				require.NoError(t, err)
				for _, st := range tt.steps {
					var got Appointment
					var err error
					switch st.op {
					case "checkin":
						got, err = f.svc.CheckIn(ctx, a.ID)
					case "complete":
						got, err = f.svc.Complete(ctx, a.ID)
					case "cancel":
						got, err = f.svc.Cancel(ctx, a.ID)
					case "noshow":
						got, err = f.svc.NoShow(ctx, a.ID)
					case "accept":
						got, err = f.svc.AcceptOffer(ctx, a.ID)
					case "reschedule":
						got, err = f.svc.Reschedule(ctx, a.ID, at(monday, "11:30"))
					case "advance":
						f.clock.Set(a.Start.Add(10 * time.Minute))
						continue
					}
					if st.err != nil {
						require.ErrorIs(t, err, st.err, st.op)
						continue
					}
					require.NoError(t, err, st.op)
					assert.Equal(t, st.want, got.Status, st.op)
					stored, err := f.svc.Appointment(ctx, a.ID)
					require.NoError(t, err)
					assert.Equal(t, st.want, stored.Status)
				}
			})
		}
	})
}

func TestReschedule(t *testing.T) {
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		a, err := f.svc.Book(ctx, book("visit", "p1", at(monday, "09:00")))
		require.NoError(t, err)
		b, err := f.svc.Book(ctx, book("visit", "p2", at(monday, "10:00")))
		require.NoError(t, err)
		_, err = f.svc.Reschedule(ctx, a.ID, b.Start)
		require.ErrorIs(t, err, ErrSlotUnavailable)
		_, err = f.svc.Reschedule(ctx, a.ID, at(monday, "13:00"))
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("start", ehrkit.IssueBusinessRule))

		moved, err := f.svc.Reschedule(ctx, a.ID, at(monday, "11:00"))
		require.NoError(t, err)
		assert.Equal(t, at(monday, "11:30"), moved.End)
		assert.Equal(t, 2, moved.Revision)
		// The old time is free again, the new one taken.
		c, err := f.svc.Book(ctx, book("visit", "p3", at(monday, "09:00")))
		require.NoError(t, err)
		assert.Equal(t, Booked, c.Status)
		_, err = f.svc.Book(ctx, book("visit", "p3", at(monday, "11:00")))
		require.ErrorIs(t, err, ErrSlotUnavailable)
	})
}

// TestConcurrentBooking books one slot from many goroutines at once: exactly
// as many succeed as the session holds, on every backend.
func TestConcurrentBooking(t *testing.T) {
	tests := []struct {
		typ       string
		resources []ehrkit.Reference
		capacity  int
	}{
		{"visit", []ehrkit.Reference{drA}, 1},
		{"group", []ehrkit.Reference{drA}, 3},
		{"consult", []ehrkit.Reference{drA, roomA}, 1},
	}
	const callers = 16
	run(t, func(t *testing.T, f fixture) {
		ctx := bg
		for i, tt := range tests {
			t.Run(tt.typ, func(t *testing.T) {
				start := at(monday.AddDate(0, 0, i), "09:00")
				var ok, full atomic.Int32
				var wg sync.WaitGroup
				for n := range callers {
					wg.Go(func() {
						_, err := f.svc.Book(ctx, BookRequest{Type: tt.typ, Patient: patient.ID("p" + string(rune('a'+n))), Resources: tt.resources, Start: start})
						switch {
						case err == nil:
							ok.Add(1)
						case errors.Is(err, ErrSlotUnavailable):
							full.Add(1)
						default:
							t.Errorf("unexpected error: %v", err)
						}
					})
				}
				wg.Wait()
				assert.Equal(t, int32(tt.capacity), ok.Load())
				assert.Equal(t, int32(callers-tt.capacity), full.Load())
				for _, r := range tt.resources {
					l, _, err := ledgers.Get(ctx, f.store, actorKey(r)+":"+start.Format(time.DateOnly))
					require.NoError(t, err)
					assert.Len(t, l.Bookings, tt.capacity, "ledger of %s", r)
				}
				page, err := f.store.Query(ctx, storage.Query{Type: RecordAppointment, Filters: []storage.Filter{{Term: "start", Op: storage.Eq, Value: timeKey(start)}}})
				require.NoError(t, err)
				assert.Len(t, page.Records, tt.capacity)
				for _, rec := range page.Records {
					a, err := appointments.Decode(rec)
					require.NoError(t, err)
					assert.Equal(t, 1, a.Revision, "a retried booking is written afresh")
					assert.Equal(t, int64(1), rec.Version)
				}
			})
		}
	})
}
