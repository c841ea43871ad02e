// Package hl7v2 renders ehrkit values as HL7 version 2 messages in the
// traditional encoding (ER7: segments ending in a carriage return, fields
// separated by |, components by ^).
//
// RDEEncoder is the rx.Encoder of HL7 v2.5.1: it renders a signed
// prescription as a pharmacy/treatment encoded order (RDE^O11) for an
// rx.Dispatcher. Only opaque ids go into the patient segment; the pharmacy
// system resolves demographics through its patient interface.
package hl7v2
