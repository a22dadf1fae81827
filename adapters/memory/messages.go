package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/messages"
)

// MessageStore is an in-memory messages.Store: a map of sends and an
// index of keys under one lock. It copies sends in and out and keeps
// times in UTC to the microsecond, as Postgres does.
type MessageStore struct {
	mu    sync.Mutex
	sends map[messages.SendID]messages.Send
	keys  map[crm.DealerID]map[string]messages.SendID
}

var _ messages.Store = (*MessageStore)(nil)

// NewMessageStore returns an empty MessageStore.
func NewMessageStore() *MessageStore {
	return &MessageStore{sends: map[messages.SendID]messages.Send{}, keys: map[crm.DealerID]map[string]messages.SendID{}}
}

// normSend returns a copy of s with its times in UTC to the microsecond
// and empty maps as nil.
func normSend(s messages.Send) messages.Send {
	s = s.Clone()
	for _, t := range []*time.Time{&s.Next, &s.SentAt, &s.CreatedAt, &s.UpdatedAt} {
		*t = t.UTC().Truncate(time.Microsecond)
		if t.IsZero() {
			*t = time.Time{}
		}
	}
	if len(s.Params) == 0 {
		s.Params = nil
	}
	if len(s.ReasonParams) == 0 {
		s.ReasonParams = nil
	}
	return s
}

// Create implements messages.Store.
func (s *MessageStore) Create(ctx context.Context, snd messages.Send) (messages.Send, bool, error) {
	if err := ctx.Err(); err != nil {
		return messages.Send{}, false, err
	}
	if err := snd.Validate(); err != nil {
		return messages.Send{}, false, err
	}
	snd = normSend(snd)
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.keys[snd.DealerID][snd.Key]; ok {
		return s.sends[id].Clone(), false, nil
	}
	if _, ok := s.sends[snd.ID]; ok {
		return messages.Send{}, false, &crm.ConflictError{Entity: "send", Field: "id"}
	}
	if s.keys[snd.DealerID] == nil {
		s.keys[snd.DealerID] = map[string]messages.SendID{}
	}
	s.keys[snd.DealerID][snd.Key] = snd.ID
	s.sends[snd.ID] = snd
	return snd.Clone(), true, nil
}

// Get implements messages.Store.
func (s *MessageStore) Get(ctx context.Context, dealer crm.DealerID, id messages.SendID) (messages.Send, error) {
	if err := ctx.Err(); err != nil {
		return messages.Send{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snd, ok := s.sends[id]
	if !ok || snd.DealerID != dealer {
		return messages.Send{}, messages.ErrNotFound
	}
	return snd.Clone(), nil
}

// Update implements messages.Store.
func (s *MessageStore) Update(ctx context.Context, dealer crm.DealerID, id messages.SendID, fn func(*messages.Send) error) (messages.Send, error) {
	if err := ctx.Err(); err != nil {
		return messages.Send{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.sends[id]
	if !ok || old.DealerID != dealer {
		return messages.Send{}, messages.ErrNotFound
	}
	snd := old.Clone()
	if err := fn(&snd); err != nil {
		return messages.Send{}, err
	}
	snd.ID, snd.DealerID, snd.Key, snd.CreatedAt = old.ID, old.DealerID, old.Key, old.CreatedAt
	if err := snd.Validate(); err != nil {
		return messages.Send{}, err
	}
	snd = normSend(snd)
	s.sends[id] = snd
	return snd.Clone(), nil
}

// Due implements messages.Store.
func (s *MessageStore) Due(ctx context.Context, dealer crm.DealerID, now time.Time, limit int) ([]messages.Send, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var out []messages.Send
	for _, snd := range s.sends {
		if snd.DealerID == dealer && !snd.Next.IsZero() && !snd.Next.After(now) &&
			(snd.Status == messages.StatusQueued || snd.Status == messages.StatusHeld || snd.Status == messages.StatusFailed) {
			out = append(out, snd.Clone())
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b messages.Send) int {
		if c := a.Next.Compare(b.Next); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID), string(b.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SentTimes implements messages.Store.
func (s *MessageStore) SentTimes(ctx context.Context, dealer crm.DealerID, q messages.SentQuery) ([]time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var out []time.Time
	for _, snd := range s.sends {
		if snd.DealerID == dealer && q.Match(&snd) {
			out = append(out, snd.SentAt)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, time.Time.Compare)
	return out, nil
}

// List implements messages.Store.
func (s *MessageStore) List(ctx context.Context, dealer crm.DealerID, f messages.Filter) (crm.Page[messages.Send], error) {
	if err := ctx.Err(); err != nil {
		return crm.Page[messages.Send]{}, err
	}
	if err := f.Validate(); err != nil {
		return crm.Page[messages.Send]{}, err
	}
	after, _ := f.AfterID()
	s.mu.Lock()
	var out []messages.Send
	for _, snd := range s.sends {
		if snd.DealerID == dealer && string(snd.ID) > after && f.Match(&snd) {
			out = append(out, snd.Clone())
		}
	}
	s.mu.Unlock()
	return sortedPage(out, f.Size(), func(x messages.Send) string { return string(x.ID) }), nil
}
