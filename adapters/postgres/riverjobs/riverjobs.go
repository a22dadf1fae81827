// Package riverjobs is the scheduler of the daily jobs (package jobs) for
// several replicas on Postgres, built on River (github.com/riverqueue/river):
// River elects a leader, which enqueues a planning job every plan interval;
// the plan enqueues, for every dealer and job, the dealer's local today as
// one River job unique by (kind, dealer, day); any replica's worker takes it
// and calls jobs.RunDay, which runs the missing days in order and keeps
// their records in the store's job_runs (postgres.RunStore). River retries
// failures with backoff and rescues jobs left running by a dead replica;
// job_runs stays the durable guard that each dealer-day runs once. It is
// the only package that imports River (docs/jobs.md).
//
// River talks to Postgres through its own *sql.DB, opened with
// github.com/jackc/pgx/v5/stdlib: bun's pgdriver v1.2.18 mis-parses an
// apostrophe in a SQL comment (uptrace/bun#1349), and River's leader
// election has one, so through it River never elects a leader. New probes
// the pool for that bug and refuses it.
//
//	riverDB, err := sql.Open("pgx", dsn) // import _ "github.com/jackc/pgx/v5/stdlib"
//	riverDB.SetMaxOpenConns(4)
//	err = store.Migrate(ctx)                                 // job_runs, migration 0017
//	err = riverjobs.Migrate(ctx, riverDB, store.Schema())     // River's tables
//	s, err := riverjobs.New(store, riverDB, jobs.Defaults(services))
//	err = s.Start(ctx)
//	defer s.Stop(ctx)
package riverjobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// The River job kinds and queue of the package; the prefix keeps them
// apart from a host's own River jobs.
const (
	KindDay  = "dealercrm_day"
	KindPlan = "dealercrm_plan"
	Queue    = "dealercrm"
)

// Defaults of the options.
const (
	DefaultWorkers      = 4
	DefaultFetchPoll    = time.Second
	DefaultJobTimeout   = 30 * time.Minute
	DefaultMaxAttempts  = 25
	DefaultPlanInterval = 5 * time.Minute
	DefaultBusyDelay    = 10 * time.Second
)

