package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/dealercrm/dealercrm/webhook"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun/driver/pgdriver"
)

// lockedBuffer collects the server's logs from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// banner is what the server prints for a newcomer.
type banner struct {
	base  string
	keys  []string // Shanghai first
	curl  string
	lines []string
}

var (
	baseRE = regexp.MustCompile(`on (http://\S+)`)
	keyRE  = regexp.MustCompile(`API key: (\S+)`)
)

// start runs the server with args until the test ends and returns its
// banner, a function that stops it and the channel run's result arrives on.
func start(t *testing.T, args ...string) (banner, context.CancelFunc, <-chan error, *lockedBuffer) {
	t.Helper()
	return startOn(t, time.Now, args...)
}

// startOn is start with the server's clock now.
func startOn(t *testing.T, now func() time.Time, args ...string) (banner, context.CancelFunc, <-chan error, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	logs := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		err := runWith(ctx, args, pw, logs, now)
		_ = pw.Close()
		done <- err
	}()
	t.Cleanup(cancel)

	var b banner
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	timeout := time.After(60 * time.Second)
	for b.curl == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				cancel()
				t.Fatalf("server stopped before printing its banner: %v\nlogs:\n%s", <-done, logs.String())
			}
			b.lines = append(b.lines, line)
			if m := baseRE.FindStringSubmatch(line); m != nil && b.base == "" {
				b.base = m[1]
			}
			if m := keyRE.FindStringSubmatch(line); m != nil {
				b.keys = append(b.keys, m[1])
			}
			if strings.Contains(line, "curl ") {
				b.curl = strings.TrimSpace(line)
			}
		case <-timeout:
			t.Fatalf("no banner after 60s; logs:\n%s", logs.String())
		}
	}
	go func() {
		for range lines { // keep the pipe drained
		}
	}()
	return b, cancel, done, logs
}

