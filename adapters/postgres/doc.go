// Package postgres implements the crm storage ports on PostgreSQL with Bun:
// a complete crm.Store that passes the same conformance suite
// (crm/crmtest) as the in-memory store.
//
// # Wiring
//
// New takes a *bun.DB with the pgdialect and never opens connections of its
// own; the host owns the pool. Migrate creates or updates the tables:
//
//	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn),
//		pgdriver.WithResetSessionFunc(postgres.CheckConn)))
//	sqldb.SetMaxOpenConns(20) // see docs/operations.md
//	db := bun.NewDB(sqldb, pgdialect.New())
//	store, err := postgres.New(db, postgres.WithSchema("crm"))
//	if err != nil { … }
//	if err := store.Migrate(ctx); err != nil { … }
//	svc := crm.NewService(store)
//
// The Store is the crm.Store; the other packages' stores live in the same
// schema, next to the crm tables: LifecycleTasks, Loyalty, Grading,
// Satisfaction, Campaigns and Runs (the daily jobs' jobs.RunStore) return
// them, and Stores returns them all as one backend.Stores, the way
// memory.NewStores does in memory:
//
//	stores := store.Stores()
//	club, err := loyalty.NewService(stores.CRM, stores.Loyalty)
//
// The scheduler of the daily jobs on Postgres is the subpackage riverjobs
// (River, on a pool of its own; docs/jobs.md).
//
// # Names
//
// Everything lives in one schema, "dealercrm" by default (DefaultSchema),
// so that the adapter sits next to a host DMS's own tables. WithSchema
// picks another schema, WithTablePrefix prefixes every table name
// ("crm_customers"), WithTableName renames one table, and
// WithMigrationTables renames the two bookkeeping tables of bun/migrate
// (DefaultMigrationsTable, DefaultMigrationLocksTable), which live in the
// same schema. Constraint and index names derive from the table names, so
// two stores with different names share a schema without clashes. Names are
// lower-case SQL identifiers; New checks them.
//
// # Migrations
//
// The SQL migrations are embedded (MigrationFS) as text/template files in
// bun/migrate's naming, "0001_init.tx.up.sql": placeholders stand for the
// configured schema, tables and index names. Migrate renders them through
// bun/migrate under the configured migrations table, serialised by a
// Postgres advisory lock, and is idempotent. Hosts with other migration
// tools take RenderMigrations' output instead. Released up migrations
// never change; later versions come as new files. A down migration found
// wrong is corrected in place (it is run only to undo, and the fix is
// listed in the changelog).
//
// # Schema
//
// Every table has dealer_id, and every primary key, unique constraint and
// (for dealer-owned tables) index includes or leads with it, so that the
// tables can be distributed by dealer on Citus. IDs are text COLLATE "C",
// so ORDER BY id is byte order and cursors agree with every other store
// (crm.NewPage). Money is numeric (kept exactly, compared by value), dates
// are date (NULL for the zero dealercrm.Date), times timestamptz (returned in
// UTC, kept to the microsecond), hobbies and brands text[], and nested
// lists (odometer readings, value-chain items, follow-ups, lost requests,
// a dealer's lead policy) jsonb documents in the adapter's own format; a
// customer's consents, read and written only whole, are json (the text as
// sent). An empty external ID or reference is NULL: unique (dealer_id,
// external_id) allows any number of records without one. There are no
// foreign keys: the crm Service checks references, and this store behaves
// like every other.
//
// Domain types carry no tags: each entity has a row struct and explicit
// mappings (customerRow, fromCustomer, toCustomer), and one generic
// repository serves the nine dealer-owned kinds. Every query is scoped to
// a dealer.
//
// # Transactions and errors
//
// Stores work on bun.IDB: the Store InTx passes to its function runs every
// method in that transaction (nested InTx calls join it). InTx rolls back
// on error or panic and retries the whole function on a serialization
// failure or deadlock (WithTxRetries), and begins again on another
// connection when BEGIN meets a pooled connection that died while idle (a
// Postgres restart); CheckConn discards such connections before any
// statement uses them. Inside a transaction each write runs
// under a savepoint, so a failed one undoes only itself and the
// transaction stays usable, as in the memory store. Update locks the row
// with SELECT … FOR UPDATE, in the current transaction or one of its own.
//
// A loyalty command on its own runs on a posting path of two prepared
// statements without BEGIN and COMMIT (LoyaltyStore.Do). Prepared
// statements bypass bun's query hooks (bunotel); WithoutPreparedStatements
// sends them as text, for PgBouncer in transaction mode. Events are
// written unnumbered and numbered by their first reader (EventStore), so
// following the feed needs a role that may write the event tables.
//
// A normal conflict raises no SQL error: Postgres would log the failed
// statement, and bun writes the values (names, mobiles) into its text.
// Writes insert or detect instead. Create says INSERT … ON CONFLICT DO
// NOTHING and, when no row went in, one SELECT finds which key is taken;
// Update looks for another holder of a changed external ID or VIN before
// it writes; Upsert reads the keys its batch names in one SELECT and
// plays the items against them in order. The answer is a
// *crm.ConflictError naming the field ("vin"), decided without reading
// error text or constraint names, which Citus does not pass on from its
// workers. Every statement is scoped to one dealer (dealer_id = …), so it
// routes to one shard. docs/operations.md says how to set the server's
// logging.
//
// Driver errors are translated at the boundary by SQLSTATE alone: no rows
// is crm.ErrNotFound; a unique violation, left only for two writers racing
// for one key, is crm.ErrConflict naming nothing; lost connections and
// cancelled contexts have code Unavailable; a value Postgres refuses
// (22xxx) code Invalid; everything else Internal. The messages end users
// see (dealercrm.ErrorMessage) name no SQLSTATE, constraint, table or
// store. Text Postgres cannot store (NUL, invalid UTF-8) never reaches it:
// records, IDs and filters holding it are refused by field, as in the
// memory store (crm.CheckTexts).
//
// # Bulk upserts
//
// Upsert (and so crm.Service.Import) first reads the keys its batch names
// (see above), then writes each chunk of 5,000 rows with
// one INSERT … SELECT … FROM unnest(<a text[] per column>) ON CONFLICT
// (dealer_id, external_id) DO UPDATE … WHERE the content differs (a
// column with the same value in every row is that value, sent once),
// RETURNING (xmax = 0) to tell created from updated rows; rows not
// returned are unchanged. The next chunk is encoded while Postgres writes
// the current one. On a 2-core machine, 100,000 customers and 100,000
// vehicles import at about 40,000 rows/s (BenchmarkUpsertCustomersVehicles;
// encode.go compares the alternatives).
//
// Tests use the real database through package pgtest.
//
// # Observability
//
// Each transaction attempt is an OpenTelemetry span postgres.tx, and each
// call of the crm repositories, dealers, job runs, lifecycle tasks,
// grading and the fact loaders a span postgres.<store>.<Method> — its
// child inside InTx — from the global tracer provider. The statements are
// the host's to trace, with bunotel on its *bun.DB; mind the bulk upsert's
// literal rows (docs/observability.md).
package postgres