// Migrate creates or updates River's tables in schema (the store's,
// postgres.Store.Schema) with rivermigrate; River records its versions in
// its own river_migration table, not in the store's migrations. It is
// idempotent.
func Migrate(ctx context.Context, riverDB *sql.DB, schema string) error {
	m, err := rivermigrate.New(riverdatabasesql.New(riverDB), &rivermigrate.Config{Schema: schema})
	if err != nil {
		return fmt.Errorf("riverjobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return dealercrm.Errorf(dealercrm.Unavailable, "riverjobs: migrate River's tables in %s: %v", schema, err)
	}
	return nil
}

// An Option configures a Scheduler.
type Option func(*config)

type config struct {
	id           string
	workers      int
	fetchPoll    time.Duration
	jobTimeout   time.Duration
	maxAttempts  int
	backoff      func(attempt int) time.Duration
	now          func() time.Time
	planInterval time.Duration
	busyDelay    time.Duration
	window       int
	logger       *slog.Logger
	// testOnly sets River's TestOnly: no jittered start of the leader's
	// services (export_test.go).
	testOnly bool
}

// WithID sets the River client's ID, distinct per replica (River's default:
// the host name and the start time).
func WithID(id string) Option { return func(c *config) { c.id = id } }

// WithWorkers sets how many dealer-days a replica runs at once
// (DefaultWorkers).
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithFetchPoll sets how often a replica looks for jobs (DefaultFetchPoll):
// the pool is polled, not listened on, so this is the pickup latency.
func WithFetchPoll(d time.Duration) Option { return func(c *config) { c.fetchPoll = d } }

// WithJobTimeout sets how long one River job (a dealer's job up to a day,
// catch-up included, or a plan) may run before its context is cancelled
// (DefaultJobTimeout). It must be shorter than the store's run lease
// (postgres.WithRunLease), after which River rescues the job and
// RunStore.Begin claims its day again.
func WithJobTimeout(d time.Duration) Option { return func(c *config) { c.jobTimeout = d } }

// WithRetry sets how many attempts a River job gets before River discards
// it (DefaultMaxAttempts), and the wait before attempt n+1 after attempt n
// failed; a nil backoff keeps River's (n⁴ seconds, ±10 %).
func WithRetry(maxAttempts int, backoff func(attempt int) time.Duration) Option {
	return func(c *config) { c.maxAttempts, c.backoff = maxAttempts, backoff }
}

// WithClock sets the clock that decides each dealer's today (time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithPlanInterval sets how often the leader plans (DefaultPlanInterval);
// it also plans when it is elected.
func WithPlanInterval(d time.Duration) Option { return func(c *config) { c.planInterval = d } }

// WithBusyDelay sets how long a job waits when a day it must run first is
// running elsewhere (jobs.ErrBusy) before it tries again, without using up
// an attempt (DefaultBusyDelay).
func WithBusyDelay(d time.Duration) Option { return func(c *config) { c.busyDelay = d } }

// WithWindow sets the catch-up window of jobs.RunDay, in days
// (jobs.DefaultWindow).
func WithWindow(days int) Option { return func(c *config) { c.window = days } }

// WithLogger sets River's logger (River's default: warnings and errors on
// standard output).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Scheduler runs the registered jobs of every dealer once per local day
// across the replicas that share one schema. It has the methods of
// jobs.Scheduler that callers use (Start, Stop, Trigger, Runs). It is safe
// for concurrent use.
type Scheduler struct {
	cfg     config
	byKind  map[jobs.Kind]jobs.Job
	kinds   []jobs.Kind
	dealers jobs.Dealers
	runs    jobs.RunStore
	client  *river.Client[*sql.Tx]

	mu      sync.Mutex
	stopped bool
}

// dayArgs are the arguments of a KindDay job: run JobKind for Dealer up to
// Day. River keeps one such job per (kind, dealer, day) while it lives.
type dayArgs struct {
	JobKind string `json:"kind" river:"unique"`
	Dealer  string `json:"dealer" river:"unique"`
	Day     string `json:"day" river:"unique"`
}

// Kind implements river.JobArgs.
func (dayArgs) Kind() string { return KindDay }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (dayArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// planArgs are the arguments of the periodic KindPlan job.
type planArgs struct{}

// Kind implements river.JobArgs.
func (planArgs) Kind() string { return KindPlan }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (planArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: Queue} }

// probe is a query with an apostrophe in a comment, which bun's pgdriver
// v1.2.18 reads as the start of a string (uptrace/bun#1349).
const probe = "SELECT $1::int -- it's\n, $2::int"

// New returns a Scheduler of jobs (one per kind) for the dealers of store,
// keeping its records in store.Runs() and River's in store's schema, which
// riverjobs.Migrate must have prepared. riverDB is River's own pool, opened
// with github.com/jackc/pgx/v5/stdlib; New checks it with one query and
// returns an Unavailable error when its driver mis-parses SQL comments.
// Bad jobs or options are a *crm.ValidationError. It does not work until
// Start.
func New(store *postgres.Store, riverDB *sql.DB, js []jobs.Job, opts ...Option) (*Scheduler, error) {
	if store == nil || riverDB == nil {
		return nil, fmt.Errorf("riverjobs: new: a store and River's pool are required: %w", dealercrm.ErrInvalid)
	}
	cfg := config{workers: DefaultWorkers, fetchPoll: DefaultFetchPoll, jobTimeout: DefaultJobTimeout,
		maxAttempts: DefaultMaxAttempts, now: time.Now, planInterval: DefaultPlanInterval,
		busyDelay: DefaultBusyDelay, window: jobs.DefaultWindow}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Scheduler{cfg: cfg, byKind: map[jobs.Kind]jobs.Job{}, dealers: store.Dealers(), runs: store.Runs()}
	var c crm.Checker
	for i, j := range js {
		switch _, dup := s.byKind[j.Kind]; {
		case !crm.CheckEnum(&c, fmt.Sprintf("jobs[%d].kind", i), j.Kind, jobs.Kind.Valid, true):
		case dup:
			c.Add(fmt.Sprintf("jobs[%d].kind", i), crm.RuleUnique, "%s is registered twice", j.Kind)
		case j.Run == nil:
			c.Add(fmt.Sprintf("jobs[%d].run", i), crm.RuleRequired, "is required")
		default:
			s.byKind[j.Kind] = j
			s.kinds = append(s.kinds, j.Kind)
		}
	}
	if cfg.workers <= 0 || cfg.fetchPoll <= 0 || cfg.jobTimeout <= 0 || cfg.maxAttempts <= 0 ||
		cfg.planInterval <= 0 || cfg.busyDelay < 0 || cfg.now == nil {
		c.Add("options", crm.RuleMin, "workers, fetch poll, job timeout, attempts and plan interval must be positive")
	}
	if cfg.jobTimeout >= store.RunLease() {
		c.Add("options", crm.RuleMax, "the job timeout %s must be shorter than the store's run lease %s", cfg.jobTimeout, store.RunLease())
	}
	if err := c.Err("scheduler"); err != nil {
		return nil, err
	}
	if err := checkDriver(riverDB); err != nil {
		return nil, err
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &dayWorker{s: s})
	river.AddWorker(workers, &planWorker{s: s})
	rc := &river.Config{
		ID:                   cfg.id,
		Schema:               store.Schema(),
		Queues:               map[string]river.QueueConfig{Queue: {MaxWorkers: cfg.workers}},
		Workers:              workers,
		FetchPollInterval:    cfg.fetchPoll,
		FetchCooldown:        max(time.Millisecond, min(river.FetchCooldownDefault, cfg.fetchPoll/4)),
		JobTimeout:           cfg.jobTimeout,
		RescueStuckJobsAfter: store.RunLease(),
		MaxAttempts:          cfg.maxAttempts,
		Logger:               cfg.logger,
		TestOnly:             cfg.testOnly,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.planInterval),
			func() (river.JobArgs, *river.InsertOpts) { return planArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindPlan, RunOnStart: true})},
	}
	if cfg.backoff != nil {
		rc.RetryPolicy = retryPolicy(cfg.backoff)
	}
	client, err := river.NewClient(riverdatabasesql.New(riverDB), rc)
	if err != nil {
		return nil, fmt.Errorf("riverjobs: new River client: %w", err)
	}
	s.client = client
	return s, nil
}

