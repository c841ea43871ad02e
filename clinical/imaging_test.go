package clinical_test

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mrStudy() clinical.ImagingStudy {
	mr := ehrkit.Coding{System: clinical.SystemDICOM, Code: "MR"}
	mrImage := ehrkit.Coding{System: clinical.SystemDICOMUID, Code: "1.2.840.10008.5.1.4.1.1.4"}
	return clinical.ImagingStudy{ID: "st-1", Patient: "p1", Status: "available", UID: "1.2.3.4", Started: fixed, Accession: "A100",
		Modalities: []ehrkit.Coding{mr},
		Series: []clinical.ImagingSeries{
			{UID: "1.2.3.4.1", Number: 1, Modality: mr, Instances: []clinical.ImagingInstance{{UID: "1.2.3.4.1.1", SOPClass: mrImage, Number: 1}, {UID: "1.2.3.4.1.2", SOPClass: mrImage, Number: 2}}},
			{UID: "1.2.3.4.2", Number: 2, Modality: mr, Instances: []clinical.ImagingInstance{{UID: "1.2.3.4.2.1", SOPClass: ehrkit.Coding{System: "urn:ietf:rfc:3986", Code: "urn:oid:" + mrImage.Code}, Number: 1}}},
		}}
}

func TestImagingStudyValidate(t *testing.T) {
	s := mrStudy()
	require.NoError(t, s.Validate())
	s.Patient, s.Status, s.UID = "", "done", "1.02.3"
	s.Series[0].UID = "x"
	s.Series[1].UID = "x"
	s.Series[0].Instances[1].UID = "1.2.3.4.1.1"
	s.Series[1].Instances[0].SOPClass.Code = ""
	s.Series[1].Modality = ehrkit.Coding{}
	assert.ElementsMatch(t, []string{"patient required", "status code-invalid", "uid value",
		"series[0].uid value", "series[1].uid value", "series[1].uid duplicate",
		"series[0].instances[1].uid duplicate", "series[1].instances[0].sopClass.code required", "series[1].modality.code required"}, issues(t, s.Validate()))

	for uid, ok := range map[string]bool{"1.2.840.10008.1.2.1": true, "0": true, "1..2": false, "1.2.": false, "01.2": false, "1.2a": false, string(make([]byte, 65)): false} {
		assert.Equal(t, ok, clinical.ValidUID(uid), uid)
	}
}

func TestSaveImagingStudy(t *testing.T) {
	runEnv(t, func(t *testing.T, e env) {
		s := mrStudy()
		s.NumberOfSeries, s.NumberOfInstances = 9, 9
		require.NoError(t, e.store.Update(e.ctx, func(tx storage.Tx) error {
			out, err := e.svc.SaveImagingStudy(e.ctx, tx, s)
			assert.Equal(t, storage.Created, out)
			return err
		}))
		got, err := e.svc.ImagingStudies(e.ctx, "p1")
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, 2, got[0].NumberOfSeries, "derived from the series listed")
		assert.Equal(t, 3, got[0].NumberOfInstances)
		assert.Equal(t, 2, got[0].Series[0].NumberOfInstances)

		// The same study again is left as it is; another patient is refused.
		require.NoError(t, e.store.Update(e.ctx, func(tx storage.Tx) error {
			out, err := e.svc.SaveImagingStudy(e.ctx, tx, s)
			assert.Equal(t, storage.Unchanged, out)
			return err
		}))
		s.Patient = "p2"
		err = e.store.Update(e.ctx, func(tx storage.Tx) error { _, err := e.svc.SaveImagingStudy(e.ctx, tx, s); return err })
		assert.Equal(t, []string{"patient invariant"}, issues(t, err))
		s.Patient = "nobody"
		err = e.store.Update(e.ctx, func(tx storage.Tx) error { _, err := e.svc.SaveImagingStudy(e.ctx, tx, s); return err })
		assert.Equal(t, []string{"patient value"}, issues(t, err))
	})
}
