package hl7v2_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/fhir"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/rx"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oru builds an ORU^R01 from segments after MSH and PID.
func oruMsg(control, pid string, segs ...string) []byte {
	all := append([]string{
		"MSH|^~\\&|LIS|LAB|EHR|HOSP|20260302100000||ORU^R01^ORU_R01|" + control + "|P|2.5.1",
		"PID|" + pid,
	}, segs...)
	return []byte(strings.Join(all, "\r") + "\r")
}

// feed is an ORU handler over the services fhir.NewServices wires (lab
// reports matched to rx's laboratory orders by placer number), with a
// registered patient holding HOSP|A1 and an active potassium order ord-1 of
// dr-a.
type feed struct {
	ctx   context.Context
	store storage.Store
	svc   *fhir.Services
	h     *hl7v2.ORUHandler
	p     patient.ID
}

const pidA1 = "1||A1^^^HOSP^MR||DOE^JANE||19700101|F"

func newFeed(t *testing.T, s storage.Store) feed {
	t.Helper()
	ctx := access.WithPrincipal(t.Context(), access.Principal{Kind: access.System, ID: "lab-feed"})
	s = access.Trusted(s)
	svc, err := fhir.NewServices(s)
	require.NoError(t, err)
	p, err := svc.Patients.Register(ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "DOE", Given: []string{"JANE"}}},
		Identifiers: []ehrkit.Identifier{{System: "HOSP", Value: "A1"}}, BirthDate: ehrkit.MustDate("1970-01-01"), Gender: patient.GenderFemale})
	require.NoError(t, err)
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		_, err := svc.Orders.SaveOrder(ctx, tx, rx.Order{ID: "ord-1", Patient: p.ID, Kind: rx.KindLab, Status: rx.Active, Requester: "dr-a",
			Lab: &rx.LabDetail{Test: ehrkit.Coding{System: ehrkit.SystemLOINC, Code: lab.LOINCPotassium}}, Authored: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)})
		return err
	}))
	h := &hl7v2.ORUHandler{Lab: svc.Lab, Store: s, Clock: ehrkit.NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))}
	return feed{ctx: ctx, store: s, svc: svc, h: h, p: p.ID}
}

// ackErrs parses an ACK: MSA-1, MSA-2 and the ERR-2 locations with ERR-3 codes.
func ackErrs(t *testing.T, ack []byte) (hl7v2.AckCode, string, []string) {
	t.Helper()
	m := mustParse(t, ack)
	var errs []string
	for _, e := range m.All("ERR") {
		errs = append(errs, e.Field(2).Raw()+" "+e.Field(3).Rep(1).Component(1).Raw())
	}
	return hl7v2.AckCode(m.Get("MSA-1")), m.Get("MSA-2"), errs
}

func resultEvents(t *testing.T, s storage.Store) []lab.Notification {
	t.Helper()
	changes, err := s.Changes(t.Context(), 0, 1000)
	require.NoError(t, err)
	var out []lab.Notification
	for _, c := range changes {
		if c.Kind == storage.ChangeEvent && c.Topic == lab.TopicResult {
			var n lab.Notification
			require.NoError(t, json.Unmarshal(c.Payload, &n))
			out = append(out, n)
		}
	}
	return out
}

func onlyReport(t *testing.T, f feed, msg []byte) lab.Report {
	t.Helper()
	in, err := hl7v2.ORUReports(mustParse(t, msg))
	require.NoError(t, err)
	require.Len(t, in, 1)
	r, err := f.svc.Lab.Report(f.ctx, in[0].Report.ID)
	require.NoError(t, err)
	return r
}

