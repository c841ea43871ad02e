package hl7v2_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// converterMessage reads a message of the FHIR-Converter sample set, skipping
// the test without the corpus.
func converterMessage(t *testing.T, name string) []byte {
	t.Helper()
	dir := os.Getenv("EHRKIT_CORPUS")
	if dir == "" {
		t.Skip("EHRKIT_CORPUS is not set: the ADT corpus tests need hl7v2/fhir-converter")
	}
	data, err := os.ReadFile(filepath.Join(dir, "hl7v2", "fhir-converter", name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is not in the corpus", name)
	}
	require.NoError(t, err)
	return canonical(data)
}

// adt builds a small ADT message; pid and the extra segments are the fields
// after the segment name.
func adt(event, control, pid string, extra ...string) []byte {
	segs := []string{
		"MSH|^~\\&|REG|HOSP|EHR|HOSP|20260301090000||ADT^" + event + "^ADT_" + event + "|" + control + "|P|2.5.1",
		"EVN|" + event + "|20260301090000",
		"PID|" + pid,
	}
	return []byte(strings.Join(append(segs, extra...), "\r") + "\r")
}

func mustParse(t *testing.T, data []byte) *hl7v2.Message {
	t.Helper()
	m, err := hl7v2.Parse(data)
	require.NoError(t, err)
	return m
}

func TestPatientFromPIDCorpusA04(t *testing.T) {
	p, err := hl7v2.PatientFromPID(mustParse(t, converterMessage(t, "ADT-A04-01.hl7")))
	require.NoError(t, err)
	require.Len(t, p.Identifiers, 2)
	assert.Equal(t, ehrkit.Identifier{System: "test1", Value: "PATID1234",
		Type: ehrkit.CodeableConcept{Coding: []ehrkit.Coding{{System: hl7v2.SystemIdentifierType, Code: "MR"}}}}, p.Identifiers[0])
	assert.Equal(t, "USSSA", p.Identifiers[1].System)
	assert.Equal(t, "123456789", p.Identifiers[1].Value)
	assert.Equal(t, hl7v2.RecordID(p.Identifiers[0]), p.ID)
	assert.True(t, storage.ValidID(string(p.ID)))
	require.Len(t, p.Names, 2)
	assert.Equal(t, ehrkit.HumanName{Use: "usual", Family: "EVERYMAN", Given: []string{"ADAM", "A"}, Prefix: []string{"Dr."}, Suffix: []string{"III", "MD"}}, p.Names[0])
	assert.Equal(t, ehrkit.HumanName{Use: "official", Family: "Josh", Given: []string{"stanley"}}, p.Names[1])
	assert.Equal(t, ehrkit.MustDate("1988-08-18"), p.BirthDate)
	assert.Equal(t, patient.GenderMale, p.Gender)
	require.Len(t, p.Addresses, 1)
	assert.Equal(t, ehrkit.Address{Line: []string{"1000 Hospital Lane", "Ste. 123"}, City: "Ann Arbor", State: "MI", PostalCode: "99999", Country: "USA"}, p.Addresses[0])
	assert.Equal(t, []ehrkit.ContactPoint{
		{System: "phone", Value: "78788788", Use: "mobile"}, {System: "phone", Value: "12121212", Use: "mobile"},
		{System: "phone", Value: "7777", Use: "mobile"}, {System: "phone", Value: "1111", Use: "work"},
	}, p.Telecom)
}

func TestPatientFromPIDCorpusNoAuthority(t *testing.T) {
	// PID-3 "MRN12345^5^M11^^MR^Special Hospital" has no CX-4; MSH-4 is RDX.
	p, err := hl7v2.PatientFromPID(mustParse(t, converterMessage(t, "ADT04-251.hl7")))
	require.NoError(t, err)
	assert.Equal(t, "RDX|MRN12345", p.Identifiers[0].Token())
	assert.Equal(t, ehrkit.HumanName{Family: "Doe", Given: []string{"Jane"}}, p.Names[0])
	assert.Equal(t, ehrkit.MustDate("1978-01-01"), p.BirthDate)
	assert.Equal(t, patient.GenderFemale, p.Gender)
}

func TestPatientFromPIDFixtures(t *testing.T) {
	p, err := hl7v2.PatientFromPID(mustParse(t, adt("A04", "1", "1||MRN1^^^HOSP&1.2.3&ISO^MR||DOE^JANE||1970|F|||^^Springfield^IL^62701^^H||^PRN^PH^^1^217^5550100^12~^NET^Internet^jane@example.org")))
	require.NoError(t, err)
	assert.Equal(t, "urn:oid:1.2.3", p.Identifiers[0].System)
	assert.Equal(t, ehrkit.YearOnly(1970), p.BirthDate)
	assert.Equal(t, patient.GenderFemale, p.Gender)
	assert.Equal(t, "home", p.Addresses[0].Use)
	assert.Equal(t, []ehrkit.ContactPoint{{System: "phone", Value: "1 217 5550100 x12", Use: "home"}, {System: "email", Value: "jane@example.org", Use: "home"}}, p.Telecom)

	p, err = hl7v2.PatientFromPID(mustParse(t, adt("A04", "1", "1||MRN1^^^HOSP||DOE^JANE||197003|U")))
	require.NoError(t, err)
	assert.Equal(t, ehrkit.YearMonth(1970, time.March), p.BirthDate)
	assert.Equal(t, patient.GenderUnknown, p.Gender)

	// Without CX-4 the sending facility (MSH-4) is the assigning authority.
	p, err = hl7v2.PatientFromPID(mustParse(t, adt("A04", "1", "1||MRN1~MRN2^^^OTHER||DOE^JANE")))
	require.NoError(t, err)
	assert.Equal(t, []string{"HOSP|MRN1", "OTHER|MRN2"}, []string{p.Identifiers[0].Token(), p.Identifiers[1].Token()})

	noFacility := strings.Replace(string(adt("A04", "1", "1||MRN1~MRN2^^^HOSP||DOE^JANE||19701340|X")), "|REG|HOSP|", "|REG||", 1)
	_, err = hl7v2.PatientFromPID(mustParse(t, []byte(noFacility)))
	assert.Equal(t, []string{"PID-3[1].4", "PID-7", "PID-8"}, issuePaths(t, err))

	_, err = hl7v2.PatientFromPID(mustParse(t, adt("A04", "1", "1||MRN1^^^HOSP||DOE^JANE||1970|F||||||5550100~ABC^WPN^PH")))
	assert.Equal(t, []string{"PID-14[2]"}, issuePaths(t, err))
}

func issuePaths(t *testing.T, err error) []string {
	t.Helper()
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, err, &ve)
	var out []string
	for _, is := range ve.Issues {
		out = append(out, is.Path)
	}
	return out
}

