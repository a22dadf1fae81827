package crm_test

import (
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func openLead() crm.Lead {
	l := crm.Lead{ID: "l1", Record: crm.Record{DealerID: "d1", CreatedAt: t0}, Name: "李娜", Source: crm.SourceCallIn}
	l.Normalize()
	return l
}

func TestLevelForClosingWindow(t *testing.T) {
	// SPEC §1.1: H 0–7 days, A 7–15, B 15–30, C 30–90, N beyond or unknown.
	p := crm.DefaultLeadPolicy()
	today := dealercrm.MustParseDate("2025-03-10")
	cases := []struct {
		days int
		want crm.IntentLevel
	}{{0, crm.LevelH}, {7, crm.LevelH}, {8, crm.LevelA}, {15, crm.LevelA}, {16, crm.LevelB}, {30, crm.LevelB}, {31, crm.LevelC}, {90, crm.LevelC}, {91, crm.LevelN}}
	for _, c := range cases {
		assert.Equal(t, c.want, p.LevelFor(today, today.AddDays(c.days)), "closing in %d days", c.days)
	}
	assert.Equal(t, crm.LevelN, p.LevelFor(today, dealercrm.Date{}), "no expected date")
}

func TestLeadDefaultsAndFirstCall(t *testing.T) {
	l := openLead()
	assert.Equal(t, crm.LevelN, l.Level)
	assert.Equal(t, crm.LeadOpen, l.Status)
	assert.Equal(t, crm.FirstPurchase, l.Purchase)

	p := crm.DefaultLeadPolicy()
	l.ScheduleFirst(p, t0)
	assert.Equal(t, t0.AddDate(0, 0, 30), l.NextFollowUpAt, "N is followed up every 30 days")

	walkIn := openLead()
	walkIn.Source = crm.SourceWalkIn
	walkIn.ScheduleFirst(p, t0)
	assert.Equal(t, t0.Add(24*time.Hour), walkIn.NextFollowUpAt, "a showroom visit gets a first call within 24 hours")
}

func TestLeadCadencePerLevel(t *testing.T) {
	// SPEC §1.1: H every 2 days, A every 4, B weekly, C every 15, N every 30.
	p := crm.DefaultLeadPolicy()
	for level, days := range map[crm.IntentLevel]int{crm.LevelH: 2, crm.LevelA: 4, crm.LevelB: 7, crm.LevelC: 15, crm.LevelN: 30} {
		l := openLead()
		require.NoError(t, l.LogFollowUp(crm.FollowUp{At: t0, Channel: crm.ChannelPhone, Level: level}, p))
		assert.Equal(t, level, l.Level)
		assert.Equal(t, t0.AddDate(0, 0, days), l.NextFollowUpAt, "level %s", level)
	}
	l := openLead()
	require.NoError(t, l.LogFollowUp(crm.FollowUp{At: t0, Channel: crm.ChannelVisit, Visit: true, Level: crm.LevelA}, p))
	assert.Equal(t, t0.Add(24*time.Hour), l.NextFollowUpAt, "a visit is called back within 24 hours")
	require.NoError(t, l.SetLevel(crm.LevelO, p, t0))
	assert.True(t, l.NextFollowUpAt.IsZero(), "an ordered lead has no cadence")
	require.NoError(t, l.LogFollowUp(crm.FollowUp{At: t0, Channel: crm.ChannelVisit, Visit: true}, p))
	assert.True(t, l.NextFollowUpAt.IsZero(), "nor does a visit of an ordered lead schedule one")
}

func TestLeadTransitions(t *testing.T) {
	p := crm.DefaultLeadPolicy()
	l := openLead()
	for _, to := range []crm.IntentLevel{crm.LevelC, crm.LevelB, crm.LevelA, crm.LevelH, crm.LevelO, crm.LevelB} {
		require.NoError(t, l.SetLevel(to, p, t0), "→ %s", to)
	}
	for _, to := range []crm.IntentLevel{crm.LevelD, crm.LevelF, "Z"} {
		err := l.SetLevel(to, p, t0)
		assert.ErrorIs(t, err, crm.ErrInvalidTransition, "%s is not reached by SetLevel", to)
		assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition)
	}
	assert.ErrorIs(t, l.LogFollowUp(crm.FollowUp{At: t0, Channel: crm.ChannelPhone, Level: crm.LevelD}, p), crm.ErrInvalidTransition)
	assert.Len(t, l.FollowUps, 0, "a rejected follow-up is not logged")
}

