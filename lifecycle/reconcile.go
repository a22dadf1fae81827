package lifecycle

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Reconcile compares the plan of subjects on date with the stored tasks
// (of any status) and returns the changes, without I/O:
//
//   - a planned task due on or before date whose window ended at most
//     CatchUpDays ago and whose key is not stored is created (overdue when
//     its window has ended);
//   - an open or overdue task whose key is still planned but whose due
//     date, window, channel or assignee changed is rescheduled (a moved
//     anchor: new odometer readings), unless staff pinned it;
//   - an open or overdue task due within KeepDays whose key is no longer
//     planned is cancelled, with the reason (the car was serviced, the
//     policy was renewed, consent was withdrawn);
//   - an open task whose window ended becomes overdue;
//   - done, skipped and cancelled tasks are never touched, and their keys
//     are never planned again;
//   - nothing whose window ends before a vehicle's delivery is planned
//     for it (a car delivered today catches up on no holiday).
func (pl *Planner) Reconcile(subs []Subject, stored []Task, date dealercrm.Date) Changes {
	return pl.ReconcileEach(len(subs), func(i int, s *Subject) { *s = subs[i] }, stored, date)
}

// ReconcileEach is Reconcile over n subjects streamed by fill, which sets
// *s to subject i (0 ≤ i < n), so a caller can build subjects from a
// compact or paged source instead of holding every Subject at once. fill
// may be called concurrently, for different i and s; s is read only
// until fill is next called with it, and fill may reuse the capacity of
// its slices (s.Visits = append(s.Visits[:0], …)). The result is the same
// as Reconcile's over the subjects in order.
//
// Each subject is planned and diffed against its own stored tasks on its
// own (subjectDiff) by a bounded group of workers, a chunk of subjects at
// a time; the caller merges the chunks' diffs in subject order as they
// finish, since a customer's tasks are planned by each of their vehicles
// and the first one stands.
func (pl *Planner) ReconcileEach(n int, fill func(i int, s *Subject), stored []Task, date dealercrm.Date) Changes {
	ix := newStoredIndex(pl, stored, date)
	m := merger{ix: ix, state: make([]taskState, len(stored)), moved: map[int32]*kept{}, created: map[string]bool{}, gone: map[goneKey]goneReason{},
		ch: Changes{Result: RunResult{Date: date, Subjects: n}}}
	workers := make([]reconciler, min(runtime.GOMAXPROCS(0), max(1, n/reconcileChunk)))
	for w := range workers {
		workers[w] = reconciler{ix: ix, e: evaluator{pl: pl}}
	}
	inOrder(n, len(workers), func(w, i int, d *subjectDiff) {
		rc := &workers[w]
		fill(i, &rc.sub)
		rc.diff(&rc.sub, d)
	}, m.merge)
	return m.finish()
}

// reconcileChunk is how many subjects a worker diffs at a time.
const reconcileChunk = 256

// chunk holds the diffs of subjects lo to lo+len(diffs)-1.
type chunk struct {
	lo    int
	diffs []subjectDiff
}

// inOrder calls diff(w, i, d) for every subject i in [0, n) on workers
// goroutines, w being the goroutine's number, a chunk of subjects at a
// time, and merge(d) with every diff in subject order, on the calling
// goroutine, while the workers diff the next chunks. At most 2 × workers
// chunks are diffed or wait to be merged at once; their buffers are
// reused.
func inOrder(n, workers int, diff func(w, i int, d *subjectDiff), merge func(d *subjectDiff)) {
	free := make(chan *chunk, 2*workers)
	for range cap(free) {
		free <- &chunk{diffs: make([]subjectDiff, reconcileChunk)}
	}
	todo, done := make(chan *chunk), make(chan *chunk)
	// Chunks are handed out in subject order, so the next one to merge is
	// always diffed or waiting: the free buffers never run out for good.
	go func() {
		for lo := 0; lo < n; lo += reconcileChunk {
			c := <-free
			c.lo, c.diffs = lo, c.diffs[:min(reconcileChunk, n-lo)]
			todo <- c
		}
		close(todo)
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for c := range todo {
				for i := range c.diffs {
					diff(w, c.lo+i, &c.diffs[i])
				}
				done <- c
			}
		})
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	waiting := map[int]*chunk{} // finished before the chunks ahead of them
	next := 0
	for c := range done {
		waiting[c.lo] = c
		for ready := waiting[next]; ready != nil; ready = waiting[next] {
			delete(waiting, next)
			for i := range ready.diffs {
				merge(&ready.diffs[i])
			}
			next += len(ready.diffs)
			free <- ready
		}
	}
}

