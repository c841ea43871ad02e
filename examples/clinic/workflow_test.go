package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit/interop/hl7v2"
)

// find returns the first submatch of pattern in page, failing the test when
// there is none.
func find(t *testing.T, page, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(page)
	require.NotNil(t, m, "no %s in the page", pattern)
	return m[1]
}

// nextWeekday is the first Monday-to-Friday date after today (UTC).
func nextWeekday() string {
	d := time.Now().UTC().AddDate(0, 0, 1)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format("2006-01-02")
}

// TestScheduleWorkflow: the front desk books, is refused a no-show before
// the start, checks a patient in, cancels, and
// the freed slot is offered to the patient on the waitlist, who takes it.
func TestScheduleWorkflow(t *testing.T) {
	base := startClinic(t)
	desk := newClient(t, base, "front-desk")
	view := "/schedule?provider=prac-adeyemi&date=" + nextWeekday()
	_, page := desk.get(view)
	slot := find(t, page, `<option value="([^"]+)">09:00</option>`)
	jon := find(t, page, `<option value="([^"]+)">Jon Smith`)
	amara := find(t, page, `<option value="([^"]+)">Amara Okafor`)
	renee := find(t, page, `<option value="([^"]+)">Renée Lefèvre`)
	back := "provider=prac-adeyemi&date=" + nextWeekday()
	book := func(p, start string) string {
		status, page := desk.post("/schedule/book", url.Values{"back": {back}, "provider": {"prac-adeyemi"}, "type": {"follow-up"}, "patient": {p}, "start": {start}})
		require.Equal(t, http.StatusOK, status)
		return find(t, page, `Booked (\S+) for`)
	}

	first := book(jon, slot)
	status, _ := desk.post("/appointments/"+first+"/noshow", url.Values{"back": {back}})
	assert.Equal(t, http.StatusConflict, status, "no-show only once the appointment has started")
	_, page = desk.post("/appointments/"+first+"/checkin", url.Values{"back": {back}})
	assert.Contains(t, page, first+" is now checked-in.")

	_, page = desk.get(view)
	next := find(t, page, `<option value="([^"]+)">09:30</option>`)
	second := book(amara, next)
	status, _ = desk.post("/schedule/book", url.Values{"back": {back}, "provider": {"prac-adeyemi"}, "type": {"follow-up"}, "patient": {renee}, "start": {next}})
	assert.Equal(t, http.StatusConflict, status, "the slot is taken")

	_, page = desk.post("/waitlist", url.Values{"back": {back}, "provider": {"prac-adeyemi"}, "type": {"follow-up"}, "patient": {renee}})
	assert.Contains(t, page, "Renée Lefèvre is on the waitlist")
	_, page = desk.post("/appointments/"+second+"/cancel", url.Values{"back": {back}})
	assert.Contains(t, page, second+" is now cancelled.")
	_, page = desk.post("/waitlist/offers", url.Values{"back": {back}})
	assert.Contains(t, page, "1 waitlist offer(s) made.")
	offer := find(t, page, `<tr data-appointment="([^"]+)"><td>[^<]+</td><td><a href="/patients/`+renee+`">`)
	_, page = desk.post("/appointments/"+offer+"/accept", url.Values{"back": {back}})
	assert.Contains(t, page, offer+" is now booked.")

	_, page = desk.get(view + "&view=week")
	assert.Contains(t, page, "Renée Lefèvre", "the week view shows the day's appointments")
}

// TestBillingWorkflow: the scrubber stops a claim and names the field, a
// clean claim goes out in an 837P, an 835 posts a payment, and the reports
// count it.
func TestBillingWorkflow(t *testing.T) {
	base := startClinic(t)
	biller := newClient(t, base, "biller")
	_, page := biller.get("/billing")
	draft := find(t, page, `data-claim="([^"]+)" data-status="draft"`)
	status, page := biller.post("/billing/claims/"+draft+"/validate", nil)
	assert.Equal(t, http.StatusBadRequest, status, "the scrubber refuses the claim")
	assert.Contains(t, page, "<strong>referringNpi</strong>")

	_, page = biller.get("/billing")
	validated := find(t, page, `data-claim="([^"]+)" data-status="validated"`)
	status, edi := biller.get("/billing/837")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, edi, "ST*837*")
	assert.Contains(t, edi, "CLM*"+validated+"*165")
	assert.NotContains(t, edi, draft, "only validated claims are sent")
	_, page = biller.post("/billing/claims/"+validated+"/submit", nil)
	assert.Contains(t, page, "Claim "+validated+" is now submitted.")

	accepted := find(t, page, `data-claim="([^"]+)" data-status="accepted" data-payer="BLUE02"`)
	segs := []string{
		"ST*835*0001*005010X221A1",
		"BPR*I*120.00*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260320",
		"TRN*1*EFT-BLUE-1*1512345678",
		"DTM*405*20260320",
		"N1*PR*BLUEWATER MUTUAL*XV*BLUE02",
		"N1*PE*EHRKIT DEMO CLINIC*XX*" + billingNPI,
		"LX*1",
		"CLP*" + accepted + "*1*150.00*120.00*30.00*12*PAYERREF9",
		"CAS*PR*2*30.00",
	}
	remit := "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *260320*1000*^*00501*000000077*0*T*:~\n" +
		"GS*HP*PAYER*CLINIC*20260320*1000*77*X*005010X221A1~\n" + strings.Join(segs, "~\n") + "~\n" +
		fmt.Sprintf("SE*%d*0001~\nGE*1*77~\nIEA*1*000000077~\n", len(segs)+1)
	_, page = biller.post("/billing/remittance", url.Values{"remit": {remit}})
	assert.Contains(t, page, "Remittance: 1 payment(s) posted, 0 refused.")
	assert.Contains(t, page, "Amara Okafor: 30.00 USD patient responsibility")
	_, page = biller.post("/billing/remittance", url.Values{"remit": {remit}})
	assert.Contains(t, page, "Remittance: 1 payment(s) posted, 0 refused.", "a re-sent 835 is answered, not posted twice")

	_, page = biller.get("/reports")
	assert.Regexp(t, `Bluewater Mutual \(BLUE02\)</td><td>120.00 USD`, page)
	assert.Contains(t, page, "33% (1 of 3 adjudicated claims)")
}

