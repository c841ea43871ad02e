package fhir

import (
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	qrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/questionnaire_response_go_proto"
)

// answerValue is one answer as ehrkit's value kinds, which map to the
// value[x] forms of QuestionnaireResponse.item.answer (a range has no answer
// form).
func answerValue(a *qrpb.QuestionnaireResponse_Item_Answer) (clinical.Value, error) {
	switch v := a.GetValue(); {
	case v.GetBoolean() != nil:
		return clinical.BooleanValue(v.GetBoolean().GetValue()), nil
	case v.GetDate() != nil:
		return clinical.DateValue(readDate(v.GetDate())), nil
	case v.GetStringValue() != nil:
		return clinical.TextValue(v.GetStringValue().GetValue()), nil
	case v.GetCoding() != nil:
		c := readCoding(v.GetCoding())
		return clinical.CodedValue(ehrkit.CodeableConcept{Coding: []ehrkit.Coding{c}, Text: c.Display}), nil
	case v.GetQuantity() != nil:
		q, err := readQuantity(v.GetQuantity())
		return clinical.QuantityValue(q), err
	}
	return clinical.Value{}, nil
}

func pbAnswer(v clinical.Value, err *error) *qrpb.QuestionnaireResponse_Item_Answer {
	var x qrpb.QuestionnaireResponse_Item_Answer_ValueX
	switch v.Kind {
	case clinical.KindBoolean:
		x.Choice = &qrpb.QuestionnaireResponse_Item_Answer_ValueX_Boolean{Boolean: pbBool(v.Boolean)}
	case clinical.KindDate:
		x.Choice = &qrpb.QuestionnaireResponse_Item_Answer_ValueX_Date{Date: pbDate(v.Date)}
	case clinical.KindText:
		x.Choice = &qrpb.QuestionnaireResponse_Item_Answer_ValueX_StringValue{StringValue: &dtpb.String{Value: v.Text}}
	case clinical.KindCoded:
		if len(v.Concept.Coding) > 0 {
			x.Choice = &qrpb.QuestionnaireResponse_Item_Answer_ValueX_Coding{Coding: pbCoding(v.Concept.Coding[0])}
		} else {
			x.Choice = &qrpb.QuestionnaireResponse_Item_Answer_ValueX_StringValue{StringValue: &dtpb.String{Value: v.Concept.Text}}
		}
	case clinical.KindQuantity:
		x.Choice = &qrpb.QuestionnaireResponse_Item_Answer_ValueX_Quantity{Quantity: pbQuantity(v.Quantity, err)}
	default:
		return &qrpb.QuestionnaireResponse_Item_Answer{}
	}
	return &qrpb.QuestionnaireResponse_Item_Answer{Value: &x}
}

func answerItemsFrom(items []*qrpb.QuestionnaireResponse_Item) ([]clinical.ResponseItem, error) {
	var out []clinical.ResponseItem
	for _, it := range items {
		ri := clinical.ResponseItem{LinkID: it.GetLinkId().GetValue()}
		for _, a := range it.GetAnswer() {
			v, err := answerValue(a)
			if err != nil {
				return nil, err
			}
			if !v.IsZero() {
				ri.Answers = append(ri.Answers, v)
			}
		}
		sub, err := answerItemsFrom(it.GetItem())
		if err != nil {
			return nil, err
		}
		ri.Items = sub
		out = append(out, ri)
	}
	return out, nil
}

func answerItemsTo(items []clinical.ResponseItem, err *error) []*qrpb.QuestionnaireResponse_Item {
	return each(items, func(it clinical.ResponseItem) *qrpb.QuestionnaireResponse_Item {
		return &qrpb.QuestionnaireResponse_Item{LinkId: str(it.LinkID),
			Answer: each(it.Answers, func(v clinical.Value) *qrpb.QuestionnaireResponse_Item_Answer { return pbAnswer(v, err) }),
			Item:   answerItemsTo(it.Items, err)}
	})
}

func questionnaireResponseFrom(f *qrpb.QuestionnaireResponse, id string, rs *Refs) (clinical.FormResponse, error) {
	form := f.GetQuestionnaire().GetValue()
	if i := strings.LastIndex(form, "/"); i >= 0 {
		form = form[i+1:]
	}
	if i := strings.Index(form, "|"); i >= 0 {
		form = form[:i] // drop a canonical's version
	}
	r := clinical.FormResponse{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs),
		Form: form, Status: codeOf(f.GetStatus()), Author: readRef(f.GetAuthor(), rs), Authored: readDateTime(f.GetAuthored()),
	}
	var err error
	r.Items, err = answerItemsFrom(f.GetItem())
	return r, err
}

func questionnaireResponseTo(r *clinical.FormResponse) (*qrpb.QuestionnaireResponse, error) {
	var err error
	f := &qrpb.QuestionnaireResponse{
		Id: pbID(r.ID), Status: pbCode[*qrpb.QuestionnaireResponse_StatusCode](r.Status, &err), Subject: pbPatientRef(r.Patient),
		Encounter: pbEncounterRef(r.Encounter), Authored: pbDateTime(r.Authored), Author: pbRef(r.Author),
		Item: answerItemsTo(r.Items, &err),
	}
	if r.Form != "" {
		f.Questionnaire = &dtpb.Canonical{Value: "Questionnaire/" + r.Form}
	}
	return f, err
}

func init() {
	register(protoTyped[clinical.FormResponse, *qrpb.QuestionnaireResponse]{view: clinical.FormResponseRecords, del: clinicalDelete(clinical.FormResponseRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveFormResponse),
		from: questionnaireResponseFrom, to: questionnaireResponseTo,
		elements: []string{"questionnaire", "status", "subject", "encounter", "authored", "author", "item"}})
}