// A potassium result for an ehrkit order reaches the chart and the ordering
// clinician; the critical value (at or above 6.2 mmol/L, Kost's survey of
// critical limits, StarterRanges) is urgent. The OBX of the SPECIMEN group
// is a result too, not dropped.
func TestORUFilesResultsToOrder(t *testing.T) {
	msg := oruMsg("c1", pidA1,
		"ORC|RE|ord-1|F-100^LAB",
		"OBR|1|ord-1|F-100^LAB|2823-3^Potassium^LN|||20260302083000+0000|||||||||dr-a^ORDER^DOC||||||20260302093000+0000||CH|F",
		"OBX|1|NM|2823-3^Potassium^LN||7.0|mmol/L^^UCUM|||||F|||20260302083000+0000",
		"NTE|1||Repeated and confirmed.",
		"SPM|1|S-9^S-9||119364003^Serum^SCT|||||||||||||20260302081500+0000|20260302082000+0000||||||HEM^Hemolyzed^HL70493",
		"OBX|2|CWE|33882-2^Collection date^LN||Y^Yes^HL70136||||||F",
	)
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newFeed(t, s)
		code, ctl, errs := ackErrs(t, f.h.Handle(f.ctx, msg))
		require.Equal(t, hl7v2.AA, code, errs)
		assert.Equal(t, "c1", ctl)

		r := onlyReport(t, f, msg)
		assert.Equal(t, f.p, r.Patient)
		assert.Equal(t, "ord-1", r.Order)
		assert.False(t, r.Unsolicited)
		assert.Equal(t, "dr-a", r.Requester)
		assert.Equal(t, lab.ReportFinal, r.Status)
		assert.Equal(t, []string{"CH"}, r.Category)
		assert.Equal(t, time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC), r.Effective)
		require.NotNil(t, r.Specimen)
		assert.Equal(t, lab.Specimen{ID: "S-9", Type: ehrkit.Coding{System: ehrkit.SystemSNOMED, Code: "119364003", Display: "Serum"},
			Collected: time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC), Received: time.Date(2026, 3, 2, 8, 20, 0, 0, time.UTC), Condition: "Hemolyzed"}, *r.Specimen)
		require.Len(t, r.Results, 2)
		k := r.Results[0]
		assert.Equal(t, lab.LOINCPotassium, k.LOINC())
		assert.Equal(t, "7", k.Value.Quantity.Value.String())
		assert.Equal(t, "mmol/L", k.Value.Quantity.Unit)
		assert.Equal(t, lab.FlagCriticalHigh, k.Computed)
		assert.Equal(t, "Repeated and confirmed.", k.Note)
		assert.Equal(t, "33882-2", r.Results[1].LOINC())

		obs, err := f.svc.Clinical.Observation(f.ctx, k.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{lab.FlagCriticalHigh}, obs.Interpretation)
		ev := resultEvents(t, f.store)
		require.Len(t, ev, 2)
		assert.Equal(t, lab.Notification{Report: r.ID, Result: k.ID, Patient: f.p, To: "dr-a", Flag: lab.FlagCriticalHigh, Urgent: true, Alert: k.ID + ".final"}, ev[0])

		// The same message again changes nothing; a correction (OBX-11 C) is
		// a new version of the result, the first one kept in the history.
		code, _, errs = ackErrs(t, f.h.Handle(f.ctx, msg))
		require.Equal(t, hl7v2.AA, code, errs)
		require.Len(t, resultEvents(t, f.store), 2)
		corrected := strings.Replace(strings.Replace(string(msg), "||7.0|", "||5.0|", 1), "mmol/L^^UCUM|||||F|", "mmol/L^^UCUM|||||C|", 1)
		code, _, errs = ackErrs(t, f.h.Handle(f.ctx, []byte(strings.Replace(corrected, "|c1|", "|c2|", 1))))
		require.Equal(t, hl7v2.AA, code, errs)
		obs, err = f.svc.Clinical.Observation(f.ctx, k.ID)
		require.NoError(t, err)
		assert.Equal(t, clinical.ObservationCorrected, obs.Status)
		assert.Equal(t, "5", obs.Value.Quantity.Value.String())
		hist, err := f.store.History(f.ctx, clinical.ObservationType, k.ID)
		require.NoError(t, err)
		assert.Len(t, hist, 2)
	})
}