// TestLabAndDuplicates: a physician acknowledges the critical potassium,
// the front desk merges the duplicate pair.
func TestLabAndDuplicates(t *testing.T) {
	base := startClinic(t)
	doc := newClient(t, base, "physician")
	_, page := doc.get("/labs")
	assert.Contains(t, page, "Potassium 6.6 mmol/L")
	alert := find(t, page, `action="/labs/alerts/([^"]+)/acknowledge"`)
	_, page = doc.post("/labs/escalate", nil)
	assert.Contains(t, page, "0 alert(s) escalated", "nothing is overdue yet")
	_, page = doc.post("/labs/alerts/"+alert+"/acknowledge", nil)
	assert.Contains(t, page, "acknowledged by dr-weber")
	assert.NotContains(t, page, `action="/labs/alerts/`+alert+`/acknowledge"`)

	desk := newClient(t, base, "front-desk")
	status, page := desk.get("/labs")
	assert.Equal(t, http.StatusForbidden, status, "the front desk reads no results")
	assert.NotContains(t, page, "Potassium")

	_, page = desk.get("/patients/duplicates")
	assert.Contains(t, page, "Match: <strong>certain</strong>")
	source, target := find(t, page, `name="source" value="([^"]+)"`), find(t, page, `name="target" value="([^"]+)"`)
	_, page = desk.post("/patients/merge", url.Values{"source": {source}, "target": {target}})
	assert.Contains(t, page, "Merged "+source+" into "+target)
	assert.Contains(t, page, "No likely duplicates.")
	_, page = desk.get("/patients?q=smith")
	assert.Contains(t, page, "1 patient(s) found")
}

// TestADTFeed: with -hl7 the clinic registers a patient from an ADT^A04
// sent over MLLP, acknowledges it, and the physician finds her.
func TestADTFeed(t *testing.T) {
	at := startClinicWith(t, config{HL7: "127.0.0.1:0"})
	require.NotEmpty(t, at.HL7)
	conn, err := net.Dial("tcp", at.HL7)
	require.NoError(t, err)
	defer conn.Close()
	msg := "MSH|^~\\&|REG|HOSP|EHR|CLINIC|20260301090000||ADT^A04^ADT_A01|42|P|2.5.1\r" +
		"PID|1||A1^^^HOSP^MR||NGUYỄN^THỊ||19810214|F\r"
	require.NoError(t, hl7v2.WriteMLLP(conn, []byte(msg)))
	raw, err := hl7v2.NewMLLPReader(conn, 1<<20).ReadMessage()
	require.NoError(t, err)
	ack, err := hl7v2.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, "AA", ack.Get("MSA-1"))

	doc := newClient(t, "http://"+at.Web, "physician")
	_, page := doc.get("/patients?q=thi+nguyen")
	assert.Contains(t, page, "THỊ NGUYỄN")
}

// TestORUFeed: with -hl7 the clinic's feed also files an ORU^R01 (HL7 v2.5.1
// §7.3.1) through lab's Receive: the critical potassium for the seeded José,
// named by his identifier in PID-3, is acknowledged AA and raises an alert
// in the physician's lab inbox.
func TestORUFeed(t *testing.T) {
	at := startClinicWith(t, config{HL7: "127.0.0.1:0"})
	conn, err := net.Dial("tcp", at.HL7)
	require.NoError(t, err)
	defer conn.Close()
	msg := "MSH|^~\\&|LIS|LAB|EHR|CLINIC|20260302100000||ORU^R01^ORU_R01|77|P|2.5.1\r" +
		"PID|1||jose^^^" + systemCast + "^MR||MÜLLER-LÜDENSCHEIDT^JOSÉ||19700501|M\r" +
		"OBR|1||F-900^LAB|2823-3^Potassium^LN|||20260302083000+0000||||||||||||||||||F\r" +
		"OBX|1|NM|2823-3^Potassium^LN||7.1|mmol/L^^UCUM|3.5-5.1|HH|||F|||20260302083000+0000\r"
	require.NoError(t, hl7v2.WriteMLLP(conn, []byte(msg)))
	raw, err := hl7v2.NewMLLPReader(conn, 1<<20).ReadMessage()
	require.NoError(t, err)
	ack, err := hl7v2.Parse(raw)
	require.NoError(t, err)
	require.Equal(t, "AA", ack.Get("MSA-1"), "%s", raw)
	assert.Equal(t, "77", ack.Get("MSA-2"))

	doc := newClient(t, "http://"+at.Web, "physician")
	_, page := doc.get("/labs")
	assert.Contains(t, page, "Potassium 7.1 mmol/L")
}
