package fhir_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// Import a small NDJSON source, look at the report, and export the patient
// compartment as Bulk Data NDJSON.
func Example() {
	ctx := context.Background()
	store := memstore.New()
	source := `{"resourceType":"Patient","id":"p1","name":[{"family":"Müller-Lüdenscheidt","given":["José"]}],"birthDate":"1970-05"}
{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"E11.9"}]},"subject":{"reference":"Patient/p1"}}
{"resourceType":"Basic","id":"b1","code":{"text":"walk daily"},"subject":{"reference":"Patient/p1"}}
{"resourceType":"Condition","id":"c2","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"NOT-A-CODE"}]},"subject":{"reference":"Patient/p1"}}`

	im := fhir.NewImporter(store)
	if err := im.ImportNDJSON(ctx, strings.NewReader(source), "example.ndjson"); err != nil {
		panic(err)
	}
	rep := im.Report()
	fmt.Println("imported:", rep.Imported)
	fmt.Println("unsupported:", rep.Unsupported)
	for _, f := range rep.Failed {
		fmt.Printf("failed: line %d %s %s\n", f.Entry, f.Type, strings.Join(f.Issues, "; "))
	}

	x, err := fhir.NewExporter(store)
	if err != nil {
		panic(err)
	}
	if _, err := x.NDJSON(ctx, "Patient", "p1", os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// imported: map[Condition:1 Patient:1]
	// unsupported: map[Basic:1]
	// failed: line 4 Condition Condition.code.coding[0].code: not an ICD-10-CM code (code-invalid); Condition.clinicalStatus: is required (required)
	// {"active":true,"birthDate":"1970-05","id":"p1","name":[{"family":"Müller-Lüdenscheidt","given":["José"]}],"resourceType":"Patient"}
}
