package postgres_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// tablesIn lists the tables of schema.
func tablesIn(t *testing.T, db bun.IDB, schema string) []string {
	t.Helper()
	var names []string
	require.NoError(t, db.NewRaw(`SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1`, schema).
		Scan(context.Background(), &names))
	return names
}

// appliedMigrations returns the names recorded in a migrations table.
// embeddedVersions returns the versions ("0001", …) of the embedded
// migrations, in order: what a full Migrate applies.
func embeddedVersions(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(postgres.MigrationFS(), "*.up.sql")
	require.NoError(t, err)
	for i, n := range names {
		names[i], _, _ = strings.Cut(n, "_")
	}
	return names
}

func appliedMigrations(t *testing.T, db bun.IDB, table string) []string {
	t.Helper()
	var names []string
	require.NoError(t, db.NewRaw(`SELECT name FROM ? ORDER BY name`, bun.Safe(table)).Scan(context.Background(), &names))
	return names
}

// TestStoresSideBySide puts two stores in one schema, told apart by a table
// prefix and their own migrations tables, next to a host DMS's table of
// the same name as one of ours, and a third store in another schema with a
// renamed table. None sees another's records.
func TestStoresSideBySide(t *testing.T) {
	ctx := context.Background()
	db, shared := pgtest.Schema(t)
	_, other := pgtest.Schema(t)

	// The host DMS's own customers table, which must stay untouched.
	_, err := db.ExecContext(ctx, `CREATE TABLE ?.customers (dms_no integer PRIMARY KEY, name text)`, bun.Ident(shared))
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO ?.customers VALUES (1, 'host row')`, bun.Ident(shared))
	require.NoError(t, err)

	a, err := postgres.New(db, postgres.WithSchema(shared), postgres.WithTablePrefix("crm_"))
	require.NoError(t, err)
	b, err := postgres.New(db, postgres.WithSchema(shared), postgres.WithTablePrefix("crm2_"),
		postgres.WithMigrationTables("crm2_migrations", "crm2_migration_locks"))
	require.NoError(t, err)
	c, err := postgres.New(db, postgres.WithSchema(other), postgres.WithTableName(postgres.TableCustomers, "clients"))
	require.NoError(t, err)
	for name, s := range map[string]*postgres.Store{"a": a, "b": b, "c": c} {
		require.NoError(t, s.Migrate(ctx), "first Migrate of store %s", name)
		require.NoError(t, s.Migrate(ctx), "Migrate is idempotent: a second run of store %s does nothing", name)
	}

	assert.Equal(t, `"`+shared+`"."crm_customers"`, a.TableName(postgres.TableCustomers))
	assert.Equal(t, `"`+other+`"."clients"`, c.TableName(postgres.TableCustomers))
	assert.Equal(t, `"`+other+`"."vehicles"`, c.TableName(postgres.TableVehicles))
	sharedTables := tablesIn(t, db, shared)
	for _, want := range []string{"customers", "crm_customers", "crm2_customers", "crm_event_participations",
		postgres.DefaultMigrationsTable, postgres.DefaultMigrationLocksTable, "crm2_migrations", "crm2_migration_locks"} {
		assert.Contains(t, sharedTables, want, "schema %s has table %s", shared, want)
	}
	assert.Len(t, sharedTables, 1+2*len(postgres.Tables())+4, "the host's table, two sets of ours and two pairs of migration tables")
	assert.Contains(t, tablesIn(t, db, other), "clients")
	assert.NotContains(t, tablesIn(t, db, other), "customers")
	assert.Equal(t, embeddedVersions(t), appliedMigrations(t, db, `"`+shared+`"."`+postgres.DefaultMigrationsTable+`"`), "store a's migrations, applied once")
	assert.Equal(t, embeddedVersions(t), appliedMigrations(t, db, `"`+shared+`"."crm2_migrations"`), "store b's migrations, applied once")

	var hostRows int
	require.NoError(t, db.NewRaw(`SELECT count(*) FROM ?.customers`, bun.Ident(shared)).Scan(ctx, &hostRows))
	assert.Equal(t, 1, hostRows, "the host's own customers table is untouched")

	// The same dealer and customer in every store: no clash, no leak.
	dealer := crm.DealerID(dealercrm.NewID())
	cust := crmtest.Customer(dealer, 1)
	for _, s := range []*postgres.Store{a, b, c} {
		d := crmtest.Dealer(dealer)
		require.NoError(t, s.Dealers().Create(ctx, &d))
		v := cust.Clone()
		require.NoError(t, s.Customers().Create(ctx, &v), "the same IDs are free in another store")
	}
	only := crmtest.Customer(dealer, 2)
	require.NoError(t, a.Customers().Create(ctx, &only))
	for name, s := range map[string]*postgres.Store{"b": b, "c": c} {
		_, err := s.Customers().Get(ctx, dealer, only.ID)
		assert.ErrorIs(t, err, crm.ErrNotFound, "store %s does not see store a's customer", name)
		p, err := s.Customers().List(ctx, dealer, crm.CustomerFilter{})
		require.NoError(t, err)
		assert.Len(t, p.Items, 1, "store %s lists only its own customer", name)
	}
	p, err := a.Customers().List(ctx, dealer, crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Len(t, p.Items, 2, "store a lists its two customers")
}

// TestMigrateConcurrently runs Migrate of one new store from several
// goroutines at once: the advisory lock lets one migrate and the others
// find the work done.
func TestMigrateConcurrently(t *testing.T) {
	db, schema := pgtest.Schema(t)
	s, err := postgres.New(db, postgres.WithSchema(schema))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Migrate(context.Background()) })
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "concurrent Migrate %d", i)
	}
	assert.Equal(t, embeddedVersions(t), appliedMigrations(t, db, `"`+schema+`"."`+postgres.DefaultMigrationsTable+`"`))
}

// TestMigrateCreatesSchema lets Migrate create a schema that does not exist.
func TestMigrateCreatesSchema(t *testing.T) {
	ctx := context.Background()
	db, schema := pgtest.Schema(t)
	nested := schema + "_new"
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS ? CASCADE", bun.Ident(nested))
	})
	s, err := postgres.New(db, postgres.WithSchema(nested))
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	assert.Contains(t, tablesIn(t, db, nested), "customers")
}

// TestRenderMigrations renders the migrations for other tools and runs the
// result by hand: a store on those tables works without Migrate.
func TestRenderMigrations(t *testing.T) {
	ctx := context.Background()
	db, schema := pgtest.Schema(t)
	opts := []postgres.Option{postgres.WithSchema(schema), postgres.WithTablePrefix("x_"), postgres.WithTableName(postgres.TableLeads, "prospects")}
	files, err := postgres.RenderMigrations(opts...)
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		assert.NotContains(t, f.SQL, "{{", "%s is fully rendered", f.Name)
	}
	assert.Equal(t, []string{"0001_init.tx.down.sql", "0001_init.tx.up.sql", "0002_satisfaction.tx.down.sql", "0002_satisfaction.tx.up.sql", "0003_grading.tx.down.sql", "0003_grading.tx.up.sql", "0004_lifecycle.tx.down.sql", "0004_lifecycle.tx.up.sql", "0005_loyalty.tx.down.sql", "0005_loyalty.tx.up.sql", "0006_campaign.tx.down.sql", "0006_campaign.tx.up.sql", "0007_loyalty_sources.tx.down.sql", "0007_loyalty_sources.tx.up.sql", "0008_grading_run_per_date.tx.down.sql", "0008_grading_run_per_date.tx.up.sql", "0009_lifecycle_version.tx.down.sql", "0009_lifecycle_version.tx.up.sql", "0015_lifecycle_erasures.tx.down.sql", "0015_lifecycle_erasures.tx.up.sql", "0016_customer_birthday_calendar.tx.down.sql", "0016_customer_birthday_calendar.tx.up.sql", "0017_job_runs.tx.down.sql", "0017_job_runs.tx.up.sql", "0018_lifecycle_calllist.tx.down.sql", "0018_lifecycle_calllist.tx.up.sql", "0019_lifecycle_lead_tasks.tx.down.sql", "0019_lifecycle_lead_tasks.tx.up.sql", "0020_reason_codes.tx.down.sql", "0020_reason_codes.tx.up.sql", "0021_lifecycle_reports.tx.down.sql", "0021_lifecycle_reports.tx.up.sql", "0022_lifecycle_task_subject.tx.down.sql", "0022_lifecycle_task_subject.tx.up.sql", "0023_lifecycle_reports_json.tx.down.sql", "0023_lifecycle_reports_json.tx.up.sql", "0024_audit_log.tx.down.sql", "0024_audit_log.tx.up.sql", "0025_events.tx.down.sql", "0025_events.tx.up.sql", "0026_api_keys.tx.down.sql", "0026_api_keys.tx.up.sql", "0027_webhooks.tx.down.sql", "0027_webhooks.tx.up.sql", "0028_message_sends.tx.down.sql", "0028_message_sends.tx.up.sql", "0029_customer_merged_into.tx.down.sql", "0029_customer_merged_into.tx.up.sql", "0030_customer_id_number.tx.down.sql", "0030_customer_id_number.tx.up.sql", "0031_events_numbered_on_read.tx.down.sql", "0031_events_numbered_on_read.tx.up.sql", "0032_search.tx.down.sql", "0032_search.tx.up.sql", "0033_lifecycle_run_stamp.tx.down.sql", "0033_lifecycle_run_stamp.tx.up.sql", "0034_survey_follow_up_name.tx.down.sql", "0034_survey_follow_up_name.tx.up.sql", "0035_plate_key_full_width.tx.down.sql", "0035_plate_key_full_width.tx.up.sql", "0036_customer_consents_json.tx.down.sql", "0036_customer_consents_json.tx.up.sql"}, names, "the embedded migrations, in name order")
	up := files[1].SQL
	assert.Contains(t, up, `CREATE TABLE "`+schema+`"."x_customers"`)
	assert.Contains(t, up, `CREATE TABLE "`+schema+`"."prospects"`)
	assert.Contains(t, up, `CONSTRAINT "x_vehicles_vin_key" UNIQUE (dealer_id, vin)`)

	_, err = db.ExecContext(ctx, up)
	require.NoError(t, err, "the rendered up migration runs as it is")
	s, err := postgres.New(db, opts...)
	require.NoError(t, err)
	d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
	require.NoError(t, s.Dealers().Create(ctx, &d))
	l := crmtest.Lead(d.ID, 1)
	require.NoError(t, s.Leads().Create(ctx, &l))
	got, err := s.Leads().Get(ctx, d.ID, l.ID)
	require.NoError(t, err)
	crmtest.Equal(t, l, got, "a lead in the renamed table")

	_, err = db.ExecContext(ctx, files[0].SQL)
	require.NoError(t, err, "the rendered down migration runs as it is")
	assert.Empty(t, tablesIn(t, db, schema), "the down migration drops every table")

	// The embedded files are templates.
	raw, err := postgres.MigrationFS().Open("0001_init.tx.up.sql")
	require.NoError(t, err)
	require.NoError(t, raw.Close())
}

// TestNewRejectsBadNames checks the options New validates.
func TestNewRejectsBadNames(t *testing.T) {
	db := pgtest.DB(t)
	long := strings.Repeat("x", 50)
	cases := []struct {
		name string
		opts []postgres.Option
		want string
	}{
		{"QuotedSchema", []postgres.Option{postgres.WithSchema(`crm"; DROP TABLE x; --`)}, "schema"},
		{"UpperCase", []postgres.Option{postgres.WithTableName(postgres.TableSales, "Sales")}, "table sales"},
		{"TooLong", []postgres.Option{postgres.WithTablePrefix(long)}, "longer than"},
		{"Clash", []postgres.Option{postgres.WithTableName(postgres.TableSales, "leads")}, "like table leads"},
		{"ClashMigrations", []postgres.Option{postgres.WithMigrationTables("customers", "locks")}, "like the migrations table"},
		{"SameMigrationTables", []postgres.Option{postgres.WithMigrationTables("m", "m")}, "same name"},
		{"UnknownTable", []postgres.Option{postgres.WithTableName("orders", "orders")}, "unknown table"},
		{"NoAttempts", []postgres.Option{postgres.WithTxRetries(0)}, "attempt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := postgres.New(db, tc.opts...)
			require.Error(t, err)
			assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "bad options are invalid input")
			assert.Contains(t, err.Error(), tc.want)
			_, err = postgres.RenderMigrations(tc.opts...)
			assert.Error(t, err, "RenderMigrations checks the same options")
		})
	}
	_, err := postgres.New(nil)
	assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "New without a database")
}

