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
// curl lines for GET /v1/tasks and GET /v1/job-runs. It serves the web
// console (package console) at /console/, signed in with the same keys
// (cookies without Secure: the demo serves plain http). It only wires packages
// together: flags → store → services → demo data → scheduler → handler →
// http.Server.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // dealer time zones (Asia/Shanghai) also on hosts without tzdata

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/console"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/messages"
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
	var set app.Settings
	set.Flags(fs)
	fixedKeys := fs.Bool("fixed-keys", false, "also accept the demo's fixed, public keys (demo.Principals: demo-sh01-key, …), for scripted demos only")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := set.Check(*dsn != ""); err != nil {
		return err
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

	stores, pg, storeName, closeStore, err := openStores(ctx, *dsn, *schema, set.DB)
	if err != nil {
		return err
	}
	defer closeStore()
	store := stores.CRM
	// Every service on the backend, wired as cmd/dealercrm serve wires them
	// (internal/app): the plan reads grades and memberships, campaigns read
	// grades, stages and tiers, a PIPL export reaches every package. The
	// day's SMS reminders and campaign sends go through a log sender, which
	// logs what it would send (numbers masked).
	a, err := app.New(stores, app.Options{Now: now, Logger: logger, MaxImportRecords: set.ImportRecords,
		AuditRetentionDays: set.AuditDays, Templates: messages.DefaultTemplates()})
	if err != nil {
		return err
	}
	svc, grades, club, lc, sat, campaigns := a.CRM, a.Grading, a.Loyalty, a.Lifecycle, a.Satisfaction, a.Campaigns

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
	// in process on the in-memory store, on River with -postgres. Their
	// first round runs before serving, so that today's call list is there
	// when the banner shows it. The daily Messages job plans and sends;
	// the runner sends what quiet hours held and retries failures every
	// -message-interval. Webhook subscriptions are managed over HTTP
	// (/v1/webhooks) and delivered by the webhook runner.
	bg, err := a.StartBackground(ctx, pg, *dsn, set, true, now, logger)
	if err != nil {
		return err
	}
	defer bg.Stop()
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
	// The web console at /console/, signed in with the same keys; the demo
	// serves plain http, so its cookies go without Secure.
	h := app.WithConsole(a.Handler(keySvc, bg, set, logger, httpapi.WithPrincipals(fixed)),
		a.Console(keySvc, logger, console.WithInsecureCookies()))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := app.BaseURL(ln.Addr())
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
	fmt.Fprintf(stdout, "Web console: %s/console/ (sign in with one of the keys above)\n", base)
	admin := tokens[data.Dealers[0].APIKey]
	fmt.Fprintf(stdout, "Try:\n  curl -H 'Authorization: Bearer %s' '%s/v1/customers?limit=3'\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/tasks?date=%s'\n", admin, base, today)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/job-runs'\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/api-keys'\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/audit?limit=5'   # who read and changed what\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' '%s/v1/events?limit=5&wait=10'   # the event feed; pass next as after to follow it\n", admin, base)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"url\": \"https://dms.example.com/hooks\", \"types\": [\"points.earned\"]}' '%s/v1/webhooks'   # signed webhooks (Standard Webhooks)\n", admin, base)
	fmt.Fprintf(stdout, "Messages go through a log sender: the log shows each one it would send (\"messages: log sender\")\n")
	return app.Serve(ctx, ln, h, logger)
}

// openStores returns the in-memory stores, or with a DSN the stores of the
// migrated Postgres store in schema on a pool with the settings and that
// store, and a function that releases them.
func openStores(ctx context.Context, dsn, schema string, set app.DB) (backend.Stores, *postgres.Store, string, func(), error) {
	if dsn == "" {
		return memory.NewStores(), nil, "in-memory store", func() {}, nil
	}
	set.Name = "dealercrm-server"
	store, closeDB, err := app.OpenPostgres(ctx, dsn, set, postgres.WithSchema(schema))
	if err != nil {
		return backend.Stores{}, nil, "", nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		closeDB()
		return backend.Stores{}, nil, "", nil, err
	}
	return store.Stores(), store, "Postgres schema " + schema, closeDB, nil
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
