package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

// EventLog is the in-memory crm.EventStore, shared by the stores of
// NewStores: each appends the events of a change while holding its own
// lock, so an event is visible exactly when its change is (lock order:
// the store's, then the log's — always).
type EventLog struct {
	mu      sync.Mutex
	dealers map[crm.DealerID]*dealerLog
}

// dealerLog is one dealer's events, in sequence order.
type dealerLog struct {
	seq    int64
	purged int64
	events []crm.Event
	keys   map[string]bool
	// wake is closed, and replaced, when events are appended.
	wake chan struct{}
}

var _ crm.EventStore = (*EventLog)(nil)

// NewEventLog returns an empty log.
func NewEventLog() *EventLog { return &EventLog{dealers: map[crm.DealerID]*dealerLog{}} }

func (l *EventLog) dealer(d crm.DealerID) *dealerLog {
	dl := l.dealers[d]
	if dl == nil {
		dl = &dealerLog{keys: map[string]bool{}, wake: make(chan struct{})}
		l.dealers[d] = dl
	}
	return dl
}

// append gives evs their sequence numbers and keeps them; events must
// have been checked (crm.CheckEvents). A keyed event whose key the dealer has
// used is dropped, taking no number.
func (l *EventLog) append(evs []crm.Event) {
	if l == nil || len(evs) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	woken := map[*dealerLog]bool{}
	for _, e := range evs {
		dl := l.dealer(e.DealerID)
		if e.Key != "" {
			if dl.keys[e.Key] {
				continue
			}
			dl.keys[e.Key] = true
		}
		dl.seq++
		e.Seq = dl.seq
		e.Payload = slices.Clone(e.Payload)
		dl.events = append(dl.events, e)
		woken[dl] = true
	}
	for dl := range woken {
		close(dl.wake)
		dl.wake = make(chan struct{})
	}
}

// List implements crm.EventStore.
func (l *EventLog) List(ctx context.Context, dealer crm.DealerID, f crm.EventFilter) (crm.EventPage, error) {
	if err := ctx.Err(); err != nil {
		return crm.EventPage{}, fmt.Errorf("memory: %w", err)
	}
	if err := f.Validate(); err != nil {
		return crm.EventPage{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	page := crm.EventPage{Items: []crm.Event{}, Next: f.After}
	dl := l.dealers[dealer]
	if dl == nil {
		return page, nil
	}
	if f.After > 0 && f.After < dl.purged {
		return crm.EventPage{}, &crm.CursorExpiredError{After: f.After, Oldest: dl.purged + 1}
	}
	i := sort.Search(len(dl.events), func(i int) bool { return dl.events[i].Seq > f.After })
	for _, e := range dl.events[i:min(len(dl.events), i+f.Size())] {
		page.Next = e.Seq
		if f.Match(e) {
			// The key is the writer's, as on Postgres, which keeps it out
			// of the feed.
			e.Payload, e.Key = slices.Clone(e.Payload), ""
			page.Items = append(page.Items, e)
		}
	}
	return page, nil
}

// Wait implements crm.EventStore.
func (l *EventLog) Wait(ctx context.Context, dealer crm.DealerID, after int64) error {
	for {
		l.mu.Lock()
		dl := l.dealer(dealer)
		has, wake := dl.seq > after, dl.wake
		l.mu.Unlock()
		if has {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// Purge implements crm.EventStore: it removes the events up to the last
// one that happened before before, in sequence order.
func (l *EventLog) Purge(ctx context.Context, dealer crm.DealerID, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memory: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	dl := l.dealers[dealer]
	if dl == nil {
		return 0, nil
	}
	cut := 0
	for i, e := range dl.events {
		if e.At.Before(before) {
			cut = i + 1
		}
	}
	if cut == 0 {
		return 0, nil
	}
	dl.purged = max(dl.purged, dl.events[cut-1].Seq)
	dl.events = slices.Clone(dl.events[cut:])
	return cut, nil
}

// Events implements crm.Store: inside a transaction the events are
// appended to the log as it commits (never when it rolls back), else at
// once.
func (s *Store) Events() crm.EventWriter { return eventWriter{s} }

type eventWriter struct{ s *Store }

func (w eventWriter) Add(ctx context.Context, evs ...crm.Event) error {
	if err := crm.CheckEvents(evs); err != nil {
		return err
	}
	return w.s.write(ctx, func(*undoLog) error {
		if w.s.tx != nil {
			// Appended to the log when the transaction commits; a
			// rollback drops them with the transaction.
			w.s.tx.events = append(w.s.tx.events, evs...)
			return nil
		}
		w.s.db.events.append(evs)
		return nil
	})
}
