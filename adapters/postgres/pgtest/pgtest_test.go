package pgtest

import (
	"context"
	"testing"
)

// TestTemplateGuard: a mobile number written into a statement's text is
// caught; one passed as an argument, to a raw statement or to a query
// builder, is not; nor are longer runs of digits or digits inside a
// word (a savepoint's random hex name).
func TestTemplateGuard(t *testing.T) {
	ctx := context.Background()
	db, _ := Schema(t)
	g := &TemplateGuard{}
	db = db.WithQueryHook(g)

	var s string
	if err := db.QueryRowContext(ctx, "SELECT ?::text", "13800000001").Scan(&s); err != nil {
		t.Fatal(err)
	}
	if err := db.NewSelect().ColumnExpr("?::text", "13800000002").Scan(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT '013800000003123'::text").Scan(&s); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "SELECT 1 AS sp_87ba2b9c15932638704a59a9d7bb"); err != nil {
		t.Fatal(err)
	}
	if len(g.found) != 0 {
		t.Fatalf("values as arguments or long digit runs were reported: %q", g.found)
	}
	if err := db.QueryRowContext(ctx, "SELECT '13800000004'::text").Scan(&s); err != nil {
		t.Fatal(err)
	}
	if err := db.NewSelect().ColumnExpr("'13900000005'::text").Scan(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if len(g.found) != 2 {
		t.Fatalf("numbers in the statements' text: found %q, want both", g.found)
	}
}
