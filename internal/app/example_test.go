package app_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/dealercrm/dealercrm/jobs"
)

// ExampleNew wires every service on in-memory stores and runs a dealer's
// daily jobs: the same wiring serves cmd/dealercrm and the example server.
func ExampleNew() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC) }
	a, err := app.New(memory.NewStores(), app.Options{Now: now})
	if err != nil {
		panic(err)
	}
	d, err := a.CRM.CreateDealer(ctx, crm.Dealer{ID: "sh01", Name: "上海浦东店"})
	if err != nil {
		panic(err)
	}
	for _, j := range a.Jobs[:3] {
		runs, err := jobs.RunDay(ctx, a.Stores.Jobs, j, d, d.Today(now()), 0)
		if err != nil {
			panic(err)
		}
		fmt.Println(runs[0].Kind, runs[0].Day, runs[0].Status)
	}
	// Output:
	// lifecycle 2026-12-04 done
	// lead_followups 2026-12-04 done
	// points_expiry 2026-12-04 done
}
