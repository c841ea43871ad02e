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

// Importer stores studies in the chart through clinical's
// ReceiveImagingStudy: each study's Patient ID, taken as an identifier of
// System, with its birth date and sex, names the patient (patient.Identify);
// a study without a confident match waits in the imaging reconciliation queue
// until a person resolves it (Resolve). No patient is ever created. With
// Orders set, a study whose accession number is that of the patient's active
// imaging order completes the order in the same transaction
// (rx.Service.CompleteImaging), whether it is filed on arrival or resolved.
type Importer struct {
	Store    storage.Store
	Clinical *clinical.Service
	Orders   *rx.Service // optional
	// System is the identifier system the Patient IDs of the files belong to
	// (the facility's MRN system, say).
	System string
}

// Queued is a study filed in the reconciliation queue: its UID and why (one
// of patient's Unmatched reasons; no PHI).
type Queued struct {
	StudyUID string
	Reason   string
}

// Report says what Import did: the studies stored (by record id, with
// storage's outcome) and those queued for reconciliation.
type Report struct {
	Stored map[string]storage.Outcome
	Queued []Queued
	// Completed maps a stored study's record id to the imaging order it
	// completed.
	Completed map[string]string
}

// Import files the studies, each in its own transaction; a storage or
// validation failure stops it with the error.
func (im *Importer) Import(ctx context.Context, studies []Study) (Report, error) {
	rep := Report{Stored: map[string]storage.Outcome{}, Completed: map[string]string{}}
	sexes := map[string]patient.Gender{"M": patient.GenderMale, "F": patient.GenderFemale, "O": patient.GenderOther}
	for _, s := range studies {
		in := clinical.IncomingStudy{Study: s.ImagingStudy, Named: patient.Named{BirthDate: s.BirthDate, Gender: sexes[s.Sex]}}
		if s.PatientID != "" {
			in.Identifiers = []ehrkit.Identifier{{System: im.System, Value: s.PatientID}}
		}
		var f clinical.Filing
		err := im.Store.Update(ctx, func(tx storage.Tx) (err error) {
			if f, err = im.Clinical.ReceiveImagingStudy(ctx, tx, in); err != nil || f.Patient == "" {
				return err
			}
			return im.complete(ctx, tx, &rep, f.Patient, s.ID, s.Accession)
		})
		if err != nil {
			return rep, fmt.Errorf("study %s: %w", s.UID, err)
		}
		if f.Patient != "" {
			rep.Stored[s.ID] = f.Outcome
		} else {
			rep.Queued = append(rep.Queued, Queued{StudyUID: s.UID, Reason: f.Reason})
		}
	}
	return rep, nil
}

// Resolve files the queued study id to patient p (clinical's
// ResolveImagingStudy) and completes its imaging order, in one transaction.
// It returns the id of the order completed, or "".
func (im *Importer) Resolve(ctx context.Context, id string, p patient.ID) (string, error) {
	rep := Report{Completed: map[string]string{}}
	err := im.Store.Update(ctx, func(tx storage.Tx) error {
		st, err := im.Clinical.ResolveImagingStudy(ctx, tx, id, p)
		if err != nil {
			return err
		}
		return im.complete(ctx, tx, &rep, p, st.ID, st.Accession)
	})
	return rep.Completed[id], err
}

// complete closes the patient's imaging order of the accession number, when
// orders are wired in.
func (im *Importer) complete(ctx context.Context, tx storage.Tx, rep *Report, p patient.ID, study, accession string) error {
	if im.Orders == nil {
		return nil
	}
	o, done, err := im.Orders.CompleteImaging(ctx, tx, p, accession)
	if done {
		rep.Completed[study] = o.ID
	}
	return err
}
