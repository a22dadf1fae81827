package lifecycle_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var date = dealercrm.MustParseDate

func planner(t testing.TB) *lifecycle.Planner {
	t.Helper()
	p, err := lifecycle.NewPlanner(lifecycle.DefaultPolicy(), nil)
	require.NoError(t, err)
	return p
}

// consenting returns a customer who consented to every purpose by every channel.
func consenting(id crm.CustomerID) *crm.Customer {
	c := &crm.Customer{ID: id, Name: "王先生", ConsultantID: "S01", AdvisorID: "A01"}
	for _, p := range crm.Purposes() {
		for _, ch := range crm.Channels() {
			c.Consents = append(c.Consents, crm.Consent{Purpose: p, Channel: ch, Granted: true, At: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Source: "contract"})
		}
	}
	return c
}

func dues(ev lifecycle.Evaluation, k lifecycle.Kind) []string {
	var out []string
	for _, t := range ev.Tasks {
		if t.Kind == k {
			out = append(out, t.Due.String())
		}
	}
	return out
}

// Worked examples of the issue (issue 3, "Done when") and SPEC §2.2.
func TestDefaultPlanWorkedExamples(t *testing.T) {
	pl := planner(t)
	t.Run("delivery 2026-01-28: 3DC 01-31, 7DC 02-04, N+1 month 02-28", func(t *testing.T) {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2026-01-28"), Owner: consenting("c1")}
		ev := pl.Evaluate(&s, date("2026-01-28"), 60)
		assert.Equal(t, []string{"2026-01-31"}, dues(ev, lifecycle.KindThankYou3DC))
		assert.Equal(t, []string{"2026-02-04"}, dues(ev, lifecycle.Kind7DC))
		assert.Equal(t, []string{"2026-02-28"}, dues(ev, lifecycle.KindNPlus1Month))
		assert.Equal(t, []string{"2026-01-29"}, dues(ev, lifecycle.KindOneOnOneVisit), "one-on-one visit within 30 days")
	})
	t.Run("delivery 2026-01-31 + 1 month is 02-28 (month-end clamping)", func(t *testing.T) {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2026-01-31"), Owner: consenting("c1")}
		ev := pl.Evaluate(&s, date("2026-01-31"), 60)
		assert.Equal(t, []string{"2026-02-28"}, dues(ev, lifecycle.KindNPlus1Month))
		s.Delivery = date("2028-01-31")
		ev = pl.Evaluate(&s, date("2028-01-31"), 60)
		assert.Equal(t, []string{"2028-02-29"}, dues(ev, lifecycle.KindNPlus1Month), "leap year")
	})
	t.Run("insurance ending 2026-09-30: reminders 08-01, 08-31, 09-23", func(t *testing.T) {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2025-09-30"), Owner: consenting("c1"),
			Policies: []lifecycle.PolicyTerm{{ID: "p1", Kind: crm.Commercial, Start: date("2025-10-01"), End: date("2026-09-30")}}}
		ev := pl.Evaluate(&s, date("2026-07-01"), 120)
		assert.Equal(t, []string{"2026-08-01", "2026-08-31", "2026-09-23"}, dues(ev, lifecycle.KindInsuranceRenewal))
	})
	t.Run("insurance renewed: no reminders, and says why", func(t *testing.T) {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Owner: consenting("c1"),
			Policies: []lifecycle.PolicyTerm{
				{ID: "p1", Kind: crm.Commercial, Start: date("2025-10-01"), End: date("2026-09-30")},
				{ID: "p2", Kind: crm.Commercial, Start: date("2026-10-01"), End: date("2027-09-30")}}}
		ev := pl.Evaluate(&s, date("2026-08-01"), 30)
		assert.Empty(t, dues(ev, lifecycle.KindInsuranceRenewal))
		assert.Contains(t, ev.Gone[lifecycle.KindInsuranceRenewal], "renewed by p2")
	})
	t.Run("first maintenance predicted from two readings", func(t *testing.T) {
		// 10 km on 2026-01-10, 1,210 km on 2026-02-09: 40 km/day; 5,000 km
		// is 3,790 km later, 94.75 → 95 days after 02-09 = 2026-05-15,
		// before delivery + 6 months (07-10); reminder −7 days = 05-08.
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2026-01-10"), Owner: consenting("c1"),
			Readings: []lifecycle.Reading{{Date: date("2026-01-10"), KM: 10}, {Date: date("2026-02-09"), KM: 1210}}}
		ev := pl.Evaluate(&s, date("2026-02-09"), 365)
		assert.InDelta(t, 40.0, ev.Usage.KMPerDay, 1e-9)
		got := dues(ev, lifecycle.KindFirstMaintenance)
		require.NotEmpty(t, got)
		assert.Equal(t, "2026-05-08", got[0])
		assert.Equal(t, []string{"2026-05-08", "2026-06-07", "2026-07-07", "2026-08-06", "2026-09-05", "2026-10-05", "2026-11-04", "2026-12-04", "2027-01-03"}, got, "every 30 days until delivery + 12 months")
	})
	t.Run("first maintenance by age when the car is barely driven", func(t *testing.T) {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2026-01-10"), Owner: consenting("c1"),
			Readings: []lifecycle.Reading{{Date: date("2026-01-10"), KM: 10}, {Date: date("2026-02-09"), KM: 310}}}
		ev := pl.Evaluate(&s, date("2026-02-09"), 200)
		assert.Equal(t, "2026-07-03", dues(ev, lifecycle.KindFirstMaintenance)[0], "delivery + 6 months (07-10) − 7 days")
	})
	t.Run("regular maintenance: at most 2 reminders", func(t *testing.T) {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2025-01-10"), Owner: consenting("c1"),
			Visits: []lifecycle.Visit{{OrderID: "o1", Date: date("2025-07-01"), KM: 5000, Kind: crm.ServiceFirstMaintenance}}}
		ev := pl.Evaluate(&s, date("2025-07-01"), 400)
		// default 40 km/day from one reading: 5,000 km in 125 days = 11-03, before 2026-01-01.
		assert.Equal(t, []string{"2025-10-27", "2025-11-26"}, dues(ev, lifecycle.KindMaintenance))
	})
	t.Run("post-service follow-up not by the job's advisor; complaint follow-up", func(t *testing.T) {
		c := consenting("c1")
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Owner: c,
			Visits:     []lifecycle.Visit{{OrderID: "o1", Date: date("2026-03-01"), Closed: date("2026-03-02"), Kind: crm.ServiceRepair, AdvisorID: "A01"}},
			Complaints: []lifecycle.ComplaintFact{{ID: "k1", Opened: date("2026-03-03"), Resolved: date("2026-03-05")}}}
		ev := pl.Evaluate(&s, date("2026-03-06"), 10)
		var post lifecycle.Task
		for _, tk := range ev.Tasks {
			if tk.Kind == lifecycle.KindPostService {
				post = tk
			}
		}
		assert.Equal(t, "2026-03-04", post.Due.String(), "closed + 2 days")
		assert.Equal(t, "2026-03-06", post.WindowEnd.String(), "window 3 days")
		assert.Equal(t, crm.StaffID("A01"), post.ExcludedStaffID)
		assert.Equal(t, lifecycle.RoleCR, post.OwnerRole)
		assert.Equal(t, []string{"2026-03-06"}, dues(ev, lifecycle.KindComplaintFollowUp))
	})
	t.Run("warranty expiry and annual inspection (2022 reform, shifted to a working day)", func(t *testing.T) {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2024-01-15"), Registration: date("2024-01-20"), Owner: consenting("c1")}
		ev := pl.Evaluate(&s, date("2025-10-01"), 500)
		assert.Equal(t, []string{"2026-12-16"}, dues(ev, lifecycle.KindWarrantyExpiry), "delivery + 36 months − 30 days")
		// year 2: 2026-01-20 − 90 days = 2025-10-22 (a Wednesday).
		assert.Equal(t, []string{"2025-10-22"}, dues(ev, lifecycle.KindAnnualInspection))
		s.Registration = date("2024-01-09") // 2026-01-09 − 90 = 2025-10-11: an adjusted working Saturday (调休)
		ev = pl.Evaluate(&s, date("2025-10-01"), 500)
		assert.Equal(t, []string{"2025-10-11"}, dues(ev, lifecycle.KindAnnualInspection))
		s.Registration = date("2024-01-08") // 2025-10-10 is a Friday
		ev = pl.Evaluate(&s, date("2025-10-01"), 500)
		assert.Equal(t, []string{"2025-10-10"}, dues(ev, lifecycle.KindAnnualInspection))
		s.Registration = date("2024-01-01") // 2025-10-03 is in the National Day holiday → 10-09
		ev = pl.Evaluate(&s, date("2025-09-01"), 500)
		assert.Equal(t, []string{"2025-10-09"}, dues(ev, lifecycle.KindAnnualInspection))
	})
	t.Run("birthday care, 29 February in a common year", func(t *testing.T) {
		c := consenting("c1")
		c.Birthday = date("1988-02-29")
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Owner: c}
		ev := pl.Evaluate(&s, date("2027-01-01"), 90)
		assert.Equal(t, []string{"2027-02-27"}, dues(ev, lifecycle.KindBirthdayCare), "celebrated 02-28, care the day before")
		ev = pl.Evaluate(&s, date("2028-01-01"), 90)
		assert.Equal(t, []string{"2028-02-28"}, dues(ev, lifecycle.KindBirthdayCare), "leap year: 02-29 − 1")
	})
	t.Run("holiday care on the lunar holidays", func(t *testing.T) {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Owner: consenting("c1")}
		ev := pl.Evaluate(&s, date("2027-01-01"), 300)
		assert.Equal(t, []string{"2026-12-31", "2027-02-05", "2027-04-30", "2027-06-08", "2027-09-14", "2027-09-30"}, dues(ev, lifecycle.KindHolidayCare))
	})
	t.Run("no consent: no task, and says why", func(t *testing.T) {
		c := consenting("c1")
		c.Consents = nil
		s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2026-01-28"), Owner: c}
		ev := pl.Evaluate(&s, date("2026-01-28"), 60)
		assert.Empty(t, dues(ev, lifecycle.KindThankYou3DC))
		assert.Contains(t, ev.Gone[lifecycle.KindThankYou3DC], "no consent for survey")
		assert.Equal(t, []string{"2026-01-29"}, dues(ev, lifecycle.KindOneOnOneVisit), "a visit needs no consent")
	})
}

