package memory

import (
	"context"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
)

// KeyStore is an in-memory apikey.Store: a map of keys under one lock. It
// is safe for concurrent use and copies keys in and out.
type KeyStore struct {
	mu   sync.Mutex
	keys map[apikey.ID]apikey.Key
}

var _ apikey.Store = (*KeyStore)(nil)

// NewKeyStore returns an empty KeyStore.
func NewKeyStore() *KeyStore { return &KeyStore{keys: map[apikey.ID]apikey.Key{}} }

// Create implements apikey.Store.
func (s *KeyStore) Create(ctx context.Context, k apikey.Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.ID]; ok {
		return dealercrm.Errorf(dealercrm.Conflict, "api key %s exists", k.ID)
	}
	s.keys[k.ID] = k.Clone()
	return nil
}

// Get implements apikey.Store.
func (s *KeyStore) Get(ctx context.Context, id apikey.ID) (apikey.Key, error) {
	if err := ctx.Err(); err != nil {
		return apikey.Key{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		return apikey.Key{}, apikey.ErrNotFound
	}
	return k.Clone(), nil
}

// List implements apikey.Store.
func (s *KeyStore) List(ctx context.Context, dealer crm.DealerID, f apikey.Filter) (crm.Page[apikey.Key], error) {
	if err := ctx.Err(); err != nil {
		return crm.Page[apikey.Key]{}, err
	}
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[apikey.Key]{}, err
	}
	s.mu.Lock()
	var out []apikey.Key
	for _, k := range s.keys {
		if k.DealerID == dealer && string(k.ID) > after && f.Match(&k) {
			out = append(out, k.Clone())
		}
	}
	s.mu.Unlock()
	return sortedPage(out, f.Size(), func(k apikey.Key) string { return string(k.ID) }), nil
}

// Update implements apikey.Store.
func (s *KeyStore) Update(ctx context.Context, dealer crm.DealerID, id apikey.ID, fn func(*apikey.Key) error) (apikey.Key, error) {
	if err := ctx.Err(); err != nil {
		return apikey.Key{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.keys[id]
	if !ok || old.DealerID != dealer {
		return apikey.Key{}, apikey.ErrNotFound
	}
	k := old.Clone()
	if err := fn(&k); err != nil {
		return apikey.Key{}, err
	}
	k.ID, k.DealerID, k.Hash, k.CreatedAt, k.CreatedBy, k.LastUsedAt = old.ID, old.DealerID, old.Hash, old.CreatedAt, old.CreatedBy, old.LastUsedAt
	s.keys[id] = k.Clone()
	return k, nil
}

// Touch implements apikey.Store.
func (s *KeyStore) Touch(ctx context.Context, id apikey.ID, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[id]; ok && at.After(k.LastUsedAt) {
		k.LastUsedAt = at
		s.keys[id] = k
	}
	return nil
}
