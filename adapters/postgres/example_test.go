package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Example wires the store to a host's database: the host opens and owns
// the pool, the store keeps its tables in a schema of its own.
func Example() {
	ctx := context.Background()
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN("postgres://crm@db.example:5432/dms?sslmode=disable")))
	db := bun.NewDB(sqldb, pgdialect.New())
	defer db.Close()

	store, err := postgres.New(db, postgres.WithSchema("crm"))
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	svc := crm.NewService(store)
	_ = svc
}

// ExampleStore_Stores wires the services of every package on one Postgres
// schema.
func ExampleStore_Stores() {
	var store *postgres.Store // from postgres.New, migrated
	stores := store.Stores()
	svc := crm.NewService(stores.CRM)
	grades, err := grading.NewService(stores.CRM, stores.Grading)
	if err != nil {
		log.Fatal(err)
	}
	lc, err := lifecycle.NewService(svc, stores.Tasks, lifecycle.WithGrades(grades))
	if err != nil {
		log.Fatal(err)
	}
	_ = lc
}

// ExampleRenderMigrations prints the migrations for a host that runs its
// own migration tool, with the tables prefixed in the host's schema.
func ExampleRenderMigrations() {
	files, err := postgres.RenderMigrations(postgres.WithSchema("public"), postgres.WithTablePrefix("crm_"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.Name)
	}
	// Output:
	// 0001_init.tx.down.sql
	// 0001_init.tx.up.sql
	// 0002_satisfaction.tx.down.sql
	// 0002_satisfaction.tx.up.sql
	// 0003_grading.tx.down.sql
	// 0003_grading.tx.up.sql
	// 0004_lifecycle.tx.down.sql
	// 0004_lifecycle.tx.up.sql
	// 0005_loyalty.tx.down.sql
	// 0005_loyalty.tx.up.sql
	// 0006_campaign.tx.down.sql
	// 0006_campaign.tx.up.sql
	// 0007_loyalty_sources.tx.down.sql
	// 0007_loyalty_sources.tx.up.sql
	// 0008_grading_run_per_date.tx.down.sql
	// 0008_grading_run_per_date.tx.up.sql
	// 0009_lifecycle_version.tx.down.sql
	// 0009_lifecycle_version.tx.up.sql
	// 0015_lifecycle_erasures.tx.down.sql
	// 0015_lifecycle_erasures.tx.up.sql
	// 0016_customer_birthday_calendar.tx.down.sql
	// 0016_customer_birthday_calendar.tx.up.sql
	// 0017_job_runs.tx.down.sql
	// 0017_job_runs.tx.up.sql
	// 0018_lifecycle_calllist.tx.down.sql
	// 0018_lifecycle_calllist.tx.up.sql
	// 0019_lifecycle_lead_tasks.tx.down.sql
	// 0019_lifecycle_lead_tasks.tx.up.sql
	// 0020_reason_codes.tx.down.sql
	// 0020_reason_codes.tx.up.sql
	// 0021_lifecycle_reports.tx.down.sql
	// 0021_lifecycle_reports.tx.up.sql
	// 0022_lifecycle_task_subject.tx.down.sql
	// 0022_lifecycle_task_subject.tx.up.sql
	// 0023_lifecycle_reports_json.tx.down.sql
	// 0023_lifecycle_reports_json.tx.up.sql
	// 0024_audit_log.tx.down.sql
	// 0024_audit_log.tx.up.sql
	// 0025_events.tx.down.sql
	// 0025_events.tx.up.sql
	// 0026_api_keys.tx.down.sql
	// 0026_api_keys.tx.up.sql
	// 0027_webhooks.tx.down.sql
	// 0027_webhooks.tx.up.sql
	// 0028_message_sends.tx.down.sql
	// 0028_message_sends.tx.up.sql
	// 0029_customer_merged_into.tx.down.sql
	// 0029_customer_merged_into.tx.up.sql
	// 0030_customer_id_number.tx.down.sql
	// 0030_customer_id_number.tx.up.sql
	// 0031_events_numbered_on_read.tx.down.sql
	// 0031_events_numbered_on_read.tx.up.sql
	// 0032_search.tx.down.sql
	// 0032_search.tx.up.sql
	// 0033_lifecycle_run_stamp.tx.down.sql
	// 0033_lifecycle_run_stamp.tx.up.sql
	// 0034_survey_follow_up_name.tx.down.sql
	// 0034_survey_follow_up_name.tx.up.sql
	// 0035_plate_key_full_width.tx.down.sql
	// 0035_plate_key_full_width.tx.up.sql
	// 0036_customer_consents_json.tx.down.sql
	// 0036_customer_consents_json.tx.up.sql
}

// ExampleStore_InTx writes a customer and a vehicle together.
func ExampleStore_InTx() {
	var store *postgres.Store // from postgres.New, migrated
	var customer crm.Customer
	var vehicle crm.Vehicle
	err := store.InTx(context.Background(), func(ctx context.Context, tx crm.Store) error {
		if err := tx.Customers().Create(ctx, &customer); err != nil {
			return err
		}
		vehicle.OwnerID = customer.ID
		return tx.Vehicles().Create(ctx, &vehicle)
	})
	if err != nil {
		log.Print(err)
	}
}
