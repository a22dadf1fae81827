package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// The kinds of the lead tasks (SPEC §1.1), kept from the lead itself rather
// than planned by rules: Service.LeadChanged after each change of a lead
// and Service.RunLeads every day.
const (
	// KindLeadFollowUp is the consultant's next follow-up of an open lead:
	// by the level's cadence, or the first call after a showroom visit.
	KindLeadFollowUp Kind = "lead_follow_up"
	// KindStaleLead puts an open lead untouched for the dealer's
	// StaleAfterDays on the manager's list.
	KindStaleLead Kind = "stale_lead"
)

// LeadRun counts what RunLeads changed.
type LeadRun struct {
	Date dealercrm.Date `json:"date"`
	// Leads is how many open leads were reconciled.
	Leads       int `json:"leads"`
	Created     int `json:"created"`
	Rescheduled int `json:"rescheduled"`
	// Closed counts follow-ups closed as done by a logged contact and
	// tasks cancelled (lead converted, lost, ordered or touched).
	Closed  int `json:"closed"`
	Overdue int `json:"overdue"`
}

func (r *LeadRun) add(o LeadRun) {
	r.Created += o.Created
	r.Rescheduled += o.Rescheduled
	r.Closed += o.Closed
	r.Overdue += o.Overdue
}

// leadKey is the key of a lead task: kind, lead and episode. A follow-up's
// episode is the number of contacts logged before it, so that logging one
// closes the open follow-up and opens the next, while a level change
// moves the open one; a stale lead's is the date of its last touch, one
// task per staleness episode.
func leadKey(kind Kind, lead crm.LeadID, episode string) string {
	return string(kind) + "|lead:" + string(lead) + "|" + episode
}

// followUpEpisode returns the contact count of a follow-up task's key.
func followUpEpisode(key string) (int, bool) {
	i := strings.LastIndexByte(key, '|')
	n, err := strconv.Atoi(key[i+1:])
	return n, i >= 0 && err == nil
}

// lastTouch returns when lead l was last touched: its last contact, or
// its creation when never contacted.
func lastTouch(l *crm.Lead) time.Time {
	if l.LastContactAt.IsZero() {
		return l.CreatedAt
	}
	return l.LastContactAt
}

// firstCall returns the showroom visit whose first call is l's next
// follow-up: the latest follow-up's visit, or the creation of a walk-in
// lead never contacted, when the next follow-up is FirstCallHours after it.
func firstCall(l *crm.Lead, p crm.LeadPolicy) (time.Time, bool) {
	var visit time.Time
	switch n := len(l.FollowUps); {
	case n > 0 && l.FollowUps[n-1].Visit:
		visit = l.FollowUps[n-1].At
	case n == 0 && l.Source == crm.SourceWalkIn:
		visit = l.CreatedAt
	default:
		return time.Time{}, false
	}
	return visit, l.NextFollowUpAt.Equal(visit.Add(time.Duration(p.FirstCallHours) * time.Hour))
}

