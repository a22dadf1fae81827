package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/console"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// fixture is the demo dealer group on the memory backend, its daily jobs
// run for today, with a managed API key per demo principal, and the
// console over it.
type fixture struct {
	app    *app.App
	data   demo.Data
	keys   *apikey.Service
	tokens map[string]string // demo fixed key → token
	audit  crm.AuditStore
	h      http.Handler
	// fixed are keys of roles the key service does not know (a host's
	// own roles), tried before the managed keys.
	fixed map[string]crm.Principal
	srv   *httptest.Server
	now   time.Time
}

// newFixture seeds customers demo customers (demo.DefaultCustomers when
// 0); mutate, when given, changes the generated data before it is seeded.
func newFixture(tb testing.TB, customers int, mutate func(*demo.Data), opts ...console.Option) *fixture {
	tb.Helper()
	return newFixtureOn(tb, memory.NewStores(), customers, mutate, opts...)
}

// newFixtureOn is newFixture on stores.
func newFixtureOn(tb testing.TB, stores backend.Stores, customers int, mutate func(*demo.Data), opts ...console.Option) *fixture {
	tb.Helper()
	ctx := context.Background()
	shanghai, err := time.LoadLocation(dealercrm.DefaultTimeZone)
	require.NoError(tb, err)
	now := time.Date(2026, 3, 16, 10, 0, 0, 0, shanghai)
	clock := func() time.Time { return now }
	a, err := app.New(stores, app.Options{Now: clock, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(tb, err)
	data := demo.Generate(demo.Options{Seed: 1, Today: dealercrm.DateIn(now, shanghai), Customers: customers})
	if mutate != nil {
		mutate(&data)
	}
	require.NoError(tb, demo.Seed(ctx, crm.NewService(stores.CRM, crm.WithMaxImportRecords(math.MaxInt), crm.WithClock(clock)), data))
	require.NoError(tb, demo.SeedSatisfaction(ctx, a.CRM, a.Satisfaction, data))
	require.NoError(tb, demo.WorkFollowUps(ctx, a.Lifecycle, data))
	_, err = a.Grading.Run(ctx, grading.RunRequest{DealerID: data.Dealers[0].Dealer.ID, AsOf: data.Options.Today, Group: true, WriteGroup: true})
	require.NoError(tb, err)
	require.NoError(tb, demo.SeedLoyalty(ctx, a.CRM, a.Loyalty, data))
	require.NoError(tb, demo.SeedCampaigns(ctx, a.Campaigns, data))
	sched, err := jobs.NewScheduler(a.Jobs, stores.CRM.Dealers(), stores.Jobs, jobs.WithClock(clock))
	require.NoError(tb, err)
	require.NoError(tb, sched.Tick(ctx))

	keys, err := apikey.NewService(stores.Keys, []byte(strings.Repeat("k", apikey.MinSecret)), apikey.WithClock(clock))
	require.NoError(tb, err)
	tokens := map[string]string{}
	for fixed, p := range demo.Principals(data) {
		_, token, err := keys.Create(ctx, p.Dealer, "", apikey.CreateRequest{Name: "test " + fixed, Roles: p.Roles, StaffID: p.Staff})
		require.NoError(tb, err)
		tokens[fixed] = token
	}
	f := &fixture{app: a, data: data, keys: keys, tokens: tokens, audit: stores.Audit, now: now, fixed: map[string]crm.Principal{}}
	opts = append([]console.Option{console.WithInsecureCookies(), console.WithAudit(stores.Audit), console.WithClock(clock)}, opts...)
	f.h = console.New(console.Services{CRM: a.CRM, Lifecycle: a.Lifecycle, Loyalty: a.Loyalty, Grading: a.Grading,
		Satisfaction: a.Satisfaction, Campaigns: a.Campaigns}, fixedKeys{f.fixed, console.Keys(keys)}, opts...)
	f.srv = httptest.NewServer(f.h)
	tb.Cleanup(f.srv.Close)
	return f
}

// key makes a managed key of dealer with roles and staff and returns its
// token.
func (f *fixture) key(tb testing.TB, dealer crm.DealerID, staff crm.StaffID, roles ...crm.Role) string {
	tb.Helper()
	_, token, err := f.keys.Create(context.Background(), dealer, "", apikey.CreateRequest{Name: "test", Roles: roles, StaffID: staff})
	require.NoError(tb, err)
	return token
}

// browser is a client of the console with its own cookie jar, which does
// not follow redirects (tests look at them).
type browser struct {
	tb  testing.TB
	f   *fixture
	c   *http.Client
	url string
}

func (f *fixture) browser(tb testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(tb, err)
	return &browser{tb: tb, f: f, url: f.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs b in with token and fails the test unless it works.
func (b *browser) signIn(token string) {
	b.tb.Helper()
	_, body := b.get("/console/signin")
	res, _ := b.post("/console/signin", csrfOf(b.tb, body), url.Values{"key": {token}})
	require.Equal(b.tb, http.StatusSeeOther, res.StatusCode, "a good key signs in")
	require.Equal(b.tb, "/console/tasks", res.Header.Get("Location"))
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.tb.Helper()
	res, err := b.c.Do(req)
	require.NoError(b.tb, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(b.tb, err)
	return res, string(body)
}

func (b *browser) get(path string, header ...string) (*http.Response, string) {
	b.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url+path, nil)
	require.NoError(b.tb, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// post posts form with the CSRF token csrf (none when "").
func (b *browser) post(path, csrf string, form url.Values) (*http.Response, string) {
	b.tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	if csrf != "" {
		form.Set("csrf", csrf)
	}
	req, err := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(form.Encode()))
	require.NoError(b.tb, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the CSRF token of the first form of a page.
func csrfOf(tb testing.TB, body string) string {
	tb.Helper()
	m := csrfRE.FindStringSubmatch(body)
	require.NotNil(tb, m, "the page has a form with a CSRF token")
	return m[1]
}

// fixedKeys authenticates the keys of m, then those of next.
type fixedKeys struct {
	m    map[string]crm.Principal
	next httpapi.Authenticator
}

func (k fixedKeys) Authenticate(r *http.Request) (crm.Principal, error) {
	if p, ok := k.m[httpapi.APIKey(r)]; ok {
		return p, nil
	}
	return k.next.Authenticate(r)
}

// session signs in to h with token, as a browser does, and returns the
// session cookie.
func session(tb testing.TB, h http.Handler, token string) *http.Cookie {
	tb.Helper()
	return sessionAt(tb, h, "/console/", token)
}

// sessionAt is session for a console at prefix.
func sessionAt(tb testing.TB, h http.Handler, prefix, token string) *http.Cookie {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, prefix+"signin", nil))
	pre := rec.Result().Cookies()
	require.NotEmpty(tb, pre)
	form := url.Values{"key": {token}, "csrf": {csrfOf(tb, rec.Body.String())}}
	req := httptest.NewRequest(http.MethodPost, prefix+"signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre[0])
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(tb, http.StatusSeeOther, rec.Code)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "dcrm_session" && c.Value != "" {
			return c
		}
	}
	tb.Fatal("no session cookie")
	return nil
}

// postgresStores returns the stores of a new schema of the test database
// (DEALERCRM_POSTGRES_DSN), dropped when the test ends; it skips without
// a database, unless DEALERCRM_REQUIRE_POSTGRES=1.
func postgresStores(tb testing.TB) backend.Stores {
	tb.Helper()
	ctx := context.Background()
	dsn := os.Getenv("DEALERCRM_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db := app.OpenDB(dsn, app.DB{Name: "console-test", MaxOpen: 8})
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		if os.Getenv("DEALERCRM_REQUIRE_POSTGRES") == "1" {
			tb.Fatalf("postgres: %v", err)
		}
		tb.Skipf("postgres: %v", err)
	}
	schema := fmt.Sprintf("console_test_%d", time.Now().UnixNano())
	tb.Cleanup(func() {
		_, _ = db.ExecContext(ctx, "DROP SCHEMA IF EXISTS ? CASCADE", bun.Ident(schema))
		_ = db.Close()
	})
	store, err := postgres.New(db, postgres.WithSchema(schema))
	require.NoError(tb, err)
	require.NoError(tb, store.Migrate(ctx))
	return store.Stores()
}
