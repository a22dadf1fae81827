package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/internal/testclock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simTask is the part of a task the days test reads.
type simTask struct {
	Key        string `json:"key"`
	Kind       string `json:"kind"`
	CustomerID string `json:"customer_id"`
	VehicleID  string `json:"vehicle_id"`
	AnchorDate string `json:"anchor_date"`
	Due        string `json:"due"`
	Status     string `json:"status"`
	OwnerRole  string `json:"owner_role"`
}

// simRun is the part of a job run the days test reads.
type simRun struct {
	Kind   string `json:"kind"`
	Day    string `json:"day"`
	Status string `json:"status"`
	Manual bool   `json:"manual"`
	Error  string `json:"error"`
}

// TestServerRunsItsDays is issue 14's "done when", tried as a CR clerk
// would: the example server lives through simulated days, 2026-03-10
// (a Tuesday) to 03-13, Shanghai time, its clock advanced by the test a
// day at a time. The test only reads over HTTP and does what a clerk does
// (records a delivery, opens and resolves a complaint); nobody runs or
// triggers a job. Then:
//
//   - day 2's call list (GET /v1/tasks on 03-11) has day 2's tasks: tasks
//     due 03-11 that were not on day 1's list;
//   - the complaint resolved on 03-10 has its follow-up (resolved + 1 day)
//     on day 2's list, for the CR department, and not on day 1's;
//   - the car delivered on 03-10 gets its thank-you call 3DC (delivery +
//     3 days) on 03-13's list, and not before;
//   - GET /v1/job-runs lists the scheduler's runs of every day, done,
//     none of them manual.
//
// It runs on the in-memory store (the in-process scheduler) and on
// Postgres (River, its runs in job_runs).
func TestServerRunsItsDays(t *testing.T) {
	t.Run("memory", func(t *testing.T) { runDays(t) })
	t.Run("postgres", func(t *testing.T) {
		dsn, schema := demoSchema(t)
		runDays(t, "-postgres", dsn, "-schema", schema)
	})
}

