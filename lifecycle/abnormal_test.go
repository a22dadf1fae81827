package lifecycle_test

import (
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// visit builds a visit at dealer d1 (own store) unless dealer is given.
func visit(d string, kind crm.ServiceKind, payer crm.Payer, dealer ...crm.DealerID) lifecycle.Visit {
	v := lifecycle.Visit{OrderID: crm.ServiceOrderID("o" + d), Date: date(d), Kind: kind, Payer: payer}
	if len(dealer) > 0 {
		v.DealerID = dealer[0]
	}
	return v
}

func maint(d string) lifecycle.Visit  { return visit(d, crm.ServiceMaintenance, crm.PayerCustomer) }
func repair(d string) lifecycle.Visit { return visit(d, crm.ServiceRepair, crm.PayerCustomer) }

func classes(a lifecycle.Assessment) []lifecycle.AbnormalClass {
	out := []lifecycle.AbnormalClass{}
	for _, x := range a.Abnormal {
		out = append(out, x.Class)
	}
	return out
}

func TestMonthsBetween(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"2026-01-31", "2026-02-28", 1}, {"2025-12-01", "2026-06-30", 6}, {"2025-12-01", "2026-05-31", 5}, {"2026-06-30", "2026-06-30", 0}, {"2026-07-01", "2026-06-30", 0}, {"2023-01-01", "2026-06-30", 41}} {
		assert.Equal(t, c.want, lifecycle.MonthsBetween(date(c.a), date(c.b)), "%s → %s", c.a, c.b)
	}
}

