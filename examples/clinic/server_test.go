package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/sqlitestore"
)

// client is one browser's cookies against the clinic.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base, login string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &client{t: t, base: base, http: &http.Client{Jar: jar}}
	status, _ := c.post("/login", url.Values{"user": {login}})
	require.Equal(t, http.StatusOK, status, "login %s", login)
	return c
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	res, err := c.http.Get(c.base + path)
	require.NoError(c.t, err)
	return read(c.t, res)
}

func (c *client) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	res, err := c.http.PostForm(c.base+path, form)
	require.NoError(c.t, err)
	return read(c.t, res)
}

func read(t *testing.T, res *http.Response) (int, string) {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// castIDs reads the cast's ids from the login page and a physician's search.
func castIDs(t *testing.T, base string) (jose, other string) {
	t.Helper()
	doc := newClient(t, base, "physician")
	_, page := doc.get("/patients?q=jose+muller")
	m := regexp.MustCompile(`href="/patients/([^"]+)">José Müller-Lüdenscheidt`).FindStringSubmatch(page)
	require.NotNil(t, m, "José is found")
	_, login := doc.get("/login")
	o := regexp.MustCompile(`patient <code>([^<]+)</code>`).FindStringSubmatch(login)
	require.NotNil(t, o, "the login page names the other site's patient")
	return m[1], o[1]
}

// TestRoles: what each demo login may see and do is the policy's answer,
// shown as refusals on the page or as a 403.
func TestRoles(t *testing.T) {
	base := startClinic(t)
	jose, _ := castIDs(t, base)

	desk := newClient(t, base, "front-desk")
	status, chart := desk.get("/patients/" + jose)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, chart, "José Müller-Lüdenscheidt", "the front desk sees who the patient is")
	notes := chart[strings.Index(chart, `id="notes-h"`):]
	assert.Contains(t, notes[:300], `data-refused="role"`, "but not the notes")

	doc := newClient(t, base, "physician")
	_, chart = doc.get("/patients/" + jose)
	draft := regexp.MustCompile(`action="/notes/([^"]+)/sign"`).FindStringSubmatch(chart)
	require.NotNil(t, draft, "the physician sees the draft note and may sign it")

	nurse := newClient(t, base, "nurse")
	status, page := nurse.post("/notes/"+draft[1]+"/sign", nil)
	assert.Equal(t, http.StatusForbidden, status, "a nurse may not sign a note")
	assert.Contains(t, page, "note.sign")

	biller := newClient(t, base, "biller")
	status, _ = biller.get("/billing")
	assert.Equal(t, http.StatusOK, status)
	status, _ = desk.get("/billing")
	assert.Equal(t, http.StatusForbidden, status, "the front desk has no billing")

	status, page = doc.post("/notes/"+draft[1]+"/sign", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, "Note signed.")

	// A bad order names every offending field.
	status, page = doc.post("/patients/"+jose+"/orders", url.Values{"drug": {"nope"}, "perDay": {"0"}, "days": {"x"}})
	assert.Equal(t, http.StatusBadRequest, status)
	for _, field := range []string{"drug", "perDay", "days"} {
		assert.Contains(t, page, "<strong>"+field+"</strong>")
	}

	portal := newClient(t, base, "portal")
	status, _ = portal.get("/patients/" + jose)
	assert.Equal(t, http.StatusOK, status, "the patient reads their own chart")
	status, page = portal.get("/audit")
	assert.Equal(t, http.StatusOK, status, "and who opened it")
	assert.Contains(t, page, "dr-weber")
}

// TestBreakGlass: the other site's patient is refused to the physician,
// who may break the glass with a reason of a few words; the grant expires
// in an hour and the privacy officer sees it.
func TestBreakGlass(t *testing.T) {
	base := startClinic(t)
	_, other := castIDs(t, base)
	doc := newClient(t, base, "physician")

	status, page := doc.get("/patients/" + other)
	require.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, page, "compartment", "refused for the compartment")
	assert.Contains(t, page, `action="/breakglass"`, "with the break-the-glass form")

	status, _ = doc.post("/breakglass", url.Values{"patient": {other}, "reason": {"urgent"}})
	assert.Equal(t, http.StatusBadRequest, status, "a one-word reason is refused")
	status, _ = doc.get("/patients/" + other)
	assert.Equal(t, http.StatusForbidden, status, "and grants nothing")

	status, page = doc.post("/breakglass", url.Values{"patient": {other}, "reason": {"Unconscious in the waiting room, no records here"}})
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, "Emergency access granted until")
	assert.Contains(t, page, "Emergency access in force until")
	assert.Contains(t, page, "Zoë Ferreira-Núñez")

	nurse := newClient(t, base, "nurse")
	status, _ = nurse.get("/patients/" + other)
	assert.Equal(t, http.StatusForbidden, status, "the grant is the physician's only")

	privacy := newClient(t, base, "privacy")
	_, page = privacy.get("/audit?patient=" + other + "&action=" + string(access.PermBreakGlass))
	assert.Regexp(t, `data-action="access.break-glass"[^>]*><td>[^<]+</td><td>dr-weber</td>`, page)
	assert.Contains(t, page, "Unconscious in the waiting room")
}

