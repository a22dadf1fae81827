package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Dealers is what a Scheduler needs to know of the dealers: who they are
// and their time zones. crm.DealerStore implements it.
type Dealers interface {
	// Get returns the dealer, or ErrNotFound.
	Get(ctx context.Context, id crm.DealerID) (crm.Dealer, error)
	// List returns dealers in ID order, one page at a time.
	List(ctx context.Context, f crm.DealerFilter) (crm.Page[crm.Dealer], error)
}

// An Option configures a Scheduler.
type Option func(*Scheduler)

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(s *Scheduler) { s.now = now } }

// WithInterval sets how often the started Scheduler ticks (a minute by
// default).
func WithInterval(d time.Duration) Option { return func(s *Scheduler) { s.interval = d } }

// WithBackoff sets the retry delay of a failed job: base after the first
// failure, doubling with each further one, never more than maxDelay (a
// minute and an hour by default).
func WithBackoff(base, maxDelay time.Duration) Option {
	return func(s *Scheduler) { s.base, s.maxDelay = base, maxDelay }
}

// WithWindow sets the catch-up window of RunDay, in days (DefaultWindow).
func WithWindow(days int) Option { return func(s *Scheduler) { s.window = days } }

// WithWorkers sets how many dealers a tick works on at once (4 by default).
func WithWorkers(n int) Option { return func(s *Scheduler) { s.workers = n } }

// Scheduler runs the registered jobs of every dealer once per local day,
// in process: the scheduler of the memory backend and of single-replica
// deployments. It is safe for concurrent use.
type Scheduler struct {
	jobs     []Job
	byKind   map[Kind]Job
	dealers  Dealers
	runs     RunStore
	now      func() time.Time
	interval time.Duration
	base     time.Duration
	maxDelay time.Duration
	window   int
	workers  int
	tp       trace.TracerProvider
	mp       metric.MeterProvider
	log      *slog.Logger
	tel      *instruments

	// ctx is the context of the jobs, cancelled by a Stop that runs out of
	// time.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	state   map[dealerKind]progress
	started bool
	stopped bool
	quit    chan struct{}
	wg      sync.WaitGroup // the loop and triggered runs
}

type dealerKind struct {
	dealer crm.DealerID
	kind   Kind
}

// progress is what the scheduler remembers of one dealer's job: the day it
// is done up to, and the failures since the last success with the time of
// the next attempt.
type progress struct {
	doneThrough dealercrm.Date
	failures    int
	next        time.Time
}

// NewScheduler returns a Scheduler of jobs (one per kind) for the dealers,
// keeping its records in runs. It does not tick until Start.
func NewScheduler(jobs []Job, dealers Dealers, runs RunStore, opts ...Option) (*Scheduler, error) {
	if dealers == nil || runs == nil {
		return nil, fmt.Errorf("jobs: new scheduler: dealers and runs are required: %w", dealercrm.ErrInvalid)
	}
	s := &Scheduler{byKind: map[Kind]Job{}, dealers: dealers, runs: runs, now: time.Now, interval: time.Minute,
		base: time.Minute, maxDelay: time.Hour, window: DefaultWindow, workers: 4,
		state: map[dealerKind]progress{}, quit: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	var c crm.Checker
	for i, j := range jobs {
		switch _, dup := s.byKind[j.Kind]; {
		case !crm.CheckEnum(&c, fmt.Sprintf("jobs[%d].kind", i), j.Kind, Kind.Valid, true):
		case dup:
			c.Add(fmt.Sprintf("jobs[%d].kind", i), crm.RuleUnique, "%s is registered twice", j.Kind)
		case j.Run == nil:
			c.Add(fmt.Sprintf("jobs[%d].run", i), crm.RuleRequired, "is required")
		}
		s.byKind[j.Kind] = j
		s.jobs = append(s.jobs, j)
	}
	if s.interval <= 0 || s.base <= 0 || s.maxDelay < s.base || s.workers <= 0 {
		c.Add("options", crm.RuleMin, "interval, backoff and workers must be positive, the maximum delay at least the base")
	}
	if err := c.Err("scheduler"); err != nil {
		return nil, err
	}
	s.tel = s.instruments()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Start starts ticking: at once, then every interval, until Stop or the
// end of ctx. It returns once the loop runs; ErrFailedPrecondition when the
// scheduler was started before.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return dealercrm.Errorf(dealercrm.FailedPrecondition, "jobs: the scheduler was started before")
	}
	s.started = true
	s.wg.Add(1)
	go s.loop(ctx)
	return nil
}

func (s *Scheduler) loop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		// A tick's failures are in the runs it recorded.
		_ = s.Tick(s.ctx)
		select {
		case <-t.C:
		case <-s.quit:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Stop stops ticking and waits for the running jobs to finish. When ctx
// ends first, it cancels their context and returns ctx's error without
// waiting further. Trigger fails after Stop.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.quit)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		return fmt.Errorf("jobs: stop: %w", ctx.Err())
	}
}

