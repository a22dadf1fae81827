package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/console"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/dealercrm/dealercrm/messages"
)

var serveCommand = &command{
	name:    "serve",
	summary: "serve the HTTP API and the web console, with the daily jobs, messages and webhooks",
	help: `Usage: dealercrm serve [flags]

Serves the HTTP API (its OpenAPI document at /v1/openapi.json) on a migrated
Postgres schema and runs the background work: the daily jobs on River
(several replicas may serve one schema; each dealer-day runs once), the
message runner and the webhook deliveries. Requests authenticate with API
keys made by "dealercrm keys create" under the same DEALERCRM_KEY_SECRET.
It stops gracefully on SIGINT or SIGTERM. The limits below suit a small
host; docs/operations.md explains them.

  export DEALERCRM_POSTGRES_DSN='postgres://crm@db:5432/dms?sslmode=require'
  export DEALERCRM_KEY_SECRET=…    # at least 32 bytes, the one keys create used
  dealercrm serve --addr :8080 --pool 30 --heavy 6

Messages (SMS reminders, campaign sends) go to the log unless a host
program implements the Sender port; --message-templates names a JSON file
of templates ([{"id": "maintenance", "purpose": "reminder", "text":
"【{dealer}】{customer}您好，…"}]), the built-in Chinese ones by default.
For a trial without a database, --memory serves an empty in-memory store
(everything is lost on exit; the example server has demo data).

The garbage collector runs with GOGC=400 unless the GOGC environment
variable says otherwise (the heap grows to five times what is live between
collections; set GOMEMLIMIT to bound it).`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var set app.Settings
		var addr, logFormat, templatesFile string
		var inMemory, migrate bool
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", ":8080", "listen address (host:port; port 0 picks a free one)")
			fs.StringVar(&logFormat, "log", "text", "log format on stderr: text or json")
			fs.StringVar(&templatesFile, "message-templates", "", "JSON file of message templates (default: messages.DefaultTemplates, Chinese)")
			fs.BoolVar(&inMemory, "memory", false, "serve an empty in-memory store instead of Postgres (a trial: nothing is kept)")
			fs.BoolVar(&migrate, "migrate", false, "migrate the schema before serving (as dealercrm migrate)")
			set.Flags(fs)
		}); err != nil {
			return err
		}
		if err := set.Check(!inMemory); err != nil {
			return usagef("%v", err)
		}
		if logFormat != "text" && logFormat != "json" {
			return usagef("--log %q: want text or json", logFormat)
		}
		secret := e.getenv("DEALERCRM_KEY_SECRET")
		if len(secret) < apikey.MinSecret {
			return usagef("DEALERCRM_KEY_SECRET must hold the server secret of the API keys, at least %d bytes", apikey.MinSecret)
		}
		templates := messages.DefaultTemplates()
		if templatesFile != "" {
			b, err := os.ReadFile(templatesFile)
			if err != nil {
				return err
			}
			templates = nil
			if err := json.Unmarshal(b, &templates); err != nil {
				return fmt.Errorf("--message-templates %s: %w", templatesFile, err)
			}
		}
		logger := e.logger(logFormat, slog.LevelInfo)
		if app.SetGC(e.getenv) {
			logger.Info("garbage collector target set", "GOGC", app.GCPercent, "why", "serve's default; set GOGC to choose another")
		}

		var stores backend.Stores
		var pg *postgres.Store
		where := "an in-memory store (nothing is kept)"
		if inMemory {
			stores = memory.NewStores()
		} else {
			d.set = set.DB
			d.set.Name = "dealercrm-serve"
			store, closeDB, err := d.open(ctx)
			if err != nil {
				return err
			}
			defer closeDB()
			if migrate {
				if err := store.Migrate(ctx); err != nil {
					return err
				}
			}
			stores, pg, where = store.Stores(), store, "Postgres schema "+store.Schema()
		}
		a, err := app.New(stores, app.Options{Now: e.now, Logger: logger, MaxImportRecords: set.ImportRecords,
			AuditRetentionDays: set.AuditDays, Templates: templates})
		if err != nil {
			return err
		}
		keys, err := apikey.NewService(stores.Keys, []byte(secret), apikey.WithClock(e.now))
		if err != nil {
			return err
		}
		bg, err := a.StartBackground(ctx, pg, d.dsn, set, false, e.now, logger)
		if err != nil {
			return err
		}
		defer bg.Stop()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "dealercrm %s serving on %s (%s); web console at %s/console/\n", dealercrm.Version, app.BaseURL(ln.Addr()), where, app.BaseURL(ln.Addr()))
		// The console's cookies are Secure: serve it behind TLS (browsers
		// also keep them on http://localhost).
		// Its CSRF tokens are keyed by a secret derived from the keys'
		// one, so that every replica accepts the forms of the others.
		web := a.Console(keys, logger, console.WithSecret(consoleSecret(secret)))
		return app.Serve(ctx, ln, app.WithConsole(a.Handler(keys, bg, set, logger), web), logger)
	},
}

// consoleSecret derives the web console's CSRF secret from the server
// secret of the API keys: the same on every replica, and not the keys'
// secret itself.
func consoleSecret(keySecret string) []byte {
	m := hmac.New(sha256.New, []byte(keySecret))
	m.Write([]byte("dealercrm web console"))
	return m.Sum(nil)
}
