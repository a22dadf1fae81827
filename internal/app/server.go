package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/dealercrm/dealercrm/adapters/console"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/webhook"
)

// ShutdownTimeout bounds how long in-flight requests and background work
// may take to finish after a stop signal.
const ShutdownTimeout = 10 * time.Second

// Settings are a server's resource limits and the pace of its background
// work; docs/operations.md explains them. Flags registers them as
// command-line flags with the defaults for a small host.
type Settings struct {
	DB              DB
	RequestTimeout  time.Duration
	Heavy           int
	HeavyWait       time.Duration
	HeavyPerDealer  int
	MaxInFlight     int
	KeyRate         float64
	KeyBurst        int
	ImportRecords   int
	MessageInterval time.Duration
	JobInterval     time.Duration
	JobPool         int
	AuditDays       int
	// WebhooksLocal lets webhook subscriptions point at http:// and
	// private or loopback addresses.
	WebhooksLocal bool
}

// Flags registers the settings as flags of fs, with their defaults.
func (s *Settings) Flags(fs *flag.FlagSet) {
	fs.IntVar(&s.DB.MaxOpen, "pool", DefaultPool, "most Postgres connections open at once")
	fs.DurationVar(&s.DB.StatementTimeout, "statement-timeout", DefaultStatementTimeout,
		"Postgres statement_timeout of every connection, over the DSN's; 0 keeps the DSN's or the server's")
	fs.DurationVar(&s.RequestTimeout, "request-timeout", httpapi.DefaultRequestTimeout, "deadline of every request")
	fs.IntVar(&s.Heavy, "heavy", httpapi.DefaultMaxHeavyRequests, "heavy requests (reports, runs, imports, exports) running at once; keep it below -pool")
	fs.DurationVar(&s.HeavyWait, "heavy-wait", httpapi.DefaultHeavyWait, "how long a heavy request waits for a turn before a 503")
	fs.IntVar(&s.HeavyPerDealer, "heavy-per-dealer", httpapi.DefaultHeavyPerDealer, "heavy requests one dealer's keys run at once (429 beyond, after -heavy-wait)")
	fs.IntVar(&s.MaxInFlight, "max-in-flight", 0, "other requests running at once, the rest waiting in line (0: no cap); with Postgres on this machine, about its cores")
	fs.Float64Var(&s.KeyRate, "key-rate", httpapi.DefaultKeyRate, "requests a second one API key may send on average (429 beyond; 0: no limit)")
	fs.IntVar(&s.KeyBurst, "key-burst", httpapi.DefaultKeyBurst, "requests one API key may send at once before -key-rate holds it back")
	fs.IntVar(&s.ImportRecords, "import-records", crm.DefaultMaxImportRecords, "most records in one import request")
	fs.DurationVar(&s.MessageInterval, "message-interval", messages.DefaultEvery, "how often held messages (quiet hours, frequency cap) and failed sends are tried again")
	fs.DurationVar(&s.JobInterval, "job-interval", time.Minute, "how often the scheduler looks for daily jobs due (a new local day, a retry); on Postgres, how often River's leader plans")
	fs.IntVar(&s.JobPool, "job-pool", 4, "Postgres connections of River's own pool, which runs the daily jobs")
	fs.IntVar(&s.AuditDays, "audit-retention-days", jobs.DefaultAuditRetentionDays, "days the audit trail keeps its records (the daily audit_retention job removes older ones)")
	fs.BoolVar(&s.WebhooksLocal, "webhooks-local", false, "let webhook subscriptions point at http:// and private or loopback addresses (a receiver on this machine); production keeps https and public addresses only")
}

// Check rejects settings that cannot work; onPostgres adds the checks of
// the pool.
func (s *Settings) Check(onPostgres bool) error {
	switch {
	case s.DB.MaxOpen < 1:
		return fmt.Errorf("-pool %d: want at least 1", s.DB.MaxOpen)
	case s.DB.StatementTimeout < 0:
		return fmt.Errorf("-statement-timeout %s: want 0 or more", s.DB.StatementTimeout)
	case s.RequestTimeout <= 0:
		return fmt.Errorf("-request-timeout %s: want more than 0", s.RequestTimeout)
	case s.Heavy < 1:
		return fmt.Errorf("-heavy %d: want at least 1", s.Heavy)
	case s.MaxInFlight < 0:
		return fmt.Errorf("-max-in-flight %d: want 0 (no cap) or more", s.MaxInFlight)
	case s.ImportRecords < 1:
		return fmt.Errorf("-import-records %d: want at least 1", s.ImportRecords)
	case onPostgres && s.Heavy >= s.DB.MaxOpen:
		return fmt.Errorf("-heavy %d: want fewer than -pool %d, so that heavy requests leave connections to the rest", s.Heavy, s.DB.MaxOpen)
	case s.MessageInterval <= 0:
		return fmt.Errorf("-message-interval %s: want more than 0", s.MessageInterval)
	case s.JobInterval <= 0:
		return fmt.Errorf("-job-interval %s: want more than 0", s.JobInterval)
	case onPostgres && s.JobPool < 2:
		return fmt.Errorf("-job-pool %d: want at least 2 (River's leader and a worker)", s.JobPool)
	}
	return nil
}

