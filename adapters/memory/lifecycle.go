package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// TaskStore is an in-memory lifecycle.TaskStore. It is safe for
// concurrent use and copies tasks in and out.
type TaskStore struct {
	// events is the log the store's events go to, under the store's
	// lock (shared by NewStores).
	events  *EventLog
	mu      sync.RWMutex
	dealers map[crm.DealerID]*taskTable
	// reports are the report snapshots (reports.go), under mu.
	reports map[crm.DealerID]storedReports
}

type taskTable struct {
	byID  map[lifecycle.TaskID]lifecycle.Task
	byKey map[string]lifecycle.TaskID
	// ids is sorted, for cursor pagination.
	ids []lifecycle.TaskID
	// erasures are the customers whose tasks were erased.
	erasures map[crm.CustomerID]lifecycle.Erasure
}

var _ lifecycle.TaskStore = (*TaskStore)(nil)

// NewTaskStore returns an empty TaskStore.
func NewTaskStore() *TaskStore {
	return &TaskStore{dealers: map[crm.DealerID]*taskTable{}, events: NewEventLog()}
}

func (s *TaskStore) table(dealer crm.DealerID, create bool) *taskTable {
	t := s.dealers[dealer]
	if t == nil && create {
		t = &taskTable{byID: map[lifecycle.TaskID]lifecycle.Task{}, byKey: map[string]lifecycle.TaskID{},
			erasures: map[crm.CustomerID]lifecycle.Erasure{}}
		s.dealers[dealer] = t
	}
	return t
}

// Get returns a task, or lifecycle.ErrTaskNotFound.
func (s *TaskStore) Get(_ context.Context, dealer crm.DealerID, id lifecycle.TaskID) (lifecycle.Task, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.table(dealer, false); t != nil {
		if v, ok := t.byID[id]; ok {
			return cloneTask(v), nil
		}
	}
	return lifecycle.Task{}, fmt.Errorf("task %s: %w", id, lifecycle.ErrTaskNotFound)
}

// GetByKey returns the task with key, or lifecycle.ErrTaskNotFound.
func (s *TaskStore) GetByKey(ctx context.Context, dealer crm.DealerID, key string) (lifecycle.Task, error) {
	s.mu.RLock()
	t := s.table(dealer, false)
	var id lifecycle.TaskID
	ok := false
	if t != nil {
		id, ok = t.byKey[key]
	}
	s.mu.RUnlock()
	if !ok {
		return lifecycle.Task{}, fmt.Errorf("task key %q: %w", key, lifecycle.ErrTaskNotFound)
	}
	return s.Get(ctx, dealer, id)
}

// List returns the tasks matching f in ID order.
func (s *TaskStore) List(_ context.Context, dealer crm.DealerID, f lifecycle.TaskFilter) (crm.Page[lifecycle.Task], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[lifecycle.Task]{}, err
	}
	size := f.Size()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []lifecycle.Task
	if t := s.table(dealer, false); t != nil {
		i, _ := slices.BinarySearch(t.ids, lifecycle.TaskID(after))
		for ; i < len(t.ids) && len(items) <= size; i++ {
			v := t.byID[t.ids[i]]
			if string(v.ID) > after && f.Match(&v) {
				items = append(items, cloneTask(v))
			}
		}
	}
	return crm.NewPage(items, size, func(t lifecycle.Task) string { return string(t.ID) }), nil
}

