package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
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
		if c.Submission != nil {
			t = append(t, storage.Term{Name: "submission", Value: c.Submission.key()})
		}
		return storage.Meta{ID: c.ID, Compartment: c.Patient, Terms: t}
	},
}

// ClaimRecords is a read-only view of the stored claims, for packages that
// read them in their own transactions (an 837 writer, a report).
var ClaimRecords = claims.View()

// Groups returns the record-type groups of billing for an access policy
// (access.DefaultPolicy): claims, remittances, invoices and accounts are billing records, coverages the
// patient's insurance. Each call returns fresh slices.
func Groups() []access.Group {
	return []access.Group{
		{Class: access.ClassBilling, Types: []string{ClaimType, RemittanceType, InvoiceType, AccountType}},
		{Class: access.ClassCoverage, Types: []string{CoverageType}},
	}
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

// WithClock sets the clock used for posting times. A nil clock keeps the system clock.
func WithClock(c ehrkit.Clock) Option { return func(s *Service) { s.clock = ehrkit.OrRealClock(c) } }

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
// may not move it to another patient. The id is the caller's; the claim's
// invoice link (Claim.Invoice) is kept as stored, and so are its payments
// and status when the claim saved carries no payments (a FHIR Claim holds
// none: re-importing it does not erase what was posted).
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
		c.Invoice = "" // the invoice link is the billing service's (CreateInvoice)
		if previous != nil {
			c.Invoice = previous.Invoice
			if len(c.Payments) == 0 && len(previous.Payments) > 0 {
				c.Payments, c.Status = previous.Payments, previous.Status
			}
		}
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
	c.Status, c.Payments, c.Submission, c.Acknowledgements, c.Invoice = ClaimDraft, nil, nil, nil, ""
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

// change reads a claim, applies fn and writes it back in one transaction
// (update).
func (s *Service) change(ctx context.Context, id string, fn func(c *Claim) error) (Claim, error) {
	return update(ctx, s.store, claims, id, func(_ storage.Tx, c *Claim) error { return fn(c) })
}

// update runs modify in a transaction of store.
func update[T any](ctx context.Context, store storage.Store, k storage.Kind[T], id string, fn func(tx storage.Tx, v *T) error) (T, error) {
	var out T
	err := store.Update(ctx, func(tx storage.Tx) (err error) {
		out, err = modify(ctx, tx, k, id, fn)
		return err
	})
	return out, err
}

// modify reads a record in tx, applies fn and writes it back expecting the
// version it read, so a competing change conflicts (ehrkit.ErrConflict)
// rather than being lost. When fn returns errUnchanged nothing is written.
// It returns the value as it stands.
func modify[T any](ctx context.Context, tx storage.Tx, k storage.Kind[T], id string, fn func(tx storage.Tx, v *T) error) (T, error) {
	v, version, err := k.Get(ctx, tx, id)
	if err != nil {
		return v, err
	}
	before := v
	if err := fn(tx, &v); errors.Is(err, errUnchanged) {
		return before, nil
	} else if err != nil {
		return before, err
	}
	_, err = k.Put(ctx, tx, &v, version)
	return v, err
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
// payment whose reference and payer the claim already holds (a re-sent 835
// with the same check or EFT trace) is not posted again. A payment carrying
// a payer's adjudication moves the claim to paid or denied where the
// lifecycle allows (a submitted claim is accepted on the way). A refund
// (method "refund", negative amount) may not exceed the credit the claim
// holds: the overpaid balance, and for a refund to the patient the patient's
// own overpayment. While the patient's share is on an open invoice, the
// patient pays the invoice (PostInvoicePayment), not the claim, and a
// payer's later payment re-states the invoice's line for the claim in the
// same transaction (restate). The payment and the claim's ledger are written
// in one transaction on the claim record, so concurrent postings conflict
// and the loser re-checks.
func (s *Service) PostPayment(ctx context.Context, claimID string, p Payment) (Claim, error) {
	p.Posted = time.Time{}
	return update(ctx, s.store, claims, claimID, func(tx storage.Tx, c *Claim) error { return s.post(ctx, tx, c, p) })
}

// PostPaymentTx posts a payment as PostPayment does, inside the caller's
// transaction (the transaction-scoped entry point for importers: a FHIR
// ExplanationOfBenefit), and says whether it was posted (storage.Updated)
// or already held (storage.Unchanged). A payment whose Posted time is set
// keeps it (the day a payer adjudicated, as the source says); otherwise it
// is posted now.
func (s *Service) PostPaymentTx(ctx context.Context, tx storage.Tx, claimID string, p Payment) (storage.Outcome, error) {
	out := storage.Unchanged
	_, err := modify(ctx, tx, claims, claimID, func(tx storage.Tx, c *Claim) error {
		if err := s.post(ctx, tx, c, p); err != nil {
			return err
		}
		out = storage.Updated
		return nil
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

// post applies payment p to claim c read in tx (PostPayment).
func (s *Service) post(ctx context.Context, tx storage.Tx, c *Claim, p Payment) error {
	if err := access.RequireIn(ctx, tx, access.PermBillingPost, c.Patient); err != nil {
		return err
	}
	for _, q := range c.Payments {
		if q.Reference == p.Reference && q.Payer == p.Payer {
			return errUnchanged
		}
	}
	if err := validatePayment(c, p); err != nil {
		return err
	}
	if p.Payer == PatientPayer && c.Invoice != "" {
		var v ehrkit.Issues
		v.Add("payer", ehrkit.IssueBusinessRule, "the patient's share is on an open invoice: post to the invoice")
		return v.Err()
	}
	if p.Method == MethodRefund {
		if err := checkCredit(c, p); err != nil {
			return err
		}
	}
	if p.Posted.IsZero() {
		p.Posted = s.clock.Now()
	}
	p.Posted = p.Posted.UTC().Truncate(time.Microsecond)
	c.Payments = append(c.Payments, p)
	adjudicate(c, p.Adjudication)
	return restate(ctx, tx, c)
}

// checkCredit refuses a refund larger than the credit the claim holds.
func checkCredit(c *Claim, p Payment) error {
	l, err := c.Ledger()
	if err != nil {
		return err
	}
	refund := p.Amount.Amount.Neg()
	var v ehrkit.Issues
	v.Check(refund.LessThanOrEqual(l.Balance().Amount.Neg()), "amount", ehrkit.IssueBusinessRule, "refund exceeds the credit on the claim")
	if p.Payer == PatientPayer {
		v.Check(refund.LessThanOrEqual(l.PatientDue().Amount.Neg()), "amount", ehrkit.IssueBusinessRule, "refund exceeds what the patient overpaid")
	}
	return v.Err()
}

// each runs fn over the stored values of a kind the query selects,
// stopping at the first read error.
func each[T any](ctx context.Context, store storage.Store, k storage.Kind[T], q storage.Query, fn func(iter.Seq[T]) error) error {
	q.Type = k.Type
	var readErr error
	err := fn(func(yield func(T) bool) {
		for v, err := range k.All(ctx, store, q) {
			if err != nil {
				readErr = err
				return
			}
			if !yield(v) {
				return
			}
		}
	})
	return cmp.Or(readErr, err)
}

// Statement builds a patient's statement from the stored claims and
// invoices (NewStatement).
func (s *Service) Statement(ctx context.Context, patientID string, asOf time.Time, currency string) (Statement, error) {
	var st Statement
	q := storage.Query{Compartment: patientID}
	err := each(ctx, s.store, claims, q, func(cs iter.Seq[Claim]) error {
		return each(ctx, s.store, invoices, q, func(is iter.Seq[Invoice]) (err error) {
			st, err = NewStatement(patientID, cs, is, asOf, currency)
			return err
		})
	})
	return st, err
}

// Receivables ages the stored claims' and invoices' balances
// (AgeReceivables).
func (s *Service) Receivables(ctx context.Context, asOf time.Time, currency string) (Aging, error) {
	var a Aging
	err := each(ctx, s.store, claims, storage.Query{}, func(cs iter.Seq[Claim]) error {
		return each(ctx, s.store, invoices, storage.Query{}, func(is iter.Seq[Invoice]) (err error) {
			a, err = AgeReceivables(cs, is, asOf, currency)
			return err
		})
	})
	return a, err
}

// Report summarizes the stored claims and invoices over [from, to)
// (Summarize).
func (s *Service) Report(ctx context.Context, from, to time.Time, currency string) (Report, error) {
	var r Report
	err := each(ctx, s.store, claims, storage.Query{}, func(cs iter.Seq[Claim]) error {
		return each(ctx, s.store, invoices, storage.Query{}, func(is iter.Seq[Invoice]) (err error) {
			r, err = Summarize(cs, is, from, to, currency)
			return err
		})
	})
	return r, err
}
