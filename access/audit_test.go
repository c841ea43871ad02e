package access_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/ehrkit/ehrkit/storage/memstore"
)

// trail writes a few audited accesses: 6 events.
func trail(t *testing.T, e env) {
	seedPatients(t, e.inner)
	seed(t, e.inner, rec("Observation", "o1", "p1"), rec("Observation", "o2", "p2"))
	for _, p := range []access.Principal{physician, nurse, portal1} {
		_, err := e.g.Get(as(p), "Observation", "o1")
		require.NoError(t, err)
	}
	_, err := e.g.Get(as(portal1), "Observation", "o2")
	require.Error(t, err)
	ctx := as(nurse)
	require.NoError(t, e.g.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.Put(ctx, rec("Observation", "o3", "p1"), 0)
		return err
	}))
	_, err = e.g.Query(as(physician), storage.Query{Type: "Observation", Compartment: "p1"})
	require.NoError(t, err)
	require.Len(t, events(t, e.inner), 6)
	require.NoError(t, access.Verify(context.Background(), e.inner))
}

// rewrite replaces the value of audit event seq: directly in the database
// when the backend has one, else as a new version through the unguarded
// store (what an administrator with store access could do).
func rewrite(t *testing.T, e env, seq int64, value []byte) {
	if e.backend.Overwrite != nil {
		e.backend.Overwrite(t, e.inner, access.AuditEventType, eventID(seq), 1, value)
		return
	}
	r, err := e.inner.Get(context.Background(), access.AuditEventType, eventID(seq))
	require.NoError(t, err)
	r.Value = value
	seed(t, e.inner, r)
}

func value(t *testing.T, e env, seq int64) []byte {
	r, err := e.inner.Get(context.Background(), access.AuditEventType, eventID(seq))
	require.NoError(t, err)
	return r.Value
}

func TestVerifyNamesTheFirstBrokenEvent(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, e env)
		want   access.ChainError
		// wantNewVersion, if set, is what Verify reports on a backend without
		// Overwrite, where the rewrite is a second version of the event.
		wantNewVersion *access.ChainError
	}{
		{"an altered purpose", func(t *testing.T, e env) {
			ev := decodeEvent(t, storage.Record{Type: access.AuditEventType, Value: value(t, e, 3)})
			ev.Purpose = access.PurposeResearch
			rewrite(t, e, 3, encode(t, ev))
		}, access.ChainError{Seq: 3, Fault: access.FaultAltered}, nil},
		{"an altered event with its hash recomputed", func(t *testing.T, e env) {
			ev := decodeEvent(t, storage.Record{Type: access.AuditEventType, Value: value(t, e, 2)})
			ev.Actor = "someone-else"
			ev.Hash = rehash(t, ev)
			rewrite(t, e, 2, encode(t, ev))
		}, access.ChainError{Seq: 3, Fault: access.FaultAltered}, &access.ChainError{Seq: 2, Fault: access.FaultAltered}},
		{"two events swapped", func(t *testing.T, e env) {
			v2, v4 := value(t, e, 2), value(t, e, 4)
			rewrite(t, e, 2, v4)
			rewrite(t, e, 4, v2)
		}, access.ChainError{Seq: 2, Fault: access.FaultReordered}, nil},
		{"a field injected into the stored bytes, hash kept", func(t *testing.T, e env) {
			v := value(t, e, 3)
			injected := append([]byte(`{"injected":"x",`), v[1:]...)
			rewrite(t, e, 3, injected)
		}, access.ChainError{Seq: 3, Fault: access.FaultAltered}, nil},
		{"the same event in another field order", func(t *testing.T, e env) {
			var m map[string]any
			require.NoError(t, json.Unmarshal(value(t, e, 3), &m))
			reordered, err := json.Marshal(m) // keys sorted: not the declaration order
			require.NoError(t, err)
			require.NotEqual(t, value(t, e, 3), reordered)
			rewrite(t, e, 3, reordered)
		}, access.ChainError{Seq: 3, Fault: access.FaultAltered}, nil},
		{"garbage", func(t *testing.T, e env) {
			rewrite(t, e, 5, []byte("{"))
		}, access.ChainError{Seq: 5, Fault: access.FaultAltered}, nil},
		{"a removed event", func(t *testing.T, e env) {
			require.NoError(t, e.inner.Update(context.Background(), func(tx storage.Tx) error {
				return tx.Delete(context.Background(), access.AuditEventType, eventID(4), storage.Any)
			}))
		}, access.ChainError{Seq: 4, Fault: access.FaultMissing}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, e env) {
				trail(t, e)
				tc.tamper(t, e)
				err := access.Verify(context.Background(), e.inner)
				require.ErrorIs(t, err, access.ErrTampered)
				var ce *access.ChainError
				require.ErrorAs(t, err, &ce)
				want := tc.want
				if e.backend.Overwrite == nil && tc.wantNewVersion != nil {
					want = *tc.wantNewVersion
				}
				assert.Equal(t, want, *ce)
			})
		})
	}
}

