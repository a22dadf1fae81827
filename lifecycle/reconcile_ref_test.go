package lifecycle_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/require"
)

// referenceReconcile is Planner.Reconcile as it was before it streamed
// subjects and formatted reasons lazily: every subject's whole plan
// through the public Evaluate, fleet-wide maps of planned tasks and
// reasons. TestReconcileMatchesReference holds Reconcile to it.
func referenceReconcile(pl *lifecycle.Planner, subs []lifecycle.Subject, stored []lifecycle.Task, date dealercrm.Date) lifecycle.Changes {
	p := pl.Policy()
	ch := lifecycle.Changes{Result: lifecycle.RunResult{Date: date, Subjects: len(subs)}}
	byKey := make(map[string]int, len(stored))
	activeV := map[crm.VehicleID]bool{}
	activeC := map[crm.CustomerID]bool{}
	for i, t := range stored {
		byKey[t.Key] = i
		if t.Status.Active() {
			activeV[t.VehicleID] = true
			activeC[t.CustomerID] = true
		}
	}
	planned := map[string]lifecycle.Task{}
	gone := map[string]string{}
	goneCode := map[string]lifecycle.Message{}
	createFrom := date.AddDays(-p.CatchUpDays)
	seenV := map[crm.VehicleID]bool{}
	seenC := map[crm.CustomerID]bool{}
	for i := range subs {
		sub := &subs[i]
		seenV[sub.VehicleID] = true
		ahead := 0
		if activeV[sub.VehicleID] || (sub.Owner != nil && activeC[sub.Owner.ID]) {
			ahead = p.HorizonDays
		}
		ev := pl.Evaluate(sub, date, ahead)
		if ahead > 0 {
			for k, why := range ev.Gone {
				gone[string(k)+"|vehicle:"+string(sub.VehicleID)] = why
				goneCode[string(k)+"|vehicle:"+string(sub.VehicleID)] = ev.GoneCodes[k]
				if sub.Owner != nil {
					gone[string(k)+"|customer:"+string(sub.Owner.ID)] = why
					goneCode[string(k)+"|customer:"+string(sub.Owner.ID)] = ev.GoneCodes[k]
				}
			}
			if sub.Owner != nil {
				seenC[sub.Owner.ID] = true
			}
		}
		for _, t := range ev.Tasks {
			if ahead > 0 {
				if _, dup := planned[t.Key]; !dup {
					planned[t.Key] = t
				}
			}
			if t.Due.After(date) || t.WindowEnd.Before(createFrom) {
				continue
			}
			if _, ok := byKey[t.Key]; ok {
				continue
			}
			byKey[t.Key] = -1
			ch.Create = append(ch.Create, t)
			ch.Result.Created++
		}
	}
	keep := date.AddDays(-p.KeepDays)
	for _, old := range stored {
		if !old.Status.Active() {
			continue
		}
		t := old
		changed := false
		if want, ok := planned[old.Key]; ok {
			if !old.Pinned && (want.Due != old.Due || want.WindowEnd != old.WindowEnd || want.Channel != old.Channel || want.AssigneeID != old.AssigneeID) {
				t.StatusReason = fmt.Sprintf("rescheduled from %s to %s: %s", old.Due, want.Due, want.Reason)
				t.Due, t.WindowEnd, t.AnchorDate, t.Channel, t.AssigneeID, t.Reason = want.Due, want.WindowEnd, want.AnchorDate, want.Channel, want.AssigneeID, want.Reason
				t.ReasonCode, t.ReasonParams = want.ReasonCode, want.ReasonParams
				t.StatusReasonCode, t.StatusReasonParams = lifecycle.CodeRescheduled, map[string]string{"from": old.Due.String(), "to": want.Due.String()}
				t.Status = lifecycle.StatusOpen
				changed = true
				ch.Result.Rescheduled++
			}
		} else if !old.Due.Before(keep) && ((old.VehicleID != "" && seenV[old.VehicleID]) || (old.VehicleID == "" && seenC[old.CustomerID])) {
			subject := ""
			if parts := strings.SplitN(old.Key, "|", 3); len(parts) >= 2 {
				subject = parts[1]
			}
			why, code := gone[string(old.Kind)+"|"+subject], goneCode[string(old.Kind)+"|"+subject]
			if why == "" {
				why = "no longer planned on " + date.String()
				code = lifecycle.Message{Code: lifecycle.CodeNoLongerPlanned, Params: map[string]string{"date": date.String()}}
			}
			t.Status, t.StatusReason = lifecycle.StatusCancelled, "cancelled: "+why
			t.StatusReasonCode, t.StatusReasonParams = code.Code, code.Params
			ch.Replace = append(ch.Replace, t)
			ch.Result.Cancelled++
			continue
		}
		if t.Status == lifecycle.StatusOpen && t.WindowEnd.Before(date) {
			t.Status = lifecycle.StatusOverdue
			changed = true
			ch.Result.Overdue++
		}
		if changed {
			ch.Replace = append(ch.Replace, t)
		}
	}
	return ch
}

