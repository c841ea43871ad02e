package main

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
)

// chartView is the chart page.
type chartView struct {
	Patient    patient.Patient
	Problems   section[clinical.Condition]
	Allergies  section[clinical.AllergyIntolerance]
	Orders     section[rx.Order]
	Vitals     section[reading]
	Trends     []template.HTML
	Labs       section[labRow]
	Notes      section[clinical.Note]
	Imaging    section[clinical.ImagingStudy]
	Emergency  bool // the chart is open under a break-the-glass grant
	GrantUntil time.Time
}

// labRow is one lab result with its report's date.
type labRow struct {
	Report string
	At     time.Time
	Result lab.Result
}

// chart is a patient's chart; each part the policy refuses the user shows
// as refused, the rest of the chart still shows.
func (a *app) chart(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	pid := patient.ID(r.PathValue("id"))
	p, err := a.patients.Get(ctx, pid)
	if err != nil {
		return err
	}
	v := chartView{Patient: p}
	for _, g := range s.Grants(a.clock.Now()) {
		if g.Patient == string(pid) {
			v.Emergency, v.GrantUntil = true, g.Expires
		}
	}
	if v.Problems, err = load(func() ([]clinical.Condition, error) { return a.clin.Conditions(ctx, pid) }); err != nil {
		return err
	}
	if v.Allergies, err = load(func() ([]clinical.AllergyIntolerance, error) { return a.clin.Allergies(ctx, pid) }); err != nil {
		return err
	}
	if v.Orders, err = load(func() ([]rx.Order, error) { return a.orders.Orders(ctx, pid) }); err != nil {
		return err
	}
	if v.Vitals, err = load(func() ([]reading, error) { return a.vitals(ctx, pid) }); err != nil {
		return err
	}
	v.Trends = trends(v.Vitals.Items)
	if v.Labs, err = load(func() ([]labRow, error) { return a.labRows(ctx, pid) }); err != nil {
		return err
	}
	if v.Notes, err = load(func() ([]clinical.Note, error) { return a.clin.Notes(ctx, pid) }); err != nil {
		return err
	}
	if v.Imaging, err = load(func() ([]clinical.ImagingStudy, error) { return a.clin.ImagingStudies(ctx, pid) }); err != nil {
		return err
	}
	return a.page(w, s, "chart", displayName(p), "patients", v)
}

// trendCodes are the vital signs the chart draws trends of.
var trendCodes = []struct{ code, title string }{
	{clinical.LOINCBodyWeight, "Body weight"},
	{clinical.LOINCSystolic, "Systolic blood pressure"},
	{clinical.LOINCDiastolic, "Diastolic blood pressure"},
}

// reading is one vital sign value: an observation's, or a component's of a
// panel such as blood pressure.
type reading struct {
	At             time.Time
	Code           ehrkit.CodeableConcept
	Value          ehrkit.Quantity
	Interpretation []string
}

// vitals returns the patient's weight and blood pressure readings, newest
// first, the blood pressure panels split into their components.
func (a *app) vitals(ctx context.Context, pid patient.ID) ([]reading, error) {
	var out []reading
	for _, code := range []string{clinical.LOINCBodyWeight, clinical.LOINCBloodPressure} {
		obs, err := a.clin.Observations(ctx, pid, ehrkit.Coding{System: ehrkit.SystemLOINC, Code: code})
		if err != nil {
			return nil, err
		}
		for _, o := range obs {
			if o.Value.Kind == clinical.KindQuantity {
				out = append(out, reading{At: o.Effective, Code: o.Code, Value: o.Value.Quantity, Interpretation: o.Interpretation})
			}
			for _, c := range o.Components {
				if c.Value.Kind == clinical.KindQuantity {
					out = append(out, reading{At: o.Effective, Code: c.Code, Value: c.Value.Quantity, Interpretation: c.Interpretation})
				}
			}
		}
	}
	slices.SortStableFunc(out, func(x, y reading) int { return y.At.Compare(x.At) })
	return out, nil
}

// labRows returns the patient's lab results, newest report first.
func (a *app) labRows(ctx context.Context, pid patient.ID) ([]labRow, error) {
	page, err := a.store.Query(ctx, storage.Query{Type: lab.ReportType, Compartment: string(pid), Limit: storage.MaxLimit})
	if err != nil {
		return nil, err
	}
	var rows []labRow
	for _, rec := range page.Records {
		rep, err := lab.ReportRecords.Decode(rec)
		if err != nil {
			return nil, err
		}
		for _, res := range rep.Results {
			rows = append(rows, labRow{Report: rep.ID, At: rep.Effective, Result: res})
		}
	}
	slices.SortStableFunc(rows, func(x, y labRow) int { return y.At.Compare(x.At) })
	return rows, nil
}

