package fhir

import "github.com/ehrkit/ehrkit/storage"

// Report is the outcome of an import. Its JSON form is the -json output of
// examples/fhirimport.
type Report struct {
	Resources   int            `json:"resources"`   // resources read
	Imported    map[string]int `json:"imported"`    // created, per type
	Updated     map[string]int `json:"updated"`     // existing records changed, per type
	Unchanged   map[string]int `json:"unchanged"`   // re-imported with no change, per type
	Unsupported map[string]int `json:"unsupported"` // types ehrkit does not model, per type
	// Unmapped counts, per element path ("Patient.communication"), the source
	// elements the ehrkit model does not hold. With KeepOriginal they survive in
	// the original resource kept beside the record.
	Unmapped map[string]int `json:"unmapped"`
	Failed   []Failure      `json:"failed"` // resources not imported, with why
	// RolledBack counts, per type, the entries of transaction Bundles that
	// were not written because another entry of their Bundle failed.
	RolledBack map[string]int `json:"rolledBack"`
	// Warnings lists the resources a Lenient import stored with terminology
	// problems, labelled ehrkit.LabelUnverifiedCode.
	Warnings []Failure `json:"warnings"`
}

// Failure is one resource that was not imported, as an OperationOutcome-style
// list of issues.
type Failure struct {
	Source string   `json:"source"` // file or label of the source
	Entry  int      `json:"entry"`  // Bundle entry number (0-based) or NDJSON line (1-based); -1 for the whole file
	Type   string   `json:"type"`   // resource type, "" if unknown
	Issues []string `json:"issues"` // what is wrong, with element paths
}

func newReport() *Report {
	return &Report{
		Imported: map[string]int{}, Updated: map[string]int{}, Unchanged: map[string]int{},
		Unsupported: map[string]int{}, Unmapped: map[string]int{}, RolledBack: map[string]int{}, Failed: []Failure{}, Warnings: []Failure{},
	}
}

// Merge adds the counts of o to r.
func (r *Report) Merge(o *Report) {
	r.Resources += o.Resources
	for _, p := range []struct{ dst, src map[string]int }{
		{r.Imported, o.Imported}, {r.Updated, o.Updated}, {r.Unchanged, o.Unchanged},
		{r.Unsupported, o.Unsupported}, {r.Unmapped, o.Unmapped}, {r.RolledBack, o.RolledBack},
	} {
		for k, v := range p.src {
			p.dst[k] += v
		}
	}
	r.Failed = append(r.Failed, o.Failed...)
	r.Warnings = append(r.Warnings, o.Warnings...)
}

// count adds one resource of type typ to the outcome ("imported", "updated" or
// "unchanged").
func (r *Report) count(outcome storage.Outcome, typ string) {
	switch outcome {
	case storage.Created:
		r.Imported[typ]++
	case storage.Updated:
		r.Updated[typ]++
	default:
		r.Unchanged[typ]++
	}
}
