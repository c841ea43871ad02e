package patient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Change feed topics the service emits, in the transaction of the change. The
// payload is JSON {"patient": id, "version": n} (plus "other" for merges): ids
// only, never PHI.
const (
	TopicRegistered = "patient.registered"
	TopicUpdated    = "patient.updated"
	TopicMerged     = "patient.merged"
	TopicUnmerged   = "patient.unmerged"
)

// Service is the patient registry: it validates, assigns MRNs, keeps
// identifiers unique, refuses certain duplicates, searches, matches, merges and
// unmerges, on whatever storage.Store it is given (a guarded store from the
// access package checks record-level permissions on every call). Safe for
// concurrent use.
type Service struct {
	store      storage.Store
	clock      ehrkit.Clock
	ids        ehrkit.IDGenerator
	logger     *slog.Logger
	mrn        MRNFormat
	thresholds Thresholds
	attempts   int
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default ehrkit.RealClock). A nil clock keeps the system clock.
func WithClock(c ehrkit.Clock) Option { return func(s *Service) { s.clock = ehrkit.OrRealClock(c) } }

// WithIDs sets the generator of patient and merge ids (default ehrkit.NewIDs).
func WithIDs(g ehrkit.IDGenerator) Option { return func(s *Service) { s.ids = g } }

// WithLogger sets the logger (default: discard). Only ids are logged.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// WithMRN sets the MRN format (default DefaultMRN).
func WithMRN(f MRNFormat) Option { return func(s *Service) { s.mrn = f } }

// WithThresholds sets the match score thresholds (default DefaultThresholds).
func WithThresholds(t Thresholds) Option { return func(s *Service) { s.thresholds = t } }

// WithMaxAttempts sets how many times a write that lost an optimistic race (an
// MRN counter taken by a concurrent registration, for instance) is tried before
// the ehrkit.ErrConflict is returned (default 100).
func WithMaxAttempts(n int) Option { return func(s *Service) { s.attempts = n } }

