package lifecycletest

import (
	"context"
	"fmt"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCallListStoreTests is the part of the conformance suite the call
// list needs (issue 14): the filters by kind, channel and customers, the
// customers of a listing, bulk updates and the call list's fields.
func runCallListStoreTests(t *testing.T, newStore func(t *testing.T) lifecycle.TaskStore) {
	ctx := context.Background()
	// Four tasks of dealer d1: two insurance renewals of customer c1
	// (phone, SMS), a birthday care of c2 by WeChat and a vehicle-only
	// maintenance reminder; one task of d2 for c1.
	seed := func(t *testing.T, s lifecycle.TaskStore) {
		a, b, c, d := NewTask("d1", "t1", "k1"), NewTask("d1", "t2", "k2"), NewTask("d1", "t3", "k3"), NewTask("d1", "t4", "k4")
		a.Kind, b.Kind, b.Channel = lifecycle.KindInsuranceRenewal, lifecycle.KindInsuranceRenewal, crm.ChannelSMS
		c.Kind, c.Channel, c.CustomerID, c.VehicleID = lifecycle.KindBirthdayCare, crm.ChannelWeChat, "c2", ""
		d.Kind, d.CustomerID, d.VehicleID, d.OwnerRole, d.AssigneeID = lifecycle.KindMaintenance, "", "v9", lifecycle.RoleAdvisor, ""
		d.Attempts, d.AppointmentDate = 2, dealercrm.MustParseDate("2026-02-09")
		d.Stage, d.LastVisit = lifecycle.StageEarlyUse, dealercrm.MustParseDate("2026-01-10")
		apply(t, s, "d1", []lifecycle.Task{a, b, c, d}, nil)
		apply(t, s, "d2", []lifecycle.Task{NewTask("d2", "t1", "k1")}, nil)
	}
	t.Run("CallListFilters", func(t *testing.T) {
		s := newStore(t)
		seed(t, s)
		got, err := s.Get(ctx, "d1", "t4")
		require.NoError(t, err)
		assert.Equal(t, 2, got.Attempts, "attempts read back")
		assert.Equal(t, dealercrm.MustParseDate("2026-02-09"), got.AppointmentDate, "the appointment date reads back")
		assert.Equal(t, lifecycle.StageEarlyUse, got.Stage, "the stage reads back")
		assert.Equal(t, dealercrm.MustParseDate("2026-01-10"), got.LastVisit, "the last visit reads back")
		listed, err := s.List(ctx, "d1", lifecycle.TaskFilter{})
		require.NoError(t, err)
		assert.Equal(t, got, listed.Items[3], "List reads what Get reads")
		// The daily run writes a task whose description changed.
		got.Stage, got.LastVisit = lifecycle.StageWarrantyMidLate, dealercrm.MustParseDate("2026-02-20")
		apply(t, s, "d1", nil, []lifecycle.Task{got})
		again, err := s.Get(ctx, "d1", "t4")
		require.NoError(t, err)
		assert.Equal(t, lifecycle.StageWarrantyMidLate, again.Stage, "the replaced stage reads back")
		assert.Equal(t, dealercrm.MustParseDate("2026-02-20"), again.LastVisit, "the replaced last visit reads back")
		for name, tc := range map[string]struct {
			f    lifecycle.TaskFilter
			want []lifecycle.TaskID
		}{
			"kind":           {lifecycle.TaskFilter{Kinds: []lifecycle.Kind{lifecycle.KindInsuranceRenewal}}, []lifecycle.TaskID{"t1", "t2"}},
			"kinds":          {lifecycle.TaskFilter{Kinds: []lifecycle.Kind{lifecycle.KindBirthdayCare, lifecycle.KindMaintenance}}, []lifecycle.TaskID{"t3", "t4"}},
			"channel":        {lifecycle.TaskFilter{Channels: []crm.Channel{crm.ChannelSMS}}, []lifecycle.TaskID{"t2"}},
			"channels":       {lifecycle.TaskFilter{Channels: []crm.Channel{crm.ChannelPhone, crm.ChannelWeChat}}, []lifecycle.TaskID{"t1", "t3", "t4"}},
			"customers":      {lifecycle.TaskFilter{CustomerIDs: []crm.CustomerID{"c2", "c7"}}, []lifecycle.TaskID{"t3"}},
			"kind+channel":   {lifecycle.TaskFilter{Kinds: []lifecycle.Kind{lifecycle.KindInsuranceRenewal}, Channels: []crm.Channel{crm.ChannelPhone}}, []lifecycle.TaskID{"t1"}},
			"role+kind":      {lifecycle.TaskFilter{OwnerRole: lifecycle.RoleAdvisor, Kinds: []lifecycle.Kind{lifecycle.KindMaintenance}}, []lifecycle.TaskID{"t4"}},
			"customer+staff": {lifecycle.TaskFilter{CustomerID: "c1", AssigneeID: "S01"}, []lifecycle.TaskID{"t1", "t2"}},
			"no match":       {lifecycle.TaskFilter{Kinds: []lifecycle.Kind{lifecycle.KindGradeCare}}, nil},
			"statuses":       {lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen, lifecycle.StatusOverdue}}, []lifecycle.TaskID{"t1", "t2", "t3", "t4"}},
			"status done":    {lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusDone}}, nil},
			// Values no task can have: they match nothing, quotes and all.
			"unknown status":  {lifecycle.TaskFilter{Statuses: []lifecycle.Status{"archived"}}, nil},
			"open or unknown": {lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen, "o'pen"}, Kinds: []lifecycle.Kind{lifecycle.KindMaintenance}}, []lifecycle.TaskID{"t4"}},
			"quoted kind":     {lifecycle.TaskFilter{Kinds: []lifecycle.Kind{"x' OR '1'='1"}}, nil},
		} {
			p, err := s.List(ctx, "d1", tc.f)
			require.NoError(t, err, name)
			assert.Equal(t, tc.want, ids(p.Items), name)
			for _, it := range p.Items {
				assert.True(t, tc.f.Match(&it), "%s: TaskFilter.Match agrees with the store on %s", name, it.ID)
			}
		}
	})
	t.Run("ListCustomers", func(t *testing.T) {
		s := newStore(t)
		var ts []lifecycle.Task
		// Customers c0…c4, two tasks each, and one task without a customer.
		for i := range 10 {
			x := NewTask("d1", fmt.Sprintf("t%02d", i), fmt.Sprintf("k%d", i))
			x.CustomerID = crm.CustomerID(fmt.Sprintf("c%d", 4-i/2))
			if i == 3 {
				x.Status = lifecycle.StatusDone
			}
			ts = append(ts, x)
		}
		orphan := NewTask("d1", "t99", "k99")
		orphan.CustomerID = ""
		apply(t, s, "d1", append(ts, orphan), nil)
		var got []crm.CustomerID
		pages := 0
		f := lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 2}}
		for {
			p, err := s.ListCustomers(ctx, "d1", f)
			require.NoError(t, err)
			got = append(got, p.Items...)
			pages++
			if p.Next == "" {
				break
			}
			f.After = p.Next
		}
		assert.Equal(t, []crm.CustomerID{"c0", "c1", "c2", "c3", "c4"}, got, "each customer once, in ID order, none for a task without one")
		assert.Equal(t, 3, pages, "5 customers, 2 a page")
		p, err := s.ListCustomers(ctx, "d1", lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusDone}})
		require.NoError(t, err)
		assert.Equal(t, []crm.CustomerID{"c3"}, p.Items, "the filter applies: only t03 (customer c3) is done")
		p, err = s.ListCustomers(ctx, "d2", lifecycle.TaskFilter{})
		require.NoError(t, err)
		assert.Empty(t, p.Items, "another dealer has none")
		_, err = s.ListCustomers(ctx, "d1", lifecycle.TaskFilter{PageRequest: crm.PageRequest{After: "!"}})
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a malformed cursor")
	})
	t.Run("UpdateMany", func(t *testing.T) {
		s := newStore(t)
		seed(t, s)
		assign := func(tk *lifecycle.Task) error { tk.AssigneeID = "S07"; return nil }
		got, err := s.UpdateMany(ctx, "d1", []lifecycle.TaskID{"t3", "t1"}, assign)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, []lifecycle.TaskID{"t3", "t1"}, ids(got), "in the order of ids")
		for _, id := range []lifecycle.TaskID{"t1", "t3"} {
			v, err := s.Get(ctx, "d1", id)
			require.NoError(t, err)
			assert.Equal(t, crm.StaffID("S07"), v.AssigneeID, "%s reassigned", id)
			assert.Equal(t, int64(2), v.Version, "%s version one up", id)
		}
		// All or nothing: an absent ID, one of another dealer, a repeated
		// ID, an error of fn or an invalid result writes nothing.
		for name, tc := range map[string]struct {
			ids  []lifecycle.TaskID
			fn   func(*lifecycle.Task) error
			want error
		}{
			"absent": {[]lifecycle.TaskID{"t2", "t8"}, assign, lifecycle.ErrTaskNotFound},
			"dealer": {[]lifecycle.TaskID{"t2", "t4"}, assign, nil},
			"repeat": {[]lifecycle.TaskID{"t2", "t2"}, assign, dealercrm.ErrInvalid},
			"empty":  {[]lifecycle.TaskID{"t2", ""}, assign, dealercrm.ErrInvalid},
			"fn":     {[]lifecycle.TaskID{"t2", "t4"}, failOn("t4", lifecycle.ErrTaskClosed), lifecycle.ErrTaskClosed},
			"invalid": {[]lifecycle.TaskID{"t2", "t4"}, func(tk *lifecycle.Task) error {
				tk.AssigneeID = "S09"
				if tk.ID == "t4" {
					tk.Attempts = -1
				}
				return nil
			}, dealercrm.ErrInvalid},
		} {
			st := s
			if name == "dealer" {
				// t4 of d1 does not exist for d2.
				_, err := st.UpdateMany(ctx, "d2", []lifecycle.TaskID{"t1", "t4"}, assign)
				assert.ErrorIs(t, err, lifecycle.ErrTaskNotFound, name)
				v, err := st.Get(ctx, "d2", "t1")
				require.NoError(t, err)
				assert.Equal(t, crm.StaffID("S01"), v.AssigneeID, "%s: nothing written", name)
				continue
			}
			_, err := st.UpdateMany(ctx, "d1", tc.ids, tc.fn)
			assert.ErrorIs(t, err, tc.want, name)
			v, err := st.Get(ctx, "d1", "t2")
			require.NoError(t, err)
			assert.Equal(t, crm.StaffID("S01"), v.AssigneeID, "%s: t2 is not written", name)
			assert.Equal(t, int64(1), v.Version, "%s: t2 keeps its version", name)
		}
		got, err = s.UpdateMany(ctx, "d1", nil, assign)
		assert.NoError(t, err)
		assert.Empty(t, got, "no ids, no tasks")
	})
}

// failOn returns an update that reassigns a task to S09, or fails with
// err on task id.
func failOn(id lifecycle.TaskID, err error) func(*lifecycle.Task) error {
	return func(tk *lifecycle.Task) error {
		if tk.ID == id {
			return err
		}
		tk.AssigneeID = "S09"
		return nil
	}
}
