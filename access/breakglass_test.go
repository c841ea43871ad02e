package access_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
)

func TestBreakGlass(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		seed(t, e.inner, rec("Observation", "o2", "p2"), rec("Condition", "c2", "p2", access.LabelBehavioralHealth))
		ctx := access.WithPurpose(as(nurse), access.PurposeEmergency)

		_, err := e.g.Get(ctx, "Observation", "o2")
		require.Equal(t, access.ReasonScope, reasonOf(t, err), "before the grant")

		_, err = e.g.BreakGlass(ctx, "", "")
		requireIssues(t, err, issue{"patient", ehrkit.IssueRequired}, issue{"reason", ehrkit.IssueRequired})
		_, err = e.g.BreakGlass(ctx, "p2", " \t\n ")
		requireIssues(t, err, issue{"reason", ehrkit.IssueRequired})
		_, err = e.g.BreakGlass(ctx, "p2", "   urgent   ")
		requireIssues(t, err, issue{"reason", ehrkit.IssueValue})
		_, err = e.g.BreakGlass(ctx, "nobody", "unresponsive in the emergency department")
		requireIssues(t, err, issue{"patient", ehrkit.IssueValue})
		_, err = e.g.BreakGlass(ctx, "bad id!", "ok")
		requireIssues(t, err, issue{"patient", ehrkit.IssueValue}, issue{"reason", ehrkit.IssueValue})
		_, err = e.g.Get(ctx, "Observation", "o2")
		require.Equal(t, access.ReasonScope, reasonOf(t, err), "no grant was made")

		_, err = e.g.BreakGlass(as(biller), "p2", "curious")
		assert.Equal(t, access.ReasonRole, reasonOf(t, err), "a role without the break-the-glass permission")

		grant, err := e.g.BreakGlass(ctx, "p2", "  unresponsive in the emergency department\n")
		require.NoError(t, err)
		assert.Equal(t, access.Grant{ID: "grant-000001", Principal: nurse.ID, Patient: "p2", Reason: "unresponsive in the emergency department",
			Granted: start, Expires: start.Add(time.Hour)}, grant)
		ev := last(t, e.inner)
		assert.Equal(t, string(access.PermBreakGlass), ev.Action)
		assert.Equal(t, access.PurposeEmergency, ev.Purpose)
		assert.Equal(t, grant.ID, ev.Grant)

		// Use: the grant reaches the compartment and its sensitive records,
		// not the types and actions the nurse's role does not allow.
		e.clock.Advance(59 * time.Minute)
		_, err = e.g.Get(ctx, "Observation", "o2")
		require.NoError(t, err)
		assert.Equal(t, grant.ID, last(t, e.inner).Grant)
		_, err = e.g.Get(ctx, "Condition", "c2")
		require.NoError(t, err)
		page, err := e.g.Query(ctx, storage.Query{Type: "Observation", Compartment: "p2"})
		require.NoError(t, err)
		assert.Len(t, page.Records, 1)
		err = e.g.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, rec("MedicationRequest", "mr2", "p2"), 0)
			return err
		})
		assert.Equal(t, access.ReasonRole, reasonOf(t, err))
		_, err = e.g.Get(as(pharmacist), "Observation", "o2")
		assert.Equal(t, access.ReasonScope, reasonOf(t, err), "the grant is the nurse's only")

		// The privacy officer is notified through the feed; others never see it.
		var notified []access.Grant
		for _, ch := range feed(t, as(privacy), e.g, 100) {
			if ch.Topic == access.TopicBreakGlass {
				var g access.Grant
				require.NoError(t, json.Unmarshal(ch.Payload, &g))
				notified = append(notified, g)
			}
		}
		assert.Equal(t, []access.Grant{grant}, notified)
		for _, ch := range feed(t, as(physician), e.g, 1000) {
			assert.NotEqual(t, access.TopicBreakGlass, ch.Topic)
		}

		// Expiry: once the hour is over, access is denied again.
		e.clock.Advance(time.Minute)
		_, err = e.g.Get(ctx, "Observation", "o2")
		assert.Equal(t, access.ReasonScope, reasonOf(t, err), "after expiry")

		// Only the guard writes grants and their events.
		err = e.g.Update(as(admin), func(tx storage.Tx) error {
			return tx.Emit(context.Background(), storage.Event{Topic: access.TopicBreakGlass, Key: "forged", Compartment: "p2"})
		})
		assert.Equal(t, access.ReasonAppendOnly, reasonOf(t, err))
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

