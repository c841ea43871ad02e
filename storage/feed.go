package storage

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/ehrkit/ehrkit"
)

// CheckpointType is the record type that keeps change-feed consumer positions.
// Backends do not log writes of this type to the change feed (a consumer saving
// its position must not create work for itself).
const CheckpointType = "FeedCheckpoint"

type checkpoint struct {
	After int64 `json:"after"`
}

// Feed reads the change feed for one named consumer and keeps its position in
// the store, so a consumer resumes where it stopped after a restart. Delivery is
// at least once: the position advances only after the handler succeeded, so a
// crash in between replays the batch; handlers use Change.Key (events) or
// Type/ID/Version (records) to drop duplicates.
type Feed struct {
	store Store
	name  string
	batch int
}

// NewFeed returns the consumer name's view of the feed of store, reading batch
// changes at a time (0 means 100).
func NewFeed(store Store, name string, batch int) (*Feed, error) {
	if !ValidID(name) {
		var v ehrkit.Issues
		v.Add("name", ehrkit.IssueValue, "malformed consumer name")
		return nil, v.Err()
	}
	if batch <= 0 {
		batch = 100
	}
	return &Feed{store: store, name: name, batch: batch}, nil
}

// Position returns the sequence number of the last change handled (0 before
// the first Poll) and the version of the checkpoint record that holds it (0
// when there is none yet), which Poll expects when it moves the position.
func (f *Feed) Position(ctx context.Context) (seq, version int64, err error) {
	rec, err := f.store.Get(ctx, CheckpointType, f.name)
	if errors.Is(err, ehrkit.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var c checkpoint
	if err := json.Unmarshal(rec.Value, &c); err != nil {
		return 0, 0, Errorf("feed", CheckpointType, f.name, ehrkit.ErrInvalid, "%w", err)
	}
	return c.After, rec.Version, nil
}

// Poll hands the next batch of changes to handle, then records the new
// position. It returns how many changes were handled; 0 means the consumer is
// up to date. If handle fails, the position does not move and the error is
// returned. Two processes polling one consumer name are serialised by the
// checkpoint's version: the slower one gets ErrConflict.
func (f *Feed) Poll(ctx context.Context, handle func(ctx context.Context, changes []Change) error) (int, error) {
	after, version, err := f.Position(ctx)
	if err != nil {
		return 0, err
	}
	changes, err := f.store.Changes(ctx, after, f.batch)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	if err := handle(ctx, changes); err != nil {
		return 0, err
	}
	b, _ := json.Marshal(checkpoint{After: changes[len(changes)-1].Seq})
	err = f.store.Update(ctx, func(tx Tx) error {
		_, err := tx.Put(ctx, Record{Type: CheckpointType, ID: f.name, Value: b}, version)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(changes), nil
}
