// Package gradingtest is the conformance suite of grading.Store: every
// backend (adapters/memory, adapters/postgres) runs RunStoreTests. Import
// it from tests only.
package gradingtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The dealers of the suite.
const (
	DealerA crm.DealerID = "grading-a"
	DealerB crm.DealerID = "grading-b"
)

var at = time.Date(2025, 6, 30, 2, 0, 0, 0, time.UTC)

// State returns a state of customer id with grade g and score.
func State(dealer crm.DealerID, id crm.CustomerID, g grading.Grade, score float64, run grading.RunID) grading.State {
	return grading.State{DealerID: dealer, CustomerID: id, Grade: g, RawGrade: g, Score: score,
		Period: dealercrm.NewDate(2025, 6, 30), Model: "default", ModelVersion: 1, RunID: run, UpdatedAt: at,
		Top: []grading.Contribution{{Metric: grading.AfterSalesRevenue, Value: 1234.5, Normalized: 0.9, Points: 22.5}}}
}

// Run returns a run record of dealer as of 2025-06-30.
func Run(dealer crm.DealerID, id grading.RunID) grading.Run {
	return RunAsOf(dealer, id, dealercrm.NewDate(2025, 6, 30))
}

// RunAsOf returns a run record of dealer as of a date.
func RunAsOf(dealer crm.DealerID, id grading.RunID, asOf dealercrm.Date) grading.Run {
	return grading.Run{ID: id, DealerID: dealer, Dealers: []crm.DealerID{dealer}, AsOf: asOf,
		Model: "default", ModelVersion: 1, Customers: 2, Changed: 2, Written: 2, StartedAt: at, Aggregation: "scan",
		Counts: []grading.GradeCount{{Grade: "A", Count: 1}, {Grade: "B", Count: 1}, {Grade: "C", Count: 0}}}
}

