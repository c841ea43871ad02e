package directory

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Service is the provider directory: practitioners, organizations, locations
// and practitioner roles, each reached through its Book. It validates every
// write, keeps identifiers unique per record type, and refuses references to
// directory records that do not exist, on whatever storage.Store it is given
// (a guarded store from the access package checks record permissions). Safe
// for concurrent use.
type Service struct {
	store    storage.Store
	ids      ehrkit.IDGenerator
	attempts int

	Practitioners *Book[Practitioner, PractitionerID]
	Organizations *Book[Organization, OrganizationID]
	Locations     *Book[Location, LocationID]
	Roles         *Book[PractitionerRole, RoleID]
}

// Option configures a Service.
type Option func(*Service)

// WithIDs sets the generator of ids for records created without one (default
// ehrkit.NewIDs over the real clock).
func WithIDs(g ehrkit.IDGenerator) Option { return func(s *Service) { s.ids = g } }

// WithMaxAttempts sets how often a write that lost an optimistic race is
// tried (default 20); see ehrkit.Retry.
func WithMaxAttempts(n int) Option { return func(s *Service) { s.attempts = n } }

// NewService returns the directory over store.
func NewService(store storage.Store, opts ...Option) *Service {
	s := &Service{store: store, attempts: 20}
	for _, o := range opts {
		o(s)
	}
	if s.ids == nil {
		s.ids = ehrkit.NewIDs(ehrkit.RealClock{})
	}
	s.Practitioners = &Book[Practitioner, PractitionerID]{svc: s, e: practitionerEntry}
	s.Organizations = &Book[Organization, OrganizationID]{svc: s, e: organizationEntry}
	s.Locations = &Book[Location, LocationID]{svc: s, e: locationEntry}
	s.Roles = &Book[PractitionerRole, RoleID]{svc: s, e: roleEntry}
	return s
}

// entry tells a Book how its record type is stored and checked.
type entry[T any, ID ~string] struct {
	kind        storage.Kind[T]
	id          func(*T) *ID
	version     func(*T) (*int64, *time.Time)
	identifiers func(*T) []ehrkit.Identifier
	validate    func(*T) error
	refs        func(ctx context.Context, r storage.Reader, v *T, is *ehrkit.Issues) error
	terms       []string // the Query fields' terms this type is indexed by
}

// Book reads and writes one record type of the directory. Save is the
// transaction-scoped entry point (an importer composes it with other domain
// writes in one transaction); Create and Update run their own transaction.
type Book[T any, ID ~string] struct {
	svc *Service
	e   entry[T, ID]
}

// Save stores v as given inside the caller's transaction: v is validated, its
// references (organization, part-of, practitioner, locations, issuer) must
// name existing directory records and form no cycle, and its identifiers are
// claimed (one held by another record of the type refuses v, naming
// identifier[i]; those the replaced version no longer carries are released).
// The record is created, replaced when it differs, or left unchanged.
func (b *Book[T, ID]) Save(ctx context.Context, tx storage.Tx, v T) (storage.Outcome, error) {
	if err := ehrkit.Tolerate(ctx, b.e.validate(&v)); err != nil {
		return "", err
	}
	return b.e.kind.Save(ctx, tx, &v, func(previous *T) error {
		var is ehrkit.Issues
		if err := b.e.refs(ctx, tx, &v, &is); err != nil {
			return err
		}
		if err := b.claim(ctx, tx, &v, previous, &is); err != nil {
			return err
		}
		return is.Err()
	})
}

// Create stores a new record, giving it an id when it has none. An id that
// is already taken is refused with an *ehrkit.ValidationError on "id".
func (b *Book[T, ID]) Create(ctx context.Context, v T) (T, error) {
	if *b.e.id(&v) == "" {
		*b.e.id(&v) = ID(b.svc.ids.NewID())
	}
	return b.write(ctx, v, 0)
}

