package dealercrm_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDomainImportsNoInfrastructure enforces the layering of STYLE.md: the
// root and domain packages import only the standard library (minus database
// and HTTP), shopspring/decimal and each other — never bun, database/sql,
// net/http or an adapter; and no domain package but jobs imports jobs. The
// one other module allowed is github.com/6tail/lunar-go, pure calendar
// arithmetic without I/O or dependencies, which lifecycle uses for lunar
// festivals and birthdays (issue 14); and the OpenTelemetry API (otel,
// attribute, codes, trace, metric: no SDK, no exporter — the host picks
// those; docs/observability.md). Any other third-party import is an error.
func TestDomainImportsNoInfrastructure(t *testing.T) {
	forbidden := []string{"database/sql", "net/http", "github.com/uptrace/", "github.com/dealercrm/dealercrm/adapters", "github.com/dealercrm/dealercrm/examples"}
	thirdParty := []string{"github.com/shopspring/decimal", "github.com/6tail/lunar-go/", "go.opentelemetry.io/otel",
		"go.opentelemetry.io/otel/attribute", "go.opentelemetry.io/otel/codes", "go.opentelemetry.io/otel/trace",
		"go.opentelemetry.io/otel/metric"}
	files := sourceImports(t, domainDirs...)
	if len(files) < 10 {
		t.Fatalf("checked only %d files: the package list is stale", len(files))
	}
	for f, paths := range files {
		dir := filepath.Dir(f)
		for _, path := range paths {
			if dir != "jobs" && strings.HasPrefix(path, "github.com/dealercrm/dealercrm/jobs") {
				t.Errorf("%s imports %s: jobs wraps the domain packages, never the reverse", f, path)
			}
			for _, bad := range forbidden {
				if strings.HasPrefix(path, bad) {
					t.Errorf("%s imports %s: domain packages must not depend on infrastructure", f, path)
				}
			}
			if thirdPartyPath(path) && !strings.HasPrefix(path, "github.com/dealercrm/dealercrm") &&
				!slices.ContainsFunc(thirdParty, func(p string) bool { return path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) }) {
				t.Errorf("%s imports %s: domain packages use only the standard library, %v and each other", f, path, thirdParty)
			}
		}
	}
}

// TestRiverOnlyInRiverjobs keeps River behind adapters/postgres/riverjobs,
// the one package allowed to import it (docs/jobs.md: River earns its place
// with leader election, periodic enqueueing, unique jobs, retries with
// backoff and the rescue of jobs left running by a dead replica). The pgx
// driver River's pool needs is imported there too, and by the example
// server that opens the pool; nothing else imports either, tests included.
func TestRiverOnlyInRiverjobs(t *testing.T) {
	allowed := map[string][]string{
		"github.com/riverqueue/": {"adapters/postgres/riverjobs"},
		"github.com/jackc/pgx/":  {"adapters/postgres/riverjobs", "internal/app"},
	}
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			dirs = append(dirs, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files := imports(t, true, dirs...)
	if len(files) < 100 {
		t.Fatalf("checked only %d files", len(files))
	}
	for f, paths := range files {
		for _, p := range paths {
			for prefix, dirs := range allowed {
				if strings.HasPrefix(p, prefix) && !slices.Contains(dirs, filepath.ToSlash(filepath.Dir(f))) {
					t.Errorf("%s imports %s: only %v may", f, p, dirs)
				}
			}
		}
	}
}

// TestI18nImports keeps package i18n a leaf the domain never sees: it
// imports the standard library and golang.org/x/text only (language
// matching of Accept-Language and message catalogs, maintained by the Go
// team, no dependencies of its own), and no domain package imports it:
// the domain keeps message codes with parameters, and adapters render them.
func TestI18nImports(t *testing.T) {
	files := sourceImports(t, "i18n")
	if len(files) == 0 {
		t.Fatal("no i18n files checked")
	}
	for f, paths := range files {
		for _, path := range paths {
			if thirdPartyPath(path) && !strings.HasPrefix(path, "golang.org/x/text/") {
				t.Errorf("%s imports %s: i18n uses only the standard library and golang.org/x/text", f, path)
			}
		}
	}
	for f, paths := range sourceImports(t, domainDirs...) {
		for _, path := range paths {
			if path == "github.com/dealercrm/dealercrm/i18n" || strings.HasPrefix(path, "golang.org/x/text") {
				t.Errorf("%s imports %s: domain packages keep message codes; adapters render them", f, path)
			}
		}
	}
}

// TestClientImports keeps package client what a host that calls the API
// as a service can take alone: the standard library, shopspring/decimal
// and the root and domain packages whose types the API speaks — never an
// adapter (httpapi included: the generator copies its request types), a
// store or examples. Its tests wire the real handler and may import them.
func TestClientImports(t *testing.T) {
	files := sourceImports(t, "client")
	if len(files) < 3 {
		t.Fatalf("checked only %d client files", len(files))
	}
	for f, paths := range files {
		for _, path := range paths {
			for _, bad := range []string{"github.com/dealercrm/dealercrm/adapters", "github.com/dealercrm/dealercrm/backend",
				"github.com/dealercrm/dealercrm/examples", "github.com/dealercrm/dealercrm/demo", "github.com/uptrace/", "database/sql"} {
				if strings.HasPrefix(path, bad) {
					t.Errorf("%s imports %s: the client depends on the domain types and net/http only", f, path)
				}
			}
			if thirdPartyPath(path) && !strings.HasPrefix(path, "github.com/dealercrm/dealercrm") && path != "github.com/shopspring/decimal" {
				t.Errorf("%s imports %s: the client uses the standard library, shopspring/decimal and the domain packages", f, path)
			}
		}
	}
}

// domainDirs are the root and domain packages.
var domainDirs = []string{".", "crm", "grading", "lifecycle", "loyalty", "campaign", "satisfaction", "jobs", "apikey", "messages", "internal/telemetry"}

// sourceImports returns the import paths of each non-test Go file of dirs.
func sourceImports(t *testing.T, dirs ...string) map[string][]string {
	return imports(t, false, dirs...)
}

// imports returns the import paths of each Go file of dirs (not their
// subdirectories), by file path; test files only with tests.
func imports(t *testing.T, tests bool, dirs ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if !tests && strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = []string{}
			for _, imp := range file.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				out[f] = append(out[f], p)
			}
		}
	}
	return out
}

// thirdPartyPath reports whether an import path is a module's (its first
// element has a dot), not the standard library's.
func thirdPartyPath(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return strings.Contains(first, ".")
}

// TestOtelSDKOnlyInTests keeps the OpenTelemetry SDK out of the library:
// its packages speak the API, and the host chooses the SDK and exporter
// (docs/observability.md). Tests use the SDK's in-memory exporters.
func TestOtelSDKOnlyInTests(t *testing.T) {
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			dirs = append(dirs, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for f, paths := range sourceImports(t, dirs...) {
		for _, p := range paths {
			if strings.HasPrefix(p, "go.opentelemetry.io/") && !strings.HasPrefix(p, "go.opentelemetry.io/otel") ||
				strings.HasPrefix(p, "go.opentelemetry.io/otel/sdk") || strings.HasPrefix(p, "go.opentelemetry.io/otel/exporters") {
				t.Errorf("%s imports %s: the library uses the OpenTelemetry API only", f, p)
			}
		}
	}
}
