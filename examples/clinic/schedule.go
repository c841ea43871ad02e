package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// scheduleView is the schedule page of one provider for a day or a week.
type scheduleView struct {
	Providers []provider
	Provider  provider
	Types     []schedule.AppointmentType
	Type      string
	Week      bool
	From      time.Time
	Days      []scheduleDay
	Patients  []patient.Patient
	Waitlist  []schedule.WaitlistEntry
	Prev      string // the date of the previous day or week
	Next      string
}

// scheduleDay is one day of the schedule.
type scheduleDay struct {
	Day          time.Time
	Appointments []bookedView
	Free         []schedule.Slot
}

// bookedView is an appointment with its patient's name.
type bookedView struct {
	schedule.Appointment
	Name string
}

// schedule shows a provider's appointments and free slots for a day
// (default) or a week, with booking, cancelling, no-show and the waitlist.
func (a *app) schedule(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	v := scheduleView{Providers: providers, Provider: providers[0], Types: visitTypes, Type: visitTypes[0].ID, Week: r.FormValue("view") == "week"}
	for _, p := range providers {
		if p.ID == r.FormValue("provider") {
			v.Provider = p
		}
	}
	for _, t := range visitTypes {
		if t.ID == r.FormValue("type") {
			v.Type = t.ID
		}
	}
	v.From = a.clock.Now().Truncate(oneDay)
	if d, err := time.Parse("2006-01-02", r.FormValue("date")); err == nil {
		v.From = d
	}
	n := 1
	if v.Week {
		n = 7
		v.From = v.From.AddDate(0, 0, -int((v.From.Weekday()+6)%7)) // Monday
	}
	v.Prev, v.Next = v.From.AddDate(0, 0, -n).Format("2006-01-02"), v.From.AddDate(0, 0, n).Format("2006-01-02")
	to := v.From.AddDate(0, 0, n)
	appts, err := a.appointments(ctx, v.Provider, v.From, to)
	if err != nil {
		return err
	}
	free, err := a.sched.FreeSlots(ctx, schedule.SlotQuery{Type: v.Type, Resources: []ehrkit.Reference{v.Provider.Ref()}, Start: later(v.From, a.clock.Now()), End: to})
	if err != nil {
		return err
	}
	names := map[patient.ID]string{}
	for i := range n {
		d := scheduleDay{Day: v.From.AddDate(0, 0, i)}
		end := d.Day.Add(oneDay)
		for _, ap := range appts {
			if !ap.Start.Before(d.Day) && ap.Start.Before(end) {
				if _, ok := names[ap.Patient]; !ok {
					names[ap.Patient] = a.nameOf(ctx, ap.Patient)
				}
				d.Appointments = append(d.Appointments, bookedView{Appointment: ap, Name: names[ap.Patient]})
			}
		}
		for _, sl := range free {
			if !sl.Start.Before(d.Day) && sl.Start.Before(end) {
				d.Free = append(d.Free, sl)
			}
		}
		v.Days = append(v.Days, d)
	}
	res, err := a.patients.Search(ctx, patient.Query{Limit: 200})
	if err != nil {
		return err
	}
	v.Patients = res.Patients
	slices.SortFunc(v.Patients, func(x, y patient.Patient) int { return compareFold(displayName(x), displayName(y)) })
	if v.Waitlist, err = a.waitlist(ctx); err != nil {
		return err
	}
	return a.page(w, s, "schedule", "Schedule", "schedule", v)
}

// compareFold orders names as a person would: accents and case folded.
func compareFold(x, y string) int {
	fx, fy := patient.Fold(x), patient.Fold(y)
	switch {
	case fx < fy:
		return -1
	case fx > fy:
		return 1
	}
	return 0
}

// nameOf is the patient's display name, or the id when it cannot be read.
func (a *app) nameOf(ctx context.Context, id patient.ID) string {
	p, err := a.patients.Get(ctx, id)
	if err != nil {
		return string(id)
	}
	return displayName(p)
}

