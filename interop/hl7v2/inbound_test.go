package hl7v2_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func message(typ, control, pid string, segs ...string) []byte {
	all := append([]string{"MSH|^~\\&|CPOE|CLINIC|EHR|HOSP|20260302100000||" + typ + "|" + control + "|P|2.5.1", "PID|" + pid}, segs...)
	return []byte(strings.Join(all, "\r") + "\r")
}

func orderHandler(f feed) *hl7v2.OrderHandler {
	return &hl7v2.OrderHandler{Orders: f.svc.Orders, Patients: f.svc.Patients, Store: f.store, Clock: f.h.Clock}
}

// An incoming laboratory order is stored in rx (active), a later ORC-1 CA
// cancels it, and the result that answers it is matched by placer number.
func TestOrdersInbound(t *testing.T) {
	nw := message("ORM^O01^ORM_O01", "o1", pidA1, "ORC|NW|lab-77^CPOE|||||||202603020900|||dr-b^ORDER^BEA", "OBR|1|lab-77||2951-2^Sodium^LN")
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newFeed(t, s)
		h := orderHandler(f)
		code, ctl, errs := ackErrs(t, h.Handle(f.ctx, nw))
		require.Equal(t, hl7v2.AA, code, errs)
		assert.Equal(t, "o1", ctl)
		o, err := f.svc.Orders.Get(f.ctx, "lab-77")
		require.NoError(t, err)
		assert.Equal(t, rx.Active, o.Status)
		assert.Equal(t, f.p, o.Patient)
		assert.Equal(t, "dr-b", o.Requester)
		assert.Equal(t, ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "2951-2", Display: "Sodium"}, o.Lab.Test)
		assert.Equal(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), o.Authored)

		code, _, errs = ackErrs(t, f.h.Handle(f.ctx, oruMsg("r1", pidA1, "OBR|1|lab-77|F-9^LAB|2951-2^Sodium^LN|||20260302093000",
			"OBX|1|NM|2951-2^Sodium^LN||139|mmol/L|||||F")))
		require.Equal(t, hl7v2.AA, code, errs)
		ev := resultEvents(t, f.store)
		require.Len(t, ev, 1)
		assert.Equal(t, "dr-b", ev[0].To, "the result goes to the clinician of the incoming order")

		ca := message("OML^O21^OML_O21", "o2", pidA1, "ORC|CA|lab-77^CPOE|||||||202603020900|||dr-b", "OBR|1|lab-77||2951-2^Sodium^LN")
		code, _, errs = ackErrs(t, h.Handle(f.ctx, ca))
		require.Equal(t, hl7v2.AA, code, errs)
		o, err = f.svc.Orders.Get(f.ctx, "lab-77")
		require.NoError(t, err)
		assert.Equal(t, rx.Cancelled, o.Status)
	})
}

func TestOrdersRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  []byte
		errs []string
	}{
		{"unknown patient", message("ORM^O01", "x1", "1||NOPE^^^HOSP^MR", "ORC|NW|lab-1||||||||||dr-b", "OBR|1|||2951-2^Sodium^LN"), []string{"PID^2^3^^^ 204"}},
		{"not LOINC", message("ORM^O01", "x2", pidA1, "ORC|NW|lab-1||||||||||dr-b", "OBR|1|||NA^Sodium^L"), []string{"OBR^4^4^^^ 103"}},
		{"no requester, unknown control", message("ORM^O01", "x3", pidA1, "ORC|ZZ|lab-1", "OBR|1|||2951-2^Sodium^LN"), []string{"ORC^3^1^^^ 103", "ORC^3^12^^^ 101"}},
		{"pharmacy order", message("ORM^O01", "x4", pidA1, "ORC|NW|rx-1||||||||||dr-b", "RXO|1"), []string{"ORC^3^^^^ 207"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testbackends.Run(t, func(t *testing.T, s storage.Store) {
				f := newFeed(t, s)
				code, _, errs := ackErrs(t, orderHandler(f).Handle(f.ctx, tc.msg))
				assert.Equal(t, hl7v2.AE, code)
				assert.Equal(t, tc.errs, errs)
				_, err := f.svc.Orders.Get(f.ctx, "lab-1")
				assert.ErrorIs(t, err, ehrkit.ErrNotFound)
			})
		})
	}
}

func siuHandler(f feed) *hl7v2.SIUHandler {
	return &hl7v2.SIUHandler{Schedule: f.svc.Schedule, Patients: f.svc.Patients, Store: f.store, Clock: f.h.Clock}
}

