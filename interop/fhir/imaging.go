package fhir

import (
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
)

// ---- ImagingStudy

// The Study Instance UID and the accession number are identifiers of an R4
// ImagingStudy: the UID as "urn:oid:<uid>" in system urn:dicom:uid (senders
// such as Synthea use urn:ietf:rfc:3986, read alike), the accession number
// typed ACSN (HL7 v2 table 0203).
const (
	sysURI       = "urn:ietf:rfc:3986"
	sysV2IDType  = "http://terminology.hl7.org/CodeSystem/v2-0203"
	oidPrefix    = "urn:oid:"
	accessionKey = "ACSN"
)

type fImagingStudy struct {
	ResourceType      string           `json:"resourceType"`
	ID                string           `json:"id,omitempty"`
	Identifier        []fIdentifier    `json:"identifier,omitempty"`
	Status            string           `json:"status"`
	Modality          []fCoding        `json:"modality,omitempty"`
	Subject           *fReference      `json:"subject"`
	Encounter         *fReference      `json:"encounter,omitempty"`
	Started           string           `json:"started,omitempty"`
	BasedOn           []fReference     `json:"basedOn,omitempty"`
	Referrer          *fReference      `json:"referrer,omitempty"`
	NumberOfSeries    int              `json:"numberOfSeries,omitempty"`
	NumberOfInstances int              `json:"numberOfInstances,omitempty"`
	ProcedureCode     []fConcept       `json:"procedureCode,omitempty"`
	Description       string           `json:"description,omitempty"`
	Series            []fImagingSeries `json:"series,omitempty"`
}

type fImagingSeries struct {
	UID               string             `json:"uid"`
	Number            int                `json:"number,omitempty"`
	Modality          fCoding            `json:"modality"`
	Description       string             `json:"description,omitempty"`
	NumberOfInstances int                `json:"numberOfInstances,omitempty"`
	BodySite          *fCoding           `json:"bodySite,omitempty"`
	Started           string             `json:"started,omitempty"`
	Instance          []fImagingInstance `json:"instance,omitempty"`
}

type fImagingInstance struct {
	UID      string  `json:"uid"`
	SOPClass fCoding `json:"sopClass"`
	Number   int     `json:"number,omitempty"`
	Title    string  `json:"title,omitempty"`
}

func imagingStudyFrom(f *fImagingStudy, id string, rs *Refs) (clinical.ImagingStudy, error) {
	s := clinical.ImagingStudy{
		ID: id, Patient: subjectOf(f.Subject, rs), Encounter: encounterOf(f.Encounter, rs), Status: f.Status,
		Description: f.Description, Referrer: toRef(f.Referrer, rs), NumberOfSeries: f.NumberOfSeries, NumberOfInstances: f.NumberOfInstances,
		Modalities: each(f.Modality, toCoding),
		BasedOn:    each(f.BasedOn, func(r fReference) ehrkit.Reference { return toRef(&r, rs) }),
	}
	for _, pc := range f.ProcedureCode {
		s.Procedures = append(s.Procedures, toConcept(&pc).Coding...)
	}
	for _, ident := range f.Identifier {
		switch {
		case (ident.System == clinical.SystemDICOMUID || ident.System == sysURI) && strings.HasPrefix(ident.Value, oidPrefix):
			s.UID = strings.TrimPrefix(ident.Value, oidPrefix)
		case ident.Type != nil && toConcept(ident.Type).CodeIn(sysV2IDType) == accessionKey:
			s.Accession = ident.Value
		}
	}
	var err error
	if s.Started, err = optionalTime(f.Started); err != nil {
		return s, err
	}
	for _, fs := range f.Series {
		se := clinical.ImagingSeries{UID: fs.UID, Number: fs.Number, Modality: toCoding(fs.Modality), Description: fs.Description,
			NumberOfInstances: fs.NumberOfInstances}
		if fs.BodySite != nil {
			se.BodySite = toCoding(*fs.BodySite)
		}
		if se.Started, err = optionalTime(fs.Started); err != nil {
			return s, err
		}
		for _, in := range fs.Instance {
			se.Instances = append(se.Instances, clinical.ImagingInstance{UID: in.UID, SOPClass: toCoding(in.SOPClass), Number: in.Number, Title: in.Title})
		}
		s.Series = append(s.Series, se)
	}
	return s, nil
}

func imagingStudyTo(s *clinical.ImagingStudy) (fImagingStudy, error) {
	f := fImagingStudy{
		ResourceType: "ImagingStudy", ID: s.ID, Status: s.Status, Modality: each(s.Modalities, fromCoding), Subject: patientRef(s.Patient),
		Encounter: encounterRef(s.Encounter), BasedOn: fromRefs(s.BasedOn), Referrer: fromRef(s.Referrer), NumberOfSeries: s.NumberOfSeries,
		NumberOfInstances: s.NumberOfInstances, Description: s.Description,
		ProcedureCode: each(s.Procedures, func(c ehrkit.Coding) fConcept { return fConcept{Coding: []fCoding{fromCoding(c)}} }),
	}
	if s.UID != "" {
		f.Identifier = append(f.Identifier, fIdentifier{System: clinical.SystemDICOMUID, Value: oidPrefix + s.UID})
	}
	if s.Accession != "" {
		f.Identifier = append(f.Identifier, fIdentifier{Type: &fConcept{Coding: []fCoding{{System: sysV2IDType, Code: accessionKey}}}, Value: s.Accession})
	}
	if !s.Started.IsZero() {
		f.Started = formatDateTime(s.Started)
	}
	for _, se := range s.Series {
		fs := fImagingSeries{UID: se.UID, Number: se.Number, Modality: fromCoding(se.Modality), Description: se.Description, NumberOfInstances: se.NumberOfInstances}
		if !se.BodySite.IsZero() {
			b := fromCoding(se.BodySite)
			fs.BodySite = &b
		}
		if !se.Started.IsZero() {
			fs.Started = formatDateTime(se.Started)
		}
		for _, in := range se.Instances {
			fs.Instance = append(fs.Instance, fImagingInstance{UID: in.UID, SOPClass: fromCoding(in.SOPClass), Number: in.Number, Title: in.Title})
		}
		f.Series = append(f.Series, fs)
	}
	return f, nil
}

// optionalTime parses a dateTime, the zero time when absent.
func optionalTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseDateTime(s)
}

func init() {
	register(typed[clinical.ImagingStudy, fImagingStudy]{view: clinical.ImagingStudyRecords, del: clinicalDelete(clinical.ImagingStudyRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveImagingStudy),
		from: imagingStudyFrom, to: imagingStudyTo,
		elements: []string{"identifier", "status", "modality", "subject", "encounter", "started", "basedOn", "referrer",
			"numberOfSeries", "numberOfInstances", "procedureCode", "description", "series"}})
}
