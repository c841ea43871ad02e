package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// ClaimType is the record type of claims (FHIR Claim).
const ClaimType = "Claim"

var claims = storage.Kind[Claim]{
	Type: ClaimType, Version: 1,
	Meta: func(c *Claim) storage.Meta {
		t := []storage.Term{{Name: "status", Value: string(c.Status)}}
		if c.Payer != "" {
			t = append(t, storage.Term{Name: "payer", Value: c.Payer})
		}
		return storage.Meta{ID: c.ID, Compartment: c.Patient, Terms: t}
	},
}

// ClaimRecords is a read-only view of the stored claims, for packages that
// read them in their own transactions (an 837 writer, a report).
var ClaimRecords = claims.View()

// Groups returns the record-type groups of billing for an access policy
// (access.DefaultPolicy): claims are billing records, coverages the
// patient's insurance. Each call returns fresh slices.
func Groups() []access.Group {
	return []access.Group{
		{Class: access.ClassBilling, Types: []string{ClaimType}},
		{Class: access.ClassCoverage, Types: []string{CoverageType}},
	}
}

// Payment is money received against a claim: an insurance payment (the
// reference is the check or EFT trace number, TRN02 of an 835) or a patient
// payment (the receipt or card reference), with the payer's adjustments.
type Payment struct {
	Reference   string       `json:"reference"`
	Payer       string       `json:"payer"` // payer id, or "patient"
	Amount      Money        `json:"amount"`
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	Posted      time.Time    `json:"posted"`
}

// Adjustment is a payer's claim adjustment (X12 CAS): a group code (CO
// contractual obligation, PR patient responsibility, OA other, PI payer
// initiated, CR correction), a CARC reason code and the amount.
type Adjustment struct {
	Group  string `json:"group"`
	Reason string `json:"reason"`
	Amount Money  `json:"amount"`
}

// PatientResponsibility is the group code of adjustments the patient owes:
// they move the amount to the patient rather than writing it off.
const PatientResponsibility = "PR"

// Balance is what remains due on the claim: its total less payments and
// the adjustments written off, exact. Patient-responsibility adjustments (PR)
// stay in the balance: the patient owes them.
func (c Claim) Balance() (Money, error) {
	b, err := c.Total()
	if err != nil {
		return Money{}, err
	}
	for _, p := range c.Payments {
		if b, err = b.Sub(p.Amount); err != nil {
			return Money{}, err
		}
		for _, a := range p.Adjustments {
			if a.Group == PatientResponsibility {
				continue
			}
			if b, err = b.Sub(a.Amount); err != nil {
				return Money{}, err
			}
		}
	}
	return b, nil
}

// Validate checks what every stored claim needs, whatever its status: an id
// form, a patient, a known status and currency. Scrub checks what a claim
// needs before submission.
func (c *Claim) Validate() error {
	var v ehrkit.Issues
	v.Check(c.ID == "" || storage.ValidID(c.ID), "id", ehrkit.IssueValue, "not a valid record id")
	v.Required("patient", c.Patient != "")
	_, known := transitions[c.Status]
	v.Check(known, "status", ehrkit.IssueCodeInvalid, "not a claim status")
	if _, err := NewMoney(decimal.Zero, c.Currency); err != nil {
		v.Add("currency", ehrkit.IssueCodeInvalid, "not an ISO 4217 currency code")
	}
	return v.Err()
}

