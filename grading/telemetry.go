package grading

import (
	"context"
	"log/slog"
	"time"

	"github.com/dealercrm/dealercrm/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationScope is the instrumentation scope of the package's spans
// and metrics (docs/observability.md).
const instrumentationScope = "github.com/dealercrm/dealercrm/grading"

// The package's tracer and instruments, from the global providers: they
// delegate to the providers the host sets, also after this package
// initialised. An instrument the meter cannot make is a no-op one.
var (
	tracer             = otel.Tracer(instrumentationScope)
	meter              = otel.Meter(instrumentationScope)
	runCounter, _      = meter.Int64Counter("dealercrm.grading.runs", metric.WithUnit("{run}"), metric.WithDescription("Grading runs, by outcome (done, failed)."))
	runDuration, _     = meter.Float64Histogram("dealercrm.grading.duration", metric.WithUnit("s"), metric.WithDescription("Duration of grading runs, by outcome."))
	customerCounter, _ = meter.Int64Counter("dealercrm.grading.customers", metric.WithUnit("{customer}"), metric.WithDescription("Customers graded by grading runs."))
)

// WithLogger makes a grading run log its progress over the customers (a
// line every 1000 customers or 10 s) and a summary at Info, or at Warn when
// it fails. No logger, no lines.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// Run grades every customer of the dealer as of a date, against the
// population of the dealer or of its group, streaming their facts into a
// Batch (one row of floats per customer, not their records), and stores
// what changed for the dealer: states whose outcome differs and one Change
// per changed grade. It returns the dealer's run record.
//
// One run per dealer and as-of date takes effect: when the dealer has a
// run as of that date, Run returns it and grades nothing, also when the
// records changed since (a correction counts from the next date's run),
// and of concurrent runs of one date one is stored and every call returns
// it. A date after the dealer's today is a *crm.ValidationError naming
// as_of.
//
// Each run is a span grading.Service.Run, counted in the metrics
// dealercrm.grading.runs, .duration and .customers (docs/observability.md).
func (s *Service) Run(ctx context.Context, req RunRequest) (Run, error) {
	ctx, span := tracer.Start(ctx, "grading.Service.Run", trace.WithAttributes(
		telemetry.Dealer.String(string(req.DealerID)), attribute.Bool("dealercrm.grading.group", req.Group)))
	progress := telemetry.NewProgress(s.log, "grading run", 0, "dealer", req.DealerID)
	start := time.Now()
	r, graded, err := s.run(ctx, req, progress)
	took := time.Since(start)
	if err == nil {
		span.SetAttributes(telemetry.Day.String(r.AsOf.String()), attribute.Int("dealercrm.customers.count", r.Customers),
			attribute.Int("dealercrm.grades.changed", r.Changed), attribute.Int("dealercrm.customers.graded", graded))
		customerCounter.Add(ctx, int64(graded))
	}
	telemetry.End(span, err)
	set := metric.WithAttributes(telemetry.Outcome.String(telemetry.OutcomeOf(err)))
	runCounter.Add(ctx, 1, set)
	runDuration.Record(ctx, took.Seconds(), set)
	if err != nil {
		progress.Done(err)
		return r, err
	}
	progress.Done(nil, "day", r.AsOf, "customers", r.Customers, "changed", r.Changed)
	return r, nil
}