// removeEvent deletes audit event seq: on a backend with a database, its rows
// from every table, as an administrator of the database could; else through
// the contract (a tombstone the chain walk treats as missing).
func removeEvent(t *testing.T, e env, seq int64) {
	ctx := context.Background()
	if e.backend.Exec == nil {
		require.NoError(t, e.inner.Update(ctx, func(tx storage.Tx) error {
			return tx.Delete(ctx, access.AuditEventType, eventID(seq), storage.Any)
		}))
		return
	}
	stmts := map[string][]string{
		"sqlite": {`DELETE FROM terms WHERE tn IN (SELECT tn FROM term_names WHERE type = ?) AND id = ?`, `DELETE FROM records WHERE type = ? AND id = ?`,
			`DELETE FROM changes WHERE rid IN (SELECT rid FROM versions WHERE type = ? AND id = ?)`,
			`DELETE FROM versions WHERE type = ? AND id = ?`},
		"postgres": {`DELETE FROM record_terms WHERE tn IN (SELECT tn FROM term_names WHERE type = $1) AND id = $2`, `DELETE FROM records WHERE type = $1 AND id = $2`,
			`DELETE FROM changes WHERE type = $1 AND id = $2`, `DELETE FROM record_versions WHERE type = $1 AND id = $2`},
	}[e.backend.Name]
	require.NotEmpty(t, stmts, "no deletion statements for backend %s", e.backend.Name)
	for _, q := range stmts {
		e.backend.Exec(t, e.inner, q, access.AuditEventType, eventID(seq))
	}
}

// TestTruncationIsDetected: removing the newest N events leaves an intact
// chain shorter than the head record the appenders keep (HIPAA 45 CFR
// 164.312(b), audit controls: a removed access must not go unnoticed).
func TestTruncationIsDetected(t *testing.T) {
	for _, n := range []int64{1, 3} {
		t.Run(fmt.Sprintf("last %d", n), func(t *testing.T) {
			eachBackend(t, func(t *testing.T, e env) {
				trail(t, e)
				for seq := int64(6); seq > 6-n; seq-- {
					removeEvent(t, e, seq)
				}
				err := access.Verify(context.Background(), e.inner)
				var ce *access.ChainError
				require.ErrorAs(t, err, &ce)
				require.ErrorIs(t, err, access.ErrTampered)
				assert.Equal(t, access.ChainError{Seq: 7 - n, Fault: access.FaultTruncated}, *ce)
			})
		})
	}
}

