// Command server is the minimal dealercrm demo server: the HTTP API of
// adapters/httpapi over an in-memory store (or Postgres with -postgres),
// seeded with the demo dealer group of package demo.
//
//	go run ./examples/server
//	go run ./examples/server -postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// It makes managed API keys (package apikey) with random tokens and
// prints them — one per store (role admin), a manager's, a CR
// specialist's and a sales consultant's of the first store and the
// group's administrator's (the principals of demo.Principals) — and a
// ready curl command. The keys' server secret is DEALERCRM_KEY_SECRET, or
// random, and then the keys work until the server stops; -fixed-keys also
// accepts the demo's fixed public keys. It logs requests to stderr with
// phone numbers masked, and shuts down gracefully on SIGINT
// or SIGTERM. Its resource limits are flags with defaults for a small
// host (docs/operations.md explains them): the Postgres pool (-pool), the
// statement timeout (-statement-timeout), the deadline of a request
// (-request-timeout), the concurrent heavy requests (-heavy, -heavy-wait,
// and per dealer -heavy-per-dealer), each API key's rate (-key-rate,
// -key-burst) and the records of one import (-import-records). It keeps
// the audit trail (GET /v1/audit with the admin key) in the same store,
// for -audit-retention-days. On startup it grades
// the demo group for today (part of the demo data: the seeder writes group
// grades, which an API key never can) and prints the first store's grade
// counts. The daily jobs (jobs.Defaults: the lifecycle run, points and
// membership expiry, campaign completion, monthly grading) run by
// themselves in the in-process jobs.Scheduler, which looks for due work
// every -job-interval; its first round runs before the server listens, so
// the banner shows how many tasks are due for the first demo store, with
// curl lines for GET /v1/tasks and GET /v1/job-runs. It only wires packages
// together: flags → store → services → demo data → scheduler → handler →
// http.Server.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // dealer time zones (Asia/Shanghai) also on hosts without tzdata

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/riverjobs"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/webhook"
	_ "github.com/jackc/pgx/v5/stdlib" // River's pool (docs/jobs.md)
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// after a stop signal.
const shutdownTimeout = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		stop()
		os.Exit(1)
	}
}

// run starts the server with the command-line args and serves until ctx is
// cancelled, then shuts down gracefully. The banner (keys and a curl line)
// goes to stdout, logs to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, stdout, stderr, time.Now)
}