// A report for a patient no identifier names goes to the reconciliation
// queue (accepted: AA), never to a patient and never dropped.
func TestORUUnknownPatientQueued(t *testing.T) {
	msg := oruMsg("q1", "1||ZZ9^^^HOSP^MR||ROE^RICHARD||19600101|M",
		"OBR|1||F-7^LAB|2951-2^Sodium^LN|||20260302083000||||||||||||||||||F",
		"OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|||||F")
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newFeed(t, s)
		code, _, errs := ackErrs(t, f.h.Handle(f.ctx, msg))
		require.Equal(t, hl7v2.AA, code, errs)
		q, err := f.svc.Lab.Queue(f.ctx)
		require.NoError(t, err)
		require.Len(t, q, 1)
		assert.Equal(t, "no-match", q[0].Reason)
		assert.Equal(t, "ZZ9", q[0].Incoming.Identifiers[0].Value)
		assert.Empty(t, resultEvents(t, f.store))
	})
}

// Problems are answered AE with ERR segments naming the segment line and
// field, and nothing of the message is written; a message that does not
// parse or is not an ORU is AR; every ACK names its message (MSA-2).
func TestORURefusals(t *testing.T) {
	obr := "OBR|1|ord-1|F-1^LAB|2823-3^Potassium^LN|||20260302083000||||||||||||||||||F"
	for _, tc := range []struct {
		name string
		msg  []byte
		code hl7v2.AckCode
		errs []string
	}{
		{"OBX before any OBR", oruMsg("e1", pidA1, "OBX|1|NM|2823-3^Potassium^LN||4.0|mmol/L|||||F", obr), hl7v2.AE, []string{"OBX^3^^^^ 100"}},
		{"not a number", oruMsg("e2", pidA1, obr, "OBX|1|NM|2823-3^Potassium^LN||four|mmol/L|||||F"), hl7v2.AE, []string{"OBX^4^5^^^ 102"}},
		{"not LOINC", oruMsg("e3", pidA1, obr, "OBX|1|NM|K^Potassium^L||4.0|mmol/L|||||F"), hl7v2.AE, []string{"OBX^4^3^^^ 103"}},
		{"not UCUM", oruMsg("e4", pidA1, obr, "OBX|1|NM|2823-3^Potassium^LN||4.0|millimoles|||||F"), hl7v2.AE, []string{"OBX^4^6^^^ 103"}},
		{"unknown status, repeating NM", oruMsg("e5", pidA1, obr, "OBX|1|NM|2823-3^Potassium^LN||4.0~4.1|mmol/L|||||Q"), hl7v2.AE, []string{"OBX^4^11^^^ 103", "OBX^4^5^2^^ 102"}},
		{"final without value", oruMsg("e6", pidA1, obr, "OBX|1|NM|2823-3^Potassium^LN||||||||F"), hl7v2.AE, []string{"OBX^4^5^^^ 101"}},
		{"another patient's order", oruMsg("e7", "1||B2^^^HOSP^MR||POE^ANN||19800202|F", obr, "OBX|1|NM|2823-3^Potassium^LN||4.0|mmol/L|||||F"), hl7v2.AE, []string{"OBR^3^2^^^ 207"}},
		{"no observation time", oruMsg("e8", pidA1, "OBR|1||F-2^LAB|2823-3^Potassium^LN", "OBX|1|NM|2823-3^Potassium^LN||4.0|mmol/L|||||F"), hl7v2.AE, []string{"OBR^3^7^^^ 101"}},
		{"bad escape", oruMsg("e9", pidA1, obr, "OBX|1|ST|2823-3^Potassium^LN||a\\Q\\b||||||F"), hl7v2.AR, []string{"OBX^4^5^1^1^1 102"}},
		{"not an ORU", adt("A04", "e10", pidA1), hl7v2.AR, []string{"MSH^1^9^^^ 200"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testbackends.Run(t, func(t *testing.T, s storage.Store) {
				f := newFeed(t, s)
				if tc.name == "another patient's order" {
					_, err := f.svc.Patients.Register(f.ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "POE"}},
						Identifiers: []ehrkit.Identifier{{System: "HOSP", Value: "B2"}}, BirthDate: ehrkit.MustDate("1980-02-02"), Gender: patient.GenderFemale})
					require.NoError(t, err)
				}
				before, err := f.store.Changes(f.ctx, 0, 1000)
				require.NoError(t, err)
				code, ctl, errs := ackErrs(t, f.h.Handle(f.ctx, tc.msg))
				assert.Equal(t, tc.code, code)
				assert.Equal(t, tc.errs, errs)
				assert.Equal(t, mustParse(t, []byte(strings.SplitN(string(tc.msg), "\r", 2)[0]+"\r")).ControlID(), ctl)
				after, err := f.store.Changes(f.ctx, 0, 1000)
				require.NoError(t, err)
				assert.Len(t, after, len(before), "nothing written")
			})
		})
	}
}

