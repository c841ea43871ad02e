package patient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// MergeStatus says whether a merge is in force.
type MergeStatus string

// Merge statuses.
const (
	MergeActive   MergeStatus = "merged"
	MergeReverted MergeStatus = "unmerged"
)

// Merge term names on MergeRecordType records.
const (
	TermMergeSource = "source"
	TermMergeTarget = "target"
	TermMergeStatus = "status"
)

// MergedRecord is one record a merge rewrote, with the version it had before
// and the version the merge wrote.
type MergedRecord struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Before int64  `json:"before"`
	After  int64  `json:"after"`
}

// MergeRecord remembers one merge of Source into Target: every record it
// rewrote (the two patient records, and every record that was in the source's
// compartment) with its version before and after, so that Unmerge can put back
// the exact previous content. It holds ids only.
type MergeRecord struct {
	ID       string         `json:"id"`
	Source   ID             `json:"source"`
	Target   ID             `json:"target"`
	Status   MergeStatus    `json:"status"`
	Merged   time.Time      `json:"merged"`
	Unmerged time.Time      `json:"unmerged,omitzero"`
	Records  []MergedRecord `json:"records"`
	// Override is the acknowledgement of what the merge checks found
	// (interacting medication orders on the two charts); nil when they found
	// nothing.
	Override *MergeOverride `json:"override,omitempty"`
}

var merges = storage.Kind[MergeRecord]{
	Type: MergeRecordType, Version: 1,
	Meta: func(m *MergeRecord) storage.Meta {
		return storage.Meta{ID: m.ID, Terms: []storage.Term{
			{Name: TermMergeSource, Value: string(m.Source)},
			{Name: TermMergeTarget, Value: string(m.Target)},
			{Name: TermMergeStatus, Value: string(m.Status)},
		}}
	},
}

// Merge folds the patient source into target, atomically:
//
//   - every record in the source's compartment, of any record type (present and
//     future packages alike), moves to the target's compartment; inside its
//     value and index terms, every string equal to the source id or to
//     "Patient/<source id>" is replaced by the target's (patient ids are unique
//     opaque strings, so this generic rewrite re-points references without
//     knowing the record's type; values that are not JSON move unchanged);
//   - the target gains a "replaces" link and, so that nothing is lost, the
//     source's names, telecom and addresses it lacks (with use "old"), its
//     identifiers (use "old" for systems the target already has an identifier
//     of), contacts and general practitioners it lacks; single-valued fields
//     (gender, birth date, deceased, marital status, language, managing
//     organisation) keep the target's value and take the source's only where the
//     target has none;
//   - the source record is kept, unchanged but for active false and a
//     "replaced-by" link, so its values stay readable; it cannot be updated;
//   - a MergeRecord keeps every rewritten record's previous version for Unmerge,
//     and TopicMerged is emitted for both patients.
//
// Before anything moves, the checks installed with RegisterMergeCheck run in
// the merge's transaction (rx's: an active medication order on each chart
// that interact). If they find pairs, the merge fails with a
// *MergeHazardError listing them and writes nothing, unless opts hold
// WithMergeOverride: then the override (reason, who, when, the pairs) is kept
// in the MergeRecord and audited, and needs "rx.override" on both
// compartments. An override without a reason or without who gives an
// *ehrkit.ValidationError naming override.reason / override.by.
//
// It fails with ehrkit.ErrFailedPrecondition when either patient is already
// merged into another, ehrkit.ErrInvalid when source and target are the same,
// and ehrkit.ErrConflict when a record changed while the merge ran. When the
// access package's operation permissions are in use, the caller needs
// "patient.merge" on both compartments and the merge is audited on both; the
// records move as part of the act (access.Act), so the merge moves every
// record of the source whatever the caller may read.
func (s *Service) Merge(ctx context.Context, source, target ID, opts ...MergeOption) (MergeRecord, error) {
	var o mergeOptions
	for _, opt := range opts {
		opt(&o)
	}
	var v ehrkit.Issues
	v.Check(source != "", "source", ehrkit.IssueRequired, "is required")
	v.Check(target != "", "target", ehrkit.IssueRequired, "is required")
	v.Check(source == "" || source != target, "target", ehrkit.IssueBusinessRule, "a patient cannot be merged into itself")
	if o.override != nil {
		v.Merge("", o.override.validate())
	}
	if err := v.Err(); err != nil {
		return MergeRecord{}, err
	}
	if err := s.authorize(ctx, source, target); err != nil {
		return MergeRecord{}, err
	}
	var out MergeRecord
	err := s.update(ctx, func(tx storage.Tx) error {
		m, err := s.merge(ctx, tx, source, target, &o)
		out = m
		return err
	})
	if err != nil {
		return MergeRecord{}, err
	}
	s.logger.InfoContext(ctx, "patients merged", "merge", out.ID, "source", string(source), "target", string(target))
	return out, nil
}

