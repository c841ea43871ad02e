package clinical

import (
	"context"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// SaveForm validates and stores a form definition, replacing the stored one
// with the same id (earlier versions stay in the store's history).
func (s *Service) SaveForm(ctx context.Context, f FormDefinition) error {
	if err := validate(&f); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx storage.Tx) error {
		_, err := forms.Put(ctx, tx, &f, storage.Any)
		return err
	})
}

// InstallBuiltinForms stores the definitions shipped with ehrkit (FormIntake,
// FormPHQ9).
func (s *Service) InstallBuiltinForms(ctx context.Context) error {
	for _, id := range []string{FormIntake, FormPHQ9} {
		f, err := BuiltinForm(id)
		if err != nil {
			return err
		}
		if err := s.SaveForm(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// Form returns the stored form definition with the given id.
func (s *Service) Form(ctx context.Context, id string) (FormDefinition, error) {
	return get(ctx, s, forms, id)
}

// SubmitResponse checks a response against its stored definition (every
// problem, with its item path) and stores it. A completed response is also
// extracted: its observations (vital signs, social history, item answers and
// scores, and the BMI when height and weight were answered) are flagged and
// stored in the same transaction. It returns the stored response and
// observations.
func (s *Service) SubmitResponse(ctx context.Context, r FormResponse) (FormResponse, []Observation, error) {
	r.ID = s.id(r.ID)
	if r.Authored.IsZero() {
		r.Authored = s.now()
	}
	var obs []Observation
	err := s.store.Update(ctx, func(tx storage.Tx) error {
		f, _, err := forms.Get(ctx, tx, r.Form)
		if err != nil {
			return err
		}
		if err := f.Check(&r); err != nil {
			return err
		}
		if err := create(ctx, tx, responses, &r, r.Patient, r.Encounter); err != nil {
			return err
		}
		if r.Status == ResponseInProgress {
			return nil
		}
		extracted, err := f.Extract(&r)
		if err != nil {
			return err
		}
		obs, err = s.recordObservations(ctx, tx, withBMI(s.assignIDs(extracted)))
		return err
	})
	if err != nil {
		return FormResponse{}, nil, err
	}
	return r, obs, nil
}

// FormResponses returns the patient's form responses, oldest first.
func (s *Service) FormResponses(ctx context.Context, p patient.ID) ([]FormResponse, error) {
	return list(ctx, s, responses, p)
}

// FormResponse returns the response with the given id.
func (s *Service) FormResponse(ctx context.Context, id string) (FormResponse, error) {
	return get(ctx, s, responses, id)
}

// Validate checks the response on its own (patient, form, status, authored
// time); FormDefinition.Check also checks its answers against the form.
func (r *FormResponse) Validate() error {
	var is ehrkit.Issues
	is.Required("patient", r.Patient != "")
	is.Required("form", r.Form != "")
	checkCode(&is, "status", r.Status, true, ResponseInProgress, ResponseCompleted, ResponseAmended)
	is.Required("authored", !r.Authored.IsZero())
	return is.Err()
}
