package postgres

import (
	"context"

	"github.com/dealercrm/dealercrm/crm"
)

// UpsertChunk is upsertChunk, for the tests of package postgres_test.
const UpsertChunk = upsertChunk

// NameSearchKey is nameSearchKey, for the tests of package postgres_test.
var NameSearchKey = nameSearchKey

// Translate is translate, for the tests of package postgres_test.
var Translate = translate

// CopyOut runs COPY (SELECT $1::text, NULL, $1::text || E'\t' || $1::text)
// TO STDOUT through the store's COPY reader and returns the fields of its
// row, "<NULL>" for NULL.
func CopyOut(ctx context.Context, s *Store, v string) ([]string, error) {
	var out []string
	err := s.copyOut(ctx, `SELECT $1::text, NULL, $1::text || E'\t' || $1::text`, v, 3, func(r *copyRow) error {
		for _, f := range r.f {
			if f.null {
				out = append(out, "<NULL>")
			} else {
				out = append(out, f.s)
			}
		}
		return nil
	})
	return out, err
}

// ExplainDuplicates returns the plan of FindDuplicates' statement for the
// first page, as EXPLAIN (ANALYZE, BUFFERS) gives it.
func ExplainDuplicates(ctx context.Context, s *Store, dealer string, limit int) (string, error) {
	q, args := s.duplicatesQuery(crm.DealerID(dealer), "", "", "", limit)
	rows, err := s.db.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		out += line + "\n"
	}
	return out, rows.Err()
}

// WithBeforeCommit makes every transaction of the Store call fn just
// before its COMMIT, after its events were written: a test holds a
// transaction open there while others commit.
func WithBeforeCommit(fn func(ctx context.Context)) Option {
	return func(c *config) { c.beforeCommit = fn }
}

// WithStatementHook makes the Store call fn with the text of each
// prepared statement before it runs (the posting path's statements, which
// bun's query hooks do not see).
func WithStatementHook(fn func(q string)) Option {
	return func(c *config) { c.statement = fn }
}

// DollarPlaceholders is dollarPlaceholders, for the tests of package
// postgres_test.
var DollarPlaceholders = dollarPlaceholders

// AnalyzeRows is analyzeRows, for the tests of package postgres_test.
const AnalyzeRows = analyzeRows