// ackOf parses an ACK and returns MSA-1 and the ERR-2 locations.
func ackOf(t *testing.T, ack []byte) (hl7v2.AckCode, []string) {
	t.Helper()
	m := mustParse(t, ack)
	var locs []string
	for _, e := range m.All("ERR") {
		locs = append(locs, e.Field(2).Raw())
	}
	return hl7v2.AckCode(m.Get("MSA-1")), locs
}

func newADT(t *testing.T, s storage.Store) *hl7v2.ADTHandler {
	s = access.Trusted(s)
	svc, err := patient.NewService(s, patient.WithIDs(&ehrkit.SeqIDs{Prefix: "p-"}))
	require.NoError(t, err)
	return &hl7v2.ADTHandler{Patients: svc, Store: s, Clock: ehrkit.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))}
}

func TestADTCorpusRegisterUpdateMerge(t *testing.T) {
	a04 := converterMessage(t, "ADT-A04-01.hl7")
	a08 := converterMessage(t, "ADT-A08-01.hl7")
	a40 := converterMessage(t, "ADT-A40-01.hl7")
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "adt-feed"})
		h := newADT(t, s)
		code, errs := ackOf(t, h.Handle(ctx, a04))
		require.Equal(t, hl7v2.AA, code, errs)
		want, err := hl7v2.PatientFromPID(mustParse(t, a04))
		require.NoError(t, err)
		got, err := h.Patients.Get(ctx, want.ID)
		require.NoError(t, err)
		assert.Equal(t, want.Names, got.Names)
		assert.Equal(t, int64(1), got.Version)

		// The A08 sample repeats the A04 patient: nothing changes.
		code, errs = ackOf(t, h.Handle(ctx, a08))
		require.Equal(t, hl7v2.AA, code, errs)
		got, err = h.Patients.Get(ctx, want.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(1), got.Version)

		// A40: register the surviving (PID-3) and the prior (MRG-1) patient, then merge.
		target := adt("A04", "t", "1||12345^^^BCBS^MR||Test^Test^A||20180205|F")
		source := adt("A04", "s", "1||56789^^^BCBS^MR||Test^Test||20180205|F")
		for _, m := range [][]byte{target, source} {
			code, errs = ackOf(t, h.Handle(ctx, m))
			require.Equal(t, hl7v2.AA, code, errs)
		}
		code, errs = ackOf(t, h.Handle(ctx, a40))
		require.Equal(t, hl7v2.AA, code, errs)
		merged, err := h.Patients.Get(ctx, hl7v2.RecordID(ehrkit.Identifier{System: "BCBS", Value: "56789"}))
		require.NoError(t, err)
		assert.Equal(t, hl7v2.RecordID(ehrkit.Identifier{System: "BCBS", Value: "12345"}), merged.ReplacedBy())

		// An update of the merged record is refused: the survivor is updated instead.
		code, errs = ackOf(t, h.Handle(ctx, adt("A08", "u", "1||56789^^^BCBS^MR||Test^Tess||20180205|F")))
		assert.Equal(t, hl7v2.AE, code)
		assert.Equal(t, []string{"PID^3^3^^^"}, errs)

		// Merging again: the prior identifier now belongs to the surviving patient.
		code, errs = ackOf(t, h.Handle(ctx, a40))
		assert.Equal(t, hl7v2.AE, code)
		assert.NotEmpty(t, errs)
	})
}

