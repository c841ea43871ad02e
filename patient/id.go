package patient

// ID identifies a patient record. It is also the patient's compartment: every
// record that belongs to the patient carries it as storage.Record.Compartment.
type ID string

// RecordType is the storage record type of patients.
const RecordType = "Patient"