// storedIndex is the read-only view of the stored tasks that one
// Reconcile diffs the subjects' plans against.
type storedIndex struct {
	pl     *Planner
	stored []Task
	keys   map[string]bool // every stored key, of any status
	// vehicles and customers have an entry for each vehicle and customer
	// an active stored task names, with the active planned tasks of that
	// subject: a vehicle's own, a customer's for all their vehicles.
	// Follow-ups (OpenFollowUp) are in neither list: the plan never
	// makes, moves or cancels them.
	vehicles  map[crm.VehicleID][]int32
	customers map[crm.CustomerID][]int32
	// date and the first window end created: tasks due by date whose
	// window ends on or after createFrom.
	date, createFrom dealercrm.Date
	// due and horizon are the windows a subject is planned over: due
	// from createFrom to date, enough to create tasks; horizon from date −
	// KeepDays to date + HorizonDays for the kinds of the subject's active
	// stored tasks, to match them (scope).
	due, horizon window
}

func newStoredIndex(pl *Planner, stored []Task, date dealercrm.Date) *storedIndex {
	p := &pl.policy
	ix := &storedIndex{pl: pl, stored: stored, keys: make(map[string]bool, len(stored)),
		vehicles: map[crm.VehicleID][]int32{}, customers: map[crm.CustomerID][]int32{},
		date: date, createFrom: date.AddDays(-p.CatchUpDays),
		due: pl.window(date.AddDays(-p.CatchUpDays), date), horizon: pl.window(date.AddDays(-p.KeepDays), date.AddDays(p.HorizonDays))}
	for i := range stored {
		t := &stored[i]
		ix.keys[t.Key] = true
		if !t.Status.Active() {
			continue
		}
		named(ix.vehicles, t.VehicleID)
		named(ix.customers, t.CustomerID)
		switch s, ok := subjectOf(t); {
		case !ok:
		case s.customer:
			ix.customers[t.CustomerID] = append(ix.customers[t.CustomerID], int32(i))
		default:
			ix.vehicles[t.VehicleID] = append(ix.vehicles[t.VehicleID], int32(i))
		}
	}
	return ix
}

// named gives k an entry in m: an active stored task names it.
func named[K comparable](m map[K][]int32, k K) {
	if _, ok := m[k]; !ok {
		m[k] = nil
	}
}

// subject returns the subject of task t: its customer, or its vehicle.
func (t *Task) subject(customer bool) subjectRef {
	if customer {
		return subjectRef{customer: true, id: string(t.CustomerID)}
	}
	return subjectRef{id: string(t.VehicleID)}
}

// subjectOf returns the subject of stored task t: its vehicle, or its
// customer when it has no vehicle. It reports false for a task the plan
// does not make (a follow-up), whose key does not start with its kind
// and that subject.
func subjectOf(t *Task) (subjectRef, bool) {
	s := t.subject(t.VehicleID == "")
	var buf [64]byte
	prefix := s.appendTo(append(append(buf[:0], t.Kind...), '|'))
	return s, len(t.Key) > len(prefix) && t.Key[len(prefix)] == '|' && t.Key[:len(prefix)] == string(prefix)
}

// subjectDiff is what the plan of one subject changes in its stored tasks.
type subjectDiff struct {
	// seen are the subject's active planned stored tasks, the vehicle's
	// and, when the plan looked ahead, its owner's: cancelled unless a
	// subject plans them.
	seen [2][]int32
	// keep are the active stored tasks the plan has, first plan first.
	keep []kept
	// create are the due tasks whose keys are not stored, in due order.
	create []Task
	// gone are why the plan has none of the subject's stored tasks of a
	// kind.
	gone []goneReason
}

// kept is an active stored task still planned, and how the plan moves it.
type kept struct {
	idx              int32
	moved            bool
	due, end, anchor dealercrm.Date
	channel          crm.Channel
	assignee         crm.StaffID
	reason           string
	msg              message
}

// goneKey names a rule kind of a subject (stored tasks are cancelled for
// the reason their kind's rule plans nothing for their subject).
type goneKey struct {
	kind    Kind
	subject subjectRef
}

type goneReason struct {
	key goneKey
	why string
	msg message
}

