package jobs_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/testclock"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestSchedulerTelemetry ticks once over two dealers, Shanghai's run
// failing (its local today is 2026-03-11 at 17:00 UTC, Urumqi's still
// 03-10), and checks the spans, metrics and log lines docs/observability.md
// promises.
func TestSchedulerTelemetry(t *testing.T) {
	ctx := context.Background()
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	var logs bytes.Buffer
	rec := &recorder{fail: func(dealer crm.DealerID, _ dealercrm.Date, _ int) error {
		if dealer == shop.ID {
			return errBoom
		}
		return nil
	}}
	s, _, _ := newScheduler(t, rec,
		jobs.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))),
		jobs.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		jobs.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.ErrorIs(t, s.Tick(ctx), errBoom)

	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, sp := range spans.Ended() {
		byName[sp.Name()] = append(byName[sp.Name()], sp)
	}
	require.Len(t, byName["jobs.Scheduler.Tick"], 1, "one tick span")
	require.Len(t, byName["jobs.RunDay"], 2, "one RunDay span per dealer")
	require.Len(t, byName["jobs.Job.Run"], 2, "one run span per dealer-day")
	tick := byName["jobs.Scheduler.Tick"][0]
	assert.Equal(t, codes.Error, tick.Status().Code, "the tick failed")
	assert.Contains(t, tick.Attributes(), attribute.Int64("dealercrm.dealers.count", 2))
	assert.Contains(t, tick.Attributes(), attribute.Int64("dealercrm.dealers.failed", 1))
	assert.Contains(t, tick.Attributes(), attribute.Int64("dealercrm.job.runs", 2))

	runs := map[string]sdktrace.ReadOnlySpan{}
	for _, sp := range byName["jobs.Job.Run"] {
		runs[attr(sp.Attributes(), "dealercrm.dealer.id")] = sp
		// Parent: RunDay, whose parent is the tick.
		parent := parentOf(t, spans.Ended(), sp)
		assert.Equal(t, "jobs.RunDay", parent.Name())
		assert.Equal(t, tick.SpanContext().SpanID(), parent.Parent().SpanID(), "RunDay is a child of the tick")
	}
	failed, done := runs[string(shop.ID)], runs[string(urumqi.ID)]
	require.NotNil(t, failed)
	require.NotNil(t, done)
	assert.Equal(t, codes.Error, failed.Status().Code)
	assert.Equal(t, "internal", failed.Status().Description, "the status names the error's code")
	assert.Equal(t, "lifecycle", attr(failed.Attributes(), "dealercrm.job.kind"))
	assert.Equal(t, "2026-03-11", attr(failed.Attributes(), "dealercrm.day"))
	assert.Equal(t, "failed", attr(failed.Attributes(), "dealercrm.outcome"))
	require.Len(t, failed.Events(), 1, "the error is recorded")
	assert.Equal(t, "exception", failed.Events()[0].Name)
	assert.Equal(t, "dealercrm: internal", attr(failed.Events()[0].Attributes, "exception.message"),
		"the error's code, never its message (which may quote input)")
	for _, sp := range spans.Ended() {
		kvs := sp.Attributes()
		for _, e := range sp.Events() {
			kvs = append(kvs, e.Attributes...)
		}
		for _, kv := range kvs {
			assert.NotContains(t, kv.Value.String(), "boom", "no error message in %s of %s", kv.Key, sp.Name())
		}
	}

	assert.Equal(t, codes.Unset, done.Status().Code)
	assert.Equal(t, "2026-03-10", attr(done.Attributes(), "dealercrm.day"))
	assert.Equal(t, "done", attr(done.Attributes(), "dealercrm.outcome"))
	assert.Contains(t, done.Attributes(), attribute.Int64("dealercrm.job.counts.day_number", int64(dealercrm.NewDate(2026, 3, 10).DayNumber())),
		"the job's counts are attributes")
	assert.Contains(t, done.Attributes(), attribute.Int("dealercrm.job.attempt", 1))

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	counts := map[string]int64{}
	var measured uint64
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, "github.com/dealercrm/dealercrm/jobs", sm.Scope.Name, "the scope is the import path")
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				require.Equal(t, "dealercrm.job.runs", m.Name)
				for _, dp := range data.DataPoints {
					kind, _ := dp.Attributes.Value("dealercrm.job.kind")
					outcome, _ := dp.Attributes.Value("dealercrm.outcome")
					counts[kind.AsString()+"/"+outcome.AsString()] += dp.Value
				}
			case metricdata.Histogram[float64]:
				require.Equal(t, "dealercrm.job.duration", m.Name)
				assert.Equal(t, "s", m.Unit)
				for _, dp := range data.DataPoints {
					measured += dp.Count
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{"lifecycle/done": 1, "lifecycle/failed": 1}, counts, "runs counted by kind and outcome")
	assert.Equal(t, uint64(2), measured, "both runs' durations recorded")

	assert.Contains(t, logs.String(), `level=WARN msg="jobs run failed" dealer=d-shanghai kind=lifecycle day=2026-03-11 error_type=internal`)
	assert.Contains(t, logs.String(), `msg="jobs tick failed" done=2 runs=2 failed=1`, "the tick's summary")

	// Urumqi is done through its today and Shanghai waits for its retry:
	// the next tick runs nothing and logs nothing.
	logs.Reset()
	require.NoError(t, s.Tick(ctx))
	assert.Empty(t, logs.String(), "a tick with nothing due is quiet")
}

