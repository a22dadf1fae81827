package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A host traces the scheduler with its own OpenTelemetry SDK provider
// (here one recording in memory; in production one exporting over OTLP,
// see docs/observability.md). A tick is a span, each job a RunDay span
// under it, each dealer-day run a span under that, with the dealer, job
// kind, day, outcome and the job's counts as attributes.
func ExampleWithTracerProvider() {
	ctx := context.Background()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(ctx) }()
	lifecycleRun := jobs.Job{Kind: jobs.Lifecycle, Run: func(context.Context, crm.DealerID, dealercrm.Date) (jobs.Counts, error) {
		return jobs.Counts{"tasks_created": 3}, nil
	}}
	now := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	s, err := jobs.NewScheduler([]jobs.Job{lifecycleRun}, dealers{{ID: "d1", TimeZone: "Asia/Shanghai"}}, memory.NewRunStore(),
		jobs.WithClock(func() time.Time { return now }), jobs.WithTracerProvider(tp))
	if err != nil {
		panic(err)
	}
	if err := s.Tick(ctx); err != nil {
		panic(err)
	}
	for _, span := range spans.Ended() {
		var attrs []string
		for _, kv := range span.Attributes() {
			attrs = append(attrs, string(kv.Key)+"="+kv.Value.String())
		}
		fmt.Println(span.Name(), strings.Join(attrs, " "))
	}
	// Output:
	// jobs.Job.Run dealercrm.dealer.id=d1 dealercrm.job.kind=lifecycle dealercrm.day=2026-03-01 dealercrm.outcome=done dealercrm.job.attempt=1 dealercrm.job.counts.tasks_created=3
	// jobs.RunDay dealercrm.dealer.id=d1 dealercrm.job.kind=lifecycle dealercrm.day=2026-03-01 dealercrm.job.days=1
	// jobs.Scheduler.Tick dealercrm.dealers.count=1 dealercrm.dealers.failed=0 dealercrm.job.runs=1
}
