package client_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/client"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	keyA    = "client-test-key-shanghai"
	keyB    = "client-test-key-beijing"
	dealerA = crm.DealerID("SH01")
	dealerB = crm.DealerID("BJ02")
)

// today is the loyalty service's clock in these tests.
var today = time.Date(2025, 6, 1, 4, 0, 0, 0, time.UTC)

// newServer serves the HTTP API — crm, loyalty and the event feed, and
// opts — over stores, with dealers A and B and a key each, and returns
// dealer A's client. It is a test server on a real listener: the client
// goes through net/http both ways.
func newServer(t testing.TB, stores backend.Stores, opts ...httpapi.Option) (*client.Client, *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	svc := crm.NewService(stores.CRM)
	for _, d := range []crm.Dealer{{ID: dealerA, Name: "上海浦东 4S 店"}, {ID: dealerB, Name: "北京朝阳 4S 店"}} {
		_, err := svc.CreateDealer(ctx, d)
		require.NoError(t, err)
	}
	club, err := loyalty.NewService(stores.CRM, stores.Loyalty, loyalty.WithClock(func() time.Time { return today }))
	require.NoError(t, err)
	h := httpapi.NewHandler(svc, append([]httpapi.Option{httpapi.WithAPIKeys(map[string]crm.DealerID{keyA: dealerA, keyB: dealerB}),
		httpapi.WithLoyalty(club), httpapi.WithEvents(stores.Events)}, opts...)...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, keyA, client.WithLanguage("en"))
	require.NoError(t, err)
	return c, srv
}

func TestCustomerCreateReadUpdate(t *testing.T) {
	c, srv := newServer(t, memory.NewStores())
	ctx := context.Background()

	created, err := c.CreateCustomer(ctx, client.CustomerInput{Name: "王伟", Mobile: "139 1234 5678", Source: crm.SourceWalkIn,
		Birthday: dealercrm.NewDate(1985, 3, 5)})
	require.NoError(t, err)
	assert.NotEmpty(t, created.ID, "the server gives the ID")
	assert.Equal(t, dealerA, created.DealerID, "the key's dealer")
	assert.Equal(t, "13912345678", created.Mobile, "the mobile comes back normalised")

	got, err := c.GetCustomer(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created.Name, got.Name)
	assert.Equal(t, dealercrm.NewDate(1985, 3, 5), got.Birthday)

	patched, err := c.UpdateCustomer(ctx, created.ID, client.Patch{"occupation": "工程师", "birthday": nil})
	require.NoError(t, err)
	assert.Equal(t, "工程师", patched.Occupation, "a named field changes")
	assert.True(t, patched.Birthday.IsZero(), "a nil value clears")
	assert.Equal(t, "13912345678", patched.Mobile, "the rest stays")

	// Another dealer's key does not see the customer.
	b, err := client.New(srv.URL, keyB)
	require.NoError(t, err)
	_, err = b.GetCustomer(ctx, created.ID)
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)

	require.NoError(t, c.DeleteCustomer(ctx, created.ID))
	_, err = c.GetCustomer(ctx, created.ID)
	var apiErr *client.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.Status)
	assert.Equal(t, "not_found", apiErr.Code)
	assert.NotEmpty(t, apiErr.RequestID, "the server's request ID, for its logs")
}

func TestListPages(t *testing.T) {
	c, _ := newServer(t, memory.NewStores())
	ctx := context.Background()
	var want []crm.CustomerID
	for i := range 7 {
		cu, err := c.CreateCustomer(ctx, client.CustomerInput{Name: fmt.Sprintf("客户%d", i), Source: crm.SourceWalkIn})
		require.NoError(t, err)
		want = append(want, cu.ID)
	}

	// One page at a time: 7 customers in pages of 3 are 3 + 3 + 1.
	var sizes []int
	var got []crm.CustomerID
	p := client.ListCustomersParams{Limit: 3}
	for {
		page, err := c.ListCustomers(ctx, p)
		require.NoError(t, err)
		sizes = append(sizes, len(page.Items))
		for _, cu := range page.Items {
			got = append(got, cu.ID)
		}
		if page.Next == "" {
			break
		}
		p.After = page.Next
	}
	assert.Equal(t, []int{3, 3, 1}, sizes)
	assert.ElementsMatch(t, want, got, "every customer once")

	// The iterator reads the same, and again from the start when ranged
	// again.
	for range 2 {
		var all []crm.CustomerID
		for cu, err := range c.AllCustomers(ctx, client.ListCustomersParams{Limit: 3}) {
			require.NoError(t, err)
			all = append(all, cu.ID)
		}
		assert.Equal(t, got, all)
	}

	// A filter goes into the query.
	page, err := c.ListCustomers(ctx, client.ListCustomersParams{Kind: crm.Company})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "no company customers")
}

