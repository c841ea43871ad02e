package hl7v2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// SystemIdentifierType is the code system of CX-5 (HL7 table 0203), as FHIR
// names it.
const SystemIdentifierType = "http://terminology.hl7.org/CodeSystem/v2-0203"

// PatientFromPID maps the first PID segment of msg to a patient:
//
//   - PID-3 (CX, repeating) → identifiers. The value is CX-1 and the system
//     comes from the assigning authority CX-4: "urn:oid:<universal id>" when
//     CX-4.2 is set and CX-4.3 is "ISO", else the namespace id CX-4.1 as
//     sent, else the universal id as sent; an identifier without an
//     authority is the sending facility's (MSH-4, read the same way), and
//     refused when MSH-4 is empty too. CX-5 becomes the identifier type
//     (table 0203).
//   - PID-5 (XPN) → names: family (FN.1), given (XPN-2 and XPN-3), suffix
//     (XPN-4 and the degree XPN-6), prefix (XPN-5) and use from XPN-7 (table
//     0200, as the HL7 v2-to-FHIR ConceptMap maps it: L official, D and A
//     usual, M maiden, N nickname, S anonymous).
//   - PID-7 → birth date at the precision sent (year, month or day; a time
//     part is dropped).
//   - PID-8 → gender (table 0001: M male, F female, O, A and N other, U
//     unknown).
//   - PID-11 (XAD) → addresses, use from XAD-7 (H home, B and O work, C temp,
//     BA old).
//   - PID-13 and PID-14 (XTN) → telecom, home and work; equipment type
//     Internet/X.400 gives an e-mail (XTN-4), FX a fax, BP a pager, CP a
//     mobile phone.
//
// The patient id is deterministic: "v2-" and a hash of the first identifier's
// system and value, so the same identifier always names the same record.
// ADTHandler reuses the id of a patient already holding one of the
// identifiers instead.
//
// Problems fail with one *ehrkit.ValidationError whose paths name PID fields
// ("PID-3[2]", "PID-7"), the patient field in the message.
func PatientFromPID(msg *Message) (patient.Patient, error) {
	seg, ok := msg.Segment("PID", 1)
	if !ok {
		var v ehrkit.Issues
		v.Add("PID", ehrkit.IssueRequired, "the message has no PID segment")
		return patient.Patient{}, v.Err()
	}
	var v ehrkit.Issues
	p := patient.Patient{Active: true}
	ids, err := identifiers(seg.Field(3), "PID-3", sendingFacility(msg))
	v.Merge("", err)
	p.Identifiers = ids
	v.Check(len(ids) > 0 || err != nil, "PID-3", ehrkit.IssueRequired, "is required")
	for _, r := range seg.Field(5).Repetitions() {
		p.Names = append(p.Names, name(r))
	}
	if f := seg.Field(7); !f.Empty() {
		d, err := dtmDate(f.Rep(1).Component(1).Text())
		v.Check(err == nil, "PID-7", ehrkit.IssueValue, "malformed birth date")
		p.BirthDate = d
	}
	if f := seg.Field(8); !f.Empty() {
		g, ok := genders[strings.ToUpper(f.Text())]
		v.Check(ok, "PID-8", ehrkit.IssueCodeInvalid, "unknown administrative sex (HL7 table 0001)")
		p.Gender = g
	}
	for _, r := range seg.Field(11).Repetitions() {
		p.Addresses = append(p.Addresses, address(r))
	}
	var telecomFields []string // PID field of each telecom entry, for error paths
	for _, f := range []struct {
		n   int
		use string
	}{{13, "home"}, {14, "work"}} {
		for i, r := range seg.Field(f.n).Repetitions() {
			if c, ok := telecom(r, f.use); ok {
				p.Telecom = append(p.Telecom, c)
				telecomFields = append(telecomFields, fmt.Sprintf("PID-%d[%d]", f.n, i+1))
			}
		}
	}
	if err := v.Err(); err != nil {
		return patient.Patient{}, err
	}
	p.ID = RecordID(p.Identifiers[0])
	if err := pidIssues(p.Validate(), telecomFields); err != nil {
		return patient.Patient{}, err
	}
	return p, nil
}

// RecordID is the deterministic patient id PatientFromPID derives from an
// identifier: "v2-" and 24 hex digits of the SHA-256 of "system|value", a
// storage.ValidID id that shows no identifier value.
func RecordID(id ehrkit.Identifier) patient.ID {
	sum := sha256.Sum256([]byte(id.Token()))
	return patient.ID("v2-" + hex.EncodeToString(sum[:12]))
}

