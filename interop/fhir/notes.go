package fhir

import (
	"encoding/base64"

	"github.com/ehrkit/ehrkit/clinical"
)

// extNoteSignatures carries what FHIR DocumentReference has no element for: the
// signing principal and time, the addenda and the amendments of a note.
const extNoteSignatures = "https://ehrkit.dev/fhir/StructureDefinition/note-signatures"

// fDocumentReference is the FHIR R4 DocumentReference as ehrkit maps a
// clinical note to it: the text travels as a plain-text attachment.
type fDocumentReference struct {
	ResourceType  string          `json:"resourceType"`
	ID            string          `json:"id,omitempty"`
	Extension     []fExtension    `json:"extension,omitempty"`
	Status        string          `json:"status"`
	DocStatus     string          `json:"docStatus,omitempty"`
	Type          *fConcept       `json:"type,omitempty"`
	Subject       *fReference     `json:"subject,omitempty"`
	Date          string          `json:"date,omitempty"`
	Author        []fReference    `json:"author,omitempty"`
	Authenticator *fReference     `json:"authenticator,omitempty"`
	Description   string          `json:"description,omitempty"`
	Content       []fDocContent   `json:"content"`
	Context       *fDocumentScope `json:"context,omitempty"`
}

type fDocContent struct {
	Attachment fAttachment `json:"attachment"`
}

type fAttachment struct {
	ContentType string `json:"contentType,omitempty"`
	Data        string `json:"data,omitempty"`
}

type fDocumentScope struct {
	Encounter []fReference `json:"encounter,omitempty"`
}

// noteSignatures is what extNoteSignatures holds.
type noteSignatures struct {
	Signature  *clinical.Signature  `json:"signature,omitempty"`
	Addenda    []clinical.Addendum  `json:"addenda,omitempty"`
	Amendments []clinical.Amendment `json:"amendments,omitempty"`
}

// Note statuses map to DocumentReference status (current or entered in error)
// and docStatus (preliminary, final, amended).
var noteDocStatus = map[clinical.NoteStatus]string{
	clinical.NoteDraft: "preliminary", clinical.NoteSigned: "final", clinical.NoteAmended: "amended",
}

func noteFrom(f *fDocumentReference, id string, rs *Refs) (clinical.Note, error) {
	n := clinical.Note{
		ID: id, Patient: subjectOf(f.Subject, rs), Type: toConcept(f.Type), Title: f.Description, Status: clinical.NoteDraft,
	}
	for st, doc := range noteDocStatus {
		if doc == f.DocStatus {
			n.Status = st
		}
	}
	if f.Status == "entered-in-error" {
		n.Status = clinical.NoteEnteredInError
	}
	if len(f.Author) > 0 {
		n.Author = toRef(&f.Author[0], rs)
	}
	if f.Context != nil && len(f.Context.Encounter) > 0 {
		n.Encounter = encounterOf(&f.Context.Encounter[0], rs)
	}
	for _, c := range f.Content {
		if c.Attachment.Data != "" {
			text, err := base64.StdEncoding.DecodeString(c.Attachment.Data)
			if err != nil {
				return n, err
			}
			n.Text = string(text)
			break
		}
	}
	var err error
	if n.Created, err = parseDateTime(f.Date); err != nil {
		return n, err
	}
	var sigs noteSignatures
	if err := readExtension(f.Extension, extNoteSignatures, &sigs); err != nil {
		return n, err
	}
	n.Signature, n.Addenda, n.Amendments = sigs.Signature, sigs.Addenda, sigs.Amendments
	return n, nil
}

func noteTo(n *clinical.Note) (fDocumentReference, error) {
	f := fDocumentReference{
		ResourceType: "DocumentReference", ID: n.ID, Status: "current", DocStatus: noteDocStatus[n.Status],
		Type: fromConcept(n.Type), Subject: patientRef(n.Patient), Date: formatDateTime(n.Created),
		Description: n.Title,
		Content:     []fDocContent{{Attachment: fAttachment{ContentType: "text/plain; charset=utf-8", Data: base64.StdEncoding.EncodeToString([]byte(n.Text))}}},
	}
	if n.Status == clinical.NoteEnteredInError {
		f.Status = "entered-in-error"
	}
	if !n.Author.IsZero() {
		f.Author = []fReference{*fromRef(n.Author)}
	}
	if n.Signature != nil {
		f.Authenticator = fromRef(n.Signature.By)
	}
	if n.Encounter != "" {
		f.Context = &fDocumentScope{Encounter: []fReference{*encounterRef(n.Encounter)}}
	}
	var err error
	f.Extension, err = jsonExtension(extNoteSignatures, noteSignatures{Signature: n.Signature, Addenda: n.Addenda, Amendments: n.Amendments})
	return f, err
}

func init() {
	register(typed[clinical.Note, fDocumentReference]{view: clinical.NoteRecords, del: clinicalDelete(clinical.NoteRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveNote), from: noteFrom, to: noteTo,
		elements: []string{"extension", "status", "docStatus", "type", "subject", "date", "author", "authenticator",
			"description", "content", "context"}})
}