// reconciler plans and diffs subjects for one worker.
type reconciler struct {
	ix    *storedIndex
	e     evaluator
	sub   Subject // the fill buffer
	known Subject // what was known of sub on the date
	kinds []Kind
	key   []byte
}

// diff plans subject sub and diffs the plan against its stored tasks.
func (rc *reconciler) diff(sub *Subject, d *subjectDiff) {
	ix, e := rc.ix, &rc.e
	ahead := rc.start(sub, d)
	rc.known = known(sub, ix.date)
	e.plan(&rc.known, ix.date, scope{kinds: rc.kinds, due: ix.due, ahead: ix.horizon})
	for i := range e.tasks {
		p := &e.tasks[i]
		rc.key = rc.key[:0]
		if ahead {
			rc.match(p, d)
		}
		if !p.due.After(ix.date) && !p.end.Before(ix.createFrom) {
			rc.create(p, d)
		}
	}
	slices.SortFunc(d.create, byDueAndKey)
	subjects := [2]subjectRef{{id: string(sub.VehicleID)}}
	if sub.Owner != nil {
		subjects[1] = subjectRef{customer: true, id: string(sub.Owner.ID)}
	}
	for kind, why := range e.goneWhy {
		for i, ts := range d.seen {
			if slices.ContainsFunc(ts, func(t int32) bool { return ix.stored[t].Kind == kind }) {
				d.gone = append(d.gone, goneReason{goneKey{kind, subjects[i]}, why, e.goneMsg[kind]})
			}
		}
	}
	e.s, rc.known = nil, Subject{}
}

// start resets d for subject sub, with the subject's active stored
// tasks, and sets rc.kinds to their kinds. It reports whether the plan
// must look ahead: the vehicle or its owner has active stored tasks,
// planned up to the horizon to match them; any other subject is planned
// only as far as it may create tasks.
func (rc *reconciler) start(sub *Subject, d *subjectDiff) bool {
	ix := rc.ix
	clear(d.create)
	*d = subjectDiff{keep: d.keep[:0], create: d.create[:0], gone: d.gone[:0]}
	vt, active := ix.vehicles[sub.VehicleID]
	var ct []int32
	if sub.Owner != nil {
		var ok bool
		ct, ok = ix.customers[sub.Owner.ID]
		active = active || ok
	}
	d.seen[0] = vt
	rc.kinds = rc.kinds[:0]
	if !active || ix.pl.policy.HorizonDays <= 0 {
		return false
	}
	d.seen[1] = ct
	for _, ts := range d.seen {
		for _, i := range ts {
			if k := ix.stored[i].Kind; !slices.Contains(rc.kinds, k) {
				rc.kinds = append(rc.kinds, k)
			}
		}
	}
	return true
}

// keyOf returns the key of planned task p, built once into rc.key.
func (rc *reconciler) keyOf(p *planned) []byte {
	if len(rc.key) == 0 {
		rc.key = rc.e.key(p).appendTo(rc.key)
	}
	return rc.key
}

// match keeps the active stored tasks of p's subject with p's key.
func (rc *reconciler) match(p *planned, d *subjectDiff) {
	stored := d.seen[0]
	if p.subject.customer {
		stored = d.seen[1]
	}
	for _, idx := range stored {
		old := &rc.ix.stored[idx]
		if old.Kind == p.rule.Kind && old.Key == string(rc.keyOf(p)) && !slices.ContainsFunc(d.keep, func(k kept) bool { return k.idx == idx }) {
			d.keep = append(d.keep, rc.keep(p, old, idx))
		}
	}
}

// create proposes p, due, for creation unless its key is stored.
func (rc *reconciler) create(p *planned, d *subjectDiff) {
	key := rc.keyOf(p)
	if !rc.ix.keys[string(key)] && !slices.ContainsFunc(d.create, func(t Task) bool { return t.Key == string(key) }) {
		d.create = append(d.create, rc.e.task(p, string(key)))
	}
}

// keep returns stored task old (index idx) as planned task p keeps it:
// moved, with the reason, when the plan changes its dates, channel or
// assignee and staff did not pin it.
func (rc *reconciler) keep(p *planned, old *Task, idx int32) kept {
	e := &rc.e
	k := kept{idx: idx}
	if old.Pinned {
		return k
	}
	assignee, _ := e.assignee(p)
	if moves(old, p.due, p.end, p.channel, assignee) {
		k.moved, k.due, k.end, k.anchor, k.channel, k.assignee, k.reason, k.msg = true, p.due, p.end, e.occs[p.occ].anchor, p.channel, assignee, e.reason(p), e.reasonMessage(p)
	}
	return k
}

