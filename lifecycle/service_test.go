package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const vin = "LSVAM4187C2184847"

type fixture struct {
	ctx   context.Context
	crm   *crm.Service
	tasks *memory.TaskStore
	svc   *lifecycle.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC) }
	// The tests record events after the clock's day and run the plan as of
	// later days: allow dates up to ten years past the dealer's today.
	cs := crm.NewService(memory.New(), crm.WithClock(clock), crm.WithLimits(crm.Limits{FutureDays: 3650}))
	_, err := cs.CreateDealer(ctx, crm.Dealer{ID: "d1", Name: "Shanghai 4S"})
	require.NoError(t, err)
	ts := memory.NewTaskStore()
	svc, err := lifecycle.NewService(cs, ts, lifecycle.WithClock(clock))
	require.NoError(t, err)
	return &fixture{ctx: ctx, crm: cs, tasks: ts, svc: svc}
}

func (f *fixture) customer(t *testing.T, id crm.CustomerID) {
	t.Helper()
	c := *consenting(id)
	c.DealerID = "d1"
	_, err := f.crm.CreateCustomer(f.ctx, "d1", c)
	require.NoError(t, err)
}

func (f *fixture) vehicle(t *testing.T, id crm.VehicleID, owner crm.CustomerID, delivery string, readings ...crm.OdometerReading) {
	t.Helper()
	_, err := f.crm.CreateVehicle(f.ctx, "d1", crm.Vehicle{ID: id, Record: crm.Record{DealerID: "d1"}, VIN: vin, Model: "Lavida",
		OwnerID: owner, DeliveryDate: date(delivery), Price: decimal.NewFromInt(120000), Odometer: readings})
	require.NoError(t, err)
}

func (f *fixture) run(t *testing.T, d string) lifecycle.RunResult {
	t.Helper()
	r, err := f.svc.Run(f.ctx, "d1", date(d))
	require.NoError(t, err)
	return r
}

func (f *fixture) task(t *testing.T, kind lifecycle.Kind) lifecycle.Task {
	t.Helper()
	p, err := f.tasks.List(f.ctx, "d1", lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
	require.NoError(t, err)
	for _, tk := range p.Items {
		if tk.Kind == kind {
			return tk
		}
	}
	t.Fatalf("no %s task", kind)
	return lifecycle.Task{}
}

func TestRunIsIdempotentAndReconciles(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2026-01-28")

	r := f.run(t, "2026-01-31")
	assert.Equal(t, 2, r.Created, "3DC and the one-on-one visit are due on 01-31")
	assert.Equal(t, lifecycle.RunResult{Date: date("2026-01-31"), Subjects: 1}, f.run(t, "2026-01-31"), "a second run changes nothing")
	tdc := f.task(t, lifecycle.KindThankYou3DC)
	assert.Equal(t, "S01", string(tdc.AssigneeID), "the customer's consultant")
	assert.Equal(t, "delivery_3dc|vehicle:v1|2026-01-28|1", tdc.Key)

	// The 3DC call is done; the run then marks nothing again.
	done, in, err := f.svc.RecordOutcome(f.ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, Note: "happy", StaffID: "S01"})
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusDone, done.Status)
	got, err := f.crm.GetInteraction(f.ctx, "d1", in.ID)
	require.NoError(t, err)
	assert.Equal(t, tdc.Key, got.TaskKey, "recording an outcome writes an Interaction")
	_, _, err = f.svc.RecordOutcome(f.ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached})
	assert.ErrorIs(t, err, lifecycle.ErrTaskClosed)

	// Days later the visit window is still open; 7DC is created.
	r = f.run(t, "2026-02-04")
	assert.Equal(t, 1, r.Created)
	visit := f.task(t, lifecycle.KindOneOnOneVisit)
	assert.Equal(t, lifecycle.StatusOpen, visit.Status)

	// As of a past day: what was due then.
	ev, err := f.svc.PlanFor(f.ctx, "d1", "v1", date("2026-01-31"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StageHoneymoon, ev.Stage.Stage)
	assert.Equal(t, []string{"2026-01-31"}, planDues(ev, lifecycle.KindThankYou3DC))
}