// randomFleet returns n vehicles with random histories; owners are shared
// (customer-scoped tasks planned by several vehicles), some without consent.
func randomFleet(rng *rand.Rand, n int) []lifecycle.Subject {
	owners := map[int]*crm.Customer{}
	cadences := map[int]int{} // an owner's grade cadence in months (0: not graded)
	var subs []lifecycle.Subject
	for i := range n {
		del := date("2021-01-01").AddDays(rng.IntN(2000))
		oi := rng.IntN(max(1, n*2/3))
		o := owners[oi]
		if o == nil {
			o = consenting(crm.CustomerID(fmt.Sprintf("c%d", oi)))
			o.Birthday = date("1980-01-01").AddDays(rng.IntN(8000))
			if rng.IntN(5) == 0 {
				o.Birthday = date("1984-02-29")
			}
			o.ConsultantID, o.AdvisorID = crm.StaffID(fmt.Sprintf("S%d", rng.IntN(3))), crm.StaffID(fmt.Sprintf("A%d", rng.IntN(3)))
			owners[oi] = o
			cadences[oi] = []int{0, 1, 3, 6}[rng.IntN(4)]
		}
		s := lifecycle.Subject{DealerID: "d1", VehicleID: crm.VehicleID(fmt.Sprintf("v%d", i)), Model: []string{"M", "Lavida"}[rng.IntN(2)], Delivery: del, Owner: o}
		s.CadenceMonths = cadences[oi]
		s.Grade = map[int]string{1: "A", 3: "B", 6: "C"}[s.CadenceMonths]
		if rng.IntN(10) == 0 {
			s.Owner = nil
		}
		s.OpenRepurchaseLead = rng.IntN(8) == 0
		if rng.IntN(4) == 0 {
			s.MembershipEnd = del.AddDays(rng.IntN(1500))
			s.Tier = []string{"silver", "gold"}[rng.IntN(2)]
		}
		km, d := int64(0), del
		for range rng.IntN(8) {
			d = d.AddDays(rng.IntN(200))
			km += int64(rng.IntN(12000)) - 800
			s.Readings = append(s.Readings, lifecycle.Reading{Date: d, KM: km})
			if rng.IntN(2) == 0 {
				kinds := []crm.ServiceKind{crm.ServiceFirstMaintenance, crm.ServiceMaintenance, crm.ServiceRepair}
				s.Visits = append(s.Visits, lifecycle.Visit{OrderID: crm.ServiceOrderID(fmt.Sprintf("o%d-%d", i, len(s.Visits))), Date: d, Closed: d.AddDays(rng.IntN(3)),
					KM: km, Kind: kinds[rng.IntN(3)], AdvisorID: crm.StaffID(fmt.Sprintf("A%d", rng.IntN(3)))})
			}
		}
		for p := range rng.IntN(3) {
			st := del.AddDays(rng.IntN(1200))
			s.Policies = append(s.Policies, lifecycle.PolicyTerm{ID: crm.PolicyID(fmt.Sprintf("p%d-%d", i, p)), Kind: crm.Commercial, Start: st, End: st.AddYears(1).AddDays(-1), Recorded: st.AddDays(-rng.IntN(40))})
		}
		if rng.IntN(4) == 0 {
			op := del.AddDays(rng.IntN(1200))
			s.Complaints = append(s.Complaints, lifecycle.ComplaintFact{ID: crm.ComplaintID(fmt.Sprintf("k%d", i)), Opened: op, Resolved: op.AddDays(rng.IntN(20))})
		}
		subs = append(subs, s)
	}
	return subs
}

