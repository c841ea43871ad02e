// Package lab holds laboratory results: reports (FHIR DiagnosticReport, the
// OBR group of an HL7 v2 ORU^R01) grouping results (FHIR Observation, HL7 v2
// OBX) with LOINC codes, value types as HL7 v2 names them (NM, SN, CE/CWE,
// ST/TX/FT, ED) and UCUM units, a specimen and performers (Practitioner or
// Organization references).
//
// # Rules
//
// The rules are pure functions tested without a store:
//
//   - Interpret flags a value against a reference range (L, H, LL, HH, A, AA,
//     N); a value given as "<x" or ">x" is flagged only when every value it
//     stands for has the same flag.
//   - Ranges.For picks the range of a test for the patient's sex and age;
//     StarterRanges is a cited starter set (MedlinePlus normal ranges, the
//     critical limits of Kost's survey of US medical centres) for potassium,
//     sodium, glucose, hemoglobin, creatinine and troponin I.
//   - CheckDelta compares a result with the patient's previous one
//     (StarterDeltaRules).
//
// A flag computed by ehrkit fills a gap only: the sender's flags are kept as
// sent, and a computed flag that disagrees with them is marked beside them
// (Result.Disagrees), never written over them.
//
// # Service
//
// Service.SaveReport is the transaction-scoped entry point of feeds and
// importers. It validates the report, checks the patient and encounter,
// matches the report to its order (OrderSource, by placer number, or by the
// filler number of an earlier report; a report of no ehrkit order is kept
// and marked Unsolicited, one naming another patient's order is refused),
// flags each result against the sender's range or the table for the
// patient's sex and age, runs the delta check, writes each result to the
// chart as a laboratory clinical.Observation of the same id (a corrected
// result is a new version; the store's history keeps the old one) and tells
// the ordering clinician through the change feed (TopicResult), in the same
// transaction.
//
// A critical result opens an Alert. Service.Escalate, run periodically by an
// Escalator, tells the backup (WithEscalation, TopicEscalated) of every alert
// not acknowledged in time; Service.Acknowledge records who took it and
// audits it ("lab.acknowledge").
//
// Service.Receive files a report whose patient the sender names by
// identifiers: to the one current patient they all point to (with a birth
// date and gender that do not contradict the sender's), otherwise into the
// reconciliation queue (Service.Queue, Service.Resolve), never dropped and
// never attached to a patient it is not sure of.
//
// Groups declares lab's record types and topics for the access policy.
package lab