// planLead returns the lead tasks lead l should have on day, in zone loc
// with policy p (without ID, dealer or times): a follow-up for its
// consultant while it is open with a next follow-up, due on the local
// date of NextFollowUpAt, and a stale-lead task for the manager while it
// is stale at the end of day.
func planLead(l *crm.Lead, p crm.LeadPolicy, loc *time.Location, day dealercrm.Date) []Task {
	if l == nil || l.Status != crm.LeadOpen {
		return nil
	}
	var out []Task
	var customer crm.CustomerID
	if l.Purchase == crm.AddPurchase || l.Purchase == crm.ReplacementPurchase {
		customer = l.CustomerID
	}
	status := func(end dealercrm.Date) Status {
		if end.Before(day) {
			return StatusOverdue
		}
		return StatusOpen
	}
	touched := dealercrm.DateIn(lastTouch(l), loc)
	if !l.NextFollowUpAt.IsZero() {
		due := dealercrm.DateIn(l.NextFollowUpAt, loc)
		t := Task{Key: leadKey(KindLeadFollowUp, l.ID, strconv.Itoa(len(l.FollowUps))), Kind: KindLeadFollowUp, LeadID: l.ID, CustomerID: customer,
			AnchorDate: touched, Due: due, WindowEnd: due, Channel: crm.ChannelPhone, OwnerRole: RoleConsultant, AssigneeID: l.ConsultantID,
			Status: status(due)}
		if visit, ok := firstCall(l, p); ok {
			t.AnchorDate = dealercrm.DateIn(visit, loc)
			t.Reason = fmt.Sprintf("first call within %d hours of the showroom visit on %s", p.FirstCallHours, t.AnchorDate)
			t.ReasonCode, t.ReasonParams = CodeLeadFirstCall, params("hours", strconv.Itoa(p.FirstCallHours), "visit", t.AnchorDate.String())
		} else if l.LastContactAt.IsZero() {
			t.Reason = fmt.Sprintf("level %s lead created on %s: follow up every %d days", l.Level, touched, p.CadenceDays[l.Level])
			t.ReasonCode, t.ReasonParams = CodeLeadNew, params("level", string(l.Level), "created", touched.String(), "days", strconv.Itoa(p.CadenceDays[l.Level]))
		} else {
			t.Reason = fmt.Sprintf("level %s lead last contacted on %s: follow up every %d days", l.Level, touched, p.CadenceDays[l.Level])
			t.ReasonCode, t.ReasonParams = CodeLeadCadence, params("level", string(l.Level), "last", touched.String(), "days", strconv.Itoa(p.CadenceDays[l.Level]))
		}
		out = append(out, t)
	}
	end := day.AddDays(1).Time(loc)
	if l.Stale(p, end) {
		stale := lastTouch(l).Add(time.Duration(p.StaleAfterDays) * 24 * time.Hour)
		due := dealercrm.DateIn(stale, loc)
		out = append(out, Task{Key: leadKey(KindStaleLead, l.ID, touched.String()), Kind: KindStaleLead, LeadID: l.ID, CustomerID: customer,
			AnchorDate: touched, Due: due, WindowEnd: due.AddDays(staleWindowDays - 1), OwnerRole: RoleManager,
			Reason:     fmt.Sprintf("level %s lead untouched since %s, more than %d days", l.Level, touched, p.StaleAfterDays),
			ReasonCode: CodeLeadStale, ReasonParams: params("level", string(l.Level), "since", touched.String(), "days", strconv.Itoa(p.StaleAfterDays)),
			Status: status(due.AddDays(staleWindowDays - 1))})
	}
	return out
}

// The message codes of lead tasks: their reasons (parameters after each)
// and why their status changed.
const (
	CodeLeadFirstCall      = "lifecycle.reason.lead_follow_up.first_call" // hours, visit
	CodeLeadNew            = "lifecycle.reason.lead_follow_up.new"        // level, created, days
	CodeLeadCadence        = "lifecycle.reason.lead_follow_up"            // level, last, days
	CodeLeadStale          = "lifecycle.reason.stale_lead"                // level, since, days
	CodeLeadReassigned     = "lifecycle.status.lead_reassigned"           // from, to (staff IDs)
	CodeLeadContacted      = "lifecycle.status.lead_contacted"            // date
	CodeLeadGoneDeleted    = "lifecycle.gone.lead_deleted"                // none
	CodeLeadGoneConverted  = "lifecycle.gone.lead_converted"              // none
	CodeLeadGoneLost       = "lifecycle.gone.lead_lost"                   // none
	CodeLeadGoneOrdered    = "lifecycle.gone.lead_ordered"                // none
	CodeLeadGoneTouched    = "lifecycle.gone.lead_touched"                // date
	CodeLeadGoneNoFollowUp = "lifecycle.gone.lead_no_follow_up"           // level
	CodeLeadGoneReplaced   = "lifecycle.gone.lead_replaced"               // none
)

