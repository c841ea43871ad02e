package lab

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// SaveReport stores a report as given inside the caller's transaction: the
// entry point of feeds and importers (HL7 v2 ORU, FHIR DiagnosticReport).
// In tx, it
//
//   - validates the report (every problem named, through ehrkit.Tolerate)
//     and checks that the patient exists and was not merged away and that
//     the encounter, if any, is the patient's;
//   - matches the report to its order by placer number (an order of another
//     patient is refused at "placer") or, failing that, by the filler number
//     of an earlier report; a report of no ehrkit order is kept, Unsolicited;
//   - reads each result against the sender's range or the service's table for
//     the patient's sex and age, computes its flag (kept beside the sender's
//     flags, which win; Disagrees marks a difference) and checks the change
//     since the patient's previous result of the test;
//   - writes each result with a value to the chart as a laboratory
//     clinical.Observation of the same id (clinical's SaveObservation): a
//     corrected result is a new version, the old one stays in the history;
//   - emits TopicResult to the ordering clinician for each final, corrected
//     or amended result that changed, and opens an Alert for each critical one.
//
// Result ids default to the report id, "-" and the result's position.
func (s *Service) SaveReport(ctx context.Context, tx storage.Tx, r Report) (storage.Outcome, error) {
	for i := range r.Results {
		if r.Results[i].ID == "" {
			r.Results[i].ID = r.ID + "-" + strconv.Itoa(i+1)
		}
		if r.Results[i].Effective.IsZero() {
			r.Results[i].Effective = r.Effective
		}
	}
	var is ehrkit.Issues
	is.Check(storage.ValidID(r.ID), "id", ehrkit.IssueValue, "malformed id")
	is.Merge("", ehrkit.Tolerate(ctx, r.Validate()))
	if err := is.Err(); err != nil {
		return "", err
	}
	if err := patient.CheckRef(ctx, tx, r.Patient, "patient", &is); err != nil {
		return "", err
	}
	if err := clinical.CheckEncounterRef(ctx, tx, r.Patient, r.Encounter, "encounter", &is); err != nil {
		return "", err
	}
	if err := s.matchOrder(ctx, tx, &r, &is); err != nil {
		return "", err
	}
	if err := is.Err(); err != nil {
		return "", err
	}
	if err := s.read(ctx, tx, &r); err != nil {
		return "", err
	}
	for _, res := range r.Results {
		if !slices.Contains(r.Observations, res.ID) && res.Attachment == nil {
			r.Observations = append(r.Observations, res.ID)
		}
	}
	out, err := reports.Save(ctx, tx, &r, func(previous *Report) error {
		var is ehrkit.Issues
		is.Check(previous == nil || previous.Patient == r.Patient, "patient", ehrkit.IssueInvariant, "cannot change")
		return is.Err()
	})
	if err != nil {
		return "", err
	}
	for _, res := range r.Results {
		if res.Attachment != nil {
			continue
		}
		o := chartObservation(r, res)
		changed, err := s.clinical.SaveObservation(ctx, tx, o)
		if err != nil {
			return "", err
		}
		if changed != storage.Unchanged {
			if err := s.notify(ctx, tx, r, res); err != nil {
				return "", err
			}
		}
	}
	return out, nil
}

// chartObservation is the chart's copy of a result.
func chartObservation(r Report, res Result) clinical.Observation {
	interp := res.Interpretation
	if len(interp) == 0 && res.Computed != "" {
		interp = []string{res.Computed}
	}
	return clinical.Observation{ID: res.ID, Patient: r.Patient, Encounter: r.Encounter, Status: res.Status,
		Categories: []string{clinical.CategoryLaboratory}, Code: res.Code, Effective: res.Effective, Issued: res.Issued,
		Performer: res.Performer, Value: res.Value, DataAbsentReason: res.DataAbsentReason, Interpretation: interp, Note: res.Note}
}

