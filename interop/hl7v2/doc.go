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
// messages over TCP.
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
// RDEEncoder is the rx.Encoder of HL7 v2.5.1: it renders a signed
// prescription as a pharmacy/treatment encoded order (RDE^O11) for an
// rx.Dispatcher. Only opaque ids go into the patient segment; the pharmacy
// system resolves demographics through its patient interface.
package hl7v2