// TestAssessWorkedExamples checks activity, service class and the abnormal
// classes of seed 004 (濒临流失, 长期未入库, 曾抱怨或投诉, 只维修不保养)
// with the SPEC §2.3 defaults, on hand-built histories, as of 2026-06-30
// unless the case says otherwise.
func TestAssessWorkedExamples(t *testing.T) {
	pol := lifecycle.DefaultAbnormalPolicy()
	paidOnly := pol
	paidOnly.PaidOnly = true
	none := []lifecycle.AbnormalClass{}
	cases := []struct {
		name     string
		pol      lifecycle.AbnormalPolicy
		asOf     string
		s        lifecycle.Subject
		activity lifecycle.Activity
		class    lifecycle.ServiceClass
		abnormal []lifecycle.AbnormalClass
		cadence  float64
	}{
		{name: "five paid visits in 12 months: active, class A, cadence 76 days, 29 days since",
			s:        lifecycle.Subject{Delivery: date("2024-01-10"), Visits: []lifecycle.Visit{maint("2025-08-01"), maint("2025-10-01"), repair("2026-01-05"), maint("2026-04-01"), maint("2026-06-01")}},
			activity: lifecycle.ActivityActive, class: lifecycle.ClassA, abnormal: none, cadence: 76},
		{name: "quarterly customer silent 211 days > 1.5 × 91.7: near-churn, at risk after 6 months, two paid visits in 12 months: B",
			s:        lifecycle.Subject{Delivery: date("2023-01-10"), Visits: []lifecycle.Visit{maint("2025-03-01"), maint("2025-06-01"), maint("2025-09-01"), maint("2025-12-01")}},
			activity: lifecycle.ActivityAtRisk, class: lifecycle.ClassB, abnormal: []lifecycle.AbnormalClass{lifecycle.NearChurn}, cadence: 275.0 / 3},
		{name: "last visit 13 months ago: lost, long-absent, no paid visit for over a year: D; the old repair is outside 12 months",
			s:        lifecycle.Subject{Delivery: date("2020-05-01"), Visits: []lifecycle.Visit{repair("2025-05-15")}},
			activity: lifecycle.ActivityLost, class: lifecycle.ClassD, abnormal: []lifecycle.AbnormalClass{lifecycle.LongAbsent}},
		{name: "never back since delivery 41 months ago: deep-lost pool, long-absent, D",
			s:        lifecycle.Subject{Delivery: date("2023-01-01")},
			activity: lifecycle.ActivityDeepLost, class: lifecycle.ClassD, abnormal: []lifecycle.AbnormalClass{lifecycle.LongAbsent}},
		{name: "delivered 3 months ago, no visit: active and too new to class",
			s:        lifecycle.Subject{Delivery: date("2026-03-20")},
			activity: lifecycle.ActivityActive, class: "", abnormal: none},
		{name: "warranty and insurer-paid visits are not paid: one paid maintenance is C; three visits 29.5 days apart, 112 days since: near-churn",
			s: lifecycle.Subject{Delivery: date("2024-06-01"), Visits: []lifecycle.Visit{visit("2026-01-10", crm.ServiceWarranty, crm.PayerManufacturer),
				visit("2026-02-10", crm.ServiceAccident, crm.PayerInsurer), maint("2026-03-10")}},
			activity: lifecycle.ActivityActive, class: lifecycle.ClassC, abnormal: []lifecycle.AbnormalClass{lifecycle.NearChurn}, cadence: 29.5},
		{name: "two repairs and no maintenance in 12 months: repair-only, B",
			s:        lifecycle.Subject{Delivery: date("2022-01-01"), Visits: []lifecycle.Visit{maint("2025-05-01"), repair("2025-09-01"), repair("2026-03-01")}},
			activity: lifecycle.ActivityActive, class: lifecycle.ClassB, abnormal: []lifecycle.AbnormalClass{lifecycle.RepairOnly}, cadence: 152},
		{name: "complaint 2026-02-03 after the last visit, none since: complained",
			s: lifecycle.Subject{Delivery: date("2024-01-01"), Visits: []lifecycle.Visit{maint("2026-02-01")},
				Complaints: []lifecycle.ComplaintFact{{ID: "k1", Opened: date("2026-02-03"), Resolved: date("2026-02-10")}}},
			activity: lifecycle.ActivityActive, class: lifecycle.ClassC, abnormal: []lifecycle.AbnormalClass{lifecycle.Complained}},
		{name: "complaint followed by a visit: not complained",
			s: lifecycle.Subject{Delivery: date("2024-01-01"), Visits: []lifecycle.Visit{maint("2026-02-01"), maint("2026-04-01")},
				Complaints: []lifecycle.ComplaintFact{{ID: "k1", Opened: date("2026-02-03")}}},
			activity: lifecycle.ActivityActive, class: lifecycle.ClassB, abnormal: none},
		{name: "as of 2026-03-01 the 2026-04-01 visit is unknown: complained",
			asOf: "2026-03-01",
			s: lifecycle.Subject{Delivery: date("2024-01-01"), Visits: []lifecycle.Visit{maint("2026-02-01"), maint("2026-04-01")},
				Complaints: []lifecycle.ComplaintFact{{ID: "k1", Opened: date("2026-02-03")}}},
			activity: lifecycle.ActivityActive, class: lifecycle.ClassC, abnormal: []lifecycle.AbnormalClass{lifecycle.Complained}},
		{name: "complaint 7 months ago is outside the 6-month window",
			s: lifecycle.Subject{Delivery: date("2024-01-01"), Visits: []lifecycle.Visit{maint("2025-11-20")},
				Complaints: []lifecycle.ComplaintFact{{ID: "k1", Opened: date("2025-11-25")}}},
			activity: lifecycle.ActivityAtRisk, class: lifecycle.ClassC, abnormal: none},
		{name: "a complaint during the last visit (service order flag): complained",
			s: lifecycle.Subject{Delivery: date("2024-01-01"), Visits: []lifecycle.Visit{func() lifecycle.Visit {
				v := maint("2026-05-01")
				v.Complaint = true
				return v
			}()}},
			activity: lifecycle.ActivityActive, class: lifecycle.ClassC, abnormal: []lifecycle.AbnormalClass{lifecycle.Complained}},
		{name: "serviced at sister store d2 after the last visit here: near-churn; the sister visit counts for nothing else",
			s: lifecycle.Subject{DealerID: "d1", Delivery: date("2023-01-01"), Visits: []lifecycle.Visit{
				visit("2025-10-01", crm.ServiceMaintenance, crm.PayerCustomer, "d1"), visit("2026-04-01", crm.ServiceMaintenance, crm.PayerCustomer, "d2")}},
			activity: lifecycle.ActivityAtRisk, class: lifecycle.ClassC, abnormal: []lifecycle.AbnormalClass{lifecycle.NearChurn}},
		{name: "default policy: a warranty visit counts for activity",
			s:        lifecycle.Subject{Delivery: date("2023-01-01"), Visits: []lifecycle.Visit{maint("2025-05-01"), visit("2026-05-01", crm.ServiceWarranty, crm.PayerManufacturer)}},
			activity: lifecycle.ActivityActive, class: lifecycle.ClassD, abnormal: []lifecycle.AbnormalClass{lifecycle.RepairOnly}},
		{name: "paid only: the warranty visit does not, last paid visit 14 months ago: lost, long-absent",
			pol:      paidOnly,
			s:        lifecycle.Subject{Delivery: date("2023-01-01"), Visits: []lifecycle.Visit{maint("2025-05-01"), visit("2026-05-01", crm.ServiceWarranty, crm.PayerManufacturer)}},
			activity: lifecycle.ActivityLost, class: lifecycle.ClassD, abnormal: []lifecycle.AbnormalClass{lifecycle.LongAbsent, lifecycle.RepairOnly}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.pol
			if p == (lifecycle.AbnormalPolicy{}) {
				p = pol
			}
			asOf := "2026-06-30"
			if c.asOf != "" {
				asOf = c.asOf
			}
			a := p.Assess(&c.s, date(asOf))
			assert.Equal(t, c.activity, a.Activity, "activity")
			assert.Equal(t, c.class, a.Class, "service class")
			assert.Equal(t, c.abnormal, classes(a), "abnormal classes: %+v", a.Abnormal)
			assert.InDelta(t, c.cadence, a.CadenceDays, 0.01, "own cadence")
			for _, x := range a.Abnormal {
				assert.NotEmpty(t, x.Reason, "every class is explained")
			}
		})
	}
}