func planDues(p lifecycle.Plan, k lifecycle.Kind) []string {
	var out []string
	for _, t := range p.Tasks {
		if t.Kind == k {
			out = append(out, t.Due.String())
		}
	}
	return out
}

// TestPlanForNewVehicle (issue 12, defect 15): the plan of a car
// delivered today lists nothing due before the delivery — no Spring
// Festival or birthday of February as overdue — and its rows are
// marked planned, not stored tasks.
func TestPlanForNewVehicle(t *testing.T) {
	f := newFixture(t) // today is 2026-03-01
	c := *consenting("c1")
	c.DealerID, c.Birthday = "d1", date("1980-02-15")
	_, err := f.crm.CreateCustomer(f.ctx, "d1", c)
	require.NoError(t, err)
	f.vehicle(t, "v1", "c1", "2026-03-01")
	today, err := f.svc.Today(f.ctx, "d1")
	require.NoError(t, err)
	require.Equal(t, "2026-03-01", today.String())

	p, err := f.svc.PlanFor(f.ctx, "d1", "v1", today)
	require.NoError(t, err)
	require.NotEmpty(t, p.Tasks)
	for _, tk := range p.Tasks {
		assert.True(t, tk.Planned, "%s is marked planned", tk.Key)
		assert.False(t, tk.WindowEnd.Before(date("2026-03-01")), "%s (due %s) ends after the delivery", tk.Key, tk.Due)
	}
	// Spring Festival 2026-02-17 and the birthday of 2026-02-15 (care due
	// the day before) came before the delivery; the next ones are planned.
	assert.Equal(t, []string{"2026-04-30", "2026-06-18", "2026-09-24", "2026-09-30", "2026-12-31", "2027-02-05"}, planDues(p, lifecycle.KindHolidayCare),
		"Labour Day, Dragon Boat, Mid-Autumn, National Day, New Year's Day, Spring Festival 2027, each −1 day")
	assert.Equal(t, []string{"2027-02-14"}, planDues(p, lifecycle.KindBirthdayCare))
	assert.Equal(t, []string{"2026-03-02"}, planDues(p, lifecycle.KindOneOnOneVisit))
	assert.Equal(t, []string{"2026-03-04"}, planDues(p, lifecycle.KindThankYou3DC))
	assert.Equal(t, "2026-03-02", p.Tasks[0].Due.String(), "the first row is the one-on-one visit")

	b, err := json.Marshal(p.Tasks[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), `"planned":true`)
	for _, field := range []string{`"id"`, `"status"`, `"created_at"`, `"outcome"`} {
		assert.NotContains(t, string(b), field, "a plan row is not a stored task")
	}

	// A car delivered a year earlier: its plan as of today still shows
	// what was due in the last KeepDays (90), Spring Festival included.
	_, err = f.crm.CreateVehicle(f.ctx, "d1", crm.Vehicle{ID: "v2", Record: crm.Record{DealerID: "d1"}, VIN: "LFV2A21K3D4012345", Model: "Lavida",
		OwnerID: "c1", DeliveryDate: date("2025-03-01"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)
	p, err = f.svc.PlanFor(f.ctx, "d1", "v2", today)
	require.NoError(t, err)
	assert.Equal(t, []string{"2025-12-31", "2026-02-16", "2026-04-30", "2026-06-18", "2026-09-24", "2026-09-30", "2026-12-31", "2027-02-05"}, planDues(p, lifecycle.KindHolidayCare))
	assert.Equal(t, []string{"2026-02-14", "2027-02-14"}, planDues(p, lifecycle.KindBirthdayCare))
}

// TestPlanForHugeOdometer (issue 12, defect 8): a stored odometer of the
// largest int64 (written before crm refused such readings) gives a plan
// with that distance, never a negative one.
func TestPlanForHugeOdometer(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	require.NoError(t, f.crm.Store().Vehicles().Create(f.ctx, &crm.Vehicle{ID: "v1", Record: crm.Record{DealerID: "d1"}, VIN: vin, Model: "Lavida", OwnerID: "c1",
		DeliveryDate: date("2026-01-10"), Odometer: []crm.OdometerReading{{Date: date("2026-01-10"), KM: math.MaxInt64, Source: crm.OdometerSale}}}))
	p, err := f.svc.PlanFor(f.ctx, "d1", "v1", date("2026-03-01"))
	require.NoError(t, err)
	assert.Equal(t, int64(math.MaxInt64), p.Stage.KM, "not wrapped into a negative distance")
	assert.Equal(t, int64(math.MaxInt64), p.Usage.Last.KM)
	assert.Equal(t, lifecycle.StagePostWarranty, p.Stage.Stage, "past every distance limit")
	// The first maintenance is due at once, on the delivery: the odometer
	// is past 5,000 km. Its reminder of 01-03 came before the delivery;
	// the repeats every 30 days are planned.
	require.NotEmpty(t, planDues(p, lifecycle.KindFirstMaintenance))
	assert.Equal(t, "2026-02-02", planDues(p, lifecycle.KindFirstMaintenance)[0])
}

func TestRunReschedulesAndCancels(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2026-01-10", crm.OdometerReading{Date: date("2026-01-10"), KM: 10, Source: crm.OdometerSale})
	// With the default 40 km/day the first maintenance is predicted at
	// 10 + 40 × 125 days = 5,010 km on 2026-05-15; its reminder is due 05-08.
	f.run(t, "2026-05-08")
	fm := f.task(t, lifecycle.KindFirstMaintenance)
	assert.Equal(t, "2026-05-08", fm.Due.String())

	// A new reading says the car is driven less: the anchor moves later.
	_, err := f.crm.UpdateVehicle(f.ctx, "d1", "v1", func(v *crm.Vehicle) error {
		v.Odometer = append(v.Odometer, crm.OdometerReading{Date: date("2026-05-08"), KM: 2410, Source: crm.OdometerCustomer})
		return nil
	})
	require.NoError(t, err)
	r := f.run(t, "2026-05-08")
	assert.Equal(t, 1, r.Rescheduled)
	fm = f.task(t, lifecycle.KindFirstMaintenance)
	assert.Equal(t, "2026-07-03", fm.Due.String(), "20 km/day: delivery + 6 months (07-10) comes first, −7 days")
	assert.Contains(t, fm.StatusReason, "rescheduled from 2026-05-08")
	assert.Equal(t, lifecycle.RunResult{Date: date("2026-05-08"), Subjects: 1}, f.run(t, "2026-05-08"))

	// The car is serviced: the reminder's reason vanished.
	_, err = f.crm.CreateServiceOrder(f.ctx, "d1", crm.ServiceOrder{ID: "o1", Record: crm.Record{DealerID: "d1"}, VehicleID: "v1", CustomerID: "c1",
		Date: date("2026-05-20"), ClosedDate: date("2026-05-20"), OdometerKM: 2600, Kind: crm.ServiceFirstMaintenance, Payer: crm.PayerManufacturer, AdvisorID: "A01"})
	require.NoError(t, err)
	r = f.run(t, "2026-05-22")
	assert.Equal(t, 1, r.Cancelled)
	fm = f.task(t, lifecycle.KindFirstMaintenance)
	assert.Equal(t, lifecycle.StatusCancelled, fm.Status)
	assert.Equal(t, "cancelled: first maintenance done on 2026-05-20", fm.StatusReason)
	post := f.task(t, lifecycle.KindPostService)
	assert.Equal(t, "A01", string(post.ExcludedStaffID))
	_, _, err = f.svc.RecordOutcome(f.ctx, "d1", post.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, StaffID: "A01"})
	assert.ErrorIs(t, err, dealercrm.ErrInvalid, "not by the advisor who did the job")

	// Staff reschedule with a reason; the run keeps their date.
	moved, err := f.svc.Reschedule(f.ctx, "d1", post.ID, date("2026-05-25"), "customer abroad")
	require.NoError(t, err)
	assert.True(t, moved.Pinned)
	f.run(t, "2026-05-22")
	assert.Equal(t, "2026-05-25", f.task(t, lifecycle.KindPostService).Due.String())
	_, err = f.svc.Skip(f.ctx, "d1", post.ID, "")
	assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a reason is required")
}

// TestRunIdempotentProperty runs the scheduler over random histories: a
// second run on the same day creates, reschedules and cancels nothing.
func TestRunIdempotentProperty(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			pl := planner(t)
			var subs []lifecycle.Subject
			for i := range 20 {
				del := date("2022-01-01").AddDays(rng.IntN(1500))
				s := lifecycle.Subject{DealerID: "d1", VehicleID: crm.VehicleID(fmt.Sprintf("v%d", i)), Model: "M", Delivery: del, Owner: consenting(crm.CustomerID(fmt.Sprintf("c%d", i%15)))}
				s.Owner.Birthday = date("1980-01-01").AddDays(rng.IntN(8000))
				s.CadenceMonths = []int{0, 1, 3, 6}[i%15%4] // per owner
				km := int64(0)
				d := del
				for range rng.IntN(6) {
					d = d.AddDays(rng.IntN(200))
					km += int64(rng.IntN(12000)) - 500
					s.Readings = append(s.Readings, lifecycle.Reading{Date: d, KM: km})
					if rng.IntN(2) == 0 {
						kinds := []crm.ServiceKind{crm.ServiceFirstMaintenance, crm.ServiceMaintenance, crm.ServiceRepair}
						s.Visits = append(s.Visits, lifecycle.Visit{OrderID: crm.ServiceOrderID(fmt.Sprintf("o%d-%d", i, len(s.Visits))), Date: d, Closed: d.AddDays(rng.IntN(3)), KM: km, Kind: kinds[rng.IntN(3)]})
					}
				}
				if rng.IntN(2) == 0 {
					st := del.AddDays(rng.IntN(700))
					s.Policies = append(s.Policies, lifecycle.PolicyTerm{ID: crm.PolicyID(fmt.Sprintf("p%d", i)), Kind: crm.Commercial, Start: st, End: st.AddYears(1).AddDays(-1)})
				}
				subs = append(subs, s)
			}
			var stored []lifecycle.Task
			day := date("2025-06-01")
			for step := range 30 {
				ch := pl.Reconcile(subs, stored, day)
				for i, c := range ch.Create {
					c.ID = lifecycle.TaskID(fmt.Sprintf("t%d-%d", step, i))
					stored = append(stored, c)
				}
				for _, r := range ch.Replace {
					for i := range stored {
						if stored[i].ID == r.ID {
							stored[i] = r
						}
					}
				}
				again := pl.Reconcile(subs, stored, day)
				require.Empty(t, again.Create, "second run on %s creates nothing", day)
				require.Empty(t, again.Replace, "second run on %s changes nothing", day)
				keys := map[string]bool{}
				for _, s := range stored {
					require.False(t, keys[s.Key], "duplicate key %s", s.Key)
					keys[s.Key] = true
				}
				day = day.AddDays(1 + rng.IntN(10))
			}
		})
	}
}

