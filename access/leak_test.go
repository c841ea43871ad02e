package access_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

// mixed seeds n Observations whose ids interleave patients p1, p2 and p3, so
// that every page of an unrestricted query mixes patients; every fifth p1
// record is behavioural-health. It returns the ids per patient without the
// labelled ones, and under "p1*" every id of p1.
func mixed(t *testing.T, s storage.Store, n int) map[string][]string {
	byPatient := map[string][]string{}
	var recs []storage.Record
	for i := range n {
		p := []string{"p1", "p2", "p3"}[i%3]
		var labels []string
		if p == "p1" {
			byPatient["p1*"] = append(byPatient["p1*"], fmt.Sprintf("o%03d", i))
		}
		if p == "p1" && i%5 == 0 {
			labels = []string{access.LabelBehavioralHealth}
		} else {
			byPatient[p] = append(byPatient[p], fmt.Sprintf("o%03d", i))
		}
		recs = append(recs, rec("Observation", fmt.Sprintf("o%03d", i), p, labels...))
	}
	seed(t, s, recs...)
	return byPatient
}

// pages runs q through every page and returns the ids seen and pages read.
func pages(t *testing.T, ctx context.Context, s storage.Store, q storage.Query) ([]string, int) {
	var ids []string
	n := 0
	for {
		page, err := s.Query(ctx, q)
		require.NoError(t, err)
		n++
		for _, r := range page.Records {
			ids = append(ids, r.ID)
		}
		if page.Next == "" {
			return ids, n
		}
		q.Cursor = page.Next
	}
}

func TestSearchNeverLeaksOtherPatients(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		want := mixed(t, e.inner, 60)
		cases := []struct {
			name  string
			who   access.Principal
			q     storage.Query
			want  []string
			pages int
		}{
			// The portal user's query is narrowed to p1 in the store, so its
			// pages cover p1's 20 records only (60 would take 15 pages of 4);
			// the one page that ends on a hidden record is resumed after its
			// last visible one, hence 6 pages rather than 5.
			{"portal, no compartment", portal1, storage.Query{Type: "Observation", Limit: 4}, want["p1"], 6},
			{"portal, own compartment", portal1, storage.Query{Type: "Observation", Compartment: "p1", Limit: 4}, want["p1"], 6},
			{"portal, sorted by update, descending", portal1, storage.Query{Type: "Observation", SortBy: storage.SortUpdated, Desc: true, Limit: 7}, nil, 0},
			{"pharmacist, facility F1 only", pharmacist, storage.Query{Type: "Observation", Limit: 9}, append(append([]string{}, want["p1"]...), want["p3"]...), 0},
			{"physician of another facility, care team", physician2, storage.Query{Type: "Observation", Compartment: "p1", Limit: 5}, want["p1*"], 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ids, n := pages(t, as(tc.who), e.g, tc.q)
				if tc.want == nil {
					tc.want = want["p1"]
				}
				assert.ElementsMatch(t, tc.want, ids)
				if tc.pages > 0 {
					assert.Equal(t, tc.pages, n)
				}
				for _, id := range ids {
					r, err := e.inner.Get(context.Background(), "Observation", id)
					require.NoError(t, err)
					if tc.who.Patient != "" {
						assert.Equal(t, tc.who.Patient, r.Compartment)
					}
				}
			})
		}
		t.Run("one patient seen at two facilities", func(t *testing.T) {
			elsewhere := rec("Observation", "x-f2", "p1")
			elsewhere.Terms = []storage.Term{{Name: access.FacilityTerm, Value: "F2"}}
			seed(t, e.inner, elsewhere)
			defer func() {
				require.NoError(t, e.inner.Update(context.Background(), func(tx storage.Tx) error {
					return tx.Delete(context.Background(), "Observation", "x-f2", storage.Any)
				}))
			}()
			ids, _ := pages(t, as(pharmacist), e.g, storage.Query{Type: "Observation", Compartment: "p1", Limit: 4})
			assert.ElementsMatch(t, want["p1"], ids, "the facility's records only")
			ids, _ = pages(t, as(physician), e.g, storage.Query{Type: "Observation", Compartment: "p1", Limit: 4})
			assert.ElementsMatch(t, append([]string{"x-f2"}, want["p1*"]...), ids, "the care team's patient at every facility")
		})
		t.Run("portal asking for another patient", func(t *testing.T) {
			_, err := e.g.Query(as(portal1), storage.Query{Type: "Observation", Compartment: "p2"})
			assert.Equal(t, access.ReasonScope, reasonOf(t, err))
		})
		t.Run("care team of several patients must name one", func(t *testing.T) {
			p := nurse
			p.Facility, p.CareTeam = "", []string{"p1", "p2"}
			_, err := e.g.Query(as(p), storage.Query{Type: "Observation"})
			assert.Equal(t, access.ReasonScope, reasonOf(t, err))
			ids, _ := pages(t, as(p), e.g, storage.Query{Type: "Observation", Compartment: "p2"})
			assert.ElementsMatch(t, want["p2"], ids)
		})
		t.Run("search is audited with the ids returned", func(t *testing.T) {
			page, err := e.g.Query(as(portal1), storage.Query{Type: "Observation", Limit: 3})
			require.NoError(t, err)
			ev := last(t, e.inner)
			assert.Equal(t, "search", ev.Action)
			var ids []string
			for _, r := range page.Records {
				ids = append(ids, "Observation/"+r.ID)
			}
			assert.Equal(t, ids, ev.Results)
		})
	})
}

