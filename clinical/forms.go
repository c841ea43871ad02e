package clinical

import (
	"embed"
	"encoding/json"
	"fmt"

	"github.com/ehrkit/ehrkit"
)

//go:embed forms/*.json
var formFiles embed.FS

// Identifiers of the form definitions shipped with ehrkit.
const (
	FormIntake = "intake"
	FormPHQ9   = "phq-9"
)

// BuiltinForm returns a fresh copy of a shipped form definition by id
// (FormIntake, FormPHQ9); ehrkit.ErrNotFound for another id. The intake form
// asks the reason for the visit, height and weight (extracted as vital signs),
// tobacco use (extracted as social history), allergies and medications as
// repeating groups; PHQ-9 is the nine-item depression questionnaire with its
// total score (LOINC 44261-6) and severity bands. Each definition's Source
// names where its content comes from.
func BuiltinForm(id string) (FormDefinition, error) {
	var f FormDefinition
	file := map[string]string{FormIntake: "forms/intake.json", FormPHQ9: "forms/phq9.json"}[id]
	if file == "" {
		return f, errorf(ehrkit.ErrNotFound, "no built-in form %q", id)
	}
	b, err := formFiles.ReadFile(file)
	if err != nil {
		return f, fmt.Errorf("clinical: read %s: %w", file, err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("clinical: decode %s: %w", file, err)
	}
	return f, nil
}
