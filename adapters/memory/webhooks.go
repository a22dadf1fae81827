package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
)

// WebhookStore is an in-memory webhook.Store: maps under one lock. It is
// safe for concurrent use and copies subscriptions in and out; a lease
// is an owner and an expiry beside the subscription. In NewStores it
// sees the backend's event log, and Claim skips a subscription whose
// dealer has no event after its cursor, as the Postgres store does.
type WebhookStore struct {
	events *EventLog // nil: Claim takes every due subscription
	mu     sync.Mutex
	subs   map[webhook.ID]*memSub
	order  []webhook.ID // creation order, for Claim's ties
}

// memSub is a subscription with its lease and log.
type memSub struct {
	sub        webhook.Subscription
	owner      string
	leaseUntil time.Time
	log        []webhook.Delivery // oldest first
}

var _ webhook.Store = (*WebhookStore)(nil)

// NewWebhookStore returns an empty WebhookStore.
func NewWebhookStore() *WebhookStore { return &WebhookStore{subs: map[webhook.ID]*memSub{}} }

// Head implements webhook.EventHead: the dealer's last sequence number.
func (l *EventLog) Head(ctx context.Context, dealer crm.DealerID) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if dl := l.dealers[dealer]; dl != nil {
		return dl.seq, nil
	}
	return 0, nil
}

func (s *WebhookStore) find(dealer crm.DealerID, id webhook.ID) (*memSub, error) {
	m := s.subs[id]
	if m == nil || m.sub.DealerID != dealer {
		return nil, webhook.ErrNotFound
	}
	return m, nil
}

// Create implements webhook.Store.
func (s *WebhookStore) Create(ctx context.Context, sub webhook.Subscription) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[sub.ID]; ok {
		return dealercrm.Errorf(dealercrm.Conflict, "webhook subscription %s exists", sub.ID)
	}
	s.subs[sub.ID] = &memSub{sub: sub.Clone()}
	s.order = append(s.order, sub.ID)
	return nil
}

// Get implements webhook.Store.
func (s *WebhookStore) Get(ctx context.Context, dealer crm.DealerID, id webhook.ID) (webhook.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return webhook.Subscription{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.find(dealer, id)
	if err != nil {
		return webhook.Subscription{}, err
	}
	return m.sub.Clone(), nil
}

// List implements webhook.Store.
func (s *WebhookStore) List(ctx context.Context, dealer crm.DealerID, f webhook.Filter) (crm.Page[webhook.Subscription], error) {
	if err := ctx.Err(); err != nil {
		return crm.Page[webhook.Subscription]{}, err
	}
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[webhook.Subscription]{}, err
	}
	s.mu.Lock()
	var out []webhook.Subscription
	for _, m := range s.subs {
		if m.sub.DealerID == dealer && string(m.sub.ID) > after && (f.State == "" || m.sub.State == f.State) {
			out = append(out, m.sub.Clone())
		}
	}
	s.mu.Unlock()
	return sortedPage(out, f.Size(), func(w webhook.Subscription) string { return string(w.ID) }), nil
}

// Update implements webhook.Store.
func (s *WebhookStore) Update(ctx context.Context, dealer crm.DealerID, id webhook.ID, fn func(*webhook.Subscription) error) (webhook.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return webhook.Subscription{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.find(dealer, id)
	if err != nil {
		return webhook.Subscription{}, err
	}
	sub := m.sub.Clone()
	if err := fn(&sub); err != nil {
		return webhook.Subscription{}, err
	}
	sub.ID, sub.DealerID, sub.CreatedAt, sub.Version = m.sub.ID, m.sub.DealerID, m.sub.CreatedAt, m.sub.Version+1
	m.sub = sub.Clone()
	return sub, nil
}

// Delete implements webhook.Store.
func (s *WebhookStore) Delete(ctx context.Context, dealer crm.DealerID, id webhook.ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.find(dealer, id); err != nil {
		return err
	}
	delete(s.subs, id)
	s.order = slices.DeleteFunc(s.order, func(x webhook.ID) bool { return x == id })
	return nil
}

// Deliveries implements webhook.Store.
func (s *WebhookStore) Deliveries(ctx context.Context, dealer crm.DealerID, id webhook.ID, f webhook.DeliveryFilter) (crm.Page[webhook.Delivery], error) {
	if err := ctx.Err(); err != nil {
		return crm.Page[webhook.Delivery]{}, err
	}
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[webhook.Delivery]{}, err
	}
	size := f.Size()
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.find(dealer, id)
	if err != nil {
		return crm.Page[webhook.Delivery]{}, err
	}
	var out []webhook.Delivery
	for i := len(m.log) - 1; i >= 0 && len(out) <= size; i-- {
		d := m.log[i]
		if (after == "" || d.ID < after) && (!f.Failed || !d.OK()) {
			out = append(out, d)
		}
	}
	return crm.NewPage(out, size, func(d webhook.Delivery) string { return d.ID }), nil
}

// PurgeDeliveries implements webhook.Store.
func (s *WebhookStore) PurgeDeliveries(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.subs {
		k := len(m.log)
		m.log = slices.DeleteFunc(m.log, func(d webhook.Delivery) bool { return d.At.Before(before) })
		n += k - len(m.log)
	}
	return n, nil
}

// Claim implements webhook.Store.
func (s *WebhookStore) Claim(ctx context.Context, c webhook.Claim) ([]webhook.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*memSub
	for _, id := range s.order {
		m := s.subs[id]
		if m.sub.State == webhook.Enabled && !m.sub.NextAttemptAt.After(c.Now) && (m.owner == "" || m.leaseUntil.Before(c.Now)) {
			if s.events != nil {
				// Lock order: this store's, then the log's.
				if head, _ := s.events.Head(ctx, m.sub.DealerID); head <= m.sub.Cursor {
					continue
				}
			}
			due = append(due, m)
		}
	}
	slices.SortStableFunc(due, func(a, b *memSub) int { return a.sub.NextAttemptAt.Compare(b.sub.NextAttemptAt) })
	out := []webhook.Subscription{}
	for _, m := range due[:min(len(due), c.Limit)] {
		m.owner, m.leaseUntil = c.Owner, c.Until
		out = append(out, m.sub.Clone())
	}
	return out, nil
}

// Save implements webhook.Store.
func (s *WebhookStore) Save(ctx context.Context, l webhook.Lease, p webhook.Progress, log []webhook.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.subs[l.ID]
	if m == nil || m.owner != l.Owner || m.sub.Version != l.Version {
		return webhook.ErrLeaseLost
	}
	m.sub.Cursor, m.sub.Attempts, m.sub.FailingSince = p.Cursor, p.Attempts, p.FailingSince
	if !p.NextAttemptAt.IsZero() {
		m.sub.NextAttemptAt = p.NextAttemptAt
	}
	if p.Disable != "" {
		m.sub.State, m.sub.DisabledReason = webhook.Disabled, p.Disable
	}
	if p.LeaseUntil.IsZero() {
		m.owner, m.leaseUntil = "", time.Time{}
	} else {
		m.leaseUntil = p.LeaseUntil
	}
	m.log = append(m.log, log...)
	return nil
}

// Release implements webhook.Store.
func (s *WebhookStore) Release(ctx context.Context, l webhook.Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.subs[l.ID]; m != nil && m.owner == l.Owner {
		m.owner, m.leaseUntil = "", time.Time{}
	}
	return nil
}
