package fhir

import (
	"context"

	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// cachedTypes are the record types a batch's resources name over and over:
// every observation, condition or procedure of a patient has the domain
// services read the patient (and often the encounter) again for their
// referential and age checks.
var cachedTypes = map[string]bool{patient.RecordType: true, clinical.EncounterType: true}

// readCache is the transaction of one import batch, remembering the records
// of cachedTypes it has read so that a batch reads each at most once. Within
// one transaction a record changes only by that transaction's writes: those
// made through the cache forget the record, and the importer forgets each
// value it saves (a service may write through the transaction of its act,
// beneath the cache). The first read of a record goes to the transaction
// beneath, so the store's permission checks and audit apply to it.
type readCache struct {
	storage.Tx
	got map[[2]string]storage.Record
}

func newReadCache(tx storage.Tx) *readCache {
	return &readCache{Tx: tx, got: map[[2]string]storage.Record{}}
}

// Get reads a record, from memory when the batch has read it already.
func (c *readCache) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	k := [2]string{typ, id}
	if r, ok := c.got[k]; ok {
		return r, nil
	}
	r, err := c.Tx.Get(ctx, typ, id)
	if err == nil && cachedTypes[typ] {
		c.got[k] = r
	}
	return r, err
}

// Put writes through and forgets the record.
func (c *readCache) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	c.forget(rec.Type, rec.ID)
	return c.Tx.Put(ctx, rec, expect)
}

// Delete writes through and forgets the record.
func (c *readCache) Delete(ctx context.Context, typ, id string, expect int64) error {
	c.forget(typ, id)
	return c.Tx.Delete(ctx, typ, id, expect)
}

// Unwrap returns the transaction beneath, for access.Act and access.Note.
func (c *readCache) Unwrap() storage.Tx { return c.Tx }

func (c *readCache) forget(typ, id string) { delete(c.got, [2]string{typ, id}) }
