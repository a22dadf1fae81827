package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// bookkeeping are the bun/migrate tables: not ours to distribute.
var bookkeeping = []string{postgres.DefaultMigrationsTable, postgres.DefaultMigrationLocksTable}

// referenceTables are the tables a Citus deployment makes reference
// tables (create_reference_table): api_keys, a few rows per dealer, read
// by key ID on every request before the dealer is known; and
// webhook_subscriptions, a few rows per dealer, claimed by the webhook
// runners across dealers.
var referenceTables = []string{string(postgres.TableAPIKeys), string(postgres.TableWebhookSubscriptions)}

// citusProblems reads schema from pg_catalog and lists everything that would
// keep its tables from being distributed by dealer_id on Citus (SPEC §7): a
// table without dealer_id; a primary key, unique index or constraint without
// it; an index of a dealer-owned table that does not lead with it; an
// exclusion constraint. It also wants identifier columns in byte order
// (COLLATE "C"), as cursor pagination needs. The dealers table, keyed by
// dealer_id and read by group, may have indexes that lead with another
// column; a non-unique GIN index need not lead with dealer_id. The
// reference tables — small, replicated to every node on Citus — are keyed
// by their own ID.
func citusProblems(ctx context.Context, db bun.IDB, schema string) ([]string, error) {
	var problems []string
	var noDealer []string
	if err := db.NewRaw(`
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND c.relname NOT IN (?)
		AND NOT EXISTS (SELECT 1 FROM pg_attribute a
			WHERE a.attrelid = c.oid AND a.attname = 'dealer_id' AND NOT a.attisdropped)`,
		schema, bun.List(bookkeeping)).Scan(ctx, &noDealer); err != nil {
		return nil, err
	}
	for _, tb := range noDealer {
		problems = append(problems, fmt.Sprintf("table %s has no dealer_id", tb))
	}

	var indexes []struct {
		Table   string `bun:"table_name"`
		Index   string `bun:"index_name"`
		Unique  bool   `bun:"is_unique"`
		Leading string `bun:"leading"`
		Has     bool   `bun:"has_dealer"`
		Method  string `bun:"method"`
	}
	if err := db.NewRaw(`
		SELECT t.relname AS table_name, i.relname AS index_name, x.indisunique OR x.indisprimary AS is_unique,
			(SELECT am.amname FROM pg_am am WHERE am.oid = i.relam) AS method,
			coalesce((SELECT a.attname FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = x.indkey[0]), '') AS leading,
			EXISTS (SELECT 1 FROM pg_attribute a
				WHERE a.attrelid = t.oid AND a.attname = 'dealer_id' AND a.attnum = ANY (x.indkey)) AS has_dealer
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = ? AND t.relname NOT IN (?)
		ORDER BY 1, 2`, schema, bun.List(bookkeeping)).Scan(ctx, &indexes); err != nil {
		return nil, err
	}
	for _, ix := range indexes {
		if slices.Contains(referenceTables, ix.Table) {
			continue
		}
		if ix.Unique && !ix.Has {
			problems = append(problems, fmt.Sprintf("unique index %s on %s does not include dealer_id", ix.Index, ix.Table))
		}
		// A GIN index (audit_log's on its records array) cannot lead with
		// dealer_id without the btree_gin extension; Citus needs only the
		// unique ones to hold the distribution column.
		if ix.Table != string(postgres.TableDealers) && ix.Leading != "dealer_id" && (ix.Unique || ix.Method != "gin") {
			problems = append(problems, fmt.Sprintf("index %s on %s leads with %s, not dealer_id", ix.Index, ix.Table, ix.Leading))
		}
	}

	var constraints []struct {
		Table string `bun:"relname"`
		Name  string `bun:"conname"`
		Type  string `bun:"contype"`
		Has   bool   `bun:"has_dealer"`
	}
	if err := db.NewRaw(`
		SELECT t.relname, c.conname, c.contype::text AS contype,
			EXISTS (SELECT 1 FROM pg_attribute a
				WHERE a.attrelid = c.conrelid AND a.attname = 'dealer_id' AND a.attnum = ANY (c.conkey)) AS has_dealer
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		JOIN pg_class t ON t.oid = c.conrelid
		WHERE n.nspname = ? AND c.contype IN ('p', 'u', 'x', 'f') AND t.relname NOT IN (?)`,
		schema, bun.List(bookkeeping)).Scan(ctx, &constraints); err != nil {
		return nil, err
	}
	for _, c := range constraints {
		switch {
		case slices.Contains(referenceTables, c.Table) && c.Type != "x":
		case c.Type == "x":
			problems = append(problems, fmt.Sprintf("exclusion constraint %s on %s cannot be distributed", c.Name, c.Table))
		case !c.Has:
			problems = append(problems, fmt.Sprintf("constraint %s (%s) on %s does not include dealer_id", c.Name, c.Type, c.Table))
		}
	}

	var notC []string
	if err := db.NewRaw(`
		SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = ? AND table_name NOT IN (?)
		AND (column_name IN ('dealer_id', 'id', 'external_id', 'vin') OR column_name LIKE '%\_id')
		AND coalesce(collation_name, '') <> 'C'`, schema, bun.List(bookkeeping)).Scan(ctx, &notC); err != nil {
		return nil, err
	}
	for _, col := range notC {
		problems = append(problems, fmt.Sprintf("identifier column %s is not COLLATE \"C\"", col))
	}
	return problems, nil
}

// TestCatalogCitusReady fails on any Citus problem of the migrated schema,
// and checks that the check itself catches problems it is shown.
func TestCatalogCitusReady(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	db := pgtest.DB(t)
	schema := s.Schema()

	var tables []string
	require.NoError(t, db.NewRaw(`
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND c.relname NOT IN (?)`,
		schema, bun.List(bookkeeping)).Scan(ctx, &tables))
	var want []string
	for _, tb := range postgres.Tables() {
		want = append(want, string(tb))
	}
	require.ElementsMatch(t, want, tables, "the migrated schema holds exactly the adapter's tables")

	problems, err := citusProblems(ctx, db, schema)
	require.NoError(t, err)
	assert.Empty(t, problems, "the migrated schema is ready to be distributed by dealer_id")

	// The check finds what it looks for.
	for _, stmt := range []string{
		`CREATE TABLE ?.rogue (id text PRIMARY KEY)`,
		`CREATE UNIQUE INDEX customers_mobile_key ON ?.customers (dealer_id, mobile)`, // fine
		`CREATE UNIQUE INDEX vehicles_plate_key ON ?.vehicles (plate)`,
		`CREATE INDEX leads_mobile_idx ON ?.leads (mobile, dealer_id)`,
		`ALTER TABLE ?.sales ADD CONSTRAINT sales_ext_key UNIQUE (external_id)`,
	} {
		_, err := db.ExecContext(ctx, stmt, bun.Ident(schema))
		require.NoError(t, err, stmt)
	}
	problems, err = citusProblems(ctx, db, schema)
	require.NoError(t, err)
	got := strings.Join(problems, "\n")
	for _, want := range []string{
		"table rogue has no dealer_id",
		"unique index vehicles_plate_key on vehicles does not include dealer_id",
		"index leads_mobile_idx on leads leads with mobile",
		"constraint sales_ext_key (u) on sales does not include dealer_id",
		"identifier column rogue.id is not COLLATE",
	} {
		assert.Contains(t, got, want, "the catalog check reports a violation")
	}
	assert.NotContains(t, got, "customers_mobile_key", "a unique index with dealer_id is fine")
}
