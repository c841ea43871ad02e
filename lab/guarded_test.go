package lab_test

import (
	"testing"
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/access"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/internal/testbackends"
	"github.com/ehrkit/ehrkit/lab"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGuarded runs the service on a guarded store under the default policy
// with lab.Groups: a physician of the patient's care team files a report and
// acknowledges its critical result, audited; a nurse may not acknowledge.
func TestGuarded(t *testing.T) {
	clock := ehrkit.NewFakeClock(t0)
	testbackends.RunClock(t, clock, func(t *testing.T, raw storage.Store) {
		e := newEnv(t, raw, clock)
		policy, err := access.DefaultPolicy(patient.Groups(), clinical.Groups(), lab.Groups())
		require.NoError(t, err)
		guarded := access.Guard(raw, policy, access.WithClock(clock))
		svc := lab.NewService(guarded, clinical.NewService(guarded, clinical.WithClock(clock)), lab.WithClock(clock))
		doctor := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, ID: "dr-1", Roles: []string{access.RolePhysician}, CareTeam: []string{string(e.p)}})
		nurse := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, ID: "rn-1", Roles: []string{access.RoleNurse}, CareTeam: []string{string(e.p)}})

		require.NoError(t, guarded.Update(doctor, func(tx storage.Tx) error {
			_, err := svc.SaveReport(doctor, tx, lab.Report{ID: "r1", Patient: e.p, Status: lab.ReportFinal, Code: loinc(lab.LOINCPotassium),
				Effective: t0, Requester: "dr-1", Results: []lab.Result{potassium("k1", "7.1")}})
			return err
		}))
		alerts, err := svc.Alerts(nurse, e.p)
		require.NoError(t, err, "a nurse reads alerts")
		require.Len(t, alerts, 1)
		_, err = svc.Acknowledge(nurse, alerts[0].ID)
		require.ErrorIs(t, err, ehrkit.ErrPermission)
		_, err = svc.Acknowledge(doctor, alerts[0].ID)
		require.NoError(t, err)
		require.NoError(t, guarded.Flush(doctor))

		admin := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, ID: "ad-1", Roles: []string{access.RoleAdministrator}})
		var acks []string
		for ev, err := range access.Accounting(admin, guarded, string(e.p), t0.Add(-time.Hour), t0.Add(time.Hour)) {
			require.NoError(t, err)
			if ev.Action == "lab.acknowledge" {
				acks = append(acks, ev.Actor)
			}
		}
		assert.Equal(t, []string{"dr-1"}, acks)
	})
}
