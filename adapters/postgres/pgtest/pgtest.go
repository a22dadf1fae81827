// Package pgtest gives tests a real PostgreSQL to run against: a shared,
// small connection pool and a fresh schema per test, dropped when the test
// ends. Import it from _test files only.
//
// The server is the one DEALERCRM_POSTGRES_DSN names (DefaultDSN when
// unset). When no server answers, tests that ask for one are skipped with a
// message saying so, unless DEALERCRM_REQUIRE_POSTGRES=1, which makes them
// fail instead (CI sets it, so that a missing database never passes
// silently).
//
//	func TestSomething(t *testing.T) {
//		store := pgtest.NewStore(t) // migrated, in its own schema
//		svc := crm.NewService(store)
//		…
//	}
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/schema"
)

// Environment variables read by the package.
const (
	// EnvDSN names the server, e.g. postgres://user:pass@host:5432/db?sslmode=disable.
	EnvDSN = "DEALERCRM_POSTGRES_DSN"
	// EnvRequire set to 1 turns a skip for a missing server into a failure.
	EnvRequire = "DEALERCRM_REQUIRE_POSTGRES"
)

// DefaultDSN is the server used when EnvDSN is not set: a local PostgreSQL
// with trust authentication and a database named test.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// MaxOpenConns is the size of the shared pool. It is small because the tests
// of several packages run in parallel against one server, and large enough
// for the concurrent-update tests to contend for real.
const MaxOpenConns = 8

var (
	once    sync.Once
	shared  *bun.DB
	openErr error
)

// DSN returns the data source name the package connects to.
func DSN() string {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// DB returns the process-wide pool on the test server, opening it on first
// use. When the server does not answer it skips t (or fails it, with
// DEALERCRM_REQUIRE_POSTGRES=1). Tests must not close it.
func DB(t testing.TB) *bun.DB {
	t.Helper()
	once.Do(func() {
		dsn := DSN()
		sqldb := sql.OpenDB(pgdriver.NewConnector(
			pgdriver.WithDSN(dsn),
			pgdriver.WithApplicationName("dealercrm-test"),
			pgdriver.WithDialTimeout(3*time.Second),
			// Benchmarks write large batches; the driver's 10 s default
			// read timeout would cut them off on a slow machine.
			pgdriver.WithReadTimeout(2*time.Minute),
			pgdriver.WithWriteTimeout(time.Minute),
		))
		sqldb.SetMaxOpenConns(MaxOpenConns)
		sqldb.SetMaxIdleConns(MaxOpenConns)
		sqldb.SetConnMaxIdleTime(time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sqldb.PingContext(ctx); err != nil {
			_ = sqldb.Close()
			openErr = err
			return
		}
		shared = bun.NewDB(sqldb, pgdialect.New())
	})
	if openErr != nil {
		msg := "pgtest: no PostgreSQL at %s (set %s to a reachable server): %v"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf(msg+"; %s=1 makes this a failure", redacted(DSN()), EnvDSN, openErr, EnvRequire)
		}
		t.Skipf(msg+"; skipping (set %s=1 to fail instead)", redacted(DSN()), EnvDSN, openErr, EnvRequire)
	}
	return shared
}

// redacted hides the password of a URL-style DSN.
func redacted(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable DSN)"
	}
	return u.Redacted()
}

// Schema creates a new, empty schema with a unique name derived from the
// test's name, drops it with everything in it (CASCADE) when t ends, and
// returns the pool and the schema name.
func Schema(t testing.TB) (*bun.DB, string) {
	t.Helper()
	db := DB(t)
	name := schemaName(t.Name())
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+quote(name)); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+quote(name)+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return db, name
}