// Scheduler is what a server needs of a daily-jobs scheduler: both
// jobs.Scheduler and riverjobs.Scheduler are one.
type Scheduler interface {
	httpapi.JobRunner
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Background is a server's work besides requests: the daily jobs, the
// message runner (what quiet hours held, failed sends) and the webhook
// deliveries.
type Background struct {
	Jobs     Scheduler
	Webhooks *webhook.Service
	stops    []func()
}

// Stop stops the background work, the last started first, waiting up
// to ShutdownTimeout for the jobs.
func (b *Background) Stop() {
	for i := len(b.stops) - 1; i >= 0; i-- {
		b.stops[i]()
	}
	b.stops = nil
}

// StartBackground starts a's background work: the daily jobs in process
// (jobs.Scheduler) on memory, on River with pg (several replicas may share
// the schema; each dealer-day runs once), after a first round in process
// when firstRound is set, so that today's call list is there before the
// server listens; the message runner every set.MessageInterval; and the
// webhook runner, which delivers each subscription's events in order,
// signed, under a lease on its row.
func (a *App) StartBackground(ctx context.Context, pg *postgres.Store, dsn string, set Settings, firstRound bool,
	now func() time.Time, logger *slog.Logger) (*Background, error) {
	b := &Background{}
	ok := false
	defer func() {
		if !ok {
			b.Stop()
		}
	}()
	local, err := jobs.NewScheduler(a.Jobs, a.Stores.CRM.Dealers(), a.Stores.Jobs, jobs.WithClock(now), jobs.WithInterval(set.JobInterval), jobs.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	if firstRound {
		// A failure is recorded in its run and retried by the started
		// scheduler; on Postgres, River finds these days done in job_runs.
		if err := local.Tick(ctx); err != nil {
			logger.Warn("daily jobs: first round failed; retried by the scheduler", "err", err)
		}
	}
	b.Jobs = local
	if pg != nil {
		rs, closeRiver, err := OpenRiver(ctx, dsn, pg, a.Jobs, River{Pool: set.JobPool, Interval: set.JobInterval, Now: now, Logger: logger})
		if err != nil {
			return nil, err
		}
		b.stops = append(b.stops, closeRiver)
		b.Jobs = rs
	}
	if err := b.Jobs.Start(ctx); err != nil {
		return nil, err
	}
	b.stops = append(b.stops, func() {
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if err := b.Jobs.Stop(sctx); err != nil {
			logger.Warn("daily jobs: stop", "err", err)
		}
	})
	runner := &messages.Runner{Service: a.Messages, Every: set.MessageInterval}
	runnerCtx, stopRunner := context.WithCancel(ctx)
	runnerDone := make(chan struct{})
	go func() { defer close(runnerDone); _ = runner.Run(runnerCtx) }()
	b.stops = append(b.stops, func() { stopRunner(); <-runnerDone })
	hookOpts := []webhook.Option{webhook.WithClock(now), webhook.WithLogger(logger)}
	if set.WebhooksLocal {
		hookOpts = append(hookOpts, webhook.AllowHTTP(), webhook.AllowPrivate())
	}
	if b.Webhooks, err = webhook.NewService(a.Stores.Webhooks, a.Stores.Events, hookOpts...); err != nil {
		return nil, err
	}
	deliveries, err := webhook.NewRunner(a.Stores.Webhooks, a.Stores.Events, hookOpts...)
	if err != nil {
		return nil, err
	}
	deliveries.Start(ctx)
	b.stops = append(b.stops, deliveries.Stop)
	ok = true
	return b, nil
}

// Handler returns the HTTP API of every service of a, authenticated by
// keys, with the audit trail and event feed of a's stores and set's
// limits; extra options come last.
func (a *App) Handler(keys *apikey.Service, b *Background, set Settings, logger *slog.Logger, extra ...httpapi.Option) http.Handler {
	opts := []httpapi.Option{httpapi.WithKeys(keys), httpapi.WithLogger(logger), httpapi.WithLifecycle(a.Lifecycle),
		httpapi.WithSatisfaction(a.Satisfaction), httpapi.WithGrading(a.Grading), httpapi.WithCampaigns(a.Campaigns),
		httpapi.WithLoyalty(a.Loyalty), httpapi.WithJobs(b.Jobs), httpapi.WithRequestTimeout(set.RequestTimeout),
		httpapi.WithHeavyRequests(set.Heavy, set.HeavyWait), httpapi.WithHeavyRequestsPerDealer(set.HeavyPerDealer), httpapi.WithMaxInFlight(set.MaxInFlight),
		httpapi.WithRateLimit(set.KeyRate, set.KeyBurst), httpapi.WithAudit(a.Stores.Audit), httpapi.WithEvents(a.Stores.Events),
		httpapi.WithMessages(a.Messages), httpapi.WithWebhooks(b.Webhooks)}
	return httpapi.NewHandler(a.CRM, append(opts, extra...)...)
}

// Console returns the web console (package console) over a's services,
// signed in with the managed API keys of keys, logging to logger, its
// changes in a's audit trail; extra options come last (WithInsecureCookies
// for a demo over plain http).
func (a *App) Console(keys *apikey.Service, logger *slog.Logger, extra ...console.Option) http.Handler {
	opts := []console.Option{console.WithLogger(logger), console.WithAudit(a.Stores.Audit)}
	return console.New(console.Services{CRM: a.CRM, Lifecycle: a.Lifecycle, Loyalty: a.Loyalty, Grading: a.Grading,
		Satisfaction: a.Satisfaction, Campaigns: a.Campaigns}, console.Keys(keys), append(opts, extra...)...)
}

// WithConsole serves the console web at console.DefaultPrefix (/console/)
// and everything else with api.
func WithConsole(api, web http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(console.DefaultPrefix, web)
	mux.Handle("/", api)
	return mux
}

// Serve serves h on ln until ctx is cancelled, then shuts down gracefully
// within ShutdownTimeout.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := httpapi.NewServer(ln.Addr().String(), h)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
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

// BaseURL is the URL a local client reaches addr at: a wildcard address
// (":8080") is shown as localhost.
func BaseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// GCPercent is the garbage collector's target `dealercrm serve` runs with
// when the GOGC environment variable does not set one: the heap may grow
// to five times what is live before a collection, not twice (Go's 100).
// A server on Postgres keeps little live (2-3 MB), and its requests
// allocate much that dies at once (a page of the call list, 195 KB): at
// 100 the call list's benchmark collected 45 times a second, spending a
// sixth of a core on it; at 400, 11 times and a quarter of that
// (docs/benchmarks.md, "The call list, sixth pass"). GOMEMLIMIT bounds
// the heap as usual.
const GCPercent = 400

// SetGC sets the garbage collector's target to GCPercent unless getenv
// (os.Getenv) finds GOGC set, and reports whether it did. It is for
// programs that serve the API, such as `dealercrm serve`; a host program
// has its own settings.
func SetGC(getenv func(string) string) bool {
	if getenv("GOGC") != "" {
		return false
	}
	debug.SetGCPercent(GCPercent)
	return true
}

// ImportMemoryLimit is the soft limit of the heap of a spreadsheet import
// (SetImportGC): under it, the import's peak RSS on a 108.5 MB workbook of
// a million rows was 270 MiB, within the 300 MiB it is to stay under
// (docs/benchmarks.md, "Spreadsheet import").
const ImportMemoryLimit = 256 << 20

// SetImportGC sets the garbage collector of `dealercrm import` unless
// getenv finds GOGC or GOMEMLIMIT set, and reports whether it did: the
// target GCPercent, as serve's, under the soft limit ImportMemoryLimit. A
// CSV import keeps little live and collected often at Go's 100 (a tenth
// of its CPU); a large workbook's reader keeps much more, and the limit
// makes the collector run early enough for it instead.
func SetImportGC(getenv func(string) string) bool {
	if getenv("GOMEMLIMIT") != "" || !SetGC(getenv) {
		return false
	}
	debug.SetMemoryLimit(ImportMemoryLimit)
	return true
}
