package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/riverjobs"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/satisfaction"
	_ "github.com/jackc/pgx/v5/stdlib" // River's pool (docs/jobs.md)
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Options are the choices of New; the zero value works.
type Options struct {
	// Now is the clock of every service (time.Now when nil).
	Now func() time.Time
	// Logger receives the services' logs (slog.Default when nil).
	Logger *slog.Logger
	// MaxImportRecords caps one crm import (crm.DefaultMaxImportRecords
	// when 0).
	MaxImportRecords int
	// AuditRetentionDays and EventRetentionDays are the days the daily
	// retention jobs keep (the jobs package's defaults when 0).
	AuditRetentionDays int
	EventRetentionDays int
	// Templates are the message templates (messages.Templates); Sender
	// sends them, a messages.LogSender on Logger when nil.
	Templates []messages.Template
	Sender    messages.Sender
}

// App is every service of one backend, wired.
type App struct {
	Stores       backend.Stores
	CRM          *crm.Service
	Grading      *grading.Service
	Loyalty      *loyalty.Service
	Lifecycle    *lifecycle.Service
	Satisfaction *satisfaction.Service
	Campaigns    *campaign.Service
	Messages     *messages.Service
	// Jobs are the daily jobs (jobs.Defaults) of these services.
	Jobs []jobs.Job
}

// New wires the services of stores.
func New(stores backend.Stores, o Options) (*App, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	a := &App{Stores: stores}
	a.CRM = crm.NewService(stores.CRM, crm.WithMaxImportRecords(o.MaxImportRecords), crm.WithClock(now), crm.WithLogger(logger))
	var err error
	if a.Grading, err = grading.NewService(stores.CRM, stores.Grading, grading.WithClock(now), grading.WithLogger(logger)); err != nil {
		return nil, err
	}
	// The club: memberships and points.
	if a.Loyalty, err = loyalty.NewService(stores.CRM, stores.Loyalty, loyalty.WithClock(now)); err != nil {
		return nil, err
	}
	// The plan reads grades (rule conditions, grade_care calls) and club
	// memberships (renewal reminders, tier conditions). Every source reads
	// the task store's database, so a run of a day whose inputs did not
	// change is skipped (where the store stamps them: Postgres).
	if a.Lifecycle, err = lifecycle.NewService(a.CRM, stores.Tasks, lifecycle.WithGrades(a.Grading), lifecycle.WithCadences(a.Grading),
		lifecycle.WithMemberships(a.Loyalty), lifecycle.WithClock(now), lifecycle.WithLogger(logger), lifecycle.WithSharedDatabase()); err != nil {
		return nil, err
	}
	// A dissatisfied survey answer opens the CR department's follow-up
	// task; responses are checked against the dealer's crm records.
	if a.Satisfaction, err = satisfaction.NewService(stores.Satisfaction, satisfaction.WithRecords(a.CRM),
		satisfaction.WithFollowUps(satisfaction.LifecycleTasks{Tasks: a.Lifecycle}), satisfaction.WithClock(now)); err != nil {
		return nil, err
	}
	// Campaign segments read grades, lifecycle stages and abnormal
	// classes, and club tiers.
	if a.Campaigns, err = campaign.NewService(stores.CRM, stores.Campaigns,
		campaign.WithAttributes(campaign.Grades(a.Grading), campaign.Lifecycle(a.Lifecycle), campaign.Tiers(a.Loyalty)), campaign.WithClock(now)); err != nil {
		return nil, err
	}
	// Messages: the day's reminders and campaign sends go through the
	// Sender port.
	templates, err := messages.NewTemplates(o.Templates...)
	if err != nil {
		return nil, err
	}
	sender := o.Sender
	if sender == nil {
		sender = &messages.LogSender{Log: logger, Templates: templates}
	}
	if a.Messages, err = messages.NewService(stores.Messages, a.CRM, sender, templates, messages.WithClock(now), messages.WithLogger(logger),
		messages.WithTasks(stores.Tasks, a.Lifecycle), messages.WithCampaigns(stores.Campaigns)); err != nil {
		return nil, err
	}
	// A customer's PIPL export and erasure reach every package.
	a.CRM.AddPersonalData(a.Loyalty, a.Grading, a.Satisfaction, a.Campaigns, a.Lifecycle, a.Messages)
	// A lead written over the API moves its follow-up and stale-lead
	// tasks at once; the daily LeadFollowUps job heals any it missed.
	a.CRM.AddLeadWatchers(a.Lifecycle)
	a.Jobs = jobs.Defaults(jobs.Services{Lifecycle: a.Lifecycle, Leads: a.Lifecycle, Loyalty: a.Loyalty, Grading: a.Grading,
		Campaigns: a.Campaigns, Audit: stores.Audit, AuditRetentionDays: o.AuditRetentionDays,
		Events: stores.Events, EventRetentionDays: o.EventRetentionDays, Messages: a.Messages})
	return a, nil
}