// A lenient handler keeps a local code and a non-UCUM unit as sent.
func TestORULenient(t *testing.T) {
	msg := oruMsg("l1", pidA1, "OBR|1||F-3^LAB|K^Potassium^L|||20260302083000||||||||||||||||||F",
		"OBX|1|NM|K^Potassium^L||4.0|millimoles|||||F")
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newFeed(t, s)
		f.h.Lenient = true
		code, _, errs := ackErrs(t, f.h.Handle(f.ctx, msg))
		require.Equal(t, hl7v2.AA, code, errs)
		r := onlyReport(t, f, msg)
		assert.True(t, r.Unsolicited)
		assert.Equal(t, "millimoles", r.Results[0].Value.Quantity.Unit)
	})
}

// A scanned report of several megabytes in OBX-5 (ED, Base64) is kept
// whole: the decoded bytes are the ones encoded.
func TestORULargeEncapsulatedData(t *testing.T) {
	pdf := make([]byte, 3<<20)
	for i := range pdf {
		pdf[i] = byte(i * 7)
	}
	copy(pdf, "%PDF-1.7")
	msg := oruMsg("b1", pidA1, "OBR|1||F-4^LAB|11502-2^Laboratory report^LN|||20260302083000||||||||||||||||||F",
		"OBX|1|ED|11502-2^Laboratory report^LN||LIS^AP^PDF^Base64^"+base64.StdEncoding.EncodeToString(pdf)+"||||||F")
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newFeed(t, s)
		code, _, errs := ackErrs(t, f.h.Handle(f.ctx, msg))
		require.Equal(t, hl7v2.AA, code, errs)
		r := onlyReport(t, f, msg)
		require.NotNil(t, r.Results[0].Attachment)
		assert.Equal(t, "application/pdf", r.Results[0].Attachment.ContentType)
		assert.Equal(t, pdf, r.Results[0].Attachment.Data)
	})
}