// TestAnchoredHeadRevealsTruncation: a forger who removes the newest events
// and rewrites the head record to match leaves a chain Verify alone accepts;
// a head read earlier and kept elsewhere reveals it.
func TestAnchoredHeadRevealsTruncation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		trail(t, e)
		ctx := context.Background()
		anchor, err := access.ReadHead(ctx, e.inner)
		require.NoError(t, err)
		assert.Equal(t, int64(6), anchor.Seq)
		assert.Equal(t, last(t, e.inner).Hash, anchor.Hash)
		require.NoError(t, access.Verify(ctx, e.inner, anchor))
		removeEvent(t, e, 6)
		head, err := access.ReadHead(ctx, e.inner)
		require.NoError(t, err)
		assert.Equal(t, int64(5), head.Seq)
		forged, err := json.Marshal(head)
		require.NoError(t, err)
		require.NoError(t, e.inner.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: access.AuditHeadType, ID: "head", Value: forged}, storage.Any)
			return err
		}))
		require.NoError(t, access.Verify(ctx, e.inner))
		err = access.Verify(ctx, e.inner, anchor)
		var ce *access.ChainError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, access.ChainError{Seq: 6, Fault: access.FaultTruncated}, *ce)
		// An anchor whose hash is not the chain's at its position.
		require.ErrorAs(t, access.Verify(ctx, e.inner, access.Head{Seq: 4, Hash: anchor.Hash}), &ce)
		assert.Equal(t, access.ChainError{Seq: 4, Fault: access.FaultAltered}, *ce)
	})
}

// TestEditedIndexTermIsDetected: moving an event's patient term in the index
// hides it from Accounting; Verify finds that the index no longer finds the
// event by the terms its hashed content gives.
func TestEditedIndexTermIsDetected(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		if e.backend.Exec == nil {
			t.Skip("no index below the contract to edit")
		}
		trail(t, e)
		ctx := context.Background()
		ev := decodeEvent(t, storage.Record{Type: access.AuditEventType, Value: value(t, e, 2)})
		require.Equal(t, "p1", ev.Patient)
		before := accounted(t, e, "p1")
		require.Contains(t, before, int64(2))
		q := map[string]string{
			"sqlite":   `UPDATE terms SET value = 'p9' || substr(value, 3) WHERE tn = (SELECT tn FROM term_names WHERE type = ? AND name = 'patient') AND id = ?`,
			"postgres": `UPDATE record_terms SET value = convert_to('p9', 'UTF8') || substring(value from 3) WHERE tn = (SELECT tn FROM term_names WHERE type = $1 AND name = 'patient') AND id = $2`,
		}[e.backend.Name]
		require.Equal(t, int64(1), e.backend.Exec(t, e.inner, q, access.AuditEventType, eventID(2)))
		require.NotContains(t, accounted(t, e, "p1"), int64(2), "the edit hides the event from the accounting")
		err := access.Verify(ctx, e.inner)
		var ce *access.ChainError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, access.ChainError{Seq: 2, Fault: access.FaultAltered}, *ce)
	})
}

// accounted returns the sequence numbers of patient's accounting.
func accounted(t *testing.T, e env, patient string) []int64 {
	var out []int64
	for ev, err := range access.Accounting(context.Background(), e.inner, patient, time.Time{}, time.Now().Add(time.Hour)) {
		require.NoError(t, err)
		out = append(out, ev.Seq)
	}
	return out
}

func encode(t *testing.T, ev access.Event) []byte {
	r, err := access.EncodeEvent(ev)
	require.NoError(t, err)
	return r
}

// rehash recomputes an event's hash as a forger would: the SHA-256 of its
// encoding without the hash.
func rehash(t *testing.T, ev access.Event) string {
	ev.Hash = ""
	return access.Digest(encode(t, ev))
}

