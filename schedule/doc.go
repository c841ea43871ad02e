// Package schedule manages appointments: schedules of practitioners, rooms and
// devices, recurring availability, free slots, booking without double-booking,
// a waitlist that is offered freed slots automatically, and reminders.
//
// # Model
//
// A Schedule belongs to one resource (a Practitioner, a Location such as a room,
// or a Device) and is kept in the resource's IANA time zone. Its availability is
// a set of recurring Availability blocks, each an RFC 5545 RRULE naming the days
// ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR") plus local opening and closing times
// ("09:00" to "12:30"); rules without COUNT or UNTIL run for ever. Exceptions
// (holidays, leave) remove time and Extras add one-time availability:
// availability = (rules − exceptions) ∪ extras. Times of day are local, so a
// 09:00 clinic opens at 09:00 on both sides of a daylight-saving change.
//
// An AppointmentType says how long an appointment lasts, the buffers a resource
// needs before and after it, how many patients share one session (Capacity,
// for group sessions) and which kinds of resources it needs together (for
// example a practitioner and a room).
//
// # Rules
//
// FreeSlots is a pure function of availability, existing bookings and the
// requested type and window. A slot is free when its occupied time (the
// appointment with its buffers) lies inside every resource's availability and
// no resource is busy with anything but the same session (same type, same start)
// that still has room. A schedule may allow overbooking: Schedule.Overbook extra
// patients per session, used only when a request asks for it explicitly.
//
// Slots lie on a grid: in each stretch where every resource is available, the
// first start follows the type's buffer before, and each next one is a whole
// block (buffers and appointment) later. Book accepts any start whose block
// fits, on the grid or not. An appointment with its buffers lasts at most 24
// hours. Rules must be DAILY or coarser, without BYHOUR, BYMINUTE or
// BYSECOND (the times come from Open and Close), and UNTIL is read as the
// last day, inclusive. An open-ended rule that began years ago costs no more
// than a new one: the search moves its start forward by whole periods, which
// selects the same days.
//
// Schedule times (starts, ends, holds and searched windows) lie between
// 1677-09-23 and 2262-04-09, the span of the day ledgers' Unix nanoseconds
// less two days; a time outside it is refused with its field named.
//
// Schedule.Validate and the other validators return one
// *ehrkit.ValidationError naming every bad field, for example timeZone (an
// unknown zone), availability[1].rule (an RRULE that does not parse) or
// availability[0].close (before open).
//
// # Service
//
// Service persists schedules, types and appointments in a storage.Store and
// moves appointments through the FHIR Appointment statuses:
//
//	proposed -> booked | cancelled           (a waitlist offer held for a patient)
//	booked   -> checked-in | noshow | cancelled   (Reschedule keeps it booked)
//	checked-in -> fulfilled
//
// A booking outside availability is refused with a start issue; a slot that
// is taken fails with ErrSlotUnavailable; a move the life cycle does not allow
// fails with ehrkit.ErrFailedPrecondition.
//
// Booking is atomic on every backend. Each booking writes a ledger record per
// resource and UTC day it occupies, with the version it read; the ledger lists
// the bookings of that resource and day, so two transactions that both see room
// in a slot cannot both commit: the second fails with a version conflict,
// re-reads and finds the slot full. When many callers book one slot at once,
// exactly as many succeed as the capacity allows.
//
// Cancelling emits a slot-freed event in the same transaction. ProcessWaitlist
// reads those events from the change feed and offers the slot to the first
// matching waitlist entry: it books a proposed appointment that holds the slot
// until the hold expires (ExpireOffers releases expired holds, which frees the
// slot for the next entry).
//
// Reminders are written with the booking (transactional outbox) at the
// configured offsets before the start. ReleaseReminders turns due reminders into
// change-feed events and Deliver hands them and waitlist offers to a Notifier.
// Delivery is at least once: the feed position moves only after the Notifier
// succeeded, so a crash in between resends the notice with the same idempotency
// key. A reminder whose appointment was cancelled or moved is never sent: it is
// checked against the appointment's current state at delivery time.
//
// # Permissions and references
//
// Book, Reschedule, Cancel and AcceptOffer are acts (access.Act) of the
// permission access.PermScheduleBook for the appointment's patient: the
// appointment, the day ledgers, reminders and waitlist entries are written in
// the act's transaction and audited as the act, so no role needs to write
// them directly (a patient portal books through Book, never by writing an
// Appointment record). CheckIn, NoShow and Complete are record writes checked
// by the store's guard. A booking or waitlist entry for a patient who does not
// exist or was merged away is refused with a *ehrkit.ValidationError on
// "patient".
//
// # Imports
//
// SaveAppointment and SaveSchedule store records as given inside the
// caller's transaction (a FHIR import composes them with other domain
// writes); an imported appointment takes its time in the day ledgers like a
// booking, so its slot is not offered or booked again. AppointmentRecords
// and ScheduleRecords are read-only views for exporters.
package schedule
