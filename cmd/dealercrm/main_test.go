package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testSecret is the server secret of the API keys in the tests.
const testSecret = "0123456789abcdef0123456789abcdef"

// syncBuffer is a bytes.Buffer safe for a command writing in one goroutine
// while the test reads in another.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// result is what one command line did.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs command lines in process with vars as the environment and
// the clock at now.
type cli struct {
	t    testing.TB
	vars map[string]string
	now  time.Time
	// terminal makes stderr a terminal for the commands run.
	terminal bool
}

// testNow is the clock of the CLI tests: 2026-12-04 10:00 in Shanghai.
var testNow = time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)

func (c *cli) env(stdout, stderr io.Writer) *env {
	return &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: func(k string) string { return c.vars[k] },
		now: func() time.Time { return c.now }, terminal: c.terminal}
}

// run runs one command line to its end.
func (c *cli) run(args ...string) result {
	c.t.Helper()
	var out, errOut syncBuffer
	code := c.env(&out, &errOut).main(c.t.Context(), args)
	return result{code, out.String(), errOut.String()}
}

// must runs a command line that must succeed and returns its output.
func (c *cli) must(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	require.Equal(c.t, 0, r.code, "dealercrm %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r.stdout
}

// newCLI returns a cli on a fresh Postgres schema of its own.
func newCLI(t testing.TB) *cli {
	_, schema := pgtest.Schema(t)
	return &cli{t: t, now: testNow, vars: map[string]string{
		"DEALERCRM_POSTGRES_DSN": pgtest.DSN(), "DEALERCRM_SCHEMA": schema, "DEALERCRM_KEY_SECRET": testSecret}}
}

func TestHelpTeaches(t *testing.T) {
	c := &cli{t: t, vars: map[string]string{}}
	r := c.run("--help")
	assert.Equal(t, 0, r.code)
	for _, cmd := range commands() {
		assert.Contains(t, r.stdout, "\n  "+cmd.name+" ", "the overview lists %s", cmd.name)
		h := c.run(cmd.name, "--help")
		assert.Equal(t, 0, h.code, "%s --help", cmd.name)
		assert.Contains(t, h.stdout, "Usage: dealercrm "+cmd.name, "%s --help starts with its usage", cmd.name)
		assert.Contains(t, h.stdout, "dealercrm "+cmd.name, "%s --help shows an example", cmd.name)
	}
	assert.Contains(t, c.run("jobs", "run", "--help").stdout, "-date", "a subcommand's help lists its flags")
	assert.Equal(t, 2, c.run().code, "no command is a usage error")
	bad := c.run("migrat")
	assert.Equal(t, 2, bad.code)
	assert.Contains(t, bad.stderr, `unknown command "migrat"`)
	flagErr := c.run("migrate", "--bogus")
	assert.Equal(t, 2, flagErr.code)
	assert.Contains(t, flagErr.stderr, "-bogus")
	noDB := c.run("migrate")
	assert.Equal(t, 2, noDB.code)
	assert.Contains(t, noDB.stderr, "DEALERCRM_POSTGRES_DSN", "without a database the message says how to name one")
	for _, n := range []string{"0", "9"} {
		inFlight := c.run("import", "--dealer", "sh01", "--in-flight", n, "rows.csv")
		assert.Equal(t, 2, inFlight.code, "--in-flight %s", n)
		assert.Contains(t, inFlight.stderr, "--in-flight must be 1 to 8")
	}
	assert.Equal(t, "dealercrm "+dealercrm.Version+"\n", c.must("version"))
}

// TestOperatorDay walks an operator through a first day on Postgres:
// migrate, add a dealer, run the daily jobs, list the runs, export and
// erase a customer, manage keys.
func TestOperatorDay(t *testing.T) {
	c := newCLI(t)
	schema := c.vars["DEALERCRM_SCHEMA"]
	assert.Contains(t, c.must("migrate"), "schema "+schema+" is up to date")
	c.must("migrate") // idempotent
	c.must("dealers", "add", "--id", "sh01", "--name", "上海浦东店", "--brands", "别克,雪佛兰")
	dup := c.run("dealers", "add", "--id", "sh01", "--name", "again")
	assert.Equal(t, 1, dup.code, "a dealer is added once: %s", dup.stderr)
	assert.Contains(t, c.must("dealers", "list"), "上海浦东店")

	// A customer with a first maintenance due: written through the
	// services on the same schema, as an import would.
	ctx := context.Background()
	store, closeDB, err := app.OpenPostgres(ctx, pgtest.DSN(), app.DB{MaxOpen: 2}, postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(closeDB)
	a, err := app.New(store.Stores(), app.Options{Now: func() time.Time { return c.now }})
	require.NoError(t, err)
	cust, err := a.CRM.CreateCustomer(ctx, "sh01", crm.Customer{Name: "张伟", Mobile: "13800138000"})
	require.NoError(t, err)

	runs := c.must("jobs", "run", "--date", "2026-12-04")
	for _, kind := range kindNames {
		if kind == "grading" {
			assert.Contains(t, runs, "grading            2026-12-04  nothing to run", "grading is not due on the 4th")
			continue
		}
		assert.Regexp(t, regexp.MustCompile(`sh01\s+`+kind+`\s+2026-12-04  done`), runs)
	}
	again := c.must("jobs", "run", "--date", "2026-12-04", "--job", "lifecycle")
	assert.Contains(t, again, "nothing to run", "a day runs once")
	graded := c.must("jobs", "run", "--date", "2026-12-04", "--job", "grading", "--dealer", "sh01")
	assert.Regexp(t, `sh01\s+grading\s+2026-12-04  done`, graded, "a job named by hand runs on a day it is not due")
	assert.Contains(t, c.must("jobs", "list", "--dealer", "sh01"), "2026-12-04  grading")
	future := c.run("jobs", "run", "--date", "2026-13-01")
	assert.Equal(t, 2, future.code, "a bad date is a usage error: %s", future.stderr)

	var x crm.CustomerExport
	require.NoError(t, json.Unmarshal([]byte(c.must("export", "--dealer", "sh01", "--customer", string(cust.ID), "--by", "wangfang")), &x))
	assert.Equal(t, "张伟", x.Customer.Name)
	assert.Contains(t, x.Sections, "loyalty", "the export reaches every package")
	noBy := c.run("export", "--dealer", "sh01", "--customer", string(cust.ID))
	assert.Equal(t, 2, noBy.code, "a PIPL request names who handles it")
	assert.Contains(t, noBy.stderr, "--by is required")
	other := c.run("export", "--dealer", "bj01", "--customer", string(cust.ID), "--by", "wangfang")
	assert.Equal(t, 1, other.code, "another dealer's customer is not found")
	assert.Contains(t, other.stderr, "not found")

	refused := c.run("erase", "--dealer", "sh01", "--customer", string(cust.ID), "--by", "wangfang")
	assert.Equal(t, 2, refused.code, "erasing asks for --yes")
	after, err := a.CRM.GetCustomer(ctx, "sh01", cust.ID)
	require.NoError(t, err)
	assert.Equal(t, "张伟", after.Name, "nothing erased without --yes")
	c.must("erase", "--dealer", "sh01", "--customer", string(cust.ID), "--by", "wangfang", "--yes")
	after, err = a.CRM.GetCustomer(ctx, "sh01", cust.ID)
	require.NoError(t, err)
	assert.NotEqual(t, "张伟", after.Name, "erased")
	assert.Empty(t, after.Mobile)

	// The trail says who exported and erased the customer, by the tool.
	trail, err := a.Stores.Audit.List(ctx, "sh01", crm.AuditFilter{Record: string(cust.ID), PageRequest: crm.PageRequest{Limit: 10}})
	require.NoError(t, err)
	var ops []string
	for _, r := range trail.Items {
		assert.Equal(t, "cli", r.KeyID)
		assert.Equal(t, crm.StaffID("wangfang"), r.StaffID)
		ops = append(ops, string(r.Outcome)+" "+r.Operation)
	}
	assert.ElementsMatch(t, []string{"ok exportCustomer", "ok eraseCustomer"}, ops, "the export of another dealer's customer names no record of sh01")
}

// TestDuplicatesAndMerge: a person entered twice is listed with both
// names, merged into one with every record, and the merge is audited.
func TestDuplicatesAndMerge(t *testing.T) {
	c := newCLI(t)
	c.must("migrate")
	c.must("dealers", "add", "--id", "sh01", "--name", "上海浦东店")
	ctx := context.Background()
	store, closeDB, err := app.OpenPostgres(ctx, pgtest.DSN(), app.DB{MaxOpen: 2}, postgres.WithSchema(c.vars["DEALERCRM_SCHEMA"]))
	require.NoError(t, err)
	t.Cleanup(closeDB)
	a, err := app.New(store.Stores(), app.Options{Now: func() time.Time { return c.now }})
	require.NoError(t, err)
	first, err := a.CRM.CreateCustomer(ctx, "sh01", crm.Customer{Name: "王伟", Mobile: "13800138000"})
	require.NoError(t, err)
	second, err := a.CRM.CreateCustomer(ctx, "sh01", crm.Customer{Name: "王 伟", Mobile: "138-0013-8000"})
	require.NoError(t, err)
	_, err = a.CRM.CreateVehicle(ctx, "sh01", crm.Vehicle{VIN: "1M8GDM9AXKP042788", OwnerID: second.ID, Model: "朗逸"})
	require.NoError(t, err)

	list := c.must("duplicates", "--dealer", "sh01")
	assert.Regexp(t, ` 90  \S+ 王.?伟  ~  \S+ 王.?伟  \(name_mobile 138\*\*\*\*8000`, list, "the pair with both names and the mobile masked")
	assert.Contains(t, c.must("duplicates", "--dealer", "sh01", "--reason", "vin"), "no duplicate candidates")

	refused := c.run("merge", "--dealer", "sh01", "--into", string(first.ID), "--customer", string(second.ID), "--by", "wangfang")
	assert.Equal(t, 2, refused.code, "a merge asks for --yes")
	out := c.must("merge", "--dealer", "sh01", "--into", string(first.ID), "--customer", string(second.ID), "--by", "wangfang", "--yes")
	assert.Contains(t, out, "merged into "+string(first.ID))
	assert.Regexp(t, `vehicles=1`, out)
	v, err := a.CRM.ListVehicles(ctx, "sh01", crm.VehicleFilter{OwnerID: first.ID})
	require.NoError(t, err)
	assert.Len(t, v.Items, 1, "the vehicle moved to the survivor")
	assert.Contains(t, c.must("duplicates", "--dealer", "sh01"), "no duplicate candidates")
	assert.Contains(t, c.must("merge", "--dealer", "sh01", "--into", string(first.ID), "--customer", string(second.ID), "--by", "wangfang", "--yes"),
		"nothing changed", "a merge repeated changes nothing")
	self := c.run("merge", "--dealer", "sh01", "--into", string(first.ID), "--customer", string(first.ID), "--by", "wangfang", "--yes")
	assert.Equal(t, 1, self.code)
	assert.Contains(t, self.stderr, "merged_id")

	trail, err := a.Stores.Audit.List(ctx, "sh01", crm.AuditFilter{Operation: "mergeCustomer", PageRequest: crm.PageRequest{Limit: 10}})
	require.NoError(t, err)
	require.NotEmpty(t, trail.Items)
	var outcomes []string
	for _, r := range trail.Items {
		assert.Equal(t, "cli", r.KeyID)
		assert.Equal(t, crm.StaffID("wangfang"), r.StaffID)
		outcomes = append(outcomes, string(r.Outcome))
	}
	assert.ElementsMatch(t, []string{"ok", "ok", "failed"}, outcomes, "the merge, its repetition and the refused self-merge")
}

func TestKeys(t *testing.T) {
	c := newCLI(t)
	c.must("migrate")
	c.must("dealers", "add", "--id", "sh01", "--name", "上海浦东店")
	out := c.must("keys", "create", "--dealer", "sh01", "--name", "DMS sync", "--roles", "integration")
	m := regexp.MustCompile(`key (\S+) \(DMS sync\) created for sh01\ntoken \(shown once\): (\S+)`).FindStringSubmatch(out)
	require.Len(t, m, 3, out)
	list := c.must("keys", "list", "--dealer", "sh01")
	assert.Contains(t, list, m[1])
	assert.Contains(t, list, "integration")
	assert.NotContains(t, list, m[2], "a token is never shown again")
	c.must("keys", "revoke", "--dealer", "sh01", "--id", m[1])
	assert.NotContains(t, c.must("keys", "list", "--dealer", "sh01"), m[1], "a revoked key leaves the active list")
	assert.Contains(t, c.must("keys", "list", "--dealer", "sh01", "--all"), "revoked 2026-12-04")

	bad := c.run("keys", "create", "--dealer", "sh01", "--name", "x", "--roles", "wizard")
	assert.Equal(t, 1, bad.code)
	assert.Contains(t, bad.stderr, "roles", "an unknown role is named: %s", bad.stderr)
	c.vars["DEALERCRM_KEY_SECRET"] = "short"
	weak := c.run("keys", "list", "--dealer", "sh01")
	assert.Equal(t, 2, weak.code)
	assert.Contains(t, weak.stderr, "DEALERCRM_KEY_SECRET")
}

// TestServe starts serve on Postgres with a key made by keys create, and
// calls the API with it.
func TestServe(t *testing.T) {
	c := newCLI(t)
	c.must("migrate")
	c.must("dealers", "add", "--id", "sh01", "--name", "上海浦东店")
	out := c.must("keys", "create", "--dealer", "sh01", "--name", "DMS sync", "--roles", "admin")
	token := regexp.MustCompile(`token \(shown once\): (\S+)`).FindStringSubmatch(out)[1]

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- c.env(&stdout, &stderr).main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--pool", "6", "--heavy", "2", "--job-pool", "2"})
	}()
	var base string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(stdout.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 30*time.Second, 20*time.Millisecond, "serve prints its address; stderr: %s", &stderr)
	assert.Contains(t, stdout.String(), "dealercrm "+dealercrm.Version)

	res, err := http.Get(base + "/v1/openapi.json")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	var doc struct {
		Info struct{ Version string } `json:"info"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&doc))
	res.Body.Close()
	assert.Equal(t, dealercrm.Version, doc.Info.Version, "the OpenAPI document reports the version")

	get := func(key string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/customers?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, http.StatusOK, get(token), "a key made by keys create works under the same secret")
	assert.Equal(t, http.StatusUnauthorized, get("nope"))
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "serve stops gracefully; stderr: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, stderr.String(), "stopped")
}

func TestServeRefusesBadSettings(t *testing.T) {
	c := &cli{t: t, vars: map[string]string{"DEALERCRM_KEY_SECRET": testSecret}}
	r := c.run("serve", "--memory", "--heavy", "0")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "-heavy 0")
	r = c.run("serve", "--memory", "--max-in-flight", "-1")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "-max-in-flight -1: want 0 (no cap) or more")
	c.vars["DEALERCRM_KEY_SECRET"] = ""
	r = c.run("serve", "--memory")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "DEALERCRM_KEY_SECRET")
}
