package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium is the browser the end-to-end test drives (Debian's package;
// .ci/run installs it when missing).
const chromium = "/usr/bin/chromium"

// artefacts is where the end-to-end test writes its screenshots (gitignored).
const artefacts = "artefacts"

// startClinic serves a freshly seeded clinic (the built-in set) on a free
// loopback port and returns its base URL; the server stops with the test.
func startClinic(t *testing.T) string {
	t.Helper()
	return "http://" + startClinicWith(t, config{}).Web
}

// startClinicWith is startClinic with the flags of cfg (its address, store
// and seeding are the test's) and returns where it listens.
func startClinicWith(t *testing.T, cfg config) listening {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan listening, 1)
	done := make(chan error, 1)
	var out syncBuffer
	cfg.Addr, cfg.DB, cfg.Seed = "127.0.0.1:0", filepath.Join(t.TempDir(), "clinic.db"), true
	go func() { done <- serve(ctx, cfg, &out, ready) }()
	var addr listening
	select {
	case addr = <-ready:
	case err := <-done:
		require.NoError(t, err, "the clinic did not start")
	}
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done, "the clinic shuts down cleanly")
		assert.Contains(t, out.String(), "clinic: stopped")
	})
	return addr
}

// syncBuffer is a bytes.Buffer safe for the server's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// axeSource installs axe-core from the project's package.json and lockfile
// (testdata/axe) when it is not installed yet, and returns its script.
func axeSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("testdata", "axe")
	file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	if _, err := os.Stat(file); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("npm is not installed: axe-core cannot be installed (.ci/run installs it)")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		outb, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm ci: %s", outb)
	}
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	return string(b)
}

// browser opens a headless Chromium tab for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s is not installed (.ci/run installs Debian's chromium)", chromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 8*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	return ctx
}

// violation is an axe-core finding.
type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// tab is one browser tab of the test with its helpers.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string
	shot int
}

// do runs browser steps, failing the test on the first error.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	require.NoError(b.t, chromedp.Do(b.ctx, steps...))
}

// text returns the text of the first element matching css.
func (b *tab) text(css string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css)))
	require.NoError(b.t, err, css)
	return s
}

// check saves a PNG screenshot of the page and runs axe-core on it: no
// serious or critical violation.
func (b *tab) check(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	require.NoError(b.t, err)
	require.NoError(b.t, os.MkdirAll(artefacts, 0o755))
	b.shot++
	require.NoError(b.t, os.WriteFile(filepath.Join(artefacts, strings.Join([]string{twoDigits(b.shot), name}, "-")+".png"), png, 0o644))

	_, err = chromedp.Run(b.ctx, chromedp.Evaluate[any](b.axe))
	require.NoError(b.t, err, "inject axe-core")
	found, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]violation](`axe.run(document).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, "run axe-core")
	assert.Empty(b.t, found, "%s: serious or critical accessibility violations", name)
}

func twoDigits(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// login signs in as one of the demo logins from the login page.
func (b *tab) login(key, wait string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-"+key)), chromedp.Click(chromedp.CSS("#login-"+key)), chromedp.WaitVisible(chromedp.CSS(wait)))
}

// logout signs out and waits for the login page.
func (b *tab) logout() {
	b.t.Helper()
	b.markPage()
	b.do(chromedp.Submit(chromedp.CSS("form.who")), chromedp.WaitVisible(chromedp.CSS("body:not([data-left]) #login-physician")))
}

// clickToNextPage clicks what css selects and waits for the page the click
// leads to: the current page is marked first, and the wait is for a page
// without the mark.
func (b *tab) clickToNextPage(css string) {
	b.t.Helper()
	b.markPage()
	b.do(chromedp.Click(chromedp.CSS(css)), chromedp.WaitVisible(chromedp.CSS("body:not([data-left]) main")))
}

// markPage marks the current page, so that a wait for an element of a page
// without the mark waits for the next page.
func (b *tab) markPage() {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.dataset.left = "yes"`))
	require.NoError(b.t, err)
}

