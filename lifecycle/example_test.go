package lifecycle_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
)

// The delivery calls of SPEC §2.2 for a car delivered on 2026-01-28.
func ExamplePlanner_Evaluate() {
	pl, err := lifecycle.NewPlanner(lifecycle.DefaultPolicy(), nil)
	if err != nil {
		panic(err)
	}
	owner := crm.Customer{ID: "c1", Name: "王先生", ConsultantID: "S01", Consents: []crm.Consent{
		{Purpose: crm.PurposeSurvey, Channel: crm.ChannelPhone, Granted: true, At: time.Date(2026, 1, 28, 10, 0, 0, 0, time.UTC), Source: "contract"},
	}}
	s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "Lavida", Delivery: dealercrm.MustParseDate("2026-01-28"), Owner: &owner}
	ev := pl.Evaluate(&s, dealercrm.MustParseDate("2026-01-28"), 31)
	fmt.Println(ev.Stage.Stage)
	for _, t := range ev.Tasks {
		fmt.Println(t.Due, t.Kind, t.Channel, t.AssigneeID)
	}
	// Output:
	// honeymoon
	// 2026-01-29 one_on_one_visit visit S01
	// 2026-01-31 delivery_3dc phone S01
	// 2026-02-04 delivery_7dc phone S01
	// 2026-02-28 delivery_n_plus_1 phone S01
}

// Spring Festival and the working-day calendar.
func ExampleCalendar() {
	c := lifecycle.DefaultCalendar()
	l, _ := c.Lunar(2027)
	fmt.Println(l.SpringFest)
	fmt.Println(c.IsWorkingDay(dealercrm.MustParseDate("2026-02-28"))) // an adjusted working Saturday
	fmt.Println(c.NextWorkingDay(dealercrm.MustParseDate("2026-10-01")))
	// Output:
	// 2027-02-06
	// true
	// 2026-10-08
}

// A lunar birthday 农历生日: born on Mid-Autumn 1990 (lunar 8/15), the
// customer's birthday in 2026 is that year's Mid-Autumn.
func ExampleCalendar_LunarBirthdayIn() {
	c := lifecycle.DefaultCalendar()
	born := dealercrm.MustParseDate("1990-10-03")
	l, _ := c.ToLunar(born)
	fmt.Printf("lunar %d/%d\n", l.Month, l.Day)
	b, _ := c.LunarBirthdayIn(born, 2026)
	fmt.Println(b)
	// Output:
	// lunar 8/15
	// 2026-09-25
}

// ExampleAbnormalPolicy_Assess grades a quarterly customer who has been
// silent for seven months (seed 004: 濒临流失).
func ExampleAbnormalPolicy_Assess() {
	d := dealercrm.MustParseDate
	visit := func(day string) lifecycle.Visit {
		return lifecycle.Visit{Date: d(day), Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer}
	}
	s := lifecycle.Subject{VehicleID: "v1", Delivery: d("2023-01-10"),
		Visits: []lifecycle.Visit{visit("2025-03-01"), visit("2025-06-01"), visit("2025-09-01"), visit("2025-12-01")}}
	a := lifecycle.DefaultAbnormalPolicy().Assess(&s, d("2026-06-30"))
	fmt.Println(a.Activity, a.Class, a.MonthsSince)
	for _, x := range a.Abnormal {
		fmt.Println(x.Class, "-", x.Reason)
	}
	// Output:
	// at_risk B 6
	// near_churn - 211 days since the last visit on 2025-12-01, over 1.5 × the own cadence of 92 days
}

// ExampleComebackPolicy_Comebacks finds a comeback 返修: a repair six days
// and 400 km after a minor repair, within its statutory warranty of
// 2,000 km / 10 days.
func ExampleComebackPolicy_Comebacks() {
	d := dealercrm.MustParseDate
	s := lifecycle.Subject{VehicleID: "v1", Visits: []lifecycle.Visit{
		{OrderID: "o1", Date: d("2026-05-04"), KM: 30000, Kind: crm.ServiceRepair, Amount: decimal.NewFromInt(800)},
		{OrderID: "o2", Date: d("2026-05-10"), KM: 30400, Kind: crm.ServiceRepair, Amount: decimal.NewFromInt(300)},
	}}
	for _, c := range lifecycle.DefaultComebackPolicy().Comebacks(&s, d("2026-05-01"), d("2026-05-31")) {
		fmt.Println(c.OrderID, "of", c.Of, c.Class, c.Days, "days", c.KM, "km")
	}
	// Output:
	// o2 of o1 minor 6 days 400 km
}

