package webhooktest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sub returns a new enabled subscription of dealer, due at t0.
func sub(dealer crm.DealerID, url string) webhook.Subscription {
	return webhook.Subscription{ID: webhook.ID(dealercrm.NewID()), DealerID: dealer, URL: url, Types: []crm.EventType{},
		Secret: webhook.NewSecret(), State: webhook.Enabled, NextAttemptAt: t0, CreatedAt: t0, UpdatedAt: t0, Version: 1}
}

// RunStoreTests runs the conformance suite of webhook.Store against the
// backends newBackend returns (a fresh one per call).
func RunStoreTests(t *testing.T, newBackend func(t *testing.T) Backend) {
	ctx := context.Background()

	t.Run("CreateGetListUpdateDelete", func(t *testing.T) {
		b := newBackend(t)
		d1, d2 := newDealer(), newDealer()
		a, c := sub(d1, "https://a.example/hook"), sub(d1, "https://c.example/hook")
		a.Types = []crm.EventType{crm.EventPointsEarned, crm.EventTaskDone}
		other := sub(d2, "https://b.example/hook")
		for _, s := range []webhook.Subscription{a, c, other} {
			require.NoError(t, b.Store.Create(ctx, s))
		}
		assert.Equal(t, dealercrm.Conflict, dealercrm.ErrorCode(b.Store.Create(ctx, a)), "a second subscription with an ID is a conflict")

		got, err := b.Store.Get(ctx, d1, a.ID)
		require.NoError(t, err)
		assert.Equal(t, a, got, "Get returns what Create stored")
		_, err = b.Store.Get(ctx, d2, a.ID)
		assert.ErrorIs(t, err, webhook.ErrNotFound, "another dealer's subscription is not found")

		p, err := b.Store.List(ctx, d1, webhook.Filter{PageRequest: crm.PageRequest{Limit: 1}})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		assert.Equal(t, a.ID, p.Items[0].ID, "ID order")
		p, err = b.Store.List(ctx, d1, webhook.Filter{PageRequest: crm.PageRequest{After: p.Next}})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		assert.Equal(t, c.ID, p.Items[0].ID, "the second page")
		assert.Empty(t, p.Next)
		_, err = b.Store.List(ctx, d1, webhook.Filter{PageRequest: crm.PageRequest{After: "!"}})
		var ve *crm.ValidationError
		assert.ErrorAs(t, err, &ve, "a bad cursor is invalid")

		later := t0.Add(time.Hour)
		u, err := b.Store.Update(ctx, d1, a.ID, func(s *webhook.Subscription) error {
			s.URL, s.Types, s.State, s.DisabledReason, s.Cursor, s.UpdatedAt = "https://a2.example/", nil, webhook.Disabled, "by hand", 7, later
			s.DealerID, s.Version = d2, 99 // ignored
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, int64(2), u.Version, "an update counts one version up")
		got, err = b.Store.Get(ctx, d1, a.ID)
		require.NoError(t, err)
		assert.Equal(t, u.URL, got.URL)
		assert.Empty(t, got.Types)
		assert.Equal(t, webhook.Disabled, got.State)
		assert.Equal(t, "by hand", got.DisabledReason)
		assert.Equal(t, int64(7), got.Cursor)
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, later, got.UpdatedAt)
		p, err = b.Store.List(ctx, d1, webhook.Filter{State: webhook.Disabled})
		require.NoError(t, err)
		require.Len(t, p.Items, 1, "the state filter keeps the disabled one")

		boom := errors.New("boom")
		_, err = b.Store.Update(ctx, d1, c.ID, func(s *webhook.Subscription) error { s.URL = "x"; return boom })
		assert.ErrorIs(t, err, boom)
		got, _ = b.Store.Get(ctx, d1, c.ID)
		assert.Equal(t, c.URL, got.URL, "an aborted update changes nothing")
		_, err = b.Store.Update(ctx, d2, c.ID, func(*webhook.Subscription) error { return nil })
		assert.ErrorIs(t, err, webhook.ErrNotFound)

		assert.ErrorIs(t, b.Store.Delete(ctx, d2, a.ID), webhook.ErrNotFound, "another dealer cannot delete it")
		require.NoError(t, b.Store.Delete(ctx, d1, a.ID))
		_, err = b.Store.Get(ctx, d1, a.ID)
		assert.ErrorIs(t, err, webhook.ErrNotFound)
		assert.ErrorIs(t, b.Store.Delete(ctx, d1, a.ID), webhook.ErrNotFound)
	})

	t.Run("ClaimSaveRelease", func(t *testing.T) {
		b := newBackend(t)
		d := newDealer()
		s1, s2 := sub(d, "https://1.example/"), sub(d, "https://2.example/")
		s2.NextAttemptAt = t0.Add(time.Minute)
		idle := sub(d, "https://idle.example/")
		idle.Cursor = 2 // has seen every event
		disabled := sub(d, "https://off.example/")
		disabled.State = webhook.Disabled
		for _, s := range []webhook.Subscription{s1, s2, idle, disabled} {
			require.NoError(t, b.Store.Create(ctx, s))
		}
		require.NoError(t, b.Add(ctx, Events(d, 2, 1)...))

		claim := func(owner string, now time.Time) []webhook.ID {
			subs, err := b.Store.Claim(ctx, webhook.Claim{Owner: owner, Now: now, Until: now.Add(time.Minute), Limit: 10})
			require.NoError(t, err)
			var ids []webhook.ID
			for _, s := range subs {
				ids = append(ids, s.ID)
			}
			return ids
		}
		assert.Equal(t, []webhook.ID{s1.ID}, claim("A", t0), "only s1 is due, enabled and behind the feed")
		assert.Empty(t, claim("B", t0.Add(30*time.Second)), "s1 is leased to A until t0+1m; s2 is not due")
		assert.Equal(t, []webhook.ID{s2.ID}, claim("B", t0.Add(time.Minute)), "s2 is due at t0+1m; A's lease lasts until after t0+1m")

		la := webhook.Lease{ID: s1.ID, Owner: "A", Version: 1}
		d1 := webhook.Delivery{ID: dealercrm.NewID(), SubscriptionID: s1.ID, DealerID: d, EventID: "e1", Seq: 1, Attempt: 1, Status: 204, DurationMS: 1.5, At: t0}
		require.NoError(t, b.Store.Save(ctx, la, webhook.Progress{Cursor: 1, LeaseUntil: t0.Add(2 * time.Minute)}, []webhook.Delivery{d1}))
		wrong := webhook.Lease{ID: s1.ID, Owner: "B", Version: 1}
		assert.ErrorIs(t, b.Store.Save(ctx, wrong, webhook.Progress{Cursor: 2}, []webhook.Delivery{d1}), webhook.ErrLeaseLost, "B holds no lease on s1")
		got, _ := b.Store.Get(ctx, d, s1.ID)
		assert.Equal(t, int64(1), got.Cursor, "A's save moved the cursor; B's did nothing")

		// A change through the store ends A's right to write.
		_, err := b.Store.Update(ctx, d, s1.ID, func(s *webhook.Subscription) error { s.Cursor = 0; return nil })
		require.NoError(t, err)
		d2 := d1
		d2.ID, d2.Seq, d2.Status, d2.Error = dealercrm.NewID(), 2, 500, "status 500"
		assert.ErrorIs(t, b.Store.Save(ctx, la, webhook.Progress{Cursor: 2}, []webhook.Delivery{d2}), webhook.ErrLeaseLost, "the version moved on")
		got, _ = b.Store.Get(ctx, d, s1.ID)
		assert.Equal(t, int64(0), got.Cursor, "the update's cursor stands")
		assert.Empty(t, claim("C", t0.Add(90*time.Second)), "A's lease (until t0+2m) still holds")
		require.NoError(t, b.Store.Release(ctx, la))
		assert.Equal(t, []webhook.ID{s1.ID}, claim("C", t0.Add(90*time.Second)), "released, s1 is C's")

		// A failure: attempts, backoff, disable.
		lc := webhook.Lease{ID: s1.ID, Owner: "C", Version: 2}
		require.NoError(t, b.Store.Save(ctx, lc, webhook.Progress{Cursor: 0, Attempts: 3, FailingSince: t0, NextAttemptAt: t0.Add(time.Hour),
			Disable: "failing since 09:00; last: status 500"}, []webhook.Delivery{d2}))
		got, _ = b.Store.Get(ctx, d, s1.ID)
		assert.Equal(t, 3, got.Attempts)
		assert.Equal(t, t0, got.FailingSince)
		assert.Equal(t, t0.Add(time.Hour), got.NextAttemptAt)
		assert.Equal(t, webhook.Disabled, got.State)
		assert.Equal(t, "failing since 09:00; last: status 500", got.DisabledReason)
		assert.Equal(t, []webhook.ID{s2.ID}, claim("D", t0.Add(2*time.Hour)), "s1 is disabled; B's lease on s2 ran out at t0+2m")

		log, err := b.Store.Deliveries(ctx, d, s1.ID, webhook.DeliveryFilter{})
		require.NoError(t, err)
		require.Len(t, log.Items, 2, "A's and C's attempts are logged; the refused save logged nothing")
		assert.Equal(t, d2, log.Items[0], "newest first")
		assert.Equal(t, d1, log.Items[1])
		failed, err := b.Store.Deliveries(ctx, d, s1.ID, webhook.DeliveryFilter{Failed: true})
		require.NoError(t, err)
		assert.Equal(t, []webhook.Delivery{d2}, failed.Items, "the failed ones")
		page, err := b.Store.Deliveries(ctx, d, s1.ID, webhook.DeliveryFilter{PageRequest: crm.PageRequest{Limit: 1}})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		page, err = b.Store.Deliveries(ctx, d, s1.ID, webhook.DeliveryFilter{PageRequest: crm.PageRequest{Limit: 1, After: page.Next}})
		require.NoError(t, err)
		assert.Equal(t, []webhook.Delivery{d1}, page.Items, "the second page")
		_, err = b.Store.Deliveries(ctx, newDealer(), s1.ID, webhook.DeliveryFilter{})
		assert.ErrorIs(t, err, webhook.ErrNotFound, "another dealer's log is not found")

		n, err := b.Store.PurgeDeliveries(ctx, t0.Add(time.Second))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, 2, "both entries, at t0, are before t0+1s")
		log, _ = b.Store.Deliveries(ctx, d, s1.ID, webhook.DeliveryFilter{})
		assert.Empty(t, log.Items)

		ld := webhook.Lease{ID: s2.ID, Owner: "D", Version: 1}
		assert.ErrorIs(t, b.Store.Save(ctx, webhook.Lease{ID: s2.ID, Owner: "B", Version: 1}, webhook.Progress{}, nil), webhook.ErrLeaseLost,
			"B's lease was taken over")
		require.NoError(t, b.Store.Save(ctx, ld, webhook.Progress{}, []webhook.Delivery{d1}))
		require.NoError(t, b.Store.Delete(ctx, d, s2.ID))
		assert.ErrorIs(t, b.Store.Save(ctx, ld, webhook.Progress{}, nil), webhook.ErrLeaseLost,
			"a deleted subscription's lease is lost")
	})

	t.Run("ClaimIsExclusive", func(t *testing.T) {
		b := newBackend(t)
		d := newDealer()
		const subs = 40
		for range subs {
			require.NoError(t, b.Store.Create(ctx, sub(d, "https://x.example/")))
		}
		require.NoError(t, b.Add(ctx, Events(d, 1, 1)...))
		var (
			mu   sync.Mutex
			seen = map[webhook.ID]string{}
			wg   sync.WaitGroup
		)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := "w" + string(rune('0'+w))
				for range 10 {
					got, err := b.Store.Claim(ctx, webhook.Claim{Owner: owner, Now: t0, Until: t0.Add(time.Minute), Limit: 3})
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					for _, s := range got {
						assert.Empty(t, seen[s.ID], "subscription %s claimed twice", s.ID)
						seen[s.ID] = owner
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		assert.Len(t, seen, subs, "8 workers claiming 3 at a time share all 40, none twice")
	})
}
