package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventFeed reads the feed through the real handler on both stores:
// the cursor, the type filter, the limit, another dealer's feed, the long
// poll woken by a change, a cursor past the retention (410) and malformed
// parameters (422).
func TestEventFeed(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (crm.Store, crm.EventStore)
	}{
		{"memory", func(t *testing.T) (crm.Store, crm.EventStore) { s := memory.NewStores(); return s.CRM, s.Events }},
		{"postgres", func(t *testing.T) (crm.Store, crm.EventStore) {
			s := pgtest.NewStore(t)
			return s, s.EventStore().WithPoll(20 * time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, events := tc.open(t)
			e := newEnvOn(t, store, httpapi.WithEvents(events))
			ctx := t.Context()
			page := func(target string) crm.EventPage {
				t.Helper()
				w := e.do(http.MethodGet, target, keyA, nil)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				var p crm.EventPage
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
				return p
			}

			c, err := e.svc.CreateCustomer(ctx, dealerA, crmtest.Customer(dealerA, 1))
			require.NoError(t, err)
			_, err = e.svc.SetConsent(ctx, dealerA, c.ID, crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: false,
				At: time.Now().Add(-time.Minute), Source: "sms_reply"})
			require.NoError(t, err)

			p := page("/v1/events")
			require.Len(t, p.Items, 3, "two consents at creation, one withdrawal")
			assert.Equal(t, int64(3), p.Next)
			assert.Equal(t, crm.EventConsentChanged, p.Items[2].Type)
			var payload map[string]any
			require.NoError(t, json.Unmarshal(p.Items[2].Payload, &payload))
			assert.Equal(t, map[string]any{"customer_id": string(c.ID), "purpose": "marketing", "channel": "sms", "granted": false,
				"at": payload["at"], "source": "sms_reply"}, payload)
			assert.Equal(t, int64(2), page("/v1/events?limit=2").Next, "limit")
			assert.Len(t, page("/v1/events?after=2").Items, 1, "after the cursor")
			assert.Empty(t, page("/v1/events?types=customer.erased").Items, "the type filter")
			assert.Equal(t, int64(3), page("/v1/events?types=customer.erased").Next, "and the cursor moves past the rest")

			w := e.do(http.MethodGet, "/v1/events", keyB, nil)
			require.Equal(t, http.StatusOK, w.Code)
			assert.JSONEq(t, `{"items": [], "next": 0}`, w.Body.String(), "dealer B sees none of A's")

			// The long poll: a change made while the request waits wakes it.
			done := make(chan crm.EventPage, 1)
			go func() {
				w := e.do(http.MethodGet, "/v1/events?after=3&wait=20", keyA, nil)
				var p crm.EventPage
				_ = json.Unmarshal(w.Body.Bytes(), &p)
				done <- p
			}()
			time.Sleep(50 * time.Millisecond)
			require.NoError(t, e.svc.EraseCustomer(ctx, dealerA, c.ID))
			select {
			case p := <-done:
				require.Len(t, p.Items, 1, "the waiting request answers the erasure")
				assert.Equal(t, crm.EventCustomerErased, p.Items[0].Type)
				assert.JSONEq(t, `{"customer_id": "`+string(c.ID)+`"}`, string(p.Items[0].Payload))
			case <-time.After(15 * time.Second):
				t.Fatal("the long poll was not woken")
			}
			start := time.Now()
			assert.Empty(t, page("/v1/events?after=4&wait=1").Items, "nothing came within the wait")
			assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "it waited")

			// Retention: everything before now is removed; a reader at 1 missed events.
			n, err := events.Purge(ctx, dealerA, time.Now().Add(time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 4, n)
			w = e.do(http.MethodGet, "/v1/events?after=1", keyA, nil)
			require.Equal(t, http.StatusGone, w.Code, w.Body.String())
			var prob map[string]any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &prob))
			assert.Equal(t, "cursor_expired", prob["code"])
			assert.Contains(t, prob["detail"], "the oldest held is 5")
			assert.Empty(t, page("/v1/events?after=4").Items, "a reader that had read everything misses nothing")

			for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=1001", "wait=31", "types=points.stolen", "cursor=1"} {
				w := e.do(http.MethodGet, "/v1/events?"+q, keyA, nil)
				assert.Equal(t, http.StatusUnprocessableEntity, w.Code, "%s: %s", q, w.Body.String())
			}
		})
	}
}
