package clinical

import (
	"context"
	"log/slog"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

func noteKey(n *Note) (string, patient.ID, string) { return n.ID, n.Patient, n.Encounter }

// CreateNote stores a new draft note; Created defaults to now.
func (s *Service) CreateNote(ctx context.Context, n Note) (Note, error) {
	n.ID = s.id(n.ID)
	n.Status = NoteDraft
	if n.Created.IsZero() {
		n.Created = s.now()
	}
	return n, insert(ctx, s, notes, &n, n.Patient, n.Encounter)
}

// EditNote replaces the title and text of a draft. Writing to a signed note
// is refused with ehrkit.ErrFailedPrecondition: correct it with AddAddendum or
// AmendNote.
func (s *Service) EditNote(ctx context.Context, id, title, text string) (Note, error) {
	n, _, err := modify(ctx, s, notes, noteKey, id, func(n *Note) error { return n.Edit(title, text) })
	return n, err
}

// SignNote signs a draft now, as the practitioner the principal in ctx acts
// as (access.Principal.Practitioner). The principal needs the note.sign
// permission on the patient; the signing is audited.
func (s *Service) SignNote(ctx context.Context, id string) (Note, error) {
	return s.signed(ctx, id, access.PermNoteSign, "note.sign", func(n *Note, sig Signature, _ int64) error { return n.Sign(sig) })
}

// AddAddendum appends text to a signed note, signed now by the principal's
// practitioner. The principal needs the note.sign permission; the addendum is
// audited.
func (s *Service) AddAddendum(ctx context.Context, id, text string) (Note, error) {
	return s.signed(ctx, id, access.PermNoteSign, "note.addendum", func(n *Note, sig Signature, _ int64) error { return n.AddAddendum(text, sig) })
}

// AmendNote replaces the text of a signed note with a correction signed now
// by the principal's practitioner, giving the reason. The signed original
// stays in the record's history (NoteHistory) and the amendment names the
// version it replaced. The principal needs the clinical.amend permission; the
// amendment is audited.
func (s *Service) AmendNote(ctx context.Context, id, text, reason string) (Note, error) {
	return s.signed(ctx, id, access.PermClinicalAmend, "note.amend", func(n *Note, sig Signature, version int64) error {
		return n.Amend(text, reason, sig, version)
	})
}

// signed checks the permission on the note's patient (the patient of a note
// never changes) and builds the principal's signature, then applies fn to the stored note, validates it and writes
// it back with an audit entry, all in one transaction.
func (s *Service) signed(ctx context.Context, id string, perm access.Permission, action string, fn func(*Note, Signature, int64) error) (Note, error) {
	current, err := s.Note(ctx, id)
	if err != nil {
		return Note{}, err
	}
	if err := access.Require(ctx, s.store, perm, string(current.Patient)); err != nil {
		return Note{}, err
	}
	p, _ := access.PrincipalFrom(ctx)
	if p.Practitioner == "" {
		return Note{}, errorf(ehrkit.ErrPermission, "principal %s does not act as a practitioner", p.ID)
	}
	sig := Signature{By: ehrkit.Ref("Practitioner", p.Practitioner), Principal: p.ID, At: s.now()}
	var out Note
	err = s.store.Update(ctx, func(tx storage.Tx) error {
		n, version, err := notes.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(&n, sig, version); err != nil {
			return err
		}
		if err := validate(&n); err != nil {
			return err
		}
		if _, err := notes.Put(ctx, tx, &n, version); err != nil {
			return err
		}
		out = n
		return access.Note(ctx, tx, action, string(n.Patient), NoteType+"/"+n.ID)
	})
	if err == nil {
		s.log.InfoContext(ctx, "clinical note "+action, slog.String("note", out.ID))
	}
	return out, err
}

// Note returns the current version of a note.
func (s *Service) Note(ctx context.Context, id string) (Note, error) {
	return get(ctx, s, notes, id)
}

// NoteHistory returns every stored version of a note, oldest first: the draft
// edits, the signed original and each amendment.
func (s *Service) NoteHistory(ctx context.Context, id string) ([]Note, error) {
	recs, err := s.store.History(ctx, NoteType, id)
	if err != nil {
		return nil, err
	}
	out := make([]Note, 0, len(recs))
	for _, r := range recs {
		if r.Deleted {
			continue
		}
		n, err := notes.Decode(r)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// Notes returns the patient's notes, oldest first.
func (s *Service) Notes(ctx context.Context, p patient.ID) ([]Note, error) {
	return list(ctx, s, notes, p)
}