func TestChangeFeedNeverLeaksOtherPatients(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		want := mixed(t, e.inner, 30)
		ctx := context.Background()
		require.NoError(t, e.inner.Update(ctx, func(tx storage.Tx) error {
			for _, p := range []string{"p1", "p2"} {
				if err := tx.Emit(ctx, storage.Event{Topic: "schedule.reminder", Key: "rem-" + p, Compartment: p}); err != nil {
					return err
				}
			}
			return nil
		}))
		// Guarded reads add audit events to the feed: the portal user must not
		// see them either.
		_, err := e.g.Get(as(physician), "Observation", want["p2"][0])
		require.Equal(t, access.ReasonScope, reasonOf(t, err))
		_, err = e.g.Get(as(portal1), "Patient", "p1")
		require.NoError(t, err)

		var seen []string
		for _, ch := range feed(t, as(portal1), e.g, 4) {
			assert.Equal(t, "p1", ch.Compartment, "change %d", ch.Seq)
			assert.NotContains(t, ch.Labels, access.LabelBehavioralHealth)
			if ch.Kind == storage.ChangeEvent {
				seen = append(seen, ch.Key)
			} else {
				seen = append(seen, ch.ID)
			}
		}
		assert.ElementsMatch(t, append([]string{"p1", "rem-p1"}, want["p1"]...), seen)

		_, err = e.g.Changes(context.Background(), 0, 10)
		require.ErrorIs(t, err, ehrkit.ErrUnauthenticated)
	})
}

