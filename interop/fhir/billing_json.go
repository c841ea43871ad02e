package fhir

import (
	"encoding/json"
	"fmt"

	"github.com/ehrkit/ehrkit"
)

// The FHIR JSON shapes the billing mappings (Claim, Coverage, Account,
// Invoice, ExplanationOfBenefit) still decode with encoding/json; the other
// resource types map from the parsed protos.

type fIdentifier struct {
	Use    string    `json:"use,omitempty"`
	Type   *fConcept `json:"type,omitempty"`
	System string    `json:"system,omitempty"`
	Value  string    `json:"value,omitempty"`
	Period *fPeriod  `json:"period,omitempty"`
}

// fExtension is an extension whose value is a string; ehrkit's own extensions
// hold JSON documents.
type fExtension struct {
	URL         string `json:"url"`
	ValueString string `json:"valueString,omitempty"`
}

// jsonExtension renders v as the JSON string value of an extension with url,
// or no extension when v encodes as an empty object.
func jsonExtension(url string, v any) ([]fExtension, error) {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "{}" {
		return nil, err
	}
	return []fExtension{{URL: url, ValueString: string(b)}}, nil
}

// readExtension decodes the JSON string value of the extension with url into
// v; v is left as it is when there is no such extension.
func readExtension(exts []fExtension, url string, v any) error {
	for _, e := range exts {
		if e.URL == url {
			if err := json.Unmarshal([]byte(e.ValueString), v); err != nil {
				return fmt.Errorf("%w: extension %s: %w", ehrkit.ErrInvalid, url, err)
			}
			return nil
		}
	}
	return nil
}

// jsonRefID returns the id of a reference to a record of type typ, or ""
// when r is absent or points elsewhere.
func jsonRefID(r *fReference, refs *Refs, typ string) string {
	if ref := toRef(r, refs); ref.Type == typ {
		return ref.ID
	}
	return ""
}
