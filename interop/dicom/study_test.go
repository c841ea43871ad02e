package dicom

import (
	"context"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func corpusFiles(t *testing.T, names ...string) []*File {
	var out []*File
	for _, n := range names {
		out = append(out, readCorpus(t, n))
	}
	return out
}

const mrn = "urn:oid:1.2.3.4.5"

// with returns a copy of f with the top-level element t set to v.
func with(f *File, t Tag, v string) *File {
	c := *f
	c.Elements = append([]Element(nil), f.Elements...)
	e, _ := Find(c.Elements, t)
	e.Values = []string{v}
	return &c
}

// TestStudies folds files: three instances of one study in two series
// become one study; the corpus's other files are studies of their own; a
// file repeated counts once.
func TestStudies(t *testing.T) {
	pet := readCorpus(t, "1.dcm")
	sameSeries := with(pet, TagSOPInstanceUID, "1.2.826.0.1.1")
	otherSeries := with(with(pet, TagSOPInstanceUID, "1.2.826.0.1.2"), TagSeriesInstanceUID, "1.2.826.0.2")
	files := append([]*File{pet, sameSeries, otherSeries, pet}, corpusFiles(t, "2.dcm", "3.dcm")...)
	studies, err := Studies(files)
	require.NoError(t, err)
	require.Len(t, studies, 3)
	for _, s := range studies {
		s.Patient = "p"
		require.NoError(t, s.Validate(), s.UID)
	}
	one := studies[0]
	assert.Equal(t, pet.Get(TagStudyInstanceUID), one.UID)
	assert.Equal(t, 2, one.NumberOfSeries)
	assert.Equal(t, 3, one.NumberOfInstances)
	assert.Equal(t, 2, one.Series[0].NumberOfInstances)
	assert.Equal(t, "ACRIN-FLT-Breast_029", one.PatientID)
	assert.Equal(t, []ehrkit.Coding{{System: clinical.SystemDICOM, Code: "PT"}}, one.Modalities)
	assert.Equal(t, "5534634656957015", studies[2].Accession)

	_, err = Studies([]*File{{Elements: []Element{{Tag: TagStudyInstanceUID, VR: "UI", Values: []string{"1.2"}}}}})
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Contains(t, []Tag{TagSeriesInstanceUID, TagSOPInstanceUID}, de.Tag)
}

func TestDateTime(t *testing.T) {
	assert.Equal(t, time.Date(2008, 5, 4, 17, 17, 15, 500000000, time.UTC), dateTime("20080504", "171715.5", ""))
	assert.Equal(t, time.Date(2008, 5, 4, 15, 17, 0, 0, time.UTC), dateTime("20080504", "1717", "+0200"))
	assert.True(t, dateTime("2008", "", "").IsZero())
}

// TestImport stores corpus studies on every backend: the patient whose MRN
// is 1.dcm's Patient ID gets its study; 2.dcm's patient is registered with
// another sex, and the other Patient IDs are unknown: those studies wait in
// the reconciliation queue, no patient is created, and a person's resolution
// files a queued study to the chart.
func TestImport(t *testing.T) {
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "modality"})
	files := corpusFiles(t, "1.dcm", "2.dcm", "3.dcm", "pydicom/CT_small.dcm")
	studies, err := Studies(files)
	require.NoError(t, err)
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		store := access.Trusted(s)
		patients, err := patient.NewService(store)
		require.NoError(t, err)
		p, err := patients.Register(ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "Test", Given: []string{"Pat"}}}, Gender: patient.GenderFemale,
			Identifiers: []ehrkit.Identifier{{System: mrn, Value: files[0].Get(TagPatientID)}}})
		require.NoError(t, err)
		_, err = patients.Register(ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "Other"}}, Gender: patient.GenderMale,
			Identifiers: []ehrkit.Identifier{{System: mrn, Value: files[1].Get(TagPatientID)}}})
		require.NoError(t, err)
		svc := clinical.NewService(store)
		im := &Importer{Store: store, Clinical: svc, System: mrn}
		rep, err := im.Import(ctx, studies)
		require.NoError(t, err)
		assert.Equal(t, map[string]storage.Outcome{studies[0].ID: storage.Created}, rep.Stored)
		assert.Equal(t, []Queued{{studies[1].UID, patient.UnmatchedDemographics}, {studies[2].UID, patient.UnmatchedNone}, {studies[3].UID, patient.UnmatchedNone}}, rep.Queued)
		queue, err := svc.ImagingQueue(ctx)
		require.NoError(t, err)
		require.Len(t, queue, 3)
		got, err := svc.ImagingStudies(ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, files[0].Get(TagStudyInstanceUID), got[0].UID)
		assert.Equal(t, 1, got[0].NumberOfInstances)
		all, err := patients.Search(ctx, patient.Query{})
		require.NoError(t, err)
		assert.Len(t, all.Patients, 2, "no patient created")

		// Importing again changes nothing.
		rep, err = im.Import(ctx, studies)
		require.NoError(t, err)
		assert.Equal(t, map[string]storage.Outcome{studies[0].ID: storage.Unchanged}, rep.Stored)
		queue, err = svc.ImagingQueue(ctx)
		require.NoError(t, err)
		assert.Len(t, queue, 3, "a study arriving again stays one queue entry")

		// A person says whose the third study is.
		_, err = im.Resolve(ctx, studies[2].ID, p.ID)
		require.NoError(t, err)
		got, err = svc.ImagingStudies(ctx, p.ID)
		require.NoError(t, err)
		assert.Len(t, got, 2)
		queue, err = svc.ImagingQueue(ctx)
		require.NoError(t, err)
		assert.Len(t, queue, 2)
		_, err = im.Resolve(ctx, studies[2].ID, p.ID)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "already resolved")
		// The resolved study arriving again goes to the patient chosen.
		rep, err = im.Import(ctx, studies)
		require.NoError(t, err)
		assert.Equal(t, storage.Unchanged, rep.Stored[studies[2].ID])
		assert.Len(t, rep.Queued, 2)
	})
}