func (s *Service) merge(ctx context.Context, tx storage.Tx, source, target ID, o *mergeOptions) (MergeRecord, error) {
	tx, err := act(ctx, tx, MergeRecord{Source: source, Target: target})
	if err != nil {
		return MergeRecord{}, err
	}
	src, srcVersion, err := patients.Get(ctx, tx, string(source))
	if err != nil {
		return MergeRecord{}, err
	}
	tgt, tgtVersion, err := patients.Get(ctx, tx, string(target))
	if err != nil {
		return MergeRecord{}, err
	}
	for _, p := range []Patient{src, tgt} {
		if by := p.ReplacedBy(); by != "" {
			return MergeRecord{}, fmt.Errorf("patient: Patient/%s is already merged into Patient/%s: %w", p.ID, by, ehrkit.ErrFailedPrecondition)
		}
	}
	m := MergeRecord{ID: s.ids.NewID(), Source: source, Target: target, Status: MergeActive, Merged: s.clock.Now().UTC()}
	if err := s.guard(ctx, tx, &m, o); err != nil {
		return MergeRecord{}, err
	}
	recs, err := compartmentRecords(ctx, tx, string(source))
	if err != nil {
		return MergeRecord{}, err
	}
	for _, rec := range recs {
		if rec.Type == RecordType && rec.ID == string(source) {
			continue
		}
		before := rec.Version
		rec.Compartment = string(target)
		rec.Value = repointJSON(rec.Value, source, target)
		for i, t := range rec.Terms {
			rec.Terms[i].Value = repointString(t.Value, source, target)
		}
		written, err := tx.Put(ctx, rec, before)
		if err != nil {
			return MergeRecord{}, err
		}
		m.Records = append(m.Records, MergedRecord{Type: rec.Type, ID: rec.ID, Before: before, After: written.Version})
	}
	merged := absorb(tgt, src)
	merged.Links = append(merged.Links, Link{Other: source, Type: LinkReplaces})
	if merged, err = s.put(ctx, tx, merged, tgtVersion, TopicMerged, source); err != nil {
		return MergeRecord{}, err
	}
	m.Records = append(m.Records, MergedRecord{Type: RecordType, ID: string(target), Before: tgtVersion, After: merged.Version})
	src.Active = false
	src.Links = append(src.Links, Link{Other: target, Type: LinkReplacedBy})
	if src, err = s.put(ctx, tx, src, srcVersion, TopicMerged, target); err != nil {
		return MergeRecord{}, err
	}
	m.Records = append(m.Records, MergedRecord{Type: RecordType, ID: string(source), Before: srcVersion, After: src.Version})
	if _, err := merges.Put(ctx, tx, &m, 0); err != nil {
		return MergeRecord{}, err
	}
	return m, s.note(ctx, tx, "patient.merge", m)
}

