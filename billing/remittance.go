package billing

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// RemittanceType is the record type of remittances (FHIR
// PaymentReconciliation).
const RemittanceType = "PaymentReconciliation"

// Remittance is one payment a payer sent (an 835's check or EFT): its
// total, the claims it paid, and the adjustments it made at the provider
// level rather than on a claim (835 PLB: interest, overpayment recovery,
// withholding ...). It is recorded once per payer and trace number: a re-sent
// remittance finds it and posts nothing.
type Remittance struct {
	ID     string `json:"id"` // RemittanceID(Payer, Trace)
	Payer  string `json:"payer"`
	Trace  string `json:"trace"`            // 835 TRN02: the check or EFT trace number
	Method string `json:"method,omitempty"` // MethodEFT or MethodCheck
	// Total is the money sent (835 BPR02); it equals ClaimsPaid less the
	// provider adjustments (ASC X12N 005010X221A1, section 1.10.2.1).
	Total               Money                `json:"total"`
	ClaimsPaid          Money                `json:"claimsPaid"` // the sum of the claim payments (CLP04)
	ProviderAdjustments []ProviderAdjustment `json:"providerAdjustments,omitempty"`
	Claims              []string             `json:"claims"` // ids of the claims it paid, in order
	Recorded            time.Time            `json:"recorded"`
}

// ProviderAdjustment is a provider-level adjustment (835 PLB): a positive
// amount reduces the payment (withheld, recovered), a negative one adds to
// it (interest, a passthrough).
type ProviderAdjustment struct {
	Provider     string    `json:"provider"`              // PLB01, the provider's NPI or tax id
	FiscalPeriod time.Time `json:"fiscalPeriod,omitzero"` // PLB02, the end of the provider's fiscal year
	Reason       string    `json:"reason"`                // PLB03-1, e.g. L6 interest, WO overpayment recovery
	Reference    string    `json:"reference,omitempty"`   // PLB03-2, e.g. the claim an overpayment is recovered from
	Amount       Money     `json:"amount"`                // PLB04
}

var remittances = storage.Kind[Remittance]{
	Type: RemittanceType, Version: 1,
	Meta: func(r *Remittance) storage.Meta {
		return storage.Meta{ID: r.ID, Terms: []storage.Term{{Name: "payer", Value: r.Payer}}}
	},
}

// RemittanceRecords is a read-only view of the stored remittances.
var RemittanceRecords = remittances.View()

// RemittanceID is the record id of a payer's remittance with a trace
// number: characters a record id does not admit are replaced by '_', and a
// length prefix keeps distinct pairs distinct.
func RemittanceID(payer, trace string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < 128 && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || strings.ContainsRune("-._~:@+=", r)) {
				return r
			}
			return '_'
		}, s)
	}
	id := "era-" + strconv.Itoa(len(payer)) + "-" + clean(payer) + "|" + clean(trace)
	if len(id) > 128 {
		id = id[:128]
	}
	return id
}

// Validate lists every problem of a remittance: the payer and trace, one
// currency, and the balancing rule Total = ClaimsPaid - Σ provider
// adjustments.
func (r *Remittance) Validate() error {
	var v ehrkit.Issues
	v.Required("payer", r.Payer != "")
	v.Required("trace", r.Trace != "")
	if _, err := NewMoney(r.Total.Amount, r.Total.Currency); err != nil {
		v.Add("total.currency", ehrkit.IssueCodeInvalid, "not an ISO 4217 currency code")
	}
	v.Check(r.ClaimsPaid.Currency == r.Total.Currency, "claimsPaid", ehrkit.IssueValue, "currency differs from the total's")
	want := r.ClaimsPaid.Amount
	for i, a := range r.ProviderAdjustments {
		p := ehrkit.Index("providerAdjustments", i)
		v.Required(p+".reason", a.Reason != "")
		v.Check(a.Amount.Currency == r.Total.Currency, p+".amount", ehrkit.IssueValue, "currency differs from the total's")
		want = want.Sub(a.Amount.Amount)
	}
	v.Check(r.Total.Amount.Equal(want), "total", ehrkit.IssueInvariant, "does not balance: the total must equal the claim payments less the provider adjustments")
	return v.Err()
}

// ProviderAdjusted is the sum of the provider adjustments.
func (r Remittance) ProviderAdjusted() Money {
	t := Money{Currency: r.Total.Currency}
	for _, a := range r.ProviderAdjustments {
		t = t.plus(a.Amount)
	}
	return t
}

// Remittance returns the recorded remittance of a payer with a trace
// number, or an error matching ehrkit.ErrNotFound.
func (s *Service) Remittance(ctx context.Context, payer, trace string) (Remittance, error) {
	r, _, err := remittances.Get(ctx, s.store, RemittanceID(payer, trace))
	return r, err
}

// RecordRemittance records a remittance once, with the billing.post
// permission: it returns the recorded remittance and true, or, when the
// payer's trace number is already recorded, the earlier record and false,
// writing nothing. The check and the write are one transaction, so of two
// concurrent recordings one writes and the other conflicts.
func (s *Service) RecordRemittance(ctx context.Context, r Remittance) (Remittance, bool, error) {
	if err := r.Validate(); err != nil {
		return Remittance{}, false, err
	}
	if err := access.Require(ctx, s.store, access.PermBillingPost, ""); err != nil {
		return Remittance{}, false, err
	}
	r.ID = RemittanceID(r.Payer, r.Trace)
	r.Claims = slices.Clone(r.Claims)
	r.Recorded = s.clock.Now().UTC().Truncate(time.Microsecond)
	out, recorded := r, true
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		prev, _, err := remittances.Get(ctx, tx, r.ID)
		switch {
		case err == nil:
			out, recorded = prev, false
			return nil
		case !errors.Is(err, ehrkit.ErrNotFound):
			return err
		}
		_, err = remittances.Put(ctx, tx, &r, 0)
		return err
	})
	if err != nil {
		return Remittance{}, false, err
	}
	return out, recorded, nil
}
