package rx

import "github.com/ehrkit/ehrkit/access"

// Groups returns the record-type groups of ordering for an access policy
// (access.DefaultPolicy): medication orders and the prescription topic are
// medication records (and transmissions), laboratory and imaging requests diagnostic orders,
// transmissions the delivery state of prescriptions, and order sets shared
// reference data. Each call returns fresh slices.
func Groups() []access.Group {
	return []access.Group{
		{Class: access.ClassMedication, Types: []string{MedicationRequestType}, Topics: []string{TopicPrescription}},
		{Class: access.ClassDiagnosticOrder, Types: []string{ServiceRequestType}},
		// The prescription topic is also the transmissions': whoever keeps
		// the delivery state (an operator requeuing a dead letter) emits it.
		{Class: access.ClassTransmission, Types: []string{TransmissionType}, Topics: []string{TopicPrescription}},
		{Class: access.ClassDirectory, Types: []string{OrderSetType}, Shared: true},
	}
}