func request(t *testing.T, method, url, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// getJSON GETs url with key, requires a 200 and decodes the answer into v.
func getJSON(t *testing.T, url, key string, v any) {
	t.Helper()
	resp, body := request(t, http.MethodGet, url, key, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", url, body)
	require.NoError(t, json.Unmarshal(body, v), "GET %s: %s", url, body)
}

// exercise runs what a newcomer does with the printed key and curl line.
func exercise(t *testing.T, b banner) {
	require.Len(t, b.keys, 2, "a key per store in the banner: %q", b.lines)
	sh, sz := b.keys[0], b.keys[1]
	assert.Contains(t, b.curl, "Authorization: Bearer "+sh)
	assert.Contains(t, b.curl, b.base+"/v1/customers?limit=3")

	resp, body := request(t, http.MethodGet, b.base+"/v1/customers?limit=3", sh, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "the printed curl works: %s", body)
	var page struct {
		Items []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Mobile string `json:"mobile"`
		} `json:"items"`
		Next string `json:"next"`
	}
	require.NoError(t, json.Unmarshal(body, &page))
	require.Len(t, page.Items, 3, "three demo customers")
	assert.NotEmpty(t, page.Next, "more customers on the next page")
	id := page.Items[0].ID

	resp, body = request(t, http.MethodGet, b.base+"/v1/customers/"+id, sh, "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	resp, body = request(t, http.MethodGet, b.base+"/v1/customers/"+id, sz, "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the Suzhou key must not see a Shanghai customer: %s", body)
	resp, _ = request(t, http.MethodGet, b.base+"/v1/customers?limit=3", "", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no key, no data")

	resp, body = request(t, http.MethodPost, b.base+"/v1/vehicles", sz, `{"vin":"LTLGX3156PS100001","model":"X3"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "%s", body)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	var p struct {
		Errors []struct {
			Field string `json:"field"`
			Rule  string `json:"rule"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(body, &p))
	require.NotEmpty(t, p.Errors, "%s", body)
	assert.Equal(t, "vin", p.Errors[0].Field, "the problem names the VIN: %s", body)
	exerciseSatisfaction(t, b)
	exerciseLifecycle(t, b)
	exerciseGrading(t, b)
	exerciseCampaigns(t, b)
	exerciseLoyalty(t, b)
	exerciseRoles(t, b)
	exerciseEvents(t, b)
}

var roleKeyRE = regexp.MustCompile(`\s(manager|cr|consultant|group_admin)\s+key: (\S+)`)

// exerciseRoles uses the printed keys of people: the consultant's call
// list is their own, nobody but an admin erases, the group's
// administrator sees group views but no customers.
func exerciseRoles(t *testing.T, b banner) {
	t.Helper()
	keys := map[string]string{}
	for _, line := range b.lines {
		if m := roleKeyRE.FindStringSubmatch(line); m != nil {
			keys[m[1]] = m[2]
		}
	}
	require.Len(t, keys, 4, "the banner prints a manager, cr, consultant and group_admin key: %q", b.lines)
	since := time.Now()

	resp, body := request(t, http.MethodGet, b.base+"/v1/tasks?limit=200", keys["consultant"], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var tasks struct {
		Items []struct {
			AssigneeID string `json:"assignee_id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &tasks))
	for _, it := range tasks.Items {
		assert.Equal(t, "SH01-SC01", it.AssigneeID, "a consultant's call list is their own")
	}

	resp, body = request(t, http.MethodGet, b.base+"/v1/customers?limit=1", keys["cr"], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &page))
	require.NotEmpty(t, page.Items)
	for _, role := range []string{"manager", "cr", "consultant"} {
		resp, body = request(t, http.MethodPost, b.base+"/v1/customers/"+page.Items[0].ID+"/erase", keys[role], "")
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s may not erase: %s", role, body)
		assert.Contains(t, string(body), `"permission":"privacy"`)
	}

	resp, body = request(t, http.MethodGet, b.base+"/v1/customers?limit=1", keys["group_admin"], "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "the group's administrator reads no customers: %s", body)
	resp, body = request(t, http.MethodGet, b.base+"/v1/reports/abnormal?group=true&limit=1", keys["group_admin"], "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	resp, body = request(t, http.MethodGet, b.base+"/v1/reports/abnormal?group=true&limit=1", b.keys[0], "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a store's admin key has no group views: %s", body)

	// The audit trail (the admin's) shows the refused erasures and the
	// CR key's read of the customer list, each with its staff member.
	resp, body = request(t, http.MethodGet, b.base+"/v1/audit?record="+page.Items[0].ID+"&operation=eraseCustomer&from="+
		url.QueryEscape(since.Format(time.RFC3339Nano)), b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var trail struct {
		Items []struct {
			StaffID string `json:"staff_id"`
			Outcome string `json:"outcome"`
			Reason  string `json:"reason"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &trail))
	require.Len(t, trail.Items, 3, "three refused erasures: %s", body)
	for _, it := range trail.Items {
		assert.Equal(t, "denied", it.Outcome)
		assert.Equal(t, "permission_denied: privacy", it.Reason)
		assert.NotEmpty(t, it.StaffID, "each names its member of staff")
	}
	resp, body = request(t, http.MethodGet, b.base+"/v1/audit?operation=listCustomers&outcome=ok&limit=1", keys["cr"], "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "only the admin reads the trail: %s", body)
	resp, body = request(t, http.MethodGet, b.base+"/v1/audit?operation=listCustomers&outcome=ok&limit=1", b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.NoError(t, json.Unmarshal(body, &trail))
	assert.Len(t, trail.Items, 1, "reading customers leaves a record: %s", body)
}

// exerciseEvents follows the event feed the banner's curl line reads:
// the seeded data made events, and the cursor leads on.
func exerciseEvents(t *testing.T, b banner) {
	t.Helper()
	var feed struct {
		Items []struct {
			Seq  int64  `json:"seq"`
			Type string `json:"type"`
		} `json:"items"`
		Next int64 `json:"next"`
	}
	getJSON(t, b.base+"/v1/events?limit=5", b.keys[0], &feed)
	require.Len(t, feed.Items, 5, "the seeded customers' consents are events")
	assert.Equal(t, feed.Items[4].Seq, feed.Next)
	getJSON(t, b.base+"/v1/events?limit=5&after="+strconv.FormatInt(feed.Next, 10), b.keys[0], &feed)
	require.NotEmpty(t, feed.Items)
	assert.Greater(t, feed.Items[0].Seq, int64(5), "the cursor leads on")
}

// exerciseWebhooks subscribes a local receiver to consent changes, withdraws
// a customer's SMS marketing consent over HTTP and waits for the signed
// delivery, which the receiver verifies as the Standard Webhooks say.
func exerciseWebhooks(t *testing.T, b banner) {
	t.Helper()
	var secret atomic.Value
	got := make(chan string, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s, _ := secret.Load().(string)
		if err := webhook.Verify(s, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got <- string(body)
	}))
	defer receiver.Close()
	resp, body := request(t, http.MethodPost, b.base+"/v1/webhooks", b.keys[0], `{"url": "`+receiver.URL+`", "types": ["consent.changed"]}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", body)
	var sub struct {
		Webhook struct {
			ID string `json:"id"`
		} `json:"webhook"`
		Secret string `json:"secret"`
	}
	require.NoError(t, json.Unmarshal(body, &sub))
	require.True(t, strings.HasPrefix(sub.Secret, "whsec_"), "the secret is shown once: %s", body)
	secret.Store(sub.Secret)

	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	getJSON(t, b.base+"/v1/customers?limit=1", b.keys[0], &page)
	require.NotEmpty(t, page.Items)
	// One of the two answers turns the customer's consent, whatever it was.
	for _, granted := range []string{"false", "true"} {
		consent := `{"purpose": "marketing", "channel": "wechat", "granted": ` + granted + `, "source": "wechat form"}`
		resp, body = request(t, http.MethodPost, b.base+"/v1/customers/"+page.Items[0].ID+"/consents", b.keys[0], consent)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	}
	select {
	case ev := <-got:
		assert.Contains(t, ev, `"type":"consent.changed"`)
		assert.Contains(t, ev, page.Items[0].ID, "the delivery names the customer")
	case <-time.After(20 * time.Second):
		t.Fatal("no signed delivery of the consent change")
	}
	resp, body = request(t, http.MethodDelete, b.base+"/v1/webhooks/"+sub.Webhook.ID, b.keys[0], "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode, "%s", body)
}

// exerciseLoyalty lists the Shanghai club's members and reads one's
// balances and ledger.
func exerciseLoyalty(t *testing.T, b banner) {
	t.Helper()
	resp, body := request(t, http.MethodGet, b.base+"/v1/loyalty/members?status=active", b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var page struct {
		Items []struct {
			CustomerID string `json:"customer_id"`
			Tier       string `json:"tier"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &page))
	require.NotEmpty(t, page.Items, "the demo club has members: %s", body)
	resp, body = request(t, http.MethodGet, b.base+"/v1/loyalty/members/"+page.Items[0].CustomerID+"/entries", b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Contains(t, string(body), `"kind":"earn"`, "the member has earned points: %s", body)
}

var tasksRE = regexp.MustCompile(`Today's tasks for \S+ on (\d{4}-\d{2}-\d{2}): (\d+)\+? due`)

// exerciseLifecycle lists the demo store's tasks of the day the server ran
// the scheduler for, as the banner says.
func exerciseLifecycle(t *testing.T, b banner) {
	t.Helper()
	var m []string
	for _, l := range b.lines {
		if m = tasksRE.FindStringSubmatch(l); m != nil {
			break
		}
	}
	require.NotNil(t, m, "the banner shows today's tasks: %q", b.lines)
	assert.NotEqual(t, "0", m[2], "the demo data yields tasks due today")
	resp, body := request(t, http.MethodGet, b.base+"/v1/tasks?date="+m[1], b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var page struct {
		Items []struct {
			Key       string `json:"key"`
			OwnerRole string `json:"owner_role"`
			Due       string `json:"due"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &page))
	require.NotEmpty(t, page.Items, "tasks due for the demo store: %s", body)
	for _, tk := range page.Items {
		assert.LessOrEqual(t, tk.Due, m[1], "due on or before the day")
	}
}

// exerciseSatisfaction reads the CSI report of the demo season of
// post-service calls with the Shanghai key.
func exerciseSatisfaction(t *testing.T, b banner) {
	t.Helper()
	resp, body := request(t, http.MethodGet, b.base+"/v1/reports/csi?questionnaire=default-service-call&granularity=month", b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var rep struct {
		CSI       float64 `json:"csi"`
		Responses int     `json:"responses"`
		ByStaff   []struct {
			Key string  `json:"key"`
			CSI float64 `json:"csi"`
		} `json:"by_staff"`
	}
	require.NoError(t, json.Unmarshal(body, &rep))
	require.Positive(t, rep.Responses, "the demo has a season of survey responses: %s", body)
	assert.Greater(t, rep.CSI, 40.0, "a plausible CSI: %s", body)
	assert.LessOrEqual(t, rep.CSI, 100.0)
	assert.NotEmpty(t, rep.ByStaff, "broken down by advisor")
}

func stop(t *testing.T, cancel context.CancelFunc, done <-chan error, logs *lockedBuffer) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err, "a clean shutdown")
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatal("the server did not stop")
	}
	assert.Contains(t, logs.String(), "stopped")
}

// TestServerDefaultDemo starts the server as a newcomer does, with the
// default-size demo generated for today: every record of it must be
// plausible on the day it is seeded (no event after the dealer's today).
func TestServerDefaultDemo(t *testing.T) {
	b, cancel, done, logs := start(t, "-addr", "127.0.0.1:0")
	exercise(t, b)
	stop(t, cancel, done, logs)
}

func TestServerInMemory(t *testing.T) {
	b, cancel, done, logs := start(t, "-addr", "127.0.0.1:0", "-customers", "60", "-webhooks-local")
	assert.True(t, strings.HasPrefix(b.base, "http://127.0.0.1:"), "banner shows the address: %q", b.lines)
	exercise(t, b)
	exerciseWebhooks(t, b)
	stop(t, cancel, done, logs)
}

// TestServerPostgres runs the same against Postgres in a schema of its own,
// twice: the second start seeds the same data again, and revokes the keys
// the first made.
func TestServerPostgres(t *testing.T) {
	dsn, schema := demoSchema(t)
	// One server secret for both starts: the first start's keys would
	// still verify, were they not revoked.
	t.Setenv("DEALERCRM_KEY_SECRET", "the demo's server secret, 32 bytes or more")
	var earlier []string
	for i := range 2 {
		b, cancel, done, logs := start(t, "-addr", "127.0.0.1:0", "-customers", "40", "-postgres", dsn, "-schema", schema, "-log", "json", "-webhooks-local")
		assert.Contains(t, b.lines[0], "Postgres schema "+schema, "run %d", i)
		exercise(t, b)
		exerciseWebhooks(t, b)
		for _, key := range earlier {
			resp, body := request(t, http.MethodGet, b.base+"/v1/dealer", key, "")
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the first start's key is revoked by the second: %s", body)
		}
		earlier = b.keys
		stop(t, cancel, done, logs)
	}
}

// demoSchema returns the DSN of the test Postgres and a fresh schema
// name, dropped when the test ends; it skips without a server (fails with
// DEALERCRM_REQUIRE_POSTGRES=1).
func demoSchema(t *testing.T) (dsn, schema string) {
	t.Helper()
	_ = pgtest.DB(t)
	dsn = pgtest.DSN()
	schema = fmt.Sprintf("demo_server_test_%d", time.Now().UnixNano())
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	t.Cleanup(func() {
		_, err := db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
		assert.NoError(t, err)
		_ = db.Close()
	})
	return dsn, schema
}

func TestServerFlags(t *testing.T) {
	ctx := context.Background()
	assert.Error(t, run(ctx, []string{"-log", "xml"}, io.Discard, io.Discard))
	assert.Error(t, run(ctx, []string{"-nope"}, io.Discard, io.Discard))
	assert.NoError(t, run(ctx, []string{"-h"}, io.Discard, io.Discard), "help is not an error")
}

// TestServerConsole finds the web console mounted at /console/ beside the
// HTTP API, its sign-in page served over plain http with cookies the
// browser keeps (no Secure attribute on the demo).
func TestServerConsole(t *testing.T) {
	b, cancel, done, logs := start(t, "-addr", "127.0.0.1:0", "-customers", "60")
	assert.Contains(t, strings.Join(b.lines, "\n"), b.base+"/console/", "the banner shows the console's URL")
	res, err := http.Get(b.base + "/console/signin")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(body), `name="key"`, "the sign-in form asks for the API key")
	for _, c := range res.Cookies() {
		assert.False(t, c.Secure, "the demo's cookie %s works over plain http", c.Name)
	}
	stop(t, cancel, done, logs)
}