func TestOpenFollowUp(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	fu := lifecycle.FollowUp{Kind: lifecycle.KindSurveyFollowUp, Ref: "survey:r1", CustomerID: "c1", Due: date("2026-03-02"),
		AssigneeID: "S01", ExcludedStaffID: "S01", Reason: "score 40 below 60"}
	t1, err := f.svc.OpenFollowUp(f.ctx, "d1", fu)
	require.NoError(t, err)
	assert.Equal(t, "survey_follow_up|ref:survey:r1", t1.Key)
	assert.Equal(t, "2026-03-03", t1.WindowEnd.String())
	assert.Equal(t, lifecycle.RoleCR, t1.OwnerRole)
	assert.Empty(t, t1.AssigneeID, "the excluded staff member is not assigned")
	assert.Equal(t, lifecycle.StatusOpen, t1.Status)
	t2, err := f.svc.OpenFollowUp(f.ctx, "d1", fu)
	require.NoError(t, err)
	assert.Equal(t, t1, t2, "opened once")

	_, err = f.svc.OpenFollowUp(f.ctx, "d1", lifecycle.FollowUp{Kind: "a|b", WindowDays: -1, Channel: "fax", OwnerRole: "boss"})
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, fe := range ve.Fields {
		fields = append(fields, fe.Field)
	}
	assert.ElementsMatch(t, []string{"kind", "ref", "customer_id", "due", "window_days", "channel", "owner_role", "reason"}, fields)
}

// Reconcile takes any slice of stored tasks: two active tasks with one key
// (a store never has them) are matched by key, each rescheduled on its own.
func TestReconcileDuplicateStoredKeys(t *testing.T) {
	pl := planner(t)
	s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2026-01-28"), Owner: consenting("c1")}
	day := date("2026-01-28")
	var stored []lifecycle.Task
	// The 3DC call of 01-31, stored twice; the copy is a day late.
	var dc lifecycle.Task
	for _, tk := range pl.Evaluate(&s, day, 30).Tasks {
		if tk.Kind == lifecycle.KindThankYou3DC {
			dc = tk
		}
	}
	require.Equal(t, "2026-01-31", dc.Due.String())
	a, b := dc, dc
	a.ID, b.ID = "dup-a", "dup-b"
	b.Due, b.WindowEnd = b.Due.AddDays(1), b.WindowEnd.AddDays(1)
	stored = append(stored, a, b)
	ch := pl.Reconcile([]lifecycle.Subject{s}, stored, day)
	require.Len(t, ch.Replace, 1, "%+v", ch.Replace)
	assert.Equal(t, lifecycle.TaskID("dup-b"), ch.Replace[0].ID)
	assert.Equal(t, "2026-01-31", ch.Replace[0].Due.String(), "moved back to its planned day")
	assert.Empty(t, ch.Create)

	// Without duplicates a moved task is rescheduled, an unchanged one left.
	stored = []lifecycle.Task{b}
	ch = pl.Reconcile([]lifecycle.Subject{s}, stored, day)
	require.Len(t, ch.Replace, 1)
	assert.Equal(t, "2026-01-31", ch.Replace[0].Due.String())
	assert.Contains(t, ch.Replace[0].StatusReason, "rescheduled from 2026-02-01 to 2026-01-31")
}

