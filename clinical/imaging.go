package clinical

import (
	"context"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// ImagingStudyType is the record type of imaging studies.
const ImagingStudyType = "ImagingStudy"

// SystemDICOM is the DICOM controlled terminology (PS3.16), the code system of
// modalities; SystemDICOMUID marks DICOM unique identifiers ("urn:dicom:uid").
const (
	SystemDICOM    = "http://dicom.nema.org/resources/ontology/DCM"
	SystemDICOMUID = "urn:dicom:uid"
)

// ImagingStudy is the record of an imaging study: the series and instances
// a modality acquired for a patient, named by their DICOM unique identifiers
// (FHIR ImagingStudy). NumberOfSeries and NumberOfInstances are derived from
// the series listed when any are.
type ImagingStudy struct {
	ID                string             `json:"id"`
	Patient           patient.ID         `json:"patient"`
	Encounter         string             `json:"encounter,omitempty"`
	Status            string             `json:"status"` // registered | available | cancelled | entered-in-error | unknown
	UID               string             `json:"uid"`    // Study Instance UID (0020,000D)
	Started           time.Time          `json:"started,omitzero"`
	Accession         string             `json:"accession,omitempty"` // Accession Number (0008,0050)
	Description       string             `json:"description,omitempty"`
	Referrer          ehrkit.Reference   `json:"referrer,omitzero"` // referring physician; Display holds a DICOM name as sent
	BasedOn           []ehrkit.Reference `json:"basedOn,omitempty"` // the orders the study fulfils
	Modalities        []ehrkit.Coding    `json:"modalities,omitempty"`
	Series            []ImagingSeries    `json:"series,omitempty"`
	NumberOfSeries    int                `json:"numberOfSeries,omitempty"`
	NumberOfInstances int                `json:"numberOfInstances,omitempty"`
	Procedures        []ehrkit.Coding    `json:"procedures,omitempty"`
}

// ImagingSeries is one series of a study: images of one modality acquired
// together (FHIR ImagingStudy.series).
type ImagingSeries struct {
	UID               string            `json:"uid"` // Series Instance UID (0020,000E)
	Number            int               `json:"number,omitempty"`
	Modality          ehrkit.Coding     `json:"modality"`
	Description       string            `json:"description,omitempty"`
	BodySite          ehrkit.Coding     `json:"bodySite,omitzero"`
	Started           time.Time         `json:"started,omitzero"`
	NumberOfInstances int               `json:"numberOfInstances,omitempty"`
	Instances         []ImagingInstance `json:"instances,omitempty"`
}

// ImagingInstance is one SOP instance (an image, a report ...) of a series.
type ImagingInstance struct {
	UID      string        `json:"uid"`      // SOP Instance UID (0008,0018)
	SOPClass ehrkit.Coding `json:"sopClass"` // SOP Class UID (0008,0016), system SystemDICOMUID
	Number   int           `json:"number,omitempty"`
	Title    string        `json:"title,omitempty"`
}

// ImagingStudyRecords is the read-only view of imaging studies.
var ImagingStudyRecords = imagingStudies.View()

var imagingStudies = storage.Kind[ImagingStudy]{Type: ImagingStudyType, Version: 1, Meta: func(s *ImagingStudy) storage.Meta {
	var t terms
	t.common(s.Encounter, s.Status, s.Started)
	t.add("uid", s.UID)
	t.add("accession", s.Accession)
	for _, m := range s.Modalities {
		t.add("modality", m.Token())
	}
	return meta(s.ID, string(s.Patient), t)
}}

func imagingStudyKey(s *ImagingStudy) (string, patient.ID, string) {
	return s.ID, s.Patient, s.Encounter
}

// SaveImagingStudy stores an imaging study as given (see the Save methods);
// the series and instance counts are derived from the series listed.
func (s *Service) SaveImagingStudy(ctx context.Context, tx storage.Tx, st ImagingStudy) (storage.Outcome, error) {
	return save(ctx, tx, imagingStudies, imagingStudyKey, &st, (*ImagingStudy).deriveCounts)
}

// ImagingStudies returns the patient's imaging studies, oldest first.
func (s *Service) ImagingStudies(ctx context.Context, p patient.ID) ([]ImagingStudy, error) {
	return list(ctx, s, imagingStudies, p)
}

// deriveCounts sets the series and instance counts from the series listed.
func (s *ImagingStudy) deriveCounts() {
	if len(s.Series) == 0 {
		return
	}
	s.NumberOfSeries, s.NumberOfInstances = len(s.Series), 0
	for i := range s.Series {
		if n := len(s.Series[i].Instances); n > 0 {
			s.Series[i].NumberOfInstances = n
		}
		s.NumberOfInstances += s.Series[i].NumberOfInstances
	}
}

// Validate checks the study: status, the DICOM UIDs of the study, its series
// and instances (PS3.5 §9: digits and dots, at most 64 characters, no empty
// or zero-led component), unique within the study, and the modality codes.
// A SOP class may be given as a URI, "urn:oid:" and the UID.
func (s *ImagingStudy) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", s.Patient != "")
	checkCode(&is, "status", s.Status, true, "registered", "available", "cancelled", "entered-in-error", "unknown")
	checkUID(&is, "uid", s.UID)
	for i, m := range s.Modalities {
		is.Merge(ehrkit.Index("modalities", i), m.Validate())
	}
	for i, p := range s.Procedures {
		is.Merge(ehrkit.Index("procedures", i), p.Validate())
	}
	is.Check(s.NumberOfSeries >= 0, "numberOfSeries", ehrkit.IssueValue, "must not be negative")
	is.Check(s.NumberOfInstances >= 0, "numberOfInstances", ehrkit.IssueValue, "must not be negative")
	seen := map[string]bool{}
	for i, se := range s.Series {
		p := ehrkit.Index("series", i)
		checkUID(&is, p+".uid", se.UID)
		is.Check(!seen[se.UID], p+".uid", ehrkit.IssueDuplicate, "series listed twice")
		seen[se.UID] = true
		is.Merge(p+".modality", se.Modality.Validate())
		if !se.BodySite.IsZero() {
			is.Merge(p+".bodySite", se.BodySite.Validate())
		}
		is.Check(se.Number >= 0, p+".number", ehrkit.IssueValue, "must not be negative")
		for j, in := range se.Instances {
			q := ehrkit.Index(p+".instances", j)
			checkUID(&is, q+".uid", in.UID)
			is.Check(!seen[in.UID], q+".uid", ehrkit.IssueDuplicate, "instance listed twice")
			seen[in.UID] = true
			checkUID(&is, q+".sopClass.code", strings.TrimPrefix(in.SOPClass.Code, "urn:oid:"))
			is.Check(in.Number >= 0, q+".number", ehrkit.IssueValue, "must not be negative")
		}
	}
	return is.Err()
}

// checkUID checks a DICOM unique identifier (PS3.5 §9.1).
func checkUID(is *ehrkit.Issues, path, uid string) {
	if uid == "" {
		is.Required(path, false)
		return
	}
	is.Check(ValidUID(uid), path, ehrkit.IssueValue, "not a DICOM UID (digits and dots, at most 64 characters)")
}

// ValidUID reports whether uid is a DICOM unique identifier (PS3.5 §9.1):
// at most 64 characters, components of digits separated by dots, none empty
// and none with a leading zero unless it is "0".
func ValidUID(uid string) bool {
	if uid == "" || len(uid) > 64 {
		return false
	}
	for c := range strings.SplitSeq(uid, ".") {
		if c == "" || (len(c) > 1 && c[0] == '0') {
			return false
		}
		for i := 0; i < len(c); i++ {
			if c[i] < '0' || c[i] > '9' {
				return false
			}
		}
	}
	return true
}
