package fhir

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// sysDiagnosticSection is HL7 v2 table 0074, the DiagnosticReport category
// system.
const sysDiagnosticSection = "http://terminology.hl7.org/CodeSystem/v2-0074"

// ---- DiagnosticReport

type fDiagnosticReport struct {
	ResourceType      string        `json:"resourceType"`
	ID                string        `json:"id,omitempty"`
	BasedOn           []fReference  `json:"basedOn,omitempty"`
	Status            string        `json:"status"`
	Category          []fConcept    `json:"category,omitempty"`
	Code              *fConcept     `json:"code"`
	Subject           *fReference   `json:"subject,omitempty"`
	Encounter         *fReference   `json:"encounter,omitempty"`
	EffectiveDateTime string        `json:"effectiveDateTime,omitempty"`
	EffectivePeriod   *fPeriod      `json:"effectivePeriod,omitempty"`
	Issued            string        `json:"issued,omitempty"`
	Performer         []fReference  `json:"performer,omitempty"`
	Result            []fReference  `json:"result,omitempty"`
	Conclusion        string        `json:"conclusion,omitempty"`
	PresentedForm     []fAttachment `json:"presentedForm,omitempty"`
}

// diagnosticReportFrom maps a DiagnosticReport to a lab report: results are
// the ids of the Observations it names (imported as observations of their
// own), basedOn a ServiceRequest gives the placer number.
func diagnosticReportFrom(f *fDiagnosticReport, id string, rs *Refs) (lab.Report, error) {
	r := lab.Report{ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs),
		Status: lab.ReportStatus(f.Status), Code: toConcept(f.Code), Performer: refs(f.Performer, rs), Conclusion: f.Conclusion}
	for i := range f.Category {
		if c := code(&f.Category[i]); c != "" {
			r.Category = append(r.Category, c)
		}
	}
	for i := range f.BasedOn {
		if ref := toRef(&f.BasedOn[i], rs); ref.Type == rx.ServiceRequestType && r.Placer == "" {
			r.Placer = ref.ID
		}
	}
	for i := range f.Result {
		if ref := toRef(&f.Result[i], rs); ref.ID != "" {
			r.Observations = append(r.Observations, ref.ID)
		}
	}
	effective := f.EffectiveDateTime
	if f.EffectivePeriod != nil {
		effective = f.EffectivePeriod.Start
	}
	var err error
	if r.Effective, err = parseDateTime(effective); err != nil {
		return r, err
	}
	if r.Issued, err = parseDateTime(f.Issued); err != nil {
		return r, err
	}
	for i, a := range f.PresentedForm {
		data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(a.Data), ""))
		if err != nil {
			var is ehrkit.Issues
			is.Add(ehrkit.Index("presentedForm", i)+".data", ehrkit.IssueValue, "not base64")
			return r, is.Err()
		}
		r.PresentedForm = append(r.PresentedForm, lab.Attachment{ContentType: a.ContentType, Data: data})
	}
	return r, nil
}

func diagnosticReportTo(r *lab.Report) (fDiagnosticReport, error) {
	f := fDiagnosticReport{ResourceType: "DiagnosticReport", ID: r.ID, Status: string(r.Status), Code: fromConcept(r.Code),
		Subject: patientRef(r.Patient), Encounter: encounterRef(r.Encounter), EffectiveDateTime: formatDateTime(r.Effective),
		Issued: formatDateTime(r.Issued), Performer: fromRefs(r.Performer), Conclusion: r.Conclusion}
	for _, c := range r.Category {
		f.Category = append(f.Category, *coded(sysDiagnosticSection, c))
	}
	if r.Placer != "" {
		f.BasedOn = []fReference{*fromRef(ehrkit.Ref(rx.ServiceRequestType, r.Placer))}
	}
	for _, id := range r.Observations {
		f.Result = append(f.Result, *fromRef(ehrkit.Ref("Observation", id)))
	}
	for _, a := range r.PresentedForm {
		f.PresentedForm = append(f.PresentedForm, fAttachment{ContentType: a.ContentType, Data: base64.StdEncoding.EncodeToString(a.Data)})
	}
	return f, nil
}

// labOrders is the lab.OrderSource of rx's laboratory ServiceRequests: the
// placer number ehrkit sends is the order id.
type labOrders struct{}

func (labOrders) LabOrder(ctx context.Context, r storage.Reader, placer string) (lab.Order, error) {
	if !storage.ValidID(placer) {
		return lab.Order{}, fmt.Errorf("lab order: malformed placer number: %w", ehrkit.ErrNotFound)
	}
	rec, err := r.Get(ctx, rx.ServiceRequestType, placer)
	if err != nil {
		return lab.Order{}, err
	}
	o, err := rx.ServiceRequestRecords.Decode(rec)
	if err != nil {
		return lab.Order{}, err
	}
	if o.Kind != rx.KindLab || o.Lab == nil {
		return lab.Order{}, fmt.Errorf("order %s is not a lab order: %w", o.ID, ehrkit.ErrNotFound)
	}
	return lab.Order{ID: o.ID, Patient: o.Patient, Requester: o.Requester, Test: o.Lab.Test}, nil
}

func labSvc(s *Services) *lab.Service { return s.Lab }

func init() {
	register(typed[lab.Report, fDiagnosticReport]{view: lab.ReportRecords, save: via(labSvc, (*lab.Service).SaveReport),
		from: diagnosticReportFrom, to: diagnosticReportTo,
		elements: []string{"basedOn", "status", "category", "code", "subject", "encounter", "effectiveDateTime", "effectivePeriod",
			"issued", "performer", "result", "conclusion", "presentedForm"}})
}