// SN, coded, text and reference-pointer values map to their value types;
// reports of several OBR groups and several patients come out in order.
func TestORUReportsValueTypes(t *testing.T) {
	msg := oruMsg("v1", pidA1,
		"OBR|1||F-5^LAB|24356-8^Urinalysis^LN|||20260302083000||||||||||||||||||P",
		"OBX|1|SN|5811-5^Specific gravity^LN||>^1.030|1|||||F",
		"OBX|2|SN|20454-5^Protein^LN||^1^-^3|mg/dL|||||P",
		"OBX|3|CWE|5778-6^Color^LN||YELLOW^Yellow^L||||||F",
		"OBX|4|TX|8251-1^Comment^LN||line one~line \\T\\ two||||||F",
		"OBX|5|RP|11502-2^Report^LN||https://lab.example/r/1^LIS^AP^PDF||||||F",
		"OBX|6|NM|2823-3^Potassium^LN||||||||I",
		"OBX|7|XTN|PHONE^Lab phone^L||^WPN^PH^^1^217^5550100||||||F",
		"PID|2||B7^^^HOSP^MR||POE^ANN||19800202|F",
		"OBR|2||F-6^LAB|2823-3^Potassium^LN|||20260302090000",
		"OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L|3.5-5.1|N|||F")
	in, err := hl7v2.ORUReports(mustParse(t, msg))
	require.NoError(t, err)
	require.Len(t, in, 2)
	r := in[0].Report
	assert.Equal(t, lab.ReportPreliminary, r.Status)
	require.Len(t, r.Results, 7)
	assert.Equal(t, ehrkit.Quantity{Value: ehrkit.Qty("1.030", "1").Value, Unit: "1", Comparator: ">"}, r.Results[0].Value.Quantity)
	assert.Equal(t, clinical.KindRange, r.Results[1].Value.Kind)
	assert.Equal(t, "3", r.Results[1].Value.Range.High.Value.String())
	assert.Equal(t, lab.TypeCodedWith, r.Results[2].Type)
	assert.Equal(t, "YELLOW", r.Results[2].Value.Concept.Coding[0].Code)
	assert.Equal(t, "line one\nline & two", r.Results[3].Value.Text)
	assert.Equal(t, &lab.Attachment{URL: "https://lab.example/r/1", ContentType: "application/pdf"}, r.Results[4].Attachment)
	assert.Equal(t, "temp-unknown", r.Results[5].DataAbsentReason)
	assert.Equal(t, clinical.ObservationRegistered, r.Results[5].Status)
	assert.Equal(t, "WPN PH 1 217 5550100", r.Results[6].Value.Text)
	assert.Equal(t, "B7", in[1].Identifiers[0].Value)
	assert.Equal(t, lab.ReportFinal, in[1].Report.Status, "derived: every result final")
	assert.Equal(t, []string{"N"}, in[1].Report.Results[0].Interpretation)
	rr := in[1].Report.Results[0].Range
	assert.Equal(t, "3.5-5.1", rr.Text)
	assert.Equal(t, "3.5", rr.Low.Decimal.String())
	assert.Equal(t, "5.1", rr.High.Decimal.String())
	assert.NotEqual(t, r.ID, in[1].Report.ID)
	for _, res := range append(r.Results, in[1].Report.Results...) {
		assert.True(t, storage.ValidID(res.ID), res.ID)
	}
}

// Every ORU of the corpus maps, or fails with positions naming segments;
// the FHIR-Converter CBC sample (two OBR groups with SPECIMEN groups) files
// every one of its ten results.
func TestORUCorpus(t *testing.T) {
	n := 0
	for _, name := range corpusFiles(t) {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		b, err := hl7v2.ParseBatch(canonical(data))
		if err != nil {
			continue
		}
		for i, m := range b.Messages {
			if m == nil || m.Type() != "ORU^R01" {
				continue
			}
			n++
			_, err := hl7v2.ORUReports(m)
			if err != nil {
				var ve *ehrkit.ValidationError
				require.ErrorAs(t, err, &ve, "%s #%d", filepath.Base(name), i)
				for _, is := range ve.Issues {
					assert.Regexp(t, `^(PID|OBR|OBX|SPM)(\(\d+\)(-\d+.*)?)?$`, is.Path, "%s #%d", filepath.Base(name), i)
				}
			}
		}
	}
	assert.Positive(t, n)

	cbc := converterMessage(t, "LAB-ORU-1.hl7")
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newFeed(t, s)
		f.h.Lenient = true // its units (tera.l-1) are not UCUM
		_, err := f.svc.Patients.Register(f.ctx, patient.Patient{Names: []ehrkit.HumanName{{Family: "DUCK"}},
			Identifiers: []ehrkit.Identifier{{System: "1", Value: "10006579"}}, BirthDate: ehrkit.MustDate("1924-10-10"), Gender: patient.GenderMale})
		require.NoError(t, err)
		code, _, errs := ackErrs(t, f.h.Handle(f.ctx, cbc))
		require.Equal(t, hl7v2.AA, code, errs)
		in, err := hl7v2.ORUReports(mustParse(t, cbc))
		require.NoError(t, err)
		require.Len(t, in, 2)
		total := 0
		for _, x := range in {
			r, err := f.svc.Lab.Report(f.ctx, x.Report.ID)
			require.NoError(t, err)
			require.NotNil(t, r.Specimen)
			assert.Equal(t, "SpecimenID", r.Specimen.ID)
			total += len(r.Results)
		}
		assert.Equal(t, 10, total)
	})
}