// pidIssues renames the paths of the patient's validation error to the PID
// fields they came from ("identifier[1].value" → "PID-3[2]", the patient
// path kept in the message).
func pidIssues(err error, telecomFields []string) error {
	var ve *ehrkit.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	fields := map[string]string{"identifier": "PID-3", "name": "PID-5", "birthDate": "PID-7", "gender": "PID-8", "address": "PID-11"}
	var v ehrkit.Issues
	for _, is := range ve.Issues {
		head, _, _ := strings.Cut(is.Path, ".")
		base, idx, indexed := strings.Cut(head, "[")
		n, _ := strconv.Atoi(strings.TrimSuffix(idx, "]"))
		path := "PID"
		switch f, known := fields[base]; {
		case base == "telecom" && indexed && n < len(telecomFields):
			path = telecomFields[n]
		case known && indexed:
			path = fmt.Sprintf("%s[%d]", f, n+1)
		case known:
			path = f
		}
		v.Add(path, is.Code, "%s: %s", is.Path, is.Message)
	}
	return v.Err()
}

// issueNotFound is the FHIR issue type of an identifier no patient holds
// (ERR-3 204, unknown key identifier).
const issueNotFound ehrkit.IssueCode = "not-found"

var genders = map[string]patient.Gender{
	"M": patient.GenderMale, "F": patient.GenderFemale, "O": patient.GenderOther,
	"A": patient.GenderOther, "N": patient.GenderOther, "U": patient.GenderUnknown,
}

var nameUses = map[string]string{"L": "official", "D": "usual", "A": "usual", "M": "maiden", "N": "nickname", "S": "anonymous"}

var addressUses = map[string]string{"H": "home", "B": "work", "O": "work", "C": "temp", "BA": "old"}

// identifiers maps a repeating CX field; field names it in errors ("PID-3")
// and fallback is the system of identifiers without an assigning authority.
func identifiers(f Field, field, fallback string) ([]ehrkit.Identifier, error) {
	var v ehrkit.Issues
	var out []ehrkit.Identifier
	for i, r := range f.Repetitions() {
		path := fmt.Sprintf("%s[%d]", field, i+1)
		value := strings.TrimSpace(r.Component(1).Text())
		auth := r.Component(4)
		system := hdSystem(auth.Sub(1), auth.Sub(2), auth.Sub(3))
		if system == "" {
			system = fallback
		}
		v.Required(path+".1", value != "")
		v.Check(system != "", path+".4", ehrkit.IssueRequired, "identifier has no assigning authority")
		id := ehrkit.Identifier{System: system, Value: value}
		if code := r.Component(5).Text(); code != "" {
			id.Type = ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: SystemIdentifierType, Code: code}}}
		}
		out = append(out, id)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func name(r Rep) ehrkit.HumanName {
	n := ehrkit.HumanName{Family: strings.TrimSpace(r.Component(1).Sub(1)), Use: nameUses[r.Component(7).Text()]}
	n.Given = words(r.Component(2).Text(), r.Component(3).Text())
	n.Suffix = words(r.Component(4).Text(), r.Component(6).Text())
	n.Prefix = words(r.Component(5).Text())
	return n
}

// address maps one XAD; a street address sent as SAD parts (number and
// street name) becomes one line.
func address(r Rep) ehrkit.Address {
	street := r.Component(1)
	return ehrkit.Address{
		Use:        addressUses[r.Component(7).Text()],
		Line:       words(strings.Join(words(street.Sub(1), street.Sub(2)), " "), r.Component(2).Text()),
		City:       strings.TrimSpace(r.Component(3).Text()),
		State:      strings.TrimSpace(r.Component(4).Text()),
		PostalCode: strings.TrimSpace(r.Component(5).Text()),
		Country:    strings.TrimSpace(r.Component(6).Text()),
	}
}

// telecom maps one XTN; use is the field's default (home for PID-13, work
// for PID-14). It reports false for an empty repetition.
func telecom(r Rep, use string) (ehrkit.ContactPoint, bool) {
	c := func(i int) string { return strings.TrimSpace(r.Component(i).Text()) }
	switch c(2) {
	case "WPN":
		use = "work"
	case "PRN", "ORN", "VHN":
		use = "home"
	}
	system, value := "phone", c(1)
	switch strings.ToUpper(c(3)) {
	case "INTERNET", "X.400":
		return ehrkit.ContactPoint{System: "email", Value: c(4), Use: use}, c(4) != ""
	case "FX":
		system = "fax"
	case "BP":
		system = "pager"
	case "CP":
		use = "mobile"
	}
	if value == "" {
		value = strings.Join(words(c(5), c(6), c(7)), " ")
		if c(8) != "" && value != "" {
			value += " x" + c(8)
		}
	}
	return ehrkit.ContactPoint{System: system, Value: value, Use: use}, value != ""
}