func TestAbnormalPolicyValidation(t *testing.T) {
	p := lifecycle.DefaultPolicy()
	p.Abnormal.ClassAVisits = 2
	p.Abnormal.RenewalBase = "some"
	p.Abnormal.CadenceMinVisits = 1
	err := p.Validate()
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	assert.Subset(t, fields, []string{"abnormal.class_a_visits", "abnormal.renewal_base", "abnormal.cadence_min_visits"})
}

// kpiSubjects is the worked KPI example of TestKPIsWorkedNumbers.
func kpiSubjects() []lifecycle.Subject {
	sub := func(id crm.VehicleID, delivery string, sold bool, vs ...lifecycle.Visit) lifecycle.Subject {
		s := lifecycle.Subject{DealerID: "d1", VehicleID: id, SoldHere: sold, Visits: vs}
		if delivery != "" {
			s.Delivery = date(delivery)
		}
		return s
	}
	term := func(id crm.PolicyID, start, end string) lifecycle.PolicyTerm {
		return lifecycle.PolicyTerm{ID: id, Kind: crm.Commercial, Start: date(start), End: date(end)}
	}
	v1 := sub("v1", "2023-05-01", true, maint("2025-12-10"), maint("2026-03-05"))
	v1.Policies = []lifecycle.PolicyTerm{term("p1", "2025-04-01", "2026-03-31"), term("p2", "2026-04-01", "2027-03-31")}
	v2 := sub("v2", "", false, maint("2025-12-20"))
	v2.Policies = []lifecycle.PolicyTerm{term("p3", "2025-06-01", "2026-05-31")}
	v4 := sub("v4", "", false, maint("2025-11-30"))
	v4.Policies = []lifecycle.PolicyTerm{term("p4", "2025-10-01", "2026-09-30")}
	v7 := sub("v7", "2025-03-31", true)
	v7.Policies = []lifecycle.PolicyTerm{term("p5", "2025-05-01", "2026-04-30")}
	return []lifecycle.Subject{v1, v2,
		sub("v3", "", false, maint("2025-12-05"), maint("2026-07-02")),
		v4,
		sub("v5", "", false, visit("2025-12-15", crm.ServiceMaintenance, crm.PayerCustomer, "d2")),
		sub("v6", "2025-02-15", true, visit("2025-08-01", crm.ServiceFirstMaintenance, crm.PayerDealer)),
		v7,
		sub("v8", "2025-08-01", true),
	}
}

