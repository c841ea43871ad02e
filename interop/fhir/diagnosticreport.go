package fhir

import (
	"context"
	"fmt"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	drpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/diagnostic_report_go_proto"
)

// sysDiagnosticSection is HL7 v2 table 0074, the DiagnosticReport category
// system.
const sysDiagnosticSection = "http://terminology.hl7.org/CodeSystem/v2-0074"

// ---- DiagnosticReport

// diagnosticReportFrom maps a DiagnosticReport to a lab report: results are
// the ids of the Observations it names (imported as observations of their
// own), basedOn a ServiceRequest gives the placer number.
func diagnosticReportFrom(f *drpb.DiagnosticReport, id string, rs *Refs) (lab.Report, error) {
	r := lab.Report{ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs),
		Status: lab.ReportStatus(codeOf(f.GetStatus())), Code: readConcept(f.GetCode()), Performer: readRefs(f.GetPerformer(), rs),
		Conclusion: f.GetConclusion().GetValue(), Issued: readInstant(f.GetIssued())}
	for _, c := range f.GetCategory() {
		if code := readCode(c); code != "" {
			r.Category = append(r.Category, code)
		}
	}
	for _, b := range f.GetBasedOn() {
		if ref := readRef(b, rs); ref.Type == rx.ServiceRequestType && r.Placer == "" {
			r.Placer = ref.ID
		}
	}
	for _, res := range f.GetResult() {
		if ref := readRef(res, rs); ref.ID != "" {
			r.Observations = append(r.Observations, ref.ID)
		}
	}
	if e := f.GetEffective(); e.GetPeriod() != nil {
		r.Effective = readDateTime(e.GetPeriod().GetStart())
	} else {
		r.Effective = readDateTime(e.GetDateTime())
	}
	for _, a := range f.GetPresentedForm() {
		r.PresentedForm = append(r.PresentedForm, lab.Attachment{ContentType: a.GetContentType().GetValue(), Data: a.GetData().GetValue()})
	}
	return r, nil
}

func diagnosticReportTo(r *lab.Report) (*drpb.DiagnosticReport, error) {
	var err error
	f := &drpb.DiagnosticReport{Id: pbID(r.ID), Status: pbCode[*drpb.DiagnosticReport_StatusCode](string(r.Status), &err),
		Code: pbConcept(r.Code), Subject: pbPatientRef(r.Patient), Encounter: pbEncounterRef(r.Encounter),
		Issued: pbInstant(r.Issued), Performer: pbRefs(r.Performer), Conclusion: str(r.Conclusion)}
	if !r.Effective.IsZero() {
		f.Effective = &drpb.DiagnosticReport_EffectiveX{Choice: &drpb.DiagnosticReport_EffectiveX_DateTime{DateTime: pbDateTime(r.Effective)}}
	}
	for _, c := range r.Category {
		f.Category = append(f.Category, pbCoded(sysDiagnosticSection, c))
	}
	if r.Placer != "" {
		f.BasedOn = []*dtpb.Reference{pbIDRef(rx.ServiceRequestType, r.Placer)}
	}
	for _, id := range r.Observations {
		f.Result = append(f.Result, pbIDRef("Observation", id))
	}
	for _, a := range r.PresentedForm {
		att := &dtpb.Attachment{Data: &dtpb.Base64Binary{Value: a.Data}}
		if a.ContentType != "" {
			att.ContentType = &dtpb.Attachment_ContentTypeCode{Value: a.ContentType}
		}
		f.PresentedForm = append(f.PresentedForm, att)
	}
	return f, err
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
	register(protoTyped[lab.Report, *drpb.DiagnosticReport]{view: lab.ReportRecords, save: via(labSvc, (*lab.Service).SaveReport),
		from: diagnosticReportFrom, to: diagnosticReportTo,
		elements: []string{"basedOn", "status", "category", "code", "subject", "encounter", "effectiveDateTime", "effectivePeriod",
			"issued", "performer", "result", "conclusion", "presentedForm"}})
}
