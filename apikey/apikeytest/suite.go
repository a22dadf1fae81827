// Package apikeytest is the conformance suite of apikey.Store: every
// implementation runs RunStoreTests.
package apikeytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// NewKey returns a key of dealer with id, created at t0, hash "h-"+id.
func NewKey(dealer crm.DealerID, id apikey.ID) apikey.Key {
	return apikey.Key{ID: id, DealerID: dealer, Name: "key " + string(id), Roles: []crm.Role{crm.RoleCR}, StaffID: "S01",
		CreatedAt: t0, Hash: []byte("h-" + id)}
}

// RunStoreTests runs the conformance suite against stores from newStore,
// each new and empty.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) apikey.Store) {
	ctx := context.Background()
	t.Run("CreateGet", func(t *testing.T) {
		s := newStore(t)
		k := NewKey("d1", "k1")
		k.CreatedBy, k.ExpiresAt = "k0", t0.Add(48*time.Hour)
		k.Roles = []crm.Role{crm.RoleManager, crm.RoleGroupAdmin}
		require.NoError(t, s.Create(ctx, k))
		got, err := s.Get(ctx, "k1")
		require.NoError(t, err)
		assert.Equal(t, k, got, "read back as written")
		got.Roles[0], got.Hash[0] = "admin", 'x'
		again, err := s.Get(ctx, "k1")
		require.NoError(t, err)
		assert.Equal(t, k, again, "the store keeps its own copy")

		err = s.Create(ctx, NewKey("d2", "k1"))
		assert.Equal(t, dealercrm.Conflict, dealercrm.ErrorCode(err), "an ID is one key's: %v", err)
		_, err = s.Get(ctx, "k404")
		assert.ErrorIs(t, err, apikey.ErrNotFound)
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		for i := 1; i <= 5; i++ {
			k := NewKey("d1", apikey.ID(fmt.Sprintf("k%d", i)))
			if i%2 == 0 {
				k.StaffID = "S02"
			}
			if i == 3 {
				k.RevokedAt = t0.Add(time.Hour)
			}
			if i == 4 {
				k.ExpiresAt = t0.Add(time.Minute)
			}
			require.NoError(t, s.Create(ctx, k))
		}
		require.NoError(t, s.Create(ctx, NewKey("d2", "k9")))
		ids := func(f apikey.Filter) []apikey.ID {
			var out []apikey.ID
			p, err := s.List(ctx, "d1", f)
			require.NoError(t, err)
			for _, k := range p.Items {
				assert.True(t, f.Match(&k), "Filter.Match agrees with the store on %s", k.ID)
				out = append(out, k.ID)
			}
			return out
		}
		assert.Equal(t, []apikey.ID{"k1", "k2", "k3", "k4", "k5"}, ids(apikey.Filter{}), "the dealer's keys only, in ID order")
		assert.Equal(t, []apikey.ID{"k1", "k2", "k5"}, ids(apikey.Filter{Active: t0.Add(2 * time.Hour)}), "not revoked, not expired")
		assert.Equal(t, []apikey.ID{"k1", "k2", "k4", "k5"}, ids(apikey.Filter{Active: t0}), "k4 still works at t0")
		assert.Equal(t, []apikey.ID{"k2", "k4"}, ids(apikey.Filter{StaffID: "S02"}))
		p, err := s.List(ctx, "d1", apikey.Filter{PageRequest: crm.PageRequest{Limit: 2}})
		require.NoError(t, err)
		assert.Len(t, p.Items, 2)
		p, err = s.List(ctx, "d1", apikey.Filter{PageRequest: crm.PageRequest{Limit: 2, After: p.Next}})
		require.NoError(t, err)
		assert.Equal(t, apikey.ID("k3"), p.Items[0].ID, "the cursor holds")
		p, err = s.List(ctx, "d3", apikey.Filter{})
		require.NoError(t, err)
		assert.Empty(t, p.Items)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		k := NewKey("d1", "k1")
		require.NoError(t, s.Create(ctx, k))
		got, err := s.Update(ctx, "d1", "k1", func(k *apikey.Key) error {
			k.RevokedAt, k.ExpiresAt, k.Name = t0.Add(time.Hour), t0.Add(2*time.Hour), "renamed"
			k.ID, k.DealerID, k.Hash, k.CreatedAt = "k2", "d2", []byte("other"), t0.Add(time.Hour)
			return nil
		})
		require.NoError(t, err)
		want := k
		want.RevokedAt, want.ExpiresAt, want.Name = t0.Add(time.Hour), t0.Add(2*time.Hour), "renamed"
		assert.Equal(t, want, got, "identity, hash and creation stay")
		stored, err := s.Get(ctx, "k1")
		require.NoError(t, err)
		assert.Equal(t, want, stored)

		_, err = s.Update(ctx, "d2", "k1", func(*apikey.Key) error { return nil })
		assert.ErrorIs(t, err, apikey.ErrNotFound, "another dealer's key")
		_, err = s.Update(ctx, "d1", "k404", func(*apikey.Key) error { return nil })
		assert.ErrorIs(t, err, apikey.ErrNotFound)
		boom := errors.New("boom")
		_, err = s.Update(ctx, "d1", "k1", func(k *apikey.Key) error { k.Name = "lost"; return boom })
		assert.ErrorIs(t, err, boom)
		stored, err = s.Get(ctx, "k1")
		require.NoError(t, err)
		assert.Equal(t, "renamed", stored.Name, "an error aborts")
	})
	t.Run("Touch", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Create(ctx, NewKey("d1", "k1")))
		require.NoError(t, s.Touch(ctx, "k1", t0.Add(time.Hour)))
		require.NoError(t, s.Touch(ctx, "k1", t0.Add(time.Minute)), "an earlier use")
		got, err := s.Get(ctx, "k1")
		require.NoError(t, err)
		assert.True(t, t0.Add(time.Hour).Equal(got.LastUsedAt), "the latest use is kept: %v", got.LastUsedAt)
		assert.NoError(t, s.Touch(ctx, "k404", t0), "an absent key is no error")
	})
	t.Run("ConcurrentTouchAndRevoke", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Create(ctx, NewKey("d1", "k1")))
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if i%2 == 0 {
					assert.NoError(t, s.Touch(ctx, "k1", t0.Add(time.Duration(i)*time.Minute)))
					return
				}
				_, err := s.Update(ctx, "d1", "k1", func(k *apikey.Key) error {
					if k.RevokedAt.IsZero() {
						k.RevokedAt = t0.Add(time.Hour)
					}
					return nil
				})
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		got, err := s.Get(ctx, "k1")
		require.NoError(t, err)
		assert.True(t, t0.Add(time.Hour).Equal(got.RevokedAt), "the revocation holds")
		assert.True(t, t0.Add(6*time.Minute).Equal(got.LastUsedAt), "and the latest use: %v", got.LastUsedAt)
	})
}