// TestKPIsWorkedNumbers checks each KPI formula of SPEC §2.3 (and the
// package docs) over 2026-01-01…2026-06-30 on eight hand-built vehicles.
func TestKPIsWorkedNumbers(t *testing.T) {
	pl := planner(t)
	k := pl.KPIs(kpiSubjects(), date("2026-01-01"), date("2026-06-30"))
	assert.Equal(t, "2026-06", k.ChurnMonth)
	// Month N−6 = 2025-12: v1, v2, v3 (v4 came in November, v5's visit is
	// at sister store d2); v2 and v3 did not return in 2026-01…06 (v3's
	// 2026-07-02 visit is after the period): 2/3.
	assert.Equal(t, lifecycle.Rate{Numerator: 2, Denominator: 3, Rate: 0.6667}, k.Churn, "churn")
	// Base: visited or delivered in 2025-01-01…2025-12-31: v1, v2, v3, v4,
	// v6, v7, v8; only v1 came back in the period: 1/7.
	assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 7, Rate: 0.1429}, k.Retention, "retention 回厂率")
	// First-service window (12 months, 首保流失) closes in the period for
	// v6 (2026-02-15, first maintenance done 2025-08-01) and v7
	// (2026-03-31, never came): 1/2.
	assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 2, Rate: 0.5}, k.FirstMaintenance, "first maintenance 首保回厂率")
	// Policies falling due: p1 (renewed by p2), p3, p5: 1/3.
	assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 3, Rate: 0.3333}, k.Renewal, "renewal 续保率, all due")
	// Sold here: v1, v6, v7, v8; visited in 2025-07-01…2026-06-30: v1, v6: 2/4.
	assert.Equal(t, lifecycle.Rate{Numerator: 2, Denominator: 4, Rate: 0.5}, k.Capture, "capture 自店客户掌握率")
	// The churn series, month by month. Visit months: v1 2025-12 and
	// 2026-03, v2 and v3 2025-12, v4 2025-11, v6 2025-08 (v5's is at a
	// sister store). 2026-02: base 2025-08 = v6, not back by 2026-02;
	// 2026-05: base 2025-11 = v4, not back; 2026-06 is Churn.
	assert.Equal(t, []lifecycle.MonthRate{
		{Month: "2026-01", Rate: lifecycle.Rate{}},
		{Month: "2026-02", Rate: lifecycle.Rate{Numerator: 1, Denominator: 1, Rate: 1}},
		{Month: "2026-03", Rate: lifecycle.Rate{}},
		{Month: "2026-04", Rate: lifecycle.Rate{}},
		{Month: "2026-05", Rate: lifecycle.Rate{Numerator: 1, Denominator: 1, Rate: 1}},
		{Month: "2026-06", Rate: k.Churn},
	}, k.ChurnByMonth, "churn by month")
	// One workshop job in the period (v1's maintenance), no comeback.
	assert.Equal(t, lifecycle.Rate{Numerator: 0, Denominator: 1, Rate: 0}, k.Comebacks, "comebacks 返修率")

	p := lifecycle.DefaultPolicy()
	p.Abnormal.RenewalBase = lifecycle.RenewalActiveDue
	pl2, err := lifecycle.NewPlanner(p, nil)
	require.NoError(t, err)
	k = pl2.KPIs(kpiSubjects(), date("2026-01-01"), date("2026-06-30"))
	// v7 never visited: p5 leaves the denominator: 1/2.
	assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 2, Rate: 0.5}, k.Renewal, "renewal 续保率, active base")
}

func TestAbnormalReportCounts(t *testing.T) {
	r := lifecycle.DefaultAbnormalPolicy().Report(kpiSubjects(), date("2026-06-30"), []lifecycle.AbnormalClass{lifecycle.NearChurn})
	assert.Equal(t, 8, r.Vehicles)
	require.Len(t, r.Items, 1, "only v5 (sister store d2) is near-churn")
	assert.Equal(t, crm.VehicleID("v5"), r.Items[0].VehicleID)
	assert.Equal(t, 1, r.Abnormal[lifecycle.NearChurn])
	assert.Equal(t, dealercrm.Date{}, r.Items[0].LastVisit, "no visit here")
}

