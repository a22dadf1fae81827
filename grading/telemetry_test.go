package grading_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunLogsProgress grades a demo dealer of more than 1000 customers
// with a logger: a progress line at 1000 customers, then the summary with
// the run's counts.
func TestRunLogsProgress(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	data := demo.Generate(demo.Options{Seed: 1, Customers: 2400})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store, crm.WithMaxImportRecords(100000)), data))
	var logs bytes.Buffer
	svc, err := grading.NewService(store, memory.NewGradingStore(), grading.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	d := data.Dealers[0].Dealer.ID
	run, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: data.Options.Today})
	require.NoError(t, err)
	require.Greater(t, run.Customers, 1000, "the fixture has more than 1000 customers")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2, "one progress line and the summary: %s", logs.String())
	assert.Contains(t, lines[0], fmt.Sprintf(`msg="grading run progress" done=1000 dealer=%s`, d))
	assert.Contains(t, lines[1], fmt.Sprintf(`msg="grading run done" done=%d dealer=%s day=%s customers=%d changed=%d`,
		run.Customers, d, data.Options.Today, run.Customers, run.Changed))
}
