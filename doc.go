// Package ehrkit is the shared clinical vocabulary of the ehrkit SDK: codings and
// codeable concepts with the well-known code-system URIs, identifiers, references,
// periods, quantities with UCUM units, human names, addresses and contact points,
// a calendar Date with precision, sortable unique IDs, a Clock, the sentinel
// errors every package wraps, and the one ValidationError type that lists every
// field problem.
//
// The values are shaped after their FHIR R4 data types (same names for the same
// concepts) so that mapping to and from FHIR is direct. Domain packages
// (patient, clinical, rx, ...) build on these types; nothing here performs I/O.
package ehrkit
