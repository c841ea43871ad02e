package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
)

// otherFacility is another site of the demo, whose patient only
// break-the-glass reaches; the staff work at facility.
const otherFacility = "clinic-2"

// Timings of the demo's safety nets.
const (
	breakGlassFor   = time.Hour        // how long a break-the-glass grant lasts
	escalateAfter   = 30 * time.Minute // an unacknowledged critical result escalates after this
	backupPhysician = "dr-adeyemi"     // who a critical result escalates to
)

// demoUser is one login of the login page.
type demoUser struct {
	Key       string // the login's form value
	Role      string // the role's title
	Name      string // who it is
	Sees      string // what the role is for, in a line
	Principal access.Principal
}

// demoUsers are the demo logins, one per role. The portal user's patient is
// filled in when the app starts (it is the id the seed gave José).
var demoUsers = []demoUser{
	{Key: "physician", Role: "Physician", Name: "Dr. Lena Weber", Sees: "Charts, notes, orders and results of the clinic's patients; break-the-glass for others.",
		Principal: access.Principal{Kind: access.User, ID: "dr-weber", Display: "Dr. Lena Weber", Roles: []string{access.RolePhysician}, Facility: facility, Practitioner: "prac-weber"}},
	{Key: "nurse", Role: "Nurse", Name: "Sam Kim, RN", Sees: "Reads the chart and records vitals; may not sign notes or orders.",
		Principal: access.Principal{Kind: access.User, ID: "nurse-kim", Display: "Sam Kim", Roles: []string{access.RoleNurse}, Facility: facility, Practitioner: "prac-kim"}},
	{Key: "front-desk", Role: "Front desk", Name: "Ana Souza", Sees: "Registration, scheduling, duplicates and merges; no clinical notes.",
		Principal: access.Principal{Kind: access.User, ID: "desk-ana", Display: "Ana Souza", Roles: []string{access.RoleFrontDesk}, Facility: facility}},
	{Key: "pharmacist", Role: "Pharmacist", Name: "Luis Ruiz, PharmD", Sees: "Medication orders with what a review needs: allergies, problems, observations.",
		Principal: access.Principal{Kind: access.User, ID: "pharm-ruiz", Display: "Luis Ruiz", Roles: []string{access.RolePharmacist}, Facility: facility}},
	{Key: "biller", Role: "Biller", Name: "Mei Chen", Sees: "Claims, the scrubber, 837 files, remittances, A/R and reports; no chart.",
		Principal: access.Principal{Kind: access.User, ID: "bill-chen", Display: "Mei Chen", Roles: []string{access.RoleBiller}, Facility: facility}},
	{Key: "privacy", Role: "Privacy officer", Name: "Jordan Lee", Sees: "The audit trail: who opened which chart, overrides, break-the-glass.",
		Principal: access.Principal{Kind: access.User, ID: "privacy-lee", Display: "Jordan Lee", Roles: []string{access.RolePrivacy}}},
	{Key: "portal", Role: "Patient portal", Name: "José Müller-Lüdenscheidt", Sees: "His own chart, appointments and who looked at his record.",
		Principal: access.Principal{Kind: access.User, ID: "portal-jose", Display: "José Müller-Lüdenscheidt", Roles: []string{access.RolePatient}}},
}

// session is one logged-in browser.
type session struct {
	User      demoUser
	Principal access.Principal

	mu     sync.Mutex
	grants []access.Grant // break-the-glass grants taken in this session
	flash  string         // a message for the next page
}

// setFlash keeps a message for the next page.
func (s *session) setFlash(msg string) {
	s.mu.Lock()
	s.flash = msg
	s.mu.Unlock()
}

// takeFlash returns the message kept for this page, once.
func (s *session) takeFlash() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.flash
	s.flash = ""
	return msg
}

// Grants returns the session's break-the-glass grants still in force at now.
func (s *session) Grants(now time.Time) []access.Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []access.Grant
	for _, g := range s.grants {
		if now.Before(g.Expires) {
			live = append(live, g)
		}
	}
	return live
}

// Can reports whether the session's principal holds the role.
func (s *session) Can(role string) bool { return s.Principal.HasRole(role) }

// Clinician reports whether the session's principal is a physician or nurse.
func (s *session) Clinician() bool { return s.Can(access.RolePhysician) || s.Can(access.RoleNurse) }