// TestMigrationsDownAndUpBesideAnotherStore runs every rendered up
// migration in order, then every down migration in reverse, then the ups
// again, on one connection whose search_path leads to another store's
// schema with the default names. Each statement names its schema, so the
// other store keeps every index and table (a down migration's unqualified
// DROP INDEX IF EXISTS would have dropped the first one found on the
// path, and left its own), and the schema ends with what the ups make.
func TestMigrationsDownAndUpBesideAnotherStore(t *testing.T) {
	ctx := context.Background()
	other := pgtest.NewStore(t)
	db, schema := pgtest.Schema(t)
	files, err := postgres.RenderMigrations(postgres.WithSchema(schema))
	require.NoError(t, err)
	var ups, downs []string
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".up.sql") {
			ups = append(ups, f.SQL)
		} else {
			downs = append(downs, f.SQL)
		}
	}
	slices.Reverse(downs)
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `SET search_path = "`+other.Schema()+`", public`)
	require.NoError(t, err)
	indexes := func(schema string) []string {
		var out []string
		rows, err := db.QueryContext(ctx, "SELECT indexname FROM pg_indexes WHERE schemaname = ? ORDER BY 1", schema)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			if !strings.HasPrefix(n, "dealercrm_migration") { // Migrate's own bookkeeping
				out = append(out, n)
			}
		}
		require.NoError(t, rows.Err())
		return out
	}
	theirs := indexes(other.Schema())
	run := func(what string, stmts []string) {
		for i, q := range stmts {
			_, err := conn.ExecContext(ctx, q)
			require.NoError(t, err, "%s #%d", what, i)
		}
	}
	run("up", ups)
	ours := indexes(schema)
	assert.Equal(t, theirs, ours, "the same indexes as a migrated store")
	run("down", downs)
	assert.Empty(t, tablesIn(t, db, schema), "every down migration run: no table left")
	assert.Empty(t, indexes(schema))
	run("up again", ups)
	assert.Equal(t, ours, indexes(schema))
	assert.Equal(t, theirs, indexes(other.Schema()), "the other store's indexes, untouched")
}
