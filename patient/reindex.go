package patient

import (
	"context"
	"slices"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// reindexBatch is the number of patient records Reindex reads and rewrites
// per transaction.
const reindexBatch = 500

// Reindex brings the index terms of every stored patient up to date with
// this version of the registry, and returns how many records it rewrote. A
// version that adds a term (TermBirthPeriod, for year and month searches)
// computes it on each write, so patients written by an earlier version lack
// it and a search on it misses them until they are written again: run
// Reindex once after upgrading. A patient whose stored terms are already
// current is left alone; the others get a new version with the same content,
// emitting TopicUpdated as any write does. It runs in transactions of
// reindexBatch patients, so it can be stopped and run again, and it is safe
// beside other writers: each patient is read and rewritten in one
// transaction, expecting the version read.
func (s *Service) Reindex(ctx context.Context) (int, error) {
	rewritten, cursor := 0, ""
	for {
		page, err := s.store.Query(ctx, storage.Query{Type: RecordType, Limit: reindexBatch, Cursor: cursor})
		if err != nil {
			return rewritten, err
		}
		var n int
		err = s.update(ctx, func(tx storage.Tx) error {
			n = 0
			for _, listed := range page.Records {
				changed, err := s.reindexOne(ctx, tx, listed.ID)
				if err != nil {
					return err
				}
				if changed {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return rewritten, err
		}
		rewritten += n
		if page.Next == "" {
			return rewritten, nil
		}
		cursor = page.Next
	}
}

// reindexOne rewrites one patient record when its stored terms differ from
// those this version computes, and reports whether it did.
func (s *Service) reindexOne(ctx context.Context, tx storage.Tx, id string) (bool, error) {
	stored, err := tx.Get(ctx, RecordType, id)
	if err != nil {
		return false, err
	}
	p, err := patients.Decode(stored)
	if err != nil {
		return false, err
	}
	rec, err := patients.Encode(&p)
	if err != nil {
		return false, err
	}
	// The facility term is the guard's when the registry sets none: the
	// rewrite keeps it, so it is no difference.
	own := stored.Terms
	if !slices.ContainsFunc(rec.Terms, isFacility) {
		own = slices.DeleteFunc(slices.Clone(own), isFacility)
	}
	if storage.SameTerms(own, rec.Terms) {
		return false, nil
	}
	written, err := tx.Put(ctx, rec, stored.Version)
	if err != nil {
		return false, err
	}
	return true, emit(ctx, tx, TopicUpdated, p.ID, written.Version, "")
}

// isFacility reports whether t is the access package's facility term.
func isFacility(t storage.Term) bool { return t.Name == access.FacilityTerm }