// The grade_care rule: a grade-B customer (quarterly cadence) gets a call
// on the first working day of each quarter.
func ExamplePlanner_Evaluate_gradeCare() {
	pl, err := lifecycle.NewPlanner(lifecycle.DefaultPolicy(), nil)
	if err != nil {
		panic(err)
	}
	owner := crm.Customer{ID: "c1", Consents: []crm.Consent{
		{Purpose: crm.PurposeMarketing, Channel: crm.ChannelPhone, Granted: true, At: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
	}}
	s := lifecycle.Subject{VehicleID: "v1", Delivery: dealercrm.MustParseDate("2024-03-10"), Owner: &owner, Grade: "B", CadenceMonths: 3}
	ev := pl.Evaluate(&s, dealercrm.MustParseDate("2026-09-25"), 30)
	for _, t := range ev.Tasks {
		if t.Kind == lifecycle.KindGradeCare {
			fmt.Println(t.Due, t.Channel, t.OwnerRole)
		}
	}
	// Output:
	// 2026-07-01 phone cr
	// 2026-10-08 phone cr
}

// A customer's two insurance renewals worked as one call: the grouped
// call list shows them together, and an appointment recorded on the lead
// with CloseCovered closes both.
func ExampleService_CallGroups() {
	ctx := context.Background()
	now := time.Date(2026, 4, 30, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	cs := crm.NewService(memory.New(), crm.WithClock(func() time.Time { return now }))
	if _, err := cs.CreateDealer(ctx, crm.Dealer{ID: "d1", Name: "Shanghai 4S"}); err != nil {
		panic(err)
	}
	if _, err := cs.CreateCustomer(ctx, "d1", crm.Customer{ID: "c1", Record: crm.Record{DealerID: "d1"}, Name: "王先生", Mobile: "13912345678"}); err != nil {
		panic(err)
	}
	tasks := memory.NewTaskStore()
	lc, err := lifecycle.NewService(cs, tasks, lifecycle.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	due := dealercrm.MustParseDate("2026-04-30")
	var ts []lifecycle.Task
	for _, id := range []string{"compulsory", "commercial"} {
		ts = append(ts, lifecycle.Task{ID: lifecycle.TaskID(id), DealerID: "d1", Key: "insurance|" + id, Kind: lifecycle.KindInsuranceRenewal,
			CustomerID: "c1", Due: due, WindowEnd: due.AddDays(6), Channel: crm.ChannelPhone, OwnerRole: lifecycle.RoleCR,
			Reason: id + " policy ends 2026-05-30", Status: lifecycle.StatusOpen, CreatedAt: now, UpdatedAt: now})
	}
	if _, err := tasks.Apply(ctx, "d1", ts, nil); err != nil {
		panic(err)
	}
	groups, err := lc.CallGroups(ctx, "d1", due, lifecycle.TaskFilter{})
	if err != nil {
		panic(err)
	}
	g := groups.Items[0]
	fmt.Println(g.Tasks[0].CustomerName, g.Tasks[0].Mobile, g.Lead, g.Covers)
	done, _, err := lc.RecordCallOutcome(ctx, "d1", g.Lead, lifecycle.Outcome{Outcome: crm.OutcomeAppointment,
		AppointmentDate: dealercrm.MustParseDate("2026-05-06"), CloseCovered: true})
	if err != nil {
		panic(err)
	}
	for _, t := range done {
		fmt.Println(t.ID, t.Status, t.AppointmentDate)
	}
	// Output:
	// 王先生 13912345678 commercial [compulsory]
	// commercial done 2026-05-06
	// compulsory done 2026-05-06
}
