package hl7v2

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// OrderHandler accepts incoming laboratory orders, ORM^O01 and OML^O21,
// into rx through rx.Service.SaveOrder: each ORC with its OBR becomes a
// laboratory order (rx.KindLab) of the patient its PID identifiers name.
// All orders of one message are one transaction. Its Handle method serves
// as the Handler of Server.Serve.
type OrderHandler struct {
	// Orders stores the orders and Patients finds their patient; Store is
	// the store both were made over.
	Orders   *rx.Service
	Patients *patient.Service
	Store    storage.Store
	// Clock stamps the ACKs; nil means ehrkit.RealClock.
	Clock ehrkit.Clock
}

// orderStatuses maps ORC-5 (HL7 table 0038) to the order status.
var orderStatuses = map[string]rx.Status{
	"A": rx.Active, "IP": rx.Active, "SC": rx.Active, "CM": rx.Completed, "CA": rx.Cancelled, "DC": rx.Stopped, "HD": rx.OnHold,
}

// controlStatuses maps ORC-1 (HL7 table 0119) to the order status when ORC-5
// is empty.
var controlStatuses = map[string]rx.Status{
	"NW": rx.Active, "XO": rx.Active, "RL": rx.Active, "SC": rx.Active, "SN": rx.Active, "OK": rx.Active,
	"CA": rx.Cancelled, "OC": rx.Cancelled, "CR": rx.Cancelled, "DC": rx.Stopped, "OD": rx.Stopped,
	"HD": rx.OnHold, "OH": rx.OnHold,
}

// priorities maps TQ1-9 and the priority component of OBR-27 (HL7 table
// 0485) to the order priority.
var priorities = map[string]string{"S": rx.PriorityStat, "A": rx.PriorityASAP, "R": rx.PriorityRoutine, "P": rx.PriorityRoutine, "T": rx.PriorityUrgent, "C": rx.PriorityUrgent}

