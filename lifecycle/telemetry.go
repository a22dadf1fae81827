package lifecycle

import (
	"context"
	"log/slog"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationScope is the instrumentation scope of the package's spans and metrics
// (docs/observability.md).
const instrumentationScope = "github.com/dealercrm/dealercrm/lifecycle"

// The package's tracer and instruments, from the global providers: they
// delegate to the providers the host sets, also after this package
// initialised. An instrument the meter cannot make is a no-op one.
var (
	tracer         = otel.Tracer(instrumentationScope)
	meter          = otel.Meter(instrumentationScope)
	runCounter, _  = meter.Int64Counter("dealercrm.lifecycle.runs", metric.WithUnit("{run}"), metric.WithDescription("Lifecycle daily runs, by outcome (done, skipped: inputs unchanged, failed)."))
	runDuration, _ = meter.Float64Histogram("dealercrm.lifecycle.duration", metric.WithUnit("s"), metric.WithDescription("Duration of lifecycle daily runs, by outcome."))
	taskCounter, _ = meter.Int64Counter("dealercrm.lifecycle.tasks", metric.WithUnit("{task}"), metric.WithDescription("Tasks written by lifecycle daily runs, by outcome (created, rescheduled, cancelled)."))
)

// WithLogger makes the daily run log a summary line per dealer at Info
// (subjects, tasks created, rescheduled, cancelled, overdue, time taken),
// and at Warn when it fails. No logger, no lines.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// startRun starts the span of the daily run of dealer on date.
func startRun(ctx context.Context, dealer crm.DealerID, date dealercrm.Date) (context.Context, trace.Span) {
	return tracer.Start(ctx, "lifecycle.Service.Run", trace.WithAttributes(
		telemetry.Dealer.String(string(dealer)), telemetry.Day.String(date.String())))
}

// endRun ends the span of a daily run begun at start, counts it and logs
// its summary.
func (s *Service) endRun(ctx context.Context, span trace.Span, start time.Time, dealer crm.DealerID, date dealercrm.Date, res RunResult, err error) {
	took := time.Since(start)
	outcome := telemetry.OutcomeOf(err)
	if err == nil && res.Skipped {
		outcome = "skipped"
	}
	if err == nil {
		span.SetAttributes(attribute.Int("dealercrm.subjects.count", res.Subjects),
			attribute.Int("dealercrm.tasks.created", res.Created), attribute.Int("dealercrm.tasks.rescheduled", res.Rescheduled),
			attribute.Int("dealercrm.tasks.cancelled", res.Cancelled), attribute.Int("dealercrm.tasks.overdue", res.Overdue),
			attribute.Bool("dealercrm.run.skipped", res.Skipped))
		for o, n := range map[string]int{"created": res.Created, "rescheduled": res.Rescheduled, "cancelled": res.Cancelled} {
			if n > 0 {
				taskCounter.Add(ctx, int64(n), metric.WithAttributes(telemetry.Outcome.String(o)))
			}
		}
	}
	telemetry.End(span, err)
	set := metric.WithAttributes(telemetry.Outcome.String(outcome))
	runCounter.Add(ctx, 1, set)
	runDuration.Record(ctx, took.Seconds(), set)
	if s.log == nil {
		return
	}
	if err != nil {
		s.log.Warn("lifecycle run failed", "dealer", dealer, "day", date, "elapsed", took.Round(time.Millisecond),
			"error_type", string(dealercrm.ErrorCode(err)))
		return
	}
	if res.Skipped {
		s.log.Info("lifecycle run skipped: its inputs did not change since the day's run", "dealer", dealer, "day", date,
			"subjects", res.Subjects, "elapsed", took.Round(time.Millisecond))
		return
	}
	s.log.Info("lifecycle run done", "dealer", dealer, "day", date, "subjects", res.Subjects, "created", res.Created,
		"rescheduled", res.Rescheduled, "cancelled", res.Cancelled, "overdue", res.Overdue, "elapsed", took.Round(time.Millisecond))
}
