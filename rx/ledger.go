package rx

import (
	"cmp"
	"context"
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
// ledger with the version it read, so two signers of the same patient
// conflict and the one that retries checks against the other's order.
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

// openLedger is a patient's ledger read inside an act, with the transaction
// of the act that writes it back.
type openLedger struct {
	act     storage.Tx
	l       ledger
	version int64
}

// readLedger reads the patient's ledger in act, the transaction returned by
// access.Act for the patient's compartment.
func readLedger(ctx context.Context, act storage.Tx, p patient.ID) (*openLedger, error) {
	// A query of the patient's compartment (which holds one ledger), not a
	// Get: the act covers the compartment, and an absent ledger is simply
	// not in it.
	page, err := act.Query(ctx, storage.Query{Type: ledgerType, Compartment: string(p), Limit: 1})
	if err != nil {
		return nil, err
	}
	ol := &openLedger{act: act, l: ledger{Patient: p}}
	if len(page.Records) > 0 {
		if ol.l, err = ledgers.Decode(page.Records[0]); err != nil {
			return nil, err
		}
		ol.version = page.Records[0].Version
	}
	return ol, nil
}

// medications returns the codes of the orders on the list.
func (ol *openLedger) medications() []ehrkit.Coding {
	out := make([]ehrkit.Coding, len(ol.l.Entries))
	for i, e := range ol.l.Entries {
		out[i] = e.Medication
	}
	return out
}

// set puts o on the list or takes it off, as its status says.
func (ol *openLedger) set(o *Order) {
	ol.l.Entries = slices.DeleteFunc(ol.l.Entries, func(e ledgerEntry) bool { return e.Order == o.ID })
	if onList(o) {
		ol.l.Entries = append(ol.l.Entries, ledgerEntry{Order: o.ID, Medication: o.Medication.Medication})
		slices.SortFunc(ol.l.Entries, func(a, b ledgerEntry) int { return cmp.Compare(a.Order, b.Order) })
	}
}

// write stores the ledger, expecting the version read.
func (ol *openLedger) write(ctx context.Context) error {
	_, err := ledgers.Put(ctx, ol.act, &ol.l, ol.version)
	return err
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