// sessions holds the logged-in browsers by cookie value.
type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func newSessions() *sessions { return &sessions{m: map[string]*session{}} }

// cookieName is the session cookie.
const cookieName = "clinic_session"

// start opens a session for u and returns its token.
func (ss *sessions) start(u demoUser) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	tok := hex.EncodeToString(b)
	ss.mu.Lock()
	ss.m[tok] = &session{User: u, Principal: u.Principal}
	ss.mu.Unlock()
	return tok
}

// get returns the session of the request, if any.
func (ss *sessions) get(r *http.Request) (*session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[c.Value]
	return s, ok
}

// end closes the session of the request.
func (ss *sessions) end(r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		ss.mu.Lock()
		delete(ss.m, c.Value)
		ss.mu.Unlock()
	}
}

// handler is a page of a logged-in user; an error it returns is rendered as
// the page (a refusal by the policy as 403, a validation error as 400).
type handler func(w http.ResponseWriter, r *http.Request, s *session) error

// authed runs h with the session's principal in the request's context, or
// sends the browser to the login page.
func (a *app) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := a.sessions.get(r)
		if !ok {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		r = r.WithContext(access.WithPrincipal(r.Context(), s.Principal))
		if err := h(w, r, s); err != nil {
			a.fail(w, r, s, err)
		}
	})
}

// home sends a user to the first screen of their role.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s, ok := a.sessions.get(r)
	switch {
	case !ok:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case s.Can(access.RolePatient):
		http.Redirect(w, r, "/patients/"+s.Principal.Patient, http.StatusSeeOther)
	case s.Can(access.RoleBiller):
		http.Redirect(w, r, "/billing", http.StatusSeeOther)
	case s.Can(access.RolePrivacy):
		http.Redirect(w, r, "/audit", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/patients", http.StatusSeeOther)
	}
}

func (a *app) loginPage(w http.ResponseWriter, r *http.Request) {
	a.pages.render(w, http.StatusOK, "login", view{Title: "Sign in", Data: map[string]any{"Users": a.users(), "Other": a.cast.Other}})
}

// users returns the demo logins with the portal's patient filled in.
func (a *app) users() []demoUser {
	us := slices.Clone(demoUsers)
	for i := range us {
		if us[i].Key == "portal" {
			us[i].Principal.Patient = string(a.cast.Jose)
		}
	}
	return us
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	key := r.PostFormValue("user")
	for _, u := range a.users() {
		if u.Key == key {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: a.sessions.start(u), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			a.home(w, withCookie(r, w))
			return
		}
	}
	a.pages.render(w, http.StatusBadRequest, "login", view{Title: "Sign in", Error: "Choose one of the demo logins.", Data: map[string]any{"Users": a.users(), "Other": a.cast.Other}})
}

// withCookie returns r carrying the session cookie just set on w, so that a
// handler run in the same response sees the new session.
func withCookie(r *http.Request, w http.ResponseWriter) *http.Request {
	r = r.Clone(r.Context())
	for _, line := range w.Header().Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == cookieName {
			r.Header.Set("Cookie", cookieName+"="+c.Value)
		}
	}
	return r
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	a.sessions.end(r)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// breakGlass takes an emergency grant to one patient's record with the
// reason given; the store checks the reason and the role, audits the grant
// and tells the privacy officer.
func (a *app) breakGlass(w http.ResponseWriter, r *http.Request, s *session) error {
	pid := strings.TrimSpace(r.PostFormValue("patient"))
	g, err := a.store.BreakGlass(r.Context(), pid, r.PostFormValue("reason"))
	if err != nil {
		var v *ehrkit.ValidationError
		if errors.As(err, &v) {
			return a.pages.renderErr(w, http.StatusBadRequest, "denied", view{S: s, Title: "Emergency access", Error: "Give a reason of at least a few words.", Data: deniedView{Patient: pid, CanBreakGlass: true}})
		}
		return err
	}
	s.mu.Lock()
	s.grants = append(s.grants, g)
	s.mu.Unlock()
	s.setFlash("Emergency access granted until " + g.Expires.Format("15:04 MST") + "; the privacy officer is notified.")
	http.Redirect(w, r, "/patients/"+pid, http.StatusSeeOther)
	return nil
}