// TestEmitIsCheckedAndAudited: an event is forged no more easily than a
// record: the topic must come with a group the principal may write, the
// compartment must be in reach, and every emit is audited.
func TestEmitIsCheckedAndAudited(t *testing.T) {
	noRoles := access.Principal{Kind: access.User, ID: "u-0", Facility: "F1"}
	cases := []struct {
		name  string
		who   access.Principal
		topic string
		comp  string
		want  access.Reason
	}{
		{"no roles", noRoles, "rx.prescription", "p1", access.ReasonRole},
		{"a role without medication records", frontDesk, "rx.prescription", "p1", access.ReasonRole},
		{"unknown role", stranger, "rx.prescription", "p1", access.ReasonRole},
		{"another facility's patient", physician, "rx.prescription", "p2", access.ReasonScope},
		{"a topic no group declares", physician, "billing.forged", "p1", access.ReasonRole},
		{"the guard's own topics", admin, access.TopicBreakGlass, "p1", access.ReasonAppendOnly},
		{"prescriber", physician, "rx.prescription", "p1", ""},
		{"front desk, registration", frontDesk, "patient.registered", "p3", ""},
		{"administrator, any topic", admin, "billing.forged", "p2", ""},
	}
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := as(tc.who)
				key := fmt.Sprintf("key-%d", i)
				err := e.g.Update(ctx, func(tx storage.Tx) error {
					return tx.Emit(ctx, storage.Event{Topic: tc.topic, Key: key, Compartment: tc.comp, Payload: []byte(`{"order":"o1"}`)})
				})
				assert.Equal(t, tc.want, reasonOf(t, err))
				var emitted bool
				for _, ch := range feed(t, context.Background(), e.inner, 100) {
					emitted = emitted || ch.Kind == storage.ChangeEvent && ch.Key == key
				}
				assert.Equal(t, tc.want == "", emitted, "in the feed")
				ev := last(t, e.inner)
				assert.Equal(t, "emit", ev.Action)
				assert.Equal(t, tc.who.ID, ev.Actor)
				assert.Equal(t, tc.comp, ev.Patient)
				assert.Equal(t, []string{"event:" + tc.topic + "/" + key}, ev.Results)
				if tc.want == "" {
					assert.Equal(t, access.Success, ev.Outcome)
				} else {
					assert.Equal(t, access.Denied, ev.Outcome)
					assert.Equal(t, string(tc.want), ev.Reason)
				}
			})
		}
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

// TestCursorRevealsNothingHidden: a cursor carries the sort key of the record
// it resumes after, so it must be made from a record the principal sees.
func TestCursorRevealsNothingHidden(t *testing.T) {
	frontDesk2 := access.Principal{Kind: access.User, ID: "fd-2", Roles: []string{access.RoleFrontDesk}, Facility: "F2"}
	secrets := []string{"123-45-6789", "1961-07-04", "F10.20", "F32.1", "555-0199"}
	with := func(r storage.Record, terms ...string) storage.Record {
		for i := 0; i < len(terms); i += 2 {
			r.Terms = append(r.Terms, storage.Term{Name: terms[i], Value: terms[i+1]})
		}
		return r
	}
	eachBackend(t, func(t *testing.T, e env) {
		seed(t, e.inner,
			with(rec("Patient", "p1", "p1"), "ssn", secrets[0], "birthdate", secrets[1], "phone", secrets[4]),
			rec("Patient", "p2", "p2"), rec("Patient", "p3", "p3"),
			with(rec("Condition", "c1", "p1"), "code", secrets[3]),
			with(rec("Observation", "o1", "p1"), "code", "8480-6"),
			with(rec("Observation", "o2", "p1", access.LabelPart2), "code", secrets[2]),
			with(rec("Observation", "o3", "p1"), "code", "8867-4"),
			with(rec("Observation", "o4", "p1", access.LabelPart2), "code", secrets[2]+"x"),
			with(rec("Observation", "o5", "p1"), "code", "0000-0"),
		)
		// pagesAudited pages through q as who, checking each cursor and
		// each page's audit event, and returns the ids seen.
		pagesAudited := func(t *testing.T, who access.Principal, q storage.Query) []string {
			var ids []string
			for {
				page, err := e.g.Query(as(who), q)
				require.NoError(t, err)
				var results []string
				for _, r := range page.Records {
					ids = append(ids, r.ID)
					results = append(results, r.Type+"/"+r.ID)
				}
				ev := last(t, e.inner)
				assert.Equal(t, "search", ev.Action)
				assert.Equal(t, results, ev.Results, "the audit lists what was returned")
				if page.Next == "" {
					return ids
				}
				assert.NotEmpty(t, page.Records, "no cursor after a page of hidden records only")
				raw, err := base64.RawURLEncoding.DecodeString(page.Next)
				require.NoError(t, err)
				for _, s := range secrets {
					assert.NotContains(t, string(raw), s)
				}
				q.Cursor = page.Next
			}
		}
		t.Run("foreign front desk", func(t *testing.T) {
			for _, q := range []storage.Query{
				{Compartment: "p1", SortBy: "code", Limit: 1},
				{Compartment: "p1", SortBy: "code", Desc: true, Limit: 2},
				{Type: "Patient", Compartment: "p1", SortBy: "ssn", Limit: 1},
			} {
				assert.Empty(t, pagesAudited(t, frontDesk2, q), "%+v", q)
			}
			assert.Equal(t, []string{"p2"}, pagesAudited(t, frontDesk2, storage.Query{Type: "Patient", SortBy: "birthdate", Limit: 1}))
		})
		t.Run("labelled records among visible ones", func(t *testing.T) {
			for _, q := range []storage.Query{
				{Type: "Observation", Compartment: "p1", SortBy: "code", Limit: 1},
				{Type: "Observation", Compartment: "p1", SortBy: "code", Limit: 2},
				{Type: "Observation", Compartment: "p1", SortBy: "code", Desc: true, Limit: 2},
				{Type: "Observation", SortBy: "code", Limit: 3},
			} {
				assert.ElementsMatch(t, []string{"o1", "o3", "o5"}, pagesAudited(t, physician, q), "%+v", q)
			}
		})
	})
}

