package rx

import (
	"context"
	"fmt"
	"slices"

	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// ListError reports where a patient's medication list (what signing checks
// against) and the patient's orders disagree. It names order ids only.
type ListError struct {
	Patient patient.ID
	// Unlisted are active or on-hold medication orders missing from the list:
	// signing would not see them.
	Unlisted []string
	// Extra are orders on the list that are not active or on-hold medication
	// orders of the patient.
	Extra []string
}

// Error returns the patient id and the counts.
func (e *ListError) Error() string {
	return fmt.Sprintf("rx: medication list of patient %s disagrees with its orders: %d unlisted, %d extra", e.Patient, len(e.Unlisted), len(e.Extra))
}

// VerifyList reads the medication list of the patient's compartment and the
// compartment's orders in r and checks that the list holds exactly the active
// and on-hold medication orders. It returns nil or a *ListError. It reads the
// list's records directly, so r is an unguarded store or a transaction of one
// (a recovery check, a test harness); the service keeps the two in step in
// every act.
func VerifyList(ctx context.Context, r storage.Reader, p patient.ID) error {
	orders, err := ordersIn(ctx, r, p)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for i := range orders {
		if onList(&orders[i]) {
			want[orders[i].ID] = true
		}
	}
	e := ListError{Patient: p}
	listed := map[string]bool{}
	for l, err := range ledgers.All(ctx, r, storage.Query{Compartment: string(p), Limit: storage.MaxLimit}) {
		if err != nil {
			return err
		}
		for _, en := range l.Entries {
			if listed[en.Order] {
				continue
			}
			listed[en.Order] = true
			if !want[en.Order] {
				e.Extra = append(e.Extra, en.Order)
			}
		}
	}
	for id := range want {
		if !listed[id] {
			e.Unlisted = append(e.Unlisted, id)
		}
	}
	if len(e.Unlisted)+len(e.Extra) == 0 {
		return nil
	}
	slices.Sort(e.Unlisted)
	slices.Sort(e.Extra)
	return &e
}
