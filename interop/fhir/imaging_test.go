package fhir_test

import (
	"fmt"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func genImagingStudy(g *gen, i int) clinical.ImagingStudy {
	modality := func() ehrkit.Coding { return g.coding(clinical.SystemDICOM, []string{"CT", "MR", "DX", "US", "PT"}) }
	s := clinical.ImagingStudy{
		ID: g.id("is", i), Patient: patient.ID(g.id("p", i)), Encounter: pick(g, "", g.id("e", i)),
		Status: pick(g, "registered", "available", "cancelled", "entered-in-error", "unknown"),
		UID:    fmt.Sprintf("1.2.840.99999.%d", i+1), Accession: pick(g, "", fmt.Sprintf("A%d", i)), Description: pick(g, "", g.text()),
		Referrer: pick(g, ehrkit.Reference{}, ehrkit.Reference{Display: "Doe^John"}, g.ref("Practitioner")),
		BasedOn:  g.refs(2, "ServiceRequest"),
	}
	if g.maybe() {
		s.Started = g.time()
	}
	if g.maybe() {
		s.Procedures = []ehrkit.Coding{g.anyCoding()}
	}
	for j := range g.n(3) {
		se := clinical.ImagingSeries{UID: fmt.Sprintf("%s.%d", s.UID, j+1), Number: j + 1, Modality: modality(), Description: pick(g, "", g.text())}
		if g.maybe() {
			se.BodySite = g.coding(ehrkit.SystemSNOMED, snomedCodes)
		}
		if g.maybe() {
			se.Started = g.time()
		}
		for k := range 1 + g.n(3) {
			se.Instances = append(se.Instances, clinical.ImagingInstance{UID: fmt.Sprintf("%s.%d", se.UID, k+1),
				SOPClass: ehrkit.Coding{System: clinical.SystemDICOMUID, Code: "1.2.840.10008.5.1.4.1.1.2"}, Number: k + 1, Title: pick(g, "", g.text())})
		}
		s.Modalities = append(s.Modalities, se.Modality)
		s.Series = append(s.Series, se)
		s.NumberOfInstances += len(se.Instances)
		se.NumberOfInstances = len(se.Instances)
		s.Series[j].NumberOfInstances = len(se.Instances)
	}
	s.NumberOfSeries = len(s.Series)
	return s
}

// TestRoundTripImagingStudy checks domain → FHIR → domain over generated
// imaging studies.
func TestRoundTripImagingStudy(t *testing.T) {
	roundTrip(t, "ImagingStudy", clinical.ImagingStudyRecords, genImagingStudy, nil)
}

// TestImagingStudySynthea imports an ImagingStudy the way Synthea writes it:
// the study UID from its urn:oid identifier, series and instances with their
// UIDs, SOP class and body site.
func TestImagingStudySynthea(t *testing.T) {
	m, ok := fhir.MappingFor(clinical.ImagingStudyType)
	require.True(t, ok)
	raw := `{"resourceType":"ImagingStudy","id":"cb673dac","identifier":[{"use":"official","system":"urn:ietf:rfc:3986","value":"urn:oid:1.2.840.99999999.85981652.1559319181705"}],
	"status":"available","subject":{"reference":"Patient/p1"},"started":"1992-10-02T21:51:36+00:00","numberOfSeries":1,"numberOfInstances":1,
	"series":[{"uid":"1.2.840.99999999.1.17252882.1559319181705","number":1,"modality":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"DX","display":"Digital Radiography"},
	"numberOfInstances":1,"bodySite":{"system":"http://snomed.info/sct","code":"40983000","display":"Arm"},"started":"1992-10-02T21:51:36+00:00",
	"instance":[{"uid":"1.2.840.99999999.1.1.74111721.1559319181705","sopClass":{"system":"urn:ietf:rfc:3986","code":"1.2.840.10008.5.1.4.1.1.1.1"},"number":1,"title":"Image of arm"}]}]}`
	v, err := m.Import([]byte(raw), "cb673dac", fhir.NewRefs())
	require.NoError(t, err)
	s := v.Domain().(clinical.ImagingStudy)
	require.NoError(t, s.Validate())
	assert.Equal(t, "1.2.840.99999999.85981652.1559319181705", s.UID)
	assert.Equal(t, patient.ID("p1"), s.Patient)
	require.Len(t, s.Series, 1)
	assert.Equal(t, "40983000", s.Series[0].BodySite.Code)
	assert.Equal(t, "1.2.840.10008.5.1.4.1.1.1.1", s.Series[0].Instances[0].SOPClass.Code)
	assert.Equal(t, "Image of arm", s.Series[0].Instances[0].Title)

	out, err := fhir.ExportValue(clinical.ImagingStudyType, s)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"system":"urn:dicom:uid","value":"urn:oid:1.2.840.99999999.85981652.1559319181705"`)
}
