// Package hl7v2 reads and writes HL7 version 2 messages in the traditional
// encoding (ER7: segments ending in a carriage return, fields separated by
// |, components by ^) and carries them over MLLP.
//
// Parse reads one message and ParseBatch a file (an FHS/BHS/BTS/FTS batch or
// bare messages one after the other). Delimiters come from MSH-1 and MSH-2,
// so non-standard ones work. Fields are kept as sent, Z-segments included,
// so Encode gives back the input's bytes; accessors (Message.Get with paths
// like "PID-3[2].1", Segment.Field, Field.Rep, Rep.Component, Component.Sub)
// unescape the standard escape set. The parser is strict; AllowLineFeeds and
// AllowUnknownEscapes are its named leniencies, and WithMaxMessageSize,
// WithMaxSegments and WithMaxFieldLength its limits against hostile input.
// Errors are *Error values with segment, field, repetition and component
// positions and never contain message bytes.
//
// Ack builds acknowledgements in original (AA/AE/AR) and enhanced (CA/CE/CR)
// mode with ERR segments; MLLPReader, WriteMLLP and Server.Serve carry
// messages over TCP. Framing problems (bytes outside a frame, a frame over
// the limit, a stream that ends or stalls inside a frame) are *FrameError
// values with the stream offset, never bare timeouts, and Server answers a
// peer that does not frame with a framed AR before it closes the
// connection.
//
// # Receiving
//
// Each handler maps its messages to domain values and writes them through
// the owning service's transaction-scoped entry point, one transaction per
// message, so a message is applied whole or not at all. Every handler
// answers AA when the message was applied, AE with one ERR segment per
// problem naming the segment line and field (ERR-2) and the table 0357 code
// (ERR-3), and AR for a message that does not parse or is not its type; MSA-2
// is always the message's MSH-10, read from its MSH even when the rest does
// not parse. Problems found by a service are renamed to the message fields
// they came from ("results[2].code" of lab becomes "OBX(3)-3").
//
// PatientFromPID maps a PID segment to a patient.Patient (identifiers with
// their assigning authority as system, names, birth date at its precision,
// sex, addresses, phones), naming PID fields in its validation errors.
// ADTHandler applies ADT^A01, A04 and A08 to the patient registry
// (patient.Service.Save, one transaction per message) and ADT^A40 as a
// merge (patient.Service.Merge), answering AA, AE with ERR segments naming
// the PID or MRG field, or AR for other message types; its Handle method
// serves as the Handler of Server.Serve.
//
// ORUHandler files ORU^R01 results through lab.Service.Receive: to the
// patient the PID identifiers name, or into the reconciliation queue (see
// ORUReports for the mapping: every OBX of the ORDER_OBSERVATION group is a
// result, those of SPECIMEN groups included; an OBX outside a group is
// refused, never dropped; Base64 ED payloads of several megabytes are
// decoded). OrderHandler stores incoming ORM^O01 and OML^O21 laboratory
// orders through rx.Service.SaveOrder (LabOrders), and SIUHandler SIU^S12-S15
// bookings through schedule.Service.SaveAppointment, whose day ledger
// refuses a resource's time taken twice (Appointment). Receiver routes each
// message to the handler of its type.
//
// RDEEncoder is the rx.Encoder of HL7 v2.5.1: it renders a signed
// prescription as a pharmacy/treatment encoded order (RDE^O11) for an
// rx.Dispatcher. Only opaque ids go into the patient segment; the pharmacy
// system resolves demographics through its patient interface.
package hl7v2
