package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/console"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testCustomers = 160

func TestSignInAndOut(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)

	res, _ := b.get("/console/tasks")
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "no session: off to the sign-in page")
	assert.Equal(t, "/console/signin?next=%2Fconsole%2Ftasks", res.Header.Get("Location"))

	_, body := b.get("/console/signin")
	assert.Contains(t, body, `<label for="key">API 密钥</label>`, "the key field is labelled, in Chinese by default")
	token := csrfOf(t, body)
	res, body = b.post("/console/signin", token, url.Values{"key": {"dcrm_not-a-key"}})
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "a bad key does not sign in")
	assert.Contains(t, body, "密钥无效或已被吊销")
	for _, c := range res.Cookies() {
		assert.NotEqual(t, "dcrm_session", c.Name, "no session for a bad key")
	}
	res, _ = b.post("/console/signin", "", url.Values{"key": {f.tokens[demo.ShanghaiManagerKey]}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "the sign-in form needs its CSRF token too")

	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	res, body = b.get("/console/tasks")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, "SH01-SM01", "the page says who is signed in")

	res, _ = b.post("/console/signout", "", nil)
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "signing out needs the CSRF token")
	res, _ = b.post("/console/signout", csrfOf(t, body), nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, _ = b.get("/console/tasks")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "signed out")
}

// TestSessionCookie checks the cookie's attributes on a handler with the
// default (secure) settings.
func TestSessionCookie(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	h := console.New(console.Services{CRM: f.app.CRM, Lifecycle: f.app.Lifecycle}, console.Keys(f.keys))
	session := signInTo(t, h, f.tokens[demo.ShanghaiCRKey])
	assert.True(t, session.HttpOnly, "no script reads the key")
	assert.True(t, session.Secure, "sent over https only")
	assert.Equal(t, http.SameSiteLaxMode, session.SameSite)
	assert.Equal(t, "/console/", session.Path)
	assert.Equal(t, 12*3600, session.MaxAge)
}