func TestStages(t *testing.T) {
	p := lifecycle.DefaultStagePolicy()
	d := date("2024-01-15")
	for _, tc := range []struct {
		name  string
		in    lifecycle.StageInput
		asOf  string
		stage lifecycle.Stage
		by    lifecycle.Decider
	}{
		{"new car", lifecycle.StageInput{Delivery: d, KM: 800}, "2024-03-01", lifecycle.StageHoneymoon, lifecycle.ByNone},
		{"first maintenance done", lifecycle.StageInput{Delivery: d, KM: 4800, FirstMaintenance: date("2024-05-01")}, "2024-05-02", lifecycle.StageEarlyUse, lifecycle.ByFirstMaintenance},
		{"6 months without first maintenance", lifecycle.StageInput{Delivery: d, KM: 3000}, "2024-07-15", lifecycle.StageEarlyUse, lifecycle.ByAge},
		{"5,000 km before 6 months", lifecycle.StageInput{Delivery: d, KM: 5000}, "2024-04-01", lifecycle.StageEarlyUse, lifecycle.ByOdometer},
		{"50,000 km before 2 years", lifecycle.StageInput{Delivery: d, KM: 52000, FirstMaintenance: date("2024-04-01")}, "2025-06-01", lifecycle.StageWarrantyMidLate, lifecycle.ByOdometer},
		{"2 years", lifecycle.StageInput{Delivery: d, KM: 20000, FirstMaintenance: date("2024-04-01")}, "2026-01-15", lifecycle.StageWarrantyMidLate, lifecycle.ByAge},
		{"100,000 km", lifecycle.StageInput{Delivery: d, KM: 100000}, "2026-01-01", lifecycle.StagePostWarranty, lifecycle.ByOdometer},
		{"3 years", lifecycle.StageInput{Delivery: d, KM: 30000}, "2027-01-15", lifecycle.StagePostWarranty, lifecycle.ByAge},
		{"6 years", lifecycle.StageInput{Delivery: d, KM: 30000}, "2030-01-15", lifecycle.StageRepurchase, lifecycle.ByAge},
		{"open replacement lead", lifecycle.StageInput{Delivery: d, KM: 30000, OpenRepurchaseLead: true}, "2025-01-15", lifecycle.StageRepurchase, lifecycle.ByLead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Classify(tc.in, date(tc.asOf))
			assert.Equal(t, tc.stage, r.Stage, r.Reason)
			assert.Equal(t, tc.by, r.Decider, r.Reason)
			assert.NotEmpty(t, r.Reason)
		})
	}
	p.WarrantyByModel = map[string]lifecycle.Limit{"Brand/Long": {Months: 60, KM: 150000}}
	r := p.Classify(lifecycle.StageInput{Brand: "Brand", Model: "Long", Delivery: d, KM: 110000}, date("2027-06-01"))
	assert.Equal(t, lifecycle.StageWarrantyMidLate, r.Stage, "a per-model warranty of 5 years / 150,000 km")
}