func TestADTFixtures(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "adt-feed"})
		h := newADT(t, s)
		id := hl7v2.RecordID(ehrkit.Identifier{System: "HOSP", Value: "A1"})

		code, errs := ackOf(t, h.Handle(ctx, adt("A04", "1", "1||A1^^^HOSP^MR||DOE^JANE||19700101|F")))
		require.Equal(t, hl7v2.AA, code, errs)
		p, err := h.Patients.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "DOE", p.Names[0].Family)

		code, errs = ackOf(t, h.Handle(ctx, adt("A08", "2", "1||A1^^^HOSP^MR||ROE^JANE||19700101|F|||1 Main St^^Springfield^IL^62701")))
		require.Equal(t, hl7v2.AA, code, errs)
		p, err = h.Patients.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "ROE", p.Names[0].Family)
		assert.Equal(t, "Springfield", p.Addresses[0].City)
		assert.Equal(t, int64(2), p.Version)

		// A patient registered through the service keeps its id and MRN on A08.
		reg, err := h.Patients.Register(ctx, patient.Patient{
			Names:       []ehrkit.HumanName{{Family: "POE", Given: []string{"ANN"}}},
			Identifiers: []ehrkit.Identifier{{System: "HOSP", Value: "B2"}}, BirthDate: ehrkit.MustDate("1980-02-02"),
		})
		require.NoError(t, err)
		code, errs = ackOf(t, h.Handle(ctx, adt("A08", "3", "1||B2^^^HOSP^MR||POE^ANNE||19800202|F")))
		require.Equal(t, hl7v2.AA, code, errs)
		p, err = h.Patients.Get(ctx, reg.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"ANNE"}, p.Names[0].Given)
		assert.Equal(t, len(reg.Identifiers), len(p.Identifiers))

		// Identifiers of two different patients: AE naming the second, nothing written.
		code, errs = ackOf(t, h.Handle(ctx, adt("A08", "3b", "1||A1^^^HOSP^MR~B2^^^HOSP^MR||ROE^JANE||19700101|F")))
		assert.Equal(t, hl7v2.AE, code)
		assert.Equal(t, []string{"PID^3^3^2^^"}, errs)

		// Invalid patient: AE naming the PID fields, nothing written.
		code, errs = ackOf(t, h.Handle(ctx, adt("A08", "4", "1||A1^^^HOSP^MR||^JANE||1970|X")))
		assert.Equal(t, hl7v2.AE, code)
		assert.Equal(t, []string{"PID^3^8^^^"}, errs)
		p, err = h.Patients.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, int64(2), p.Version)

		// Bad MRG: unknown prior patient, the same patient twice, no MRG.
		code, errs = ackOf(t, h.Handle(ctx, adt("A40", "5", "1||A1^^^HOSP^MR||ROE^JANE", "MRG|ZZ9^^^HOSP^MR")))
		assert.Equal(t, hl7v2.AE, code)
		assert.Equal(t, []string{"MRG^4^1^^^"}, errs)
		code, errs = ackOf(t, h.Handle(ctx, adt("A40", "6", "1||A1^^^HOSP^MR||ROE^JANE", "MRG|A1^^^HOSP^MR")))
		assert.Equal(t, hl7v2.AE, code)
		assert.Equal(t, []string{"MRG^4^1^^^"}, errs)
		code, _ = ackOf(t, h.Handle(ctx, adt("A40", "7", "1||A1^^^HOSP^MR||ROE^JANE")))
		assert.Equal(t, hl7v2.AE, code)
		p, err = h.Patients.Get(ctx, id)
		require.NoError(t, err)
		assert.Empty(t, p.Links)

		// Unsupported type and unparseable input: AR.
		code, errs = ackOf(t, h.Handle(ctx, adt("A03", "8", "1||A1^^^HOSP^MR||ROE^JANE")))
		assert.Equal(t, hl7v2.AR, code)
		assert.Equal(t, []string{"MSH^1^9^^^"}, errs)
		code, _ = ackOf(t, h.Handle(ctx, []byte("not hl7")))
		assert.Equal(t, hl7v2.AR, code)
	})
}