func TestAccounting(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		trail(t, e)
		e.clock.Advance(time.Hour)
		_, err := e.g.Get(access.WithPurpose(as(biller), access.PurposePayment), "Patient", "p1")
		require.NoError(t, err)

		type access1 struct {
			Actor, Action, Purpose string
			Outcome                access.Outcome
			Time                   time.Time
		}
		collect := func(ctx context.Context, from, to time.Time) ([]access1, error) {
			var out []access1
			for ev, err := range access.Accounting(ctx, e.g, "p1", from, to) {
				if err != nil {
					return out, err
				}
				out = append(out, access1{ev.Actor, ev.Action, ev.Purpose, ev.Outcome, ev.Time})
			}
			return out, nil
		}
		got, err := collect(as(privacy), start, start.Add(2*time.Hour))
		require.NoError(t, err)
		later := start.Add(time.Hour)
		assert.Equal(t, []access1{
			{physician.ID, "read", access.PurposeTreatment, access.Success, start},
			{nurse.ID, "read", access.PurposeTreatment, access.Success, start},
			{portal1.ID, "read", access.PurposeTreatment, access.Success, start},
			{nurse.ID, "create", access.PurposeTreatment, access.Success, start},
			{physician.ID, "search", access.PurposeTreatment, access.Success, start},
			{biller.ID, "read", access.PurposePayment, access.Success, later},
			{privacy.ID, "audit.accounting", access.PurposeTreatment, access.Success, later}, // this very query
		}, got)

		got, err = collect(access.WithPurpose(as(portal1), access.PurposePatient), later, later.Add(time.Minute))
		require.NoError(t, err, "a patient may ask for their own accounting")
		assert.Equal(t, []access1{
			{biller.ID, "read", access.PurposePayment, access.Success, later},
			{privacy.ID, "audit.accounting", access.PurposeTreatment, access.Success, later},
			{portal1.ID, "audit.accounting", access.PurposePatient, access.Success, later},
		}, got)

		_, err = collect(as(nurse), start, later)
		assert.Equal(t, access.ReasonRole, reasonOf(t, err))
		ev := last(t, e.inner)
		assert.Equal(t, "audit.accounting", ev.Action)
		assert.Equal(t, access.Denied, ev.Outcome)
		require.NoError(t, access.Verify(as(privacy), e.g))
		require.ErrorIs(t, access.Verify(as(nurse), e.g), ehrkit.ErrPermission)
	})
}

func TestNoPrincipalIsRefusedAndAudited(t *testing.T) {
	ctx := context.Background()
	calls := []struct {
		name string
		call func(g *access.Store) error
	}{
		{"Get", func(g *access.Store) error { _, err := g.Get(ctx, "Patient", "p1"); return err }},
		{"GetVersion", func(g *access.Store) error { _, err := g.GetVersion(ctx, "Patient", "p1", 1); return err }},
		{"History", func(g *access.Store) error { _, err := g.History(ctx, "Patient", "p1"); return err }},
		{"Query", func(g *access.Store) error { _, err := g.Query(ctx, storage.Query{Type: "Patient"}); return err }},
		{"Changes", func(g *access.Store) error { _, err := g.Changes(ctx, 0, 10); return err }},
		{"Update", func(g *access.Store) error { return g.Update(ctx, func(storage.Tx) error { return nil }) }},
		{"BreakGlass", func(g *access.Store) error { _, err := g.BreakGlass(ctx, "p1", "why"); return err }},
		{"Require", func(g *access.Store) error { return access.Require(ctx, g, access.PermRxSign, "p1") }},
		{"Verify", func(g *access.Store) error { return access.Verify(ctx, g) }},
		{"ReadHead", func(g *access.Store) error { _, err := access.ReadHead(ctx, g); return err }},
		{"anonymous principal", func(g *access.Store) error {
			_, err := g.Get(access.WithPrincipal(ctx, access.Principal{Roles: []string{access.RoleAdministrator}}), "Patient", "p1")
			return err
		}},
	}
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		for _, c := range calls {
			t.Run(c.name, func(t *testing.T) {
				err := c.call(e.g)
				require.ErrorIs(t, err, ehrkit.ErrUnauthenticated)
				assert.Equal(t, access.ReasonUnauthenticated, reasonOf(t, err))
				require.NoError(t, e.g.Flush(ctx))
				ev := last(t, e.inner)
				assert.Equal(t, access.Denied, ev.Outcome)
				assert.Empty(t, ev.Actor)
			})
		}
		assert.Len(t, events(t, e.inner), len(calls))
	})
}