// TestSessionSealed: the session cookie does not show the API key, works
// only as this handler's secret sealed it, and ends after 12 hours
// whatever the browser keeps.
func TestSessionSealed(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	secret := []byte(strings.Repeat("s", 32))
	svc := console.Services{CRM: f.app.CRM, Lifecycle: f.app.Lifecycle}
	h := console.New(svc, console.Keys(f.keys), console.WithSecret(secret), console.WithClock(func() time.Time { return now }))
	key := f.tokens[demo.ShanghaiCRKey]
	session := signInTo(t, h, key)
	_, keySecret, _ := strings.Cut(strings.TrimPrefix(key, "dcrm_"), "_")
	require.NotEmpty(t, keySecret)
	assert.NotContains(t, session.Value, keySecret, "the key is not in the cookie")
	get := func(h http.Handler, c *http.Cookie) int {
		req := httptest.NewRequest(http.MethodGet, "/console/tasks", nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	assert.Equal(t, http.StatusOK, get(h, session))
	replica := console.New(svc, console.Keys(f.keys), console.WithSecret(secret), console.WithClock(func() time.Time { return now }))
	assert.Equal(t, http.StatusOK, get(replica, session), "a replica with the same secret opens it")
	other := console.New(svc, console.Keys(f.keys), console.WithClock(func() time.Time { return now }))
	assert.Equal(t, http.StatusSeeOther, get(other, session), "another secret does not")
	b := []byte(session.Value)
	b[len(b)/2] ^= 1
	assert.Equal(t, http.StatusSeeOther, get(h, &http.Cookie{Name: session.Name, Value: string(b)}), "a changed cookie is refused")
	assert.Equal(t, http.StatusSeeOther, get(h, &http.Cookie{Name: session.Name, Value: "x." + key}), "the key in clear is no session")
	now = now.Add(12*time.Hour - time.Second)
	assert.Equal(t, http.StatusOK, get(h, session), "11:59:59 later")
	now = now.Add(time.Second)
	assert.Equal(t, http.StatusSeeOther, get(h, session), "12 hours later the session is over")
}

// signInTo signs in to h with key and returns the session cookie.
func signInTo(t *testing.T, h http.Handler, key string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/signin", nil))
	body := rec.Body.String()
	pre := rec.Result().Cookies()[0]
	form := url.Values{"key": {key}, "csrf": {csrfOf(t, body)}}
	req := httptest.NewRequest(http.MethodPost, "/console/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "dcrm_session" {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func TestRevokedKeySignsOut(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	ctx := context.Background()
	dealer := f.data.Dealers[0].Dealer.ID
	token := f.key(t, dealer, "SH01-CR01", crm.RoleCR)
	b := f.browser(t)
	b.signIn(token)
	res, _ := b.get("/console/tasks")
	require.Equal(t, http.StatusOK, res.StatusCode)
	k, err := f.keys.Authenticate(ctx, token)
	require.NoError(t, err)
	_, err = f.keys.Revoke(ctx, dealer, apikey.ID(k.KeyID))
	require.NoError(t, err)
	res, _ = b.get("/console/tasks")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "a revoked key is signed out on its next request")
	assert.True(t, strings.HasPrefix(res.Header.Get("Location"), "/console/signin"))
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	id := f.customer(t, 0)
	res, _ := b.get("/console/customers/" + string(id))
	require.Equal(t, http.StatusOK, res.StatusCode)
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		assert.Contains(t, csp, want)
	}
	assert.NotContains(t, csp, "unsafe-inline")
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"), "pages with personal data are not cached")

	res, _ = b.get("/console/static/")
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "no directory listing")
	res, body := b.get("/console/no-such-page")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, body, "找不到", "the console's own 404 page")
	assert.NotEmpty(t, res.Header.Get("Content-Security-Policy"))
	res, body = b.get("/console/static/console.css")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, "@media", "the stylesheet adapts to phone widths")
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	task := f.openTask(t, nil)
	other := f.browser(t)
	other.signIn(f.tokens[demo.ShanghaiCRKey])
	_, otherPage := other.get("/console/tasks")
	same := f.browser(t)
	same.signIn(f.tokens[demo.ShanghaiManagerKey])
	_, samePage := same.get("/console/tasks")
	for name, token := range map[string]string{
		"missing":                    "",
		"wrong":                      "AAAA",
		"other key's session":        csrfOf(t, otherPage),
		"another session of the key": csrfOf(t, samePage),
	} {
		t.Run(name, func(t *testing.T) {
			res, _ := b.post("/console/tasks/"+string(task.ID)+"/outcome", token, url.Values{"outcome": {"reached"}})
			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			got, err := f.app.Lifecycle.Tasks().Get(context.Background(), task.DealerID, task.ID)
			require.NoError(t, err)
			assert.True(t, got.Status.Active(), "nothing recorded without the session's token")
		})
	}
	t.Run("cross-origin", func(t *testing.T) {
		_, page := b.get("/console/tasks")
		req, err := http.NewRequest(http.MethodPost, b.url+"/console/tasks/"+string(task.ID)+"/outcome",
			strings.NewReader(url.Values{"outcome": {"reached"}, "csrf": {csrfOf(t, page)}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, _ := b.do(req)
		assert.Equal(t, http.StatusForbidden, res.StatusCode, "http.CrossOriginProtection refuses a cross-site post")
	})
}

// backends runs test on the memory backend and on PostgreSQL (skipped
// without a database).
func backends(t *testing.T, test func(t *testing.T, stores backend.Stores)) {
	t.Run("memory", func(t *testing.T) { test(t, memory.NewStores()) })
	t.Run("postgres", func(t *testing.T) { test(t, postgresStores(t)) })
}

func TestOutcomeRecordedThenOnCustomerPage(t *testing.T) {
	backends(t, testOutcomeRecordedThenOnCustomerPage)
}

func testOutcomeRecordedThenOnCustomerPage(t *testing.T, stores backend.Stores) {
	f := newFixtureOn(t, stores, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	task := f.openTask(t, func(t *lifecycle.Task) bool { return t.CustomerID != "" })
	_, page := b.get("/console/tasks")
	res, _ := b.post("/console/tasks/"+string(task.ID)+"/outcome", csrfOf(t, page),
		url.Values{"outcome": {"reached"}, "note": {"客户下周来店-7391"}, "back": {"/console/tasks?scope=role"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/console/tasks?scope=role", res.Header.Get("Location"), "back to the list")
	_, page = b.get("/console/tasks?scope=role")
	assert.Contains(t, page, "已记录结果：已联系上", "the flash message says what was recorded")

	got, err := f.app.Lifecycle.Tasks().Get(context.Background(), task.DealerID, task.ID)
	require.NoError(t, err)
	assert.Equal(t, crm.OutcomeReached, got.Outcome)

	res, page = b.get("/console/customers/" + string(task.CustomerID))
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, page, "客户下周来店-7391", "the call is in the contact history")
	row := page[strings.Index(page, "客户下周来店-7391")-400:]
	assert.Contains(t, row, "已联系上", "the outcome as a word")
	assert.NotContains(t, row[:400], ">reached<", "not the raw code")

	recs, err := f.audit.List(context.Background(), task.DealerID, crm.AuditFilter{})
	require.NoError(t, err)
	found := 0
	for _, r := range recs.Items {
		if r.Operation == "recordTaskOutcome" {
			found++
			assert.Equal(t, crm.AuditOK, r.Outcome)
			assert.Contains(t, r.Records, string(task.ID))
			assert.Equal(t, crm.StaffID("SH01-SM01"), r.StaffID)
		}
	}
	assert.Equal(t, 1, found, "the outcome is in the audit trail once, as the HTTP API writes it")
}

func TestAppointmentNeedsDate(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	task := f.openTask(t, nil)
	_, page := b.get("/console/tasks")
	res, _ := b.post("/console/tasks/"+string(task.ID)+"/outcome", csrfOf(t, page), url.Values{"outcome": {"appointment_booked"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "a mendable error goes back to the form")
	_, page = b.get("/console/tasks")
	assert.Contains(t, page, "操作未完成：输入有误：appointment_date: 必填", "with an error message naming the field, in Chinese")
	got, err := f.app.Lifecycle.Tasks().Get(context.Background(), task.DealerID, task.ID)
	require.NoError(t, err)
	assert.True(t, got.Status.Active(), "nothing recorded")

	res, _ = b.post("/console/tasks/"+string(task.ID)+"/outcome", csrfOf(t, page),
		url.Values{"outcome": {"appointment_booked"}, "appointment_date": {"2026-03-20"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	got, err = f.app.Lifecycle.Tasks().Get(context.Background(), task.DealerID, task.ID)
	require.NoError(t, err)
	assert.Equal(t, "2026-03-20", got.AppointmentDate.String())
}

func TestReassignIsForManagers(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	dealer := f.data.Dealers[0].Dealer.ID
	consultant := f.browser(t)
	consultant.signIn(f.tokens[demo.ShanghaiConsultantKey])
	task := f.openTask(t, func(t *lifecycle.Task) bool { return t.AssigneeID == "SH01-SC01" })
	_, page := consultant.get("/console/tasks")
	assert.NotContains(t, page, "/assign", "no reassign form for a consultant")
	res, _ := consultant.post("/console/tasks/"+string(task.ID)+"/assign", csrfOf(t, page), url.Values{"staff_id": {"SH01-SC02"}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "refused on the server, whatever the page shows")
	recs, err := f.audit.List(context.Background(), dealer, crm.AuditFilter{})
	require.NoError(t, err)
	denied := false
	for _, r := range recs.Items {
		denied = denied || (r.Operation == "assignTask" && r.Outcome == crm.AuditDenied)
	}
	assert.True(t, denied, "the refusal is audited")

	manager := f.browser(t)
	manager.signIn(f.tokens[demo.ShanghaiManagerKey])
	_, page = manager.get("/console/tasks")
	res, _ = manager.post("/console/tasks/"+string(task.ID)+"/assign", csrfOf(t, page), url.Values{"staff_id": {"SH01-SC02"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	got, err := f.app.Lifecycle.Tasks().Get(context.Background(), dealer, task.ID)
	require.NoError(t, err)
	assert.Equal(t, crm.StaffID("SH01-SC02"), got.AssigneeID)

	res, _ = manager.post("/console/tasks/"+string(task.ID)+"/skip", csrfOf(t, page), url.Values{"reason": {"客户已出国"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	got, err = f.app.Lifecycle.Tasks().Get(context.Background(), dealer, task.ID)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusSkipped, got.Status)
}

// TestOtherDealersRecords opens the records of the Suzhou store with a
// Shanghai key: not found, and nothing of them shown.
func TestOtherDealersRecords(t *testing.T) {
	backends(t, testOtherDealersRecords)
}

func testOtherDealersRecords(t *testing.T, stores backend.Stores) {
	f := newFixtureOn(t, stores, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	ctx := context.Background()
	sz := f.data.Dealers[1].Dealer.ID
	cs, err := f.app.CRM.ListCustomers(ctx, sz, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.NotEmpty(t, cs.Items)
	res, body := b.get("/console/customers/" + string(cs.Items[0].ID))
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.NotContains(t, body, cs.Items[0].Name)
	assert.NotContains(t, body, cs.Items[0].Mobile)
	res, _ = b.get("/console/members/" + string(cs.Items[0].ID))
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	ts, err := f.app.Lifecycle.ListTasks(ctx, sz, lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen}, PageRequest: crm.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.NotEmpty(t, ts.Items)
	_, page := b.get("/console/tasks")
	res, _ = b.post("/console/tasks/"+string(ts.Items[0].ID)+"/outcome", csrfOf(t, page), url.Values{"outcome": {"reached"}})
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	got, err := f.app.Lifecycle.Tasks().Get(ctx, sz, ts.Items[0].ID)
	require.NoError(t, err)
	assert.True(t, got.Status.Active(), "the other store's task is untouched")
}

// TestConsultantSeesOwnLeadsAndTasks signs in as consultant SH01-SC01: the
// lead board and the call list hold their own leads and tasks, none of
// another consultant's.
func TestConsultantSeesOwnLeadsAndTasks(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	ctx := context.Background()
	dealer := f.data.Dealers[0].Dealer.ID
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiConsultantKey])
	res, board := b.get("/console/leads")
	require.Equal(t, http.StatusOK, res.StatusCode)
	leads, err := crm.All(ctx, func(after string) (crm.Page[crm.Lead], error) {
		return f.app.CRM.ListLeads(ctx, dealer, crm.LeadFilter{Status: crm.LeadOpen, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	require.NoError(t, err)
	own, others := 0, 0
	for _, l := range leads {
		if l.ConsultantID == "SH01-SC01" {
			own++
			assert.Contains(t, board, `id="lead-`+string(l.ID)+`"`, "own lead %s on the board", l.ID)
		} else {
			others++
			assert.NotContains(t, board, `id="lead-`+string(l.ID)+`"`, "another consultant's lead %s is not", l.ID)
		}
	}
	require.Positive(t, own, "the demo gives SH01-SC01 open leads")
	require.Positive(t, others, "and other consultants too")

	// A call due today given to SH01-SC01, whose own tasks the demo has
	// due later.
	mine := f.openTask(t, func(t *lifecycle.Task) bool { return t.AssigneeID != "SH01-SC01" && !t.Due.After(f.data.Options.Today) })
	_, err = f.app.Lifecycle.Reassign(ctx, dealer, mine.ID, "SH01-SC01")
	require.NoError(t, err)
	res, list := b.get("/console/tasks")
	require.Equal(t, http.StatusOK, res.StatusCode, list)
	assert.Contains(t, list, `id="task-`+string(mine.ID)+`"`)
	ts, err := f.app.Lifecycle.ListTasks(ctx, dealer, lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen, lifecycle.StatusOverdue},
		PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
	require.NoError(t, err)
	shown := 0
	for _, task := range ts.Items {
		if task.AssigneeID != "SH01-SC01" {
			assert.NotContains(t, list, `id="task-`+string(task.ID)+`"`, "task %s of %s is not on the consultant's list", task.ID, task.AssigneeID)
		} else if strings.Contains(list, `id="task-`+string(task.ID)+`"`) {
			shown++
		}
	}
	assert.Positive(t, shown, "the consultant's own tasks are")

	// Working another's task is refused.
	for _, task := range ts.Items {
		if task.AssigneeID != "SH01-SC01" {
			res, _ := b.post("/console/tasks/"+string(task.ID)+"/skip", csrfOf(t, list), url.Values{"reason": {"x"}})
			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			break
		}
	}
}

// TestPhoneMaskedByRole gives a role the call list and customers without
// personal_data: every phone number is masked as the HTTP API masks it.
func TestPhoneMaskedByRole(t *testing.T) {
	roles := crm.DefaultRoles()
	roles["viewer"] = []crm.Permission{crm.PermDealerRead, crm.PermTasksRead, crm.PermCustomersRead, crm.PermAllTasks, crm.PermAllLeads}
	f := newFixture(t, testCustomers, nil, console.WithRoles(roles))
	dealer := f.data.Dealers[0].Dealer.ID
	id := f.customer(t, 0)
	c, err := f.app.CRM.GetCustomer(context.Background(), dealer, id)
	require.NoError(t, err)
	require.NotEmpty(t, c.Mobile)

	viewer := f.browser(t)
	f.fixed["viewer-key"] = crm.Principal{Dealer: dealer, Roles: []crm.Role{"viewer"}}
	viewer.signIn("viewer-key")
	res, page := viewer.get("/console/customers/" + string(id))
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotContains(t, page, c.Mobile, "the number in full is not shown")
	assert.Contains(t, page, httpapi.MaskPhone(c.Mobile), "it is masked as the HTTP API masks it")
	// A number standing on its own: the hex of a record's ID in a link
	// may hold eleven digits in a row (…-15671583091d).
	mobile := regexp.MustCompile(`(^|[^0-9A-Za-z_-])1[3-9]\d{9}([^0-9A-Za-z_-]|$)`)
	_, list := viewer.get("/console/tasks")
	assert.NotRegexp(t, mobile, list, "no mobile number in full on the call list")
	_, board := viewer.get("/console/leads")
	assert.NotRegexp(t, mobile, board, "nor on the lead board")

	manager := f.browser(t)
	manager.signIn(f.tokens[demo.ShanghaiManagerKey])
	_, page = manager.get("/console/customers/" + string(id))
	assert.Contains(t, page, c.Mobile, "a manager sees it in full")
}

func TestLanguages(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	_, page := b.get("/console/tasks")
	assert.Contains(t, page, `<html lang="zh-CN">`, "Chinese by default")
	assert.Contains(t, page, "今日待办")
	_, page = b.get("/console/tasks", "Accept-Language", "en-US,en;q=0.9")
	assert.Contains(t, page, "Calls for 2026-03-16", "English by Accept-Language")

	res, _ := b.get("/console/lang?to=en&back=%2Fconsole%2Fleads")
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/console/leads", res.Header.Get("Location"))
	_, page = b.get("/console/leads")
	assert.Contains(t, page, `<html lang="en">`, "the switch sticks")
	assert.Contains(t, page, "Lead board")
	assert.Contains(t, page, `/console/lang?to=zh-CN`, "and offers the way back")

	res, _ = b.get("/console/lang?to=en&back=https%3A%2F%2Fevil.example%2F")
	assert.Equal(t, "/console/tasks", res.Header.Get("Location"), "never a redirect off the console")
}

func TestLostDecision(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	ctx := context.Background()
	dealer := f.data.Dealers[0].Dealer.ID
	leads, err := crm.All(ctx, func(after string) (crm.Page[crm.Lead], error) {
		return f.app.CRM.ListLeads(ctx, dealer, crm.LeadFilter{Status: crm.LeadOpen, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	require.NoError(t, err)
	var pending *crm.Lead
	for i := range leads {
		if _, ok := leads[i].PendingLostRequest(); ok {
			pending = &leads[i]
		}
	}
	require.NotNil(t, pending, "the demo has a pending lost request")

	cr := f.browser(t)
	cr.signIn(f.tokens[demo.ShanghaiCRKey])
	_, board := cr.get("/console/leads")
	assert.Contains(t, board, pending.Name)
	assert.NotContains(t, board, "/lost-decision", "CR cannot decide")

	manager := f.browser(t)
	manager.signIn(f.tokens[demo.ShanghaiManagerKey])
	_, board = manager.get("/console/leads")
	require.Contains(t, board, "/console/leads/"+string(pending.ID)+"/lost-decision")
	res, _ := manager.post("/console/leads/"+string(pending.ID)+"/lost-decision", csrfOf(t, board),
		url.Values{"decision": {"reject"}, "note": {"继续跟进"}, "back": {"/console/leads"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, board = manager.get("/console/leads")
	assert.Contains(t, board, "已驳回战败申请")
	l, err := f.app.CRM.GetLead(ctx, dealer, pending.ID)
	require.NoError(t, err)
	_, still := l.PendingLostRequest()
	assert.False(t, still, "decided")
}

func TestMembersAndStatement(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiCRKey])
	res, page := b.get("/console/members")
	require.Equal(t, http.StatusOK, res.StatusCode)
	i := strings.Index(page, `href="/console/members/`)
	require.Positive(t, i, "the demo's members are listed")
	link := page[i+len(`href="`):]
	link = link[:strings.Index(link, `"`)]
	res, page = b.get(link + "?as_of=2026-01-01")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, page, "积分对账单（截至 2026-01-01）")
	assert.Contains(t, page, `<label for="as_of">`)
	res, _ = b.get(link + "?as_of=yesterday")
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a bad date is the user's error, named, as the API answers it")
}

func TestSearch(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiCRKey])
	c, err := f.app.CRM.GetCustomer(context.Background(), f.data.Dealers[0].Dealer.ID, f.customer(t, 0))
	require.NoError(t, err)
	for _, q := range []string{c.Mobile, c.Name} {
		_, page := b.get("/console/customers?q=" + url.QueryEscape(q))
		assert.Contains(t, page, "/console/customers/"+string(c.ID), "found by %q", q)
	}
	_, page := b.get("/console/customers?q=" + url.QueryEscape("不存在的人"))
	assert.Contains(t, page, "没有找到匹配的客户")
}

func TestDashboardDrawsEveryChart(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	res, page := b.get("/console/dashboard")
	require.Equal(t, http.StatusOK, res.StatusCode)
	for _, id := range []string{"churn", "rates", "grades", "pareto", "csi-0", "quadrant-0", "funnel-0", "channels"} {
		i := strings.Index(page, `id="chart-`+id+`"`)
		if assert.Positive(t, i, "chart %s", id) {
			section := page[i:]
			section = section[:strings.Index(section, "</section>")]
			assert.Contains(t, section, "<svg", "chart %s is drawn", id)
			assert.NotContains(t, section, "chart-empty", "chart %s has data", id)
		}
	}
	consultant := f.browser(t)
	consultant.signIn(f.tokens[demo.ShanghaiConsultantKey])
	res, page = consultant.get("/console/dashboard")
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "reports are for roles with reports.read")
	assert.NotContains(t, page, `href="/console/dashboard"`, "and not in a consultant's navigation")
}

// customer returns the ID of the i-th customer of the Shanghai store that
// has a mobile number.
func (f *fixture) customer(tb testing.TB, i int) crm.CustomerID {
	tb.Helper()
	cs, err := f.app.CRM.ListCustomers(context.Background(), f.data.Dealers[0].Dealer.ID, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 100}})
	require.NoError(tb, err)
	for _, c := range cs.Items {
		if c.Mobile != "" && c.Kind == crm.Individual {
			if i == 0 {
				return c.ID
			}
			i--
		}
	}
	tb.Fatal("no customer")
	return ""
}

// openTask returns an open or overdue task of the Shanghai store that
// keep accepts (any when nil).
func (f *fixture) openTask(tb testing.TB, keep func(*lifecycle.Task) bool) lifecycle.Task {
	tb.Helper()
	ts, err := f.app.Lifecycle.ListTasks(context.Background(), f.data.Dealers[0].Dealer.ID,
		lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen, lifecycle.StatusOverdue}, PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
	require.NoError(tb, err)
	for _, t := range ts.Items {
		if keep == nil || keep(&t) {
			return t
		}
	}
	tb.Fatal("no open task")
	return lifecycle.Task{}
}

// TestEveryInputLabelled reads every page and finds a <label for> for each
// input and select a person fills in.
func TestEveryInputLabelled(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	b := f.browser(t)
	_, page := b.get("/console/signin")
	pages := map[string]string{"signin": page}
	b.signIn(f.tokens[demo.ShanghaiManagerKey])
	id := string(f.customer(t, 0))
	for _, p := range []string{"/console/tasks", "/console/customers?q=a", "/console/customers/" + id, "/console/leads", "/console/members", "/console/dashboard"} {
		res, body := b.get(p)
		require.Equal(t, http.StatusOK, res.StatusCode, p)
		pages[p] = body
	}
	_, members := b.get("/console/members")
	if i := strings.Index(members, `href="/console/members/`); i > 0 {
		link := members[i+len(`href="`):]
		_, pages["member"] = b.get(link[:strings.Index(link, `"`)])
	}
	rawCode := regexp.MustCompile(`\b(console|kind|outcome|purpose|stage|tier|channel|payer|severity|entry_kind|member_status|complaint_status|customer_kind|lost_reason|owner_role)\.[a-z_]+`)
	for name, body := range pages {
		assert.Empty(t, rawCode.FindAllString(strings.NewReplacer("console.css", "", "console.js", "").Replace(body), -1),
			"%s shows message codes the catalog does not know", name)
	}
	field := regexp.MustCompile(`<(input|select)\b[^>]*>`)
	idAttr := regexp.MustCompile(`\bid="([^"]+)"`)
	checked := 0
	for name, body := range pages {
		for _, tag := range field.FindAllString(body, -1) {
			if strings.Contains(tag, `type="hidden"`) {
				continue
			}
			m := idAttr.FindStringSubmatch(tag)
			if assert.NotNil(t, m, "%s: %s has an id", name, tag) {
				assert.Contains(t, body, `<label for="`+m[1]+`">`, "%s: %s has a label", name, tag)
				checked++
			}
		}
	}
	assert.Greater(t, checked, 20)
}

func TestSearchByPlate(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	ctx := context.Background()
	dealer := f.data.Dealers[0].Dealer.ID
	vs, err := f.app.CRM.ListVehicles(ctx, dealer, crm.VehicleFilter{PageRequest: crm.PageRequest{Limit: 100}})
	require.NoError(t, err)
	var v crm.Vehicle
	for _, x := range vs.Items {
		if x.Plate != "" && x.OwnerID != "" {
			v = x
			break
		}
	}
	require.NotEmpty(t, v.Plate)
	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiCRKey])
	// Typed without the dot, in lower case: 沪a12345 finds 沪A·12345.
	q := strings.ToLower(strings.ReplaceAll(v.Plate, "·", ""))
	_, page := b.get("/console/customers?q=" + url.QueryEscape(q))
	assert.Contains(t, page, "/console/customers/"+string(v.OwnerID), "found by plate %q", q)
}

func TestPrefix(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	h := console.New(console.Services{CRM: f.app.CRM, Lifecycle: f.app.Lifecycle}, console.Keys(f.keys),
		console.WithPrefix("/crm"), console.WithInsecureCookies())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/crm/tasks", nil))
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.True(t, strings.HasPrefix(rec.Header().Get("Location"), "/crm/signin"), "paths under the prefix")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/crm/signin", nil))
	assert.Contains(t, rec.Body.String(), `action="/crm/signin"`)
	assert.Contains(t, rec.Body.String(), `href="/crm/static/console.css"`)
	for _, c := range rec.Result().Cookies() {
		assert.Equal(t, "/crm/", c.Path)
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/crm/members", nil)
	req.AddCookie(sessionAt(t, h, "/crm/", f.tokens[demo.ShanghaiManagerKey]))
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusNotFound, rec.Code, "no 会员 page without the loyalty service")
	assert.NotContains(t, rec.Body.String(), `href="/crm/members"`, "nor in the navigation")
}