func runDays(t *testing.T, args ...string) {
	clock := testclock.New(time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)) // 09:00 in Shanghai: the server's clock, which the test advances
	b, cancel, done, logs := startOn(t, clock.Now, append([]string{"-addr", "127.0.0.1:0", "-customers", "60", "-job-interval", "10ms"}, args...)...)
	require.Len(t, b.keys, 2, "%q", b.lines)
	key := b.keys[0]
	get := func(target string, v any) {
		t.Helper()
		resp, body := request(t, http.MethodGet, b.base+target, key, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", target, body)
		require.NoError(t, json.Unmarshal(body, v), "GET %s", target)
	}
	send := func(method, target, body string, v any) {
		t.Helper()
		resp, out := request(t, method, b.base+target, key, body)
		require.Less(t, resp.StatusCode, 300, "%s %s: %s", method, target, out)
		require.NoError(t, json.Unmarshal(out, v), "%s %s", method, target)
	}
	// tasks is the call list of the day: every open or overdue task due by
	// it, all pages.
	tasks := func(day string) map[string]simTask {
		t.Helper()
		out := map[string]simTask{}
		after := ""
		for {
			var page struct {
				Items []simTask `json:"items"`
				Next  string    `json:"next"`
			}
			get("/v1/tasks?limit=1000&date="+day+"&after="+url.QueryEscape(after), &page)
			for _, tk := range page.Items {
				assert.LessOrEqual(t, tk.Due, day, "%s on the list of %s", tk.Key, day)
				out[tk.Key] = tk
			}
			if page.Next == "" {
				return out
			}
			after = page.Next
		}
	}
	runs := func(query string) []simRun {
		t.Helper()
		var page struct {
			Items []simRun `json:"items"`
		}
		get("/v1/job-runs?limit=1000"+query, &page)
		return page.Items
	}
	// daily are the jobs due every day (grading waits for the 1st).
	daily := []string{"audit_retention", "campaign_end", "events_retention", "lead_followups", "lifecycle", "membership", "messages", "points_expiry"}
	// nextDay moves the clock a day on and waits for the scheduler, which
	// ticks by itself every 10ms, to finish the day's runs.
	nextDay := func(day string) {
		t.Helper()
		clock.Advance(24 * time.Hour)
		require.Eventually(t, func() bool {
			return len(runs("&status=done&from="+day)) == len(daily)
		}, 30*time.Second, 10*time.Millisecond, "the scheduler runs the jobs of %s by itself", day)
	}

	// Day 1, 2026-03-10: the first round ran before the banner.
	day1 := tasks("2026-03-10")
	require.NotEmpty(t, day1, "day 1's call list")

	// A sales consultant records a delivery: a new customer, who agrees
	// to survey calls (the 3DC call is one), and the car delivered today.
	var customer struct {
		ID string `json:"id"`
	}
	send(http.MethodPost, "/v1/customers", `{"name": "周八", "mobile": "13912340008"}`, &customer)
	send(http.MethodPost, "/v1/customers/"+customer.ID+"/consents",
		`{"purpose": "survey", "channel": "phone", "granted": true, "at": "2026-03-10T09:00:00+08:00", "source": "交车"}`, &customer)
	var vehicle struct {
		ID string `json:"id"`
	}
	send(http.MethodPost, "/v1/vehicles", fmt.Sprintf(`{"vin": "LFV3A23C8P3000017", "owner_id": %q, "brand": "天澜", "model": "SUV",
		"plate": "沪A7D001", "price": "168000", "purchase_date": "2026-03-08", "delivery_date": "2026-03-10"}`, customer.ID), &vehicle)

	// A CR clerk opens a complaint of a demo customer and resolves it the
	// same day.
	var customers struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	get("/v1/customers?limit=1", &customers)
	require.Len(t, customers.Items, 1)
	complainant := customers.Items[0].ID
	var complaint struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	send(http.MethodPost, "/v1/complaints", fmt.Sprintf(`{"customer_id": %q, "category": "service", "severity": "medium",
		"description": "保养后异响", "status": "open", "opened": "2026-03-10"}`, complainant), &complaint)
	send(http.MethodPatch, "/v1/complaints/"+complaint.ID, `{"status": "resolved", "resolved": "2026-03-10"}`, &complaint)
	require.Equal(t, "resolved", complaint.Status)

	find := func(list map[string]simTask, kind, customer, vehicle string) []simTask {
		var out []simTask
		for _, tk := range list {
			if tk.Kind == kind && (customer == "" || tk.CustomerID == customer) && (vehicle == "" || tk.VehicleID == vehicle) {
				out = append(out, tk)
			}
		}
		return out
	}
	assert.Empty(t, find(tasks("2026-03-10"), "complaint_follow_up", complainant, ""), "no follow-up on the day of the resolution")

	// Day 2, 2026-03-11.
	nextDay("2026-03-11")
	day2 := tasks("2026-03-11")
	var fresh []string
	for k, tk := range day2 {
		if _, seen := day1[k]; !seen && tk.Due == "2026-03-11" {
			fresh = append(fresh, k)
		}
	}
	assert.NotEmpty(t, fresh, "day 2's list has tasks due on day 2 that day 1's did not")
	followUps := find(day2, "complaint_follow_up", complainant, "")
	if assert.Len(t, followUps, 1, "the complaint resolved on day 1 has its follow-up on day 2") {
		f := followUps[0]
		assert.Equal(t, "2026-03-11", f.Due, "resolved 03-10 + 1 day")
		assert.Equal(t, "2026-03-10", f.AnchorDate)
		assert.Equal(t, "cr", f.OwnerRole, "for the CR department")
		assert.Equal(t, "open", f.Status)
	}
	assert.Empty(t, find(day2, "delivery_3dc", "", vehicle.ID), "no 3DC call before delivery + 3 days")

	// Day 3, 2026-03-12: still no 3DC. Day 4, 2026-03-13: the 3DC call.
	nextDay("2026-03-12")
	assert.Empty(t, find(tasks("2026-03-12"), "delivery_3dc", "", vehicle.ID), "no 3DC call on delivery + 2 days")
	nextDay("2026-03-13")
	calls := find(tasks("2026-03-13"), "delivery_3dc", "", vehicle.ID)
	if assert.Len(t, calls, 1, "the delivery of 03-10 gets its 3DC call on 03-13") {
		c := calls[0]
		assert.Equal(t, "2026-03-13", c.Due, "delivered 03-10 + 3 days")
		assert.Equal(t, "2026-03-10", c.AnchorDate)
		assert.Equal(t, customer.ID, c.CustomerID)
		assert.Equal(t, "sales_consultant", c.OwnerRole)
	}

	// Every day's runs, by the scheduler: lifecycle, lead follow-ups, points expiry,
	// membership and campaign completion each day (grading waits for the
	// 1st), all done, none manual.
	all := runs("")
	byDay := map[string][]string{}
	for _, r := range all {
		assert.Equal(t, "done", r.Status, "%s %s: %s", r.Day, r.Kind, r.Error)
		assert.False(t, r.Manual, "%s %s was not asked for by hand", r.Day, r.Kind)
		byDay[r.Day] = append(byDay[r.Day], r.Kind)
	}
	for _, day := range []string{"2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13"} {
		got := byDay[day]
		slices.Sort(got)
		assert.Equal(t, daily, got, "the runs of %s", day)
	}
	assert.Len(t, byDay, 4, "runs of the four days and no other: %v", byDay)
	stop(t, cancel, done, logs)
}
