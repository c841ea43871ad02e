package dicom

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// Study is an imaging study folded from the files of one Study Instance
// UID, with the patient as the files name it (Patient is not set: Import
// matches it). It holds PHI: String names the study by UID only.
type Study struct {
	clinical.ImagingStudy
	PatientID   string
	PatientName PersonName
	BirthDate   ehrkit.Date
	Sex         string // M | F | O as sent in (0010,0040)
}

// String names the study by its UID only.
func (s Study) String() string { return "ImagingStudy uid " + s.UID }

// Studies folds files into studies, in the order their studies first
// appear: the files of one study become its series and instances
// (numberOfSeries and numberOfInstances counted), a file repeated is counted
// once. A file without Study, Series or SOP Instance UID fails with an
// *Error naming the tag.
func Studies(files []*File) ([]Study, error) {
	var out []Study
	index := map[string]int{}
	for _, f := range files {
		uid, series, sop := f.Get(TagStudyInstanceUID), f.Get(TagSeriesInstanceUID), f.Get(TagSOPInstanceUID)
		for t, v := range map[Tag]string{TagStudyInstanceUID: uid, TagSeriesInstanceUID: series, TagSOPInstanceUID: sop} {
			if v == "" {
				return nil, &Error{Tag: t, Message: "required for an imaging study"}
			}
		}
		i, ok := index[uid]
		if !ok {
			i, index[uid] = len(out), len(out)
			out = append(out, newStudy(f))
		}
		out[i].add(f)
	}
	for i := range out {
		out[i].NumberOfSeries = len(out[i].Series)
		out[i].NumberOfInstances = 0
		for j := range out[i].Series {
			out[i].Series[j].NumberOfInstances = len(out[i].Series[j].Instances)
			out[i].NumberOfInstances += len(out[i].Series[j].Instances)
		}
	}
	return out, nil
}

func newStudy(f *File) Study {
	s := Study{ImagingStudy: clinical.ImagingStudy{
		ID: f.Get(TagStudyInstanceUID), Status: "available", UID: f.Get(TagStudyInstanceUID),
		Started:     dateTime(f.Get(TagStudyDate), f.Get(TagStudyTime), f.Get(NewTag(0x0008, 0x0201))),
		Accession:   f.Get(TagAccessionNumber),
		Description: f.Get(TagStudyDescription),
	}, PatientID: f.Get(TagPatientID), Sex: f.Get(TagPatientSex)}
	if e, ok := Find(f.Elements, TagPatientName); ok && len(e.Names) > 0 {
		s.PatientName = e.Names[0]
	}
	if d, err := ehrkit.ParseDate(dicomDate(f.Get(TagPatientBirthDate))); err == nil {
		s.BirthDate = d
	}
	if e, ok := Find(f.Elements, TagReferringPhysician); ok && len(e.Names) > 0 && e.Names[0] != (PersonName{}) {
		s.Referrer = ehrkit.Reference{Display: e.Names[0].String()}
	}
	return s
}

// add puts the file's instance into its series.
func (s *Study) add(f *File) {
	modality := ehrkit.Coding{System: clinical.SystemDICOM, Code: f.Get(TagModality)}
	if modality.Code != "" && !slices.Contains(s.Modalities, modality) {
		s.Modalities = append(s.Modalities, modality)
	}
	uid := f.Get(TagSeriesInstanceUID)
	j := slices.IndexFunc(s.Series, func(se clinical.ImagingSeries) bool { return se.UID == uid })
	if j < 0 {
		se := clinical.ImagingSeries{UID: uid, Modality: modality, Description: f.Get(TagSeriesDescription)}
		se.Number, _ = strconv.Atoi(f.Get(TagSeriesNumber))
		if part := f.Get(TagBodyPartExamined); part != "" {
			se.BodySite = ehrkit.Coding{System: clinical.SystemDICOM + "/BodyPartExamined", Code: part}
		}
		s.Series = append(s.Series, se)
		j = len(s.Series) - 1
	}
	in := clinical.ImagingInstance{UID: f.Get(TagSOPInstanceUID), SOPClass: ehrkit.Coding{System: clinical.SystemDICOMUID, Code: f.Get(TagSOPClassUID)}}
	in.Number, _ = strconv.Atoi(f.Get(TagInstanceNumber))
	if !slices.ContainsFunc(s.Series[j].Instances, func(x clinical.ImagingInstance) bool { return x.UID == in.UID }) {
		s.Series[j].Instances = append(s.Series[j].Instances, in)
	}
}