func TestValidationErrorNamesTheField(t *testing.T) {
	c, _ := newServer(t, memory.NewStores())
	ctx := context.Background()

	_, err := c.CreateCustomer(ctx, client.CustomerInput{Mobile: "12345", Source: crm.SourceWalkIn})
	var apiErr *client.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnprocessableEntity, apiErr.Status)
	assert.Equal(t, "invalid", apiErr.Code)
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
	assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err))
	assert.Equal(t, map[string]string{"name": crm.RuleRequired, "mobile": "mobile"}, rules(apiErr.Fields))

	// The same fields as the SDK's own validation error.
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, apiErr.Fields, ve.Fields)

	// A nested record of a batch is named by its JSON path.
	_, err = c.ImportBatch(ctx, crm.Batch{Customers: []crm.Customer{
		{Record: crm.Record{ExternalID: "C1"}, Name: "李娜", Source: crm.SourceWalkIn},
		{Record: crm.Record{ExternalID: "C2"}, Source: crm.SourceWalkIn},
	}})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, map[string]string{"customers[1].name": crm.RuleRequired}, rules(apiErr.Fields))

	// A query parameter the route does not know is named too.
	_, err = c.ListEvents(ctx, client.ListEventsParams{Wait: httpapi.MaxEventWait + 1})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, map[string]string{"wait": crm.RuleFormat}, rules(apiErr.Fields))
}

func rules(fs []crm.FieldError) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[f.Field] = f.Rule
	}
	return out
}

func TestUnauthenticated(t *testing.T) {
	_, srv := newServer(t, memory.NewStores())
	c, err := client.New(srv.URL, "not-a-key")
	require.NoError(t, err)
	_, err = c.GetDealer(context.Background())
	var apiErr *client.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.Status)
	assert.Equal(t, client.CodeUnauthenticated, apiErr.Code)
	assert.ErrorIs(t, err, dealercrm.ErrPermissionDenied)

	// The public routes need no key.
	public, err := client.New(srv.URL, "")
	require.NoError(t, err)
	h, err := public.Health(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "ok", h.Status)
}

// points sets up dealer A's member c1 with service order o1 (labour
// 1,280.50 CNY) and returns o1's ID.
func points(t *testing.T, c *client.Client) (crm.CustomerID, crm.ServiceOrderID) {
	t.Helper()
	ctx := context.Background()
	cu, err := c.CreateCustomer(ctx, client.CustomerInput{Name: "王先生", Source: crm.SourceWalkIn})
	require.NoError(t, err)
	v, err := c.CreateVehicle(ctx, client.VehicleInput{VIN: vin(1), Model: "卡罗拉", OwnerID: cu.ID})
	require.NoError(t, err)
	o, err := c.CreateServiceOrder(ctx, client.ServiceOrderInput{VehicleID: v.ID, CustomerID: cu.ID, Date: dealercrm.NewDate(2025, 5, 30),
		Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: decimal.RequireFromString("1280.50")})
	require.NoError(t, err)
	_, err = c.JoinLoyalty(ctx, "", client.LoyaltyJoinInput{CustomerID: cu.ID, Method: loyalty.JoinSale})
	require.NoError(t, err)
	return cu.ID, o.ID
}

// vin returns a valid VIN (GB 16735 check digit) with serial n.
func vin(n int) string {
	for _, c := range "0123456789X" {
		v := fmt.Sprintf("LSVAU218%cN2%06d", c, n)
		if crm.CheckVIN(v) == "" {
			return v
		}
	}
	panic("no check digit")
}

func TestIdempotentPointsPosting(t *testing.T) {
	c, _ := newServer(t, memory.NewStores())
	ctx := context.Background()
	member, order := points(t, c)

	key := client.NewIdempotencyKey()
	first, err := c.PostEarning(ctx, key, client.LoyaltyEarnInput{ServiceOrderID: order})
	require.NoError(t, err)
	require.Len(t, first.Entries, 1)
	assert.Equal(t, int64(1280), first.Entries[0].Points, "1,280.50 CNY of labour earns 1,280 points")
	assert.False(t, first.Replayed)

	// The retry of a posting whose answer was lost: the first receipt again.
	again, err := c.PostEarning(ctx, key, client.LoyaltyEarnInput{ServiceOrderID: order})
	require.NoError(t, err)
	assert.True(t, again.Replayed, "the server says it replayed")
	assert.Equal(t, first.Entries[0].ID, again.Entries[0].ID, "the same entry, not a second")

	entries, err := c.ListLedgerEntries(ctx, member, client.ListLedgerEntriesParams{})
	require.NoError(t, err)
	earned := 0
	for _, e := range entries.Items {
		if e.Kind == loyalty.EntryEarn && e.Source.ID == string(order) {
			earned++
		}
	}
	assert.Equal(t, 1, earned, "one earning on the ledger")

	// The same key with other input is a conflict.
	_, err = c.PostEarning(ctx, key, client.LoyaltyEarnInput{ServiceOrderID: order, Date: dealercrm.NewDate(2025, 5, 31)})
	assert.ErrorIs(t, err, dealercrm.ErrConflict)
}

