package riverjobs_test

import (
	"context"
	"database/sql"
	"log"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/riverjobs"
	"github.com/dealercrm/dealercrm/jobs"
)

// Example wires the scheduler on a replica: River's own pool opened with
// pgx (imported as _ "github.com/jackc/pgx/v5/stdlib"), both migrations,
// then Start and, at shutdown, Stop.
func Example() {
	ctx := context.Background()
	var store *postgres.Store // postgres.New on the bun pool
	var services jobs.Services
	dsn := "postgres://dealercrm@db:5432/dealercrm"

	if err := store.Migrate(ctx); err != nil { // job_runs among the rest
		log.Fatal(err)
	}
	riverDB, err := sql.Open("pgx", dsn)
	if err != nil {
		log.Fatal(err)
	}
	riverDB.SetMaxOpenConns(6)
	if err := riverjobs.Migrate(ctx, riverDB, store.Schema()); err != nil {
		log.Fatal(err)
	}
	sched, err := riverjobs.New(store, riverDB, jobs.Defaults(services), riverjobs.WithID("replica-1"))
	if err != nil {
		log.Fatal(err) // also when riverDB's driver is bun's pgdriver
	}
	if err := sched.Start(ctx); err != nil {
		log.Fatal(err)
	}
	// … serve sched.Trigger and sched.Runs …
	stop, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := sched.Stop(stop); err != nil {
		log.Print(err)
	}
}
