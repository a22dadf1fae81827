package memory

import (
	"context"
	"iter"
	"maps"
	"slices"
	"sync"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
)

// GradingStore is an in-memory grading.Store. It is safe for concurrent
// use and copies values in and out.
type GradingStore struct {
	mu   sync.RWMutex
	runs map[crm.DealerID]map[grading.RunID]grading.Run
	// dates holds the ID of the run that took effect per dealer and as-of date.
	dates   map[crm.DealerID]map[dealercrm.Date]grading.RunID
	states  map[crm.DealerID]map[crm.CustomerID]grading.State
	history map[crm.DealerID]map[crm.CustomerID][]grading.Change
}

var _ grading.Store = (*GradingStore)(nil)

// NewGradingStore returns an empty GradingStore.
func NewGradingStore() *GradingStore {
	return &GradingStore{
		runs:    map[crm.DealerID]map[grading.RunID]grading.Run{},
		dates:   map[crm.DealerID]map[dealercrm.Date]grading.RunID{},
		states:  map[crm.DealerID]map[crm.CustomerID]grading.State{},
		history: map[crm.DealerID]map[crm.CustomerID][]grading.Change{},
	}
}

func copyRun(r grading.Run) grading.Run {
	r.Dealers = slices.Clone(r.Dealers)
	r.Counts = slices.Clone(r.Counts)
	return r
}

// copyState copies s; an empty explanation is stored as none (nil), as
// in Postgres.
func copyState(s grading.State) grading.State {
	s.Top = cloneTop(s.Top)
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s
}

// SaveRun implements grading.Store: under the store's lock, a dealer's
// run of the same date or ID answers instead of run.
func (g *GradingStore) SaveRun(_ context.Context, run grading.Run, states iter.Seq[grading.State], changes iter.Seq[grading.Change]) (grading.Run, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if id, ok := g.dates[run.DealerID][run.AsOf]; ok {
		return copyRun(g.runs[run.DealerID][id]), nil
	}
	if r, ok := g.runs[run.DealerID][run.ID]; ok {
		return copyRun(r), nil
	}
	if g.runs[run.DealerID] == nil {
		g.runs[run.DealerID] = map[grading.RunID]grading.Run{}
		g.dates[run.DealerID] = map[dealercrm.Date]grading.RunID{}
	}
	run.StartedAt = run.StartedAt.UTC()
	g.runs[run.DealerID][run.ID] = copyRun(run)
	g.dates[run.DealerID][run.AsOf] = run.ID
	for s := range orNone(states) {
		m := g.states[s.DealerID]
		if m == nil {
			m = map[crm.CustomerID]grading.State{}
			g.states[s.DealerID] = m
		}
		m[s.CustomerID] = copyState(s)
	}
	for c := range orNone(changes) {
		m := g.history[c.DealerID]
		if m == nil {
			m = map[crm.CustomerID][]grading.Change{}
			g.history[c.DealerID] = m
		}
		if slices.ContainsFunc(m[c.CustomerID], func(x grading.Change) bool { return x.RunID == c.RunID }) {
			continue
		}
		c.At = c.At.UTC()
		c.Top = cloneTop(c.Top)
		c.ReasonParams = maps.Clone(c.ReasonParams)
		m[c.CustomerID] = append(m[c.CustomerID], c)
	}
	return copyRun(run), nil
}

// GetRun implements grading.Store.
func (g *GradingStore) GetRun(_ context.Context, dealer crm.DealerID, id grading.RunID) (grading.Run, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	r, ok := g.runs[dealer][id]
	if !ok {
		return grading.Run{}, dealercrm.Errorf(dealercrm.NotFound, "grading run %s not found", id)
	}
	return copyRun(r), nil
}

// GetRunAsOf implements grading.Store.
func (g *GradingStore) GetRunAsOf(_ context.Context, dealer crm.DealerID, asOf dealercrm.Date) (grading.Run, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	id, ok := g.dates[dealer][asOf]
	if !ok {
		return grading.Run{}, dealercrm.Errorf(dealercrm.NotFound, "no grading run as of %s", asOf)
	}
	return copyRun(g.runs[dealer][id]), nil
}

// GetState implements grading.Store.
func (g *GradingStore) GetState(_ context.Context, dealer crm.DealerID, id crm.CustomerID) (grading.State, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	s, ok := g.states[dealer][id]
	if !ok {
		return grading.State{}, dealercrm.Errorf(dealercrm.NotFound, "customer %s has no grade", id)
	}
	return copyState(s), nil
}

// sortedStates returns the dealer's states matching grade after the
// customer ID after, in ID order.
func (g *GradingStore) sortedStates(dealer crm.DealerID, grade grading.Grade, after string) []grading.State {
	out := make([]grading.State, 0, len(g.states[dealer]))
	for id, s := range g.states[dealer] {
		if (grade == "" || s.Grade == grade) && string(id) > after {
			out = append(out, copyState(s))
		}
	}
	slices.SortFunc(out, func(a, b grading.State) int {
		switch {
		case a.CustomerID < b.CustomerID:
			return -1
		case a.CustomerID > b.CustomerID:
			return 1
		}
		return 0
	})
	return out
}

// ListStates implements grading.Store.
func (g *GradingStore) ListStates(_ context.Context, dealer crm.DealerID, f grading.StateFilter) (crm.Page[grading.State], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[grading.State]{}, err
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	all := g.sortedStates(dealer, f.Grade, after)
	if len(f.CustomerIDs) > 0 {
		all = slices.DeleteFunc(all, func(s grading.State) bool { return !slices.Contains(f.CustomerIDs, s.CustomerID) })
	}
	size := f.Size()
	return crm.NewPage(all[:min(len(all), size+1)], size, func(s grading.State) string { return string(s.CustomerID) }), nil
}

// EachState implements grading.Store. It works on a snapshot, so fn may
// call the store.
func (g *GradingStore) EachState(_ context.Context, dealer crm.DealerID, fn func(grading.State) error) error {
	g.mu.RLock()
	all := g.sortedStates(dealer, "", "")
	g.mu.RUnlock()
	for _, s := range all {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// History implements grading.Store.
func (g *GradingStore) History(_ context.Context, dealer crm.DealerID, id crm.CustomerID) ([]grading.Change, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := slices.Clone(g.history[dealer][id])
	if out == nil {
		out = []grading.Change{}
	}
	for i := range out {
		out[i].Top = cloneTop(out[i].Top)
		out[i].ReasonParams = maps.Clone(out[i].ReasonParams)
	}
	return out, nil
}

// DeleteCustomer implements grading.Store.
func (g *GradingStore) DeleteCustomer(_ context.Context, dealer crm.DealerID, id crm.CustomerID) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.states[dealer], id)
	delete(g.history[dealer], id)
	return nil
}

// orNone returns seq, or an empty sequence for nil.
func orNone[T any](seq iter.Seq[T]) iter.Seq[T] {
	if seq == nil {
		return func(func(T) bool) {}
	}
	return seq
}

// cloneTop copies an explanation; empty is nil.
func cloneTop(top []grading.Contribution) []grading.Contribution {
	if len(top) == 0 {
		return nil
	}
	return slices.Clone(top)
}
