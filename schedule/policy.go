package schedule

import "github.com/ehrkit/ehrkit/access"

// Groups returns the record-type groups of the schedule for an access policy
// (access.DefaultPolicy): appointments, waitlist entries and reminders (and
// the topics that announce them) are the patient's scheduling records;
// schedules, appointment types and the day ledgers belong to no patient;
// appointments are also what billing codes from. Each call returns fresh
// slices.
func Groups() []access.Group {
	return []access.Group{
		{Class: access.ClassScheduling, Types: []string{RecordAppointment, RecordWaitlist, RecordReminder}, Topics: []string{TopicSlotFreed, TopicOffer, TopicReminder}},
		{Class: access.ClassScheduling, Types: []string{RecordSchedule, RecordAppointmentType, RecordLedger}, Shared: true},
		{Class: access.ClassBillable, Types: []string{RecordAppointment}},
	}
}
