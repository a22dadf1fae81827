package jobs_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
)

// A scheduler over one Shanghai dealer, down for two days: one tick runs
// the missed days in order, each as of itself, and records them.
func ExampleScheduler() {
	ctx := context.Background()
	runs := memory.NewRunStore()
	now := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	followUps := jobs.Job{Kind: jobs.Lifecycle, Run: func(_ context.Context, dealer crm.DealerID, day dealercrm.Date) (jobs.Counts, error) {
		fmt.Println("lifecycle run of", dealer, "as of", day)
		return jobs.Counts{"tasks_created": 3}, nil
	}}
	s, err := jobs.NewScheduler([]jobs.Job{followUps}, dealers{{ID: "d1", TimeZone: "Asia/Shanghai"}}, runs,
		jobs.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	if err := s.Tick(ctx); err != nil {
		panic(err)
	}
	now = now.Add(72 * time.Hour)
	if err := s.Tick(ctx); err != nil {
		panic(err)
	}
	page, err := s.Runs(ctx, "d1", jobs.RunFilter{Kind: jobs.Lifecycle})
	if err != nil {
		panic(err)
	}
	for _, r := range page.Items {
		fmt.Println(r.Day, r.Status, r.Counts["tasks_created"])
	}
	// Output:
	// lifecycle run of d1 as of 2026-03-01
	// lifecycle run of d1 as of 2026-03-02
	// lifecycle run of d1 as of 2026-03-03
	// lifecycle run of d1 as of 2026-03-04
	// 2026-03-04 done 3
	// 2026-03-03 done 3
	// 2026-03-02 done 3
	// 2026-03-01 done 3
}
