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
// festivals and birthdays (issue 14); any other third-party import is an
// error.
func TestDomainImportsNoInfrastructure(t *testing.T) {
	domain := []string{".", "crm", "grading", "lifecycle", "loyalty", "campaign", "satisfaction", "jobs"}
	forbidden := []string{"database/sql", "net/http", "github.com/uptrace/", "github.com/dealercrm/dealercrm/adapters", "github.com/dealercrm/dealercrm/examples"}
	thirdParty := []string{"github.com/shopspring/decimal", "github.com/6tail/lunar-go/"}
	checked := 0
	for _, dir := range domain {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, imp := range file.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if dir != "jobs" && strings.HasPrefix(path, "github.com/dealercrm/dealercrm/jobs") {
					t.Errorf("%s imports %s: jobs wraps the domain packages, never the reverse", f, path)
				}
				for _, bad := range forbidden {
					if strings.HasPrefix(path, bad) {
						t.Errorf("%s imports %s: domain packages must not depend on infrastructure", f, path)
					}
				}
				if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") && !strings.HasPrefix(path, "github.com/dealercrm/dealercrm") &&
					!slices.ContainsFunc(thirdParty, func(p string) bool { return path == p || strings.HasPrefix(path, p) }) {
					t.Errorf("%s imports %s: domain packages use only the standard library, %v and each other", f, path, thirdParty)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d files: the package list is stale", checked)
	}
}

// TestRiverOnlyInRiverjobs keeps River behind adapters/postgres/riverjobs,
// the one package allowed to import it (docs/jobs.md: River earns its place
// with leader election, periodic enqueueing, unique jobs, retries with
// backoff and the rescue of jobs left running by a dead replica). The pgx
// driver River's pool needs is imported there too, and by the example
// server that opens the pool; nothing else imports either.
func TestRiverOnlyInRiverjobs(t *testing.T) {
	allowed := map[string][]string{
		"github.com/riverqueue/": {"adapters/postgres/riverjobs"},
		"github.com/jackc/pgx/":  {"adapters/postgres/riverjobs", "examples/server"},
	}
	checked := 0
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for prefix, dirs := range allowed {
				if strings.HasPrefix(p, prefix) && !slices.Contains(dirs, filepath.ToSlash(filepath.Dir(path))) {
					t.Errorf("%s imports %s: only %v may", path, p, dirs)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files", checked)
	}
}

// TestI18nImports keeps package i18n a leaf the domain never sees: it
// imports the standard library and golang.org/x/text only (language
// matching of Accept-Language and message catalogs, maintained by the Go
// team, no dependencies of its own), and no domain package imports it:
// the domain keeps message codes with parameters, and adapters render them.
func TestI18nImports(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("i18n", "*.go"))
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") && !strings.HasPrefix(path, "golang.org/x/text/") {
				t.Errorf("%s imports %s: i18n uses only the standard library and golang.org/x/text", f, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no i18n files checked")
	}
	for _, dir := range []string{".", "crm", "grading", "lifecycle", "loyalty", "campaign", "satisfaction", "jobs"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				if path, _ := strconv.Unquote(imp.Path.Value); path == "github.com/dealercrm/dealercrm/i18n" || strings.HasPrefix(path, "golang.org/x/text") {
					t.Errorf("%s imports %s: domain packages keep message codes; adapters render them", f, path)
				}
			}
		}
	}
}