// checkDriver runs the probe on riverDB: Unavailable when the driver
// mis-parses it, or when the database does not answer at all.
func checkDriver(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var a, b int
	err := db.QueryRowContext(ctx, probe, 1, 2).Scan(&a, &b)
	if err == nil && a == 1 && b == 2 {
		return nil
	}
	if pingErr := db.PingContext(ctx); pingErr != nil {
		return dealercrm.Errorf(dealercrm.Unavailable, "riverjobs: River's pool does not answer: %v", pingErr)
	}
	return dealercrm.Errorf(dealercrm.Unavailable,
		"riverjobs: the database/sql driver mis-parses SQL comments (uptrace/bun#1349); open River's pool with github.com/jackc/pgx/v5/stdlib")
}

// retryPolicy is a river.ClientRetryPolicy of a backoff function.
type retryPolicy func(attempt int) time.Duration

// NextRetry implements river.ClientRetryPolicy.
func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(p(job.Attempt))
}

// Start starts working: the replica takes jobs, and when elected leader it
// plans at once and then every plan interval. The end of ctx stops it, like
// Stop. ErrFailedPrecondition after Stop.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	if stopped {
		return dealercrm.Errorf(dealercrm.FailedPrecondition, "riverjobs: the scheduler was stopped")
	}
	if err := s.client.Start(ctx); err != nil {
		return fmt.Errorf("riverjobs: start: %w", err)
	}
	return nil
}

// Stop stops taking jobs and waits for the running ones to finish. When
// ctx ends first, it cancels their context (each records its day failed,
// for a retry) and waits for them a little more, at most 10 seconds.
// Trigger fails after Stop.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	err := s.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		if err != nil {
			return fmt.Errorf("riverjobs: stop: %w", err)
		}
		return nil
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = s.client.StopAndCancel(hard)
	return fmt.Errorf("riverjobs: stop: %w", err)
}

