package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
)

// hit is one search result with why it matched.
type hit struct {
	Patient patient.Patient
	Why     []string
}

// search finds patients by name (folded: accents and case do not matter)
// and, optionally, date of birth, explaining each match.
func (a *app) search(w http.ResponseWriter, r *http.Request, s *session) error {
	q := strings.TrimSpace(r.FormValue("q"))
	born := strings.TrimSpace(r.FormValue("born"))
	data := map[string]any{"Q": q, "Born": born}
	if q != "" || born != "" {
		query := patient.Query{Name: q, Limit: 50}
		if born != "" {
			d, err := ehrkit.ParseDate(born)
			if err != nil {
				var is ehrkit.Issues
				is.Add("born", ehrkit.IssueValue, "date of birth is not a date (YYYY-MM-DD)")
				return is.Err()
			}
			query.BirthDate = d
		}
		res, err := a.patients.Search(r.Context(), query)
		if err != nil {
			return err
		}
		hits := make([]hit, 0, len(res.Patients))
		for _, p := range res.Patients {
			hits = append(hits, hit{Patient: p, Why: explain(q, born, p)})
		}
		data["Hits"] = hits
	}
	return a.page(w, s, "search", "Find a patient", "patients", data)
}

// explain says how each word searched for matched the patient's names.
func explain(q, born string, p patient.Patient) []string {
	var parts []string
	for _, n := range p.Names {
		parts = append(parts, n.Given...)
		parts = append(parts, strings.FieldsFunc(n.Family, func(r rune) bool { return r == '-' || r == ' ' })...)
	}
	var why []string
	for _, word := range strings.Fields(q) {
		fw := patient.Fold(word)
		for _, part := range parts {
			fp := patient.Fold(part)
			if !strings.HasPrefix(fp, fw) {
				continue
			}
			how := "exact"
			switch {
			case fp != fw:
				how = "start of the name"
			case part != word && strings.EqualFold(part, word):
				how = "case ignored"
			case part != word:
				how = "accents and case ignored"
			}
			why = append(why, fmt.Sprintf("“%s” matched “%s” (%s)", word, part, how))
			break
		}
	}
	if born != "" {
		why = append(why, "date of birth "+p.BirthDate.String()+" equal")
	}
	return why
}

// pair is two registrations that may be the same person.
type pair struct {
	A, B  patient.Patient
	Match patient.Match
}

// duplicates lists pairs of current patients the matcher finds possibly,
// probably or certainly the same, with the per-field explanation.
func (a *app) duplicates(w http.ResponseWriter, r *http.Request, s *session) error {
	res, err := a.patients.Search(r.Context(), patient.Query{Limit: 200})
	if err != nil {
		return err
	}
	var pairs []pair
	seen := map[[2]patient.ID]bool{}
	for _, p := range res.Patients {
		ms, err := a.patients.Match(r.Context(), p)
		if err != nil {
			return err
		}
		for _, m := range ms {
			key := [2]patient.ID{min(p.ID, m.Patient.ID), max(p.ID, m.Patient.ID)}
			if m.Patient.ID == p.ID || m.Level == patient.LevelNone || seen[key] {
				continue
			}
			seen[key] = true
			pairs = append(pairs, pair{A: p, B: m.Patient, Match: m})
		}
	}
	slices.SortFunc(pairs, func(x, y pair) int { return strings.Compare(string(x.A.ID), string(y.A.ID)) })
	return a.page(w, s, "duplicates", "Duplicate review", "duplicates", map[string]any{"Pairs": pairs})
}

// merge merges the source registration into the target (front desk: the
// patient.merge permission, checked by the service).
func (a *app) merge(w http.ResponseWriter, r *http.Request, s *session) error {
	source, target := patient.ID(r.PostFormValue("source")), patient.ID(r.PostFormValue("target"))
	if _, err := a.patients.Merge(r.Context(), source, target); err != nil {
		return err
	}
	s.setFlash(fmt.Sprintf("Merged %s into %s; the merge can be undone from the registry.", source, target))
	http.Redirect(w, r, "/patients/duplicates", http.StatusSeeOther)
	return nil
}
