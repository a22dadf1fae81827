package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// payloads break out of an element, of a double-quoted attribute and of a
// single-quoted one. None may reach a page as written.
var payloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(2)>`,
	`' onmouseover='alert(3)`,
}

// raw are the dangerous parts of the payloads as they would appear
// unescaped.
var raw = []string{"<script>alert(1)", "<img src=x", "' onmouseover='", `"><img`}

// inject puts a payload into every text field of the demo data that
// people write: names, plates, models, notes, purposes, complaint texts.
func inject(d *demo.Data) {
	n := 0
	p := func(s string) string { n++; return payloads[n%len(payloads)] + s }
	for i := range d.Dealers {
		b := &d.Dealers[i].Batch
		for j := range b.Customers {
			c := &b.Customers[j]
			c.Name, c.Occupation, c.Industry = p(c.Name), p(c.Occupation), p(c.Industry)
			c.Region.City = p(c.Region.City)
		}
		for j := range b.Vehicles {
			v := &b.Vehicles[j]
			v.Model, v.Brand, v.Trim = p(v.Model), p(v.Brand), p(v.Trim)
			if v.Plate != "" {
				v.Plate = p(v.Plate)
			}
		}
		for j := range b.Leads {
			l := &b.Leads[j]
			l.Name, l.ModelOfInterest, l.VisitTrigger = p(l.Name), p(l.ModelOfInterest), p(l.VisitTrigger)
			for k := range l.FollowUps {
				l.FollowUps[k].Note = p(l.FollowUps[k].Note)
			}
			for k := range l.LostRequests {
				l.LostRequests[k].Note = p(l.LostRequests[k].Note)
			}
		}
		for j := range b.Interactions {
			it := &b.Interactions[j]
			it.Note, it.Purpose = p(it.Note), p(it.Purpose)
		}
		for j := range b.Complaints {
			c := &b.Complaints[j]
			c.Category, c.Description = p(c.Category), p(c.Description)
		}
	}
}

// TestEverythingEscaped injects script and attribute breakers into every
// text field of the demo data and of the console's own forms, then reads
// every page: the payloads are always escaped.
func TestEverythingEscaped(t *testing.T) {
	f := newFixture(t, 120, inject)
	ctx := context.Background()
	dealer := f.data.Dealers[0].Dealer.ID
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiManagerKey])

	// The console's own forms write notes, reasons and staff IDs.
	_, page := b.get("/console/tasks")
	token := csrfOf(t, page)
	ts, err := f.app.Lifecycle.ListTasks(ctx, dealer, lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen, lifecycle.StatusOverdue},
		PageRequest: crm.PageRequest{Limit: 3}})
	require.NoError(t, err)
	require.Len(t, ts.Items, 3)
	b.post("/console/tasks/"+string(ts.Items[0].ID)+"/outcome", token, url.Values{"outcome": {"reached"}, "note": {payloads[0]}})
	b.post("/console/tasks/"+string(ts.Items[1].ID)+"/assign", token, url.Values{"staff_id": {payloads[1]}})
	b.post("/console/tasks/"+string(ts.Items[2].ID)+"/skip", token, url.Values{"reason": {payloads[2]}})

	paths := []string{"/console/tasks", "/console/tasks?scope=mine", "/console/leads", "/console/members", "/console/dashboard",
		"/console/customers?q=" + url.QueryEscape(payloads[0]), "/console/members?q=" + url.QueryEscape(payloads[1]),
		"/console/customers/" + url.PathEscape(payloads[2]), "/console/tasks?after=" + url.QueryEscape(payloads[1]),
		"/console/lang?to=en&back=" + url.QueryEscape("/console/"+payloads[0])}
	cs, err := crm.All(ctx, func(after string) (crm.Page[crm.Customer], error) {
		return f.app.CRM.ListCustomers(ctx, dealer, crm.CustomerFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	require.NoError(t, err)
	for _, c := range cs {
		paths = append(paths, "/console/customers/"+string(c.ID), "/console/members/"+string(c.ID))
	}
	next := regexp.MustCompile(`href="(/console/tasks\?[^"]*after=[^"]*)"`)
	seen := map[string]bool{}
	sawPayload := false
	for len(paths) > 0 {
		path := paths[0]
		paths = paths[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		for _, lang := range []string{"zh-CN", "en"} {
			res, body := b.get(path, "Accept-Language", lang)
			assert.NotEqual(t, http.StatusInternalServerError, res.StatusCode, path)
			for _, r := range raw {
				assert.NotContains(t, body, r, "%s (%s) shows a payload unescaped", path, lang)
			}
			sawPayload = sawPayload || strings.Contains(body, "&lt;script&gt;alert(1)")
			if m := next.FindStringSubmatch(body); m != nil && lang == "zh-CN" {
				paths = append(paths, strings.ReplaceAll(m[1], "&amp;", "&"))
			}
		}
	}
	assert.True(t, sawPayload, "the payloads were on the pages, escaped (the test reads what it injected)")
	assert.Greater(t, len(seen), 100, "every customer's pages were read")

	// The sign-in page echoes next.
	anon := f.browser(t)
	_, body := anon.get("/console/signin?next=" + url.QueryEscape(payloads[1]))
	for _, r := range raw {
		assert.NotContains(t, body, r)
	}
}
