package workload

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage"
)

// ImportPatient is the id of the i-th patient WriteImport writes.
func ImportPatient(i int) string { return fmt.Sprintf("imp-%04d", i) }

// WriteImport writes an NDJSON file of patients patients, each with a
// condition, a heart-rate observation and an active prescription, five
// resources per patient, as an import from another system would bring them.
func WriteImport(w io.Writer, patients int) error {
	bw := bufio.NewWriter(w)
	for i := range patients {
		p := ImportPatient(i)
		subject := `"subject":{"reference":"Patient/` + p + `"}`
		fmt.Fprintf(bw, `{"resourceType":"Patient","id":"%s","identifier":[{"system":"urn:oid:2.16.840.1.113883.19.5","value":"X%06d"}],"name":[{"family":"Imported","given":["P%d"]}],"gender":"male","birthDate":"%d-03-04"}`+"\n", p, i, i, 1940+i%60)
		fmt.Fprintf(bw, `{"resourceType":"Condition","id":"%s-c","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003","display":"Hypertensive disorder"}]},%s,"onsetDateTime":"2020-01-0%dT00:00:00Z"}`+"\n", p, subject, 1+i%9)
		fmt.Fprintf(bw, `{"resourceType":"Observation","id":"%s-o","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},%s,"effectiveDateTime":"2024-05-06T07:08:09Z","valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`+"\n", p, subject, 55+i%40)
		fmt.Fprintf(bw, `{"resourceType":"Observation","id":"%s-w","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},%s,"effectiveDateTime":"2024-05-06T07:08:09Z","valueQuantity":{"value":%d,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}`+"\n", p, subject, 50+i%50)
		fmt.Fprintf(bw, `{"resourceType":"MedicationRequest","id":"%s-m","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"314076","display":"Lisinopril 10 MG Oral Tablet"}]},%s,"requester":{"reference":"Practitioner/dr-1"}}`+"\n", p, subject)
	}
	return bw.Flush()
}

// Import imports the NDJSON file at path into store as an interface engine
// does (a system principal, a trusted store), in transactions of 10
// resources, and returns the report.
func Import(ctx context.Context, store storage.Store, path string) (*fhir.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im := fhir.NewImporter(access.Trusted(store), fhir.WithBatchSize(10), fhir.WithWorkers(2))
	err = im.ImportNDJSON(As(ctx, Feed), f, path)
	return im.Report(), err
}

// ImportCounts counts, per record type, the records in the compartments of
// the first patients patients of WriteImport (audit events aside).
func ImportCounts(ctx context.Context, store storage.Store, patients int) (map[string]int, error) {
	ctx = As(ctx, Feed)
	out := map[string]int{}
	for i := range patients {
		q := storage.Query{Compartment: ImportPatient(i), Limit: storage.MaxLimit}
		for {
			page, err := store.Query(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, r := range page.Records {
				if r.Type != access.AuditEventType {
					out[r.Type]++
				}
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
	}
	return out, nil
}
