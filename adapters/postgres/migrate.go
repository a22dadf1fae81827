package postgres

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"slices"
	"text/template"

	"github.com/dealercrm/dealercrm"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationFS returns the adapter's SQL migrations, as text/template files
// named like bun/migrate wants them ("0001_init.tx.up.sql"; ".tx" means the
// file runs in one transaction). They reference tables through template
// placeholders; render them with RenderMigrations before giving them to
// another migration tool. Migrations are append-only: a released file never
// changes, later changes come as new files.
func MigrationFS() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded; this cannot happen
	}
	return sub
}

// MigrationFile is one migration rendered for a naming configuration.
type MigrationFile struct {
	// Name is the file name, e.g. "0001_init.tx.up.sql" (or ".down.sql").
	Name string
	// SQL is the rendered SQL, ready to run.
	SQL string
}

// RenderMigrations renders every migration file (up and down, in name
// order) for the schema and table names the options give, for hosts that
// run migrations with their own tool instead of Store.Migrate. The rendered
// SQL creates the schema if needed but not the bun/migrate bookkeeping
// tables. It returns an error with code Invalid when the options are.
func RenderMigrations(opts ...Option) ([]MigrationFile, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return c.render()
}

func (c *config) render() ([]MigrationFile, error) {
	fsys := MigrationFS()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]MigrationFile, 0, len(names))
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(name).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, templateData{c}); err != nil {
			return nil, fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		out = append(out, MigrationFile{Name: name, SQL: b.String()})
	}
	return out, nil
}

// templateData is what migration templates see: .Schema, .Table "customers"
// and .Name "customers" "pkey".
type templateData struct{ c *config }

// Schema returns the quoted schema name.
func (d templateData) Schema() string { return quoteIdent(d.c.schema) }

// SchemaLiteral returns the schema name as an SQL string literal.
func (d templateData) SchemaLiteral() string { return "'" + d.c.schema + "'" }

// Table returns the qualified, quoted name of the table whose default name
// is table.
func (d templateData) Table(table string) (string, error) {
	if !slices.Contains(allTables, Table(table)) {
		return "", fmt.Errorf("unknown table %q", table)
	}
	return d.c.table(Table(table)), nil
}

// nameSuffixRE is what a constraint or index suffix may look like.
var nameSuffixRE = regexp.MustCompile(`^[a-z_]+$`)

// Name returns the quoted name of a constraint or index of table: the
// table's configured name, "_" and suffix. Postgres keeps index names per
// schema, so deriving them from the table name keeps two stores with
// different table names in one schema apart.
func (d templateData) Name(table, suffix string) (string, error) {
	if !slices.Contains(allTables, Table(table)) {
		return "", fmt.Errorf("unknown table %q", table)
	}
	if !nameSuffixRE.MatchString(suffix) || len(suffix)+1 > longestSuffix {
		return "", fmt.Errorf("suffix %q is not a short lower-case name", suffix)
	}
	return quoteIdent(d.c.names[Table(table)] + "_" + suffix), nil
}

// Migrate brings the schema up to date: it creates the schema when it is
// missing, then runs the migrations not applied yet with bun/migrate,
// recording them in the configured migrations table. It is idempotent and
// safe to call from several processes at once: runs are serialised by a
// Postgres advisory lock (released by the server if the process dies) as
// well as by bun/migrate's lock table. Migrate always uses the *bun.DB given
// to New, even on a Store passed to an InTx function, and holds two of its
// connections at once (the lock's and bun/migrate's).
func (s *Store) Migrate(ctx context.Context) error {
	c := s.cfg
	conn, err := s.root.Conn(ctx)
	if err != nil {
		return translate("migrate: connect", err)
	}
	defer conn.Close()
	// One lock per schema: it also serialises stores that share the schema
	// under other table names.
	h := fnv.New64a()
	h.Write([]byte("dealercrm migrate " + c.schema))
	key := int64(h.Sum64())
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", key); err != nil {
		return translate("migrate: lock", err)
	}
	defer func() {
		// A fresh context: the lock must go even when ctx is cancelled,
		// or the pooled connection would keep it.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", key)
	}()

	// Under the lock: two CREATE SCHEMA at once would clash. The schema is
	// looked up first, because Postgres checks the privilege to create one
	// even when it exists, and a host's role may own its schema without it.
	var exists bool
	if err := conn.NewRaw("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?)", c.schema).Scan(ctx, &exists); err != nil {
		return translate("migrate: find schema", err)
	}
	if !exists {
		if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+quoteIdent(c.schema)); err != nil {
			return translate("migrate: create schema", err)
		}
	}

	migrations := migrate.NewMigrations()
	if err := migrations.Discover(MigrationFS()); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	m := migrate.NewMigrator(s.root, migrations,
		migrate.WithTableName(c.migrationsTable()),
		migrate.WithLocksTableName(c.locksTable()),
		migrate.WithMarkAppliedOnSuccess(true),
		migrate.WithTemplateData(templateData{c}),
	)
	if err := m.Init(ctx); err != nil {
		return translate("migrate: init", err)
	}
	if err := m.Lock(ctx); err != nil {
		cause := errors.Unwrap(err)
		if sqlState(cause) == uniqueViolation {
			// We hold the advisory lock, so no other Migrate of this store
			// runs: the row was left by a process that died, or by another tool.
			return dealercrm.Errorf(dealercrm.FailedPrecondition,
				"postgres: migrate: %s holds a lock row; if no migration is running, delete it", c.locksTable())
		}
		return translate("migrate: lock", cause)
	}
	defer func() { _ = m.Unlock(context.WithoutCancel(ctx)) }()
	if _, err := m.Migrate(ctx); err != nil {
		return translate("migrate", err)
	}
	return nil
}
