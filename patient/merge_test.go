package patient

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mergeFixture registers a source and a target patient and gives the source's
// compartment records of types no package of this repository defines.
type mergeFixture struct {
	svc            *Service
	source, target Patient
	foreign        []storage.Record // records written into the source's compartment
	bystander      storage.Record   // a record of the target, not touched by the merge
}

func newMergeFixture(t *testing.T, s storage.Store) mergeFixture {
	ctx := context.Background()
	svc := newTestService(t, s)
	src := address(phone(person("Bill", "Jonson", "1980-03-07", GenderMale), "555-010-2030"), "12 Oak Ave", "Austin", "78701")
	src.Identifiers = []ehrkit.Identifier{{System: ehrkit.SystemSSN, Value: "123-45-6789"}}
	src.Contacts = []Contact{{Name: ehrkit.HumanName{Family: "Jonson", Given: []string{"Eve"}}}}
	source, err := svc.Register(ctx, src)
	require.NoError(t, err)
	tgt := address(Patient{Names: []ehrkit.HumanName{{Family: "Johnson", Given: []string{"William"}}}}, "9 Pine Rd", "Dallas", "75201")
	target, err := svc.Register(ctx, tgt, AllowDuplicate())
	require.NoError(t, err)

	sid := string(source.ID)
	obs := storage.Record{
		Type: "Observation", ID: "obs-1", Compartment: sid,
		Labels: []string{"sensitive"},
		Terms:  []storage.Term{{Name: "patient", Value: sid}, {Name: "subject", Value: "Patient/" + sid}, {Name: "code", Value: "8867-4"}},
		Value: []byte(`{"v":1,"d":{"subject":{"type":"Patient","id":"` + sid + `"},"performer":["Patient/` + sid +
			`"],"value":0.1000000000000000055511151231257827,"count":12345678901234567890,"note":"about ` + sid + ` & <b>","` + sid + `":"key kept"}}`),
	}
	raw := storage.Record{Type: "Attachment", ID: "att-1", Compartment: sid, Value: []byte("\x00binary " + sid)}
	by := storage.Record{Type: "Observation", ID: "obs-target", Compartment: string(target.ID), Value: []byte(`{"v":1,"d":{}}`)}
	require.NoError(t, s.Update(ctx, func(tx storage.Tx) error {
		for _, r := range []storage.Record{obs, raw, by} {
			if _, err := tx.Put(ctx, r, 0); err != nil {
				return err
			}
		}
		return nil
	}))
	var foreign []storage.Record
	for _, r := range []storage.Record{obs, raw} {
		got, err := s.Get(ctx, r.Type, r.ID)
		require.NoError(t, err)
		foreign = append(foreign, got)
	}
	bystander, err := s.Get(ctx, by.Type, by.ID)
	require.NoError(t, err)
	return mergeFixture{svc: svc, source: source, target: target, foreign: foreign, bystander: bystander}
}

// admin is a context whose principal may merge.
func admin() context.Context {
	return access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, ID: "u-admin", Roles: []string{access.RoleAdministrator}})
}