// The handler serves MLLP: an A04 and an A08 on one connection are answered
// in order and applied.
func TestADTOverMLLP(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		h := newADT(t, s)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(access.WithPrincipal(context.Background(), access.Principal{Kind: access.System, ID: "adt-feed"}))
		done := make(chan error, 1)
		go func() { done <- hl7v2.Server{IdleTimeout: 5 * time.Second}.Serve(ctx, ln, h.Handle) }()
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		r := hl7v2.NewMLLPReader(c, 0)
		for i, m := range [][]byte{
			adt("A04", "m1", "1||A1^^^HOSP^MR||DOE^JANE||19700101|F"),
			adt("A08", "m2", "1||A1^^^HOSP^MR||DOE^JANET||19700101|F"),
		} {
			require.NoError(t, hl7v2.WriteMLLP(c, m))
			ack, err := r.ReadMessage()
			require.NoError(t, err)
			am := mustParse(t, ack)
			assert.Equal(t, "AA", am.Get("MSA-1"), i)
			assert.Equal(t, mustParse(t, m).ControlID(), am.Get("MSA-2"))
		}
		p, err := h.Patients.Get(ctx, hl7v2.RecordID(ehrkit.Identifier{System: "HOSP", Value: "A1"}))
		require.NoError(t, err)
		assert.Equal(t, []string{"JANET"}, p.Names[0].Given)
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not drain")
		}
	})
}
