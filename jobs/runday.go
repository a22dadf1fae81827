package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// DefaultWindow is the default catch-up window of RunDay, in days.
const DefaultWindow = 31

// ErrBusy is returned by RunDay when a day it must run first is being run
// by another caller (RunStore.Begin returned a running run): the days after
// it wait, and a later call continues. It is a dealercrm.Conflict.
var ErrBusy = dealercrm.Errorf(dealercrm.Conflict, "jobs: a day is being run by another worker")

// RunDay is the one catch-up function of every scheduler: it runs job for
// dealer on every day from the day after the last done one up to day, in
// order, each as of itself: RunStore.Begin, then job.Run(dealer, d), then
// RunStore.Finish. It goes back at most window days (day − window + 1 is
// the earliest; window ≤ 0 means DefaultWindow); when no day was ever done,
// or the last done day is day or later, it starts at day itself.
//
// A day for which job.Due is false is passed over without a record, except
// day itself when a run of it was asked for by hand (a pending run, see
// RunStore.Request). A day already done is skipped (Begin returns false).
// RunDay stops at the first failure and returns it, with the run recorded
// as failed, so that the next call resumes at that day; it returns ErrBusy
// when a day is running elsewhere, and the context's error when ctx ends
// between days. The returned runs are the ones it finished, done or failed, in order.
//
// RunDay makes a span jobs.RunDay, and one span jobs.Job.Run per day it
// runs, counted in the metrics dealercrm.job.runs and
// dealercrm.job.duration (docs/observability.md).
func RunDay(ctx context.Context, runs RunStore, job Job, dealer crm.Dealer, day dealercrm.Date, window int) ([]Run, error) {
	return runDay(ctx, global, runs, job, dealer, day, window)
}

// runDay is RunDay with the instruments in.
func runDay(ctx context.Context, in *instruments, runs RunStore, job Job, dealer crm.Dealer, day dealercrm.Date, window int) (done []Run, err error) {
	ctx, span := in.tracer.Start(ctx, "jobs.RunDay", trace.WithAttributes(telemetry.Dealer.String(string(dealer.ID)),
		telemetry.JobKind.String(string(job.Kind)), telemetry.Day.String(day.String())))
	defer func() {
		span.SetAttributes(attribute.Int("dealercrm.job.days", len(done)))
		if errors.Is(err, ErrBusy) {
			// Not a failure: a later call continues.
			span.SetAttributes(telemetry.Outcome.String(outcomeBusy))
			span.End()
			return
		}
		telemetry.End(span, err)
	}()
	if err := CheckKey(dealer.ID, job.Kind, day); err != nil {
		return nil, err
	}
	if job.Run == nil {
		return nil, fmt.Errorf("jobs: job %s has no Run: %w", job.Kind, dealercrm.ErrInvalid)
	}
	if window <= 0 {
		window = DefaultWindow
	}
	last, err := runs.Last(ctx, dealer.ID, job.Kind)
	if err != nil {
		return nil, fmt.Errorf("jobs: %s %s: last done day: %w", dealer.ID, job.Kind, err)
	}
	start := day
	if !last.IsZero() && last.Before(day) {
		start = last.AddDays(1)
		if earliest := day.AddDays(1 - window); start.Before(earliest) {
			start = earliest
		}
	}
	for d := start; !d.After(day); d = d.AddDays(1) {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		if !job.due(dealer, d) {
			if d != day {
				continue
			}
			r, err := runs.Get(ctx, dealer.ID, job.Kind, d)
			if errors.Is(err, dealercrm.ErrNotFound) || (err == nil && r.Status != Pending) {
				continue
			} else if err != nil {
				return done, fmt.Errorf("jobs: %s %s %s: %w", dealer.ID, job.Kind, d, err)
			}
		}
		r, err := runOne(ctx, in, runs, job, dealer.ID, d)
		if r.Status != "" {
			done = append(done, r)
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// runOne runs one day: the finished run, or a zero Run when the day was
// already done; an error when it failed, was busy or could not be recorded.
func runOne(ctx context.Context, in *instruments, runs RunStore, job Job, dealer crm.DealerID, day dealercrm.Date) (fin Run, err error) {
	ctx, span, start := in.startRun(ctx, dealer, job.Kind, day)
	defer func() { in.endRun(ctx, span, start, job.Kind, fin, err) }()
	r, ok, err := runs.Begin(ctx, dealer, job.Kind, day)
	switch {
	case err != nil:
		return Run{}, fmt.Errorf("jobs: begin %s %s %s: %w", dealer, job.Kind, day, err)
	case !ok && r.Status == Done:
		return Run{}, nil
	case !ok:
		return Run{}, fmt.Errorf("jobs: %s %s %s is %s: %w", dealer, job.Kind, day, r.Status, ErrBusy)
	}
	counts, runErr := call(ctx, job, dealer, day)
	r.Counts, r.Status, r.Error = counts, Done, ""
	if runErr != nil {
		r.Status, r.Error = Failed, runErr.Error()
	}
	// The record is written even when ctx ended, so that the run does not
	// stay running.
	fin, err = runs.Finish(context.WithoutCancel(ctx), r)
	if err != nil {
		return Run{}, fmt.Errorf("jobs: finish %s %s %s: %w", dealer, job.Kind, day, err)
	}
	if runErr != nil {
		return fin, fmt.Errorf("jobs: %s %s %s attempt %d: %w", dealer, job.Kind, day, r.Attempt, runErr)
	}
	return fin, nil
}

// call runs the job, turning a panic into an error.
func call(ctx context.Context, job Job, dealer crm.DealerID, day dealercrm.Date) (c Counts, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return job.Run(ctx, dealer, day)
}