func TestMerge(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := admin()
		f := newMergeFixture(t, s)
		sid, tid := string(f.source.ID), string(f.target.ID)

		m, err := f.svc.Merge(ctx, f.source.ID, f.target.ID)
		require.NoError(t, err)
		assert.Equal(t, MergeActive, m.Status)
		assert.Len(t, m.Records, 6, "two foreign records, the SSN and MRN keys, the two patients")

		// Foreign records moved and re-pointed, JSON numbers and keys intact.
		obs, err := s.Get(ctx, "Observation", "obs-1")
		require.NoError(t, err)
		assert.Equal(t, tid, obs.Compartment)
		assert.Equal(t, []string{"sensitive"}, obs.Labels)
		assert.ElementsMatch(t, []storage.Term{{Name: "patient", Value: tid}, {Name: "subject", Value: "Patient/" + tid}, {Name: "code", Value: "8867-4"}}, obs.Terms)
		var doc struct {
			D map[string]json.RawMessage `json:"d"`
		}
		require.NoError(t, json.Unmarshal(obs.Value, &doc))
		assert.JSONEq(t, `{"type":"Patient","id":"`+tid+`"}`, string(doc.D["subject"]))
		assert.JSONEq(t, `["Patient/`+tid+`"]`, string(doc.D["performer"]))
		assert.Equal(t, "0.1000000000000000055511151231257827", string(doc.D["value"]))
		assert.Equal(t, "12345678901234567890", string(doc.D["count"]))
		assert.Equal(t, `"about `+sid+` & <b>"`, string(doc.D["note"]), "only whole strings are ids")
		assert.Equal(t, `"key kept"`, string(doc.D[sid]), "object keys are not rewritten")
		att, err := s.Get(ctx, "Attachment", "att-1")
		require.NoError(t, err)
		assert.Equal(t, tid, att.Compartment)
		assert.Equal(t, f.foreign[1].Value, att.Value, "a value that is not JSON moves unchanged")
		by, err := s.Get(ctx, f.bystander.Type, f.bystander.ID)
		require.NoError(t, err)
		assert.Equal(t, f.bystander.Version, by.Version)

		// Source: kept, inactive, linked, not updatable, hidden from search.
		src, err := f.svc.Get(ctx, f.source.ID)
		require.NoError(t, err)
		assert.False(t, src.Active)
		assert.Equal(t, f.target.ID, src.ReplacedBy())
		assert.Equal(t, f.source.Names, src.Names)
		_, err = f.svc.Update(ctx, src)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		res, err := f.svc.Search(ctx, Query{Name: "jonson"})
		require.NoError(t, err)
		assert.Equal(t, []ID{f.target.ID}, ids(res.Patients), "the target carries the old name")
		res, err = f.svc.Search(ctx, Query{Name: "jonson", IncludeMerged: true})
		require.NoError(t, err)
		assert.Equal(t, []ID{f.source.ID, f.target.ID}, ids(res.Patients))

		// Target: nothing of the source lost.
		tgt, err := f.svc.Get(ctx, f.target.ID)
		require.NoError(t, err)
		assert.Contains(t, tgt.Links, Link{Other: f.source.ID, Type: LinkReplaces})
		assert.Equal(t, "Johnson", tgt.Name().Family, "the target's name stays first")
		assert.Contains(t, tgt.Names, ehrkit.HumanName{Use: "old", Family: "Jonson", Given: []string{"Bill"}})
		assert.Equal(t, "123-45-6789", tgt.Identifier(ehrkit.SystemSSN), "an identifier system the target lacked stays in use")
		assert.Equal(t, f.target.Identifier(SystemMRN), tgt.Identifier(SystemMRN))
		assert.Contains(t, tgt.Identifiers, withUse(f.source.Identifiers[1], "old"), "the source's MRN is kept as old")
		assert.Equal(t, ehrkit.ContactPoint{System: "phone", Value: "555-010-2030", Use: "old"}, tgt.Telecom[0])
		assert.Len(t, tgt.Addresses, 2)
		assert.Equal(t, f.source.BirthDate, tgt.BirthDate, "filled from the source")
		assert.Equal(t, GenderMale, tgt.Gender)
		assert.Equal(t, f.source.Contacts, tgt.Contacts)
		for _, q := range []Query{
			{Identifier: f.source.Identifiers[1]},
			{Identifier: ehrkit.Identifier{System: ehrkit.SystemSSN, Value: "123-45-6789"}},
			{Name: "bill jonson"},
		} {
			res, err := f.svc.Search(ctx, q)
			require.NoError(t, err)
			assert.Equal(t, []ID{f.target.ID}, ids(res.Patients))
		}

		// Refusals.
		_, err = f.svc.Merge(ctx, f.source.ID, f.target.ID)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition)
		other, err := f.svc.Register(ctx, person("Zed", "Other", "1999-01-01", GenderMale))
		require.NoError(t, err)
		_, err = f.svc.Merge(ctx, other.ID, f.source.ID)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "into a merged record")
		var ve *ehrkit.ValidationError
		_, err = f.svc.Merge(ctx, other.ID, other.ID)
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("target", ehrkit.IssueBusinessRule))
		_, err = f.svc.Merge(ctx, other.ID, "nobody")
		assert.ErrorIs(t, err, ehrkit.ErrNotFound)

		assert.Equal(t, []string{TopicRegistered, TopicRegistered, TopicMerged, TopicMerged, TopicRegistered}, feedTopics(t, s))
	})
}

