package lifecycle_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// A walk-in lead's first call, then its follow-up by cadence, on the
// consultant's list; the daily RunLeads finds nothing left to do.
func ExampleService_RunLeads() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC) // 15:00 in Shanghai
	clock := func() time.Time { return now }
	people := crm.NewService(memory.New(), crm.WithClock(clock))
	if _, err := people.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "上海浦东 4S 店"}); err != nil {
		panic(err)
	}
	lc, err := lifecycle.NewService(people, memory.NewTaskStore(), lifecycle.WithClock(clock))
	if err != nil {
		panic(err)
	}
	people.AddLeadWatchers(lc) // each change of a lead updates its tasks

	show := func(day string) {
		due, err := lc.DueOn(ctx, "SH01", dealercrm.MustParseDate(day), lifecycle.TaskFilter{AssigneeID: "S07"})
		if err != nil {
			panic(err)
		}
		for _, t := range due.Items {
			fmt.Println(day, t.Due, t.Kind, t.LeadID, t.Reason)
		}
	}
	if _, err := people.CreateLead(ctx, "SH01", crm.Lead{ID: "L1", Name: "李娜", Source: crm.SourceWalkIn, ConsultantID: "S07"}); err != nil {
		panic(err)
	}
	show("2026-03-03")
	now = now.Add(19 * time.Hour) // 10:00 on 03-03: the call, and the lead is A
	if _, err := people.LogFollowUp(ctx, "SH01", "L1", crm.FollowUp{StaffID: "S07", Channel: crm.ChannelPhone, Level: crm.LevelA}); err != nil {
		panic(err)
	}
	show("2026-03-07")
	r, err := lc.RunLeads(ctx, "SH01", dealercrm.MustParseDate("2026-03-03"))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", r)
	// Output:
	// 2026-03-03 2026-03-03 lead_follow_up L1 first call within 24 hours of the showroom visit on 2026-03-02
	// 2026-03-07 2026-03-07 lead_follow_up L1 level A lead last contacted on 2026-03-03: follow up every 4 days
	// {Date:2026-03-03 Leads:1 Created:0 Rescheduled:0 Closed:0 Overdue:0}
}