// appointments returns the provider's appointments starting in [from, to).
func (a *app) appointments(ctx context.Context, p provider, from, to time.Time) ([]schedule.Appointment, error) {
	page, err := a.store.Query(ctx, storage.Query{Type: schedule.RecordAppointment, SortBy: "start", Limit: storage.MaxLimit, Filters: []storage.Filter{
		{Term: "actor", Op: storage.Eq, Value: p.Ref().String()},
		{Term: "start", Op: storage.Ge, Value: storage.UpdatedKey(from)},
		{Term: "start", Op: storage.Lt, Value: storage.UpdatedKey(to)},
	}})
	if err != nil {
		return nil, err
	}
	out := make([]schedule.Appointment, 0, len(page.Records))
	for _, rec := range page.Records {
		ap, err := schedule.AppointmentRecords.Decode(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, ap)
	}
	return out, nil
}

// waitlist returns the entries still waiting or holding an offer.
func (a *app) waitlist(ctx context.Context) ([]schedule.WaitlistEntry, error) {
	page, err := a.store.Query(ctx, storage.Query{Type: schedule.RecordWaitlist, SortBy: "created", Limit: storage.MaxLimit})
	if err != nil {
		return nil, err
	}
	var out []schedule.WaitlistEntry
	for _, rec := range page.Records {
		e, err := a.sched.WaitlistEntry(ctx, rec.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// back returns the browser to the schedule page it came from.
func back(w http.ResponseWriter, r *http.Request) {
	to := "/schedule"
	if q := r.PostFormValue("back"); q != "" {
		to += "?" + q
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// book books a free slot for a patient (schedule.book, checked by the
// service inside the transaction that takes the slot).
func (a *app) book(w http.ResponseWriter, r *http.Request, s *session) error {
	start, err := time.Parse(time.RFC3339, r.PostFormValue("start"))
	if err != nil {
		var is ehrkit.Issues
		is.Add("start", ehrkit.IssueValue, "choose a free slot")
		return is.Err()
	}
	ap, err := a.sched.Book(r.Context(), schedule.BookRequest{Type: r.PostFormValue("type"), Patient: patient.ID(r.PostFormValue("patient")),
		Resources: []ehrkit.Reference{ehrkit.Ref(schedule.Practitioner, r.PostFormValue("provider"))}, Start: start})
	if err != nil {
		return err
	}
	s.setFlash(fmt.Sprintf("Booked %s for %s at %s.", ap.ID, a.nameOf(r.Context(), ap.Patient), ap.Start.Format("Mon 2 Jan 15:04")))
	back(w, r)
	return nil
}

// appointmentAct checks in, cancels or marks a no-show.
func (a *app) appointmentAct(w http.ResponseWriter, r *http.Request, s *session) error {
	acts := map[string]func(context.Context, string) (schedule.Appointment, error){
		"cancel": a.sched.Cancel, "noshow": a.sched.NoShow, "checkin": a.sched.CheckIn, "accept": a.sched.AcceptOffer,
	}
	act, ok := acts[r.PathValue("act")]
	if !ok {
		return fmt.Errorf("appointment: no action %q: %w", r.PathValue("act"), ehrkit.ErrNotFound)
	}
	ap, err := act(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.setFlash(fmt.Sprintf("%s is now %s.", ap.ID, ap.Status))
	back(w, r)
	return nil
}

// joinWaitlist puts a patient on the waitlist for a type with a provider.
func (a *app) joinWaitlist(w http.ResponseWriter, r *http.Request, s *session) error {
	e, err := a.sched.JoinWaitlist(r.Context(), schedule.WaitlistEntry{Patient: patient.ID(r.PostFormValue("patient")), Type: r.PostFormValue("type"),
		Resource: ehrkit.Ref(schedule.Practitioner, r.PostFormValue("provider"))})
	if err != nil {
		return err
	}
	s.setFlash(fmt.Sprintf("%s is on the waitlist (%s).", a.nameOf(r.Context(), e.Patient), e.ID))
	back(w, r)
	return nil
}

// processWaitlist offers freed slots to waiting patients.
func (a *app) processWaitlist(w http.ResponseWriter, r *http.Request, s *session) error {
	n, err := a.sched.ProcessWaitlist(r.Context())
	if err != nil {
		return err
	}
	s.setFlash(fmt.Sprintf("%d waitlist offer(s) made.", n))
	back(w, r)
	return nil
}

// later returns the later of two times.
func later(x, y time.Time) time.Time {
	if x.After(y) {
		return x
	}
	return y
}