// NewStore returns a migrated postgres.Store in a schema of its own (see
// Schema). opts come after the schema option, so they may rename tables;
// an option naming another schema is up to the caller to clean up.
//
// Every statement the store runs is checked by a TemplateGuard: a test
// whose store put a mobile number in a statement's template fails.
func NewStore(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	db, schema := Schema(t)
	s, err := postgres.New(db.WithQueryHook(NewTemplateGuard(t)), append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	if err != nil {
		t.Fatalf("pgtest: postgres.New: %v", err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("pgtest: migrate schema %s: %v", schema, err)
	}
	// Its prepared statements go before its schema does.
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// schemaName makes a valid, unique schema name from a test name:
// "t_" + the name in lower case with other characters as "_", shortened,
// + "_" + random hex.
func schemaName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	base := b.String()
	if len(base) > 40 {
		base = base[len(base)-40:] // the end of a subtest name says the most
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return "t_" + strings.Trim(base, "_") + "_" + hex.EncodeToString(rnd[:])
}

func quote(name string) string { return `"` + name + `"` }

// StatementErrors is a bun query hook that records every statement the
// server answered with an error (a pgdriver.Error): Postgres logs each of
// those with the statement's text, values included, by default
// (log_min_error_statement = error). Tests of insert-or-detect require it
// to stay empty. It also keeps the text of every statement run, for tests
// that check what was sent (see Statements), and its template, the text
// before bun filled in the arguments, which query hooks such as bunotel
// record (see Templates).
type StatementErrors struct {
	mu        sync.Mutex
	errs      []string
	stmts     []string
	templates []string
}

// BeforeQuery implements bun.QueryHook.
func (h *StatementErrors) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (h *StatementErrors) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stmts = append(h.stmts, e.Query)
	h.templates = append(h.templates, Template(e))
	var pgErr pgdriver.Error
	if errors.As(e.Err, &pgErr) {
		h.errs = append(h.errs, pgErr.Field('C')+" "+pgErr.Field('M'))
	}
}

// Errors returns the SQLSTATE and message of each failed statement so far.
func (h *StatementErrors) Errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.errs...)
}

// Statements returns the text of every statement run so far, failed or
// not, that contains each of parts (every statement when none is given).
func (h *StatementErrors) Statements(parts ...string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return containing(h.stmts, parts)
}

// Templates is Statements for the statements' templates: their text with
// placeholders where bun fills in the arguments.
func (h *StatementErrors) Templates(parts ...string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return containing(h.templates, parts)
}

// containing returns the statements that contain each of parts.
func containing(stmts, parts []string) []string {
	var out []string
	for _, q := range stmts {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(q, p)
		}
		if all {
			out = append(out, q)
		}
	}
	return out
}

// Reset forgets the statements recorded so far.
func (h *StatementErrors) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs, h.stmts, h.templates = nil, nil, nil
}

// NewWatchedStore is NewStore on a copy of the shared pool's bun.DB with a
// StatementErrors hook, which sees only this store's statements. Migrating
// fails no statement, so the hook starts empty.
func NewWatchedStore(t testing.TB, opts ...postgres.Option) (*postgres.Store, *StatementErrors) {
	t.Helper()
	pool, schema := Schema(t)
	h := &StatementErrors{}
	s, err := postgres.New(pool.WithQueryHook(h).WithQueryHook(NewTemplateGuard(t)), append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	if err != nil {
		t.Fatalf("pgtest: postgres.New: %v", err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("pgtest: migrate schema %s: %v", schema, err)
	}
	if errs := h.Errors(); len(errs) > 0 {
		t.Fatalf("pgtest: migrating failed statements: %v", errs)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, h
}

// mobileNumber matches a mainland mobile number standing on its own (as
// a value in SQL stands, quoted or in an array): 11 digits from 13… to
// 19…, not part of a longer word such as a savepoint's random hex name.
var mobileNumber = regexp.MustCompile(`(^|[^0-9A-Za-z_])1[3-9][0-9]{9}([^0-9A-Za-z_]|$)`)

// TemplateGuard is a bun query hook that fails its test, when the test
// ends, if a statement's template held a mobile number. The template is
// the statement's text before bun fills in the arguments: what query
// hooks such as bunotel record as db.statement, and so what a host's
// traces would keep. Values belong in arguments; NewStore and
// NewWatchedStore install the guard, so every Postgres test checks every
// statement it runs without anyone adding it.
type TemplateGuard struct {
	mu    sync.Mutex
	found []string
}

// NewTemplateGuard returns a guard that reports to t when t ends.
func NewTemplateGuard(t testing.TB) *TemplateGuard {
	g := &TemplateGuard{}
	t.Cleanup(func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, q := range g.found {
			t.Errorf("pgtest: a statement's template holds a mobile number (pass it as an argument): %s", q)
		}
	})
	return g
}

// Template returns the text of e's statement as bunotel records it by
// default: a query builder's statement written with bun's placeholder
// generator (values as ?), else the text passed to bun before it filled
// in the arguments.
func Template(e *bun.QueryEvent) string {
	if e.IQuery != nil {
		if b, err := e.IQuery.AppendQuery(schema.NewNopQueryGen(), nil); err == nil {
			return string(b)
		}
	}
	return e.QueryTemplate
}

// BeforeQuery implements bun.QueryHook.
func (g *TemplateGuard) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (g *TemplateGuard) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	q := Template(e)
	if !mobileNumber.MatchString(q) {
		return
	}
	if len(q) > 300 {
		q = q[:300] + "…"
	}
	g.mu.Lock()
	g.found = append(g.found, q)
	g.mu.Unlock()
}
