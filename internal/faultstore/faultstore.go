// Package faultstore wraps a storage.Store and fails one chosen call, for
// tests that prove a failure at any point of a write leaves a typed error and
// nothing half-written:
//
//	fs := faultstore.New(store, faultstore.Fault{At: 3, Kind: faultstore.Timeout})
//	_, err := patient.NewService(access.Guard(fs, policy)).Register(ctx, p)
//	// err wraps context.DeadlineExceeded; fs.Hit() reports whether call 3 came
//
// Calls are counted across the store's reads (Get, GetVersion, History, Query,
// Changes) and the calls inside transactions (Get, Query, Put, Delete, Emit),
// from 1. Only tests use this package.
package faultstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Kind is the failure injected.
type Kind string

// The failures a Fault injects.
const (
	// Timeout fails the call with an error wrapping context.DeadlineExceeded,
	// as a statement timeout or a slow network does.
	Timeout Kind = "timeout"
	// Conflict fails the call with an error wrapping ehrkit.ErrConflict, as a
	// concurrent writer does.
	Conflict Kind = "conflict"
	// Closed fails the call with an error wrapping storage.ErrClosed, as a
	// connection lost or a store closed under the caller does.
	Closed Kind = "closed"
	// Cancel cancels the context of the transaction the call runs in and
	// then makes the call with it, as a caller that gives up mid-transaction
	// does; outside a transaction it fails the call with context.Canceled.
	Cancel Kind = "cancel"
)

// Kinds lists every Kind.
func Kinds() []Kind { return []Kind{Timeout, Conflict, Closed, Cancel} }

// Fault fails the At-th call (from 1) with Kind.
type Fault struct {
	At   int
	Kind Kind
}

// Store is a storage.Store that injects its Fault once.
type Store struct {
	storage.Store
	fault Fault

	mu    sync.Mutex
	calls int
	hit   bool
	where string // the call the fault failed
}

// New wraps store; the fault fires once, on call fault.At.
func New(store storage.Store, fault Fault) *Store { return &Store{Store: store, fault: fault} }

// Unwrap returns the wrapped store (access follows it to find a guard).
func (s *Store) Unwrap() storage.Store { return s.Store }

// Hit reports whether the fault fired.
func (s *Store) Hit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hit
}

// Where names the call the fault failed ("put AuditEvent", "tx get Patient",
// ...), "" before it fired.
func (s *Store) Where() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.where
}

// Calls returns how many calls were counted.
func (s *Store) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// next counts a call and returns the fault to inject, if this is its call.
func (s *Store) next(where string) (Kind, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls != s.fault.At || s.hit {
		return "", false
	}
	s.hit, s.where = true, where
	return s.fault.Kind, true
}

// errorOf is the error a fault of kind k gives call op.
func errorOf(k Kind, op string) error {
	switch k {
	case Timeout:
		return fmt.Errorf("faultstore: %s: %w", op, context.DeadlineExceeded)
	case Conflict:
		return fmt.Errorf("faultstore: %s: %w", op, ehrkit.ErrConflict)
	case Closed:
		return fmt.Errorf("faultstore: %s: %w", op, storage.ErrClosed)
	default:
		return fmt.Errorf("faultstore: %s: %w", op, context.Canceled)
	}
}

// inject fails a call outside a transaction.
func (s *Store) inject(op string) error {
	if k, ok := s.next(op); ok {
		return errorOf(k, op)
	}
	return nil
}

// Get is the wrapped Get, counted.
func (s *Store) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	if err := s.inject("get " + typ); err != nil {
		return storage.Record{}, err
	}
	return s.Store.Get(ctx, typ, id)
}

// Query is the wrapped Query, counted.
func (s *Store) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	if err := s.inject("query " + q.Type); err != nil {
		return storage.Page{}, err
	}
	return s.Store.Query(ctx, q)
}

// GetVersion is the wrapped GetVersion, counted.
func (s *Store) GetVersion(ctx context.Context, typ, id string, version int64) (storage.Record, error) {
	if err := s.inject("getversion " + typ); err != nil {
		return storage.Record{}, err
	}
	return s.Store.GetVersion(ctx, typ, id, version)
}

// History is the wrapped History, counted.
func (s *Store) History(ctx context.Context, typ, id string) ([]storage.Record, error) {
	if err := s.inject("history " + typ); err != nil {
		return nil, err
	}
	return s.Store.History(ctx, typ, id)
}

// Changes is the wrapped Changes, counted.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]storage.Change, error) {
	if err := s.inject("changes"); err != nil {
		return nil, err
	}
	return s.Store.Changes(ctx, after, limit)
}

// Update runs fn in a transaction of the wrapped store whose calls are
// counted; a Cancel fault cancels the transaction's context.
func (s *Store) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return s.Store.Update(ctx, func(tx storage.Tx) error {
		return fn(&faultTx{Tx: tx, s: s, cancel: cancel})
	})
}

type faultTx struct {
	storage.Tx
	s         *Store
	cancel    context.CancelFunc
	cancelled bool // the Cancel fault fired: every later call sees its context ended
}

// Unwrap returns the wrapped transaction.
func (t *faultTx) Unwrap() storage.Tx { return t.Tx }

// inject fails a call inside the transaction; a Cancel fault cancels the
// transaction's context and, as the caller's context would be, the context
// of this and every later call, which then run with it.
func (t *faultTx) inject(ctx context.Context, op string) (context.Context, error) {
	k, ok := t.s.next(op)
	switch {
	case ok && k == Cancel:
		t.cancel()
		t.cancelled = true
	case ok:
		return ctx, errorOf(k, op)
	}
	if t.cancelled {
		ended, cancel := context.WithCancel(ctx)
		cancel()
		return ended, nil
	}
	return ctx, nil
}

func (t *faultTx) Get(ctx context.Context, typ, id string) (storage.Record, error) {
	ctx, err := t.inject(ctx, "tx get "+typ)
	if err != nil {
		return storage.Record{}, err
	}
	return t.Tx.Get(ctx, typ, id)
}

func (t *faultTx) Query(ctx context.Context, q storage.Query) (storage.Page, error) {
	ctx, err := t.inject(ctx, "tx query "+q.Type)
	if err != nil {
		return storage.Page{}, err
	}
	return t.Tx.Query(ctx, q)
}

func (t *faultTx) Put(ctx context.Context, rec storage.Record, expect int64) (storage.Record, error) {
	ctx, err := t.inject(ctx, "put "+rec.Type)
	if err != nil {
		return storage.Record{}, err
	}
	return t.Tx.Put(ctx, rec, expect)
}

func (t *faultTx) Delete(ctx context.Context, typ, id string, expect int64) error {
	ctx, err := t.inject(ctx, "delete "+typ)
	if err != nil {
		return err
	}
	return t.Tx.Delete(ctx, typ, id, expect)
}

func (t *faultTx) Emit(ctx context.Context, ev storage.Event) error {
	ctx, err := t.inject(ctx, "emit "+ev.Topic)
	if err != nil {
		return err
	}
	return t.Tx.Emit(ctx, ev)
}

// Injected reports whether err is one a Fault of kind k gives, by its
// sentinel, for tests to tell the injected failure from another.
func Injected(err error, k Kind) bool {
	switch k {
	case Timeout:
		return errors.Is(err, context.DeadlineExceeded)
	case Conflict:
		return errors.Is(err, ehrkit.ErrConflict)
	case Closed:
		return errors.Is(err, storage.ErrClosed)
	default:
		return errors.Is(err, context.Canceled)
	}
}
