package lifecycle_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunLogsSummary: with a logger, the daily run logs one line with its
// counts, the same as its result.
func TestRunLogsSummary(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2025-09-01")
	var logs bytes.Buffer
	svc, err := lifecycle.NewService(f.crm, f.tasks, lifecycle.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	res, err := svc.Run(f.ctx, "d1", date("2026-03-01"))
	require.NoError(t, err)
	require.Positive(t, res.Created, "the fixture's vehicle has tasks planned")
	assert.Contains(t, logs.String(), fmt.Sprintf(`level=INFO msg="lifecycle run done" dealer=d1 day=2026-03-01 subjects=%d created=%d rescheduled=%d cancelled=%d overdue=%d`,
		res.Subjects, res.Created, res.Rescheduled, res.Cancelled, res.Overdue))
	assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("\n")), "one line per run: %s", logs.String())
}
