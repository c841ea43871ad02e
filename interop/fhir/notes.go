package fhir

import (
	"github.com/ehrkit/ehrkit/clinical"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	docpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/document_reference_go_proto"
)

// extNoteSignatures carries what FHIR DocumentReference has no element for: the
// signing principal and time, the addenda and the amendments of a note.
const extNoteSignatures = "https://ehrkit.dev/fhir/StructureDefinition/note-signatures"

// noteContentType is the media type of a note's text, which travels as a
// plain-text attachment.
const noteContentType = "text/plain; charset=utf-8"

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

func noteFrom(f *docpb.DocumentReference, id string, rs *Refs) (clinical.Note, error) {
	n := clinical.Note{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Type: readConcept(f.GetType()), Title: f.GetDescription().GetValue(),
		Status: clinical.NoteDraft, Created: readInstant(f.GetDate()),
	}
	docStatus := codeOf(f.GetDocStatus())
	for st, doc := range noteDocStatus {
		if doc == docStatus {
			n.Status = st
		}
	}
	if codeOf(f.GetStatus()) == "entered-in-error" {
		n.Status = clinical.NoteEnteredInError
	}
	if a := f.GetAuthor(); len(a) > 0 {
		n.Author = readRef(a[0], rs)
	}
	if e := f.GetContext().GetEncounter(); len(e) > 0 {
		n.Encounter = readEncounter(e[0], rs)
	}
	for _, c := range f.GetContent() {
		if data := c.GetAttachment().GetData().GetValue(); len(data) > 0 {
			n.Text = string(data)
			break
		}
	}
	var sigs noteSignatures
	if err := readJSONExtension(f.GetExtension(), extNoteSignatures, &sigs); err != nil {
		return n, err
	}
	n.Signature, n.Addenda, n.Amendments = sigs.Signature, sigs.Addenda, sigs.Amendments
	return n, nil
}

func noteTo(n *clinical.Note) (*docpb.DocumentReference, error) {
	var err error
	status := "current"
	if n.Status == clinical.NoteEnteredInError {
		status = "entered-in-error"
	}
	f := &docpb.DocumentReference{
		Id: pbID(n.ID), Status: pbCode[*docpb.DocumentReference_StatusCode](status, &err),
		DocStatus: pbCode[*docpb.DocumentReference_DocStatusCode](noteDocStatus[n.Status], &err),
		Type:      pbConcept(n.Type), Subject: pbPatientRef(n.Patient), Date: pbInstant(n.Created), Description: str(n.Title),
		Content: []*docpb.DocumentReference_Content{{Attachment: &dtpb.Attachment{
			ContentType: &dtpb.Attachment_ContentTypeCode{Value: noteContentType}, Data: &dtpb.Base64Binary{Value: []byte(n.Text)}}}},
	}
	if !n.Author.IsZero() {
		f.Author = []*dtpb.Reference{pbRef(n.Author)}
	}
	if n.Signature != nil {
		f.Authenticator = pbRef(n.Signature.By)
	}
	if n.Encounter != "" {
		f.Context = &docpb.DocumentReference_Context{Encounter: []*dtpb.Reference{pbEncounterRef(n.Encounter)}}
	}
	if err != nil {
		return nil, err
	}
	f.Extension, err = pbJSONExtension(extNoteSignatures, noteSignatures{Signature: n.Signature, Addenda: n.Addenda, Amendments: n.Amendments})
	return f, err
}

func init() {
	register(protoTyped[clinical.Note, *docpb.DocumentReference]{view: clinical.NoteRecords, del: clinicalDelete(clinical.NoteRecords.Type()),
		save: via(clinicalSvc, (*clinical.Service).SaveNote), from: noteFrom, to: noteTo,
		elements: []string{"extension", "status", "docStatus", "type", "subject", "date", "author", "authenticator",
			"description", "content", "context"}})
}
