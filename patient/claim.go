package patient

import (
	"context"
	"errors"
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// claimIdentifiers keeps the identifier key records of p inside tx for Save,
// as Register and Update do: p becomes the holder of each of its identifiers,
// and the identifiers of previous (the version being replaced, nil for a new
// record) that p no longer carries are released. An identifier held by
// another patient fails with *IdentifierInUseError before anything is
// written.
func claimIdentifiers(ctx context.Context, tx storage.Tx, p Patient, previous *Patient) error {
	for i, ident := range p.Identifiers {
		holder, _, err := identifierKeys.Get(ctx, tx, identifierKeyID(ident.Token()))
		switch {
		case err == nil && holder.Patient != "" && holder.Patient != p.ID:
			return &IdentifierInUseError{Index: i, System: ident.System, Patient: holder.Patient}
		case err != nil && !errors.Is(err, ehrkit.ErrNotFound):
			return err
		}
	}
	for i, ident := range p.Identifiers {
		if err := claimIdentifier(ctx, tx, p.ID, i, ident); err != nil {
			return err
		}
	}
	if previous == nil {
		return nil
	}
	for _, ident := range previous.Identifiers {
		if !slices.ContainsFunc(p.Identifiers, func(n ehrkit.Identifier) bool { return n.Token() == ident.Token() }) {
			if err := releaseIdentifier(ctx, tx, ident); err != nil {
				return err
			}
		}
	}
	return nil
}
