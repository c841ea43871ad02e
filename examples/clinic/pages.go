package main

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
)

// view is what every page template gets.
type view struct {
	S     *session // nil on the login page
	Title string
	Nav   string // the navigation entry to mark current
	Flash string // a message carried over from the last action
	Error string // what went wrong with the last action
	Data  any
}

// pages holds one template set per page, each with the layout.
type pages struct {
	sets map[string]*template.Template
}

// funcs are the helpers the templates use.
var funcs = template.FuncMap{
	"name":     func(p patient.Patient) string { return displayName(p) },
	"concept":  conceptText,
	"day":      func(t time.Time) string { return dateOr(t, "2 Jan 2006") },
	"clock":    func(t time.Time) string { return dateOr(t, "15:04") },
	"stamp":    func(t time.Time) string { return dateOr(t, "2 Jan 2006 15:04") },
	"iso":      func(t time.Time) string { return dateOr(t, "2006-01-02") },
	"date":     func(d ehrkit.Date) string { return d.String() },
	"join":     strings.Join,
	"mrn":      func(p patient.Patient) string { return p.Identifier(patient.SystemMRN) },
	"severity": severityClass,
	"has":      func(s *session, role string) bool { return s != nil && s.Can(role) },
}

// dateOr formats t, or returns "—" for the zero time.
func dateOr(t time.Time, layout string) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format(layout)
}

// displayName is the name a page shows for p: given names then family.
func displayName(p patient.Patient) string {
	if s := p.Name().Full(); s != "" {
		return s
	}
	return string(p.ID)
}

// conceptText is the text of a concept: its text, else the display or code
// of its first coding.
func conceptText(c ehrkit.CodeableConcept) string {
	if c.Text != "" {
		return c.Text
	}
	for _, cd := range c.Coding {
		if cd.Display != "" {
			return cd.Display
		}
	}
	if len(c.Coding) > 0 {
		return c.Coding[0].Code
	}
	return ""
}

// severityClass is the CSS class of an alert's severity.
func severityClass(s rx.Severity) string {
	switch s {
	case rx.Contraindicated:
		return "alert-critical"
	case rx.Major:
		return "alert-major"
	default:
		return "alert-minor"
	}
}

// parsePages parses every page of web/templates with the layout.
func parsePages() (*pages, error) {
	names, err := fs.Glob(webFiles, "web/templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(webFiles, "web/templates/layout.html", n)
		if err != nil {
			return nil, err
		}
		p.sets[base] = t
	}
	return p, nil
}

// render writes the page name with status; a template error is a 500 with
// no partial page.
func (p *pages) render(w http.ResponseWriter, status int, name string, v view) {
	if err := p.renderErr(w, status, name, v); err != nil {
		http.Error(w, "page failed to render", http.StatusInternalServerError)
	}
}

// renderErr is render returning the template error instead of answering it.
func (p *pages) renderErr(w http.ResponseWriter, status int, name string, v view) error {
	t, ok := p.sets[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	if v.S != nil && v.Flash == "" {
		v.Flash = v.S.takeFlash()
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// page renders a page of a logged-in user with status 200.
func (a *app) page(w http.ResponseWriter, s *session, name, title, nav string, data any) error {
	return a.pages.renderErr(w, http.StatusOK, name, view{S: s, Title: title, Nav: nav, Data: data})
}

// deniedView is what the refusal page shows.
type deniedView struct {
	Reason        string
	Action        string
	Patient       string
	CanBreakGlass bool
	Issues        []ehrkit.Issue
}

// fail renders an error as a page: a policy refusal (with the
// break-the-glass form when the role may break the glass for a patient), a
// validation error listing every problem, or a missing record.
func (a *app) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var denied *access.DeniedError
	var invalid *ehrkit.ValidationError
	switch {
	case errors.As(err, &denied):
		d := deniedView{Reason: string(denied.Reason), Action: denied.Action, Patient: denied.Compartment}
		if d.Patient == "" {
			d.Patient = r.PathValue("id")
		}
		d.CanBreakGlass = d.Patient != "" && (s.Can(access.RolePhysician) || s.Can(access.RoleNurse)) && denied.Reason != access.ReasonRole
		a.pages.render(w, http.StatusForbidden, "denied", view{S: s, Title: "Not available to your role", Data: d})
	case errors.As(err, &invalid):
		a.pages.render(w, http.StatusBadRequest, "denied", view{S: s, Title: "Please correct the form", Data: deniedView{Issues: invalid.Issues}})
	case errors.Is(err, ehrkit.ErrNotFound):
		a.pages.render(w, http.StatusNotFound, "denied", view{S: s, Title: "Not found", Error: "There is no such record."})
	case errors.Is(err, ehrkit.ErrFailedPrecondition):
		a.pages.render(w, http.StatusConflict, "denied", view{S: s, Title: "Not possible now", Error: "The record is not in a state that allows this. " + err.Error()})
	default:
		a.log.Error("page failed", "path", r.URL.Path, "err", err)
		a.pages.render(w, http.StatusInternalServerError, "denied", view{S: s, Title: "Something went wrong", Error: "The clinic could not complete this request."})
	}
}

// section is one part of a page loaded on its own, so that a part the
// policy refuses shows as refused while the rest of the page shows.
type section[T any] struct {
	Items  []T
	Denied string // why the policy refused this part; "" when allowed
}

// load fills a section from fn; a refusal is kept, any other error returned.
func load[T any](fn func() ([]T, error)) (section[T], error) {
	items, err := fn()
	var denied *access.DeniedError
	if errors.As(err, &denied) {
		return section[T]{Denied: string(denied.Reason)}, nil
	}
	return section[T]{Items: items}, err
}
