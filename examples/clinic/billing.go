package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/interop/x12"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/schedule"
	"github.com/ehrkit/ehrkit/storage"
)

// claimView is a claim with what the billing page shows of it.
type claimView struct {
	billing.Claim
	Name     string
	Total    billing.Money
	Balance  billing.Money
	Problems []ehrkit.Issue // what the scrubber finds
	Service  time.Time      // the first service date
}

// claims reads every claim the principal may see, newest service first.
func (a *app) claims(ctx context.Context) ([]claimView, error) {
	page, err := a.store.Query(ctx, storage.Query{Type: billing.ClaimType, Limit: storage.MaxLimit})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	var out []claimView
	for _, rec := range page.Records {
		c, err := billing.ClaimRecords.Decode(rec)
		if err != nil {
			return nil, err
		}
		if _, ok := names[c.Patient]; !ok {
			names[c.Patient] = a.nameOf(ctx, patient.ID(c.Patient))
		}
		v := claimView{Claim: c, Name: names[c.Patient]}
		if v.Total, err = c.Total(); err != nil {
			return nil, err
		}
		if v.Balance, err = c.Balance(); err != nil {
			return nil, err
		}
		var invalid *ehrkit.ValidationError
		if errors.As(billing.Scrub(c), &invalid) {
			v.Problems = invalid.Issues
		}
		for _, ch := range c.Charges {
			if v.Service.IsZero() || ch.ServiceDate.Before(v.Service) {
				v.Service = ch.ServiceDate
			}
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(x, y claimView) int { return y.Service.Compare(x.Service) })
	return out, nil
}

// agingBucket is one column of the A/R aging.
type agingBucket struct {
	Label  string
	Claims int
	Amount billing.Money
}

// invoice is what a patient owes after their payers paid.
type invoice struct {
	Patient string
	Name    string
	Amount  billing.Money
}

// billing shows the claims with their scrubber results, the A/R aging of
// unpaid balances, the patients' invoices, 837 download and remittance posting.
func (a *app) billing(w http.ResponseWriter, r *http.Request, s *session) error {
	claims, err := a.claims(r.Context())
	if err != nil {
		return err
	}
	buckets := []agingBucket{{Label: "0–30 days"}, {Label: "31–60 days"}, {Label: "61–90 days"}, {Label: "over 90 days"}}
	for i := range buckets {
		buckets[i].Amount = usd("0")
	}
	owed := map[string]*invoice{}
	now := a.clock.Now()
	for _, c := range claims {
		for _, p := range c.Payments {
			for _, adj := range p.Adjustments {
				if adj.Group == billing.PatientResponsibility {
					inv := owed[c.Patient]
					if inv == nil {
						inv = &invoice{Patient: c.Patient, Name: c.Name, Amount: usd("0")}
						owed[c.Patient] = inv
					}
					if inv.Amount, err = inv.Amount.Add(adj.Amount); err != nil {
						return err
					}
				}
			}
		}
		if c.Status == billing.ClaimPaid || c.Status == billing.ClaimDraft || c.Balance.IsZero() {
			continue
		}
		age := int(now.Sub(c.Service).Hours() / 24)
		i := min(age/30, 3)
		if age%30 == 0 && age > 0 {
			i = min(age/30-1, 3)
		}
		buckets[i].Claims++
		if buckets[i].Amount, err = buckets[i].Amount.Add(c.Balance); err != nil {
			return err
		}
	}
	invoices := make([]invoice, 0, len(owed))
	for _, inv := range owed {
		invoices = append(invoices, *inv)
	}
	slices.SortFunc(invoices, func(x, y invoice) int { return strings.Compare(x.Patient, y.Patient) })
	return a.page(w, s, "billing", "Billing", "billing", map[string]any{"Claims": claims, "Aging": buckets, "Invoices": invoices, "Results": r.FormValue("posted")})
}

// claimAct validates (scrubs), submits or re-opens a claim.
func (a *app) claimAct(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, id := r.Context(), r.PathValue("id")
	var c billing.Claim
	var err error
	switch r.PathValue("act") {
	case "validate":
		c, err = a.bill.Validate(ctx, id)
	case "submit":
		c, err = a.bill.Transition(ctx, id, billing.ClaimSubmitted)
	case "reopen":
		c, err = a.bill.Transition(ctx, id, billing.ClaimDraft)
	default:
		return fmt.Errorf("claim: no action %q: %w", r.PathValue("act"), ehrkit.ErrNotFound)
	}
	if err != nil {
		return err
	}
	s.setFlash(fmt.Sprintf("Claim %s is now %s.", c.ID, c.Status))
	http.Redirect(w, r, "/billing", http.StatusSeeOther)
	return nil
}

// download837 writes the validated claims as one 837P file.
func (a *app) download837(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	claims, err := a.claims(ctx)
	if err != nil {
		return err
	}
	now := a.clock.Now()
	sub := x12.Submission{
		Interchange: x12.Interchange{SenderQualifier: "ZZ", Sender: "EHRKITCLINIC", ReceiverQualifier: "ZZ", Receiver: "CLEARINGHOUSE",
			AppSender: "EHRKITCLINIC", AppReceiver: "CLEARINGHOUSE", Control: int(now.Unix() % 999999999), Time: now},
		Submitter: "EHRKIT DEMO CLINIC", SubmitterID: "EHRKIT01", Contact: "BILLING OFFICE", ContactPhone: "5555550100",
		Receiver: "CLEARINGHOUSE", ReceiverID: "CH01",
		Billing:     x12.Party{Name: "EHRKIT DEMO CLINIC", Street: "12 HARBOR ST", City: "BOSTON", State: "MA", Zip: "02139"},
		Providers:   map[string]x12.Party{renderingNPI: {Name: "WEBER", First: "LENA", Person: true}},
		Subscribers: map[string]x12.Party{},
		Payers:      map[string]x12.Party{},
	}
	for id, name := range payers {
		sub.Payers[id] = x12.Party{Name: strings.ToUpper(name)}
	}
	var ready []billing.Claim
	for _, c := range claims {
		if c.Status != billing.ClaimValidated {
			continue
		}
		p, err := a.patients.Get(ctx, patient.ID(c.Patient))
		if err != nil {
			return err
		}
		n := p.Name()
		sub.Subscribers[c.MemberID] = x12.Party{Name: strings.ToUpper(patient.Fold(n.Family)), First: strings.ToUpper(patient.Fold(strings.Join(n.Given, " "))), Person: true}
		ready = append(ready, c.Claim)
	}
	if len(ready) == 0 {
		s.setFlash("No validated claims to send.")
		http.Redirect(w, r, "/billing", http.StatusSeeOther)
		return nil
	}
	w.Header().Set("Content-Type", "application/edi-x12")
	w.Header().Set("Content-Disposition", `attachment; filename="claims-`+now.Format("20060102-1504")+`.837"`)
	return x12.Write837(w, sub, ready...)
}

// postRemittance posts an 835 remittance pasted into the form.
func (a *app) postRemittance(w http.ResponseWriter, r *http.Request, s *session) error {
	results, err := x12.Post835(r.Context(), a.bill, strings.NewReader(r.PostFormValue("remit")), "USD")
	if err != nil {
		return err
	}
	posted, failed := 0, 0
	for _, res := range results.Claims {
		if res.Err != nil {
			failed++
		} else {
			posted++
		}
	}
	s.setFlash(fmt.Sprintf("Remittance: %d payment(s) posted, %d refused.", posted, failed))
	http.Redirect(w, r, "/billing", http.StatusSeeOther)
	return nil
}

// payerRevenue is what one payer paid.
type payerRevenue struct {
	Payer  string
	Name   string
	Amount billing.Money
}

// reports shows visits by status, revenue by payer and the denial rate.
func (a *app) reports(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	claims, err := a.claims(ctx)
	if err != nil {
		return err
	}
	revenue := map[string]billing.Money{}
	adjudicated, denied := 0, 0
	for _, c := range claims {
		// Insurance payments count for the claim's payer (an 835 names the
		// payer by its own trace ids); patient payments are not revenue by payer.
		for _, p := range c.Payments {
			if p.Payer == "patient" {
				continue
			}
			sum, ok := revenue[c.Payer]
			if !ok {
				sum = usd("0")
			}
			if revenue[c.Payer], err = sum.Add(p.Amount); err != nil {
				return err
			}
		}
		switch c.Status {
		case billing.ClaimAccepted, billing.ClaimPaid, billing.ClaimAppealed:
			adjudicated++
		case billing.ClaimDenied:
			adjudicated++
			denied++
		}
	}
	var byPayer []payerRevenue
	for id, m := range revenue {
		byPayer = append(byPayer, payerRevenue{Payer: id, Name: payers[id], Amount: m})
	}
	slices.SortFunc(byPayer, func(x, y payerRevenue) int { return strings.Compare(x.Payer, y.Payer) })
	visits, err := load(func() ([]visitCount, error) { return a.visitCounts(ctx) })
	if err != nil {
		return err
	}
	rate := "—"
	if adjudicated > 0 {
		rate = fmt.Sprintf("%.0f%% (%d of %d adjudicated claims)", 100*float64(denied)/float64(adjudicated), denied, adjudicated)
	}
	return a.page(w, s, "reports", "Reports", "reports", map[string]any{"Visits": visits, "Revenue": byPayer, "DenialRate": rate})
}

// visitCount is the number of appointments in one status.
type visitCount struct {
	Status schedule.Status
	Count  int
}

// visitCounts counts the appointments of the clinic by status.
func (a *app) visitCounts(ctx context.Context) ([]visitCount, error) {
	page, err := a.store.Query(ctx, storage.Query{Type: schedule.RecordAppointment, Limit: storage.MaxLimit})
	if err != nil {
		return nil, err
	}
	counts := map[schedule.Status]int{}
	for _, rec := range page.Records {
		ap, err := schedule.AppointmentRecords.Decode(rec)
		if err != nil {
			return nil, err
		}
		counts[ap.Status]++
	}
	var out []visitCount
	for _, st := range []schedule.Status{schedule.Booked, schedule.CheckedIn, schedule.Fulfilled, schedule.NoShow, schedule.Cancelled, schedule.Proposed} {
		out = append(out, visitCount{Status: st, Count: counts[st]})
	}
	return out, nil
}