// runWith is run on the clock now: every service, the demo data and the
// scheduler read the time from it, so that a test can let the server live
// through simulated days.
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, now func() time.Time) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8080", "listen address (host:port; port 0 picks a free one)")
	dsn := fs.String("postgres", "", "Postgres DSN; empty runs on an in-memory store")
	schema := fs.String("schema", "dealercrm_demo", "Postgres schema of the tables, created by the migrations (with -postgres)")
	seed := fs.Uint64("seed", 1, "seed of the demo data")
	customers := fs.Int("customers", demo.DefaultCustomers, "demo customers across the two stores")
	logFormat := fs.String("log", "text", "log format on stderr: text or json")
	var db dbSettings
	fs.IntVar(&db.maxOpen, "pool", defaultPool, "most Postgres connections open at once (with -postgres)")
	fs.DurationVar(&db.statementTimeout, "statement-timeout", defaultStatementTimeout,
		"Postgres statement_timeout of every connection, over the DSN's; 0 keeps the DSN's or the server's (with -postgres)")
	requestTimeout := fs.Duration("request-timeout", httpapi.DefaultRequestTimeout, "deadline of every request")
	heavy := fs.Int("heavy", httpapi.DefaultMaxHeavyRequests, "heavy requests (reports, runs, imports, exports) running at once; keep it below -pool")
	heavyWait := fs.Duration("heavy-wait", httpapi.DefaultHeavyWait, "how long a heavy request waits for a turn before a 503")
	heavyPerDealer := fs.Int("heavy-per-dealer", httpapi.DefaultHeavyPerDealer, "heavy requests one dealer's keys run at once (429 beyond, after -heavy-wait)")
	keyRate := fs.Float64("key-rate", httpapi.DefaultKeyRate, "requests a second one API key may send on average (429 beyond; 0: no limit)")
	keyBurst := fs.Int("key-burst", httpapi.DefaultKeyBurst, "requests one API key may send at once before -key-rate holds it back")
	importRecords := fs.Int("import-records", crm.DefaultMaxImportRecords, "most records in one import")
	messageInterval := fs.Duration("message-interval", messages.DefaultEvery, "how often held messages (quiet hours, frequency cap) and failed sends are tried again")
	jobInterval := fs.Duration("job-interval", time.Minute, "how often the scheduler looks for daily jobs due (a new local day, a retry); with -postgres, how often River's leader plans")
	jobPool := fs.Int("job-pool", 4, "Postgres connections of River's own pool, which runs the daily jobs (with -postgres)")
	auditDays := fs.Int("audit-retention-days", jobs.DefaultAuditRetentionDays, "days the audit trail keeps its records (the daily audit_retention job removes older ones)")
	hooksLocal := fs.Bool("webhooks-local", false, "let webhook subscriptions use http and loopback or private receivers (local trials; production keeps https and public addresses)")
	fixedKeys := fs.Bool("fixed-keys", false, "also accept the demo's fixed, public keys (demo.Principals: demo-sh01-key, …), for scripted demos only")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := checkLimits(*dsn != "", db, *requestTimeout, *heavy, *importRecords); err != nil {
		return err
	}
	if *messageInterval <= 0 {
		return fmt.Errorf("-message-interval %s: want more than 0", *messageInterval)
	}
	if *jobInterval <= 0 {
		return fmt.Errorf("-job-interval %s: want more than 0", *jobInterval)
	}
	if *jobPool < 2 {
		return fmt.Errorf("-job-pool %d: want at least 2 (River's leader and a worker)", *jobPool)
	}

	opts := &slog.HandlerOptions{ReplaceAttr: httpapi.MaskAttr}
	var lh slog.Handler
	switch *logFormat {
	case "text":
		lh = slog.NewTextHandler(stderr, opts)
	case "json":
		lh = slog.NewJSONHandler(stderr, opts)
	default:
		return fmt.Errorf("-log %q: want text or json", *logFormat)
	}
	logger := slog.New(lh)

	stores, pg, storeName, closeStore, err := openStores(ctx, *dsn, *schema, db)
	if err != nil {
		return err
	}
	defer closeStore()
	store := stores.CRM
	svc := crm.NewService(store, crm.WithMaxImportRecords(*importRecords), crm.WithClock(now), crm.WithLogger(logger))
	grades, err := grading.NewService(store, stores.Grading, grading.WithClock(now))
	if err != nil {
		return err
	}
	// The club: memberships and points.
	club, err := loyalty.NewService(store, stores.Loyalty, loyalty.WithClock(now))
	if err != nil {
		return err
	}
	// The plan reads grades (rule conditions, grade_care calls) and club
	// memberships (renewal reminders, tier conditions).
	lc, err := lifecycle.NewService(svc, stores.Tasks, lifecycle.WithGrades(grades), lifecycle.WithCadences(grades),
		lifecycle.WithMemberships(club), lifecycle.WithClock(now))
	if err != nil {
		return err
	}
	// A dissatisfied survey answer opens the CR department's follow-up task;
	// responses are checked against the dealer's crm records.
	sat, err := satisfaction.NewService(stores.Satisfaction, satisfaction.WithRecords(svc),
		satisfaction.WithFollowUps(satisfaction.LifecycleTasks{Tasks: lc}), satisfaction.WithClock(now))
	if err != nil {
		return err
	}
	// Campaign segments read grades, lifecycle stages and abnormal
	// classes, and club tiers.
	campaigns, err := campaign.NewService(store, stores.Campaigns,
		campaign.WithAttributes(campaign.Grades(grades), campaign.Lifecycle(lc), campaign.Tiers(club)), campaign.WithClock(now))
	if err != nil {
		return err
	}
	// A customer's PIPL export and erasure reach every package: the club,
	// the grades, survey responses, campaign data and the tasks.
	svc.AddPersonalData(club, grades, sat, campaigns, lc)
	// A lead written over the API moves its follow-up and stale-lead tasks
	// at once; the daily LeadFollowUps job heals any it missed.
	svc.AddLeadWatchers(lc)

	shanghai, err := time.LoadLocation(dealercrm.DefaultTimeZone)
	if err != nil {
		return err
	}
	start := time.Now()
	data := demo.Generate(demo.Options{Seed: *seed, Today: dealercrm.DateIn(now(), shanghai), Customers: *customers})
	generated := time.Since(start)
	// The demo data is a trusted bulk load, not an API request: it is
	// imported whole, however many records -customers makes.
	if err := demo.Seed(ctx, crm.NewService(store, crm.WithMaxImportRecords(math.MaxInt), crm.WithClock(now)), data); err != nil {
		return err
	}
	if err := demo.SeedSatisfaction(ctx, svc, sat, data); err != nil {
		return err
	}
	if err := demo.WorkFollowUps(ctx, lc, data); err != nil {
		return err
	}
	records := 0
	for _, d := range data.Dealers {
		records += d.Batch.Len()
	}
	logger.Info("demo data seeded", "store", storeName, "dealers", len(data.Dealers), "records", records,
		"today", data.Options.Today.String(), "generate", generated.Round(time.Millisecond), "seed", (time.Since(start) - generated).Round(time.Millisecond))

	// A grading run of the whole demo group as of today and a few club
	// members per store with ledger history; the demo's two finished
	// campaigns per store give the reports something to show. The daily
	// work itself (the lifecycle run first) is the scheduler's, below.
	today := data.Options.Today
	// The demo seeder acts for the whole group, so it may write every store's
	// grades (WriteGroup); an API key never can.
	graded, err := grades.Run(ctx, grading.RunRequest{DealerID: data.Dealers[0].Dealer.ID, AsOf: today, Group: true, WriteGroup: true})
	if err != nil {
		return err
	}
	if err := demo.SeedLoyalty(ctx, svc, club, data); err != nil {
		return err
	}
	if err := demo.SeedCampaigns(ctx, campaigns, data); err != nil {
		return err
	}

	// The daily jobs of every dealer, once per local day, by themselves:
	// in process on the in-memory store, on River with -postgres (several
	// replicas may share the schema; each dealer-day runs once). Both keep
	// their runs in the backend's run store.
	// Messages: the day's SMS reminders and campaign sends go through a
	// log sender, which logs what it would send (numbers masked); the
	// daily Messages job plans and sends, the runner sends what quiet
	// hours held and retries failures every -message-interval.
	templates, err := messages.NewTemplates(demo.MessageTemplates()...)
	if err != nil {
		return err
	}
	msgs, err := messages.NewService(stores.Messages, svc, &messages.LogSender{Log: logger, Templates: templates}, templates,
		messages.WithClock(now), messages.WithLogger(logger), messages.WithTasks(stores.Tasks, lc), messages.WithCampaigns(stores.Campaigns))
	if err != nil {
		return err
	}
	svc.AddPersonalData(msgs)
	daily := jobs.Defaults(jobs.Services{Lifecycle: lc, Leads: lc, Loyalty: club, Grading: grades, Campaigns: campaigns,
		Audit: stores.Audit, AuditRetentionDays: *auditDays, Events: stores.Events, Messages: msgs})
	local, err := jobs.NewScheduler(daily, store.Dealers(), stores.Jobs, jobs.WithClock(now), jobs.WithInterval(*jobInterval))
	if err != nil {
		return err
	}
	// The first round before serving, so that today's call list is there
	// when the banner shows it; a failure is recorded in its run and
	// retried by the started scheduler. On Postgres, River finds these
	// days done in job_runs.
	if err := local.Tick(ctx); err != nil {
		logger.Warn("daily jobs: first round failed; retried by the scheduler", "err", err)
	}
	var sched scheduler = local
	if pg != nil {
		rs, closeRiver, err := openRiver(ctx, *dsn, *jobPool, pg, daily, now, *jobInterval, logger)
		if err != nil {
			return err
		}
		defer closeRiver()
		sched = rs
	}
	if err := sched.Start(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := sched.Stop(sctx); err != nil {
			logger.Warn("daily jobs: stop", "err", err)
		}
	}()
	runner := &messages.Runner{Service: msgs, Every: *messageInterval}
	runnerCtx, stopRunner := context.WithCancel(ctx)
	runnerDone := make(chan struct{})
	go func() { defer close(runnerDone); _ = runner.Run(runnerCtx) }()
	defer func() { stopRunner(); <-runnerDone }()
	// Webhooks: subscriptions over HTTP, delivered by a runner in this
	// process (on Postgres, every replica runs one; leases share the work).
	hookOpts := []webhook.Option{webhook.WithLogger(logger)}
	if *hooksLocal {
		hookOpts = append(hookOpts, webhook.AllowHTTP(), webhook.AllowPrivate())
	}
	hooks, err := webhook.NewService(stores.Webhooks, stores.Events, hookOpts...)
	if err != nil {
		return err
	}
	hookRunner, err := webhook.NewRunner(stores.Webhooks, stores.Events, hookOpts...)
	if err != nil {
		return err
	}
	hookRunner.Start(ctx)
	defer hookRunner.Stop()
	due, err := lc.DueOn(ctx, data.Dealers[0].Dealer.ID, today, lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
	if err != nil {
		return err
	}

	// Managed API keys: the demo's people get keys made now, with random
	// tokens printed below (no fixed, guessable keys unless -fixed-keys).
	keySvc, err := apikey.NewService(stores.Keys, keySecret(logger), apikey.WithClock(now))
	if err != nil {
		return err
	}
	keys := demo.Principals(data)
	tokens, err := demoKeys(ctx, keySvc, keys)
	if err != nil {
		return err
	}
	fixed := map[string]crm.Principal{}
	if *fixedKeys {
		fixed = keys
	}
	h := httpapi.NewHandler(svc, httpapi.WithKeys(keySvc), httpapi.WithPrincipals(fixed), httpapi.WithLogger(logger), httpapi.WithLifecycle(lc),
		httpapi.WithSatisfaction(sat), httpapi.WithGrading(grades), httpapi.WithCampaigns(campaigns),
		httpapi.WithLoyalty(club), httpapi.WithJobs(sched), httpapi.WithRequestTimeout(*requestTimeout), httpapi.WithHeavyRequests(*heavy, *heavyWait),
		httpapi.WithHeavyRequestsPerDealer(*heavyPerDealer), httpapi.WithRateLimit(*keyRate, *keyBurst), httpapi.WithAudit(stores.Audit), httpapi.WithEvents(stores.Events),
		httpapi.WithMessages(msgs), httpapi.WithWebhooks(hooks))
	srv := httpapi.NewServer(*addr, h)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	base := baseURL(ln.Addr())
	fmt.Fprintf(stdout, "dealercrm demo server on %s (%s, %d demo records)\n", base, storeName, records)
	for _, d := range data.Dealers {
		fmt.Fprintf(stdout, "  %-9s %s  API key: %s (admin)\n", d.Dealer.ID, d.Dealer.Name, tokens[d.APIKey])
	}
	for _, key := range []string{demo.ShanghaiManagerKey, demo.ShanghaiCRKey, demo.ShanghaiConsultantKey, demo.GroupAdminKey} {
		p := keys[key]
		who := string(p.Staff)
		if who == "" {
			who = string(p.Group)
		}
		fmt.Fprintf(stdout, "  %-9s %-14s %-11s key: %s\n", p.Dealer, who, p.Roles[0], tokens[key])
	}
	more := ""
	if due.Next != "" {
		more = "+"
	}
	fmt.Fprintf(stdout, "Today's tasks for %s on %s: %d%s due\n", data.Dealers[0].Dealer.ID, today, len(due.Items), more)
	fmt.Fprintf(stdout, "Grades of %s on %s: %v\n", data.Dealers[0].Dealer.ID, today, graded.Counts)
	admin := tokens[data.Dealers[0].APIKey]
	fmt.Fprintf(stdout, "Try:\n  curl -H 'Authorization: Bearer %s' '%s/v1/customers?limit=3'\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/tasks?date=%s'\n", admin, base, today)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/job-runs'\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/api-keys'\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/audit?limit=5'   # who read and changed what\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/events?limit=5&wait=10'   # the event feed; pass next as after to follow it\n", admin, base)
	logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// Defaults of the Postgres flags, for a small host: a pool well below
// Postgres's default max_connections (100), so that several replicas and
// other clients fit, and a statement timeout below the request deadline.
const (
	defaultPool             = 20
	defaultStatementTimeout = 30 * time.Second
)

// dbSettings are the Postgres pool settings of the flags.
type dbSettings struct {
	maxOpen          int
	statementTimeout time.Duration
}

// checkLimits rejects limits that cannot work.
func checkLimits(postgres bool, db dbSettings, requestTimeout time.Duration, heavy, importRecords int) error {
	switch {
	case db.maxOpen < 1:
		return fmt.Errorf("-pool %d: want at least 1", db.maxOpen)
	case db.statementTimeout < 0:
		return fmt.Errorf("-statement-timeout %s: want 0 or more", db.statementTimeout)
	case requestTimeout <= 0:
		return fmt.Errorf("-request-timeout %s: want more than 0", requestTimeout)
	case heavy < 1:
		return fmt.Errorf("-heavy %d: want at least 1", heavy)
	case importRecords < 1:
		return fmt.Errorf("-import-records %d: want at least 1", importRecords)
	case postgres && heavy >= db.maxOpen:
		return fmt.Errorf("-heavy %d: want fewer than -pool %d, so that heavy requests leave connections to the rest", heavy, db.maxOpen)
	}
	return nil
}

// openDB returns the Postgres pool of dsn with the settings: at most
// maxOpen connections (all kept when idle, closed after 5 idle minutes),
// statement_timeout on every connection, a read timeout beyond it (so that
// Postgres ends a slow statement with a clear error before the driver
// gives up on the socket), and dead pooled connections discarded before
// use (postgres.CheckConn).
func openDB(dsn string, set dbSettings) *bun.DB {
	opts := []pgdriver.Option{
		pgdriver.WithApplicationName("dealercrm-server"), // the DSN's application_name wins
		pgdriver.WithDSN(dsn),
		pgdriver.WithResetSessionFunc(postgres.CheckConn),
	}
	if set.statementTimeout > 0 {
		opts = append(opts, pgdriver.WithReadTimeout(set.statementTimeout+5*time.Second),
			connParam("statement_timeout", set.statementTimeout.Milliseconds()))
	}
	sqldb := sql.OpenDB(pgdriver.NewConnector(opts...))
	sqldb.SetMaxOpenConns(set.maxOpen)
	sqldb.SetMaxIdleConns(set.maxOpen)
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

// openStores returns the in-memory stores, or with a DSN the stores of the
// migrated Postgres store in schema on a pool with the settings and that
// store, and a function that releases them.
func openStores(ctx context.Context, dsn, schema string, set dbSettings) (backend.Stores, *postgres.Store, string, func(), error) {
	if dsn == "" {
		return memory.NewStores(), nil, "in-memory store", func() {}, nil
	}
	db := openDB(dsn, set)
	closeDB := func() { _ = db.Close() }
	if err := db.PingContext(ctx); err != nil {
		closeDB()
		return backend.Stores{}, nil, "", nil, fmt.Errorf("postgres: %w", err)
	}
	store, err := postgres.New(db, postgres.WithSchema(schema))
	if err != nil {
		closeDB()
		return backend.Stores{}, nil, "", nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		closeDB()
		return backend.Stores{}, nil, "", nil, err
	}
	return store.Stores(), store, "Postgres schema " + schema, closeDB, nil
}

// scheduler is what the server needs of a daily-jobs scheduler: both
// jobs.Scheduler and riverjobs.Scheduler are one.
type scheduler interface {
	httpapi.JobRunner
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// openRiver returns the River scheduler of the daily jobs on store's
// schema, on River's own pool of poolSize connections opened with pgx
// (bun's pgdriver mis-parses a comment in River's SQL, docs/jobs.md), with
// River's tables migrated; the leader plans every interval, and workers
// look for jobs at least every second. The function returned closes the
// pool.
func openRiver(ctx context.Context, dsn string, poolSize int, store *postgres.Store, daily []jobs.Job,
	now func() time.Time, interval time.Duration, logger *slog.Logger) (*riverjobs.Scheduler, func(), error) {
	riverDB, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("river pool: %w", err)
	}
	riverDB.SetMaxOpenConns(poolSize)
	closeDB := func() { _ = riverDB.Close() }
	if err := riverjobs.Migrate(ctx, riverDB, store.Schema()); err != nil {
		closeDB()
		return nil, nil, err
	}
	s, err := riverjobs.New(store, riverDB, daily, riverjobs.WithClock(now), riverjobs.WithPlanInterval(interval),
		riverjobs.WithFetchPoll(min(time.Second, interval)), riverjobs.WithWorkers(max(1, poolSize-2)), riverjobs.WithLogger(logger))
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return s, closeDB, nil
}

// baseURL is the URL a local client reaches addr at: a wildcard address
// (":8080") is shown as localhost.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// keySecret is the server secret of the managed API keys: the
// DEALERCRM_KEY_SECRET environment variable (at least apikey.MinSecret
// bytes), else random bytes, and the keys made now work until the server
// stops.
func keySecret(logger *slog.Logger) []byte {
	if s := os.Getenv("DEALERCRM_KEY_SECRET"); len(s) >= apikey.MinSecret {
		return []byte(s)
	}
	b := make([]byte, apikey.MinSecret)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	logger.Info("API keys: no DEALERCRM_KEY_SECRET of 32 bytes or more; a random secret is used, so the keys printed work until the server stops")
	return b
}

// demoKeys makes a managed key for each demo principal (keyed by the
// demo's fixed key) and returns their tokens by the same fixed key.
func demoKeys(ctx context.Context, svc *apikey.Service, principals map[string]crm.Principal) (map[string]string, error) {
	if err := revokeDemoKeys(ctx, svc, principals); err != nil {
		return nil, err
	}
	tokens := make(map[string]string, len(principals))
	for fixed, p := range principals {
		name := "demo " + string(p.Roles[0])
		if p.Staff != "" {
			name += " " + string(p.Staff)
		}
		_, token, err := svc.Create(ctx, p.Dealer, "", apikey.CreateRequest{Name: name, Roles: p.Roles, StaffID: p.Staff})
		if err != nil {
			return nil, fmt.Errorf("demo key %s: %w", name, err)
		}
		tokens[fixed] = token
	}
	return tokens, nil
}

// revokeDemoKeys revokes the demo keys earlier starts made (on Postgres
// they outlive the server: named "demo …", made by the host), so that only
// this start's printed keys work, whatever the server secret.
func revokeDemoKeys(ctx context.Context, svc *apikey.Service, principals map[string]crm.Principal) error {
	dealers := map[crm.DealerID]bool{}
	for _, p := range principals {
		dealers[p.Dealer] = true
	}
	for d := range dealers {
		keys, err := crm.All(ctx, func(after string) (crm.Page[apikey.Key], error) {
			return svc.List(ctx, d, apikey.Filter{Active: svc.Now(), PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		})
		if err != nil {
			return fmt.Errorf("demo keys of %s: %w", d, err)
		}
		for _, k := range keys {
			if k.CreatedBy == "" && strings.HasPrefix(k.Name, "demo ") {
				if _, err := svc.Revoke(ctx, d, k.ID); err != nil {
					return fmt.Errorf("demo key %s: %w", k.ID, err)
				}
			}
		}
	}
	return nil
}