// Apply creates and replaces tasks in one step under the store's lock: a
// creation whose ID or key is taken and a replacement whose stored task
// has another key or version are not written but returned.
func (s *TaskStore) Apply(_ context.Context, dealer crm.DealerID, create, replace []lifecycle.Task) ([]lifecycle.Task, error) {
	for i := range create {
		if err := check(dealer, &create[i]); err != nil {
			return nil, err
		}
	}
	for i := range replace {
		if err := check(dealer, &replace[i]); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(dealer, true)
	// Decide what is written, and its events, before changing anything:
	// events that fail their check leave the store as it was.
	var lost, created, replaced []lifecycle.Task
	var evs []crm.Event
	ids, keys := map[lifecycle.TaskID]bool{}, map[string]bool{}
	for _, c := range create {
		_, idTaken := t.byID[c.ID]
		_, keyTaken := t.byKey[c.Key]
		if idTaken || keyTaken || ids[c.ID] || keys[c.Key] {
			lost = append(lost, c)
			continue
		}
		ids[c.ID], keys[c.Key] = true, true
		c.Version = 1
		created = append(created, c)
		evs = append(evs, lifecycle.TaskEvents(nil, c, c.UpdatedAt)...)
	}
	for _, r := range replace {
		old, ok := t.byID[r.ID]
		if !ok || old.Key != r.Key || old.Version != r.Version {
			lost = append(lost, r)
			continue
		}
		r.CreatedAt, r.Version = old.CreatedAt, old.Version+1
		replaced = append(replaced, r)
		evs = append(evs, lifecycle.TaskEvents(&old, r, r.UpdatedAt)...)
	}
	if err := crm.CheckEvents(evs); err != nil {
		return nil, err
	}
	for _, c := range created {
		t.byID[c.ID] = cloneTask(c)
		t.byKey[c.Key] = c.ID
		t.ids = append(t.ids, c.ID)
	}
	if len(created) > 0 {
		slices.Sort(t.ids)
	}
	for _, r := range replaced {
		t.byID[r.ID] = cloneTask(r)
	}
	s.events.append(evs)
	return lost, nil
}

func check(dealer crm.DealerID, t *lifecycle.Task) error {
	if t.DealerID == "" {
		t.DealerID = dealer
	}
	if t.DealerID != dealer {
		return fmt.Errorf("task %s belongs to dealer %s, not %s: %w", t.ID, t.DealerID, dealer, crm.ErrConflict)
	}
	return t.Validate()
}

// Update applies fn to a stored task under the store's lock.
func (s *TaskStore) Update(_ context.Context, dealer crm.DealerID, id lifecycle.TaskID, fn func(*lifecycle.Task) error) (lifecycle.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(dealer, false)
	if t == nil {
		return lifecycle.Task{}, fmt.Errorf("task %s: %w", id, lifecycle.ErrTaskNotFound)
	}
	old, ok := t.byID[id]
	if !ok {
		return lifecycle.Task{}, fmt.Errorf("task %s: %w", id, lifecycle.ErrTaskNotFound)
	}
	v := cloneTask(old)
	if err := fn(&v); err != nil {
		return lifecycle.Task{}, err
	}
	v.ID, v.DealerID, v.Key, v.CreatedAt, v.Version = old.ID, old.DealerID, old.Key, old.CreatedAt, old.Version+1
	if err := v.Validate(); err != nil {
		return lifecycle.Task{}, err
	}
	evs := lifecycle.TaskEvents(&old, v, v.UpdatedAt)
	if err := crm.CheckEvents(evs); err != nil {
		return lifecycle.Task{}, err
	}
	t.byID[id] = cloneTask(v)
	s.events.append(evs)
	return v, nil
}

// cloneTask returns t with its own copies of the parameter maps: the
// store never shares a map with a caller.
func cloneTask(t lifecycle.Task) lifecycle.Task {
	t.ReasonParams, t.StatusReasonParams = maps.Clone(t.ReasonParams), maps.Clone(t.StatusReasonParams)
	return t
}

// UpdateMany applies fn to several stored tasks under the store's lock,
// all or nothing.
func (s *TaskStore) UpdateMany(_ context.Context, dealer crm.DealerID, ids []lifecycle.TaskID, fn func(*lifecycle.Task) error) ([]lifecycle.Task, error) {
	if err := lifecycle.CheckTaskIDs(ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(dealer, false)
	out := make([]lifecycle.Task, len(ids))
	var evs []crm.Event
	for i, id := range ids {
		old, ok := lifecycle.Task{}, false
		if t != nil {
			old, ok = t.byID[id]
		}
		if !ok {
			return nil, fmt.Errorf("task %s: %w", id, lifecycle.ErrTaskNotFound)
		}
		v := cloneTask(old)
		if err := fn(&v); err != nil {
			return nil, fmt.Errorf("task %s: %w", id, err)
		}
		v.ID, v.DealerID, v.Key, v.CreatedAt, v.Version = old.ID, old.DealerID, old.Key, old.CreatedAt, old.Version+1
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("task %s: %w", id, err)
		}
		out[i] = v
		evs = append(evs, lifecycle.TaskEvents(&old, v, v.UpdatedAt)...)
	}
	if err := crm.CheckEvents(evs); err != nil {
		return nil, err
	}
	for i, v := range out {
		t.byID[v.ID] = cloneTask(v)
		out[i] = cloneTask(v)
	}
	s.events.append(evs)
	return out, nil
}

// ListCustomers returns the customers with tasks matching f, in ID order.
func (s *TaskStore) ListCustomers(_ context.Context, dealer crm.DealerID, f lifecycle.TaskFilter) (crm.Page[crm.CustomerID], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[crm.CustomerID]{}, err
	}
	s.mu.RLock()
	seen := map[crm.CustomerID]bool{}
	var ids []crm.CustomerID
	if t := s.table(dealer, false); t != nil {
		for _, v := range t.byID {
			if v.CustomerID != "" && string(v.CustomerID) > after && !seen[v.CustomerID] && f.Match(&v) {
				seen[v.CustomerID] = true
				ids = append(ids, v.CustomerID)
			}
		}
	}
	s.mu.RUnlock()
	slices.Sort(ids)
	size := f.Size()
	if len(ids) > size+1 {
		ids = ids[:size+1]
	}
	return crm.NewPage(ids, size, func(id crm.CustomerID) string { return string(id) }), nil
}

