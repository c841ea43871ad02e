package clinical

import (
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
)

// NoteStatus is the state of a clinical note.
type NoteStatus string

// Note statuses. A draft may be edited; a signed note is immutable except for
// addenda; an amended note is a signed note whose text was replaced by a
// signed correction (the previous signed text stays in the record's history).
const (
	NoteDraft          NoteStatus = "draft"
	NoteSigned         NoteStatus = "signed"
	NoteAmended        NoteStatus = "amended"
	NoteEnteredInError NoteStatus = "entered-in-error"
)

// LOINC document types for notes.
const (
	LOINCProgressNote = "11506-3"
	LOINCHistoryPhys  = "34117-2"
)

// Note is a clinical note (FHIR DocumentReference with its text inline): a
// progress note, an H&P, a discharge summary.
type Note struct {
	ID         string                 `json:"id"`
	Patient    patient.ID             `json:"patient"`
	Encounter  string                 `json:"encounter,omitempty"`
	Type       ehrkit.CodeableConcept `json:"type"`
	Title      string                 `json:"title,omitempty"`
	Text       string                 `json:"text"`
	Status     NoteStatus             `json:"status"`
	Author     ehrkit.Reference       `json:"author"`
	Created    time.Time              `json:"created"`
	Signature  *Signature             `json:"signature,omitempty"`
	Addenda    []Addendum             `json:"addenda,omitempty"`
	Amendments []Amendment            `json:"amendments,omitempty"`
}

// Signature records who signed and when: the practitioner and the account
// (access principal id) that acted.
type Signature struct {
	By        ehrkit.Reference `json:"by"`
	Principal string           `json:"principal"`
	At        time.Time        `json:"at"`
}

// Addendum is text appended to a signed note, signed by its author when added.
type Addendum struct {
	Text      string    `json:"text"`
	Signature Signature `json:"signature"`
}

// Amendment records that the signed text was replaced: why, by whom, when, and
// which stored version of the note held the text it replaced.
type Amendment struct {
	Reason     string    `json:"reason"`
	Signature  Signature `json:"signature"`
	Supersedes int64     `json:"supersedes"`
}

// Validate checks the note: a signed or amended note has a signature, a draft
// none; addenda and amendments only on signed notes, each complete.
func (n *Note) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", n.Patient != "")
	is.Merge("type", n.Type.Validate())
	is.Required("author", !n.Author.IsZero())
	is.Required("created", !n.Created.IsZero())
	checkCode(&is, "status", n.Status, true, NoteDraft, NoteSigned, NoteAmended, NoteEnteredInError)
	signed := n.Status == NoteSigned || n.Status == NoteAmended
	if signed {
		is.Required("text", strings.TrimSpace(n.Text) != "")
		is.Check(n.Signature != nil, "signature", ehrkit.IssueRequired, "a signed note has a signature")
	}
	if n.Signature != nil {
		is.Merge("signature", n.Signature.validate())
	}
	is.Check(n.Status != NoteDraft || n.Signature == nil, "signature", ehrkit.IssueInvariant, "a draft has no signature")
	is.Check(signed || len(n.Addenda) == 0, "addenda", ehrkit.IssueInvariant, "only signed notes take addenda")
	is.Check(n.Status == NoteAmended || len(n.Amendments) == 0, "amendments", ehrkit.IssueInvariant, "only amended notes list amendments")
	for i, a := range n.Addenda {
		p := ehrkit.Index("addenda", i)
		is.Required(p+".text", strings.TrimSpace(a.Text) != "")
		is.Merge(p+".signature", a.Signature.validate())
	}
	for i, a := range n.Amendments {
		p := ehrkit.Index("amendments", i)
		is.Required(p+".reason", strings.TrimSpace(a.Reason) != "")
		is.Merge(p+".signature", a.Signature.validate())
		is.Check(a.Supersedes > 0, p+".supersedes", ehrkit.IssueRequired, "names the version replaced")
	}
	return is.Err()
}

func (s Signature) validate() error {
	var is ehrkit.Issues
	is.Required("by", !s.By.IsZero())
	is.Required("principal", s.Principal != "")
	is.Required("at", !s.At.IsZero())
	return is.Err()
}

// Edit replaces the title and text of a draft. A note that is no longer a
// draft is refused with ehrkit.ErrFailedPrecondition.
func (n *Note) Edit(title, text string) error {
	if n.Status != NoteDraft {
		return errorf(ehrkit.ErrFailedPrecondition, "note %s is %s: only drafts can be edited", n.ID, n.Status)
	}
	n.Title, n.Text = title, text
	return nil
}

// Sign signs a draft: it records who and when and makes the note immutable.
func (n *Note) Sign(sig Signature) error {
	if n.Status != NoteDraft {
		return errorf(ehrkit.ErrFailedPrecondition, "note %s is %s: only drafts can be signed", n.ID, n.Status)
	}
	n.Status = NoteSigned
	n.Signature = &sig
	return nil
}

// AddAddendum appends signed text to a signed or amended note.
func (n *Note) AddAddendum(text string, sig Signature) error {
	if n.Status != NoteSigned && n.Status != NoteAmended {
		return errorf(ehrkit.ErrFailedPrecondition, "note %s is %s: addenda go on signed notes", n.ID, n.Status)
	}
	n.Addenda = append(n.Addenda, Addendum{Text: text, Signature: sig})
	return nil
}

// Amend replaces the text of a signed or amended note with a signed
// correction. version is the stored version holding the text being replaced,
// so the original stays reachable in the record's history.
func (n *Note) Amend(text, reason string, sig Signature, version int64) error {
	if n.Status != NoteSigned && n.Status != NoteAmended {
		return errorf(ehrkit.ErrFailedPrecondition, "note %s is %s: only signed notes can be amended", n.ID, n.Status)
	}
	n.Text = text
	n.Status = NoteAmended
	n.Signature = &sig
	n.Amendments = append(n.Amendments, Amendment{Reason: reason, Signature: sig, Supersedes: version})
	return nil
}