func TestTransactions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		ctx := as(physician)
		boom := errors.New("boom")

		// A failed transaction keeps no write and no write event, but its
		// reads are audited: the data reached fn.
		err := e.g.Update(ctx, func(tx storage.Tx) error {
			if _, err := tx.Get(ctx, "Patient", "p1"); err != nil {
				return err
			}
			if _, err := tx.Put(ctx, rec("Condition", "c1", "p1"), 0); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = e.inner.Get(context.Background(), "Condition", "c1")
		require.ErrorIs(t, err, ehrkit.ErrNotFound)
		evs := events(t, e.inner)
		require.Len(t, evs, 1)
		assert.Equal(t, "read", evs[0].Action)

		// A committed one holds its reads, writes and notes, and a denial met
		// on the way is audited even though fn recovered from it.
		require.NoError(t, e.g.Update(ctx, func(tx storage.Tx) error {
			if _, err := tx.Get(ctx, "Patient", "p2"); !errors.Is(err, ehrkit.ErrPermission) {
				return fmt.Errorf("read of p2: %v", err)
			}
			if _, err := tx.Put(ctx, rec("Condition", "c1", "p1"), 0); err != nil {
				return err
			}
			if err := tx.Delete(ctx, "Condition", "c1", 1); err != nil {
				return err
			}
			return access.Note(ctx, tx, string(access.PermNoteSign), "p1", "DocumentReference/n1")
		}))
		var got []string
		for _, ev := range events(t, e.inner)[1:] {
			got = append(got, fmt.Sprintf("%s %s %s/%s v%d", ev.Outcome, ev.Action, ev.Type, ev.ID, ev.Version))
		}
		assert.Equal(t, []string{
			"success create Condition/c1 v1",
			"success delete Condition/c1 v2",
			"success note.sign / v0",
			"denied read Patient/p2 v1",
		}, got)

		// A record without a facility term gets the writer's facility, and
		// keeps it when someone from elsewhere updates it.
		require.NoError(t, e.g.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, storage.Record{Type: "Condition", ID: "c2", Compartment: "p1", Value: []byte("{}")}, 0)
			return err
		}))
		ctx2 := as(physician2)
		require.NoError(t, e.g.Update(ctx2, func(tx storage.Tx) error {
			_, err := tx.Put(ctx2, storage.Record{Type: "Condition", ID: "c2", Compartment: "p1", Value: []byte("{}")}, 1)
			return err
		}))
		r, err := e.inner.Get(context.Background(), "Condition", "c2")
		require.NoError(t, err)
		assert.Equal(t, []storage.Term{{Name: access.FacilityTerm, Value: "F1"}}, r.Terms)

		// A record cannot be moved to a patient the writer does not reach.
		err = e.g.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.Put(ctx, rec("Condition", "c2", "p2"), 2)
			return err
		})
		assert.Equal(t, access.ReasonScope, reasonOf(t, err))

		// Note and Require on a bare store fail closed; on a trusted one they
		// need only a principal.
		err = e.inner.Update(ctx, func(tx storage.Tx) error { return access.Note(ctx, tx, "x", "p1", "") })
		assert.Equal(t, access.ReasonUntrusted, reasonOf(t, err))
		assert.Equal(t, access.ReasonUntrusted, reasonOf(t, access.Require(ctx, e.inner, access.PermPatientMerge, "p1")))
		trusted := access.Trusted(e.inner)
		require.NoError(t, trusted.Update(ctx, func(tx storage.Tx) error { return access.Note(ctx, tx, "x", "p1", "") }))
		require.NoError(t, access.Require(ctx, trusted, access.PermPatientMerge, "p1"))
		require.ErrorIs(t, access.Require(context.Background(), trusted, access.PermPatientMerge, "p1"), ehrkit.ErrUnauthenticated)
		require.NoError(t, access.Verify(context.Background(), e.inner))
	})
}