// Update replaces the record v names. v's Version must be the version read
// (optimistic concurrency): a record changed since fails with an error
// wrapping ehrkit.ErrConflict, so the caller reads it again.
func (b *Book[T, ID]) Update(ctx context.Context, v T) (T, error) {
	ver, _ := b.e.version(&v)
	if *ver <= 0 {
		var is ehrkit.Issues
		is.Add("version", ehrkit.IssueRequired, "an update needs the version read")
		return v, is.Err()
	}
	return b.write(ctx, v, *ver)
}

// write creates (expect 0) or replaces (expect the version read) v.
func (b *Book[T, ID]) write(ctx context.Context, v T, expect int64) (T, error) {
	typ, id := b.e.kind.Type, string(*b.e.id(&v))
	err := ehrkit.Retry(ctx, b.svc.attempts, func() error {
		return b.svc.store.Update(ctx, func(tx storage.Tx) error {
			cur, err := tx.Get(ctx, typ, id)
			switch {
			case err != nil && !errors.Is(err, ehrkit.ErrNotFound):
				return err
			case expect == 0 && err == nil:
				var is ehrkit.Issues
				is.Add("id", ehrkit.IssueDuplicate, "a %s with this id exists", typ)
				return is.Err()
			case expect > 0 && err != nil:
				return err
			case expect > 0 && cur.Version != expect:
				return storage.Conflict("update", typ, id, expect, cur.Version)
			}
			_, err = b.Save(ctx, tx, v)
			return err
		})
	})
	if err != nil {
		return v, err
	}
	return b.Get(ctx, ID(id))
}

// Get returns the current record with the given id, with its Version and
// Updated set.
func (b *Book[T, ID]) Get(ctx context.Context, id ID) (T, error) {
	rec, err := b.svc.store.Get(ctx, b.e.kind.Type, string(id))
	if err != nil {
		var zero T
		return zero, err
	}
	return b.decode(rec)
}

func (b *Book[T, ID]) decode(rec storage.Record) (T, error) {
	v, err := b.e.kind.Decode(rec)
	if err != nil {
		return v, err
	}
	ver, updated := b.e.version(&v)
	*ver, *updated = rec.Version, rec.Updated
	return v, nil
}

// claim keeps the identifier key records of v in tx (see IdentifierKeyType):
// v becomes the holder of each identifier it carries, and those of previous
// it no longer carries are released (the key is kept with no holder, so its
// version orders every later claim).
func (b *Book[T, ID]) claim(ctx context.Context, tx storage.Tx, v, previous *T, is *ehrkit.Issues) error {
	typ, holder := b.e.kind.Type, string(*b.e.id(v))
	idents := b.e.identifiers(v)
	for i, ident := range idents {
		k := keyOf(typ, ident)
		cur, ver, err := identifierKeys.Get(ctx, tx, k.Key)
		switch {
		case err != nil && !errors.Is(err, ehrkit.ErrNotFound):
			return err
		case err == nil && cur.Holder == holder:
			continue
		case err == nil && cur.Holder != "":
			is.Add(ehrkit.Index("identifier", i), ehrkit.IssueDuplicate, "held by %s/%s", typ, cur.Holder)
			continue
		}
		k.Holder = holder
		if _, err := identifierKeys.Put(ctx, tx, &k, ver); err != nil {
			return err
		}
	}
	if previous == nil {
		return nil
	}
	for _, old := range b.e.identifiers(previous) {
		if slices.ContainsFunc(idents, func(n ehrkit.Identifier) bool { return n.Token() == old.Token() }) {
			continue
		}
		k := keyOf(typ, old)
		cur, ver, err := identifierKeys.Get(ctx, tx, k.Key)
		if errors.Is(err, ehrkit.ErrNotFound) || (err == nil && cur.Holder != holder) {
			continue
		}
		if err != nil {
			return err
		}
		k.Holder = ""
		if _, err := identifierKeys.Put(ctx, tx, &k, ver); err != nil {
			return err
		}
	}
	return nil
}