// moves reports whether a task planned with these due date, window end,
// channel and assignee moves the stored task old (a reschedule).
func moves(old *Task, due, end dealercrm.Date, ch crm.Channel, assignee crm.StaffID) bool {
	return due != old.Due || end != old.WindowEnd || ch != old.Channel || assignee != old.AssigneeID
}

// taskState is what the diffs merged so far say of an active stored task.
type taskState uint8

const (
	stateUnseen  taskState = iota // no subject of the task was planned
	stateSeen                     // its subject was planned, without it
	statePlanned                  // a subject plans it (see merger.moved)
)

// merger merges the subjects' diffs in subject order: the first plan of a
// stored task, and of a key to create, stands; the last reason stands.
type merger struct {
	ix    *storedIndex
	ch    Changes
	state []taskState     // of each stored task
	moved map[int32]*kept // the planned stored tasks the plan moves
	// create holds the tasks to create in blocks of createBlock, joined
	// into ch.Create once at the end: appending a few hundred thousand
	// 400-byte Tasks to one slice would copy them over and over as it
	// grows.
	create  [][]Task
	created map[string]bool // the keys of create
	gone    map[goneKey]goneReason
}

// createBlock is how many tasks to create a block of merger.create holds.
const createBlock = 4096

func (m *merger) merge(d *subjectDiff) {
	for _, ts := range d.seen {
		for _, i := range ts {
			m.state[i] = max(m.state[i], stateSeen)
		}
	}
	for i := range d.keep {
		k := &d.keep[i]
		if m.state[k.idx] == statePlanned {
			continue
		}
		m.state[k.idx] = statePlanned
		if k.moved {
			moved := *k
			m.moved[k.idx] = &moved
		}
	}
	for _, t := range d.create {
		if !m.created[t.Key] {
			m.created[t.Key] = true
			if len(m.create) == 0 || len(m.create[len(m.create)-1]) == createBlock {
				m.create = append(m.create, make([]Task, 0, createBlock))
			}
			m.create[len(m.create)-1] = append(m.create[len(m.create)-1], t)
			m.ch.Result.Created++
		}
	}
	for _, g := range d.gone {
		m.gone[g.key] = g
	}
}

// finish decides the active stored tasks, in stored order: rescheduled
// as planned, cancelled when their subject no longer plans them (if due
// within KeepDays), overdue when their window ended.
func (m *merger) finish() Changes {
	ix, ch := m.ix, &m.ch
	ch.Create = slices.Concat(m.create...)
	keep := ix.horizon.lo
	for i, old := range ix.stored {
		if !old.Status.Active() {
			continue
		}
		t := old
		changed := false
		switch m.state[i] {
		case statePlanned:
			if k := m.moved[int32(i)]; k != nil {
				t.StatusReason = fmt.Sprintf("rescheduled from %s to %s: %s", old.Due, k.due, k.reason)
				t.StatusReasonCode, t.StatusReasonParams = CodeRescheduled, params("from", old.Due.String(), "to", k.due.String())
				t.Due, t.WindowEnd, t.AnchorDate, t.Channel, t.AssigneeID, t.Reason = k.due, k.end, k.anchor, k.channel, k.assignee, k.reason
				t.ReasonCode, t.ReasonParams = k.msg.code, k.msg.params
				t.Status = StatusOpen
				changed = true
				ch.Result.Rescheduled++
			}
		case stateSeen:
			if old.Due.Before(keep) {
				break
			}
			g := m.gone[goneKey{old.Kind, old.subject(old.VehicleID == "")}]
			if g.why == "" {
				g.why, g.msg = "no longer planned on "+ix.date.String(), message{code: CodeNoLongerPlanned, params: params("date", ix.date.String())}
			}
			t.Status, t.StatusReason = StatusCancelled, "cancelled: "+g.why
			t.StatusReasonCode, t.StatusReasonParams = g.msg.code, g.msg.params
			ch.Replace = append(ch.Replace, t)
			ch.Result.Cancelled++
			continue
		}
		if t.Status == StatusOpen && t.WindowEnd.Before(ix.date) {
			t.Status = StatusOverdue
			changed = true
			ch.Result.Overdue++
		}
		if changed {
			ch.Replace = append(ch.Replace, t)
		}
	}
	return *ch
}
