package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/require"
)

// stack is the whole HTTP API (every module) over one backend, seeded with
// the demo group: two stores of one group, A (Shanghai) and B (Suzhou),
// with records in every package. Tests that must hold for every route and
// every backend (tenant isolation, …) run on it.
type stack struct {
	name string
	h    http.Handler
	keys map[crm.DealerID]string
	// roleKeys are keys of store B, one per default role, each with a
	// staff member of its own (staffOf).
	roleKeys map[crm.Role]string
	a, b     crm.DealerID
	today    dealercrm.Date
	// pg is the Postgres store, nil on memory.
	pg *postgres.Store
	// The services behind the handler, for what no route does yet (the
	// daily lifecycle run).
	crm       *crm.Service
	lifecycle *lifecycle.Service
	grading   *grading.Service
}

// backends are the stores every cross-backend HTTP test runs on: memory
// always, Postgres through pgtest (skipped without a server, a failure with
// DEALERCRM_REQUIRE_POSTGRES=1).
var backends = []struct {
	name string
	open func(t *testing.T) (crm.Store, *postgres.Store)
}{
	{"memory", func(*testing.T) (crm.Store, *postgres.Store) { return memory.New(), nil }},
	{"postgres", func(t *testing.T) (crm.Store, *postgres.Store) { s := pgtest.NewStore(t); return s, s }},
}

// newStack wires every service on store as examples/server does and seeds
// the demo group (customers customers) as of the real today, since the
// services judge dates against their clocks.
func newStack(t *testing.T, name string, store crm.Store, pg *postgres.Store, customers int) *stack {
	t.Helper()
	ctx := context.Background()
	// The other packages' stores on store's backend (store is the CRM).
	stores := memory.NewStores()
	if pg != nil {
		stores = pg.Stores()
	}
	svc := crm.NewService(store)
	grades, err := grading.NewService(store, stores.Grading)
	require.NoError(t, err)
	club, err := loyalty.NewService(store, stores.Loyalty)
	require.NoError(t, err)
	lc, err := lifecycle.NewService(svc, stores.Tasks, lifecycle.WithGrades(grades), lifecycle.WithCadences(grades),
		lifecycle.WithMemberships(club))
	require.NoError(t, err)
	sat, err := satisfaction.NewService(stores.Satisfaction, satisfaction.WithRecords(svc), satisfaction.WithFollowUps(satisfaction.LifecycleTasks{Tasks: lc}))
	require.NoError(t, err)
	camps, err := campaign.NewService(store, stores.Campaigns,
		campaign.WithAttributes(campaign.Grades(grades), campaign.Lifecycle(lc), campaign.Tiers(club)))
	require.NoError(t, err)

	svc.AddPersonalData(club, grades, sat, camps)
	if pd, ok := any(lc).(crm.PersonalData); ok {
		svc.AddPersonalData(pd)
	}

	shanghai, err := time.LoadLocation(dealercrm.DefaultTimeZone)
	require.NoError(t, err)
	today := dealercrm.DateIn(time.Now(), shanghai)
	data := demo.Generate(demo.Options{Seed: 1, Today: today, Customers: customers})
	require.NoError(t, demo.Seed(ctx, svc, data))
	require.NoError(t, demo.SeedSatisfaction(ctx, svc, sat, data))
	require.NoError(t, demo.WorkFollowUps(ctx, lc, data))
	_, err = grades.Run(ctx, grading.RunRequest{DealerID: data.Dealers[0].Dealer.ID, AsOf: today})
	require.NoError(t, err)
	_, err = grades.Run(ctx, grading.RunRequest{DealerID: data.Dealers[1].Dealer.ID, AsOf: today})
	require.NoError(t, err)
	require.NoError(t, demo.SeedLoyalty(ctx, svc, club, data))
	for _, d := range data.Dealers {
		_, err := lc.Run(ctx, d.Dealer.ID, today)
		require.NoError(t, err)
	}
	require.NoError(t, demo.SeedCampaigns(ctx, camps, data))

	// The daily jobs, in process on both backends (the runs kept in
	// memory), after one round: today's runs of every dealer, so that the
	// job-run list has items.
	sched, err := jobs.NewScheduler(jobs.Defaults(jobs.Services{Lifecycle: lc, Loyalty: club, Campaigns: camps}),
		store.Dealers(), memory.NewRunStore())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sched.Stop(context.Background())) })
	require.NoError(t, sched.Tick(ctx))

	keys := map[crm.DealerID]string{}
	for k, d := range demo.APIKeys(data) {
		keys[d] = k
	}
	b := data.Dealers[1].Dealer.ID
	roleKeys := map[crm.Role]string{}
	principals := map[string]crm.Principal{}
	for _, r := range crm.Roles() {
		key := "role-key-" + string(r)
		roleKeys[r] = key
		principals[key] = crm.Principal{Dealer: b, Staff: staffOf(r), Roles: []crm.Role{r}, KeyID: key}
	}
	managed, err := apikey.NewService(stores.Keys, []byte("the stack's server secret, 32 bytes or more"))
	require.NoError(t, err)
	hooks, err := webhook.NewService(stores.Webhooks, stores.Events)
	require.NoError(t, err)
	// Messages: the day's reminders and campaign sends, planned and
	// dispatched through a log sender, so that the message list has items.
	tpls, err := messages.NewTemplates(messages.DefaultTemplates()...)
	require.NoError(t, err)
	msgs, err := messages.NewService(stores.Messages, svc, messages.NewLogSender(io.Discard, tpls), tpls,
		messages.WithTasks(stores.Tasks, lc), messages.WithCampaigns(stores.Campaigns))
	require.NoError(t, err)
	for _, d := range data.Dealers {
		_, err := msgs.RunDay(ctx, d.Dealer.ID, today)
		require.NoError(t, err)
	}
	h := httpapi.NewHandler(svc, httpapi.WithAPIKeys(demo.APIKeys(data)), httpapi.WithPrincipals(principals), httpapi.WithLifecycle(lc),
		httpapi.WithSatisfaction(sat), httpapi.WithGrading(grades), httpapi.WithCampaigns(camps), httpapi.WithLoyalty(club), httpapi.WithJobs(sched),
		httpapi.WithKeys(managed), httpapi.WithAudit(stores.Audit), httpapi.WithEvents(stores.Events),
		httpapi.WithMessages(msgs), httpapi.WithWebhooks(hooks))
	return &stack{name: name, h: h, keys: keys, roleKeys: roleKeys, a: data.Dealers[0].Dealer.ID, b: b, today: today, pg: pg,
		crm: svc, lifecycle: lc, grading: grades}
}

// staffOf is the staff member of store B's key of role r.
func staffOf(r crm.Role) crm.StaffID { return crm.StaffID("PT-" + string(r)) }

// send sends a request as dealer (no key when ""), with body nil or raw
// JSON, and returns the status and the body.
func (s *stack) send(t testing.TB, dealer crm.DealerID, method, target string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	key := ""
	if dealer != "" {
		key = s.keys[dealer]
	}
	return s.sendKey(t, key, method, target, body, header...)
}

// sendKey sends a request with key (none when "").
func (s *stack) sendKey(t testing.TB, key, method, target string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// getJSON GETs target as dealer and decodes a 200 answer; nil otherwise.
func (s *stack) getJSON(t testing.TB, dealer crm.DealerID, target string) any {
	t.Helper()
	code, body := s.send(t, dealer, http.MethodGet, target, nil)
	if code != http.StatusOK {
		return nil
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	return v
}
