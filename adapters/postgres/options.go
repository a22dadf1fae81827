package postgres

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/jobs"
)

// Table names one of the adapter's tables by its default name. Use it with
// WithTableName to rename a table.
type Table string

// The adapter's tables, by default name.
const (
	TableDealers        Table = "dealers"
	TableCustomers      Table = "customers"
	TableLeads          Table = "leads"
	TableVehicles       Table = "vehicles"
	TableSales          Table = "sales"
	TableServiceOrders  Table = "service_orders"
	TablePolicies       Table = "insurance_policies"
	TableInteractions   Table = "interactions"
	TableComplaints     Table = "complaints"
	TableParticipations Table = "event_participations"
	// The satisfaction tables (migration 0002).
	TableSatisfactionHierarchies    Table = "satisfaction_hierarchies"
	TableSatisfactionQuestionnaires Table = "satisfaction_questionnaires"
	TableSatisfactionResponses      Table = "satisfaction_responses"
	// The grading tables (migration 0003).
	TableGradingRuns    Table = "grading_runs"
	TableGradingStates  Table = "grading_states"
	TableGradingChanges Table = "grading_changes"
	// The lifecycle tables (migration 0004).
	TableLifecycleTasks Table = "lifecycle_tasks"
	// The loyalty tables (migration 0005).
	TableLoyaltyMemberships      Table = "loyalty_memberships"
	TableLoyaltyMembershipEvents Table = "loyalty_membership_events"
	TableLoyaltyAccounts         Table = "loyalty_accounts"
	TableLoyaltyEntries          Table = "loyalty_entries"
	TableLoyaltyLots             Table = "loyalty_lots"
	TableLoyaltyIdempotency      Table = "loyalty_idempotency"
	// The campaign tables (migration 0006).
	TableCampaigns                Table = "campaigns"
	TableCampaignProfiles         Table = "campaign_profiles"
	TableCampaignMembers          Table = "campaign_members"
	TableCampaignAccessoryTargets Table = "campaign_accessory_targets"
	// The erasures of customers' lifecycle tasks (migration 0015).
	TableLifecycleErasures Table = "lifecycle_erasures"
	// The records of the daily jobs' runs (migration 0017).
	TableJobRuns Table = "job_runs"
	// The report snapshots of the daily lifecycle run (migrations 0021,
	// 0023).
	TableLifecycleReports Table = "lifecycle_reports"
	// The audit trail (migration 0024).
	TableAuditLog Table = "audit_log"
	// The event outbox and the dealers' event sequences (migration 0025).
	TableEvents    Table = "events"
	TableEventSeqs Table = "event_seqs"
	// The managed API keys (migration 0026).
	TableAPIKeys Table = "api_keys"
	// The webhook subscriptions and their delivery log (migration 0027).
	TableWebhookSubscriptions Table = "webhook_subscriptions"
	TableWebhookDeliveries    Table = "webhook_deliveries"
	// The sends of package messages (migration 0028).
	TableMessageSends Table = "message_sends"
)

// allTables lists every table of the adapter, in migration order.
var allTables = []Table{
	TableDealers, TableCustomers, TableLeads, TableVehicles, TableSales,
	TableServiceOrders, TablePolicies, TableInteractions, TableComplaints, TableParticipations,
	TableSatisfactionHierarchies, TableSatisfactionQuestionnaires, TableSatisfactionResponses,
	TableGradingRuns, TableGradingStates, TableGradingChanges,
	TableLifecycleTasks,
	TableLoyaltyMemberships, TableLoyaltyMembershipEvents, TableLoyaltyAccounts, TableLoyaltyEntries, TableLoyaltyLots, TableLoyaltyIdempotency,
	TableCampaigns, TableCampaignProfiles, TableCampaignMembers, TableCampaignAccessoryTargets,
	TableLifecycleErasures,
	TableJobRuns,
	TableLifecycleReports,
	TableAuditLog,
	TableEvents, TableEventSeqs,
	TableAPIKeys,
	TableWebhookSubscriptions, TableWebhookDeliveries,
	TableMessageSends,
}

// Tables returns every table of the adapter, by default name, in migration
// order.
func Tables() []Table { return slices.Clone(allTables) }

// Defaults of the naming options.
const (
	// DefaultSchema is the schema of every table unless WithSchema says
	// otherwise. Keeping dealercrm in its own schema lets it sit next to a
	// host DMS's tables (usually in "public") without clashes.
	DefaultSchema = "dealercrm"
	// DefaultMigrationsTable and DefaultMigrationLocksTable are the
	// bookkeeping tables of bun/migrate, in the same schema.
	DefaultMigrationsTable     = "dealercrm_migrations"
	DefaultMigrationLocksTable = "dealercrm_migration_locks"
)

// Option configures a Store (New) or the rendering of migrations
// (RenderMigrations).
type Option func(*config)

// WithSchema puts every table, the migration tables included, in schema
// (DefaultSchema by default). Migrate creates the schema when it is missing.
func WithSchema(schema string) Option {
	return func(c *config) { c.schema = schema }
}

