package x12

import (
	"context"
	"fmt"
	"io"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
)

// PostResult is what Post835 did with one claim payment.
type PostResult struct {
	ClaimID string
	Trace   string
	// Duplicate is true when the remittance was recorded before (a re-sent
	// 835): nothing was posted.
	Duplicate bool
	// Warnings name the service lines matched with modifiers the payer
	// dropped, and the lines matched to no charge (their money and
	// adjustments post at claim level). They hold line numbers and codes,
	// never patient data.
	Warnings []string
	Err      error // nil when posted (or already posted: posting is idempotent)
}

// RemitResult is what Post835 did with one remittance (one 835 set).
type RemitResult struct {
	Remittance billing.Remittance
	Recorded   bool // false for a re-sent remittance found recorded
	Err        error
}

// Posting is the outcome of Post835.
type Posting struct {
	Claims      []PostResult
	Remittances []RemitResult
}

// Post835 posts an 835 stream through the billing service. For each
// transaction set it first looks up the payer's trace number (TRN02,
// TRN03): a remittance already recorded posts nothing (its claims are
// reported Duplicate). Otherwise every claim payment posts to the claim it
// names (CLP01) with billing.Service.PostPayment — the trace is the
// payment's reference, so even a remittance interrupted half-way posts each
// claim once when re-sent — with its service lines matched to the claim's
// charges by billing.MatchLine, and the payer's decision (CLP02). At the
// set's end the remittance is recorded with its provider-level adjustments
// (PLB) and the balancing rule checked (billing.Remittance.Validate) — only
// when every claim payment of the set posted, so that re-sending a
// remittance after fixing what failed posts the rest. A
// claim payment that cannot be posted (unknown claim, wrong status) is
// reported in its result and the others still post; a syntax error in the
// stream stops the reading and is returned.
func Post835(ctx context.Context, svc *billing.Service, r io.Reader, currency string, opts ...Option) (Posting, error) {
	var (
		out    Posting
		head   remitHeader
		dup    bool
		failed int // claim payments of the set not posted
		rem    billing.Remittance
	)
	err := walk835(r, currency, opts, remitHandler{
		header: func(h remitHeader) bool {
			head = h
			rem = billing.Remittance{Payer: h.Payer, Trace: h.Trace, Method: h.Method, Total: h.Total,
				ClaimsPaid: billing.Money{Currency: currency}}
			_, err := svc.Remittance(ctx, h.Payer, h.Trace)
			dup, failed = err == nil, 0
			return true
		},
		claim: func(cp ClaimPayment) bool {
			res := PostResult{ClaimID: cp.ClaimID, Trace: cp.Trace, Duplicate: dup}
			if !dup {
				rem.Claims = append(rem.Claims, cp.ClaimID)
				if sum, err := rem.ClaimsPaid.Add(cp.Paid); err == nil {
					rem.ClaimsPaid = sum
				}
				res.Warnings, res.Err = postClaim(ctx, svc, cp, head.Method)
				if res.Err != nil {
					failed++
				}
			}
			out.Claims = append(out.Claims, res)
			return true
		},
		end: func(plb []billing.ProviderAdjustment) bool {
			if dup {
				found, err := svc.Remittance(ctx, head.Payer, head.Trace)
				out.Remittances = append(out.Remittances, RemitResult{Remittance: found, Err: err})
				return true
			}
			rem.ProviderAdjustments = plb
			if failed > 0 {
				err := fmt.Errorf("x12: remittance not recorded: %d claim payments did not post (re-sending it posts them, the others once): %w", failed, ehrkit.ErrFailedPrecondition)
				out.Remittances = append(out.Remittances, RemitResult{Remittance: rem, Err: err})
				return true
			}
			got, recorded, err := svc.RecordRemittance(ctx, rem)
			out.Remittances = append(out.Remittances, RemitResult{Remittance: got, Recorded: recorded, Err: err})
			return true
		},
	})
	return out, err
}

// postClaim posts one claim payment, its service lines matched to the
// claim's charges.
func postClaim(ctx context.Context, svc *billing.Service, cp ClaimPayment, method string) ([]string, error) {
	c, err := svc.Claim(ctx, cp.ClaimID)
	if err != nil {
		return nil, err
	}
	p := billing.Payment{Reference: cp.Trace, Payer: cp.Payer, Method: method, Amount: cp.Paid,
		Adjustments: cp.Adjustments, Adjudication: cp.Adjudication()}
	var warnings []string
	taken := make([]bool, len(c.Charges))
	for i, sp := range cp.Lines {
		code, mods := sp.Billed()
		j, how := billing.MatchLine(c, code, mods, sp.Date, taken)
		switch how {
		case billing.Unmatched:
			warnings = append(warnings, fmt.Sprintf("service line %d (%s): no charge of the claim matches; posted at claim level", i+1, code))
			p.Adjustments = append(p.Adjustments, sp.Adjustments...)
			continue
		case billing.MatchedModifiersDropped:
			warnings = append(warnings, fmt.Sprintf("service line %d (%s): the payer dropped modifiers; matched to charge %d by code", i+1, code, j+1))
		}
		taken[j] = true
		p.Lines = append(p.Lines, billing.LinePayment{Line: j, Paid: sp.Paid, Adjustments: sp.Adjustments,
			ModifiersDropped: how == billing.MatchedModifiersDropped})
	}
	_, err = svc.PostPayment(ctx, cp.ClaimID, p)
	return warnings, err
}
