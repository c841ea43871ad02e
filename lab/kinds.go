package lab

import (
	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// Record types the lab package stores.
const (
	ReportType = "DiagnosticReport"
	AlertType  = "LabAlert"
	QueueType  = "LabReconciliation"
)

// Change-feed topics.
const (
	// TopicResult: a final, corrected or amended result for the ordering
	// clinician (payload Notification); Urgent when critical.
	TopicResult = "lab.result"
	// TopicEscalated: a critical result nobody acknowledged in time, for the
	// backup (payload Notification).
	TopicEscalated = "lab.escalated"
)

// Index terms.
const (
	termCode   = "code"
	termDate   = "date"
	termPlacer = "placer"
	termFiller = "filler"
	termStatus = "status"
	termDue    = "due"
)

func add(t []storage.Term, name, value string) []storage.Term {
	if value == "" {
		return t
	}
	return append(t, storage.Term{Name: name, Value: value})
}

var reports = storage.Kind[Report]{Type: ReportType, Version: 1, Meta: func(r *Report) storage.Meta {
	var t []storage.Term
	t = add(t, termDate, r.Effective.UTC().Format(storage.TimeLayout))
	t = add(t, termPlacer, r.Placer)
	t = add(t, termFiller, r.Filler)
	t = add(t, termStatus, string(r.Status))
	for _, res := range r.Results {
		t = add(t, termCode, ehrkit.SystemLOINC+"|"+res.LOINC())
	}
	return storage.Meta{ID: r.ID, Compartment: string(r.Patient), Terms: t}
}}

var alerts = storage.Kind[Alert]{Type: AlertType, Version: 1, Meta: func(a *Alert) storage.Meta {
	var t []storage.Term
	t = add(t, termStatus, string(a.Status))
	if a.Status == AlertOpen {
		t = add(t, termDue, a.Due.UTC().Format(storage.TimeLayout))
	}
	return storage.Meta{ID: a.ID, Compartment: string(a.Patient), Terms: t}
}}

// Read-only views of the lab records, for packages that read them in their
// own transactions (an exporter). Writes go through the Service.
var (
	ReportRecords = reports.View()
	AlertRecords  = alerts.View()
)
