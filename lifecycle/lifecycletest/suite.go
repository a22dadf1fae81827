// Package lifecycletest is the conformance suite of lifecycle.TaskStore:
// every implementation runs RunStoreTests.
package lifecycletest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NewTask returns a valid open task of dealer with id and key.
func NewTask(dealer crm.DealerID, id, key string) lifecycle.Task {
	at := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	return lifecycle.Task{ID: lifecycle.TaskID(id), DealerID: dealer, Key: key, Kind: lifecycle.KindThankYou3DC,
		VehicleID: "v1", CustomerID: "c1", AnchorDate: dealercrm.MustParseDate("2026-01-28"),
		Due: dealercrm.MustParseDate("2026-01-31"), WindowEnd: dealercrm.MustParseDate("2026-01-31"),
		Channel: crm.ChannelPhone, Purpose: crm.PurposeSurvey, OwnerRole: lifecycle.RoleConsultant, AssigneeID: "S01",
		Reason: "delivered on 2026-01-28", Status: lifecycle.StatusOpen, CreatedAt: at, UpdatedAt: at}
}

// RunStoreTests runs the conformance suite; newStore returns an empty store.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) lifecycle.TaskStore) {
	ctx := context.Background()
	t.Run("ApplyGetList", func(t *testing.T) {
		s := newStore(t)
		a, b := NewTask("d1", "t1", "k1"), NewTask("d1", "t2", "k2")
		b.Due, b.WindowEnd, b.Status, b.OwnerRole, b.VehicleID = dealercrm.MustParseDate("2026-02-04"), dealercrm.MustParseDate("2026-02-05"), lifecycle.StatusOverdue, lifecycle.RoleCR, "v2"
		require.NoError(t, s.Apply(ctx, "d1", []lifecycle.Task{a, b}, nil))
		got, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, a, got, "a task reads back as written")
		got, err = s.GetByKey(ctx, "d1", "k2")
		require.NoError(t, err)
		assert.Equal(t, b, got)
		_, err = s.Get(ctx, "d2", "t1")
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound, "another dealer does not see the task")
		_, err = s.GetByKey(ctx, "d1", "nope")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)
		for name, tc := range map[string]struct {
			f    lifecycle.TaskFilter
			want []lifecycle.TaskID
		}{
			"all":      {lifecycle.TaskFilter{}, []lifecycle.TaskID{"t1", "t2"}},
			"status":   {lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOverdue}}, []lifecycle.TaskID{"t2"}},
			"due to":   {lifecycle.TaskFilter{Due: crm.DateRange{To: dealercrm.MustParseDate("2026-02-01")}}, []lifecycle.TaskID{"t1"}},
			"due from": {lifecycle.TaskFilter{Due: crm.DateRange{From: dealercrm.MustParseDate("2026-02-01")}}, []lifecycle.TaskID{"t2"}},
			"role":     {lifecycle.TaskFilter{OwnerRole: lifecycle.RoleCR}, []lifecycle.TaskID{"t2"}},
			"vehicle":  {lifecycle.TaskFilter{VehicleID: "v1"}, []lifecycle.TaskID{"t1"}},
			"staff":    {lifecycle.TaskFilter{AssigneeID: "S01"}, []lifecycle.TaskID{"t1", "t2"}},
			"customer": {lifecycle.TaskFilter{CustomerID: "c9"}, nil},
		} {
			p, err := s.List(ctx, "d1", tc.f)
			require.NoError(t, err, name)
			var ids []lifecycle.TaskID
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			assert.Equal(t, tc.want, ids, name)
		}
	})
	t.Run("Pagination", func(t *testing.T) {
		s := newStore(t)
		var ts []lifecycle.Task
		for i := range 7 {
			ts = append(ts, NewTask("d1", fmt.Sprintf("t%02d", i), fmt.Sprintf("k%d", i)))
		}
		require.NoError(t, s.Apply(ctx, "d1", ts, nil))
		var ids []lifecycle.TaskID
		f := lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 3}}
		for {
			p, err := s.List(ctx, "d1", f)
			require.NoError(t, err)
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			if p.Next == "" {
				break
			}
			f.After = p.Next
		}
		assert.Len(t, ids, 7)
		assert.Equal(t, lifecycle.TaskID("t00"), ids[0])
		assert.Equal(t, lifecycle.TaskID("t06"), ids[6])
	})
	t.Run("ApplyIsAtomic", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Apply(ctx, "d1", []lifecycle.Task{NewTask("d1", "t1", "k1")}, nil))
		err := s.Apply(ctx, "d1", []lifecycle.Task{NewTask("d1", "t2", "k2"), NewTask("d1", "t3", "k1")}, nil)
		assert.ErrorIs(t, err, lifecycle.ErrTaskExists, "a duplicate key is a conflict")
		assert.Equal(t, dealercrm.Conflict, dealercrm.ErrorCode(err))
		_, err = s.Get(ctx, "d1", "t2")
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound, "nothing of a failed batch is written")
		err = s.Apply(ctx, "d1", nil, []lifecycle.Task{NewTask("d1", "t9", "k9")})
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound, "replacing a missing task")
		bad := NewTask("d1", "t4", "k4")
		bad.Status = "lost"
		assert.ErrorIs(t, s.Apply(ctx, "d1", []lifecycle.Task{bad}, nil), dealercrm.ErrInvalid)
		// The same key is fine for another dealer.
		require.NoError(t, s.Apply(ctx, "d2", []lifecycle.Task{NewTask("d2", "t1", "k1")}, nil))
		// Replace keeps created_at and changes the rest.
		r := NewTask("d1", "t1", "k1")
		r.Status, r.StatusReason, r.CreatedAt = lifecycle.StatusCancelled, "cancelled: serviced", time.Time{}
		r.UpdatedAt = r.UpdatedAt.Add(time.Hour)
		require.NoError(t, s.Apply(ctx, "d1", nil, []lifecycle.Task{r}))
		got, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, lifecycle.StatusCancelled, got.Status)
		assert.Equal(t, NewTask("d1", "t1", "k1").CreatedAt, got.CreatedAt)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Apply(ctx, "d1", []lifecycle.Task{NewTask("d1", "t1", "k1")}, nil))
		got, err := s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error {
			t.Status, t.Outcome, t.InteractionID = lifecycle.StatusDone, crm.OutcomeReached, "i1"
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, lifecycle.StatusDone, got.Status)
		stop := errors.New("stop")
		_, err = s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error { t.Note = "x"; return stop })
		assert.ErrorIs(t, err, stop)
		got, _ = s.Get(ctx, "d1", "t1")
		assert.Empty(t, got.Note, "an aborted update writes nothing")
		_, err = s.Update(ctx, "d2", "t1", func(*lifecycle.Task) error { return nil })
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound)
	})
	t.Run("ConcurrentUpdates", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Apply(ctx, "d1", []lifecycle.Task{NewTask("d1", "t1", "k1")}, nil))
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, err := s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error { t.Note += "x"; return nil })
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		got, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, "xxxxxxxx", got.Note, "updates are serialised")
	})
}