// TestBrowser drives the clinic in headless Chromium through the issue's
// scenario, checking every page visited with axe-core.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser")
	}
	ctx := browser(t)
	b := &tab{t: t, ctx: ctx, axe: axeSource(t)}
	b.base = startClinic(t)

	b.do(chromedp.Navigate(b.base + "/login"))
	b.do(chromedp.WaitVisible(chromedp.CSS("#login-physician")))
	b.check("login")

	// A physician finds José Müller-Lüdenscheidt typed without accents.
	b.login("physician", "#q")
	b.do(chromedp.SendKeys(chromedp.CSS("#q"), "jose muller"), chromedp.Submit(chromedp.CSS("#q")), chromedp.WaitVisible(chromedp.CSS("table.results")))
	results := b.text("table.results")
	assert.Contains(t, results, "José Müller-Lüdenscheidt")
	assert.Contains(t, results, "“jose” matched “José” (accents and case ignored)")
	b.check("search")

	// The chart: problems, allergies, the clarithromycin order, trends, labs.
	b.do(chromedp.Click(chromedp.CSS("table.results a")), chromedp.WaitVisible(chromedp.CSS("#problems-h")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	chartURL := loc
	assert.Contains(t, b.text("#medications"), "Clarithromycin 500 MG Oral Tablet")
	assert.Contains(t, b.text("#allergies-h + ul"), "Penicillin G")
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".trend svg[role=img] polyline").length`))
	require.NoError(t, err)
	assert.Equal(t, 3, n, "weight, systolic and diastolic trends are drawn")
	assert.Contains(t, b.text("#labs-h + table"), "delta exceeded")
	b.check("chart")

	// Order simvastatin: the live check shows the contraindication.
	b.do(chromedp.Click(chromedp.CSS(`a[href$="/orders/new"]`)), chromedp.WaitVisible(chromedp.CSS("#drug")),
		chromedp.SetValue(chromedp.CSS("#drug"), "312961"))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("drug").dispatchEvent(new Event("change", {bubbles: true}))`))
	require.NoError(t, err)
	b.do(chromedp.WaitVisible(chromedp.CSS("#alerts .alert-critical")))
	live := b.text("#alerts .alert-critical")
	assert.Contains(t, live, "contraindicated")
	assert.Contains(t, live, "ONC-HP-25")
	assert.Contains(t, live, "Simvastatin with clarithromycin")
	b.check("order-live-alert")

	// Signing is refused until an override reason is given.
	b.do(chromedp.Click(chromedp.CSS("#sign")), chromedp.WaitVisible(chromedp.CSS("#reason")))
	assert.Contains(t, b.text("p.error"), "interruptive alert")
	b.check("order-override")
	const reason = "Clarithromycin ends in 3 days; simvastatin starts after"
	b.do(chromedp.SendKeys(chromedp.CSS("#reason"), reason))
	b.clickToNextPage("#sign")
	assert.Contains(t, b.text("p.flash"), "Override recorded: "+reason)
	meds := b.text("#medications")
	assert.Contains(t, meds, "Simvastatin 20 MG Oral Tablet")
	assert.Contains(t, meds, reason)
	b.logout()

	// The privacy officer sees the override in the audit view.
	b.login("privacy", "#q")
	pid := chartURL[strings.LastIndex(chartURL, "/")+1:]
	b.do(chromedp.Navigate(b.base+"/audit?patient="+pid+"&action=rx.override"), chromedp.WaitVisible(chromedp.CSS(`tr[data-action="rx.override"]`)))
	override := b.text(`tr[data-action="rx.override"]`)
	assert.Contains(t, override, "dr-weber")
	assert.Contains(t, override, "physician")
	b.check("audit")
	b.logout()

	// The front desk opens the chart: the notes are refused, the page shows.
	b.login("front-desk", "#q")
	b.do(chromedp.Navigate(chartURL), chromedp.WaitVisible(chromedp.CSS("#notes-h")))
	assert.Contains(t, b.text("#notes .refused"), "Not available to your role")
	b.check("chart-front-desk")

	// ... and books and cancels an appointment on the next weekday.
	day := time.Now().UTC().AddDate(0, 0, 1)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	b.do(chromedp.Navigate(b.base+"/schedule?provider=prac-adeyemi&date="+day.Format("2006-01-02")), chromedp.WaitVisible(chromedp.CSS("form.book")))
	b.check("schedule")
	b.do(chromedp.SetValue(chromedp.CSS("form.book select[name=patient]"), b.castAmara(t)))
	b.clickToNextPage("form.book button")
	booked := b.text("p.flash")
	m := regexp.MustCompile(`Booked (\S+) for Amara Okafor`).FindStringSubmatch(booked)
	require.NotNil(t, m, booked)
	row := `tr[data-appointment="` + m[1] + `"]`
	assert.Equal(t, "booked", b.text(row+" td.status"))
	b.clickToNextPage(row + " button.danger")
	assert.Equal(t, m[1]+" is now cancelled.", b.text("p.flash"))
}

// castAmara reads Amara's id from the booking form's patient list.
func (b *tab) castAmara(t *testing.T) string {
	t.Helper()
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("form.book select[name=patient] option")].find(o => o.textContent.startsWith("Amara Okafor")).value`))
	require.NoError(t, err)
	require.NotEmpty(t, id)
	return id
}
