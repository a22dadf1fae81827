package dealercrm_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDomainImportsNoInfrastructure enforces the layering of STYLE.md: the
// root and domain packages import only the standard library (minus database
// and HTTP), shopspring/decimal and each other — never bun, database/sql,
// net/http or an adapter; and no domain package but jobs imports jobs.
func TestDomainImportsNoInfrastructure(t *testing.T) {
	domain := []string{".", "crm", "grading", "lifecycle", "loyalty", "campaign", "satisfaction", "jobs"}
	forbidden := []string{"database/sql", "net/http", "github.com/uptrace/", "github.com/dealercrm/dealercrm/adapters", "github.com/dealercrm/dealercrm/examples"}
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
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d files: the package list is stale", checked)
	}
}
