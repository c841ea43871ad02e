// Package lab holds laboratory results: reports (FHIR DiagnosticReport)
// grouping results (FHIR Observation, HL7 v2 OBX) with LOINC codes, value
// types as HL7 v2 names them (NM, SN, CE/CWE, ST/TX/FT, ED) and UCUM units.
//
// The rules are pure functions tested without a store:
//
//   - Interpret flags a value against a reference range (L, H, LL, HH, A, AA,
//     N); a value given as "<x" or ">x" is flagged only when every value it
//     stands for has the same flag.
//   - Ranges.For picks the range of a test for the patient's sex and age;
//     StarterRanges is a cited starter set (MedlinePlus normal ranges, the
//     critical limits of Kost's survey of US medical centres).
//   - CheckDelta compares a result with the patient's previous one
//     (StarterDeltaRules).
//
// A flag computed by ehrkit fills a gap only: the sender's flags are kept as
// sent, and a computed flag that disagrees with them is shown beside them,
// never written over them.
package lab