// TestCreateIsScopedByTheCompartment: a new record belongs to its patient's
// facility and consent, not to the writer's facility.
func TestCreateIsScopedByTheCompartment(t *testing.T) {
	physicianF2 := access.Principal{Kind: access.User, ID: "dr-3", Roles: []string{access.RolePhysician}, Facility: "F2"}
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		ctx := as(frontDesk)
		put := func(ctx context.Context, r storage.Record) error {
			return e.g.Update(ctx, func(tx storage.Tx) error {
				_, err := tx.Put(ctx, r, storage.Any)
				return err
			})
		}
		bare := func(typ, id, comp string) storage.Record {
			r := rec(typ, id, comp)
			r.Terms = nil // the guard stamps the facility
			return r
		}

		// Front desk of F1 cannot lock F2's physicians out of F2's patient.
		err := access.SetConsent(ctx, e.g, access.Consent{Patient: "p2", DenyRoles: []string{access.RolePhysician}})
		assert.Equal(t, access.ReasonScope, reasonOf(t, err))
		forged := consentRec("p2")
		forged.Value = []byte(`{"v":1,"d":{"patient":"p2","denyRoles":["physician"]}}`)
		forged.Terms = []storage.Term{{Name: access.FacilityTerm, Value: "F1"}}
		assert.Equal(t, access.ReasonScope, reasonOf(t, put(ctx, forged)), "naming the writer's facility does not help")
		_, err = e.inner.Get(context.Background(), access.ConsentType, "p2")
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
		_, err = e.g.Get(as(physicianF2), "Patient", "p2")
		require.NoError(t, err, "F2's physician still reads F2's patient")

		// Its own patient's consent it may set; the record is stamped with the
		// patient's facility.
		require.NoError(t, access.SetConsent(ctx, e.g, access.Consent{Patient: "p3", DenyRoles: []string{access.RoleNurse}}))

		// A nurse cannot chart into a chart she cannot read: another
		// facility's patient, or one whose consent denies her role.
		nurseF1 := nurse
		nurseF1.CareTeam = nil
		assert.Equal(t, access.ReasonScope, reasonOf(t, put(as(nurseF1), bare("Observation", "o-p2", "p2"))))
		assert.Equal(t, access.ReasonConsent, reasonOf(t, put(as(nurseF1), bare("Observation", "o-p3", "p3"))))
		withF1 := bare("Observation", "o-p2b", "p2")
		withF1.Terms = []storage.Term{{Name: access.FacilityTerm, Value: "F1"}}
		assert.Equal(t, access.ReasonScope, reasonOf(t, put(as(nurseF1), withF1)))
		assert.Equal(t, access.ReasonScope, reasonOf(t, put(as(physicianF2), bare("Observation", "o-p1", "p1"))))

		// Allowed creates take the compartment's facility.
		require.NoError(t, put(as(nurseF1), bare("Observation", "o-p1", "p1")))
		require.NoError(t, put(as(physician2), bare("Observation", "o-p1-f2", "p1")), "care team reaches the patient at any facility")
		for id, want := range map[string]string{"o-p1": "F1", "o-p1-f2": "F1"} {
			r, err := e.inner.Get(context.Background(), "Observation", id)
			require.NoError(t, err)
			assert.Contains(t, r.Terms, storage.Term{Name: access.FacilityTerm, Value: want}, id)
		}
		r, err := e.inner.Get(context.Background(), access.ConsentType, "p3")
		require.NoError(t, err)
		assert.Contains(t, r.Terms, storage.Term{Name: access.FacilityTerm, Value: "F1"})

		// A new patient belongs to the facility registering it.
		require.NoError(t, put(ctx, bare("Patient", "p9", "p9")))
		require.NoError(t, put(ctx, bare("Coverage", "cov-9", "p9")))
		r, err = e.inner.Get(context.Background(), "Coverage", "cov-9")
		require.NoError(t, err)
		assert.Contains(t, r.Terms, storage.Term{Name: access.FacilityTerm, Value: "F1"})
	})
}