// TestComebacksWorkedExamples checks comebacks 返修 (SPEC §2.3) against
// the statutory quality warranties: major 20,000 km / 100 days, level-2
// maintenance 5,000 km / 30 days, minor 2,000 km / 10 days.
func TestComebacksWorkedExamples(t *testing.T) {
	job := func(id, d string, kind crm.ServiceKind, km int64, amount int64) lifecycle.Visit {
		return lifecycle.Visit{OrderID: crm.ServiceOrderID(id), Date: date(d), Kind: kind, Payer: crm.PayerCustomer, KM: km, Amount: decimal.NewFromInt(amount)}
	}
	r1 := job("r1", "2026-02-01", crm.ServiceRepair, 30000, 6000) // ≥ 5,000 CNY: major
	r1.Closed = date("2026-02-03")
	s := lifecycle.Subject{DealerID: "d1", VehicleID: "v9", Visits: []lifecycle.Visit{
		r1,
		job("m1", "2026-03-01", crm.ServiceMaintenance, 31000, 600),
		job("r2", "2026-03-20", crm.ServiceRepair, 31500, 800),
		job("r3", "2026-04-25", crm.ServiceWarranty, 33000, 300),
		job("a1", "2026-05-01", crm.ServiceAccident, 33100, 0),
		job("r4", "2026-06-01", crm.ServiceRepair, 60000, 900),
		job("r5", "2026-06-05", crm.ServiceRepair, 60100, 200),
		job("r6", "2026-06-08", crm.ServiceRepair, 63000, 200),
		job("x1", "2026-06-09", crm.ServiceRepair, 63010, 200),
	}}
	s.Visits[8].DealerID = "d2" // at a sister store: not ours
	p := lifecycle.DefaultComebackPolicy()
	got := p.Comebacks(&s, date("2026-01-01"), date("2026-06-30"))
	type cb struct {
		order, of string
		class     lifecycle.RepairClass
		days      int
		km        int64
	}
	var brief []cb
	for _, c := range got {
		brief = append(brief, cb{string(c.OrderID), string(c.Of), c.Class, c.Days, c.KM})
	}
	assert.Equal(t, []cb{
		// 19 days and 500 km after the maintenance (level-2: 30 days / 5,000 km).
		{"r2", "m1", lifecycle.RepairLevel2, 19, 500},
		// r2 (minor, 36 days) and m1 (55 days) are out of term; the major
		// repair r1 closed on 02-03 covers 81 days and 3,000 km.
		{"r3", "r1", lifecycle.RepairMajor, 81, 3000},
		// r4: 118 days after r1, past every term; r5 is 4 days and 100 km
		// after r4 (minor: 10 days / 2,000 km).
		{"r5", "r4", lifecycle.RepairMinor, 4, 100},
		// r6: 2,900 km after r5 and 3,000 after r4, over the minor term's
		// 2,000 km; accident a1 is new damage, never a comeback.
	}, brief)
	assert.Equal(t, "repair r2 on 2026-03-20 came back 19 days and 500 km after level2 job m1 closed on 2026-03-01, within its warranty of 5000 km / 30 days", got[0].Reason)

	k := planner(t).KPIs([]lifecycle.Subject{s}, date("2026-01-01"), date("2026-06-30"))
	// Eight jobs here in the period (x1 is at the sister store), three comebacks.
	assert.Equal(t, lifecycle.Rate{Numerator: 3, Denominator: 8, Rate: 0.375}, k.Comebacks)

	s.Visits[2].KM = 0 // no reading: the 30 days alone decide
	got = p.Comebacks(&s, date("2026-03-20"), date("2026-03-20"))
	require.Len(t, got, 1)
	assert.Equal(t, int64(-1), got[0].KM)
}

func TestComebackPolicyValidation(t *testing.T) {
	p := lifecycle.DefaultPolicy()
	p.Comebacks.Minor.KM = 0
	p.Comebacks.MaintenanceClass = "overhaul"
	p.Comebacks.MajorAmount = decimal.NewFromInt(-1)
	_, err := lifecycle.NewPlanner(p, nil)
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	fields := map[string]string{}
	for _, f := range ve.Fields {
		fields[f.Field] = f.Rule
	}
	assert.Equal(t, map[string]string{"comebacks.minor": lifecycle.RuleRange, "comebacks.maintenance_class": crm.RuleEnum,
		"comebacks.major_amount": lifecycle.RuleNegative}, fields)
}

// TestStatuses reads every vehicle's stage and assessment through the
// service: a honeymoon car and a long-absent one.
func TestStatuses(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2026-01-20")
	f.customer(t, "c2")
	_, err := f.crm.CreateVehicle(f.ctx, "d1", crm.Vehicle{ID: "v2", Record: crm.Record{DealerID: "d1"}, VIN: "1M8GDM9AXKP042788", Model: "Lavida",
		OwnerID: "c2", DeliveryDate: date("2023-05-10"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)
	var got []lifecycle.VehicleStatus
	require.NoError(t, f.svc.Statuses(f.ctx, "d1", date("2026-03-01"), func(s *lifecycle.VehicleStatus) error {
		got = append(got, *s)
		return nil
	}))
	require.Len(t, got, 2)
	assert.Equal(t, crm.VehicleID("v1"), got[0].VehicleID)
	assert.Equal(t, lifecycle.StageHoneymoon, got[0].Stage.Stage)
	assert.Equal(t, lifecycle.ActivityActive, got[0].Activity)
	assert.Equal(t, crm.CustomerID("c2"), got[1].CustomerID)
	assert.Equal(t, lifecycle.StageWarrantyMidLate, got[1].Stage.Stage, "2 years 9 months: past 三包, within the warranty")
	assert.True(t, got[1].Has(lifecycle.LongAbsent), "%+v", got[1].Abnormal)
	assert.NotEmpty(t, got[1].Stage.Reason)

	stop := errors.New("stop")
	n := 0
	err = f.svc.Statuses(f.ctx, "d1", date("2026-03-01"), func(*lifecycle.VehicleStatus) error { n++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
	var ve *crm.ValidationError
	assert.ErrorAs(t, f.svc.Statuses(f.ctx, "d1", dealercrm.Date{}, func(*lifecycle.VehicleStatus) error { return nil }), &ve)
}
