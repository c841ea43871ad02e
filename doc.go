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
//
// The values holding PHI (HumanName, Identifier, Address, ContactPoint) redact
// themselves when printed with fmt (any verb) or logged with slog;
// encoding/json still writes every field. FormatRedacted gives a domain type
// holding PHI the same fmt behaviour. Retry runs a transaction again after a
// lost version race (ErrConflict), never after a business refusal.
package ehrkit
