// Package ehrkit is the shared clinical vocabulary of the ehrkit SDK: codings and
// codeable concepts with the well-known code-system URIs, identifiers, references,
// periods, quantities with UCUM units, human names, addresses and contact points,
// a calendar Date with precision, sortable unique IDs, a Clock, the sentinel
// errors every package wraps, and the one ValidationError type that lists every
// field problem.
//
// The values are shaped after their FHIR R4 data types (same names for the same
// concepts) so that mapping to and from FHIR is direct. Domain packages
// (patient, clinical, schedule, rx) build on these types; nothing here performs
// I/O.
//
// # Conventions every package follows
//
//   - Errors wrap the sentinels ErrNotFound, ErrConflict, ErrInvalid,
//     ErrFailedPrecondition, ErrPermission, ErrUnauthenticated and
//     ErrUnsupported; check them with errors.Is. ErrConflict means a
//     retryable version race only, and Retry retries exactly that, honouring
//     the context. Business refusals (an identifier in use, a certain
//     duplicate, a slot taken, alerts without an override) wrap
//     ErrFailedPrecondition: running them again gives the same answer.
//   - Bad input gets one *ValidationError listing every problem, each with its
//     path (name[0].family), a FHIR issue-type code (required, value,
//     invariant, code-invalid, duplicate, business-rule ...) and a message;
//     it wraps ErrInvalid. Issues collects them. Nothing invalid is stored.
//   - A Date keeps its precision (year, month or day): a birth date known to
//     the month stays a month. Times are time.Time, stored in UTC at
//     microsecond precision so that every backend returns the same value.
//   - Quantities are decimals with UCUM units, never floats.
//   - Constructors take their required arguments, then functional options of
//     the package's own Option type (WithClock, WithLogger, WithIDs ...);
//     ctx comes first on anything that does I/O.
//   - No PHI in Error, String or logs: types holding PHI show ids only. The
//     values holding PHI (HumanName, Identifier, Address, ContactPoint)
//     redact themselves when printed with fmt (any verb) or logged with slog;
//     encoding/json still writes every field. FormatRedacted gives a domain
//     type holding PHI the same fmt behaviour.
//   - FakeClock and SeqIDs make tests and examples deterministic.
package ehrkit