// TestSeedCorpus seeds from two Synthea Bundles of the corpus (linked into a
// corpus folder of the test's own) besides the built-in set, with the
// progress bar, and reopening the store seeds nothing again.
func TestSeedCorpus(t *testing.T) {
	corpus := os.Getenv("EHRKIT_CORPUS")
	src := filepath.Join(corpus, "fhir", "synthea")
	entries, err := os.ReadDir(src)
	if corpus == "" || err != nil {
		t.Skip("EHRKIT_CORPUS is not set or has no fhir/synthea: the Synthea seed is not tested")
	}
	mine := t.TempDir()
	dst := filepath.Join(mine, "fhir", "synthea")
	require.NoError(t, os.MkdirAll(dst, 0o755))
	linked := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), "practitioner") && linked < 2 {
			require.NoError(t, os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())))
			linked++
		}
	}
	db := filepath.Join(t.TempDir(), "clinic.db")
	var progress strings.Builder
	ctx := context.Background()
	a, err := newApp(ctx, config{DB: db, Seed: true, Corpus: mine}, &progress)
	require.NoError(t, err)
	count := func(a *app) int {
		res, err := a.patients.Search(access.WithPrincipal(ctx, seeder(facility)), patient.Query{Limit: 200})
		require.NoError(t, err)
		return len(res.Patients)
	}
	n := count(a)
	require.NoError(t, a.Close())
	// The seeder is an administrator and sees both sites.
	assert.Equal(t, len(castMembers)+linked, n, "the clinic's cast and the Synthea patients")
	assert.Contains(t, progress.String(), "100%")
	assert.Equal(t, 1, strings.Count(progress.String(), "100%"), "the bar finishes once")

	progress.Reset()
	a, err = newApp(ctx, config{DB: db, Seed: true, Corpus: mine}, &progress)
	require.NoError(t, err)
	assert.Equal(t, n, count(a), "a store already seeded is not seeded again")
	assert.Empty(t, progress.String())
	require.NoError(t, a.Close())
}

// TestReopenReindexes: a clinic store whose patients lack a search term of
// this version (as one written by an earlier version does) has them brought
// up to date when the clinic opens it, so a birth-year search finds them.
func TestReopenReindexes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "clinic.db")
	ctx := context.Background()
	a, err := newApp(ctx, config{DB: db, Seed: true}, io.Discard)
	require.NoError(t, err)
	jose := a.cast.Jose
	require.NoError(t, a.Close())

	raw, err := sqlitestore.Open(ctx, db)
	require.NoError(t, err)
	var year string
	require.NoError(t, raw.Update(ctx, func(tx storage.Tx) error {
		rec, err := tx.Get(ctx, patient.RecordType, string(jose))
		if err != nil {
			return err
		}
		for _, term := range rec.Terms {
			if term.Name == patient.TermBirthPeriod && len(term.Value) == 4 {
				year = term.Value
			}
		}
		rec.Terms = slices.DeleteFunc(rec.Terms, func(term storage.Term) bool { return term.Name == patient.TermBirthPeriod })
		_, err = tx.Put(ctx, rec, rec.Version)
		return err
	}))
	require.NoError(t, raw.Close())
	require.NotEmpty(t, year, "the cast member has a birth year")

	var progress strings.Builder
	a, err = newApp(ctx, config{DB: db, Seed: true}, &progress)
	require.NoError(t, err)
	assert.Equal(t, "patient records reindexed: 1\n", progress.String())
	res, err := a.patients.Search(access.WithPrincipal(ctx, seeder(facility)), patient.Query{BirthDate: ehrkit.MustDate(year), Limit: 200})
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(res.Patients, func(p patient.Patient) bool { return p.ID == jose }), "found by birth year")
	require.NoError(t, a.Close())

	progress.Reset()
	a, err = newApp(ctx, config{DB: db, Seed: true}, &progress)
	require.NoError(t, err)
	assert.Empty(t, progress.String(), "nothing is stale the second time")
	require.NoError(t, a.Close())
}