func TestConsent(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		seed(t, e.inner, rec("Observation", "o1", "p1"))
		get := func(p access.Principal) error {
			_, err := e.g.Get(as(p), "Observation", "o1")
			return err
		}
		for _, p := range []access.Principal{physician, physician2, nurse} {
			require.NoError(t, get(p), p.ID)
		}

		// The patient records, through the portal, a consent denying one
		// physician and every nurse.
		require.NoError(t, access.SetConsent(as(portal1), e.g, access.Consent{Patient: "p1", DenyPrincipals: []string{physician2.ID}, DenyRoles: []string{access.RoleNurse}}))
		cases := []struct {
			who  access.Principal
			want access.Reason
		}{
			{physician, ""},
			{physician2, access.ReasonConsent},
			{nurse, access.ReasonConsent},
			{portal1, ""}, // the patient is never denied their own records
			{system, ""},  // consents bind people, not systems
		}
		for _, tc := range cases {
			assert.Equal(t, tc.want, reasonOf(t, get(tc.who)), tc.who.ID)
		}
		page, err := e.g.Query(as(nurse), storage.Query{Type: "Observation", Compartment: "p1"})
		require.NoError(t, err)
		assert.Empty(t, page.Records, "search leaves out what consent denies")
		err = access.Require(as(physician2), e.g, access.PermNoteSign, "p1")
		assert.Equal(t, access.ReasonConsent, reasonOf(t, err))

		// A grant overrides consent in an emergency.
		_, err = e.g.BreakGlass(as(nurse), "p1", "cardiac arrest")
		require.NoError(t, err)
		require.NoError(t, get(nurse))

		// A portal user cannot write another patient's consent.
		err = access.SetConsent(as(portal1), e.g, access.Consent{Patient: "p2", DenyRoles: []string{access.RolePhysician}})
		assert.Equal(t, access.ReasonScope, reasonOf(t, err))
		require.NoError(t, e.g.Flush(context.Background()))
	})
}

func TestConsentValidation(t *testing.T) {
	err := access.Consent{Patient: "bad id!", DenyPrincipals: []string{"a", "a", ""}, DenyRoles: []string{"", "r", "r"}}.Validate()
	requireIssues(t, err,
		issue{"patient", ehrkit.IssueValue},
		issue{"denyPrincipals[1]", ehrkit.IssueDuplicate},
		issue{"denyPrincipals[2]", ehrkit.IssueRequired},
		issue{"denyRoles[0]", ehrkit.IssueRequired},
		issue{"denyRoles[2]", ehrkit.IssueDuplicate},
	)
	require.NoError(t, access.Consent{Patient: "p1"}.Validate())

	// A malformed consent record is refused by the guard: it would lock the
	// patient's records.
	eachBackend(t, func(t *testing.T, e env) {
		ctx := as(admin)
		err := e.g.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: access.ConsentType, ID: "p1", Compartment: "p2", Value: []byte(`{"v":1,"d":{"patient":"p1"}}`)}, 0)
			return err
		})
		var ve *ehrkit.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("id", ehrkit.IssueInvariant))
		err = e.g.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: access.ConsentType, ID: "p1", Compartment: "p1", Value: []byte(`not json`)}, 0)
			return err
		})
		require.ErrorIs(t, err, ehrkit.ErrInvalid)
	})
}