// trends draws one SVG line chart per trend code with two or more readings.
func trends(rs []reading) []template.HTML {
	var out []template.HTML
	for _, c := range trendCodes {
		var pts []point
		unit := ""
		for _, r := range rs {
			if r.Code.Has(ehrkit.SystemLOINC, c.code) {
				pts = append(pts, point{At: r.At, Value: r.Value.Value})
				unit = r.Value.Unit
			}
		}
		if len(pts) >= 2 {
			slices.SortFunc(pts, func(x, y point) int { return x.At.Compare(y.At) })
			out = append(out, trendSVG(c.title, unit, pts))
		}
	}
	return out
}

// point is one reading of a trend.
type point struct {
	At    time.Time
	Value decimal.Decimal
}

// trendSVG draws readings as a small line chart: an accessible image whose
// title and description name the series, its range and its last value.
func trendSVG(title, unit string, pts []point) template.HTML {
	const w, h, pad = 320.0, 120.0, 28.0
	lo, hi := pts[0].Value.InexactFloat64(), pts[0].Value.InexactFloat64()
	for _, p := range pts {
		v := p.Value.InexactFloat64()
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	t0, t1 := pts[0].At, pts[len(pts)-1].At
	span := max(t1.Sub(t0).Seconds(), 1)
	x := func(t time.Time) float64 { return pad + (w-2*pad)*t.Sub(t0).Seconds()/span }
	y := func(v float64) float64 { return h - pad - (h-2*pad)*(v-lo)/(hi-lo) }
	var line, dots strings.Builder
	for i, p := range pts {
		px, py := x(p.At), y(p.Value.InexactFloat64())
		if i > 0 {
			line.WriteByte(' ')
		}
		fmt.Fprintf(&line, "%.1f,%.1f", px, py)
		fmt.Fprintf(&dots, `<circle cx="%.1f" cy="%.1f" r="3"><title>%s: %s %s</title></circle>`, px, py, p.At.Format("2 Jan 2006"), p.Value, template.HTMLEscapeString(unit))
	}
	last := pts[len(pts)-1]
	desc := fmt.Sprintf("%s from %s to %s: %d readings between %s and %s %s, latest %s %s.", title, t0.Format("Jan 2006"), t1.Format("Jan 2006"),
		len(pts), decimal.NewFromFloat(lo).String(), decimal.NewFromFloat(hi).String(), unit, last.Value, unit)
	id := strings.ToLower(strings.ReplaceAll(title, " ", "-"))
	svg := fmt.Sprintf(`<figure class="trend"><svg role="img" aria-labelledby="%[1]s-t %[1]s-d" viewBox="0 0 %[2]g %[3]g" width="%[2]g" height="%[3]g">`+
		`<title id="%[1]s-t">%[4]s</title><desc id="%[1]s-d">%[5]s</desc>`+
		`<line class="axis" x1="%[6]g" y1="%[7]g" x2="%[8]g" y2="%[7]g"/>`+
		`<text x="2" y="%[9]g">%[10]s</text><text x="2" y="%[7]g">%[11]s</text>`+
		`<polyline points="%[12]s"/>%[13]s</svg><figcaption>%[4]s (%[14]s): latest %[15]s</figcaption></figure>`,
		id, w, h, template.HTMLEscapeString(title), template.HTMLEscapeString(desc), pad, h-pad, w-pad, pad,
		decimal.NewFromFloat(hi).String(), decimal.NewFromFloat(lo).String(), line.String(), dots.String(), template.HTMLEscapeString(unit), last.Value)
	return template.HTML(svg) // every value interpolated is escaped or numeric
}

// createNote saves a draft note written on the chart.
func (a *app) createNote(w http.ResponseWriter, r *http.Request, s *session) error {
	pid := patient.ID(r.PathValue("id"))
	n := progressNote(pid, "", strings.TrimSpace(r.PostFormValue("text")))
	n.Author = ehrkit.Ref("Practitioner", s.Principal.Practitioner)
	if _, err := a.clin.CreateNote(r.Context(), n); err != nil {
		return err
	}
	s.setFlash("Draft note saved.")
	http.Redirect(w, r, "/patients/"+string(pid)+"#notes", http.StatusSeeOther)
	return nil
}

// signNote signs a draft note (note.sign, checked by the service).
func (a *app) signNote(w http.ResponseWriter, r *http.Request, s *session) error {
	n, err := a.clin.SignNote(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.setFlash("Note signed.")
	http.Redirect(w, r, "/patients/"+string(n.Patient)+"#notes", http.StatusSeeOther)
	return nil
}

// addAddendum adds a signed addendum to a signed note.
func (a *app) addAddendum(w http.ResponseWriter, r *http.Request, s *session) error {
	n, err := a.clin.AddAddendum(r.Context(), r.PathValue("id"), strings.TrimSpace(r.PostFormValue("text")))
	if err != nil {
		return err
	}
	s.setFlash("Addendum added.")
	http.Redirect(w, r, "/patients/"+string(n.Patient)+"#notes", http.StatusSeeOther)
	return nil
}