var leadCodes = []string{CodeLeadFirstCall, CodeLeadNew, CodeLeadCadence, CodeLeadStale, CodeLeadReassigned, CodeLeadContacted,
	CodeLeadGoneDeleted, CodeLeadGoneConverted, CodeLeadGoneLost, CodeLeadGoneOrdered, CodeLeadGoneTouched, CodeLeadGoneNoFollowUp,
	CodeLeadGoneReplaced}

// staleWindowDays is how many days a stale-lead task may be done in
// before it turns overdue.
const staleWindowDays = 7

// goneWhy says why lead l, or a lead that no longer exists when l is
// nil, has no task of kind, in words and as a message code.
func goneWhy(l *crm.Lead, kind Kind, loc *time.Location) (string, message) {
	switch {
	case l == nil:
		return "lead deleted", message{CodeLeadGoneDeleted, nil}
	case l.Status == crm.LeadConverted:
		return "lead converted", message{CodeLeadGoneConverted, nil}
	case l.Status == crm.LeadLost:
		return "lead lost", message{CodeLeadGoneLost, nil}
	case l.Level == crm.LevelO:
		return "lead ordered", message{CodeLeadGoneOrdered, nil}
	case kind == KindStaleLead:
		d := dealercrm.DateIn(lastTouch(l), loc).String()
		return "lead touched on " + d, message{CodeLeadGoneTouched, params("date", d)}
	default:
		return fmt.Sprintf("no follow-up due at level %s", l.Level), message{CodeLeadGoneNoFollowUp, params("level", string(l.Level))}
	}
}

// diffLead brings the active stored tasks of lead l (nil when it no longer
// exists) to the planned ones: the tasks to create (those whose key is
// stored closed come back lost from Apply, and are no error) and the
// stored tasks to replace, counted in res.
//
//   - an active task whose key is planned is moved to the plan's due date,
//     reason and assignee unless staff pinned it, and turns overdue (or
//     open again) by its window;
//   - an active follow-up of an earlier episode is closed: done when a
//     contact was logged since (the follow-up happened), else cancelled;
//     an active task of a kind the plan no longer has is cancelled, with
//     the reason;
//   - a planned task without an active stored one is created.
func diffLead(l *crm.Lead, planned, active []Task, loc *time.Location, day dealercrm.Date, res *LeadRun) (create, replace []Task) {
	kept := map[string]bool{}
	for _, old := range active {
		t := old
		i := indexKind(planned, old.Kind)
		switch {
		case i >= 0 && planned[i].Key == old.Key && !kept[old.Key]:
			kept[old.Key] = true
			p := &planned[i]
			moved := !old.Pinned && (p.Due != old.Due || p.WindowEnd != old.WindowEnd || p.AssigneeID != old.AssigneeID || p.Reason != old.Reason)
			if moved {
				t.StatusReason = fmt.Sprintf("rescheduled from %s to %s: %s", old.Due, p.Due, p.Reason)
				t.StatusReasonCode, t.StatusReasonParams = CodeRescheduled, params("from", old.Due.String(), "to", p.Due.String())
				if p.Due == old.Due && p.AssigneeID != old.AssigneeID {
					t.StatusReason = fmt.Sprintf("reassigned from %q to %q, the lead's consultant", old.AssigneeID, p.AssigneeID)
					t.StatusReasonCode, t.StatusReasonParams = CodeLeadReassigned, params("from", string(old.AssigneeID), "to", string(p.AssigneeID))
				}
				t.Due, t.WindowEnd, t.AnchorDate, t.AssigneeID, t.Reason = p.Due, p.WindowEnd, p.AnchorDate, p.AssigneeID, p.Reason
				t.ReasonCode, t.ReasonParams = p.ReasonCode, p.ReasonParams
				res.Rescheduled++
			}
			t.Status = StatusOpen
			if t.WindowEnd.Before(day) {
				t.Status = StatusOverdue
			}
			if t.Status == StatusOverdue && old.Status == StatusOpen {
				res.Overdue++
			}
			if moved || t.Status != old.Status {
				replace = append(replace, t)
			}
		case old.Kind == KindLeadFollowUp && l != nil && contactedSince(l, old.Key):
			d := dealercrm.DateIn(lastTouch(l), loc).String()
			t.Status, t.StatusReason = StatusDone, "follow-up logged on "+d
			t.StatusReasonCode, t.StatusReasonParams = CodeLeadContacted, params("date", d)
			replace = append(replace, t)
			res.Closed++
		default:
			why, msg := goneWhy(l, old.Kind, loc)
			if i >= 0 {
				why, msg = "replaced by "+planned[i].Key, message{CodeLeadGoneReplaced, nil}
			}
			t.Status, t.StatusReason = StatusCancelled, "cancelled: "+why
			t.StatusReasonCode, t.StatusReasonParams = msg.code, msg.params
			replace = append(replace, t)
			res.Closed++
		}
	}
	for _, p := range planned {
		if !kept[p.Key] {
			create = append(create, p)
			res.Created++
		}
	}
	return create, replace
}

