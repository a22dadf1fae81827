// Package lifecycletest is the conformance suite of lifecycle.TaskStore:
// every implementation runs RunStoreTests, and RunServiceTests runs the
// daily run of a lifecycle.Service over the backend against concurrent
// writers (an outcome recorded between the run's read and write,
// concurrent runs of one dealer and day).
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
		Reason: "delivered on 2026-01-28", Status: lifecycle.StatusOpen, CreatedAt: at, UpdatedAt: at,
		ReasonCode: "lifecycle.reason.delivery_3dc", ReasonParams: map[string]string{"days": "3", "delivered": "2026-01-28"}}
}

// RunStoreTests runs the conformance suite; newStore returns an empty store.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) lifecycle.TaskStore) {
	ctx := context.Background()
	runCallListStoreTests(t, newStore)
	t.Run("ApplyGetList", func(t *testing.T) {
		s := newStore(t)
		a, b := NewTask("d1", "t1", "k1"), NewTask("d1", "t2", "k2")
		b.Due, b.WindowEnd, b.Status, b.OwnerRole, b.VehicleID = dealercrm.MustParseDate("2026-02-04"), dealercrm.MustParseDate("2026-02-05"), lifecycle.StatusOverdue, lifecycle.RoleCR, "v2"
		lost, err := s.Apply(ctx, "d1", []lifecycle.Task{a, b}, nil)
		require.NoError(t, err)
		assert.Empty(t, lost)
		a.Version, b.Version = 1, 1
		got, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, a, got, "a task reads back as written, at version 1")
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
		apply(t, s, "d1", ts, nil)
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
	t.Run("LeadTasks", func(t *testing.T) { runLeadStoreTests(t, newStore(t)) })
	t.Run("ApplyWritesWhatItRead", func(t *testing.T) {
		s := newStore(t)
		apply(t, s, "d1", []lifecycle.Task{NewTask("d1", "t1", "k1")}, nil)
		// A creation whose key (or ID) is taken is not written but
		// returned, and is no error: the rest of the batch is written.
		lost, err := s.Apply(ctx, "d1", []lifecycle.Task{NewTask("d1", "t2", "k2"), NewTask("d1", "t3", "k1"), NewTask("d1", "t1", "k4")}, nil)
		require.NoError(t, err, "a taken key is no error")
		assert.Equal(t, []lifecycle.TaskID{"t3", "t1"}, ids(lost), "the creations of a taken key and a taken ID are returned")
		_, err = s.Get(ctx, "d1", "t2")
		assert.NoError(t, err, "the rest of the batch is written")
		got, err := s.GetByKey(ctx, "d1", "k1")
		require.NoError(t, err)
		assert.Equal(t, lifecycle.TaskID("t1"), got.ID, "the first task of a key stands")
		_, err = s.GetByKey(ctx, "d1", "k4")
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound)
		// An invalid task is an error, and nothing of the batch is written.
		bad := NewTask("d1", "t4", "k4")
		bad.Status = "lost"
		_, err = s.Apply(ctx, "d1", []lifecycle.Task{NewTask("d1", "t5", "k5"), bad}, nil)
		assert.ErrorIs(t, err, dealercrm.ErrInvalid)
		_, err = s.Get(ctx, "d1", "t5")
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound, "nothing of a failed batch is written")
		// The same key is fine for another dealer.
		apply(t, s, "d2", []lifecycle.Task{NewTask("d2", "t1", "k1")}, nil)

		// A replacement carries the version it was read with: written,
		// the version goes up and created_at is kept.
		read, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		require.Equal(t, int64(1), read.Version)
		r := read
		r.Status, r.StatusReason, r.CreatedAt = lifecycle.StatusOverdue, "window ended", time.Time{}
		r.UpdatedAt = r.UpdatedAt.Add(time.Hour)
		apply(t, s, "d1", nil, []lifecycle.Task{r})
		got, err = s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, lifecycle.StatusOverdue, got.Status)
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, read.CreatedAt, got.CreatedAt)

		// Staff record an outcome after the task was read: the stale
		// replacement is returned and the outcome stays.
		read = got
		_, err = s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error {
			t.Status, t.Outcome, t.InteractionID = lifecycle.StatusDone, crm.OutcomeReached, "i1"
			return nil
		})
		require.NoError(t, err)
		stale := read
		stale.Status, stale.StatusReason = lifecycle.StatusCancelled, "cancelled: no longer planned"
		missing := NewTask("d1", "t9", "k9")
		other := NewTask("d1", "t2", "k7") // t2's key is k2
		other.Version = 1
		lost, err = s.Apply(ctx, "d1", nil, []lifecycle.Task{stale, missing, other})
		require.NoError(t, err, "a stale replacement is no error")
		assert.Equal(t, []lifecycle.TaskID{"t1", "t9", "t2"}, ids(lost), "a stale version, a missing task and another key are not written")
		got, err = s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, lifecycle.StatusDone, got.Status, "the outcome recorded after the read survives")
		assert.Equal(t, crm.OutcomeReached, got.Outcome)
		assert.Equal(t, crm.InteractionID("i1"), got.InteractionID)
		assert.Equal(t, int64(3), got.Version)
		got, err = s.Get(ctx, "d1", "t2")
		require.NoError(t, err)
		assert.Equal(t, "k2", got.Key)
		_, err = s.Get(ctx, "d1", "t9")
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound, "a replacement creates nothing")
	})
	t.Run("ConcurrentCreates", func(t *testing.T) {
		s := newStore(t)
		const writers, keys = 8, 5
		var wg sync.WaitGroup
		var mu sync.Mutex
		lostN := 0
		for w := range writers {
			wg.Go(func() {
				var batch []lifecycle.Task
				for k := range keys {
					batch = append(batch, NewTask("d1", fmt.Sprintf("w%d-%d", w, k), fmt.Sprintf("k%d", k)))
				}
				lost, err := s.Apply(ctx, "d1", batch, nil)
				assert.NoError(t, err, "a concurrent creation of the same key is no error")
				mu.Lock()
				lostN += len(lost)
				mu.Unlock()
			})
		}
		wg.Wait()
		p, err := s.List(ctx, "d1", lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
		require.NoError(t, err)
		seen := map[string]int{}
		for _, tk := range p.Items {
			seen[tk.Key]++
		}
		assert.Equal(t, map[string]int{"k0": 1, "k1": 1, "k2": 1, "k3": 1, "k4": 1}, seen, "one task per key")
		assert.Equal(t, writers*keys-keys, lostN, "every other creation is returned")
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		apply(t, s, "d1", []lifecycle.Task{NewTask("d1", "t1", "k1")}, nil)
		got, err := s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error {
			t.Status, t.Outcome, t.InteractionID, t.Version = lifecycle.StatusDone, crm.OutcomeReached, "i1", 99
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, lifecycle.StatusDone, got.Status)
		assert.Equal(t, int64(2), got.Version, "an update raises the version by one, whatever fn sets")
		stored, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, got, stored)
		stop := errors.New("stop")
		_, err = s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error { t.Note = "x"; return stop })
		assert.ErrorIs(t, err, stop)
		got, _ = s.Get(ctx, "d1", "t1")
		assert.Empty(t, got.Note, "an aborted update writes nothing")
		_, err = s.Update(ctx, "d2", "t1", func(*lifecycle.Task) error { return nil })
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound)

		// Text a store cannot keep (PostgreSQL refuses a NUL) is refused
		// by every store alike, naming the field, and nothing is written.
		for field, edit := range map[string]func(*lifecycle.Task){
			"status_reason":              func(t *lifecycle.Task) { t.StatusReason = "sold\x00" },
			"note":                       func(t *lifecycle.Task) { t.Note = "\xff" },
			"status_reason_params[note]": func(t *lifecycle.Task) { t.StatusReasonParams = map[string]string{"note": "a\x00b"} },
		} {
			_, err = s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error { edit(t); return nil })
			var verr *crm.ValidationError
			require.ErrorAs(t, err, &verr, field)
			assert.Equal(t, crm.RuleText, verr.Fields[0].Rule, field)
			assert.Equal(t, field, verr.Fields[0].Field)
		}
		_, err = s.Apply(ctx, "d1", []lifecycle.Task{func() lifecycle.Task { n := NewTask("d1", "t9", "k9"); n.Reason = "x\x00"; return n }()}, nil)
		assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "a created task too")
		_, err = s.Get(ctx, "d1", "t9")
		assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound)
	})
	t.Run("ReasonCodes", func(t *testing.T) {
		s := newStore(t)
		a, b := NewTask("d1", "t1", "k1"), NewTask("d1", "t2", "k2")
		b.ReasonCode, b.ReasonParams = "", nil // a task stored before codes existed
		apply(t, s, "d1", []lifecycle.Task{a, b}, nil)
		got, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, "lifecycle.reason.delivery_3dc", got.ReasonCode)
		assert.Equal(t, map[string]string{"days": "3", "delivered": "2026-01-28"}, got.ReasonParams, "the parameters read back as written")
		got.ReasonParams["days"] = "99"
		again, _ := s.Get(ctx, "d1", "t1")
		assert.Equal(t, "3", again.ReasonParams["days"], "a caller changing a returned map changes nothing stored")
		none, _ := s.Get(ctx, "d1", "t2")
		assert.Empty(t, none.ReasonCode)
		assert.Nil(t, none.ReasonParams, "no parameters read back as nil")

		upd, err := s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error {
			t.Status, t.StatusReason = lifecycle.StatusSkipped, "abroad"
			t.StatusReasonCode, t.StatusReasonParams = lifecycle.CodeSkipped, map[string]string{"note": "abroad 出国"}
			return nil
		})
		require.NoError(t, err)
		stored, _ := s.Get(ctx, "d1", "t1")
		assert.Equal(t, upd, stored)
		assert.Equal(t, map[string]string{"note": "abroad 出国"}, stored.StatusReasonParams)

		r := none
		r.StatusReasonCode, r.StatusReasonParams = lifecycle.CodeRescheduled, map[string]string{"from": "2026-01-31", "to": "2026-02-02"}
		r.ReasonCode, r.ReasonParams = "lifecycle.reason.delivery_3dc", map[string]string{"days": "3"}
		apply(t, s, "d1", nil, []lifecycle.Task{r})
		stored, _ = s.Get(ctx, "d1", "t2")
		assert.Equal(t, lifecycle.CodeRescheduled, stored.StatusReasonCode, "a replacement writes the codes")
		assert.Equal(t, map[string]string{"from": "2026-01-31", "to": "2026-02-02"}, stored.StatusReasonParams)
		assert.Equal(t, map[string]string{"days": "3"}, stored.ReasonParams)
	})
	t.Run("ConcurrentUpdates", func(t *testing.T) {
		s := newStore(t)
		apply(t, s, "d1", []lifecycle.Task{NewTask("d1", "t1", "k1")}, nil)
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
		assert.Equal(t, int64(9), got.Version)
	})
	t.Run("EraseCustomer", func(t *testing.T) {
		s := newStore(t)
		at := time.Date(2026, 2, 14, 9, 30, 0, 0, time.UTC)
		// Customer c1 owns v1: an open task, an overdue follow-up quoting a
		// survey comment, a done task with a note, a skipped one with
		// staff's reason and one the run cancelled; a follow-up of v1
		// without a customer quoting the plate. Not c1's: c2's task on
		// v1 (the previous owner), a customerless task of v9, and c1 of
		// dealer d2.
		open := NewTask("d1", "t1", "k1")
		overdue := NewTask("d1", "t2", "survey_follow_up|ref:survey:r1")
		overdue.Kind, overdue.VehicleID, overdue.Status, overdue.Purpose = lifecycle.KindSurveyFollowUp, "", lifecycle.StatusOverdue, ""
		overdue.Reason = "Return-visit survey score 2.0 below 3. Customer: 王先生 says the advisor was rude, call 13912345678"
		done := NewTask("d1", "t3", "k3")
		done.Status, done.StatusReason, done.Outcome, done.Note, done.InteractionID = lifecycle.StatusDone, "outcome reached", crm.OutcomeReached, "王先生 moved to Pudong", "i1"
		skipped := NewTask("d1", "t4", "k4")
		skipped.Status, skipped.StatusReason = lifecycle.StatusSkipped, "王先生 is abroad until March"
		cancelled := NewTask("d1", "t5", "k5")
		cancelled.Status, cancelled.StatusReason = lifecycle.StatusCancelled, "cancelled: no consent for survey by [phone]"
		plate := NewTask("d1", "t6", "recall|ref:RC1")
		plate.CustomerID, plate.Reason = "", "recall RC1 for 沪A12345"
		previous := NewTask("d1", "t7", "k7")
		previous.CustomerID, previous.Reason = "c2", "c2's reason"
		other := NewTask("d1", "t8", "k8")
		other.CustomerID, other.VehicleID = "", "v9"
		birthday := NewTask("d1", "t9", "birthday_care|customer:c1|2026-05-06|1")
		birthday.Kind, birthday.VehicleID, birthday.Reason = lifecycle.KindBirthdayCare, "", "birthday on 2026-05-06"
		birthdayDone := NewTask("d1", "ta", "birthday_care|customer:c1|2025-05-06|1")
		birthdayDone.Kind, birthdayDone.VehicleID, birthdayDone.Status = lifecycle.KindBirthdayCare, "", lifecycle.StatusDone
		apply(t, s, "d1", []lifecycle.Task{open, overdue, done, skipped, cancelled, plate, previous, other, birthday, birthdayDone}, nil)
		apply(t, s, "d2", []lifecycle.Task{NewTask("d2", "t1", "k1")}, nil)
		read, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		untouched := func() []lifecycle.Task {
			t.Helper()
			var out []lifecycle.Task
			for _, k := range []struct {
				dealer crm.DealerID
				id     lifecycle.TaskID
			}{{"d1", "t7"}, {"d1", "t8"}, {"d2", "t1"}} {
				got, err := s.Get(ctx, k.dealer, k.id)
				require.NoError(t, err)
				out = append(out, got)
			}
			return out
		}
		before := untouched()

		n, err := s.EraseCustomer(ctx, "d1", "c1", []crm.VehicleID{"v1"}, at)
		require.NoError(t, err)
		assert.Equal(t, 4, n, "the open task, the overdue follow-up and the plate's follow-up are cancelled, the open birthday care call deleted")
		for _, id := range []lifecycle.TaskID{"t9", "ta"} {
			_, err := s.Get(ctx, "d1", id)
			assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound, "%s: a birthday care call is deleted, open or done: its key and dates are the birthday", id)
		}
		for id, want := range map[lifecycle.TaskID]struct {
			status  lifecycle.Status
			outcome crm.Outcome
		}{"t1": {lifecycle.StatusCancelled, ""}, "t2": {lifecycle.StatusCancelled, ""}, "t3": {lifecycle.StatusDone, crm.OutcomeReached},
			"t4": {lifecycle.StatusSkipped, ""}, "t5": {lifecycle.StatusCancelled, ""}, "t6": {lifecycle.StatusCancelled, ""}} {
			got, err := s.Get(ctx, "d1", id)
			require.NoError(t, err)
			assert.Equal(t, want.status, got.Status, "%s: a closed task keeps its status, an active one is cancelled", id)
			assert.Equal(t, want.outcome, got.Outcome, "%s keeps its outcome", id)
			assert.Equal(t, lifecycle.ErasedReason, got.Reason, id)
			assert.Equal(t, lifecycle.ErasedReason, got.StatusReason, id)
			assert.Empty(t, got.Note, id)
			assert.Equal(t, int64(2), got.Version, "%s: erased once", id)
			assert.Equal(t, at, got.UpdatedAt, id)
		}
		got, err := s.Get(ctx, "d1", "t3")
		require.NoError(t, err)
		assert.Equal(t, crm.InteractionID("i1"), got.InteractionID, "the link to the interaction stays")
		assert.Equal(t, done.Due, got.Due, "dates stay")
		assert.Equal(t, done.Kind, got.Kind)
		assert.Equal(t, before, untouched(), "another customer's, a customerless task of another vehicle and another dealer's tasks are untouched")
		p, err := s.List(ctx, "d1", lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen, lifecycle.StatusOverdue}})
		require.NoError(t, err)
		assert.Equal(t, []lifecycle.TaskID{"t7", "t8"}, ids(p.Items), "the erased customer's tasks left the call list")

		// A run that read t1 before writes it back at the version it read:
		// the write is lost and the erased text stays erased.
		stale := read
		stale.Status, stale.StatusReason = lifecycle.StatusOverdue, "window ended"
		lost, err := s.Apply(ctx, "d1", nil, []lifecycle.Task{stale})
		require.NoError(t, err)
		assert.Equal(t, []lifecycle.TaskID{"t1"}, ids(lost), "the stale replacement is not written")
		got, err = s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		assert.Equal(t, lifecycle.ErasedReason, got.Reason)

		// Erasing again changes no task, and counts the erasure.
		later := at.Add(time.Hour)
		n, err = s.EraseCustomer(ctx, "d1", "c1", []crm.VehicleID{"v1"}, later)
		require.NoError(t, err)
		assert.Zero(t, n)
		got, err = s.Get(ctx, "d1", "t2")
		require.NoError(t, err)
		assert.Equal(t, int64(2), got.Version, "erasing twice writes nothing")
		n, err = s.EraseCustomer(ctx, "d1", "nobody", nil, at)
		require.NoError(t, err, "a customer without tasks is fine")
		assert.Zero(t, n)
		es, err := s.Erasures(ctx, "d1")
		require.NoError(t, err)
		assert.Equal(t, []lifecycle.Erasure{{CustomerID: "c1", Count: 2, At: later}, {CustomerID: "nobody", Count: 1, At: at}}, es)
		es, err = s.Erasures(ctx, "d2")
		require.NoError(t, err)
		assert.Empty(t, es, "another dealer has no erasure")
		_, err = s.EraseCustomer(ctx, "d1", "", []crm.VehicleID{"v9"}, at)
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a customer is required")
		assert.Equal(t, before, untouched())
	})
	t.Run("ConcurrentErasures", func(t *testing.T) {
		s := newStore(t)
		apply(t, s, "d1", []lifecycle.Task{NewTask("d1", "t1", "k1"), NewTask("d1", "t2", "k2")}, nil)
		at := time.Date(2026, 2, 14, 9, 30, 0, 0, time.UTC)
		var wg sync.WaitGroup
		var mu sync.Mutex
		cancelled := 0
		for range 8 {
			wg.Go(func() {
				n, err := s.EraseCustomer(ctx, "d1", "c1", nil, at)
				assert.NoError(t, err, "concurrent erasures are no error")
				mu.Lock()
				cancelled += n
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, 2, cancelled, "each task is cancelled once")
		es, err := s.Erasures(ctx, "d1")
		require.NoError(t, err)
		assert.Equal(t, []lifecycle.Erasure{{CustomerID: "c1", Count: 8, At: at}}, es)
		for _, id := range []lifecycle.TaskID{"t1", "t2"} {
			got, err := s.Get(ctx, "d1", id)
			require.NoError(t, err)
			assert.Equal(t, int64(2), got.Version, "%s is written once", id)
		}
	})
}

// apply writes a batch that must be written whole.
func apply(t *testing.T, s lifecycle.TaskStore, dealer crm.DealerID, create, replace []lifecycle.Task) {
	t.Helper()
	lost, err := s.Apply(context.Background(), dealer, create, replace)
	require.NoError(t, err)
	require.Empty(t, lost, "every task is written")
}

func ids(ts []lifecycle.Task) []lifecycle.TaskID {
	var out []lifecycle.TaskID
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}