// matchOrder sets r.Order, r.Requester and r.Unsolicited.
func (s *Service) matchOrder(ctx context.Context, tx storage.Tx, r *Report, is *ehrkit.Issues) error {
	r.Order, r.Unsolicited = "", false
	if r.Placer != "" && s.orders != nil {
		o, err := s.orders.LabOrder(ctx, tx, r.Placer)
		switch {
		case err == nil && o.Patient != r.Patient:
			is.Add("placer", ehrkit.IssueBusinessRule, "the order is another patient's")
			return nil
		case err == nil:
			r.Order = o.ID
			if r.Requester == "" {
				r.Requester = o.Requester
			}
		case !errors.Is(err, ehrkit.ErrNotFound):
			return err
		}
	}
	if r.Order == "" && r.Filler != "" {
		earlier, _, err := reports.Query(ctx, tx, storage.Query{Compartment: string(r.Patient),
			Filters: []storage.Filter{{Term: termFiller, Op: storage.Eq, Value: r.Filler}}, Limit: storage.MaxLimit})
		if err != nil {
			return err
		}
		for _, e := range earlier {
			if e.ID != r.ID && e.Order != "" {
				r.Order = e.Order
				if r.Requester == "" {
					r.Requester = e.Requester
				}
				break
			}
		}
	}
	r.Unsolicited = r.Order == ""
	return nil
}

// read flags each result and checks its delta.
func (s *Service) read(ctx context.Context, tx storage.Tx, r *Report) error {
	rec, err := tx.Get(ctx, patient.RecordType, string(r.Patient))
	if err != nil {
		return err
	}
	p, err := patient.Records.Decode(rec)
	if err != nil {
		return err
	}
	for i := range r.Results {
		res := &r.Results[i]
		res.Applied, res.Computed, res.Disagrees, res.Delta = nil, "", false, nil
		age, known := AgeAt(p.BirthDate, res.Effective)
		if res.Range != nil && !res.Range.IsZero() {
			res.Applied = res.Range
		} else if rr, ok := s.ranges.For(res.LOINC(), p.Gender, age, known); ok {
			res.Applied = &rr
		}
		if res.Applied != nil {
			if flag, ok := Interpret(res.Value, *res.Applied); ok {
				res.Computed = flag
				res.Disagrees = len(res.Interpretation) > 0 && !slices.Contains(res.Interpretation, flag)
			}
		}
		if err := s.delta(ctx, tx, r, res); err != nil {
			return err
		}
	}
	return nil
}

// delta checks res against the patient's latest earlier result of its test.
func (s *Service) delta(ctx context.Context, tx storage.Tx, r *Report, res *Result) error {
	i := slices.IndexFunc(s.deltas, func(d DeltaRule) bool { return d.Code == res.LOINC() })
	if i < 0 || res.Value.Kind != clinical.KindQuantity {
		return nil
	}
	earlier, _, err := reports.Query(ctx, tx, storage.Query{Compartment: string(r.Patient),
		Filters: []storage.Filter{{Term: termCode, Op: storage.Eq, Value: ehrkit.SystemLOINC + "|" + res.LOINC()},
			{Term: termDate, Op: storage.Le, Value: res.Effective.UTC().Format(storage.TimeLayout)}},
		SortBy: termDate, Desc: true, Limit: 20})
	if err != nil {
		return err
	}
	var best *Result
	for _, e := range earlier {
		for j, x := range e.Results {
			if x.ID == res.ID || x.LOINC() != res.LOINC() || !x.Effective.Before(res.Effective) ||
				x.Status == clinical.ObservationEnteredInError || x.Status == clinical.ObservationCancelled {
				continue
			}
			if best == nil || x.Effective.After(best.Effective) {
				best = &e.Results[j]
			}
		}
	}
	if best == nil {
		return nil
	}
	if d, ok := CheckDelta(s.deltas[i], Previous{ID: best.ID, At: best.Effective, Value: best.Value}, res.Value.Quantity, res.Effective); ok {
		res.Delta = &d
	}
	return nil
}