// NewService returns a registry over store. It fails with an
// *ehrkit.ValidationError if the MRN format or the thresholds are invalid.
func NewService(store storage.Store, opts ...Option) (*Service, error) {
	s := &Service{
		store: store, clock: ehrkit.RealClock{}, mrn: DefaultMRN, thresholds: DefaultThresholds,
		attempts: 100, logger: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(s)
	}
	if s.ids == nil {
		s.ids = ehrkit.NewIDs(s.clock)
	}
	var v ehrkit.Issues
	v.Merge("mrn", s.mrn.Validate())
	v.Merge("thresholds", s.thresholds.Validate())
	v.Check(s.attempts >= 1, "attempts", ehrkit.IssueValue, "must be at least 1")
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// MRN returns the service's MRN format.
func (s *Service) MRN() MRNFormat { return s.mrn }

// IdentifierInUseError reports that an identifier (system|value) already
// belongs to another patient. It wraps ehrkit.ErrFailedPrecondition (a
// refusal, not a race: trying again gives the same answer). The identifier value
// is not shown: it may be a national id.
type IdentifierInUseError struct {
	Index   int    // position in the patient's identifiers
	System  string // the identifier's system
	Patient ID     // the patient holding it
}

// Error names the identifier index, its system and the holder: ids only.
func (e *IdentifierInUseError) Error() string {
	return fmt.Sprintf("patient: identifier[%d] of system %s already belongs to Patient/%s", e.Index, e.System, e.Patient)
}

// Unwrap makes errors.Is(err, ehrkit.ErrFailedPrecondition) true.
func (e *IdentifierInUseError) Unwrap() error { return ehrkit.ErrFailedPrecondition }

// DuplicateError reports that Register found certain duplicates of the
// candidate; pass AllowDuplicate to register anyway. It wraps
// ehrkit.ErrFailedPrecondition.
type DuplicateError struct {
	Matches []Match // the certain matches, best first
}

// Error names the matching patients by id: no PHI.
func (e *DuplicateError) Error() string {
	ids := make([]string, len(e.Matches))
	for i, m := range e.Matches {
		ids[i] = "Patient/" + string(m.Patient.ID)
	}
	return fmt.Sprintf("patient: candidate is a certain duplicate of %v", ids)
}

// Unwrap makes errors.Is(err, ehrkit.ErrFailedPrecondition) true.
func (e *DuplicateError) Unwrap() error { return ehrkit.ErrFailedPrecondition }

// RegisterOption changes one Register call.
type RegisterOption func(*registerConfig)

type registerConfig struct{ allowDuplicate bool }

// AllowDuplicate registers the patient even when a certain duplicate exists
// (after a person checked that the two are different people).
func AllowDuplicate() RegisterOption { return func(c *registerConfig) { c.allowDuplicate = true } }

// Register stores a new patient and returns it with its id, version and MRN.
// The id is generated unless set (an id already in use fails with
// ehrkit.ErrFailedPrecondition); the patient is made active. Unless p already
// carries an identifier of the MRN system, the next MRN is assigned. Every
// identifier must be unused (else *IdentifierInUseError). A candidate that
// matches an existing patient with LevelCertain is refused with *DuplicateError
// unless AllowDuplicate is passed; this check is made before the write, so two
// simultaneous registrations of one person may both succeed (identifier
// uniqueness, by contrast, holds under any concurrency).
func (s *Service) Register(ctx context.Context, p Patient, opts ...RegisterOption) (Patient, error) {
	var cfg registerConfig
	for _, o := range opts {
		o(&cfg)
	}
	p.Active = true
	var v ehrkit.Issues
	v.Merge("", s.validate(p))
	v.Check(p.Version == 0, "version", ehrkit.IssueBusinessRule, "a new patient has no version")
	for i, l := range p.Links {
		v.Check(l.Type != LinkReplacedBy && l.Type != LinkReplaces, ehrkit.Index("link", i)+".type", ehrkit.IssueBusinessRule, "merge links are made by Merge")
	}
	if err := v.Err(); err != nil {
		return Patient{}, err
	}
	if !cfg.allowDuplicate {
		matches, err := s.Match(ctx, p)
		if err != nil {
			return Patient{}, err
		}
		var certain []Match
		for _, m := range matches {
			if m.Level == LevelCertain {
				certain = append(certain, m)
			}
		}
		if len(certain) > 0 {
			return Patient{}, &DuplicateError{Matches: certain}
		}
	}
	if p.ID == "" {
		p.ID = ID(s.ids.NewID())
	}
	var out Patient
	err := s.update(ctx, func(tx storage.Tx) error {
		_, err := tx.Get(ctx, RecordType, string(p.ID))
		switch {
		case err == nil:
			return fmt.Errorf("patient: Patient/%s already exists: %w", p.ID, ehrkit.ErrFailedPrecondition)
		case !errors.Is(err, ehrkit.ErrNotFound):
			return err
		}
		q := p
		q.Identifiers = slices.Clone(p.Identifiers)
		if q.Identifier(s.mrn.System) == "" {
			mrn, err := s.nextMRN(ctx, tx, q.ID)
			if err != nil {
				return err
			}
			q.Identifiers = append(q.Identifiers, ehrkit.Identifier{
				Use: "usual", System: s.mrn.System, Value: mrn,
				Type: ehrkit.Concept(ehrkit.SystemV2Tables, "MR", "Medical record number"),
			})
		}
		for i, id := range q.Identifiers {
			if err := claimIdentifier(ctx, tx, q.ID, i, id); err != nil {
				return err
			}
		}
		out, err = s.put(ctx, tx, q, 0, TopicRegistered, "")
		return err
	})
	if err != nil {
		return Patient{}, err
	}
	s.logger.InfoContext(ctx, "patient registered", "patient", out)
	return out, nil
}

// nextMRN advances the counter of the MRN system and claims for patient id the
// first MRN whose identifier is unused (an MRN given explicitly at registration
// may have taken a number ahead of the counter).
func (s *Service) nextMRN(ctx context.Context, tx storage.Tx, id ID) (string, error) {
	counterID := "mrn-" + hashHex(s.mrn.System, 16)
	c, version, err := counters.Get(ctx, tx, counterID)
	if err != nil && !errors.Is(err, ehrkit.ErrNotFound) {
		return "", err
	}
	for {
		c.Last++
		mrn := s.mrn.Format(c.Last)
		err := claimIdentifier(ctx, tx, id, 0, ehrkit.Identifier{System: s.mrn.System, Value: mrn})
		var inUse *IdentifierInUseError
		if errors.As(err, &inUse) {
			continue
		}
		if err != nil {
			return "", err
		}
		c.ID = counterID
		_, err = counters.Put(ctx, tx, &c, version)
		return mrn, err
	}
}

// counter is the value of a CounterRecordType record.
type counter struct {
	ID   string `json:"id"`
	Last int64  `json:"last"`
}

var counters = storage.Kind[counter]{
	Type: CounterRecordType, Version: 1,
	Meta: func(c *counter) storage.Meta { return storage.Meta{ID: c.ID} },
}

// claimIdentifier makes patient id the holder of identifier i, failing with
// *IdentifierInUseError if another patient holds it. Key records are never
// deleted (a released key has no holder), so the expected version is always
// the one just read.
func claimIdentifier(ctx context.Context, tx storage.Tx, id ID, i int, ident ehrkit.Identifier) error {
	keyID := identifierKeyID(ident.Token())
	holder, version, err := identifierKeys.Get(ctx, tx, keyID)
	switch {
	case err == nil && holder.Patient == id:
		return nil
	case err == nil && holder.Patient != "":
		return &IdentifierInUseError{Index: i, System: ident.System, Patient: holder.Patient}
	case err != nil && !errors.Is(err, ehrkit.ErrNotFound):
		return err
	}
	return putIdentifierKey(ctx, tx, keyID, id, version)
}

// releaseIdentifier clears the holder of an identifier the patient no longer
// carries.
func releaseIdentifier(ctx context.Context, tx storage.Tx, ident ehrkit.Identifier) error {
	keyID := identifierKeyID(ident.Token())
	_, version, err := identifierKeys.Get(ctx, tx, keyID)
	if err != nil {
		return err
	}
	return putIdentifierKey(ctx, tx, keyID, "", version)
}

func putIdentifierKey(ctx context.Context, tx storage.Tx, keyID string, holder ID, expect int64) error {
	rec, err := identifierKeys.Encode(&identifierKey{Patient: holder})
	if err != nil {
		return err
	}
	rec.ID = keyID
	_, err = tx.Put(ctx, rec, expect)
	return err
}

// put writes p expecting version expect and emits topic (naming the other
// patient of a merge, if any).
func (s *Service) put(ctx context.Context, tx storage.Tx, p Patient, expect int64, topic string, other ID) (Patient, error) {
	rec, err := patients.Encode(&p)
	if err != nil {
		return Patient{}, err
	}
	written, err := tx.Put(ctx, rec, expect)
	if err != nil {
		return Patient{}, err
	}
	// The value as a later read decodes it, so that the caller is answered
	// from the transaction and never by a read after the commit, which could
	// fail once the patient is stored.
	rec.Version, rec.Updated = written.Version, written.Updated
	out, err := decode(rec)
	if err != nil {
		return Patient{}, err
	}
	return out, emit(ctx, tx, topic, out.ID, out.Version, other)
}

func emit(ctx context.Context, tx storage.Tx, topic string, id ID, version int64, other ID) error {
	payload, err := json.Marshal(struct {
		Patient ID    `json:"patient"`
		Version int64 `json:"version"`
		Other   ID    `json:"other,omitempty"`
	}{id, version, other})
	if err != nil {
		return err
	}
	return tx.Emit(ctx, storage.Event{
		Topic: topic, Key: topic + "/" + string(id) + "/" + strconv.FormatInt(version, 10),
		Compartment: string(id), Payload: payload,
	})
}

// update runs fn in a transaction, trying again (ehrkit.Retry) when the
// commit loses an optimistic race.
func (s *Service) update(ctx context.Context, fn func(tx storage.Tx) error) error {
	return ehrkit.Retry(ctx, s.attempts, func() error { return s.store.Update(ctx, fn) })
}

// aheadOfUTC is the largest offset of a time zone from UTC (UTC+14, the Line
// Islands): a child born today there may have tomorrow's UTC date.
const aheadOfUTC = 14 * time.Hour

// validate is p.Validate and the checks against the service's clock: a birth
// date or a time of death may not lie in the future.
func (s *Service) validate(p Patient) error {
	var v ehrkit.Issues
	v.Merge("", p.Validate())
	now := s.clock.Now()
	v.Check(p.BirthDate.IsZero() || !p.BirthDate.Start(time.UTC).After(now.Add(aheadOfUTC)), "birthDate", ehrkit.IssueBusinessRule, "is in the future")
	v.Check(p.DeceasedAt.IsZero() || !p.DeceasedAt.After(now), "deceasedDateTime", ehrkit.IssueBusinessRule, "is in the future")
	return v.Err()
}

// Update writes p as the next version of its record. p.Version must be the
// version read (else ehrkit.ErrConflict: someone else changed the patient
// since). Identifiers added are claimed (*IdentifierInUseError when taken),
// identifiers removed are released; the MRNs of the service's system cannot be
// removed, and links are managed by Merge only. A merged record cannot be
// updated (ehrkit.ErrFailedPrecondition): update the patient it was merged into.
func (s *Service) Update(ctx context.Context, p Patient) (Patient, error) {
	var v ehrkit.Issues
	v.Required("id", p.ID != "")
	v.Merge("", s.validate(p))
	if err := v.Err(); err != nil {
		return Patient{}, err
	}
	var out Patient
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		cur, version, err := patients.Get(ctx, tx, string(p.ID))
		if err != nil {
			return err
		}
		if version != p.Version {
			return storage.Conflict("update", RecordType, string(p.ID), p.Version, version)
		}
		if cur.ReplacedBy() != "" {
			return fmt.Errorf("patient: Patient/%s was merged into Patient/%s: %w", p.ID, cur.ReplacedBy(), ehrkit.ErrFailedPrecondition)
		}
		if err := checkUpdate(cur, p, s.mrn.System); err != nil {
			return err
		}
		for i, id := range p.Identifiers {
			if err := claimIdentifier(ctx, tx, p.ID, i, id); err != nil {
				return err
			}
		}
		for _, id := range cur.Identifiers {
			if !slices.ContainsFunc(p.Identifiers, func(n ehrkit.Identifier) bool { return n.Token() == id.Token() }) {
				if err := releaseIdentifier(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		out, err = s.put(ctx, tx, p, version, TopicUpdated, "")
		return err
	})
	if err != nil {
		return Patient{}, err
	}
	s.logger.InfoContext(ctx, "patient updated", "patient", out)
	return out, nil
}

// checkUpdate applies the rules an update must keep relative to the current
// record: MRNs stay, links stay.
func checkUpdate(cur, next Patient, mrnSystem string) error {
	var v ehrkit.Issues
	for _, id := range cur.Identifiers {
		if id.System == mrnSystem && !slices.ContainsFunc(next.Identifiers, func(n ehrkit.Identifier) bool { return n.Token() == id.Token() }) {
			v.Add("identifier", ehrkit.IssueBusinessRule, "an MRN cannot be removed")
		}
	}
	v.Check(slices.Equal(cur.Links, next.Links), "link", ehrkit.IssueBusinessRule, "links are changed by Merge and Unmerge only")
	return v.Err()
}

// Get returns the current version of a patient (ehrkit.ErrNotFound if none).
// A merged record is returned as it is; see Patient.ReplacedBy.
func (s *Service) Get(ctx context.Context, id ID) (Patient, error) {
	rec, err := s.store.Get(ctx, RecordType, string(id))
	if err != nil {
		return Patient{}, err
	}
	return decode(rec)
}

// GetVersion returns one past version of a patient.
func (s *Service) GetVersion(ctx context.Context, id ID, version int64) (Patient, error) {
	rec, err := s.store.GetVersion(ctx, RecordType, string(id), version)
	if err != nil {
		return Patient{}, err
	}
	if rec.Deleted {
		return Patient{}, storage.NotFound("get version", RecordType, string(id))
	}
	return decode(rec)
}

// History returns every version of a patient, oldest first.
func (s *Service) History(ctx context.Context, id ID) ([]Patient, error) {
	recs, err := s.store.History(ctx, RecordType, string(id))
	if err != nil {
		return nil, err
	}
	out := make([]Patient, 0, len(recs))
	for _, rec := range recs {
		if rec.Deleted {
			continue
		}
		p, err := decode(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func decode(rec storage.Record) (Patient, error) {
	p, err := patients.Decode(rec)
	if err != nil {
		return Patient{}, err
	}
	p.Version, p.Updated = rec.Version, rec.Updated
	return p, nil
}