func TestPolicyValidation(t *testing.T) {
	require.NoError(t, lifecycle.DefaultPolicy().Validate())
	for _, tc := range []struct {
		name  string
		edit  func(*lifecycle.Policy)
		field string
		rule  string
	}{
		{"negative offset after delivery", func(p *lifecycle.Policy) { p.Rules[0].Offsets = []lifecycle.Offset{{Days: -3}} }, "rules[0].offsets[0]", lifecycle.RuleNegative},
		{"unknown anchor", func(p *lifecycle.Policy) { p.Rules[1].Anchor = "moon_phase" }, "rules[1].anchor", lifecycle.RuleAnchor},
		{"overlapping stage limits", func(p *lifecycle.Policy) { p.Stages.EarlyUse.Months = 6 }, "stages.early_use.months", lifecycle.RuleOverlap},
		{"early use km below honeymoon", func(p *lifecycle.Policy) { p.Stages.EarlyUse.KM = 4000 }, "stages.early_use.km", lifecycle.RuleOverlap},
		{"warranty below statutory", func(p *lifecycle.Policy) { p.Stages.Warranty = lifecycle.Limit{Months: 30, KM: 50001} }, "stages.warranty", lifecycle.RuleStatutory},
		{"repurchase before warranty end", func(p *lifecycle.Policy) { p.Stages.RepurchaseMonths = 30 }, "stages.repurchase_months", lifecycle.RuleOverlap},
		{"zero window", func(p *lifecycle.Policy) { p.Rules[2].WindowDays = 0 }, "rules[2].window_days", lifecycle.RuleRange},
		{"duplicate kind", func(p *lifecycle.Policy) { p.Rules[3].Kind = p.Rules[2].Kind }, "rules[3].kind", lifecycle.RuleDuplicate},
		{"unknown channel", func(p *lifecycle.Policy) { p.Rules[0].Channels = []crm.Channel{"pigeon"} }, "rules[0].channels[0]", crm.RuleEnum},
		{"negative catch-up", func(p *lifecycle.Policy) { p.CatchUpDays = -1 }, "catch_up_days", lifecycle.RuleNegative},
		{"odometer default", func(p *lifecycle.Policy) { p.Odometer.DefaultKMPerDay = 0 }, "odometer.default_km_per_day", lifecycle.RuleRange},
		{"offsets out of order", func(p *lifecycle.Policy) {
			p.Rules[8].Offsets = []lifecycle.Offset{{Days: -7}, {Days: -30}}
		}, "rules[8].offsets[1]", lifecycle.RuleOverlap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := lifecycle.DefaultPolicy()
			tc.edit(&p)
			err := p.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, dealercrm.ErrInvalid)
			var ve *crm.ValidationError
			require.True(t, errors.As(err, &ve))
			assert.True(t, ve.Has(tc.field, tc.rule), "want %s/%s in %v", tc.field, tc.rule, err)
			_, err = lifecycle.NewPlanner(p, nil)
			assert.Error(t, err, "NewPlanner rejects it too")
		})
	}
}

func TestOdometerUsage(t *testing.T) {
	p := lifecycle.DefaultOdometerPolicy()
	u := p.Usage([]lifecycle.Reading{{Date: date("2026-01-01"), KM: 100}, {Date: date("2026-01-11"), KM: 600}, {Date: date("2026-01-21"), KM: 300}, {Date: date("2026-01-22"), KM: 90000}, {Date: date("2026-01-31"), KM: 1600}})
	assert.InDelta(t, 50.0, u.KMPerDay, 1e-9, "(1600 − 100) / 30 days")
	assert.False(t, u.Estimated)
	require.Len(t, u.Ignored, 2)
	assert.Contains(t, u.Ignored[0], "below 600 km")
	assert.Contains(t, u.Ignored[1], "more than 1000 km/day")
	one := p.Usage([]lifecycle.Reading{{Date: date("2026-01-01"), KM: 100}})
	assert.True(t, one.Estimated)
	assert.Equal(t, 40.0, one.KMPerDay)
}