// TestImportCompletesImagingOrder: a study arriving with the accession
// number of the patient's active imaging order completes that order in the
// transaction that stores the study, on every backend; an order with another
// accession stays active.
func TestImportCompletesImagingOrder(t *testing.T) {
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "modality"})
	files := corpusFiles(t, "1.dcm")
	studies, err := Studies(files)
	require.NoError(t, err)
	study := studies[0]
	if study.Accession == "" {
		study.Accession = "ACC-0001" // the corpus file carries none: the RIS's number
	}
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		store := access.Trusted(s)
		patients, err := patient.NewService(store)
		require.NoError(t, err)
		p, err := patients.Register(ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "Test", Given: []string{"Pat"}}}, Gender: patient.GenderFemale,
			Identifiers: []ehrkit.Identifier{{System: mrn, Value: files[0].Get(TagPatientID)}}})
		require.NoError(t, err)
		orders, err := rx.NewService(store, rx.Shipped())
		require.NoError(t, err)
		imaging := func(accession string) rx.Order {
			o, err := orders.Draft(ctx, rx.Order{Patient: p.ID, Kind: rx.KindImaging, Requester: "dr-1", Imaging: &rx.ImagingDetail{
				Procedure: ehrkit.Coding{System: ehrkit.SystemLOINC, Code: "24558-9", Display: "MR Brain"}, Modality: "MR", Accession: accession}})
			require.NoError(t, err)
			o, err = orders.Sign(ctx, o.ID, "")
			require.NoError(t, err)
			require.Equal(t, rx.Active, o.Status)
			return o
		}
		mine, other := imaging(study.Accession), imaging("ACC-9999")
		im := &Importer{Store: store, Clinical: clinical.NewService(store), Orders: orders, System: mrn}
		rep, err := im.Import(ctx, []Study{study})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{study.ID: mine.ID}, rep.Completed)
		got, err := orders.Get(ctx, mine.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Completed, got.Status)
		got, err = orders.Get(ctx, other.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Active, got.Status)

		// A study whose Patient ID the registry does not know waits in the
		// queue; resolving it completes the order of its accession.
		stray := study
		stray.ID, stray.UID, stray.PatientID, stray.Accession = "1.2.3.99", "1.2.3.99", "UNKNOWN-ID", "ACC-9999"
		rep, err = im.Import(ctx, []Study{stray})
		require.NoError(t, err)
		require.Len(t, rep.Queued, 1)
		assert.Empty(t, rep.Completed)
		completed, err := im.Resolve(ctx, stray.ID, p.ID)
		require.NoError(t, err)
		assert.Equal(t, other.ID, completed)
		got, err = orders.Get(ctx, other.ID)
		require.NoError(t, err)
		assert.Equal(t, rx.Completed, got.Status)
	})
}
