package jobs

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// scope is the instrumentation scope of the package's spans and metrics.
const scope = "github.com/dealercrm/dealercrm/jobs"

// outcomeBusy is the outcome of a dealer-day run that found the day
// running elsewhere (ErrBusy).
const outcomeBusy = "busy"

// instruments are the tracer and metric instruments of RunDay and the
// Scheduler (docs/observability.md).
type instruments struct {
	tracer   trace.Tracer
	runs     metric.Int64Counter
	duration metric.Float64Histogram
}

// newInstruments returns the instruments of the providers. An instrument
// the meter cannot make is a no-op one (the API's contract), so the error
// is of no use.
func newInstruments(tp trace.TracerProvider, mp metric.MeterProvider) *instruments {
	m := mp.Meter(scope)
	runs, _ := m.Int64Counter("dealercrm.job.runs", metric.WithUnit("{run}"),
		metric.WithDescription("Dealer-day job runs, by job kind and outcome (done, failed, busy)."))
	duration, _ := m.Float64Histogram("dealercrm.job.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of dealer-day job runs, by job kind and outcome."))
	return &instruments{tracer: tp.Tracer(scope), runs: runs, duration: duration}
}

// global are the instruments of the global providers: they delegate to
// the providers the host sets, before or after this package initialises.
var global = newInstruments(otel.GetTracerProvider(), otel.GetMeterProvider())

// WithTracerProvider makes the Scheduler trace with tp instead of the
// global provider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(s *Scheduler) { s.tp = tp } }

// WithMeterProvider makes the Scheduler measure with mp instead of the
// global provider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(s *Scheduler) { s.mp = mp } }

// WithLogger makes the Scheduler log each tick's progress over the dealers
// (a line every 1000 dealers or 10 s) and its summary at Info, and failed
// runs at Warn. No logger, no lines.
func WithLogger(l *slog.Logger) Option { return func(s *Scheduler) { s.log = l } }

// instruments returns the Scheduler's instruments: the global ones unless
// a provider was given.
func (s *Scheduler) instruments() *instruments {
	if s.tp == nil && s.mp == nil {
		return global
	}
	tp, mp := s.tp, s.mp
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return newInstruments(tp, mp)
}

// startRun starts the span of one dealer-day run.
func (in *instruments) startRun(ctx context.Context, dealer crm.DealerID, kind Kind, day dealercrm.Date) (context.Context, trace.Span, time.Time) {
	ctx, span := in.tracer.Start(ctx, "jobs.Job.Run", trace.WithAttributes(
		telemetry.Dealer.String(string(dealer)), telemetry.JobKind.String(string(kind)), telemetry.Day.String(day.String())))
	return ctx, span, time.Now()
}

// endRun ends the span of a dealer-day run and counts it. A day already
// done (r zero, err nil) is not a run.
func (in *instruments) endRun(ctx context.Context, span trace.Span, start time.Time, kind Kind, r Run, err error) {
	outcome := telemetry.OutcomeOf(err)
	switch {
	case errors.Is(err, ErrBusy):
		outcome = outcomeBusy
		err = nil
	case err == nil && r.Status == "":
		span.SetAttributes(telemetry.Outcome.String("skipped"))
		span.End()
		return
	}
	if span.IsRecording() {
		attrs := []attribute.KeyValue{telemetry.Outcome.String(outcome), attribute.Int("dealercrm.job.attempt", r.Attempt)}
		for _, k := range slices.Sorted(maps.Keys(r.Counts)) {
			attrs = append(attrs, attribute.Int64("dealercrm.job.counts."+k, r.Counts[k]))
		}
		span.SetAttributes(attrs...)
	}
	telemetry.End(span, err)
	set := metric.WithAttributes(telemetry.JobKind.String(string(kind)), telemetry.Outcome.String(outcome))
	in.runs.Add(ctx, 1, set)
	in.duration.Record(ctx, time.Since(start).Seconds(), set)
}