func withUse(id ehrkit.Identifier, use string) ehrkit.Identifier {
	id.Use = use
	return id
}

// snapshot reads the current records of the given keys.
func snapshot(t *testing.T, s storage.Store, keys []MergedRecord) map[string]storage.Record {
	t.Helper()
	out := map[string]storage.Record{}
	for _, k := range keys {
		r, err := s.Get(context.Background(), k.Type, k.ID)
		require.NoError(t, err)
		out[k.Type+"/"+k.ID] = r
	}
	return out
}

func TestUnmergeRestoresExactState(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := admin()
		f := newMergeFixture(t, s)
		keys := []MergedRecord{
			{Type: RecordType, ID: string(f.source.ID)}, {Type: RecordType, ID: string(f.target.ID)},
			{Type: "Observation", ID: "obs-1"}, {Type: "Attachment", ID: "att-1"},
			{Type: IdentifierRecordType, ID: identifierKeyID(f.source.Identifiers[0].Token())},
			{Type: IdentifierRecordType, ID: identifierKeyID(f.source.Identifiers[1].Token())},
		}
		before := snapshot(t, s, keys)

		m, err := f.svc.Merge(ctx, f.source.ID, f.target.ID)
		require.NoError(t, err)
		back, err := f.svc.Unmerge(ctx, f.source.ID)
		require.NoError(t, err)
		assert.Equal(t, m.ID, back.ID)
		assert.Equal(t, MergeReverted, back.Status)

		after := snapshot(t, s, keys)
		for k, b := range before {
			a := after[k]
			assert.Equal(t, b.Value, a.Value, k)
			assert.Equal(t, b.Compartment, a.Compartment, k)
			assert.ElementsMatch(t, b.Terms, a.Terms, k)
			assert.Equal(t, b.Labels, a.Labels, k)
			assert.Equal(t, b.Version+2, a.Version, "%s: merge and unmerge each write a version", k)
		}
		src, err := f.svc.Get(ctx, f.source.ID)
		require.NoError(t, err)
		assert.True(t, src.Active)
		_, err = f.svc.Update(ctx, src)
		require.NoError(t, err, "the source is a live record again, holding its identifiers")

		_, err = f.svc.Unmerge(ctx, f.source.ID)
		assert.ErrorIs(t, err, ehrkit.ErrNotFound, "no merge in force")

		// It can be merged again.
		_, err = f.svc.Merge(ctx, f.source.ID, f.target.ID)
		require.NoError(t, err)
	})
}

func TestUnmergeRefusesWhenRecordsChanged(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		ctx := admin()
		f := newMergeFixture(t, s)
		_, err := f.svc.Merge(ctx, f.source.ID, f.target.ID)
		require.NoError(t, err)
		tgt, err := f.svc.Get(ctx, f.target.ID)
		require.NoError(t, err)
		tgt.Gender = GenderOther
		_, err = f.svc.Update(ctx, tgt)
		require.NoError(t, err)
		obsBefore, err := s.Get(ctx, "Observation", "obs-1")
		require.NoError(t, err)

		_, err = f.svc.Unmerge(ctx, f.source.ID)
		assert.ErrorIs(t, err, ehrkit.ErrFailedPrecondition, "a refusal")
		assert.NotErrorIs(t, err, ehrkit.ErrConflict, "not a race: trying again cannot succeed")

		obsAfter, err := s.Get(ctx, "Observation", "obs-1")
		require.NoError(t, err)
		assert.Equal(t, obsBefore.Version, obsAfter.Version, "nothing was written")
		src, err := f.svc.Get(ctx, f.source.ID)
		require.NoError(t, err)
		assert.Equal(t, f.target.ID, src.ReplacedBy(), "still merged")
	})
}

