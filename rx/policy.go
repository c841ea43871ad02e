package rx

import "github.com/ehrkit/ehrkit/access"

// Groups returns the record-type groups of ordering for an access policy
// (access.DefaultPolicy): medication orders are medication records,
// laboratory and imaging requests diagnostic orders, transmissions the
// delivery state of prescriptions, order sets shared reference data, and the
// per-patient medication ledger internal (only signing, an act, writes it).
// The prescription topic comes with both orders and transmissions. Each call
// returns fresh slices.
func Groups() []access.Group {
	return []access.Group{
		{Class: access.ClassMedication, Types: []string{MedicationRequestType}, Topics: []string{TopicPrescription}},
		{Class: access.ClassDiagnosticOrder, Types: []string{ServiceRequestType}},
		// The prescription topic is also the transmissions': whoever keeps
		// the delivery state (an operator requeuing a dead letter) emits it.
		{Class: access.ClassTransmission, Types: []string{TransmissionType}, Topics: []string{TopicPrescription}},
		{Class: access.ClassDirectory, Types: []string{OrderSetType}, Shared: true},
		{Class: access.ClassInternal, Types: []string{ledgerType}},
	}
}