// attr returns the value of key in kvs as a string, "" when absent.
func attr(kvs []attribute.KeyValue, key string) string {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// parentOf returns the recorded parent of sp.
func parentOf(t *testing.T, all []sdktrace.ReadOnlySpan, sp sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, p := range all {
		if p.SpanContext().SpanID() == sp.Parent().SpanID() {
			return p
		}
	}
	t.Fatalf("no parent of %s recorded", sp.Name())
	return nil
}

// BenchmarkTickTelemetry is the cost of the instrumentation without I/O:
// one Tick over one dealer with a job that does nothing, a day later each
// time (spans Tick, RunDay and Job.Run, two metric records), with the
// no-op providers and with SDK providers sampling every span into a batch
// processor over an exporter that drops them (docs/observability.md).
//
//	go test ./jobs -run '^$' -bench TickTelemetry -benchmem
func BenchmarkTickTelemetry(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []jobs.Option
	}{
		{"noop", nil},
		{"sdk", []jobs.Option{
			jobs.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))),
			jobs.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))),
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			clock := testclock.New(time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC))
			job := jobs.Job{Kind: jobs.Lifecycle, Run: func(context.Context, crm.DealerID, dealercrm.Date) (jobs.Counts, error) {
				return jobs.Counts{"tasks_created": 3}, nil
			}}
			s, err := jobs.NewScheduler([]jobs.Job{job}, dealers{shop}, lastOnly{memory.NewRunStore()},
				append([]jobs.Option{jobs.WithClock(clock.Now)}, c.opts...)...)
			require.NoError(b, err)
			for b.Loop() {
				clock.Advance(24 * time.Hour)
				if err := s.Tick(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// lastOnly is a RunStore that keeps nothing: every day begins and
// finishes at once, so that the benchmark measures the scheduler, not a
// store growing with its days.
type lastOnly struct{ jobs.RunStore }

func (lastOnly) Last(context.Context, crm.DealerID, jobs.Kind) (dealercrm.Date, error) {
	return dealercrm.Date{}, nil
}

func (lastOnly) Begin(_ context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (jobs.Run, bool, error) {
	return jobs.Run{Dealer: dealer, Kind: kind, Day: day, Status: jobs.Running, Attempt: 1}, true, nil
}

func (lastOnly) Finish(_ context.Context, r jobs.Run) (jobs.Run, error) { return r, nil }

// discard is a span exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }
