package lifecycletest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// comment is what customer c1 said in a survey, quoted by the reason of
// their survey follow-up.
const comment = "王先生 says the advisor was rude; call 13912345678"

// personal are the strings about c1 that no task may hold after their
// erasure: the name, the phone number, the plate, the survey comment, the
// birthday and what staff wrote.
var personal = []string{"王先生", "13912345678", "沪A12345", "rude", "birthday on", "Pudong", "abroad"}

// privacyFleet is dealer d1 with customers c1 (car v1, plate 沪A12345,
// delivered 2026-01-28) and c2 (v2, delivered 2026-01-29), both born on
// 15 February and consenting to everything, and dealer d2 with a
// customer c1 and a car v1 of its own. The lifecycle service is
// registered with the crm service's PIPL export and erasure.
type privacyFleet struct {
	crm   *crm.Service
	lc    *lifecycle.Service
	tasks lifecycle.TaskStore
}

func newPrivacyFleet(t *testing.T, cs crm.Store, ts lifecycle.TaskStore) privacyFleet {
	t.Helper()
	ctx := context.Background()
	svc := seedFleet(t, cs, 2, 1, "2026-01-28")
	seedDealer(t, svc, "d2", 1, 1, "2026-01-28")
	_, err := svc.UpdateVehicle(ctx, "d1", "v1", func(v *crm.Vehicle) error { v.Plate = "沪A12345"; return nil })
	require.NoError(t, err)
	lc := newService(t, svc, ts)
	svc.AddPersonalData(lc)
	return privacyFleet{crm: svc, lc: lc, tasks: ts}
}

// work gives c1 of d1 the tasks of SPEC §2.2 and §6 up to 2026-02-14,
// with what staff and the survey wrote on them, and gives c2 and d2's c1
// tasks of their own:
//
//   - 01-31 run: the 3DC call of v1 (staff reach 王先生 and note his new
//     district and number) and the one-on-one visit (skipped: "abroad");
//   - a survey follow-up due 02-02 quoting the comment, and a recall
//     follow-up of v1 alone (no customer) quoting the plate;
//   - 02-04 run: the 7DC call of v1, overdue by 02-14;
//   - 02-14 run: the birthday care call, due 02-14 ("birthday on
//     2026-02-15").
func (f privacyFleet) work(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, day := range []string{"2026-01-31", "2026-02-04", "2026-02-14"} {
		_, err := f.lc.Run(ctx, "d1", dealercrm.MustParseDate(day))
		require.NoError(t, err)
		if day != "2026-01-31" {
			continue
		}
		tdc, err := f.tasks.GetByKey(ctx, "d1", "delivery_3dc|vehicle:v1|2026-01-28|1")
		require.NoError(t, err)
		_, _, err = f.lc.RecordOutcome(ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, Note: "王先生 moved to Pudong, new number 13912345678", StaffID: "S01"})
		require.NoError(t, err)
		visit, err := f.tasks.GetByKey(ctx, "d1", "one_on_one_visit|vehicle:v1|2026-01-28|1")
		require.NoError(t, err)
		_, err = f.lc.Skip(ctx, "d1", visit.ID, "王先生 is abroad until March")
		require.NoError(t, err)
		for _, fu := range []lifecycle.FollowUp{
			{Kind: lifecycle.KindSurveyFollowUp, Ref: "survey:r1", CustomerID: "c1", Due: dealercrm.MustParseDate("2026-02-02"),
				Reason: "Return-visit survey score 2.0 below 3 (questionnaire q1, response r1). Customer: " + comment},
			{Kind: "recall_check", Ref: "recall:RC1", VehicleID: "v1", Due: dealercrm.MustParseDate("2026-02-03"), Reason: "recall RC1: call the owner of 沪A12345"},
			{Kind: lifecycle.KindSurveyFollowUp, Ref: "survey:r2", CustomerID: "c2", Due: dealercrm.MustParseDate("2026-02-02"), Reason: "c2 was unhappy with the wait"},
		} {
			_, err := f.lc.OpenFollowUp(ctx, "d1", fu)
			require.NoError(t, err)
		}
	}
	_, err := f.lc.Run(ctx, "d2", dealercrm.MustParseDate("2026-01-31"))
	require.NoError(t, err)
	_, err = f.lc.OpenFollowUp(ctx, "d2", lifecycle.FollowUp{Kind: lifecycle.KindSurveyFollowUp, Ref: "survey:r1", CustomerID: "c1",
		Due: dealercrm.MustParseDate("2026-02-02"), Reason: "Customer: " + comment})
	require.NoError(t, err)
}