// LabOrders maps an ORM^O01 or OML^O21 to laboratory orders of patient p:
// per ORC, the order id is its placer number (ORC-2, else OBR-2) when it is
// a valid record id, else "v2-" and a hash of the sending facility and the
// placer number, so a later message of the same order (ORC-1 CA, a status
// change) updates it; ORC-5 (else ORC-1) gives the status, ORC-12 (else
// OBR-16) the requester's id as sent, ORC-9 (else MSH-7) when it was
// authored, OBR-4 the test (its LOINC coding: rx keeps LOINC tests only),
// the first SPM-4 after it the specimen type, TQ1-9 (else OBR-27.6) the
// priority. Problems fail with one *ehrkit.ValidationError naming segment
// occurrences and fields ("ORC(2)-12", "OBR(1)-4").
func LabOrders(msg *Message, p patient.ID) ([]rx.Order, error) {
	var (
		is      ehrkit.Issues
		out     []rx.Order
		cur     *rx.Order
		counts  = map[string]int{}
		fac     = sendingFacility(msg)
		msgTime time.Time
	)
	if v := msg.Get("MSH-7"); v != "" {
		msgTime, _ = dtmTime(v)
	}
	orc, orcOcc := Segment{}, 0
	field := func(s Segment, n int) string { return strings.TrimSpace(s.Field(n).Rep(1).Component(1).Text()) }
	for _, s := range msg.Segments {
		counts[s.Name]++
		occ := counts[s.Name]
		switch s.Name {
		case "ORC":
			if cur != nil && cur.Lab == nil {
				is.Add(seg("ORC", orcOcc), ehrkit.IssueNotSupported, "an order without an OBR: only laboratory orders are accepted")
			}
			orc, orcOcc = s, occ
			o := rx.Order{Patient: p, Kind: rx.KindLab, Requester: field(s, 12)}
			status, ok := orderStatuses[strings.ToUpper(field(s, 5))]
			if !ok {
				status, ok = controlStatuses[strings.ToUpper(field(s, 1))]
			}
			is.Check(ok, seg("ORC", occ)+"-1", ehrkit.IssueCodeInvalid, "unknown order control or status (HL7 tables 0119, 0038)")
			o.Status = status
			if v := field(s, 9); v != "" {
				t, err := dtmTime(v)
				is.Check(err == nil, seg("ORC", occ)+"-9", ehrkit.IssueValue, "malformed date/time")
				o.Authored = t
			}
			out = append(out, o)
			cur = &out[len(out)-1]
		case "OBR":
			p := seg("OBR", occ)
			if cur == nil || cur.Lab != nil {
				is.Add(p, ehrkit.IssueStructure, "an OBR needs its ORC before it")
				continue
			}
			placer := field(orc, 2)
			if placer == "" {
				placer = field(s, 2)
			}
			is.Check(placer != "", seg("ORC", orcOcc)+"-2", ehrkit.IssueRequired, "an order needs its placer number")
			cur.ID = placer
			if !storage.ValidID(placer) {
				cur.ID = hashID("v2-", fac+"|"+placer, 12)
			}
			if cur.Requester == "" {
				cur.Requester = field(s, 16)
			}
			is.Check(cur.Requester != "", seg("ORC", orcOcc)+"-12", ehrkit.IssueRequired, "an order needs its ordering provider")
			test := concept(s.Field(4).Rep(1))
			i := slices.IndexFunc(test.Coding, func(c ehrkit.Coding) bool { return c.System == ehrkit.SystemLOINC })
			switch {
			case i >= 0:
				cur.Lab = &rx.LabDetail{Test: test.Coding[i]}
			case len(test.Coding) > 0:
				cur.Lab = &rx.LabDetail{Test: test.Coding[0]} // refused by rx: not LOINC
			default:
				cur.Lab = &rx.LabDetail{}
				is.Add(p+"-4", ehrkit.IssueRequired, "is required")
			}
			if cur.Priority == "" {
				cur.Priority = priorities[strings.ToUpper(strings.TrimSpace(s.Field(27).Rep(1).Component(6).Text()))]
			}
		case "TQ1":
			if cur != nil {
				if pr, ok := priorities[strings.ToUpper(field(s, 9))]; ok {
					cur.Priority = pr
				}
			}
		case "SPM":
			if cur != nil && cur.Lab != nil && cur.Lab.Specimen.IsZero() {
				if cc := concept(s.Field(4).Rep(1)); len(cc.Coding) > 0 {
					cur.Lab.Specimen = cc.Coding[0]
				}
			}
		}
	}
	if cur != nil && cur.Lab == nil {
		is.Add(seg("ORC", orcOcc), ehrkit.IssueNotSupported, "an order without an OBR: only laboratory orders are accepted")
	}
	if len(out) == 0 {
		is.Add("ORC", ehrkit.IssueRequired, "an order message needs an ORC segment")
	}
	for i := range out {
		if out[i].Authored.IsZero() {
			out[i].Authored = msgTime
		}
	}
	if err := is.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Handle answers one message with its ACK: AA when every order was stored;
// AE with ERR segments naming segment and field when the patient is unknown
// (PID-3, ERR-3 204), an order is malformed or not a laboratory order, or
// rx refuses it; AR for a message that does not parse or is not an ORM^O01
// or OML^O21.
func (h *OrderHandler) Handle(ctx context.Context, data []byte) []byte {
	msg, ack := parseFor(data, h.Clock, "ORM^O01", "OML^O21")
	if ack != nil {
		return ack
	}
	if err := h.File(ctx, msg); err != nil {
		return ackFor(msg, h.Clock, AE, ackErrors(msg, err)...)
	}
	return ackFor(msg, h.Clock, AA)
}

// File stores the laboratory orders of an ORM^O01 or OML^O21 (LabOrders) in
// one transaction through rx.Service.SaveOrder, for the current patient
// holding one of the PID-3 identifiers.
func (h *OrderHandler) File(ctx context.Context, msg *Message) error {
	p, err := patientOf(ctx, h.Patients, msg)
	if err != nil {
		return err
	}
	orders, err := LabOrders(msg, p)
	if err != nil {
		return err
	}
	return h.Store.Update(ctx, func(tx storage.Tx) error {
		for i, o := range orders {
			if _, err := h.Orders.SaveOrder(ctx, tx, o); err != nil {
				return renamed(err, seg("ORC", i+1), map[string]string{"lab": seg("OBR", i+1) + "-4", "requester": seg("ORC", i+1) + "-12",
					"patient": "PID-3", "authored": seg("ORC", i+1) + "-9", "status": seg("ORC", i+1) + "-5", "id": seg("ORC", i+1) + "-2"})
			}
		}
		return nil
	})
}

// patientOf is the current patient holding one of the identifiers of the
// message's PID-3; unknown is a *ehrkit.ValidationError on PID-3.
func patientOf(ctx context.Context, patients *patient.Service, msg *Message) (patient.ID, error) {
	pid, ok := msg.Segment("PID", 1)
	var is ehrkit.Issues
	if !ok {
		is.Add("PID", ehrkit.IssueRequired, "the message has no PID segment")
		return "", is.Err()
	}
	ids, err := identifiers(pid.Field(3), "PID-3", sendingFacility(msg))
	if err != nil {
		return "", err
	}
	p, err := findPatient(ctx, patients, ids)
	if err != nil {
		return "", err
	}
	is.Check(p != "", "PID-3", issueNotFound, "no current patient holds the identifier")
	return p, is.Err()
}

// renamed renames the paths of a service's validation error to the fields
// of the message they came from (fields maps the first path element; other
// paths name def), keeping other errors as they are.
func renamed(err error, def string, fields map[string]string) error {
	var ve *ehrkit.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var v ehrkit.Issues
	for _, is := range ve.Issues {
		head, _, _ := strings.Cut(is.Path, ".")
		head, _, _ = strings.Cut(head, "[")
		path, ok := fields[head]
		if !ok {
			path = def
		}
		v.Add(path, is.Code, "%s: %s", is.Path, is.Message)
	}
	return v.Err()
}