// TestRetryCarriesTheKey: a posting answered 503 is sent again by the
// client with the same Idempotency-Key (one it made, as none was given),
// so the server posts once.
func TestRetryCarriesTheKey(t *testing.T) {
	stores := memory.NewStores()
	_, srv := newServer(t, stores)
	var mu sync.Mutex
	var keys []string
	unavailable := true
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.URL.Path == "/v1/loyalty/earnings" {
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			if unavailable {
				unavailable = false
				mu.Unlock()
				w.Header().Set("Retry-After", "0")
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"type":"about:blank","title":"Service Unavailable","status":503,"code":"unavailable"}`))
				return
			}
		}
		mu.Unlock()
		proxy(srv.URL, w, r)
	}))
	t.Cleanup(flaky.Close)
	c, err := client.New(flaky.URL, keyA)
	require.NoError(t, err)
	_, order := points(t, c)

	r, err := c.PostEarning(context.Background(), "", client.LoyaltyEarnInput{ServiceOrderID: order})
	require.NoError(t, err)
	assert.False(t, r.Replayed, "the first attempt never reached the service")
	require.Len(t, keys, 2, "sent twice")
	assert.NotEmpty(t, keys[0])
	assert.Equal(t, keys[0], keys[1], "with the same key")

	// Without retries the 503 is the caller's, with its Retry-After.
	mu.Lock()
	unavailable = true
	mu.Unlock()
	once, err := client.New(flaky.URL, keyA, client.WithRetries(0))
	require.NoError(t, err)
	_, err = once.PostEarning(context.Background(), "", client.LoyaltyEarnInput{ServiceOrderID: order})
	var apiErr *client.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.Status)
	assert.ErrorIs(t, err, dealercrm.ErrUnavailable)
}

// proxy forwards r to base and copies the answer to w.
func proxy(base string, w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, base+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func TestEventFeed(t *testing.T) {
	c, srv := newServer(t, memory.NewStores())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	member, order := points(t, c)
	_, err := c.PostEarning(ctx, "", client.LoyaltyEarnInput{ServiceOrderID: order})
	require.NoError(t, err)

	// What happened so far, read without waiting.
	page, err := c.ListEvents(ctx, client.ListEventsParams{Types: []crm.EventType{crm.EventPointsEarned}})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "one earning")
	assert.Equal(t, crm.EventPointsEarned, page.Items[0].Type)
	assert.Equal(t, string(member), page.Items[0].Subject.ID)

	// Following from the end: the next change arrives through the long
	// poll. The change is made once the feed's request is at the server
	// (polled says so), so that it is the waiting request that answers it.
	all, err := c.ListEvents(ctx, client.ListEventsParams{})
	require.NoError(t, err)
	polled := make(chan string, 10)
	watched := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/events" {
			polled <- r.URL.RawQuery
		}
		proxy(srv.URL, w, r)
	}))
	t.Cleanup(watched.Close)
	follower, err := client.New(watched.URL, keyA)
	require.NoError(t, err)
	got := make(chan crm.Event, 1)
	go func() {
		defer close(got)
		for e, err := range follower.FollowEvents(ctx, client.ListEventsParams{After: all.Next}) {
			if err == nil {
				got <- e
			}
			return
		}
	}()
	assert.Equal(t, fmt.Sprintf("after=%d&wait=%d", all.Next, client.MaxEventWait), <-polled,
		"the feed is asked from the cursor, waiting the longest allowed")
	_, err = c.SetCustomerConsent(ctx, member, client.ConsentInput{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS,
		Granted: true, Source: "test"})
	require.NoError(t, err)
	e, ok := <-got
	require.True(t, ok, "an event arrives before the test's deadline")
	assert.Equal(t, crm.EventConsentChanged, e.Type)
	assert.Greater(t, e.Seq, all.Next, "after the cursor")
}

// TestPostgres runs the client against the API on Postgres: create, read,
// page and post points idempotently (skipped without a server).
func TestPostgres(t *testing.T) {
	pg := pgtest.NewStore(t)
	c, _ := newServer(t, pg.Stores())
	ctx := context.Background()
	_, order := points(t, c)
	key := client.NewIdempotencyKey()
	first, err := c.PostEarning(ctx, key, client.LoyaltyEarnInput{ServiceOrderID: order})
	require.NoError(t, err)
	again, err := c.PostEarning(ctx, key, client.LoyaltyEarnInput{ServiceOrderID: order})
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, first.Entries[0].ID, again.Entries[0].ID)
	n := 0
	for _, err := range c.AllCustomers(ctx, client.ListCustomersParams{Limit: 1}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n)
	_, err = c.GetCustomer(ctx, "no-such-customer")
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)
}