// Service stores claims and posts payments on a store. Safe for concurrent
// use.
type Service struct {
	store storage.Store
	clock ehrkit.Clock
	ids   ehrkit.IDGenerator
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used for posting times.
func WithClock(c ehrkit.Clock) Option { return func(s *Service) { s.clock = c } }

// WithIDs sets the generator of claim ids.
func WithIDs(g ehrkit.IDGenerator) Option { return func(s *Service) { s.ids = g } }

// NewService returns a service storing in store.
func NewService(store storage.Store, opts ...Option) *Service {
	s := &Service{store: store, clock: ehrkit.RealClock{}, ids: ehrkit.NewIDs(nil)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Store returns the store the service writes to, for callers composing a
// transaction with SaveClaim.
func (s *Service) Store() storage.Store { return s.store }

// SaveClaim stores a claim as given inside the caller's transaction (the
// transaction-scoped entry point for importers): the claim is validated, its
// patient checked in tx (it exists and was not merged away), and an update
// may not move it to another patient. The id is the caller's.
func (s *Service) SaveClaim(ctx context.Context, tx storage.Tx, c Claim) (storage.Outcome, error) {
	if err := ehrkit.Tolerate(ctx, c.Validate()); err != nil {
		return "", err
	}
	var is ehrkit.Issues
	if err := patient.CheckRef(ctx, tx, patient.ID(c.Patient), "patient", &is); err != nil {
		return "", err
	}
	if err := is.Err(); err != nil {
		return "", err
	}
	return claims.Save(ctx, tx, &c, func(previous *Claim) error {
		if previous == nil || previous.Patient == c.Patient {
			return nil
		}
		var is ehrkit.Issues
		is.Add("patient", ehrkit.IssueInvariant, "cannot change")
		return is.Err()
	})
}

// CreateClaim stores a new draft claim and returns it with its id.
func (s *Service) CreateClaim(ctx context.Context, c Claim) (Claim, error) {
	if c.ID == "" {
		c.ID = s.ids.NewID()
	}
	c.Status, c.Payments = ClaimDraft, nil
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		_, err := s.SaveClaim(ctx, tx, c)
		return err
	})
	return c, err
}

// Claim returns a stored claim.
func (s *Service) Claim(ctx context.Context, id string) (Claim, error) {
	c, _, err := claims.Get(ctx, s.store, id)
	return c, err
}

// errUnchanged tells change that fn left the claim as it was.
var errUnchanged = errors.New("unchanged")

// change reads a claim, applies fn and writes it back in one transaction, so
// a competing change conflicts (ehrkit.ErrConflict) rather than being lost.
func (s *Service) change(ctx context.Context, id string, fn func(c *Claim) error) (Claim, error) {
	var out Claim
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		c, version, err := claims.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		out = c
		if err := fn(&c); errors.Is(err, errUnchanged) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := claims.Put(ctx, tx, &c, version); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// Validate scrubs a draft claim and marks it validated; a claim with
// problems stays a draft and the *ehrkit.ValidationError lists them all.
func (s *Service) Validate(ctx context.Context, id string) (Claim, error) {
	return s.change(ctx, id, func(c *Claim) error {
		if err := transition(c, ClaimValidated); err != nil {
			return err
		}
		return Scrub(*c)
	})
}

// Transition moves a claim along its lifecycle (CanTransition); leaving
// validated for submitted re-runs the scrubber.
func (s *Service) Transition(ctx context.Context, id string, to ClaimStatus) (Claim, error) {
	return s.change(ctx, id, func(c *Claim) error {
		if to == ClaimSubmitted {
			if err := Scrub(*c); err != nil {
				return err
			}
		}
		return transition(c, to)
	})
}

func transition(c *Claim, to ClaimStatus) error {
	if !CanTransition(c.Status, to) {
		return fmt.Errorf("billing: claim cannot go from %s to %s: %w", c.Status, to, ehrkit.ErrFailedPrecondition)
	}
	c.Status = to
	return nil
}

// PostPayment records a payment against a claim, with the billing.post
// permission, and returns the claim. Posting is idempotent by reference: a
// payment whose reference the claim already holds (a re-sent 835 with the
// same check or EFT trace) is not posted again. The payment and the claim's
// ledger are written in one transaction on the claim record, so concurrent
// postings conflict and the loser re-checks.
func (s *Service) PostPayment(ctx context.Context, claimID string, p Payment) (Claim, error) {
	var v ehrkit.Issues
	v.Required("reference", p.Reference != "")
	v.Required("payer", p.Payer != "")
	v.Check(!p.Amount.Amount.IsNegative(), "amount", ehrkit.IssueValue, "must not be negative")
	if err := v.Err(); err != nil {
		return Claim{}, err
	}
	return s.change(ctx, claimID, func(c *Claim) error {
		if err := access.Require(ctx, s.store, access.PermBillingPost, c.Patient); err != nil {
			return err
		}
		for _, q := range c.Payments {
			if q.Reference == p.Reference && q.Payer == p.Payer {
				return errUnchanged
			}
		}
		var v ehrkit.Issues
		v.Check(p.Amount.Currency == c.Currency, "amount", ehrkit.IssueValue, "currency differs from the claim's")
		for i, a := range p.Adjustments {
			v.Check(a.Amount.Currency == c.Currency, ehrkit.Index("adjustments", i)+".amount", ehrkit.IssueValue, "currency differs from the claim's")
			v.Required(ehrkit.Index("adjustments", i)+".group", a.Group != "")
		}
		v.Check(c.Status != ClaimDraft && c.Status != ClaimValidated, "status", ehrkit.IssueBusinessRule, "payments post to submitted claims")
		if err := v.Err(); err != nil {
			return err
		}
		p.Posted = s.clock.Now().UTC().Truncate(time.Microsecond)
		c.Payments = append(c.Payments, p)
		return nil
	})
}
