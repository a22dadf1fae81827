package lifecycle

import (
	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// describer works out, for the daily run, what the call list shows of a
// task's subject on the run's day (Task.Stage, Task.LastVisit), so that
// a page of the call list reads no service orders: the vehicle's stage
// and last visit, and a customer's last visit over their vehicles. Each
// vehicle is worked out once, and only when a task asks for it.
type describer struct {
	pl   *Planner
	date dealercrm.Date
	subs []Subject
	// byVehicle indexes subs; lastOf is each owner's last visit over
	// their vehicles. Both are built on first use.
	byVehicle map[crm.VehicleID]int
	lastOf    map[crm.CustomerID]dealercrm.Date
	cars      map[crm.VehicleID]description
}

// description is what a describer says of a task's subject.
type description struct {
	stage Stage
	last  dealercrm.Date
}

func newDescriber(pl *Planner, date dealercrm.Date, subs []Subject) *describer {
	return &describer{pl: pl, date: date, subs: subs}
}

// of returns the description of task t's subject: its vehicle's, or for
// a task without one its customer's last visit; zero for a subject the
// run did not load (a lead, a vehicle since deleted).
func (d *describer) of(t *Task) description {
	if d.byVehicle == nil {
		d.byVehicle = make(map[crm.VehicleID]int, len(d.subs))
		d.cars = map[crm.VehicleID]description{}
		for i := range d.subs {
			d.byVehicle[d.subs[i].VehicleID] = i
		}
	}
	if t.VehicleID != "" {
		return d.car(t.VehicleID)
	}
	if t.CustomerID == "" {
		return description{}
	}
	if d.lastOf == nil {
		// Only the visits: a vehicle's stage is worked out when a task of
		// its own asks for it.
		d.lastOf = map[crm.CustomerID]dealercrm.Date{}
		for i := range d.subs {
			if o := d.subs[i].Owner; o != nil {
				if last := d.lastVisit(&d.subs[i]); last.After(d.lastOf[o.ID]) {
					d.lastOf[o.ID] = last
				}
			}
		}
	}
	return description{last: d.lastOf[t.CustomerID]}
}

// car describes a vehicle: its stage once delivered, and its last visit
// on or before the day.
func (d *describer) car(id crm.VehicleID) description {
	if c, ok := d.cars[id]; ok {
		return c
	}
	var c description
	if i, ok := d.byVehicle[id]; ok {
		sub := &d.subs[i]
		if sub.Delivery.Valid() {
			st, _ := d.pl.Stage(sub, d.date)
			c.stage = st.Stage
		}
		c.last = d.lastVisit(sub)
	}
	d.cars[id] = c
	return c
}

// lastVisit returns sub's last visit on or before the day.
func (d *describer) lastVisit(sub *Subject) dealercrm.Date {
	var last dealercrm.Date
	for _, v := range sub.Visits {
		if !v.Date.After(d.date) && v.Date.After(last) {
			last = v.Date
		}
	}
	return last
}

// describe sets the description of each task of ts.
func (d *describer) describe(ts []Task) {
	for i := range ts {
		c := d.of(&ts[i])
		ts[i].Stage, ts[i].LastVisit = c.stage, c.last
	}
}

// stale returns the active tasks of stored, other than those in written,
// whose description changed, each described anew: the run replaces them
// (TaskStore.Apply) like the tasks it reschedules.
func (d *describer) stale(stored []Task, written []Task) []Task {
	var skip map[TaskID]bool
	var out []Task
	for i := range stored {
		t := &stored[i]
		if !t.Status.Active() {
			continue
		}
		c := d.of(t)
		if c.stage == t.Stage && c.last == t.LastVisit {
			continue
		}
		if skip == nil {
			skip = make(map[TaskID]bool, len(written))
			for j := range written {
				skip[written[j].ID] = true
			}
		}
		if skip[t.ID] {
			continue
		}
		n := *t
		n.Stage, n.LastVisit = c.stage, c.last
		out = append(out, n)
	}
	return out
}
