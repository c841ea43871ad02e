package rx

import (
	"cmp"
	"context"
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

func init() { patient.RegisterMergeCheck(checkMerge) }

// checkMerge is rx's patient.MergeCheck: a merge must not bring two
// interacting medication orders onto one chart unacknowledged, as signing
// must not (DESIGN rule 6). Inside the merge's transaction it reads the
// medication lists (ledgers) of both compartments and checks every order on
// the source's list against every order on the target's with the shipped
// knowledge base, as signing checks an order against the list; the pairs
// with an interruptive drug-drug alert are the findings. Orders on one chart
// were checked when they were signed and are not checked again.
//
// When the source's list is not empty it rewrites the target's own ledger,
// unchanged, expecting the version it read: a signer of either patient
// racing the merge writes one of the ledgers the merge writes (the merge
// moves the source's), so one of the two conflicts and, retried, sees the
// other.
func checkMerge(ctx context.Context, tx storage.Tx, source, target patient.ID) ([]patient.MergeFinding, error) {
	src, err := readLedger(ctx, tx, source)
	if err != nil {
		return nil, err
	}
	from := listEntries(src)
	if len(from) == 0 {
		return nil, nil
	}
	tgt, err := readLedger(ctx, tx, target)
	if err != nil {
		return nil, err
	}
	tgt.own.dirty = true
	if err := tgt.write(ctx); err != nil {
		return nil, err
	}
	kb := Shipped()
	var out []patient.MergeFinding
	for _, s := range from {
		for _, t := range listEntries(tgt) {
			var rules []string
			for _, a := range Check(kb, Input{Active: []ehrkit.Coding{t.Medication}, Orders: []Proposed{{Medication: s.Medication}}}).Interrupting() {
				if a.Kind == DrugDrug {
					rules = append(rules, a.Rule)
				}
			}
			if len(rules) > 0 {
				out = append(out, patient.MergeFinding{
					Source: MedicationRequestType + "/" + s.Order, Target: MedicationRequestType + "/" + t.Order, Rules: rules,
				})
			}
		}
	}
	return out, nil
}

// listEntries returns the orders on the lists of a compartment, each once,
// in order id order.
func listEntries(ol *openLedger) []ledgerEntry {
	var out []ledgerEntry
	for _, st := range ol.ledgers {
		out = append(out, st.l.Entries...)
	}
	slices.SortFunc(out, func(a, b ledgerEntry) int { return cmp.Compare(a.Order, b.Order) })
	return slices.CompactFunc(out, func(a, b ledgerEntry) bool { return a.Order == b.Order })
}
