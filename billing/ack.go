package billing

import (
	"context"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// SubmissionRef names the transmission a claim left in: the interchange
// (ISA13), functional group (GS06) and transaction set (ST02) of its 837.
// A 999 acknowledges a set by group and set control number.
type SubmissionRef struct {
	Interchange string    `json:"interchange"`
	Group       string    `json:"group"`
	Set         string    `json:"set"`
	Sent        time.Time `json:"sent"`
}

// key is the index term of a submission: what a 999 names.
func (r SubmissionRef) key() string { return r.Group + "/" + r.Set }

// Acknowledgement kinds.
const (
	Ack999   = "999"   // implementation acknowledgement: the 837 set's syntax
	Ack277CA = "277CA" // claim acknowledgement: the payer's front end, per claim
)

// Acknowledgement is a receiver's answer to a submitted claim: accepted or
// rejected, with where the problem is (a 999's segment ID, position and
// element) or the payer's status codes (a 277CA's STC category and status
// code).
type Acknowledgement struct {
	Kind      string    `json:"kind"`      // Ack999 or Ack277CA
	Reference string    `json:"reference"` // the acknowledgement's own control number (its ST02 or TRN02)
	Accepted  bool      `json:"accepted"`
	Segment   string    `json:"segment,omitempty"`  // 999 IK3-1: the segment in error
	Position  int       `json:"position,omitempty"` // 999 IK3-2: its position in the set
	Element   int       `json:"element,omitempty"`  // 999 IK4-1: the element in error
	Codes     []string  `json:"codes,omitempty"`    // 999 IK3-4 / IK4-3 error codes; 277CA STC01 category:status:entity
	Received  time.Time `json:"received"`
}

// Submit moves a validated claim to submitted, re-running the scrubber and
// recording the transmission it left in, so that a 999 finds it.
func (s *Service) Submit(ctx context.Context, id string, ref SubmissionRef) (Claim, error) {
	return s.change(ctx, id, func(c *Claim) error {
		if err := Scrub(*c); err != nil {
			return err
		}
		if err := transition(c, ClaimSubmitted); err != nil {
			return err
		}
		ref.Sent = s.clock.Now().UTC().Truncate(time.Microsecond)
		c.Submission = &ref
		return nil
	})
}

// SubmittedIn returns the ids of the claims that left in a transaction
// set, by its group and set control numbers (GS06, ST02).
func (s *Service) SubmittedIn(ctx context.Context, group, set string) ([]string, error) {
	var ids []string
	q := storage.Query{Type: ClaimType, Filters: []storage.Filter{{Term: "submission", Op: storage.Eq, Value: SubmissionRef{Group: group, Set: set}.key()}}}
	for c, err := range claims.All(ctx, s.store, q) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// Acknowledge records an acknowledgement on a submitted claim, with the
// billing.post permission, and applies it: a rejection moves the claim to
// rejected (to be corrected as a draft); a 277CA acceptance moves it to
// accepted. A 999 acceptance only records that the set's syntax passed. An
// acknowledgement the claim already holds (same kind and reference) is not
// recorded again; one arriving when the claim has moved on (a late 999 on
// a paid claim) is recorded without changing the status.
func (s *Service) Acknowledge(ctx context.Context, id string, a Acknowledgement) (Claim, error) {
	var v ehrkit.Issues
	v.Check(a.Kind == Ack999 || a.Kind == Ack277CA, "kind", ehrkit.IssueCodeInvalid, "not an acknowledgement kind")
	v.Required("reference", a.Reference != "")
	if err := v.Err(); err != nil {
		return Claim{}, err
	}
	return update(ctx, s.store, claims, id, func(tx storage.Tx, c *Claim) error {
		if err := access.RequireIn(ctx, tx, access.PermBillingPost, c.Patient); err != nil {
			return err
		}
		for _, b := range c.Acknowledgements {
			if b.Kind == a.Kind && b.Reference == a.Reference {
				return errUnchanged
			}
		}
		var v ehrkit.Issues
		v.Check(c.billed(), "status", ehrkit.IssueBusinessRule, "acknowledgements answer submitted claims")
		if err := v.Err(); err != nil {
			return err
		}
		a.Received = s.clock.Now().UTC().Truncate(time.Microsecond)
		a.Codes = append([]string(nil), a.Codes...)
		c.Acknowledgements = append(c.Acknowledgements, a)
		switch {
		case !a.Accepted && c.Status == ClaimSubmitted:
			c.Status = ClaimRejected
		case a.Accepted && a.Kind == Ack277CA && c.Status == ClaimSubmitted:
			c.Status = ClaimAccepted
		}
		return nil
	})
}