func TestRequire(t *testing.T) {
	cases := []struct {
		who  access.Principal
		perm access.Permission
		comp string
		want access.Reason
	}{
		{physician, access.PermRxOverride, "p1", ""},
		{physician, access.PermRxOverride, "p3", ""}, // facility of the compartment's Patient record
		{physician, access.PermRxOverride, "p2", access.ReasonScope},
		{physician, access.PermPatientMerge, "p1", access.ReasonRole},
		{frontDesk, access.PermPatientMerge, "p3", ""},
		{pharmacist, access.PermRxDispense, "", ""},
		{biller, access.PermBillingPost, "p2", access.ReasonScope},
		{admin, access.PermPatientMerge, "p2", ""},
	}
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		for _, tc := range cases {
			err := access.Require(as(tc.who), e.g, tc.perm, tc.comp)
			assert.Equal(t, tc.want, reasonOf(t, err), "%s %s %s", tc.who.ID, tc.perm, tc.comp)
		}
		require.NoError(t, e.g.Flush(context.Background()))
		evs := events(t, e.inner)
		require.Len(t, evs, len(cases))
		for _, tc := range cases {
			i := slices.IndexFunc(evs, func(ev access.Event) bool {
				return ev.Actor == tc.who.ID && ev.Action == string(tc.perm) && ev.Patient == tc.comp
			})
			require.GreaterOrEqual(t, i, 0, "no event for %s %s", tc.who.ID, tc.perm)
			assert.Equal(t, tc.want == "", evs[i].Outcome == access.Success)
		}
	})
}

// TestConcurrentAccess runs readers and writers at once: every access must
// succeed (collisions on the chain head are retried) and leave exactly one
// event in an intact chain.
func TestConcurrentAccess(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		const workers, each = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				ctx := as(physician)
				for i := range each {
					var err error
					if w%2 == 0 {
						_, err = e.g.Get(ctx, "Patient", "p1")
					} else {
						err = e.g.Update(ctx, func(tx storage.Tx) error {
							_, err := tx.Put(ctx, rec("Observation", fmt.Sprintf("w%d-%d", w, i), "p1"), 0)
							return err
						})
					}
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.NoError(t, access.Verify(context.Background(), e.inner))
		assert.Len(t, events(t, e.inner), workers*each)
	})
}

func TestDeniedErrorHasNoPHI(t *testing.T) {
	err := &access.DeniedError{Principal: "dr-1", Action: "read", Type: "Observation", ID: "o1", Compartment: "p1", Reason: access.ReasonConsent}
	assert.Equal(t, "access: read Observation/o1 of patient p1 by dr-1 denied: consent", err.Error())
	require.ErrorIs(t, err, ehrkit.ErrPermission)
	p := access.Principal{Kind: access.User, ID: "u-1", Display: "Jane Roe"}
	assert.Equal(t, "user/u-1", p.String())
	assert.NotContains(t, p.LogValue().String(), "Roe")
}

// FuzzChainVerifies: whatever the strings of an event (invalid UTF-8, HTML,
// control characters), the stored chain verifies.
func FuzzChainVerifies(f *testing.F) {
	f.Add("dr-1", "patient.merge", "merged p2 into p1", int64(0))
	f.Add("<script>", "x\u2028y", "\xff\xfe invalid", int64(999))
	f.Fuzz(func(t *testing.T, actor, action, detail string, nanos int64) {
		if actor == "" || action == "" {
			return
		}
		clock := ehrkit.NewFakeClock(start.Add(time.Duration(nanos % int64(time.Hour))))
		g := access.Guard(memstore.New(memstore.WithClock(clock)), nil, access.WithClock(clock))
		ctx := access.WithPurpose(as(access.Principal{Kind: access.User, ID: actor, Roles: []string{access.RoleAdministrator}}), detail)
		require.NoError(t, g.Update(ctx, func(tx storage.Tx) error { return access.Note(ctx, tx, action, "", detail) }))
		require.NoError(t, g.Update(ctx, func(tx storage.Tx) error { return access.Note(ctx, tx, detail+action, "", actor) }))
		require.NoError(t, access.Verify(ctx, g))
	})
}