// exported returns the "tasks" section of c1's export from dealer d1.
func (f privacyFleet) exported(t *testing.T) []lifecycle.Task {
	t.Helper()
	x, err := f.crm.ExportCustomer(context.Background(), "d1", "c1")
	require.NoError(t, err)
	require.Contains(t, x.Sections, "tasks")
	ts, ok := x.Sections["tasks"].([]lifecycle.Task)
	require.True(t, ok, "the section is a []lifecycle.Task, got %T", x.Sections["tasks"])
	return ts
}

// others returns every task that is not c1's of dealer d1: the other
// customers' tasks and every task of d2.
func (f privacyFleet) others(t *testing.T) []lifecycle.Task {
	t.Helper()
	var out []lifecycle.Task
	for _, d := range []crm.DealerID{"d1", "d2"} {
		all, err := crm.All(context.Background(), func(after string) (crm.Page[lifecycle.Task], error) {
			return f.tasks.List(context.Background(), d, lifecycle.TaskFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		})
		require.NoError(t, err)
		for _, tk := range all {
			if d == "d2" || (tk.CustomerID != "c1" && (tk.CustomerID != "" || tk.VehicleID != "v1")) {
				out = append(out, tk)
			}
		}
	}
	return out
}

// byKind returns the tasks by kind; each kind must occur once.
func byKind(t *testing.T, ts []lifecycle.Task) map[lifecycle.Kind]lifecycle.Task {
	t.Helper()
	out := map[lifecycle.Kind]lifecycle.Task{}
	for _, tk := range ts {
		require.NotContains(t, out, tk.Kind, "one task of kind %s", tk.Kind)
		out[tk.Kind] = tk
	}
	return out
}

// holds returns the strings of personal that the tasks' text holds.
func holds(ts []lifecycle.Task) []string {
	var out []string
	for _, tk := range ts {
		b, _ := json.Marshal(tk)
		for _, p := range personal {
			if strings.Contains(string(b), p) && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// dueKeys returns the keys of the customer's tasks on the call list of
// dealer d1 on day.
func (f privacyFleet) dueKeys(t *testing.T, customer crm.CustomerID, day string) []string {
	t.Helper()
	p, err := f.lc.DueOn(context.Background(), "d1", dealercrm.MustParseDate(day), lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
	require.NoError(t, err)
	var keys []string
	for _, tk := range p.Items {
		if tk.CustomerID == customer || (customer == "c1" && tk.CustomerID == "" && tk.VehicleID == "v1") {
			keys = append(keys, tk.Key)
		}
	}
	slices.Sort(keys)
	return keys
}

// runPrivacyTests are the RunServiceTests of PIPL export and erasure.
func runPrivacyTests(t *testing.T, newStores func(t *testing.T) (crm.Store, lifecycle.TaskStore)) {
	ctx := context.Background()
	t.Run("ExportAndEraseCustomer", func(t *testing.T) {
		cs, ts := newStores(t)
		f := newPrivacyFleet(t, cs, ts)
		assert.Equal(t, "tasks", f.lc.PersonalDataSection())
		f.work(t)

		x := f.exported(t)
		require.Len(t, x, 6, "c1's tasks: 3DC, one-on-one visit, survey and recall follow-ups, 7DC, birthday care")
		before := byKind(t, x)
		assert.Equal(t, crm.OutcomeReached, before[lifecycle.KindThankYou3DC].Outcome)
		assert.Contains(t, before[lifecycle.KindThankYou3DC].Note, "Pudong", "the export has the outcome note")
		assert.Equal(t, "王先生 is abroad until March", before[lifecycle.KindOneOnOneVisit].StatusReason)
		assert.Contains(t, before[lifecycle.KindSurveyFollowUp].Reason, comment, "the follow-up quotes the comment")
		assert.Equal(t, lifecycle.CodeFollowUp, before[lifecycle.KindSurveyFollowUp].ReasonCode)
		assert.Contains(t, before[lifecycle.KindSurveyFollowUp].ReasonParams["text"], comment, "a follow-up's words are its text parameter")
		assert.Equal(t, lifecycle.CodeSkipped, before[lifecycle.KindOneOnOneVisit].StatusReasonCode)
		assert.Equal(t, map[string]string{"note": "王先生 is abroad until March"}, before[lifecycle.KindOneOnOneVisit].StatusReasonParams)
		assert.Equal(t, lifecycle.CodeOutcome, before[lifecycle.KindThankYou3DC].StatusReasonCode)
		assert.Equal(t, map[string]string{"outcome": "reached"}, before[lifecycle.KindThankYou3DC].StatusReasonParams)
		assert.Equal(t, "lifecycle.reason.birthday_care", before[lifecycle.KindBirthdayCare].ReasonCode)
		assert.Equal(t, "2026-02-15", before[lifecycle.KindBirthdayCare].ReasonParams["date"])
		assert.Equal(t, crm.VehicleID("v1"), before["recall_check"].VehicleID, "a follow-up of c1's car without a customer is c1's")
		assert.Equal(t, "birthday on 2026-02-15; -1 days birthday", before[lifecycle.KindBirthdayCare].Reason)
		assert.ElementsMatch(t, personal, holds(x), "before the erasure the tasks hold all of it")
		assert.Equal(t, []string{"birthday_care|customer:c1|2026-02-15|1", "delivery_7dc|vehicle:v1|2026-01-28|1",
			"recall_check|ref:recall:RC1", "survey_follow_up|ref:survey:r1"}, f.dueKeys(t, "c1", "2026-02-14"), "c1's call list before")
		c2Due := f.dueKeys(t, "c2", "2026-02-14")
		require.NotEmpty(t, c2Due)
		others := f.others(t)

		require.NoError(t, f.crm.EraseCustomer(ctx, "d1", "c1"))
		require.NoError(t, f.crm.EraseCustomer(ctx, "d1", "c1"), "erasing twice is fine")

		erased := f.exported(t)
		require.Len(t, erased, 5, "the tasks stay, anonymised, but the birthday care call, whose dates are the birthday")
		assert.Empty(t, holds(erased), "no task holds the name, number, plate, comment, birthday or staff's text")
		after := byKind(t, erased)
		assert.NotContains(t, after, lifecycle.KindBirthdayCare, "the birthday care call is deleted: its key and dates tell the birth day")
		for _, tk := range erased {
			assert.NotContains(t, tk.Key, "2026-02-15", "no key keeps the birthday")
		}
		for kind, want := range map[lifecycle.Kind]lifecycle.Status{
			lifecycle.KindThankYou3DC: lifecycle.StatusDone, lifecycle.KindOneOnOneVisit: lifecycle.StatusSkipped,
			lifecycle.KindSurveyFollowUp: lifecycle.StatusCancelled, "recall_check": lifecycle.StatusCancelled,
			lifecycle.Kind7DC: lifecycle.StatusCancelled,
		} {
			got, old := after[kind], before[kind]
			assert.Equal(t, want, got.Status, "%s: closed tasks keep their status, open and overdue ones are cancelled", kind)
			assert.Equal(t, lifecycle.ErasedReason, got.Reason, kind)
			assert.Equal(t, lifecycle.ErasedReason, got.StatusReason, kind)
			assert.Equal(t, []any{lifecycle.CodeErased, map[string]string(nil), lifecycle.CodeErased, map[string]string(nil)},
				[]any{got.ReasonCode, got.ReasonParams, got.StatusReasonCode, got.StatusReasonParams}, "%s: the codes say erased, without parameters", kind)
			assert.Empty(t, got.Note, kind)
			assert.Equal(t, old.Version+1, got.Version, "%s is written once, however often it is erased", kind)
			assert.Equal(t, []any{old.ID, old.Key, old.Kind, old.CustomerID, old.VehicleID, old.Due, old.WindowEnd, old.Outcome, old.InteractionID},
				[]any{got.ID, got.Key, got.Kind, got.CustomerID, got.VehicleID, got.Due, got.WindowEnd, got.Outcome, got.InteractionID},
				"%s keeps its key, kind, subject, dates, outcome and interaction", kind)
		}
		assert.Empty(t, f.dueKeys(t, "c1", "2026-02-14"), "c1's tasks left the call list")
		assert.Equal(t, c2Due, f.dueKeys(t, "c2", "2026-02-14"), "c2's call list is unchanged")
		assert.Equal(t, others, f.others(t), "c2's tasks and dealer d2's c1 are untouched")

		// The next run plans nothing for the erased c1: every consent was
		// withdrawn and the birthday cleared, and the keys of the erased
		// tasks stay closed. c2 gets the Spring Festival care call (02-17).
		r, err := f.lc.Run(ctx, "d1", dealercrm.MustParseDate("2026-02-16"))
		require.NoError(t, err)
		assert.Equal(t, erased, f.exported(t), "the run neither creates nor changes a task of c1")
		assert.Empty(t, f.dueKeys(t, "c1", "2026-02-16"))
		assert.Contains(t, f.dueKeys(t, "c2", "2026-02-16"), "holiday_care|customer:c2|2026-02-17|1", "a consenting customer's care call")
		assert.Equal(t, 1, r.Created, "only c2's care call")
		plan, err := f.lc.PlanFor(ctx, "d1", "v1", dealercrm.MustParseDate("2026-02-16"))
		require.NoError(t, err)
		for _, p := range plan.Tasks {
			assert.Empty(t, p.Purpose, "%s: no consent-gated task is planned for an erased customer", p.Key)
		}
		assert.Contains(t, plan.Gone[lifecycle.KindHolidayCare], "no consent")
	})
	t.Run("EraseDuringRun", func(t *testing.T) {
		cs, ts := newStores(t)
		f := newPrivacyFleet(t, cs, ts)
		_, err := f.lc.Run(ctx, "d1", dealercrm.MustParseDate("2026-01-31"))
		require.NoError(t, err)
		_, err = f.lc.OpenFollowUp(ctx, "d1", lifecycle.FollowUp{Kind: lifecycle.KindSurveyFollowUp, Ref: "survey:r1", CustomerID: "c1",
			Due: dealercrm.MustParseDate("2026-02-02"), Reason: "Customer: " + comment})
		require.NoError(t, err)

		// The run of 02-14 loads the crm records (c1 still consents and
		// has a birthday), then c1 is erased, then the run writes: it
		// marks c1's 3DC call, visit and follow-up overdue at the versions
		// it read, and creates c1's birthday care call from the old
		// records.
		hooked := &hookStore{TaskStore: ts, before: func() { require.NoError(t, f.crm.EraseCustomer(ctx, "d1", "c1")) }}
		r, err := newService(t, f.crm, hooked).Run(ctx, "d1", dealercrm.MustParseDate("2026-02-14"))
		require.NoError(t, err)
		x := f.exported(t)
		assert.Empty(t, holds(x), "the run brought back no erased text and planned none from the old records")
		for _, tk := range x {
			assert.False(t, tk.Status.Active(), "%s: the erased customer has no open task", tk.Key)
			assert.Equal(t, lifecycle.ErasedReason, tk.Reason, tk.Key)
			assert.NotEqual(t, lifecycle.KindBirthdayCare, tk.Kind, "the birthday care call the run made from the old records is deleted")
		}
		assert.Empty(t, f.dueKeys(t, "c1", "2026-02-14"), "c1 is not on the call list")
		assert.Equal(t, []string{"birthday_care|customer:c2|2026-02-15|1", "one_on_one_visit|vehicle:v2|2026-01-29|1"},
			f.dueKeys(t, "c2", "2026-02-14"), "c2's calls are planned as usual")
		assert.Equal(t, lifecycle.RunResult{Date: dealercrm.MustParseDate("2026-02-14"), Subjects: 2, Created: 2, Cancelled: 1}, r,
			"created: c1's and c2's birthday care; cancelled: c1's, erased again (deleted); c1's tasks the run would have marked overdue were erased first")
		es, err := ts.Erasures(ctx, "d1")
		require.NoError(t, err)
		require.Len(t, es, 1)
		assert.Equal(t, crm.CustomerID("c1"), es[0].CustomerID)
	})
}
