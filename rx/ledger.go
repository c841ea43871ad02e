package rx

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// ledgerType is the record type of medication ledgers. No role reads or
// writes them directly: the service writes them inside the acts that change
// a patient's medication list (access.Act with rx.sign).
const ledgerType = "MedicationLedger"

// ledger is a patient's medication list as the drug checks at signing see
// it: every active or on-hold medication order. Every act that puts an order
// on the list (signing, importing an active order) or takes one off it
// (completing, cancelling, stopping, marking entered in error) rewrites the
// patient's ledger with the version it read, so two signers of the same
// patient conflict and the one that retries checks against the other's order.
//
// A patient's own ledger has the patient's id. A merge moves the source
// patient's ledger into the target's compartment, where it keeps its record
// id: the list of a compartment is the union of its ledgers, and changes are
// written to the patient's own one (an order is taken off whichever lists
// it).
type ledger struct {
	Patient patient.ID    `json:"patient"`
	Entries []ledgerEntry `json:"entries,omitempty"`
}

// ledgerEntry is one order on the medication list.
type ledgerEntry struct {
	Order      string        `json:"order"`
	Medication ehrkit.Coding `json:"medication"`
}

var ledgers = storage.Kind[ledger]{
	Type: ledgerType,
	Meta: func(l *ledger) storage.Meta {
		return storage.Meta{ID: string(l.Patient), Compartment: string(l.Patient)}
	},
}

// onList reports whether an order belongs on the medication list.
func onList(o *Order) bool {
	return o != nil && o.Kind == KindMedication && o.Medication != nil && (o.Status == Active || o.Status == OnHold)
}

// openLedger is the ledgers of a patient's compartment read inside an act,
// with the transaction of the act that writes them back.
type openLedger struct {
	act     storage.Tx
	own     *ledgerState // the patient's own ledger, first of all
	ledgers []*ledgerState
}

type ledgerState struct {
	id      string // the record id
	l       ledger
	version int64
	dirty   bool
}

// readLedger reads the ledgers of the patient's compartment in act, the
// transaction returned by access.Act for that compartment.
func readLedger(ctx context.Context, act storage.Tx, p patient.ID) (*openLedger, error) {
	ol := &openLedger{act: act, own: &ledgerState{id: string(p), l: ledger{Patient: p}}}
	ol.ledgers = []*ledgerState{ol.own}
	// A query of the compartment, not a Get: the act covers the compartment,
	// and an absent ledger is simply not in it.
	q := storage.Query{Type: ledgerType, Compartment: string(p), Limit: storage.MaxLimit}
	for {
		page, err := act.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			l, err := ledgers.Decode(rec)
			if err != nil {
				return nil, err
			}
			if rec.ID == string(p) {
				ol.own.l, ol.own.version = l, rec.Version
				continue
			}
			ol.ledgers = append(ol.ledgers, &ledgerState{id: rec.ID, l: l, version: rec.Version})
		}
		if page.Next == "" {
			return ol, nil
		}
		q.Cursor = page.Next
	}
}

// medications returns the codes of the orders on the list.
func (ol *openLedger) medications() []ehrkit.Coding {
	var out []ehrkit.Coding
	seen := map[string]bool{}
	for _, st := range ol.ledgers {
		for _, e := range st.l.Entries {
			if !seen[e.Order] {
				seen[e.Order] = true
				out = append(out, e.Medication)
			}
		}
	}
	return out
}

// doses returns the doses of the orders on the list, read in the act's
// transaction, for the daily dose summed across orders. An order the act
// cannot read (one of a compartment merged in, kept under its former
// patient) contributes its code to the interaction checks only.
func (ol *openLedger) doses(ctx context.Context) ([]Proposed, error) {
	var out []Proposed
	seen := map[string]bool{}
	for _, st := range ol.ledgers {
		for _, e := range st.l.Entries {
			if seen[e.Order] {
				continue
			}
			seen[e.Order] = true
			o, _, err := medicationRequests.Get(ctx, ol.act, e.Order)
			switch {
			case errors.Is(err, ehrkit.ErrNotFound) || errors.Is(err, ehrkit.ErrPermission):
				continue
			case err != nil:
				return nil, err
			}
			if onList(&o) {
				out = append(out, o.Medication.proposed())
			}
		}
	}
	return out, nil
}

// set puts o on the patient's own list or takes it off every list, as its
// status says. The own ledger is always rewritten, so that acts on one
// patient's list conflict.
func (ol *openLedger) set(o *Order) {
	for _, st := range ol.ledgers {
		n := len(st.l.Entries)
		st.l.Entries = slices.DeleteFunc(st.l.Entries, func(e ledgerEntry) bool { return e.Order == o.ID })
		st.dirty = st.dirty || len(st.l.Entries) != n
	}
	if onList(o) {
		ol.own.l.Entries = append(ol.own.l.Entries, ledgerEntry{Order: o.ID, Medication: o.Medication.Medication})
		slices.SortFunc(ol.own.l.Entries, func(a, b ledgerEntry) int { return cmp.Compare(a.Order, b.Order) })
	}
	ol.own.dirty = true
}

// write stores the changed ledgers, each expecting the version read, in id
// order (a fixed write order keeps backends that lock rows from
// deadlocking).
func (ol *openLedger) write(ctx context.Context) error {
	changed := slices.DeleteFunc(slices.Clone(ol.ledgers), func(st *ledgerState) bool { return !st.dirty })
	slices.SortFunc(changed, func(a, b *ledgerState) int { return cmp.Compare(a.id, b.id) })
	for _, st := range changed {
		rec, err := ledgers.Encode(&st.l)
		if err != nil {
			return err
		}
		rec.ID = st.id
		if _, err := ol.act.Put(ctx, rec, st.version); err != nil {
			return err
		}
	}
	return nil
}

// enter updates the medication list in tx when an order's write changes it:
// o replaces previous (nil for a new order). Changing the list is an act of
// rx.sign (access.Act).
func enter(ctx context.Context, tx storage.Tx, o, previous *Order) error {
	if !onList(o) && !onList(previous) {
		return nil
	}
	if onList(o) && onList(previous) && o.Medication.Medication == previous.Medication.Medication {
		return nil
	}
	act, err := access.Act(ctx, tx, access.PermRxSign, string(o.Patient))
	if err != nil {
		return err
	}
	ol, err := readLedger(ctx, act, o.Patient)
	if err != nil {
		return err
	}
	ol.set(o)
	return ol.write(ctx)
}