// A booking (S12) takes its time in the schedule's day ledger: a second
// booking of the same practitioner then is refused; a reschedule (S13)
// moves it and a cancellation (S15) frees it.
func TestSIUBookings(t *testing.T) {
	book := func(event, control, pid, filler, start string) []byte {
		return message("SIU^"+event+"^SIU_S12", control, pid, "SCH|p-"+filler+"|"+filler+"||||CHECKUP^Checkup|ROUTINE^Routine|||||||||||||||||||Booked",
			"TQ1|||||||"+start+"|", "RGS|1", "AIP|1||dr-a^ADAMS^AL|||"+start+"|||30|min")
	}
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newFeed(t, s)
		_, err := f.svc.Patients.Register(f.ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "POE"}},
			Identifiers: []ehrkit.Identifier{{System: "CLINIC", Value: "B2"}}, BirthDate: ehrkit.MustDate("1980-02-02")})
		require.NoError(t, err)
		h := siuHandler(f)
		code, _, errs := ackErrs(t, h.Handle(f.ctx, book("S12", "s1", "1||A1^^^HOSP^MR", "ap-1", "202604011000")))
		require.Equal(t, hl7v2.AA, code, errs)
		a, err := hl7v2.Appointment(mustParse(t, book("S12", "s1", "1||A1^^^HOSP^MR", "ap-1", "202604011000")), f.p)
		require.NoError(t, err)
		got, err := f.svc.Schedule.Appointment(f.ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, schedule.Booked, got.Status)
		assert.Equal(t, []ehrkit.Reference{ehrkit.Ref("Practitioner", "dr-a")}, got.Resources)
		assert.Equal(t, time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC), got.Start)
		assert.Equal(t, 30*time.Minute, got.End.Sub(got.Start))
		assert.Equal(t, "ROUTINE", got.Type)

		// Another patient at the same time with the same practitioner.
		code, _, errs = ackErrs(t, h.Handle(f.ctx, book("S12", "s2", "1||B2", "ap-2", "202604011015")))
		assert.Equal(t, hl7v2.AE, code)
		assert.Equal(t, []string{" 207"}, errs)

		code, _, errs = ackErrs(t, h.Handle(f.ctx, book("S13", "s3", "1||A1^^^HOSP^MR", "ap-1", "202604011100")))
		require.Equal(t, hl7v2.AA, code, errs)
		code, _, errs = ackErrs(t, h.Handle(f.ctx, book("S12", "s4", "1||B2", "ap-2", "202604011015")))
		require.Equal(t, hl7v2.AA, code, errs, "the time the reschedule freed")
		code, _, errs = ackErrs(t, h.Handle(f.ctx, book("S15", "s5", "1||A1^^^HOSP^MR", "ap-1", "202604011100")))
		require.Equal(t, hl7v2.AA, code, errs)
		got, err = f.svc.Schedule.Appointment(f.ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, schedule.Cancelled, got.Status)
		assert.Equal(t, time.Date(2026, 4, 1, 11, 0, 0, 0, time.UTC), got.Start)

		code, _, errs = ackErrs(t, h.Handle(f.ctx, message("SIU^S12", "s6", "1||A1^^^HOSP^MR", "SCH|||||||||||||||||||||||||Booked")))
		assert.Equal(t, hl7v2.AE, code)
		assert.Equal(t, []string{"SCH^3^2^^^ 101", "SCH^3^8^^^ 101", "TQ1^^7^^^ 101", "AIP^^^^^ 101"}, errs)
	})
}

// The FHIR-Converter SIU, ORM and OML samples map and are filed for the
// patient their PID names.
func TestInboundCorpus(t *testing.T) {
	siu := converterMessage(t, "SIU-S12-01.hl7")
	orm := converterMessage(t, "ORM-O01-01.hl7")
	oml := converterMessage(t, "OML-O21-01.hl7")
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newFeed(t, s)
		p, err := hl7v2.PatientFromPID(mustParse(t, siu))
		require.NoError(t, err)
		_, err = f.svc.Patients.Register(f.ctx, p)
		require.NoError(t, err)

		code, _, errs := ackErrs(t, siuHandler(f).Handle(f.ctx, siu))
		require.Equal(t, hl7v2.AA, code, errs)
		a, err := hl7v2.Appointment(mustParse(t, siu), p.ID)
		require.NoError(t, err)
		got, err := f.svc.Schedule.Appointment(f.ctx, a.ID)
		require.NoError(t, err)
		// TQ1-7 and TQ1-8: 09:30 to 10:20 at +02:15.
		assert.Equal(t, time.Date(2021, 9, 24, 7, 15, 0, 0, time.UTC), got.Start)
		assert.Equal(t, 50*time.Minute, got.End.Sub(got.Start))
		assert.Len(t, got.Resources, 3, "AIG equipment, AIL location, AIP personnel")

		for _, m := range [][]byte{orm, oml} {
			code, _, errs = ackErrs(t, orderHandler(f).Handle(f.ctx, m))
			require.Equal(t, hl7v2.AA, code, errs)
			orders, err := hl7v2.LabOrders(mustParse(t, m), p.ID)
			require.NoError(t, err)
			require.Len(t, orders, 1)
			o, err := f.svc.Orders.Get(f.ctx, orders[0].ID)
			require.NoError(t, err)
			assert.Equal(t, "3850", o.Requester)
			assert.Equal(t, ehrkit.SystemLOINC, o.Lab.Test.System)
		}
	})
}