// Tick does one round of the loop, now: for every dealer, for every job,
// RunDay up to the dealer's local today, unless the job is done through
// today or waits for its retry. It returns the failures of the round
// (also recorded in the runs) and an error listing the dealers.
//
// Each tick is a span jobs.Scheduler.Tick over the runs' spans (RunDay);
// with WithLogger, a tick logs its progress over the dealers, and a summary
// when it ran a job.
func (s *Scheduler) Tick(ctx context.Context) (err error) {
	ctx, span := s.tel.tracer.Start(ctx, "jobs.Scheduler.Tick")
	progress := telemetry.NewProgress(s.log, "jobs tick", 0)
	var dealers, failed, ran atomic.Int64
	defer func() {
		span.SetAttributes(attribute.Int64("dealercrm.dealers.count", dealers.Load()),
			attribute.Int64("dealercrm.dealers.failed", failed.Load()), attribute.Int64("dealercrm.job.runs", ran.Load()))
		telemetry.End(span, err)
		// A tick with nothing due, most of them, logs nothing.
		if ran.Load() > 0 || err != nil {
			progress.Done(err, "runs", ran.Load(), "failed", failed.Load())
		}
	}()
	var (
		errs  []error
		errMu sync.Mutex
		wg    sync.WaitGroup
		sem   = make(chan struct{}, s.workers)
	)
	f := crm.DealerFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}}
	for {
		page, err := s.dealers.List(ctx, f)
		if err != nil {
			errs = append(errs, fmt.Errorf("jobs: list dealers: %w", err))
			break
		}
		for _, d := range page.Items {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				n, err := s.tickDealer(ctx, d)
				dealers.Add(1)
				ran.Add(int64(n))
				errMu.Lock()
				defer errMu.Unlock()
				progress.Add(1)
				if err != nil {
					failed.Add(1)
					errs = append(errs, err)
				}
			})
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	wg.Wait()
	return errors.Join(errs...)
}

// tickDealer runs the dealer's jobs that are due for a run and returns
// how many it ran.
func (s *Scheduler) tickDealer(ctx context.Context, d crm.Dealer) (int, error) {
	now := s.now()
	today := d.Today(now)
	var errs []error
	ran := 0
	for _, j := range s.jobs {
		key := dealerKind{d.ID, j.Kind}
		s.mu.Lock()
		p := s.state[key]
		s.mu.Unlock()
		if p.doneThrough == today || now.Before(p.next) {
			continue
		}
		ran++
		if err := s.run(ctx, j, d, today); err != nil {
			errs = append(errs, err)
		}
	}
	return ran, errors.Join(errs...)
}

// run calls RunDay and keeps the progress: a success marks the job done
// through day, a failure schedules its retry, a busy day changes nothing.
func (s *Scheduler) run(ctx context.Context, j Job, d crm.Dealer, day dealercrm.Date) error {
	_, err := runDay(ctx, s.tel, s.runs, j, d, day, s.window)
	key := dealerKind{d.ID, j.Kind}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.state[key]
	switch {
	case err == nil:
		if p.doneThrough.Before(day) {
			p.doneThrough = day
		}
		p.failures, p.next = 0, time.Time{}
	case errors.Is(err, ErrBusy) || ctx.Err() != nil:
		return nil
	default:
		if s.log != nil {
			s.log.Warn("jobs run failed", "dealer", d.ID, "kind", j.Kind, "day", day, "error_type", string(dealercrm.ErrorCode(err)))
		}
		p.failures++
		p.next = s.now().Add(s.delay(p.failures))
	}
	s.state[key] = p
	return err
}

// delay is the wait before the retry after n failures.
func (s *Scheduler) delay(n int) time.Duration {
	d := s.base
	for i := 1; i < n && d < s.maxDelay; i++ {
		d *= 2
	}
	return min(d, s.maxDelay)
}

// Trigger asks for the run of kind for dealer on day (the dealer's today
// when zero) now, and returns its record and whether it is new. It is
// idempotent: when there is a run of that day already — pending, running,
// done or failed — that run is returned with false and nothing else
// happens. Otherwise a pending, manual run is recorded and returned with
// true, and RunDay runs in the background up to day, so that missing
// earlier days run first. A kind without a job, or a day after the
// dealer's today, is a *crm.ValidationError; an unknown dealer
// ErrNotFound; a stopped scheduler ErrUnavailable.
func (s *Scheduler) Trigger(ctx context.Context, dealer crm.DealerID, kind Kind, day dealercrm.Date) (Run, bool, error) {
	j, ok := s.byKind[kind]
	if !ok {
		var c crm.Checker
		c.Add("kind", crm.RuleEnum, "no job of kind %q is scheduled", kind)
		return Run{}, false, c.Err("run")
	}
	d, err := s.dealers.Get(ctx, dealer)
	if err != nil {
		return Run{}, false, fmt.Errorf("jobs: trigger %s for %s: %w", kind, dealer, err)
	}
	today := d.Today(s.now())
	if day.IsZero() {
		day = today
	}
	if day.After(today) {
		var c crm.Checker
		c.Add("day", crm.RuleFuture, "must not be after the dealer's today %s", today)
		return Run{}, false, c.Err("run")
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return Run{}, false, dealercrm.Errorf(dealercrm.Unavailable, "jobs: the scheduler is stopped")
	}
	// Counted before the request so that Stop waits for the run it starts.
	s.wg.Add(1)
	s.mu.Unlock()
	r, created, err := s.runs.Request(ctx, dealer, kind, day)
	if err != nil || !created {
		s.wg.Done()
		if err != nil {
			return Run{}, false, fmt.Errorf("jobs: trigger %s for %s on %s: %w", kind, dealer, day, err)
		}
		return r, false, nil
	}
	go func() {
		defer s.wg.Done()
		// The failure is in the run, and the retry is the ticks'.
		_ = s.run(s.ctx, j, d, day)
	}()
	return r, true, nil
}

// Runs lists the dealer's runs (RunStore.List).
func (s *Scheduler) Runs(ctx context.Context, dealer crm.DealerID, f RunFilter) (crm.Page[Run], error) {
	p, err := s.runs.List(ctx, dealer, f)
	if err != nil {
		return crm.Page[Run]{}, fmt.Errorf("jobs: runs of %s: %w", dealer, err)
	}
	return p, nil
}
