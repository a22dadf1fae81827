package app_test

import (
	"context"
	"math"
	"runtime/debug"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenDBSettings(t *testing.T) {
	pgtest.DB(t) // skips without a server
	db := app.OpenDB(pgtest.DSN()+"&application_name=pool-test", app.DB{MaxOpen: 3, StatementTimeout: 1500 * time.Millisecond})
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	var timeout, name string
	require.NoError(t, db.QueryRowContext(ctx, "SHOW statement_timeout").Scan(&timeout))
	require.NoError(t, db.QueryRowContext(ctx, "SELECT current_setting('application_name')").Scan(&name))
	assert.Equal(t, "1500ms", timeout, "statement_timeout on every connection")
	assert.Equal(t, "pool-test", name, "the DSN's parameters are kept")
	assert.Equal(t, 3, db.DB.Stats().MaxOpenConnections)

	// A statement past the timeout is cut by the server.
	_, err := db.ExecContext(ctx, "SELECT pg_sleep(3)")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "57014", "canceling statement due to statement timeout")
}

// TestSetGC: the collector's target is GCPercent unless GOGC is set, and
// a GOGC in the environment is left alone.
func TestSetGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	assert.False(t, app.SetGC(func(string) string { return "50" }))
	assert.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: unchanged")
	assert.True(t, app.SetGC(func(string) string { return "" }))
	assert.Equal(t, app.GCPercent, debug.SetGCPercent(100))
}

// TestSetImportGC: an import collects at GCPercent under ImportMemoryLimit
// unless GOGC or GOMEMLIMIT is set, and then changes neither.
func TestSetImportGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		assert.False(t, app.SetImportGC(func(k string) string { return map[string]string{name: "off"}[k] }), name)
		assert.Equal(t, 100, debug.SetGCPercent(100), "%s set: the target unchanged", name)
		assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "%s set: no limit", name)
	}
	assert.True(t, app.SetImportGC(func(string) string { return "" }))
	assert.Equal(t, app.GCPercent, debug.SetGCPercent(100))
	assert.Equal(t, int64(app.ImportMemoryLimit), debug.SetMemoryLimit(-1))
}
