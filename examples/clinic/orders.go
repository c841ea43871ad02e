package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
)

// formulary is what the order form offers, by RxNorm code; names come from
// the shipped knowledge base.
var formulary = []string{"312961", "197517", "308191", "855332", "197361", "310965"}

// drugChoice is one entry of the order form's medication list.
type drugChoice struct{ Code, Name string }

// orderView is the order-entry page.
type orderView struct {
	Patient  patient.Patient
	Drugs    []drugChoice
	Form     orderForm
	Alerts   []rx.Alert
	Draft    string // the draft awaiting an override reason
	Blocking bool   // the draft has interruptive alerts
}

// orderForm is what the prescriber typed.
type orderForm struct {
	Drug, PerDay, Days, Reason string
}

func (a *app) drugs() []drugChoice {
	out := make([]drugChoice, 0, len(formulary))
	for _, code := range formulary {
		if d, ok := a.kb.Drug(code); ok {
			out = append(out, drugChoice{Code: code, Name: d.Name})
		}
	}
	return out
}

func formOf(r *http.Request) orderForm {
	f := orderForm{Drug: r.PostFormValue("drug"), PerDay: r.PostFormValue("perDay"), Days: r.PostFormValue("days"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	if f.PerDay == "" {
		f.PerDay = "1"
	}
	if f.Days == "" {
		f.Days = "30"
	}
	return f
}

// order turns the form into a draft medication order, listing every field
// that is wrong.
func (a *app) order(pid patient.ID, s *session, f orderForm) (rx.Order, error) {
	var is ehrkit.Issues
	d, ok := a.kb.Drug(f.Drug)
	is.Check(ok, "drug", ehrkit.IssueCodeInvalid, "choose a medication of the list")
	perDay, err := decimal.NewFromString(f.PerDay)
	is.Check(err == nil && perDay.IsPositive(), "perDay", ehrkit.IssueValue, "times a day must be a positive number")
	days, err := strconv.Atoi(f.Days)
	is.Check(err == nil && days > 0, "days", ehrkit.IssueValue, "days must be a positive whole number")
	if err := is.Err(); err != nil {
		return rx.Order{}, err
	}
	o := medOrder(pid, f.Drug, d.Name, perDay.String(), days)
	o.Requester = s.Principal.Practitioner
	return o, nil
}

func (a *app) orderForm(w http.ResponseWriter, r *http.Request, s *session) error {
	p, err := a.patients.Get(r.Context(), patient.ID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return a.page(w, s, "orders", "New order", "patients", orderView{Patient: p, Drugs: a.drugs(), Form: orderForm{PerDay: "1", Days: "30"}})
}

// orderPreview answers the order form's script as the prescriber types:
// the alerts the order would raise against the patient's active medications
// and allergies, as an HTML fragment. Nothing is written; signing checks
// again, atomically with the act.
func (a *app) orderPreview(w http.ResponseWriter, r *http.Request, s *session) error {
	pid := patient.ID(r.PathValue("id"))
	f := formOf(r)
	o, err := a.order(pid, s, f)
	var alerts []rx.Alert
	if err == nil {
		alerts, err = a.check(r.Context(), pid, o)
	}
	var invalid *ehrkit.ValidationError
	if errors.As(err, &invalid) {
		alerts, err = nil, nil
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return a.pages.sets["orders"].ExecuteTemplate(w, "alerts", orderView{Alerts: alerts, Form: f})
}

// check runs the interaction, allergy and dose checks of o against the
// patient's active medications and allergies.
func (a *app) check(ctx context.Context, pid patient.ID, o rx.Order) ([]rx.Alert, error) {
	p, err := a.patients.Get(ctx, pid)
	if err != nil {
		return nil, err
	}
	meds, err := a.orders.ActiveMedications(ctx, pid)
	if err != nil {
		return nil, err
	}
	allergies, err := a.clin.Allergies(ctx, pid)
	if err != nil {
		return nil, err
	}
	in := rx.Input{Patient: rx.Patient{BirthDate: p.BirthDate}, On: ehrkit.DateOf(a.clock.Now()),
		Orders: []rx.Proposed{{Medication: o.Medication.Medication, Dose: o.Medication.Dose, FrequencyPerDay: o.Medication.FrequencyPerDay, Route: o.Medication.Route}}}
	for _, m := range meds {
		in.Active = append(in.Active, m.Code.Coding...)
	}
	for _, al := range allergies {
		in.Patient.Allergies = append(in.Patient.Allergies, al.Code.Coding...)
	}
	return rx.Check(a.kb, in).Alerts, nil
}

// placeOrder drafts and signs the order; when interruptive alerts stop the
// signing the form comes back with them and asks for an override reason,
// and signing the same draft with a reason records the override.
func (a *app) placeOrder(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	pid := patient.ID(r.PathValue("id"))
	f := formOf(r)
	id := r.PostFormValue("draft")
	if id == "" {
		o, err := a.order(pid, s, f)
		if err != nil {
			return err
		}
		d, err := a.orders.Draft(ctx, o)
		if err != nil {
			return err
		}
		id = d.ID
	}
	signed, err := a.orders.Sign(ctx, id, f.Reason)
	var alerts *rx.AlertsError
	if errors.As(err, &alerts) {
		p, err := a.patients.Get(ctx, pid)
		if err != nil {
			return err
		}
		v := orderView{Patient: p, Drugs: a.drugs(), Form: f, Alerts: alerts.Alerts, Draft: id, Blocking: true}
		return a.pages.renderErr(w, http.StatusConflict, "orders", view{S: s, Title: "New order", Nav: "patients", Data: v,
			Error: "This order raises an interruptive alert. Change the order, or sign it with the reason for overriding the alert."})
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Signed %s.", signed.Medication.Medication.Display)
	if signed.Override != nil {
		msg += " Override recorded: " + signed.Override.Reason
	}
	s.setFlash(msg)
	http.Redirect(w, r, "/patients/"+string(pid)+"#medications", http.StatusSeeOther)
	return nil
}