// TestReconcileMatchesReference runs Reconcile and referenceReconcile side
// by side over random histories as days pass, staff work, pin and move
// tasks and new data arrives (visits, readings, renewals, withdrawn
// consent): the changes must be identical, reasons included. The fleets
// are large enough for several parallel chunks and batches.
func TestReconcileMatchesReference(t *testing.T) {
	steps := 8
	if testing.Short() {
		steps = 4
	}
	// Seed 2 runs a policy with stage, grade and tier conditions (the
	// stage is then computed in the daily run).
	conditioned := lifecycle.DefaultPolicy()
	for i := range conditioned.Rules {
		switch conditioned.Rules[i].Kind {
		case lifecycle.KindWarrantyExpiry:
			conditioned.Rules[i].Stages = []lifecycle.Stage{lifecycle.StageWarrantyMidLate}
		case lifecycle.KindBirthdayCare:
			conditioned.Rules[i].Stages = []lifecycle.Stage{lifecycle.StageEarlyUse, lifecycle.StageWarrantyMidLate, lifecycle.StagePostWarranty}
		case lifecycle.KindHolidayCare:
			conditioned.Rules[i].Grades = []string{"A", "B"}
		case lifecycle.KindMembershipRenewal:
			conditioned.Rules[i].Tiers = []string{"gold"}
		}
	}
	plc, err := lifecycle.NewPlanner(conditioned, nil)
	require.NoError(t, err)
	for seed := range uint64(3) {
		pl := planner(t)
		if seed == 2 {
			pl = plc
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			subs := randomFleet(rng, 2100+rng.IntN(600))
			var stored []lifecycle.Task
			day := date("2024-01-01").AddDays(rng.IntN(500))
			var total lifecycle.RunResult
			defer func() {
				if total.Created == 0 || total.Rescheduled == 0 || total.Cancelled == 0 || total.Overdue == 0 {
					t.Errorf("the histories do not exercise every change: %+v", total)
				}
			}()
			for step := range steps {
				got := pl.Reconcile(subs, stored, day)
				total.Created += got.Result.Created
				total.Rescheduled += got.Result.Rescheduled
				total.Cancelled += got.Result.Cancelled
				total.Overdue += got.Result.Overdue
				want := referenceReconcile(pl, subs, stored, day)
				if !reflect.DeepEqual(got, want) {
					for i := range min(len(got.Replace), len(want.Replace)) {
						if !reflect.DeepEqual(got.Replace[i], want.Replace[i]) {
							t.Logf("replace %d:\n got %+v\nwant %+v", i, got.Replace[i], want.Replace[i])
							break
						}
					}
					for i := range min(len(got.Create), len(want.Create)) {
						if !reflect.DeepEqual(got.Create[i], want.Create[i]) {
							t.Logf("create %d:\n got %+v\nwant %+v", i, got.Create[i], want.Create[i])
							break
						}
					}
					t.Fatalf("step %d on %s: Reconcile differs from the reference: got %+v, want %+v", step, day, got.Result, want.Result)
				}
				for i, c := range got.Create {
					c.ID = lifecycle.TaskID(fmt.Sprintf("t%d-%d", step, i))
					stored = append(stored, c)
				}
				byID := map[lifecycle.TaskID]int{}
				for i := range stored {
					byID[stored[i].ID] = i
				}
				for _, r := range got.Replace {
					stored[byID[r.ID]] = r
				}
				for i := range stored {
					if stored[i].Status.Active() {
						switch rng.IntN(12) {
						case 0:
							stored[i].Status = lifecycle.StatusDone
						case 1:
							stored[i].Pinned = true
							stored[i].Due, stored[i].WindowEnd = stored[i].Due.AddDays(3), stored[i].WindowEnd.AddDays(3)
						case 2:
							stored[i].Due = stored[i].Due.AddDays(-2)
						}
					}
				}
				for j := range len(subs) / 20 {
					s := &subs[rng.IntN(len(subs))]
					switch rng.IntN(4) {
					case 0:
						s.Visits = append(s.Visits, lifecycle.Visit{OrderID: crm.ServiceOrderID(fmt.Sprintf("n%d-%d", step, j)), Date: day, KM: 1000 * int64(step), Kind: crm.ServiceMaintenance})
					case 1:
						s.Readings = append(s.Readings, lifecycle.Reading{Date: day, KM: int64(rng.IntN(90000))})
					case 2:
						if s.Owner != nil {
							c := *s.Owner
							c.Consents = nil
							s.Owner = &c
						}
					case 3:
						st := day.AddDays(rng.IntN(60))
						s.Policies = append(s.Policies, lifecycle.PolicyTerm{ID: crm.PolicyID(fmt.Sprintf("q%d-%d", step, j)), Kind: crm.Commercial, Start: st, End: st.AddYears(1).AddDays(-1), Recorded: day})
					}
				}
				day = day.AddDays(1 + rng.IntN(25))
			}
		})
	}
}