// flakyTasks is a task store whose Update and UpdateMany run fn twice (as a store that
// retries a serialisation failure does) and then fails when fail is set.
type flakyTasks struct {
	*memory.TaskStore
	fail error
}

func (f *flakyTasks) Update(ctx context.Context, dealer crm.DealerID, id lifecycle.TaskID, fn func(*lifecycle.Task) error) (lifecycle.Task, error) {
	t, err := f.TaskStore.Get(ctx, dealer, id)
	if err != nil {
		return lifecycle.Task{}, err
	}
	if err := fn(&t); err != nil {
		return lifecycle.Task{}, err
	}
	if f.fail != nil {
		return lifecycle.Task{}, f.fail
	}
	return f.TaskStore.Update(ctx, dealer, id, fn)
}

// UpdateMany runs fn on every task once more than the store does, then
// fails when fail is set.
func (f *flakyTasks) UpdateMany(ctx context.Context, dealer crm.DealerID, ids []lifecycle.TaskID, fn func(*lifecycle.Task) error) ([]lifecycle.Task, error) {
	for _, id := range ids {
		t, err := f.TaskStore.Get(ctx, dealer, id)
		if err != nil {
			return nil, err
		}
		if err := fn(&t); err != nil {
			return nil, err
		}
	}
	if f.fail != nil {
		return nil, f.fail
	}
	return f.TaskStore.UpdateMany(ctx, dealer, ids, fn)
}