// compartmentRecords reads every current record of a compartment, all types.
func compartmentRecords(ctx context.Context, r storage.Reader, compartment string) ([]storage.Record, error) {
	var out []storage.Record
	q := storage.Query{Compartment: compartment, Limit: storage.MaxLimit}
	for {
		page, err := r.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Records...)
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

// repointString maps the source id and its literal reference to the target's.
func repointString(s string, from, to ID) string {
	switch s {
	case string(from):
		return string(to)
	case RecordType + "/" + string(from):
		return RecordType + "/" + string(to)
	}
	return s
}

// repointJSON rewrites every JSON string value equal to from or "Patient/from"
// (object keys are left alone). Numbers keep their exact text. A value that is
// not JSON, or does not mention from, is returned as it is.
func repointJSON(value []byte, from, to ID) []byte {
	if !bytes.Contains(value, []byte(from)) {
		return value
	}
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return value
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case string:
			return repointString(t, from, to)
		case []any:
			for i := range t {
				t[i] = walk(t[i])
			}
		case map[string]any:
			for k := range t {
				t[k] = walk(t[k])
			}
		}
		return x
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(walk(v)); err != nil {
		return value
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// absorb returns target with what source has and target lacks (see Merge).
func absorb(target, source Patient) Patient {
	out := target
	markOld := func(use *string) { *use = "old" }
	out.Names = carryOver(target.Names, source.Names, sameName, func(n *ehrkit.HumanName) { markOld(&n.Use) })
	out.Telecom = carryOver(target.Telecom, source.Telecom, sameContactPoint, func(c *ehrkit.ContactPoint) { markOld(&c.Use) })
	out.Addresses = carryOver(target.Addresses, source.Addresses, sameAddress, func(a *ehrkit.Address) { markOld(&a.Use) })
	out.Identifiers = carryOver(target.Identifiers, source.Identifiers,
		func(a, b ehrkit.Identifier) bool { return a.Token() == b.Token() },
		func(id *ehrkit.Identifier) {
			if slices.ContainsFunc(target.Identifiers, func(o ehrkit.Identifier) bool { return o.System == id.System }) {
				markOld(&id.Use)
			}
		})
	out.Contacts = carryOver(target.Contacts, source.Contacts, func(a, b Contact) bool { return reflect.DeepEqual(a, b) }, nil)
	out.GeneralPractitioner = carryOver(target.GeneralPractitioner, source.GeneralPractitioner, func(a, b ehrkit.Reference) bool { return a == b }, nil)
	fill(&out.Gender, source.Gender, out.Gender == "" || out.Gender == GenderUnknown)
	fill(&out.BirthDate, source.BirthDate, out.BirthDate.IsZero())
	fill(&out.Deceased, source.Deceased, !out.Deceased)
	fill(&out.DeceasedAt, source.DeceasedAt, out.DeceasedAt.IsZero())
	fill(&out.MaritalStatus, source.MaritalStatus, out.MaritalStatus.IsZero())
	fill(&out.Language, source.Language, out.Language.IsRoot())
	fill(&out.ManagingOrganization, source.ManagingOrganization, out.ManagingOrganization.IsZero())
	return out
}

// fill sets *dst to src when empty is true.
func fill[T any](dst *T, src T, empty bool) {
	if empty {
		*dst = src
	}
}

// carryOver returns dst followed by every element of src that dst lacks
// (by same), each passed through mark first when mark is not nil.
func carryOver[T any](dst, src []T, same func(a, b T) bool, mark func(*T)) []T {
	out := slices.Clone(dst)
	for _, x := range src {
		if slices.ContainsFunc(dst, func(y T) bool { return same(x, y) }) {
			continue
		}
		if mark != nil {
			mark(&x)
		}
		out = append(out, x)
	}
	return out
}

func sameName(a, b ehrkit.HumanName) bool {
	fold := func(n ehrkit.HumanName) string {
		return strings.Join(Tokens(strings.Join(n.Given, " ")), " ") + "|" + strings.Join(Tokens(n.Family), " ") + "|" + strings.Join(Tokens(n.Text), " ")
	}
	return fold(a) == fold(b)
}

func sameContactPoint(a, b ehrkit.ContactPoint) bool {
	if a.System != b.System {
		return false
	}
	if a.System == "phone" || a.System == "sms" || a.System == "fax" {
		return PhoneDigits(a.Value) == PhoneDigits(b.Value)
	}
	return Fold(a.Value) == Fold(b.Value)
}

func sameAddress(a, b ehrkit.Address) bool {
	key := func(x ehrkit.Address) string {
		return strings.Join(Tokens(strings.Join(append(slices.Clone(x.Line), x.City, x.District, x.State, x.Country), " ")), " ") + "|" + PostalCode(x.PostalCode)
	}
	return key(a) == key(b)
}

// Unmerge reverts the merge in force of source: every record the merge
// rewrote gets back the exact content (value, compartment, labels, terms) it
// had before, as a new version, and the merge record is marked unmerged. If
// any of those records changed since the merge (a later update of the target,
// a moved record edited), nothing is written and the error wraps
// ehrkit.ErrFailedPrecondition (the later change would be lost; trying again
// cannot succeed). A merge reverted meanwhile fails the same way. Records
// created in the target's compartment after the merge stay with the target.
// It fails with
// ehrkit.ErrNotFound when source has no merge in force.
func (s *Service) Unmerge(ctx context.Context, source ID) (MergeRecord, error) {
	ms, _, err := merges.Query(ctx, s.store, storage.Query{Filters: []storage.Filter{
		{Term: TermMergeSource, Op: storage.Eq, Value: string(source)},
		{Term: TermMergeStatus, Op: storage.Eq, Value: string(MergeActive)},
	}, Limit: 1})
	if err != nil {
		return MergeRecord{}, err
	}
	if len(ms) == 0 {
		return MergeRecord{}, storage.NotFound("unmerge", RecordType, string(source))
	}
	m := ms[0]
	if err := s.authorize(ctx, m.Source, m.Target); err != nil {
		return MergeRecord{}, err
	}
	err = s.update(ctx, func(tx storage.Tx) error {
		tx, err := act(ctx, tx, m)
		if err != nil {
			return err
		}
		cur, version, err := merges.Get(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		if cur.Status != MergeActive {
			return fmt.Errorf("patient: merge %s is %s: %w", m.ID, cur.Status, ehrkit.ErrFailedPrecondition)
		}
		// Every record the merge wrote must be as the merge left it. The act
		// reads every record of the two compartments: one it may not read
		// has left them (a later merge of the target moved it on), which is
		// a change too.
		for _, r := range m.Records {
			now, err := tx.Get(ctx, r.Type, r.ID)
			if err != nil && !errors.Is(err, ehrkit.ErrNotFound) && !errors.Is(err, ehrkit.ErrPermission) {
				return err
			}
			if err != nil || now.Version != r.After {
				return fmt.Errorf("patient: unmerge %s: %s/%s changed since the merge: %w", m.ID, r.Type, r.ID, ehrkit.ErrFailedPrecondition)
			}
		}
		for _, r := range m.Records {
			// The version to restore is read as part of the act, so an
			// unmerge puts back records its caller may not read (allergies).
			rec, err := access.GetVersion(ctx, tx, r.Type, r.ID, r.Before)
			if err != nil {
				return err
			}
			rec.Version, rec.Updated = 0, time.Time{}
			written, err := tx.Put(ctx, rec, r.After)
			if err != nil {
				return err
			}
			if r.Type == RecordType {
				other := m.Target
				if ID(r.ID) == m.Target {
					other = m.Source
				}
				if err := emit(ctx, tx, TopicUnmerged, ID(r.ID), written.Version, other); err != nil {
					return err
				}
			}
		}
		m.Status, m.Unmerged = MergeReverted, s.clock.Now().UTC()
		if _, err := merges.Put(ctx, tx, &m, version); err != nil {
			return err
		}
		return s.note(ctx, tx, "patient.unmerge", m)
	})
	if err != nil {
		return MergeRecord{}, err
	}
	s.logger.InfoContext(ctx, "patients unmerged", "merge", m.ID, "source", string(m.Source), "target", string(m.Target))
	return m, nil
}