// TestRequireIn checks permissions inside a transaction: the decisions are
// those of Require, an allowed check's event commits with the transaction,
// a refusal's event is kept although the transaction fails, and checks
// made in a transaction never make it run again (Require's events, written
// beside the transaction, advance the chain head under it).
func TestRequireIn(t *testing.T) {
	cases := []struct {
		who  access.Principal
		perm access.Permission
		comp string
		want access.Reason
	}{
		{physician, access.PermRxOverride, "p1", ""},
		{physician, access.PermRxOverride, "p2", access.ReasonScope},
		{physician, access.PermPatientMerge, "p1", access.ReasonRole},
		{frontDesk, access.PermPatientMerge, "p3", ""},
		{biller, access.PermBillingPost, "p2", access.ReasonScope},
	}
	eachBackend(t, func(t *testing.T, e env) {
		seedPatients(t, e.inner)
		for i, tc := range cases {
			ctx := as(tc.who)
			err := e.g.Update(ctx, func(tx storage.Tx) error {
				if err := access.RequireIn(ctx, tx, tc.perm, tc.comp); err != nil {
					return err
				}
				_, err := tx.Put(ctx, rec("Patient", fmt.Sprintf("q%d", i), fmt.Sprintf("q%d", i)), 0)
				return err
			})
			assert.Equal(t, tc.want, reasonOf(t, err), "%s %s %s", tc.who.ID, tc.perm, tc.comp)
		}
		require.NoError(t, e.g.Flush(context.Background()))
		evs := events(t, e.inner)
		for _, tc := range cases {
			i := slices.IndexFunc(evs, func(ev access.Event) bool {
				return ev.Actor == tc.who.ID && ev.Action == string(tc.perm) && ev.Patient == tc.comp
			})
			require.GreaterOrEqual(t, i, 0, "no event for %s %s", tc.who.ID, tc.perm)
			assert.Equal(t, tc.want == "", evs[i].Outcome == access.Success)
		}

		// Many checks in one transaction: it runs once.
		ctx, runs := as(admin), 0
		require.NoError(t, e.g.Update(ctx, func(tx storage.Tx) error {
			runs++
			if _, err := tx.Put(ctx, rec("Patient", "many", "many"), storage.Any); err != nil {
				return err
			}
			for range 200 {
				if err := access.RequireIn(ctx, tx, access.PermPatientMerge, "p1"); err != nil {
					return err
				}
				time.Sleep(50 * time.Microsecond) // room for a background audit write
			}
			return nil
		}))
		assert.Equal(t, 1, runs)
		require.NoError(t, access.Verify(context.Background(), e.inner))

		// A trusted transaction needs a principal only; a bare one is refused.
		trusted := access.Trusted(e.inner)
		require.NoError(t, trusted.Update(ctx, func(tx storage.Tx) error { return access.RequireIn(ctx, tx, access.PermPatientMerge, "p1") }))
		require.ErrorIs(t, trusted.Update(context.Background(), func(tx storage.Tx) error {
			return access.RequireIn(context.Background(), tx, access.PermPatientMerge, "p1")
		}), ehrkit.ErrUnauthenticated)
		err := e.inner.Update(ctx, func(tx storage.Tx) error { return access.RequireIn(ctx, tx, access.PermPatientMerge, "p1") })
		assert.Equal(t, access.ReasonUntrusted, reasonOf(t, err))
	})
}
