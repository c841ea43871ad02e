package patient

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// A MergeCheck looks, inside a merge's transaction, for what the merge would
// bring together on one chart that must not be there unacknowledged: two
// interacting active medication orders, one on each patient's chart. It reads
// through tx (the merge's act on both compartments) and writes there what
// makes competing writers conflict with the merge (the check is atomic with
// the merge). It returns the findings, ids and rule ids only; none means the
// merge may go ahead.
//
// Packages above patient install theirs with RegisterMergeCheck (rx does, for
// its medication lists), so every Merge runs them, whoever built the Service.
type MergeCheck func(ctx context.Context, tx storage.Tx, source, target ID) ([]MergeFinding, error)

// MergeFinding is one pair a merge would bring onto one chart: the record of
// the source patient and the record of the target patient, and the ids of
// the knowledge rules that make them a hazard together.
type MergeFinding struct {
	Source string   `json:"source"` // e.g. MedicationRequest/o-1, on the source's chart
	Target string   `json:"target"` // on the target's chart
	Rules  []string `json:"rules"`
}

// MergeOverride is the acknowledgement that lets a merge bring the findings
// of its checks onto one chart, recorded with the merge as an order-signing
// override is with the order.
type MergeOverride struct {
	Reason string    `json:"reason"`
	By     string    `json:"by"` // who acknowledged: a principal id
	At     time.Time `json:"at"`
	// Findings are the pairs overridden.
	Findings []MergeFinding `json:"findings"`
}

// MergeRecords is the read-only view of merge records, for checkers that
// read what merges did and which overrides they carry; writes go through
// Merge and Unmerge.
var MergeRecords = merges.View()

// MergeOption configures one Merge.
type MergeOption func(*mergeOptions)

type mergeOptions struct{ override *MergeOverride }

// WithMergeOverride acknowledges whatever the merge checks find (interacting
// medication orders on the two charts): reason says why, by who decided.
// Both are required. Used only when a check finds something, which then
// also needs the rx.override permission on both compartments; the override is
// kept in the MergeRecord and audited.
func WithMergeOverride(reason, by string) MergeOption {
	return func(o *mergeOptions) { o.override = &MergeOverride{Reason: reason, By: by} }
}

// MergeHazardError refuses a merge whose checks found pairs that need an
// override (WithMergeOverride). It wraps ehrkit.ErrFailedPrecondition and
// lists every pair; nothing was written.
type MergeHazardError struct {
	Source, Target ID
	Findings       []MergeFinding
}

// Error names the patients and the pairs: ids and rule ids only.
func (e *MergeHazardError) Error() string {
	pairs := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		pairs[i] = f.Source + "+" + f.Target + " (" + strings.Join(f.Rules, ",") + ")"
	}
	return fmt.Sprintf("patient: merging Patient/%s into Patient/%s brings %d interacting pair(s) onto one chart: %s; the merge needs an override",
		e.Source, e.Target, len(e.Findings), strings.Join(pairs, "; "))
}

// Unwrap makes errors.Is(err, ehrkit.ErrFailedPrecondition) true.
func (e *MergeHazardError) Unwrap() error { return ehrkit.ErrFailedPrecondition }

// registry holds the checks packages above patient install from their init
// functions.
type registry[C any] struct {
	mu   sync.RWMutex
	list []C
}

func (r *registry[C]) add(c C) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, c)
}

func (r *registry[C]) all() []C {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.list
}

var mergeChecks registry[MergeCheck]

// RegisterMergeCheck installs a check every Merge of every Service runs
// inside its transaction. It is meant to be called from the init function of
// the package that owns the records checked.
func RegisterMergeCheck(c MergeCheck) { mergeChecks.add(c) }

// runMergeChecks runs every registered check in tx and returns all findings.
func runMergeChecks(ctx context.Context, tx storage.Tx, source, target ID) ([]MergeFinding, error) {
	var out []MergeFinding
	for _, c := range mergeChecks.all() {
		f, err := c(ctx, tx, source, target)
		if err != nil {
			return nil, err
		}
		out = append(out, f...)
	}
	return out, nil
}

// validate names every missing part of an override.
func (o *MergeOverride) validate() error {
	var v ehrkit.Issues
	v.Required("override.reason", strings.TrimSpace(o.Reason) != "")
	v.Required("override.by", strings.TrimSpace(o.By) != "")
	return v.Err()
}

// guard runs the merge checks in tx (the merge's act) and, when they find
// pairs, refuses the merge without an override, or records the override:
// the rx.override permission on both compartments, the audit note, and the
// override on m.
func (s *Service) guard(ctx context.Context, tx storage.Tx, m *MergeRecord, o *mergeOptions) error {
	findings, err := runMergeChecks(ctx, tx, m.Source, m.Target)
	if err != nil || len(findings) == 0 {
		return err
	}
	if o.override == nil {
		return &MergeHazardError{Source: m.Source, Target: m.Target, Findings: findings}
	}
	if _, err := access.Act(ctx, tx, access.PermRxOverride, string(m.Source), string(m.Target)); err != nil {
		return err
	}
	ov := *o.override
	ov.At, ov.Findings = m.Merged, findings
	m.Override = &ov
	var pairs []string
	for _, f := range findings {
		pairs = append(pairs, f.Source+"+"+f.Target)
	}
	for _, id := range []ID{m.Source, m.Target} {
		if err := access.Note(ctx, tx, string(access.PermRxOverride), string(id), MergeRecordType+" "+m.ID+" pairs "+strings.Join(pairs, ",")); err != nil {
			return err
		}
	}
	return nil
}