// contactedSince reports whether contacts were logged on lead l after the
// follow-up with key was planned.
func contactedSince(l *crm.Lead, key string) bool {
	n, ok := followUpEpisode(key)
	return ok && len(l.FollowUps) > n
}

func indexKind(ts []Task, k Kind) int {
	for i := range ts {
		if ts[i].Kind == k {
			return i
		}
	}
	return -1
}

// leadTasks reads the active lead tasks of a dealer, of one lead when lead
// is set.
func (s *Service) leadTasks(ctx context.Context, dealer crm.DealerID, lead crm.LeadID) ([]Task, error) {
	return crm.All(ctx, func(a string) (crm.Page[Task], error) {
		return s.tasks.List(ctx, dealer, TaskFilter{LeadID: lead, HasLead: true, Statuses: []Status{StatusOpen, StatusOverdue},
			PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
	})
}

// LeadChanged brings the tasks of lead id to its state now: it implements
// crm.LeadWatcher, so that a host that registers the service with
// crm.Service.AddLeadWatchers keeps a lead's follow-up on the consultant's
// list as the lead is created, contacted, moved to another level,
// converted, lost or deleted. The lead given is only a notice: the
// service reads the lead's tasks, then the lead, and writes only over the
// tasks it read, so that concurrent changes of one lead (and RunLeads)
// settle on its latest state. The daily RunLeads reconciles every open
// lead as well, so a change whose call failed heals the next day.
func (s *Service) LeadChanged(ctx context.Context, dealer crm.DealerID, id crm.LeadID, _ *crm.Lead) error {
	d, err := s.crm.GetDealer(ctx, dealer)
	if err != nil {
		return fmt.Errorf("lifecycle: lead %s: %w", id, err)
	}
	day := d.Today(s.now())
	for pass := 1; ; pass++ {
		active, err := s.leadTasks(ctx, dealer, id)
		if err != nil {
			return fmt.Errorf("lifecycle: lead %s: %w", id, err)
		}
		lead, err := s.readLead(ctx, dealer, id)
		if err != nil {
			return fmt.Errorf("lifecycle: lead %s: %w", id, err)
		}
		var res LeadRun
		create, replace := diffLead(lead, planLead(lead, d.Policy(), d.Location(), day), active, d.Location(), day, &res)
		lost, err := s.applyLeads(ctx, dealer, create, replace)
		if err != nil {
			return fmt.Errorf("lifecycle: lead %s: %w", id, err)
		}
		if !lostReplacement(lost, create) {
			return nil
		}
		if pass == maxRunPasses {
			return dealercrm.Errorf(dealercrm.Conflict, "lifecycle: lead %s: tasks kept changing during %d passes; try again", id, pass)
		}
	}
}

// readLead returns the lead, or nil when it does not exist.
func (s *Service) readLead(ctx context.Context, dealer crm.DealerID, id crm.LeadID) (*crm.Lead, error) {
	l, err := s.crm.GetLead(ctx, dealer, id)
	switch {
	case errors.Is(err, dealercrm.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &l, nil
}

var _ crm.LeadWatcher = (*Service)(nil)

// applyLeads stamps the tasks to create and replace and applies them.
func (s *Service) applyLeads(ctx context.Context, dealer crm.DealerID, create, replace []Task) ([]Task, error) {
	if len(create) == 0 && len(replace) == 0 {
		return nil, nil
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	for i := range create {
		create[i].ID, create[i].DealerID, create[i].CreatedAt, create[i].UpdatedAt = TaskID(s.newID()), dealer, now, now
	}
	for i := range replace {
		replace[i].UpdatedAt = now
	}
	return s.tasks.Apply(ctx, dealer, create, replace)
}

// lostReplacement reports whether a task of lost is a replacement (not
// one of create): another writer changed it since it was read. A lost
// creation is a key already stored, open or closed, and needs nothing.
func lostReplacement(lost, create []Task) bool {
	ids := make(map[TaskID]bool, len(create))
	for i := range create {
		ids[create[i].ID] = true
	}
	for i := range lost {
		if !ids[lost[i].ID] {
			return true
		}
	}
	return false
}

// RunLeads is the daily run of a dealer's leads on day (the LeadFollowUps
// job): every open lead gets its follow-up task for its consultant and,
// when it is stale at the end of day, its stale-lead task for the
// manager; the lead tasks of leads converted, lost or deleted are
// cancelled; follow-ups of an earlier contact are closed; tasks whose
// window ended turn overdue. It reads the tasks before the leads and
// writes in one Apply per pass, only over what it read: the leads of
// tasks another writer changed meanwhile (a contact logged, an outcome
// recorded) are read again and planned again over a fresh read of the
// tasks (at most maxRunPasses passes, then a Conflict error). Running it
// again changes nothing.
func (s *Service) RunLeads(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (LeadRun, error) {
	res := LeadRun{Date: day}
	d, err := s.crm.GetDealer(ctx, dealer)
	if err != nil {
		return LeadRun{}, fmt.Errorf("lifecycle: leads of %s: %w", dealer, err)
	}
	p, loc := d.Policy(), d.Location()
	var again map[crm.LeadID]bool // after the first pass: the leads to plan again
	for pass := 1; ; pass++ {
		// The tasks first: a lead read after them is at least as new as
		// the state that made them.
		active, err := s.leadTasks(ctx, dealer, "")
		if err != nil {
			return LeadRun{}, fmt.Errorf("lifecycle: leads of %s: %w", dealer, err)
		}
		tasksOf := map[crm.LeadID][]Task{}
		for _, t := range active {
			tasksOf[t.LeadID] = append(tasksOf[t.LeadID], t)
		}
		var r LeadRun
		var create, replace []Task
		add := func(l *crm.Lead, ts []Task) {
			c, rp := diffLead(l, planLead(l, p, loc, day), ts, loc, day, &r)
			create, replace = append(create, c...), append(replace, rp...)
		}
		if pass == 1 {
			leads, err := crm.All(ctx, func(a string) (crm.Page[crm.Lead], error) {
				return s.crm.ListLeads(ctx, dealer, crm.LeadFilter{Status: crm.LeadOpen, PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
			})
			if err != nil {
				return LeadRun{}, fmt.Errorf("lifecycle: leads of %s: %w", dealer, err)
			}
			res.Leads = len(leads)
			open := make(map[crm.LeadID]bool, len(leads))
			for i := range leads {
				open[leads[i].ID] = true
				add(&leads[i], tasksOf[leads[i].ID])
			}
			for id, ts := range tasksOf {
				if !open[id] {
					// A task of a lead that is not open: read the lead for why.
					l, err := s.readLead(ctx, dealer, id)
					if err != nil {
						return LeadRun{}, fmt.Errorf("lifecycle: leads of %s: %w", dealer, err)
					}
					add(l, ts)
				}
			}
		} else {
			for id := range again {
				l, err := s.readLead(ctx, dealer, id)
				if err != nil {
					return LeadRun{}, fmt.Errorf("lifecycle: leads of %s: %w", dealer, err)
				}
				add(l, tasksOf[id])
			}
		}
		lost, err := s.applyLeads(ctx, dealer, create, replace)
		if err != nil {
			return LeadRun{}, fmt.Errorf("lifecycle: leads of %s on %s: %w", dealer, day, err)
		}
		uncountLeads(&r, lost, create, active)
		res.add(r)
		if !lostReplacement(lost, create) {
			return res, nil
		}
		if pass == maxRunPasses {
			return LeadRun{}, dealercrm.Errorf(dealercrm.Conflict, "lifecycle: leads of %s on %s: tasks kept changing during %d passes; run again", dealer, day, pass)
		}
		again = map[crm.LeadID]bool{}
		for _, t := range lost {
			again[t.LeadID] = true
		}
	}
}

// uncountLeads takes the tasks not written out of r: a creation whose key
// was stored, or a replacement of a task of active another writer beat
// (planned again), counted as diffLead counted it.
func uncountLeads(r *LeadRun, lost, create, active []Task) {
	if len(lost) == 0 {
		return
	}
	ids := make(map[TaskID]bool, len(create))
	for i := range create {
		ids[create[i].ID] = true
	}
	read := make(map[TaskID]*Task, len(active))
	for i := range active {
		read[active[i].ID] = &active[i]
	}
	for i := range lost {
		t := &lost[i]
		old := read[t.ID]
		switch {
		case ids[t.ID]:
			r.Created--
		case old == nil:
		case !t.Status.Active():
			r.Closed--
		default:
			if t.Due != old.Due || t.WindowEnd != old.WindowEnd || t.AssigneeID != old.AssigneeID || t.Reason != old.Reason {
				r.Rescheduled--
			}
			if t.Status == StatusOverdue && old.Status == StatusOpen {
				r.Overdue--
			}
		}
	}
}

// TaskLeads returns the leads that tasks point at (Task.LeadID), by ID,
// for a call list to show whom to call: a lead is not a customer yet, so
// the task holds only its ID. A lead deleted since is left out.
func (s *Service) TaskLeads(ctx context.Context, dealer crm.DealerID, tasks []Task) (map[crm.LeadID]crm.Lead, error) {
	var ids []crm.LeadID
	seen := map[crm.LeadID]bool{}
	for i := range tasks {
		if id := tasks[i].LeadID; id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return s.leads(ctx, dealer, ids)
}

// leads reads the leads of ids (each once).
func (s *Service) leads(ctx context.Context, dealer crm.DealerID, ids []crm.LeadID) (map[crm.LeadID]crm.Lead, error) {
	out := map[crm.LeadID]crm.Lead{}
	// One read per crm.MaxLimit leads (crm.LeadFilter.IDs), not one per
	// lead: the call list reads the leads of a page's lead tasks.
	for chunk := range slices.Chunk(ids, crm.MaxLimit) {
		p, err := s.crm.ListLeads(ctx, dealer, crm.LeadFilter{IDs: chunk, PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
		if err != nil {
			return nil, fmt.Errorf("lifecycle: leads of tasks: %w", err)
		}
		for _, l := range p.Items {
			out[l.ID] = l
		}
	}
	return out, nil
}

// logLeadContact logs the contact of a lead follow-up done through
// RecordOutcome (t, with interaction in) on the lead (crm LogFollowUp), so
// that the lead's next follow-up is scheduled and becomes the next task
// (by the lead watcher, else the next RunLeads). A lead closed meanwhile
// needs no follow-up. Any other failure is returned after the outcome is
// recorded: log the follow-up on the lead then.
func (s *Service) logLeadContact(ctx context.Context, dealer crm.DealerID, t *Task, in *crm.Interaction) error {
	if t.Kind != KindLeadFollowUp || t.LeadID == "" || t.Status != StatusDone {
		return nil
	}
	_, err := s.crm.LogFollowUp(ctx, dealer, t.LeadID, crm.FollowUp{At: in.At, StaffID: in.StaffID, Channel: in.Channel, Note: in.Note})
	if err != nil && !errors.Is(err, crm.ErrLeadClosed) {
		return fmt.Errorf("lifecycle: outcome of task %s recorded, but logging it on lead %s failed: %w", t.ID, t.LeadID, err)
	}
	return nil
}