func TestLostRequestNeedsApproval(t *testing.T) {
	p := crm.DefaultLeadPolicy()
	l := openLead()
	require.NoError(t, l.SetLevel(crm.LevelB, p, t0))
	assert.ErrorIs(t, l.DecideLost(true, "mgr", "", t0), crm.ErrNoLostRequest)

	require.NoError(t, l.RequestLost(crm.LostCompetitor, "bought a rival SUV", "sc1", t0))
	assert.Equal(t, crm.LeadOpen, l.Status, "a request alone does not close the lead")
	assert.ErrorIs(t, l.RequestLost(crm.LostNoBudget, "", "sc1", t0), crm.ErrLostRequestPending)

	require.NoError(t, l.DecideLost(false, "mgr", "call again after the motor show", t0.Add(time.Hour)))
	assert.Equal(t, crm.LeadOpen, l.Status)
	assert.Equal(t, crm.LevelB, l.Level, "a rejection keeps the level")

	require.NoError(t, l.RequestLost(crm.LostFrozen, "plan frozen", "sc1", t0.Add(2*time.Hour)))
	require.NoError(t, l.DecideLost(true, "mgr", "ok", t0.Add(3*time.Hour)))
	assert.Equal(t, crm.LeadLost, l.Status)
	assert.Equal(t, crm.LevelF, l.Level)
	assert.Equal(t, crm.LostFrozen, l.LostReason, "the approved request's reason is kept")
	require.Len(t, l.LostRequests, 2)
	assert.Equal(t, crm.Rejected, l.LostRequests[0].Decision)
	assert.Equal(t, "call again after the motor show", l.LostRequests[0].DecisionNote)
	assert.Equal(t, crm.Approved, l.LostRequests[1].Decision)
	assert.Equal(t, crm.StaffID("mgr"), l.LostRequests[1].DecidedBy)
	require.NoError(t, l.Validate())

	assert.ErrorIs(t, l.SetLevel(crm.LevelA, p, t0), crm.ErrLeadClosed, "a lost lead is closed")
	assert.ErrorIs(t, l.RequestLost(crm.LostOther, "", "sc1", t0), crm.ErrLeadClosed)
}

func TestLeadStale(t *testing.T) {
	p := crm.DefaultLeadPolicy()
	l := openLead()
	assert.False(t, l.Stale(p, t0.AddDate(0, 0, 90)))
	assert.True(t, l.Stale(p, t0.AddDate(0, 0, 91)), "untouched for more than 90 days")
	require.NoError(t, l.LogFollowUp(crm.FollowUp{At: t0.AddDate(0, 0, 80), Channel: crm.ChannelPhone}, p))
	assert.False(t, l.Stale(p, t0.AddDate(0, 0, 91)), "a contact resets the clock")
	require.NoError(t, l.SetLevel(crm.LevelO, p, t0))
	assert.False(t, l.Stale(p, t0.AddDate(1, 0, 0)), "ordered leads are not stale")
}

func TestLeadPolicyValidation(t *testing.T) {
	require.NoError(t, crm.DefaultLeadPolicy().Validate())
	p := crm.DefaultLeadPolicy()
	p.Windows[1].MaxDays = 5
	p.CadenceDays[crm.LevelB] = 0
	p.CadenceDays[crm.LevelD] = 3
	var ve *crm.ValidationError
	require.ErrorAs(t, p.Validate(), &ve)
	assert.True(t, ve.Has("windows[1].max_days", crm.RuleOrder))
	assert.True(t, ve.Has("cadence_days.B", crm.RuleRequired))
	assert.True(t, ve.Has("cadence_days.D", crm.RuleEnum))
}

func TestAddPurchaseLeadNeedsCustomer(t *testing.T) {
	l := openLead()
	l.Purchase = crm.ReplacementPurchase
	var ve *crm.ValidationError
	require.ErrorAs(t, l.Validate(), &ve)
	assert.True(t, ve.Has("customer_id", crm.RuleRequired), "an add/replacement purchase links back to the customer")
	l.CustomerID = "c1"
	assert.NoError(t, l.Validate())
}