// dicomDate turns a DA value (YYYYMMDD) into the ISO form ParseDate reads.
func dicomDate(da string) string {
	if len(da) != 8 {
		return ""
	}
	return da[:4] + "-" + da[4:6] + "-" + da[6:]
}

// dateTime combines a DA and a TM value (HHMMSS.FFFFFF, trailing parts
// optional) at the Timezone Offset From UTC (0008,0201, "+HHMM"), UTC when
// absent. A date that does not parse gives the zero time.
func dateTime(da, tm, offset string) time.Time {
	loc := time.UTC
	if len(offset) == 5 {
		if o, err := time.Parse("-0700", offset); err == nil {
			loc = o.Location()
		}
	}
	day, err := time.ParseInLocation("20060102", da, loc)
	if err != nil {
		return time.Time{}
	}
	tm, frac, _ := strings.Cut(tm, ".")
	var hms [3]int
	for i := 0; i+2 <= len(tm) && i < 6; i += 2 {
		hms[i/2], _ = strconv.Atoi(tm[i : i+2])
	}
	ns := 0
	if frac != "" {
		f, _ := strconv.ParseFloat("0."+frac, 64)
		ns = int(f * 1e9)
	}
	return day.Add(time.Duration(hms[0])*time.Hour + time.Duration(hms[1])*time.Minute + time.Duration(hms[2])*time.Second + time.Duration(ns)).UTC().Truncate(time.Microsecond)
}

// Importer stores studies in the chart: each study's Patient ID is looked
// up among the registry's identifiers of System, and a confident match (one
// patient, whose birth date and sex do not contradict the files) gets the
// study through clinical's SaveImagingStudy. No patient is ever created.
// With Orders set, a study whose accession number is that of the patient's
// active imaging order completes the order in the same transaction
// (rx.Service.CompleteImaging).
type Importer struct {
	Store    storage.Store
	Patients *patient.Service
	Clinical *clinical.Service
	Orders   *rx.Service // optional
	// System is the identifier system the Patient IDs of the files belong to
	// (the facility's MRN system, say).
	System string
}

// Refusal is a study not stored: its UID and why (no PHI).
type Refusal struct {
	StudyUID string
	Reason   string
}

// Report says what Import did: the studies stored (by record id, with
// storage's outcome) and those refused, for a reconciliation queue.
type Report struct {
	Stored  map[string]storage.Outcome
	Refused []Refusal
	// Completed maps a stored study's record id to the imaging order it
	// completed.
	Completed map[string]string
}

// Import matches and stores the studies; a storage or validation failure
// stops it with the error.
func (im *Importer) Import(ctx context.Context, studies []Study) (Report, error) {
	rep := Report{Stored: map[string]storage.Outcome{}, Completed: map[string]string{}}
	for _, s := range studies {
		p, reason, err := im.match(ctx, s)
		if err != nil {
			return rep, err
		}
		if reason != "" {
			rep.Refused = append(rep.Refused, Refusal{StudyUID: s.UID, Reason: reason})
			continue
		}
		st := s.ImagingStudy
		st.Patient = p
		err = im.Store.Update(ctx, func(tx storage.Tx) error {
			out, err := im.Clinical.SaveImagingStudy(ctx, tx, st)
			if err != nil || im.Orders == nil {
				rep.Stored[st.ID] = out
				return err
			}
			o, done, err := im.Orders.CompleteImaging(ctx, tx, p, st.Accession)
			if done {
				rep.Completed[st.ID] = o.ID
			}
			rep.Stored[st.ID] = out
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("study %s: %w", s.UID, err)
		}
	}
	return rep, nil
}

// match finds the study's patient, or says why there is no confident match.
func (im *Importer) match(ctx context.Context, s Study) (patient.ID, string, error) {
	if s.PatientID == "" {
		return "", "no Patient ID (0010,0020)", nil
	}
	res, err := im.Patients.Search(ctx, patient.Query{Identifier: ehrkit.Identifier{System: im.System, Value: s.PatientID}, Limit: 2})
	if err != nil {
		return "", "", err
	}
	switch len(res.Patients) {
	case 0:
		return "", "no patient with this Patient ID", nil
	case 1:
	default:
		return "", "more than one patient with this Patient ID", nil
	}
	p := res.Patients[0]
	if !s.BirthDate.IsZero() && !p.BirthDate.IsZero() && s.BirthDate != p.BirthDate {
		return "", "birth date differs from the registry's", nil
	}
	if g := map[string]patient.Gender{"M": patient.GenderMale, "F": patient.GenderFemale}[s.Sex]; g != "" && p.Gender != "" && p.Gender != patient.GenderUnknown && g != p.Gender {
		return "", "sex differs from the registry's", nil
	}
	return p.ID, "", nil
}