func TestRepointJSON(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"nested", `{"a":["P1",{"b":"Patient/P1"}],"c":"P10"}`, `{"a":["P2",{"b":"Patient/P2"}],"c":"P10"}`},
		{"not mentioned", `{"a":1.50}`, `{"a":1.50}`},
		{"not json", `P1 <raw>`, `P1 <raw>`},
		{"bare string", `"P1"`, `"P2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(repointJSON([]byte(tt.in), "P1", "P2")))
		})
	}
}

func TestMergeNeedsPermissionAndIsAudited(t *testing.T) {
	testbackends.RunClock(t, ehrkit.NewFakeClock(testStart), func(t *testing.T, s storage.Store) {
		policy, err := access.DefaultPolicy(Groups())
		require.NoError(t, err)
		guarded := access.Guard(s, policy, access.WithClock(ehrkit.NewFakeClock(testStart)))
		ctx := admin()
		svc := newTestService(t, guarded)
		a, err := svc.Register(ctx, person("Ana", "Silva", "1980-01-02", GenderFemale))
		require.NoError(t, err)
		b, err := svc.Register(ctx, person("Anna", "Silva", "1980-01-02", GenderFemale), AllowDuplicate())
		require.NoError(t, err)

		_, err = svc.Merge(context.Background(), a.ID, b.ID)
		assert.ErrorIs(t, err, ehrkit.ErrUnauthenticated)
		nurse := access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, ID: "u-nurse", Roles: []string{access.RoleNurse}, CareTeam: []string{string(a.ID), string(b.ID)}})
		_, err = svc.Merge(nurse, a.ID, b.ID)
		assert.ErrorIs(t, err, ehrkit.ErrPermission)

		m, err := svc.Merge(ctx, a.ID, b.ID)
		require.NoError(t, err)
		_, err = svc.Unmerge(ctx, a.ID)
		require.NoError(t, err)
		require.NoError(t, guarded.Flush(ctx))

		for _, id := range []ID{a.ID, b.ID} {
			var actions []string
			noted := 0
			for ev, err := range access.Accounting(ctx, guarded, string(id), testStart.Add(-time.Hour), testStart.Add(time.Hour)) {
				require.NoError(t, err)
				if ev.Action == "patient.merge" || ev.Action == "patient.unmerge" {
					actions = append(actions, ev.Action+"/"+string(ev.Outcome))
					if ev.Outcome == access.Success && strings.Contains(ev.Reason, m.ID) {
						noted++
					}
				}
			}
			assert.Contains(t, actions, "patient.merge/"+string(access.Success))
			assert.Contains(t, actions, "patient.unmerge/"+string(access.Success))
			assert.Equal(t, 2, noted, "the merge and the unmerge are noted with the merge id")
			if id == a.ID {
				assert.Contains(t, actions, "patient.merge/"+string(access.Denied), "the refused attempts are audited")
			}
		}
	})
}

func TestMergeWithoutPrincipalIsRefused(t *testing.T) {
	testbackends.Run(t, func(t *testing.T, s storage.Store) {
		f := newMergeFixture(t, s)
		_, err := f.svc.Merge(context.Background(), f.source.ID, f.target.ID)
		assert.ErrorIs(t, err, ehrkit.ErrUnauthenticated)
		_, err = f.svc.Unmerge(context.Background(), f.source.ID)
		assert.ErrorIs(t, err, ehrkit.ErrNotFound, "nothing to unmerge")
	})
}