// RunStoreTests runs the conformance suite against stores made by
// newStore, each fresh and empty.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) grading.Store) {
	ctx := context.Background()
	t.Run("SaveAndRead", func(t *testing.T) {
		s := newStore(t)
		st := []grading.State{State(DealerA, "c1", "A", 88.5, "r1"), State(DealerA, "c2", "B", 61, "r1")}
		ch := []grading.Change{
			{DealerID: DealerA, CustomerID: "c1", RunID: "r1", New: "A", Score: 88.5, Reason: "first", Period: st[0].Period, At: at},
			{DealerID: DealerA, CustomerID: "c2", RunID: "r1", New: "B", Score: 61, Reason: "first", Period: st[0].Period, At: at,
				Top:        []grading.Contribution{{Metric: grading.NewCarValue, Value: 8000, Normalized: 0.75, Points: 15}},
				ReasonCode: grading.CodeFirst, ReasonParams: map[string]string{"score": "61.00", "grade": "B"}},
		}
		saved, err := s.SaveRun(ctx, Run(DealerA, "r1"), slices.Values(st), slices.Values(ch))
		require.NoError(t, err)
		assert.Equal(t, Run(DealerA, "r1"), saved, "SaveRun returns the run it stored")
		r, err := s.GetRun(ctx, DealerA, "r1")
		require.NoError(t, err)
		assert.Equal(t, Run(DealerA, "r1"), r, "the run reads back as written")
		got, err := s.GetState(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Equal(t, st[0], got, "the state reads back as written")
		h, err := s.History(ctx, DealerA, "c2")
		require.NoError(t, err)
		assert.Equal(t, ch[1:], h, "the history holds the change, its reason code and parameters")
		h[0].ReasonParams["score"] = "0"
		h, _ = s.History(ctx, DealerA, "c2")
		assert.Equal(t, "61.00", h[0].ReasonParams["score"], "changing a returned map changes nothing stored")

		r, err = s.GetRunAsOf(ctx, DealerA, dealercrm.NewDate(2025, 6, 30))
		require.NoError(t, err)
		assert.Equal(t, Run(DealerA, "r1"), r, "the run of its date")
		_, err = s.GetRunAsOf(ctx, DealerA, dealercrm.NewDate(2025, 7, 1))
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "no run of another date")

		// A later run replaces the state and appends to history, oldest first.
		st2 := State(DealerA, "c2", "A", 81, "r2")
		ch2 := grading.Change{DealerID: DealerA, CustomerID: "c2", RunID: "r2", Old: "B", New: "A", Score: 81, Reason: "up", Period: st2.Period, At: at.Add(time.Hour)}
		r2 := RunAsOf(DealerA, "r2", dealercrm.NewDate(2025, 7, 1))
		require.NoError(t, saveRun(ctx, s, r2, []grading.State{st2}, []grading.Change{ch2}))
		got, err = s.GetState(ctx, DealerA, "c2")
		require.NoError(t, err)
		assert.Equal(t, st2, got, "the newer state replaces the older")
		h, err = s.History(ctx, DealerA, "c2")
		require.NoError(t, err)
		assert.Equal(t, []grading.Change{ch[1], ch2}, h, "history is oldest first")

		got2, err := s.SaveRun(ctx, RunAsOf(DealerA, "r2", dealercrm.NewDate(2025, 7, 2)), nil, nil)
		require.NoError(t, err)
		assert.Equal(t, r2, got2, "a run ID is stored once per dealer: SaveRun answers the stored run")
	})
	t.Run("NotFoundAndIsolation", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, saveRun(ctx, s, Run(DealerA, "r1"), []grading.State{State(DealerA, "c1", "A", 90, "r1")}, nil))
		_, err := s.GetState(ctx, DealerB, "c1")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "dealer B does not see dealer A's states")
		_, err = s.GetRun(ctx, DealerB, "r1")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "dealer B does not see dealer A's runs")
		_, err = s.GetState(ctx, DealerA, "nobody")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)
		h, err := s.History(ctx, DealerA, "nobody")
		require.NoError(t, err)
		assert.Empty(t, h, "no history is not an error")
		p, err := s.ListStates(ctx, DealerB, grading.StateFilter{})
		require.NoError(t, err)
		assert.Empty(t, p.Items)
		_, err = s.GetRunAsOf(ctx, DealerB, dealercrm.NewDate(2025, 6, 30))
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "dealer B has no run of A's date")
		// The same run ID and date may exist for another dealer.
		got, err := s.SaveRun(ctx, Run(DealerB, "r1"), nil, nil)
		require.NoError(t, err)
		assert.Equal(t, Run(DealerB, "r1"), got, "B's run is B's own")
	})
	t.Run("TakenStoresNothing", func(t *testing.T) {
		s := newStore(t)
		first := Run(DealerA, "r1")
		require.NoError(t, saveRun(ctx, s, first, nil, nil))
		ch := grading.Change{DealerID: DealerA, CustomerID: "c1", New: "A", Score: 90, Reason: "first", Period: dealercrm.NewDate(2025, 6, 30), At: at}
		for _, run := range []grading.Run{
			Run(DealerA, "r2"), // the same date
			RunAsOf(DealerA, "r1", dealercrm.NewDate(2025, 7, 1)), // the same ID
		} {
			ch.RunID = run.ID
			got, err := s.SaveRun(ctx, run, slices.Values([]grading.State{State(DealerA, "c1", "A", 90, run.ID)}), slices.Values([]grading.Change{ch}))
			require.NoError(t, err, "a taken date or ID is no error")
			assert.Equal(t, first, got, "SaveRun answers the stored run")
		}
		_, err := s.GetState(ctx, DealerA, "c1")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "a taken SaveRun writes no state")
		h, err := s.History(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Empty(t, h, "a taken SaveRun writes no change")
		_, err = s.GetRun(ctx, DealerA, "r2")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "nor a run record")
	})
	t.Run("ConcurrentSameDate", func(t *testing.T) {
		// Eight saves of one dealer and date at once, with other IDs, or
		// with one ID: one is stored, every call answers it, each change
		// is recorded once.
		for _, sameID := range []bool{false, true} {
			s := newStore(t)
			const n = 8
			got := make([]grading.Run, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					id := grading.RunID(fmt.Sprintf("r%d", i))
					if sameID {
						id = "r"
					}
					ch := grading.Change{DealerID: DealerA, CustomerID: "c1", RunID: id, New: "A", Score: float64(80 + i), Reason: "first",
						Period: dealercrm.NewDate(2025, 6, 30), At: at}
					got[i], errs[i] = s.SaveRun(ctx, Run(DealerA, id), slices.Values([]grading.State{State(DealerA, "c1", "A", float64(80+i), id)}),
						slices.Values([]grading.Change{ch}))
				})
			}
			wg.Wait()
			for i := range n {
				require.NoError(t, errs[i], "save %d (same ID: %v)", i, sameID)
				assert.Equal(t, got[0], got[i], "save %d answers the stored run (same ID: %v)", i, sameID)
			}
			st, err := s.GetState(ctx, DealerA, "c1")
			require.NoError(t, err)
			assert.Equal(t, got[0].ID, st.RunID, "the state is the stored run's")
			h, err := s.History(ctx, DealerA, "c1")
			require.NoError(t, err)
			require.Len(t, h, 1, "the change is recorded once (same ID: %v)", sameID)
			assert.Equal(t, got[0].ID, h[0].RunID)
			assert.Equal(t, st.Score, h[0].Score, "state and change come from the same save")
		}
	})
	t.Run("DuplicateChangeIgnored", func(t *testing.T) {
		s := newStore(t)
		ch := grading.Change{DealerID: DealerA, CustomerID: "c1", RunID: "r1", New: "A", Score: 90, Reason: "first", Period: dealercrm.NewDate(2025, 6, 30), At: at}
		require.NoError(t, saveRun(ctx, s, Run(DealerA, "r1"), nil, []grading.Change{ch}))
		require.NoError(t, saveRun(ctx, s, RunAsOf(DealerA, "r9", dealercrm.NewDate(2025, 7, 1)), nil, []grading.Change{ch}))
		h, err := s.History(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Len(t, h, 1, "a change is recorded once per run")
	})
	t.Run("ListAndEach", func(t *testing.T) {
		s := newStore(t)
		var states []grading.State
		for i := range 7 {
			g := grading.Grade("B")
			if i%3 == 0 {
				g = "A"
			}
			states = append(states, State(DealerA, crm.CustomerID(fmt.Sprintf("c%02d", 7-i)), g, float64(50+i), "r1"))
		}
		require.NoError(t, saveRun(ctx, s, Run(DealerA, "r1"), states, nil))
		require.NoError(t, saveRun(ctx, s, Run(DealerB, "r1"), []grading.State{State(DealerB, "c00", "A", 99, "r1")}, nil))

		var ids []crm.CustomerID
		f := grading.StateFilter{PageRequest: crm.PageRequest{Limit: 3}}
		for {
			p, err := s.ListStates(ctx, DealerA, f)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(p.Items), 3)
			for _, st := range p.Items {
				ids = append(ids, st.CustomerID)
			}
			if p.Next == "" {
				break
			}
			f.After = p.Next
		}
		assert.Equal(t, []crm.CustomerID{"c01", "c02", "c03", "c04", "c05", "c06", "c07"}, ids, "pages in customer ID order, dealer A only")

		p, err := s.ListStates(ctx, DealerA, grading.StateFilter{Grade: "A"})
		require.NoError(t, err)
		ids = nil
		for _, st := range p.Items {
			ids = append(ids, st.CustomerID)
			assert.Equal(t, grading.Grade("A"), st.Grade)
		}
		assert.Equal(t, []crm.CustomerID{"c01", "c04", "c07"}, ids, "filtered by grade")

		p, err = s.ListStates(ctx, DealerA, grading.StateFilter{CustomerIDs: []crm.CustomerID{"c06", "c02", "c00", "c99"}})
		require.NoError(t, err)
		ids = nil
		for _, st := range p.Items {
			ids = append(ids, st.CustomerID)
		}
		assert.Equal(t, []crm.CustomerID{"c02", "c06"}, ids, "filtered by customers: dealer A's c02 and c06 (c00 is B's, c99 nobody's)")
		p, err = s.ListStates(ctx, DealerA, grading.StateFilter{Grade: "A", CustomerIDs: []crm.CustomerID{"c01", "c02"}})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		assert.Equal(t, crm.CustomerID("c01"), p.Items[0].CustomerID, "grade and customers together")

		_, err = s.ListStates(ctx, DealerA, grading.StateFilter{PageRequest: crm.PageRequest{After: "!!"}})
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a malformed cursor is invalid")

		ids = nil
		require.NoError(t, s.EachState(ctx, DealerA, func(st grading.State) error { ids = append(ids, st.CustomerID); return nil }))
		assert.Len(t, ids, 7)
		assert.IsIncreasing(t, ids, "EachState streams in ID order")
		stop := fmt.Errorf("stop")
		assert.ErrorIs(t, s.EachState(ctx, DealerA, func(grading.State) error { return stop }), stop, "fn's error stops the stream")
	})
	t.Run("CopiesOut", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, saveRun(ctx, s, Run(DealerA, "r1"), []grading.State{State(DealerA, "c1", "A", 90, "r1")}, nil))
		got, err := s.GetState(ctx, DealerA, "c1")
		require.NoError(t, err)
		got.Top[0].Points = -1
		again, err := s.GetState(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Equal(t, 22.5, again.Top[0].Points, "a caller cannot change stored state through a returned value")
	})

	// PIPL erasure (issue 12 defect 6): a grade is a profile of the person.
	t.Run("DeleteCustomer", func(t *testing.T) {
		s := newStore(t)
		change := func(dealer crm.DealerID, c crm.CustomerID, run grading.RunID, old, new grading.Grade) grading.Change {
			return grading.Change{DealerID: dealer, CustomerID: c, RunID: run, Old: old, New: new, Score: 70, Reason: "first",
				Period: dealercrm.NewDate(2025, 6, 30), At: at}
		}
		require.NoError(t, saveRun(ctx, s, Run(DealerA, "r1"),
			[]grading.State{State(DealerA, "c1", "A", 88.5, "r1"), State(DealerA, "c2", "B", 61, "r1")},
			[]grading.Change{change(DealerA, "c1", "r1", "", "B"), change(DealerA, "c2", "r1", "", "B")}))
		require.NoError(t, saveRun(ctx, s, RunAsOf(DealerA, "r2", dealercrm.NewDate(2025, 7, 1)),
			[]grading.State{State(DealerA, "c1", "A", 88.5, "r2")}, []grading.Change{change(DealerA, "c1", "r2", "B", "A")}))
		require.NoError(t, saveRun(ctx, s, Run(DealerB, "r1"),
			[]grading.State{State(DealerB, "c1", "C", 12, "r1")}, []grading.Change{change(DealerB, "c1", "r1", "", "C")}))
		kept := func() []Snapshot {
			return []Snapshot{Take(t, s, DealerA, []crm.CustomerID{"c2"}, "r1", "r2"), Take(t, s, DealerB, []crm.CustomerID{"c1"}, "r1")}
		}
		before := kept()
		h, err := s.History(ctx, DealerA, "c1")
		require.NoError(t, err)
		require.Len(t, h, 2)

		for range 2 {
			require.NoError(t, s.DeleteCustomer(ctx, DealerA, "c1"), "deleting twice is fine")
		}
		_, err = s.GetState(ctx, DealerA, "c1")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "the grade is gone")
		h, err = s.History(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Empty(t, h, "the history is gone")
		after := kept()
		assert.Len(t, after[0].States, 1, "c2 keeps its grade")
		assert.Equal(t, before[0].History, after[0].History)
		assert.Equal(t, before[0].Runs, after[0].Runs, "run records keep their counts")
		assert.Equal(t, before[1], after[1], "another dealer's customer of the same ID is untouched")
		require.NoError(t, s.DeleteCustomer(ctx, DealerA, "nobody"), "a customer never graded")

		// A later run may grade the customer again, from scratch.
		require.NoError(t, saveRun(ctx, s, RunAsOf(DealerA, "r3", dealercrm.NewDate(2025, 7, 2)),
			[]grading.State{State(DealerA, "c1", "B", 55, "r3")}, []grading.Change{change(DealerA, "c1", "r3", "", "B")}))
		h, err = s.History(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Len(t, h, 1)
	})
}

// saveRun calls s.SaveRun with slices for the streams and checks that run
// was stored.
func saveRun(ctx context.Context, s grading.Store, run grading.Run, states []grading.State, changes []grading.Change) error {
	got, err := s.SaveRun(ctx, run, slices.Values(states), slices.Values(changes))
	if err == nil && got.ID != run.ID {
		return fmt.Errorf("run %s was not stored: the store answered run %s", run.ID, got.ID)
	}
	return err
}