// hdSystem is the identifier system an HD (hierarchic designator) names:
// "urn:oid:<universal id>" for an ISO universal id, else the namespace id,
// else the universal id as sent; "" when the HD is empty.
func hdSystem(namespace, universal, typ string) string {
	switch {
	case universal != "" && strings.EqualFold(typ, "ISO"):
		return "urn:oid:" + universal
	case namespace != "":
		return namespace
	}
	return universal
}

// sendingFacility is the system MSH-4 names, the assigning authority of
// identifiers sent without one.
func sendingFacility(msg *Message) string {
	return hdSystem(msg.Get("MSH-4.1"), msg.Get("MSH-4.2"), msg.Get("MSH-4.3"))
}

// words returns the non-empty trimmed strings.
func words(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// dtmDate reads the date part of an HL7 DT/DTM: YYYY, YYYYMM or YYYYMMDD,
// optionally followed by a time and zone.
func dtmDate(s string) (ehrkit.Date, error) {
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	var iso string
	switch {
	case digits >= 8:
		iso = s[:4] + "-" + s[4:6] + "-" + s[6:8]
	case digits == 6:
		iso = s[:4] + "-" + s[4:6]
	case digits == 4:
		iso = s[:4]
	default:
		return ehrkit.Date{}, fmt.Errorf("%w: malformed date", ehrkit.ErrInvalid)
	}
	return ehrkit.ParseDate(iso)
}

// ADTHandler keeps the patient registry in step with ADT messages:
// ADT^A01, A04 and A08 register or update the PID patient, ADT^A40 merges
// the MRG patient into the PID patient. Its Handle method is a Handler for
// Server.Serve. The registration of one message is one transaction.
type ADTHandler struct {
	// Patients is the registry and Store the store the service was made
	// over: registrations run in its transactions.
	Patients *patient.Service
	Store    storage.Store
	// Clock stamps the ACKs; nil means ehrkit.RealClock.
	Clock ehrkit.Clock
}

// Handle answers one message with its ACK (the ACK's control id is the
// message's with "-ACK" appended, "ACK" when the message has none):
//
//   - AA when the message was applied;
//   - AE with an ERR per problem when the patient is invalid (the ERR names
//     the PID field, ERR-8 says what is wrong), when an identifier belongs
//     to another patient, or when an A40 names an unknown patient or the
//     same patient twice (ERR-3 204, unknown key identifier, or 207);
//   - AR for a message that does not parse or a type other than ADT^A01,
//     A04, A08 and A40 (ERR-3 200).
//
// The patient is the current one holding one of the PID-3 identifiers (its
// id is kept), else the one PatientFromPID names. A08 on a patient already
// registered keeps what the message does not carry: identifiers not sent (an
// MRN assigned by the registry) and merge links; a record merged into
// another is not updated (AE naming PID-3).
func (h *ADTHandler) Handle(ctx context.Context, data []byte) []byte {
	msg, ack := parseFor(data, h.Clock, "ADT^A01", "ADT^A04", "ADT^A08", "ADT^A40")
	if ack != nil {
		return ack
	}
	var err error
	if msg.Get("MSH-9.2") == "A40" {
		err = h.merge(ctx, msg)
	} else {
		err = h.register(ctx, msg)
	}
	if err != nil {
		return ackFor(msg, h.Clock, AE, ackErrors(msg, err)...)
	}
	return ackFor(msg, h.Clock, AA)
}

// findPatient returns the id of the current patient holding one of ids, or "".
func findPatient(ctx context.Context, patients *patient.Service, ids []ehrkit.Identifier) (patient.ID, error) {
	for _, id := range ids {
		res, err := patients.Search(ctx, patient.Query{Identifier: id, Limit: 1})
		if err != nil {
			return "", err
		}
		if len(res.Patients) > 0 {
			return res.Patients[0].ID, nil
		}
	}
	return "", nil
}

func (h *ADTHandler) register(ctx context.Context, msg *Message) error {
	p, err := PatientFromPID(msg)
	if err != nil {
		return err
	}
	existing, err := findPatient(ctx, h.Patients, p.Identifiers)
	if err != nil {
		return err
	}
	if existing != "" {
		p.ID = existing
	}
	return h.Store.Update(ctx, func(tx storage.Tx) error {
		rec, err := tx.Get(ctx, patient.RecordType, string(p.ID))
		switch {
		case errors.Is(err, ehrkit.ErrNotFound):
		case err != nil:
			return err
		default:
			cur, err := patient.Records.Decode(rec)
			if err != nil {
				return err
			}
			if cur.ReplacedBy() != "" {
				var v ehrkit.Issues
				v.Add("PID-3", ehrkit.IssueBusinessRule, "the patient was merged into another record")
				return v.Err()
			}
			keep(&p, cur)
		}
		_, err = h.Patients.Save(ctx, tx, p)
		return pidIssues(err, nil)
	})
}

// keep carries into p what an update message does not hold: cur's
// identifiers p lacks and cur's merge links.
func keep(p *patient.Patient, cur patient.Patient) {
	have := map[string]bool{}
	for _, id := range p.Identifiers {
		have[id.Token()] = true
	}
	for _, id := range cur.Identifiers {
		if !have[id.Token()] {
			p.Identifiers = append(p.Identifiers, id)
		}
	}
	p.Links = cur.Links
}

func (h *ADTHandler) merge(ctx context.Context, msg *Message) error {
	target, err := PatientFromPID(msg)
	if err != nil {
		return err
	}
	mrg, ok := msg.Segment("MRG", 1)
	if !ok {
		var v ehrkit.Issues
		v.Add("MRG", ehrkit.IssueRequired, "an A40 needs an MRG segment")
		return v.Err()
	}
	sourceIDs, err := identifiers(mrg.Field(1), "MRG-1", sendingFacility(msg))
	if err != nil {
		return err
	}
	var v ehrkit.Issues
	v.Required("MRG-1", len(sourceIDs) > 0)
	if err := v.Err(); err != nil {
		return err
	}
	source, err := findPatient(ctx, h.Patients, sourceIDs)
	if err != nil {
		return err
	}
	targetID, err := findPatient(ctx, h.Patients, target.Identifiers)
	if err != nil {
		return err
	}
	v.Check(source != "", "MRG-1", issueNotFound, "no current patient holds the prior identifier")
	v.Check(targetID != "", "PID-3", issueNotFound, "no current patient holds the identifier")
	v.Check(source == "" || source != targetID, "MRG-1", ehrkit.IssueBusinessRule, "names the same patient as PID-3")
	if err := v.Err(); err != nil {
		return err
	}
	_, err = h.Patients.Merge(ctx, source, targetID)
	return err
}

// ackErrors turns an error into ERR segments: one per validation issue, its
// path ("PID-3[2]", "MRG-1") giving the position.
func ackErrors(msg *Message, err error) []AckError {
	var ve *ehrkit.ValidationError
	if !errors.As(err, &ve) {
		text := "the receiving service refused the message"
		switch {
		case errors.Is(err, ehrkit.ErrFailedPrecondition):
			text = "the receiving service refused the change: a precondition failed (a slot taken, a record merged away)"
		case errors.Is(err, ehrkit.ErrConflict):
			text = "a record changed while the message was applied"
		}
		return []AckError{{Code: CodeApplicationError, Text: text}}
	}
	out := make([]AckError, 0, len(ve.Issues))
	for _, is := range ve.Issues {
		out = append(out, AckError{Position: position(msg, is.Path), Code: issueCode(is.Code), Text: is.Path + " " + is.Message})
	}
	return out
}

// position reads a path such as "PID-3[2].4" or "OBX(3)-5" (the third
// OBX) into an ERR-2 location.
func position(msg *Message, path string) Error {
	name, rest, _ := strings.Cut(path, "-")
	occ := 1
	if base, n, ok := strings.Cut(name, "("); ok {
		name = base
		occ, _ = strconv.Atoi(strings.TrimSuffix(n, ")"))
	}
	pos := Error{Segment: name}
	for i, s := range msg.Segments {
		if s.Name == name {
			if occ--; occ <= 0 {
				pos.SegmentIndex = i + 1
				break
			}
		}
	}
	field, rest, _ := strings.Cut(rest, ".")
	field, rep, _ := strings.Cut(field, "[")
	pos.Field, _ = strconv.Atoi(field)
	pos.Repetition, _ = strconv.Atoi(strings.TrimSuffix(rep, "]"))
	comp, sub, _ := strings.Cut(rest, ".")
	pos.Component, _ = strconv.Atoi(comp)
	pos.Subcomponent, _ = strconv.Atoi(sub)
	return pos
}

func issueCode(c ehrkit.IssueCode) int {
	switch c {
	case ehrkit.IssueRequired:
		return CodeRequiredMissing
	case ehrkit.IssueCodeInvalid:
		return CodeTableValue
	case issueNotFound:
		return CodeUnknownKey
	case ehrkit.IssueStructure:
		return CodeSegmentSequence
	case ehrkit.IssueValue, ehrkit.IssueTooLong:
		return CodeDataType
	}
	return CodeApplicationError
}
