package fhir

import (
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ispb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/imaging_study_go_proto"
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

func imagingStudyFrom(f *ispb.ImagingStudy, id string, rs *Refs) (clinical.ImagingStudy, error) {
	s := clinical.ImagingStudy{
		ID: id, Patient: readSubject(f.GetSubject(), rs), Encounter: readEncounter(f.GetEncounter(), rs), Status: codeOf(f.GetStatus()),
		Description: f.GetDescription().GetValue(), Referrer: readRef(f.GetReferrer(), rs), Started: readDateTime(f.GetStarted()),
		NumberOfSeries: int(f.GetNumberOfSeries().GetValue()), NumberOfInstances: int(f.GetNumberOfInstances().GetValue()),
		Modalities: each(f.GetModality(), readCoding), BasedOn: readRefs(f.GetBasedOn(), rs),
	}
	for _, pc := range f.GetProcedureCode() {
		s.Procedures = append(s.Procedures, readConcept(pc).Coding...)
	}
	for _, ident := range f.GetIdentifier() {
		system, v := ident.GetSystem().GetValue(), ident.GetValue().GetValue()
		switch {
		case (system == clinical.SystemDICOMUID || system == sysURI) && strings.HasPrefix(v, oidPrefix):
			s.UID = strings.TrimPrefix(v, oidPrefix)
		case readCodeIn(ident.GetType(), sysV2IDType) == accessionKey:
			s.Accession = v
		}
	}
	for _, fs := range f.GetSeries() {
		se := clinical.ImagingSeries{UID: fs.GetUid().GetValue(), Number: int(fs.GetNumber().GetValue()), Modality: readCoding(fs.GetModality()),
			Description: fs.GetDescription().GetValue(), NumberOfInstances: int(fs.GetNumberOfInstances().GetValue()),
			BodySite: readCoding(fs.GetBodySite()), Started: readDateTime(fs.GetStarted())}
		for _, in := range fs.GetInstance() {
			se.Instances = append(se.Instances, clinical.ImagingInstance{UID: in.GetUid().GetValue(), SOPClass: readCoding(in.GetSopClass()),
				Number: int(in.GetNumber().GetValue()), Title: in.GetTitle().GetValue()})
		}
		s.Series = append(s.Series, se)
	}
	return s, nil
}

func imagingStudyTo(s *clinical.ImagingStudy) (*ispb.ImagingStudy, error) {
	var err error
	f := &ispb.ImagingStudy{
		Id: pbID(s.ID), Status: pbCode[*ispb.ImagingStudy_StatusCode](s.Status, &err), Modality: each(s.Modalities, pbCoding),
		Subject: pbPatientRef(s.Patient), Encounter: pbEncounterRef(s.Encounter), Started: pbDateTime(s.Started),
		BasedOn: pbRefs(s.BasedOn), Referrer: pbRef(s.Referrer), NumberOfSeries: pbUnsigned(s.NumberOfSeries),
		NumberOfInstances: pbUnsigned(s.NumberOfInstances), Description: str(s.Description),
		ProcedureCode: each(s.Procedures, func(c ehrkit.Coding) *dtpb.CodeableConcept {
			return pbConcept(ehrkit.CodeableConcept{Coding: []ehrkit.Coding{c}})
		}),
	}
	if s.UID != "" {
		f.Identifier = append(f.Identifier, pbIdentifier(ehrkit.Identifier{System: clinical.SystemDICOMUID, Value: oidPrefix + s.UID}, &err))
	}
	if s.Accession != "" {
		f.Identifier = append(f.Identifier, pbIdentifier(ehrkit.Identifier{
			Type: ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: sysV2IDType, Code: accessionKey}}}, Value: s.Accession}, &err))
	}
	for _, se := range s.Series {
		fs := &ispb.ImagingStudy_Series{Uid: pbID(se.UID), Number: pbUnsigned(se.Number), Modality: pbCoding(se.Modality),
			Description: str(se.Description), NumberOfInstances: pbUnsigned(se.NumberOfInstances), BodySite: pbCodingOpt(se.BodySite),
			Started: pbDateTime(se.Started)}
		for _, in := range se.Instances {
			fs.Instance = append(fs.Instance, &ispb.ImagingStudy_Series_Instance{Uid: pbID(in.UID), SopClass: pbCoding(in.SOPClass),
				Number: pbUnsigned(in.Number), Title: str(in.Title)})
		}
		f.Series = append(f.Series, fs)
	}
	return f, err
}

func init() {
	register(protoTyped[clinical.ImagingStudy, *ispb.ImagingStudy]{view: clinical.ImagingStudyRecords, del: clinicalDelete(clinical.ImagingStudyRecords.Type()), save: via(clinicalSvc, (*clinical.Service).SaveImagingStudy),
		from: imagingStudyFrom, to: imagingStudyTo,
		elements: []string{"identifier", "status", "modality", "subject", "encounter", "started", "basedOn", "referrer",
			"numberOfSeries", "numberOfInstances", "procedureCode", "description", "series"}})
}