// TestVersionsBeforeALabel: a label added in a later version covers the
// versions written before it.
func TestVersionsBeforeALabel(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		seed(t, e.inner, rec("Observation", "o1", "p1"))
		seed(t, e.inner, rec("Observation", "o1", "p1", access.LabelSensitive))
		seed(t, e.inner, rec("Observation", "o2", "p1", access.LabelSensitive))
		seed(t, e.inner, rec("Observation", "o2", "p1"))
		seed(t, e.inner, rec("Observation", "o3", "p1"))
		seed(t, e.inner, rec("Observation", "o3", "p1", access.LabelSensitive))
		require.NoError(t, e.inner.Update(context.Background(), func(tx storage.Tx) error {
			return tx.Delete(context.Background(), "Observation", "o3", storage.Any)
		}))

		// The nurse may not read sensitive records, the physician may.
		for _, id := range []string{"o1", "o3"} {
			_, err := e.g.GetVersion(as(nurse), "Observation", id, 1)
			assert.Equal(t, access.ReasonSensitive, reasonOf(t, err), "%s v1 written before the label", id)
			ev := last(t, e.inner)
			assert.Equal(t, access.Denied, ev.Outcome)
			_, err = e.g.History(as(nurse), "Observation", id)
			assert.Equal(t, access.ReasonSensitive, reasonOf(t, err))
		}
		_, err := e.g.Get(as(nurse), "Observation", "o1")
		assert.Equal(t, access.ReasonSensitive, reasonOf(t, err))
		_, err = e.g.GetVersion(as(nurse), "Observation", "o2", 1)
		assert.Equal(t, access.ReasonSensitive, reasonOf(t, err), "a labelled version stays labelled")
		got, err := e.g.GetVersion(as(nurse), "Observation", "o2", 2)
		require.NoError(t, err, "the label was removed in v2")
		assert.Equal(t, int64(2), got.Version)

		got, err = e.g.GetVersion(as(physician), "Observation", "o1", 1)
		require.NoError(t, err)
		assert.Equal(t, int64(1), got.Version)
		ev := last(t, e.inner)
		assert.Equal(t, access.Success, ev.Outcome)
		assert.Equal(t, int64(1), ev.Version, "the audit names the version read")
		hist, err := e.g.History(as(physician), "Observation", "o3")
		require.NoError(t, err)
		assert.Len(t, hist, 3)
	})
}