// DB are the settings of a Postgres pool.
type DB struct {
	// Name is the application_name the pool's connections report (the
	// DSN's wins).
	Name string
	// MaxOpen is the most connections open at once; all are kept when
	// idle, closed after 5 idle minutes.
	MaxOpen int
	// StatementTimeout is every connection's statement_timeout, over the
	// DSN's; 0 keeps the DSN's or the server's.
	StatementTimeout time.Duration
}

// Defaults of the Postgres pool, for a small host: a pool well below
// Postgres's default max_connections (100), so that several replicas and
// other clients fit, and a statement timeout below the request deadline.
const (
	DefaultPool             = 20
	DefaultStatementTimeout = 30 * time.Second
)

// OpenDB returns the Postgres pool of dsn with the settings: statement_timeout
// on every connection, a read timeout beyond it (so that Postgres ends a
// slow statement with a clear error before the driver gives up on the
// socket), and dead pooled connections discarded before use
// (postgres.CheckConn).
func OpenDB(dsn string, set DB) *bun.DB {
	name := set.Name
	if name == "" {
		name = "dealercrm"
	}
	opts := []pgdriver.Option{
		pgdriver.WithApplicationName(name),
		pgdriver.WithDSN(dsn),
		pgdriver.WithResetSessionFunc(postgres.CheckConn),
	}
	if set.StatementTimeout > 0 {
		opts = append(opts, pgdriver.WithReadTimeout(set.StatementTimeout+5*time.Second),
			connParam("statement_timeout", set.StatementTimeout.Milliseconds()))
	}
	sqldb := sql.OpenDB(pgdriver.NewConnector(opts...))
	maxOpen := set.MaxOpen
	if maxOpen <= 0 {
		maxOpen = DefaultPool
	}
	sqldb.SetMaxOpenConns(maxOpen)
	sqldb.SetMaxIdleConns(maxOpen)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return bun.NewDB(sqldb, pgdialect.New())
}

// connParam sets one run-time parameter of every new connection, keeping
// those of the DSN.
func connParam(name string, value any) pgdriver.Option {
	return func(c *pgdriver.Config) {
		params := map[string]any{name: value}
		for k, v := range c.ConnParams {
			if k != name {
				params[k] = v
			}
		}
		c.ConnParams = params
	}
}

// OpenPostgres opens the pool of dsn, checks that the server answers and
// returns the store with opts (schema, table prefix) and a function that
// closes the pool. It does not migrate: see (*postgres.Store).Migrate.
func OpenPostgres(ctx context.Context, dsn string, set DB, opts ...postgres.Option) (*postgres.Store, func(), error) {
	db := OpenDB(dsn, set)
	closeDB := func() { _ = db.Close() }
	if err := db.PingContext(ctx); err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	store, err := postgres.New(db, opts...)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return store, closeDB, nil
}

// River are the settings of the River scheduler of the daily jobs.
type River struct {
	// Pool is the connections of River's own pool (at least 2: the
	// leader and a worker).
	Pool int
	// Interval is how often the leader plans.
	Interval time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
}

// OpenRiver returns the River scheduler of daily on store's schema, on
// River's own pool opened with pgx (bun's pgdriver mis-parses a comment in
// River's SQL, docs/jobs.md), with River's tables migrated; workers look
// for jobs at least every second. The function returned closes the pool.
func OpenRiver(ctx context.Context, dsn string, store *postgres.Store, daily []jobs.Job, set River) (*riverjobs.Scheduler, func(), error) {
	if set.Pool < 2 {
		return nil, nil, fmt.Errorf("river pool %d: want at least 2 (the leader and a worker)", set.Pool)
	}
	riverDB, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("river pool: %w", err)
	}
	riverDB.SetMaxOpenConns(set.Pool)
	closeDB := func() { _ = riverDB.Close() }
	if err := riverjobs.Migrate(ctx, riverDB, store.Schema()); err != nil {
		closeDB()
		return nil, nil, err
	}
	opts := []riverjobs.Option{riverjobs.WithPlanInterval(set.Interval), riverjobs.WithFetchPoll(min(time.Second, set.Interval)),
		riverjobs.WithWorkers(max(1, set.Pool-2))}
	if set.Now != nil {
		opts = append(opts, riverjobs.WithClock(set.Now))
	}
	if set.Logger != nil {
		opts = append(opts, riverjobs.WithLogger(set.Logger))
	}
	s, err := riverjobs.New(store, riverDB, daily, opts...)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return s, closeDB, nil
}