// EraseCustomer erases the customer's tasks (lifecycle.Task.Erase) and
// records the erasure, under the store's lock.
func (s *TaskStore) EraseCustomer(_ context.Context, dealer crm.DealerID, customer crm.CustomerID, vehicles []crm.VehicleID, at time.Time) (int, error) {
	if customer == "" {
		return 0, dealercrm.Errorf(dealercrm.Invalid, "erase tasks: a customer is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(dealer, true)
	cancelled := 0
	var deleted []lifecycle.TaskID
	var changed []lifecycle.Task
	var evs []crm.Event
	for _, id := range t.ids {
		v := t.byID[id]
		if v.CustomerID != customer && (v.CustomerID != "" || v.VehicleID == "" || !slices.Contains(vehicles, v.VehicleID)) {
			continue
		}
		active := v.Status.Active()
		if v.DatesArePersonal() {
			if active {
				cancelled++
			}
			deleted = append(deleted, id)
			evs = append(evs, lifecycle.DeletedTaskEvents(v, at)...)
			continue
		}
		old := v
		if v.Erase(at) {
			if active {
				cancelled++
			}
			v.Version++
			changed = append(changed, v)
			evs = append(evs, lifecycle.TaskEvents(&old, v, at)...)
		}
	}
	if err := crm.CheckEvents(evs); err != nil {
		return 0, err
	}
	for _, v := range changed {
		t.byID[v.ID] = v
	}
	for _, id := range deleted {
		delete(t.byKey, t.byID[id].Key)
		delete(t.byID, id)
	}
	t.ids = slices.DeleteFunc(t.ids, func(id lifecycle.TaskID) bool { return slices.Contains(deleted, id) })
	s.events.append(evs)
	e := t.erasures[customer]
	e.CustomerID, e.At = customer, at
	e.Count++
	t.erasures[customer] = e
	return cancelled, nil
}

// Erasures returns the dealer's erasures in customer ID order.
func (s *TaskStore) Erasures(_ context.Context, dealer crm.DealerID) ([]lifecycle.Erasure, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []lifecycle.Erasure
	if t := s.table(dealer, false); t != nil {
		for _, e := range t.erasures {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b lifecycle.Erasure) int { return strings.Compare(string(a.CustomerID), string(b.CustomerID)) })
	return out, nil
}