// Trigger asks for the run of kind for dealer on day (the dealer's today
// when zero) now, like jobs.Scheduler.Trigger: the existing run with false,
// or a new pending, manual run with true, whose River job runs the missing
// earlier days first. The River job is inserted for a pending run only,
// unique by (kind, dealer, day), so a second call inserts nothing. A kind
// without a job, or a day after the dealer's today, is a
// *crm.ValidationError; an unknown dealer ErrNotFound; a stopped
// scheduler ErrUnavailable.
func (s *Scheduler) Trigger(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (jobs.Run, bool, error) {
	if _, ok := s.byKind[kind]; !ok {
		var c crm.Checker
		c.Add("kind", crm.RuleEnum, "no job of kind %q is scheduled", kind)
		return jobs.Run{}, false, c.Err("run")
	}
	d, err := s.dealers.Get(ctx, dealer)
	if err != nil {
		return jobs.Run{}, false, fmt.Errorf("riverjobs: trigger %s for %s: %w", kind, dealer, err)
	}
	today := d.Today(s.cfg.now())
	if day.IsZero() {
		day = today
	}
	if day.After(today) {
		var c crm.Checker
		c.Add("day", crm.RuleFuture, "must not be after the dealer's today %s", today)
		return jobs.Run{}, false, c.Err("run")
	}
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	if stopped {
		return jobs.Run{}, false, dealercrm.Errorf(dealercrm.Unavailable, "riverjobs: the scheduler is stopped")
	}
	r, created, err := s.runs.Request(ctx, dealer, kind, day)
	if err != nil {
		return jobs.Run{}, false, fmt.Errorf("riverjobs: trigger %s for %s on %s: %w", kind, dealer, day, err)
	}
	// A pending run's job may have been lost between Request and Insert:
	// inserting again is harmless, River skips the duplicate.
	if r.Status == jobs.Pending {
		if _, err := s.client.Insert(ctx, dayArgs{JobKind: string(kind), Dealer: string(dealer), Day: day.String()}, nil); err != nil {
			return jobs.Run{}, false, dealercrm.Errorf(dealercrm.Unavailable, "riverjobs: trigger %s for %s on %s: enqueue: %v", kind, dealer, day, err)
		}
	}
	return r, created, nil
}

// Runs lists the dealer's runs (RunStore.List).
func (s *Scheduler) Runs(ctx context.Context, dealer crm.DealerID, f jobs.RunFilter) (crm.Page[jobs.Run], error) {
	p, err := s.runs.List(ctx, dealer, f)
	if err != nil {
		return crm.Page[jobs.Run]{}, fmt.Errorf("riverjobs: runs of %s: %w", dealer, err)
	}
	return p, nil
}

// plan enqueues, for every dealer and job, the dealer's today. River skips
// the days enqueued already; RunDay skips the days done already.
func (s *Scheduler) plan(ctx context.Context) error {
	now := s.cfg.now()
	f := crm.DealerFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}}
	for {
		page, err := s.dealers.List(ctx, f)
		if err != nil {
			return fmt.Errorf("riverjobs: plan: list dealers: %w", err)
		}
		var params []river.InsertManyParams
		for _, d := range page.Items {
			today := d.Today(now).String()
			for _, k := range s.kinds {
				params = append(params, river.InsertManyParams{Args: dayArgs{JobKind: string(k), Dealer: string(d.ID), Day: today}})
			}
		}
		if len(params) > 0 {
			if _, err := s.client.InsertMany(ctx, params); err != nil {
				return fmt.Errorf("riverjobs: plan: enqueue: %w", err)
			}
		}
		if page.Next == "" {
			return nil
		}
		f.After = page.Next
	}
}

// dayWorker runs one KindDay job: jobs.RunDay up to its day.
type dayWorker struct {
	river.WorkerDefaults[dayArgs]
	s *Scheduler
}

// Work implements river.Worker. A failure is returned to River, which
// retries it; a day running elsewhere snoozes the job (no attempt used);
// an unknown kind, dealer or day cancels it.
//
// Each job is a span riverjobs.dayWorker.Work, the parent of RunDay's.
func (w *dayWorker) Work(ctx context.Context, job *river.Job[dayArgs]) error {
	a := job.Args
	ctx, span := tracer.Start(ctx, "riverjobs.dayWorker.Work", trace.WithAttributes(telemetry.Dealer.String(a.Dealer),
		telemetry.JobKind.String(a.JobKind), telemetry.Day.String(a.Day), attribute.Int("dealercrm.job.attempt", job.Attempt)))
	// failed is the job's failure: a snooze or a cancel of River's is not.
	var failed error
	defer func() { telemetry.End(span, failed) }()
	j, ok := w.s.byKind[jobs.Kind(a.JobKind)]
	day, err := dealercrm.ParseDate(a.Day)
	if !ok || err != nil {
		return river.JobCancel(fmt.Errorf("riverjobs: no job %q or bad day %q", a.JobKind, a.Day))
	}
	d, err := w.s.dealers.Get(ctx, crm.DealerID(a.Dealer))
	if errors.Is(err, dealercrm.ErrNotFound) {
		return river.JobCancel(err)
	} else if err != nil {
		failed = err
		return err
	}
	_, err = jobs.RunDay(ctx, w.s.runs, j, d, day, w.s.cfg.window)
	if errors.Is(err, jobs.ErrBusy) {
		span.SetAttributes(telemetry.Outcome.String("busy"))
		return river.JobSnooze(w.s.cfg.busyDelay)
	}
	failed = err
	return err
}

// planWorker runs the periodic KindPlan job.
type planWorker struct {
	river.WorkerDefaults[planArgs]
	s *Scheduler
}

// Work implements river.Worker.
func (w *planWorker) Work(ctx context.Context, _ *river.Job[planArgs]) (err error) {
	ctx, span := tracer.Start(ctx, "riverjobs.planWorker.Work")
	defer func() { telemetry.End(span, err) }()
	return w.s.plan(ctx)
}

// tracer traces the workers (docs/observability.md), from the global
// provider, which delegates to the one the host sets.
var tracer = otel.Tracer("github.com/dealercrm/dealercrm/adapters/postgres/riverjobs")