// WithTablePrefix prepends prefix to the name of every table (not the
// migration tables): WithTablePrefix("crm_") stores customers in
// "crm_customers". A name set with WithTableName is used as it is.
func WithTablePrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithTableName stores table t under name instead of its default name (and
// without the prefix of WithTablePrefix).
func WithTableName(t Table, name string) Option {
	return func(c *config) { c.names[t] = name }
}

// WithMigrationTables sets the names of the tables bun/migrate keeps its
// bookkeeping in (DefaultMigrationsTable and DefaultMigrationLocksTable by
// default), so that they do not clash with a host's own bun/migrate tables.
func WithMigrationTables(migrations, locks string) Option {
	return func(c *config) { c.migrations, c.locks = migrations, locks }
}

// WithTxRetries sets how many times InTx (and Update and Upsert, which run
// in a transaction of their own) try a transaction that fails with a
// serialization failure or a deadlock before giving up; 4 by default.
func WithTxRetries(attempts int) Option {
	return func(c *config) { c.attempts = attempts }
}

// WithoutEvents makes the Store drop the events of its changes instead
// of writing them to the outbox (TableEvents): for a host that reads no
// event feed and sends no webhooks, and for measuring what the outbox
// costs. The event feed of such a Store stays empty.
func WithoutEvents() Option { return func(c *config) { c.noEvents = true } }

// WithoutPreparedStatements makes the Store send every statement as
// text, formatted by bun. By default a loyalty command's two statements on
// the posting path (LoyaltyStore.Do) run as prepared statements, saving
// their parse and plan; use this option behind a pooler that does not
// keep prepared statements per client, such as PgBouncer in transaction
// mode (before 1.21), or where bun's query hooks (bunotel) must see every
// statement: prepared statements go straight to the driver, past them.
func WithoutPreparedStatements() Option { return func(c *config) { c.noPrepare = true } }

// WithRunLease sets how long a job run may stay running before
// RunStore.Begin takes it to be abandoned by a dead worker and claims it
// again (jobs.DefaultLease, an hour, by default). riverjobs rescues River's
// stuck jobs after the same time.
func WithRunLease(d time.Duration) Option {
	return func(c *config) { c.lease = d }
}

// config is the resolved naming of one Store.
type config struct {
	// noEvents drops the events of changes instead of writing them
	// (WithoutEvents).
	noEvents bool
	// noPrepare sends the posting path's statements unprepared
	// (WithoutPreparedStatements); stmts holds them prepared otherwise.
	noPrepare bool
	stmts     *stmtCache
	// statement and beforeCommit are the tests' hooks (export_test.go):
	// called with each prepared statement's text before it runs, and in
	// runTx just before COMMIT.
	statement    func(q string)
	beforeCommit func(ctx context.Context)
	schema       string
	prefix       string
	names        map[Table]string
	migrations   string
	locks        string
	attempts     int
	lease        time.Duration
}

// identRE is what the adapter accepts as a schema or table name: plain SQL
// identifiers, so that names never need more than quoting.
var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// maxIdent is Postgres's identifier limit (NAMEDATALEN-1); longer names
// are silently truncated, which could make two index names clash.
const maxIdent = 63

// longestSuffix is the longest suffix the migrations add to a table name to
// name its constraints and indexes; see nameSuffixRE in migrate.go.
const longestSuffix = len("_service_order_id_idx")

func newConfig(opts []Option) (*config, error) {
	c := &config{
		schema:     DefaultSchema,
		names:      map[Table]string{},
		migrations: DefaultMigrationsTable,
		locks:      DefaultMigrationLocksTable,
		attempts:   4,
		lease:      jobs.DefaultLease,
		stmts:      &stmtCache{},
	}
	for _, o := range opts {
		o(c)
	}
	for t := range c.names {
		if !slices.Contains(allTables, t) {
			return nil, invalidf("postgres: unknown table %q", t)
		}
	}
	for _, t := range allTables {
		if _, ok := c.names[t]; !ok {
			c.names[t] = c.prefix + string(t)
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *config) validate() error {
	var problems []string
	check := func(what, name string, max int) {
		switch {
		case !identRE.MatchString(name):
			problems = append(problems, fmt.Sprintf("%s %q is not a lower-case SQL identifier ([a-z_][a-z0-9_]*)", what, name))
		case len(name) > max:
			problems = append(problems, fmt.Sprintf("%s %q is longer than %d bytes", what, name, max))
		}
	}
	check("schema", c.schema, maxIdent)
	check("migrations table", c.migrations, maxIdent)
	check("migration locks table", c.locks, maxIdent)
	seen := map[string]string{c.migrations: "the migrations table"}
	if c.locks == c.migrations {
		problems = append(problems, "the migrations and migration locks tables have the same name")
	}
	seen[c.locks] = "the migration locks table"
	for _, t := range allTables {
		name := c.names[t]
		// Index names are the table name plus a suffix and must fit too.
		check("table "+string(t), name, maxIdent-longestSuffix)
		if other, ok := seen[name]; ok {
			problems = append(problems, fmt.Sprintf("table %s is named %q like %s", t, name, other))
		}
		seen[name] = "table " + string(t)
	}
	if c.lease <= 0 {
		problems = append(problems, fmt.Sprintf("run lease %s: must be positive", c.lease))
	}
	if c.attempts < 1 {
		problems = append(problems, fmt.Sprintf("tx retries %d: at least one attempt is needed", c.attempts))
	}
	if len(problems) > 0 {
		return invalidf("postgres: %s", strings.Join(problems, "; "))
	}
	return nil
}

// quoteIdent quotes a name validated by identRE.
func quoteIdent(name string) string { return `"` + name + `"` }

// table returns the schema-qualified, quoted name of t.
func (c *config) table(t Table) string {
	return quoteIdent(c.schema) + "." + quoteIdent(c.names[t])
}

// migrationsTable and locksTable return the qualified, quoted names of the
// bun/migrate tables.
func (c *config) migrationsTable() string {
	return quoteIdent(c.schema) + "." + quoteIdent(c.migrations)
}
func (c *config) locksTable() string { return quoteIdent(c.schema) + "." + quoteIdent(c.locks) }

func invalidf(format string, args ...any) error {
	return dealercrm.Errorf(dealercrm.Invalid, format, args...)
}