// TestRecordOutcomeWritesOneInteraction: the interaction is written once
// when the task store runs the update more than once, and removed again
// when the update fails, so that nothing is half-written.
func TestRecordOutcomeWritesOneInteraction(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2026-01-28")
	f.run(t, "2026-01-31")
	tdc := f.task(t, lifecycle.KindThankYou3DC)
	flaky := &flakyTasks{TaskStore: f.tasks, fail: errors.New("connection reset")}
	svc, err := lifecycle.NewService(f.crm, flaky)
	require.NoError(t, err)
	interactions := func() []crm.Interaction {
		p, err := f.crm.ListInteractions(f.ctx, "d1", crm.InteractionFilter{CustomerID: "c1"})
		require.NoError(t, err)
		return p.Items
	}

	_, _, err = svc.RecordOutcome(f.ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, StaffID: "S01"})
	require.ErrorContains(t, err, "connection reset")
	assert.Empty(t, interactions(), "the failed update left no interaction behind")
	got, err := f.tasks.Get(f.ctx, "d1", tdc.ID)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusOpen, got.Status)

	flaky.fail = nil
	done, in, err := svc.RecordOutcome(f.ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, StaffID: "S01"})
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusDone, done.Status)
	assert.Equal(t, in.ID, done.InteractionID)
	require.Len(t, interactions(), 1, "one interaction although the update ran twice")
	assert.Equal(t, in.ID, interactions()[0].ID)
}

// TestRunPlansNothingBeforeDelivery (issue 12, defect 15): the run on
// the day a car is delivered does not catch up on the Spring Festival
// (2026-02-17, care due 02-16) or the owner's birthday (02-15, care due
// 02-14) of the days before: they are not the car's, and would be
// created overdue.
func TestRunPlansNothingBeforeDelivery(t *testing.T) {
	f := newFixture(t)
	c := *consenting("c1")
	c.DealerID, c.Birthday = "d1", date("1980-02-15")
	_, err := f.crm.CreateCustomer(f.ctx, "d1", c)
	require.NoError(t, err)
	f.vehicle(t, "v1", "c1", "2026-02-20")
	assert.Equal(t, lifecycle.RunResult{Date: date("2026-02-20"), Subjects: 1}, f.run(t, "2026-02-20"), "nothing is due on the delivery day")
	r := f.run(t, "2026-02-21")
	assert.Equal(t, 1, r.Created, "the one-on-one visit, from the day after the delivery")
	assert.Zero(t, r.Overdue)
}

// TestTaskTransitionError (issue 12, defect 13): a move a task's status
// does not allow says from, to and what is allowed.
func TestTaskTransitionError(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2026-01-28")
	f.run(t, "2026-01-31")
	tdc := f.task(t, lifecycle.KindThankYou3DC)
	_, _, err := f.svc.RecordOutcome(f.ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, StaffID: "S01"})
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		do   func() error
		want string
	}{
		"outcome": {func() error {
			_, _, err := f.svc.RecordOutcome(f.ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeNoAnswer})
			return err
		}, "invalid task status transition done → done (allowed from done: none, done is final)"},
		"skip": {func() error { _, err := f.svc.Skip(f.ctx, "d1", tdc.ID, "customer abroad"); return err },
			"invalid task status transition done → skipped (allowed from done: none, done is final)"},
		"reschedule": {func() error {
			_, err := f.svc.Reschedule(f.ctx, "d1", tdc.ID, date("2026-02-05"), "customer abroad")
			return err
		}, "invalid task status transition done → open (allowed from done: none, done is final)"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.do()
			assert.ErrorContains(t, err, tc.want)
			assert.ErrorIs(t, err, lifecycle.ErrTaskClosed)
			assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition)
			assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(err))
			var te *dealercrm.TransitionError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, dealercrm.TransitionError{Machine: "task status", From: "done", To: te.To, Sentinel: lifecycle.ErrTaskClosed}, *te)
		})
	}
}

// TestRunSkipUnchangedNeedsAStamper: WithSharedDatabase over a task store
// that cannot stamp the inputs (the memory store) runs in full every time.
func TestRunSkipUnchangedNeedsAStamper(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2026-01-28")
	svc, err := lifecycle.NewService(f.crm, f.tasks, lifecycle.WithSharedDatabase())
	require.NoError(t, err)
	first, err := svc.Run(f.ctx, "d1", date("2026-01-31"))
	require.NoError(t, err)
	require.Positive(t, first.Created)
	again, err := svc.Run(f.ctx, "d1", date("2026-01-31"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.RunResult{Date: date("2026-01-31"), Subjects: 1}, again)
}
