package fhir

import (
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
)

// fQuestionnaireResponse is the FHIR R4 QuestionnaireResponse as ehrkit maps
// it to a clinical.FormResponse.
type fQuestionnaireResponse struct {
	ResourceType  string        `json:"resourceType"`
	ID            string        `json:"id,omitempty"`
	Questionnaire string        `json:"questionnaire,omitempty"`
	Status        string        `json:"status"`
	Subject       *fReference   `json:"subject,omitempty"`
	Encounter     *fReference   `json:"encounter,omitempty"`
	Authored      string        `json:"authored,omitempty"`
	Author        *fReference   `json:"author,omitempty"`
	Item          []fAnswerItem `json:"item,omitempty"`
}

type fAnswerItem struct {
	LinkID string        `json:"linkId"`
	Answer []fAnswer     `json:"answer,omitempty"`
	Item   []fAnswerItem `json:"item,omitempty"`
}

// fAnswer is one answer; ehrkit's value kinds map to the value[x] forms of
// QuestionnaireResponse.item.answer (a range has no answer form).
type fAnswer struct {
	ValueBoolean  *bool      `json:"valueBoolean,omitempty"`
	ValueDate     string     `json:"valueDate,omitempty"`
	ValueString   *string    `json:"valueString,omitempty"`
	ValueCoding   *fCoding   `json:"valueCoding,omitempty"`
	ValueQuantity *fQuantity `json:"valueQuantity,omitempty"`
}

func (a fAnswer) value() (clinical.Value, error) {
	switch {
	case a.ValueBoolean != nil:
		return clinical.BooleanValue(*a.ValueBoolean), nil
	case a.ValueDate != "":
		d, err := ehrkit.ParseDate(a.ValueDate)
		return clinical.DateValue(d), err
	case a.ValueString != nil:
		return clinical.TextValue(*a.ValueString), nil
	case a.ValueCoding != nil:
		c := toCoding(*a.ValueCoding)
		return clinical.CodedValue(ehrkit.CodeableConcept{Coding: []ehrkit.Coding{c}, Text: c.Display}), nil
	case a.ValueQuantity != nil:
		q, err := toQuantity(a.ValueQuantity)
		return clinical.QuantityValue(q), err
	}
	return clinical.Value{}, nil
}

func fromAnswer(v clinical.Value) fAnswer {
	var a fAnswer
	switch v.Kind {
	case clinical.KindBoolean:
		a.ValueBoolean = &v.Boolean
	case clinical.KindDate:
		a.ValueDate = v.Date.String()
	case clinical.KindText:
		a.ValueString = &v.Text
	case clinical.KindCoded:
		if len(v.Concept.Coding) > 0 {
			c := fromCoding(v.Concept.Coding[0])
			a.ValueCoding = &c
		} else {
			a.ValueString = &v.Concept.Text
		}
	case clinical.KindQuantity:
		a.ValueQuantity = fromQuantity(v.Quantity)
	}
	return a
}

func answerItemsFrom(items []fAnswerItem) ([]clinical.ResponseItem, error) {
	var out []clinical.ResponseItem
	for _, it := range items {
		ri := clinical.ResponseItem{LinkID: it.LinkID}
		for _, a := range it.Answer {
			v, err := a.value()
			if err != nil {
				return nil, err
			}
			if !v.IsZero() {
				ri.Answers = append(ri.Answers, v)
			}
		}
		sub, err := answerItemsFrom(it.Item)
		if err != nil {
			return nil, err
		}
		ri.Items = sub
		out = append(out, ri)
	}
	return out, nil
}

func answerItemsTo(items []clinical.ResponseItem) []fAnswerItem {
	var out []fAnswerItem
	for _, it := range items {
		out = append(out, fAnswerItem{LinkID: it.LinkID, Answer: each(it.Answers, fromAnswer), Item: answerItemsTo(it.Items)})
	}
	return out
}

func questionnaireResponseFrom(f *fQuestionnaireResponse, id string, rs *Refs) (clinical.FormResponse, error) {
	form := f.Questionnaire
	if i := strings.LastIndex(form, "/"); i >= 0 {
		form = form[i+1:]
	}
	if i := strings.Index(form, "|"); i >= 0 {
		form = form[:i] // drop a canonical's version
	}
	r := clinical.FormResponse{
		ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs),
		Form: form, Status: f.Status, Author: toRef(f.Author, rs),
	}
	var err error
	if r.Authored, err = parseDateTime(f.Authored); err != nil {
		return r, err
	}
	r.Items, err = answerItemsFrom(f.Item)
	return r, err
}

func questionnaireResponseTo(r *clinical.FormResponse) (fQuestionnaireResponse, error) {
	f := fQuestionnaireResponse{
		ResourceType: "QuestionnaireResponse", ID: r.ID, Status: r.Status, Subject: patientRef(r.Patient),
		Encounter: encounterRef(r.Encounter), Authored: formatDateTime(r.Authored), Author: fromRef(r.Author),
		Item: answerItemsTo(r.Items),
	}
	if r.Form != "" {
		f.Questionnaire = "Questionnaire/" + r.Form
	}
	return f, nil
}

func init() {
	register(typed[clinical.FormResponse, fQuestionnaireResponse]{view: clinical.FormResponseRecords, del: clinicalDelete(clinical.FormResponseRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveFormResponse),
		from: questionnaireResponseFrom, to: questionnaireResponseTo,
		elements: []string{"questionnaire", "status", "subject", "encounter", "authored", "author", "item"}})
}
