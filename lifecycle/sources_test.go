package lifecycle_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grading.Service is the plan's source of grades and contact cadences.
var (
	_ lifecycle.GradeSource   = (*grading.Service)(nil)
	_ lifecycle.CadenceSource = (*grading.Service)(nil)
)

func tasksOf(ev lifecycle.Evaluation, k lifecycle.Kind) (keys, dues []string) {
	for _, t := range ev.Tasks {
		if t.Kind == k {
			keys, dues = append(keys, t.Key), append(dues, t.Due.String())
		}
	}
	return keys, dues
}

// The grade_care rule: one call per period of the grade's cadence, on
// the period's first day moved to the next working day (seed 002: A
// monthly, B quarterly, C half-yearly).
func TestGradeCareCadence(t *testing.T) {
	pl := planner(t)
	s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2024-03-10"), Owner: consenting("c1")}

	t.Run("quarterly: Jul 1, and Oct 1 after National Day", func(t *testing.T) {
		s := s
		s.Grade, s.CadenceMonths = "B", 3
		ev := pl.Evaluate(&s, date("2026-09-20"), 30) // window 2026-06-22 … 2026-10-20
		keys, dues := tasksOf(ev, lifecycle.KindGradeCare)
		assert.Equal(t, []string{"2026-07-01", "2026-10-08"}, dues)
		assert.Equal(t, []string{"grade_care|customer:c1|2026-07-01|1", "grade_care|customer:c1|2026-10-01|1"}, keys)
		for _, tk := range ev.Tasks {
			if tk.Kind == lifecycle.KindGradeCare {
				assert.Equal(t, lifecycle.RoleCR, tk.OwnerRole)
				assert.Equal(t, crm.ChannelPhone, tk.Channel)
				assert.Empty(t, tk.VehicleID, "a customer task")
				assert.Contains(t, tk.Reason, "grade B contact cadence: every 3 months")
			}
		}
	})
	t.Run("monthly: a Saturday moves to Monday", func(t *testing.T) {
		s := s
		s.Grade, s.CadenceMonths = "A", 1
		ev := pl.Evaluate(&s, date("2026-09-20"), 30)
		_, dues := tasksOf(ev, lifecycle.KindGradeCare)
		assert.Equal(t, []string{"2026-07-01", "2026-08-03", "2026-09-01", "2026-10-08"}, dues)
	})
	t.Run("half-yearly", func(t *testing.T) {
		s := s
		s.Grade, s.CadenceMonths = "C", 6
		ev := pl.Evaluate(&s, date("2026-09-20"), 90)
		_, dues := tasksOf(ev, lifecycle.KindGradeCare)
		assert.Equal(t, []string{"2026-07-01"}, dues, "Jan 2027 is past the 90 days")
		ev = pl.Evaluate(&s, date("2026-12-20"), 30)
		_, dues = tasksOf(ev, lifecycle.KindGradeCare)
		assert.Equal(t, []string{"2027-01-01"}, dues, "2027's holidays are not published yet: no shift")
	})
	t.Run("no cadence, no task, and the reason", func(t *testing.T) {
		ev := pl.Evaluate(&s, date("2026-09-20"), 30)
		keys, _ := tasksOf(ev, lifecycle.KindGradeCare)
		assert.Empty(t, keys)
		assert.Contains(t, ev.Gone[lifecycle.KindGradeCare], "no contact cadence")
	})
}

// Rule conditions on the club tier (SPEC §2.2: conditions on stage,
// grade, tier, consent).
func TestTierCondition(t *testing.T) {
	p := lifecycle.DefaultPolicy()
	for i := range p.Rules {
		if p.Rules[i].Kind == lifecycle.KindMembershipRenewal {
			p.Rules[i].Tiers = []string{"gold", "diamond"}
		}
	}
	pl, err := lifecycle.NewPlanner(p, nil)
	require.NoError(t, err)
	s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2024-03-10"), Owner: consenting("c1"),
		MembershipEnd: date("2026-10-15"), Tier: "silver"}
	ev := pl.Evaluate(&s, date("2026-09-10"), 30)
	_, dues := tasksOf(ev, lifecycle.KindMembershipRenewal)
	assert.Empty(t, dues)
	assert.Equal(t, `the customer's club tier "silver" is not one of [gold diamond]`, ev.Gone[lifecycle.KindMembershipRenewal])

	s.Tier = "gold"
	ev = pl.Evaluate(&s, date("2026-09-10"), 30)
	_, dues = tasksOf(ev, lifecycle.KindMembershipRenewal)
	assert.Equal(t, []string{"2026-09-15"}, dues, "30 days before the end")
}

type sources struct {
	cadences map[crm.CustomerID]int
	members  map[crm.CustomerID]lifecycle.Membership
}

func (s sources) Cadences(context.Context, crm.DealerID) (map[crm.CustomerID]int, error) {
	return s.cadences, nil
}

func (s sources) Memberships(context.Context, crm.DealerID) (map[crm.CustomerID]lifecycle.Membership, error) {
	return s.members, nil
}

// The service loads cadences and memberships into the subjects.
func TestServiceLoadsCadencesAndMemberships(t *testing.T) {
	f := newFixture(t)
	src := sources{cadences: map[crm.CustomerID]int{"c1": 3}, members: map[crm.CustomerID]lifecycle.Membership{"c1": {Tier: "gold", End: date("2026-04-20")}}}
	svc, err := lifecycle.NewService(f.crm, f.tasks, lifecycle.WithCadences(src), lifecycle.WithMemberships(src),
		lifecycle.WithClock(func() time.Time { return time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC) }))
	require.NoError(t, err)
	f.svc = svc
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2024-03-10")
	subs, err := svc.Load(f.ctx, "d1")
	require.NoError(t, err)
	require.Len(t, subs, 1)
	assert.Equal(t, 3, subs[0].CadenceMonths)
	assert.Equal(t, "gold", subs[0].Tier)
	assert.Equal(t, dealercrm.MustParseDate("2026-04-20"), subs[0].MembershipEnd)

	f.run(t, "2026-04-01")
	tk := f.task(t, lifecycle.KindGradeCare)
	assert.Equal(t, "2026-04-01", tk.Due.String())
	assert.Equal(t, crm.CustomerID("c1"), tk.CustomerID)
	tk = f.task(t, lifecycle.KindMembershipRenewal)
	assert.Equal(t, "2026-03-21", tk.Due.String())
}
