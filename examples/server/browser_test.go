package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The browser test's switches, read from the environment.
const (
	// requireBrowserEnv set to 1 makes a missing chromium fail the test
	// instead of skipping it (.ci/run sets it).
	requireBrowserEnv = "DEALERCRM_REQUIRE_BROWSER"
	// screenshotsEnv names the folder the screenshots go to; unset, a
	// temporary folder of the test, named in its log.
	screenshotsEnv = "DEALERCRM_SCREENSHOTS"
)

// Viewports of the screenshots: a laptop and a phone.
const (
	laptopWidth, laptopHeight = 1280, 900
	phoneWidth, phoneHeight   = 390, 844
)

// browser is a headless Debian chromium driven by chromedp, allowed to
// reach nothing but the local test server.
type browser struct {
	t    *testing.T
	ctx  context.Context
	dir  string // screenshots
	mu   sync.Mutex
	away []string // requests that tried to leave localhost
	errs []string // script exceptions and errors the browser logged (a CSP violation is one)
}

// chromiumPath finds Debian's chromium on PATH, or skips the test (fails it
// under DEALERCRM_REQUIRE_BROWSER=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err == nil {
		return path
	}
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatalf("chromium is not on PATH and %s=1: install it with apt-get install -y chromium fonts-wqy-microhei (.ci/run does)", requireBrowserEnv)
	}
	t.Skipf("chromium is not on PATH (apt-get install -y chromium fonts-wqy-microhei; %s=1 makes this a failure)", requireBrowserEnv)
	return ""
}

// newBrowser starts chromium headless, without sandbox (the test runs as
// root in CI) or GPU, with a fresh profile and no network beyond the
// loopback interface: a proxy that does not exist for every other host and
// a resolver that finds no name but localhost.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Logf("screenshots go to %s (set %s to keep them elsewhere)", dir, screenshotsEnv)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"), // loopback bypasses a proxy; nothing else gets out
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
		chromedp.Flag("accept-lang", "zh-CN,zh"), // a Chinese CR department's browser
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(laptopWidth, laptopHeight),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t, dir: dir}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b.ctx = ctx
	// The first run starts the browser, on the context without a timeout:
	// a timeout there would stop the whole browser when it ran out.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(laptopWidth, laptopHeight)), "start %s", path)
	_, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	require.NoError(t, err, "Log.enable")
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.away) > 0 {
			t.Errorf("the pages asked for more than localhost: %q", b.away)
		}
		if len(b.errs) > 0 {
			t.Errorf("the browser reported errors: %q", b.errs)
		}
	})
	return b
}

// listen notes every request for a host other than the loopback one, and
// every script exception or error the browser logs, but a failed request
// (the favicon the console does not have).
func (b *browser) listen(ev any) {
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		if e.ExceptionDetails != nil {
			b.mu.Lock()
			b.errs = append(b.errs, "exception: "+e.ExceptionDetails.Text)
			b.mu.Unlock()
		}
		return
	case *cdplog.EventEntryAdded:
		if e.Entry != nil && e.Entry.Level == cdplog.EntryLevelError && e.Entry.Source != cdplog.EntrySourceNetwork {
			b.mu.Lock()
			b.errs = append(b.errs, string(e.Entry.Source)+": "+e.Entry.Text)
			b.mu.Unlock()
		}
		return
	}
	e, ok := ev.(*network.EventRequestWillBeSent)
	if !ok || e.Request == nil {
		return
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return
	}
	switch u.Scheme {
	case "data", "about", "blob":
		return
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		b.mu.Lock()
		b.away = append(b.away, e.Request.URL)
		b.mu.Unlock()
	}
}

// do runs the steps with a time limit.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, steps...))
}

// eval runs a script in the page and returns its value.
func eval[T any](b *browser, script string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script))
	require.NoError(b.t, err, "script %s", script)
	return v
}

// open navigates to u and waits for the page's body.
func (b *browser) open(u string) {
	b.t.Helper()
	b.do(chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("body")))
}

// shot checks that every form control of the page has a label, and writes
// a full-page PNG of what the browser shows to name.png at laptop width,
// and to name-phone.png at phone width when phone is set.
func (b *browser) shot(name string, phone bool) {
	b.t.Helper()
	assert.Empty(b.t, b.unlabelled(), "every form control of %s has a label", name)
	b.save(name + ".png")
	if phone {
		b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateScale(1)))
		// Usable on a phone: nothing makes the page wider than the screen
		// (wide tables scroll inside their own box).
		w := eval[int](b, `document.documentElement.scrollWidth`)
		assert.LessOrEqual(b.t, w, phoneWidth, "%s is no wider than a phone's %d px", name, phoneWidth)
		b.save(name + "-phone.png")
		b.do(chromedp.EmulateViewport(laptopWidth, laptopHeight))
	}
}

// top writes a PNG of the first screen only (1280×900) to name-top.png:
// the size of the README's pictures (docs/img).
func (b *browser) top(name string) {
	b.t.Helper()
	b.capture(name+"-top.png", chromedp.CaptureScreenshot())
}

func (b *browser) save(file string) {
	b.t.Helper()
	b.capture(file, chromedp.FullScreenshot(100))
}

func (b *browser) capture(file string, shoot chromedp.Action[[]byte]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shoot)
	require.NoError(b.t, err, "screenshot %s", file)
	path := filepath.Join(b.dir, file)
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot %s (%d KB)", path, len(png)/1024)
}

// unlabelled lists the form controls of the page that a screen reader
// could not name: no <label>, aria-label or aria-labelledby (hidden inputs
// and buttons, named by their text, aside).
func (b *browser) unlabelled() []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll('input, select, textarea')]
		.filter(e => e.type !== 'hidden' && e.type !== 'submit' && e.type !== 'button')
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
		.map(e => e.outerHTML.slice(0, 120))`)
}

// text is the visible text of the page.
func (b *browser) text() string {
	b.t.Helper()
	return eval[string](b, `document.body.innerText`)
}

// TestBrowserHarness proves the harness on a page of the server's own: the
// browser starts, reaches the local server and nothing else, and writes a
// screenshot. The console scenario builds on it.
func TestBrowserHarness(t *testing.T) {
	b := newBrowser(t)
	page := `data:text/html;charset=utf-8,` + url.PathEscape(`<!doctype html><meta name="viewport" content="width=device-width"><meta http-equiv="Content-Security-Policy" content="script-src 'none'">`+
		`<title>t</title><p>今日待办 Today</p><input id="q"><img src="https://example.com/x.png"><script>document.title = "ran"</script>`)
	b.open(page)
	require.True(t, strings.Contains(b.text(), "今日待办"), "the page renders")
	require.Len(t, b.unlabelled(), 1, "an input without a label is noticed")
	eval[bool](b, `(() => { const l = document.createElement('label'); l.htmlFor = 'q'; l.textContent = '搜索'; document.body.append(l); return true; })()`)
	b.shot("harness", true)
	require.FileExists(t, filepath.Join(b.dir, "harness-phone.png"))
	b.mu.Lock()
	away := b.away
	errs := b.errs
	b.away, b.errs = nil, nil // expected here: the page does both on purpose
	b.mu.Unlock()
	require.Equal(t, []string{"https://example.com/x.png"}, away, "a request that leaves localhost is noticed")
	require.Len(t, errs, 1, "the inline script's CSP violation is noticed: %q", errs)
	require.Contains(t, errs[0], "Content Security Policy")
	require.Equal(t, "t", eval[string](b, `document.title`), "the blocked script did not run")
}

// word is the console's word for code in lang ("zh-CN" or "en"), from the
// catalog the console renders with: the test finds things by the labels a
// person reads.
func word(lang, code string) string {
	cat := i18n.Default()
	return cat.Render(cat.Match(lang), code, nil)
}

// navTo follows the main navigation's link labelled label.
func (b *browser) navTo(label string) {
	b.t.Helper()
	href := eval[string](b, fmt.Sprintf(`(() => { const a = [...document.querySelectorAll('nav a')].find(a => a.textContent.trim() === %q); return a ? a.href : ""; })()`, label))
	require.NotEmpty(b.t, href, "the navigation has a link %q: %s", label, b.text())
	b.open(href)
	assert.Equal(b.t, label, eval[string](b, `(document.querySelector('nav a[aria-current=page]') || {textContent: ""}).textContent.trim()`), "%s is the current page", label)
}

// submit clicks the button and waits for the page the form leads to.
func (b *browser) submit(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	require.NoError(b.t, err, "submit %s", sel)
	require.NotNil(b.t, resp, "submit %s: a page came back", sel)
	require.Less(b.t, resp.Status, int64(400), "submit %s: status %d", sel, resp.Status)
	b.do(chromedp.WaitReady(chromedp.CSS("body")))
}

// signIn signs in to the console with an API key through its form.
func (b *browser) signIn(base, key string) {
	b.t.Helper()
	b.open(base + "/console/signin")
	b.do(chromedp.SetValue(chromedp.ID("key"), key))
	b.submit(`form[action$="signin"] button[type=submit]`)
	require.NotZero(b.t, eval[int](b, `document.querySelectorAll('nav a').length`), "signed in, the navigation shows: %s", b.text())
}

// signOut signs out through the header's button.
func (b *browser) signOut() {
	b.t.Helper()
	b.submit(`form[action$="signout"] button[type=submit]`)
}

// roleKeys reads the per-role keys of the first store from the banner.
func roleKeys(t *testing.T, bn banner) map[string]string {
	t.Helper()
	keys := map[string]string{}
	for _, line := range bn.lines {
		if m := roleKeyRE.FindStringSubmatch(line); m != nil {
			keys[m[1]] = m[2]
		}
	}
	require.Contains(t, keys, "cr", "the banner prints a CR specialist's key: %q", bn.lines)
	require.Contains(t, keys, "consultant", "the banner prints a consultant's key: %q", bn.lines)
	require.Contains(t, keys, "manager", "the banner prints a manager's key: %q", bn.lines)
	return keys
}

// leadsByConsultant lists the store's leads through the HTTP API with key
// (a manager's) as lead ID → consultant.
func leadsByConsultant(t *testing.T, base, key string) map[string]string {
	t.Helper()
	out := map[string]string{}
	next := ""
	for {
		var page struct {
			Items []struct {
				ID           string `json:"id"`
				ConsultantID string `json:"consultant_id"`
			} `json:"items"`
			Next string `json:"next"`
		}
		u := base + "/v1/leads?limit=200"
		if next != "" {
			u += "&after=" + url.QueryEscape(next)
		}
		getJSON(t, u, key, &page)
		for _, it := range page.Items {
			out[it.ID] = it.ConsultantID
		}
		if page.Next == "" || len(out) > 5000 {
			return out
		}
		next = page.Next
	}
}

// chartsDrawn describes every chart of the page: its name, whether it
// says it has no data, and how many of its data marks have an area or a
// length on screen.
type chartDrawn struct {
	Label string `json:"label"`
	Empty bool   `json:"empty"`
	Marks int    `json:"marks"`
	Drawn int    `json:"drawn"`
}

const chartsScript = `[...document.querySelectorAll('svg[role=img]')].map(s => {
	const marks = [...s.querySelectorAll('.mark')];
	return {
		label: s.getAttribute('aria-label') || '',
		empty: s.classList.contains('chart-empty'),
		marks: marks.length,
		drawn: marks.filter(m => { const r = m.getBoundingClientRect(); return r.width > 0 || r.height > 0; }).length,
	};
})`

// TestConsoleInBrowser is issue 18's browser test: the console of the
// example server in a real chromium, as a CR specialist and as a sales
// consultant would use it, with a screenshot of each page.
func TestConsoleInBrowser(t *testing.T) {
	b := newBrowser(t)
	bn, _, _, _ := start(t, "-addr", "127.0.0.1:0", "-customers", "60")
	keys := roleKeys(t, bn)
	resp, err := http.Get(bn.base + "/console/signin")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the example server serves the console at /console/")

	// Sign in as the CR specialist: the console is in Chinese.
	b.open(bn.base + "/console/")
	assert.Equal(t, "zh-CN", eval[string](b, `document.documentElement.lang`))
	b.shot("01-signin", false)
	b.signIn(bn.base, keys["cr"])

	// 今日待办: record an outcome on the first task, with a note of our own.
	b.navTo(word("zh-CN", "console.nav.tasks"))
	b.shot("02-tasks", true)
	b.top("02-tasks")
	type task struct {
		ID       string `json:"id"`
		Customer string `json:"customer"`
		URL      string `json:"url"`
	}
	// The first task whose customer's name links to a 360 page (a lead's
	// prospect may have none).
	first := eval[task](b, `(() => {
		for (const f of document.querySelectorAll('form[action$="/outcome"]')) {
			const a = f.closest('section').querySelector('h2 a');
			if (a) return {id: f.closest('[id^="task-"]').id.slice(5), customer: a.textContent.trim(), url: a.href};
		}
		return {id: "", customer: "", url: ""};
	})()`)
	require.NotEmpty(t, first.ID, "today's list has a task to work on: %s", b.text())
	require.NotEmpty(t, first.URL, "the task's customer links to the 360 page")
	note := fmt.Sprintf("浏览器测试 %d", time.Now().UnixNano())
	reached := word("zh-CN", "outcome.reached")
	// The outcome is chosen by the word on the option, the note typed.
	chosen := eval[bool](b, fmt.Sprintf(`(() => {
		const sel = document.getElementById(%q);
		const o = [...sel.options].find(o => o.textContent.trim() === %q);
		if (!o) return false;
		sel.value = o.value;
		sel.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, "o-"+first.ID, reached))
	require.True(t, chosen, "the outcome list offers %q", reached)
	b.do(chromedp.SendKeys(chromedp.ID("n-"+first.ID), note))
	b.submit(fmt.Sprintf(`#task-%s form[action$="/outcome"] button[type=submit]`, first.ID))
	flash := eval[string](b, `(document.querySelector('[role=status]') || {textContent: ""}).textContent`)
	assert.Contains(t, flash, reached, "the page says the outcome was recorded")
	assert.Zero(t, eval[int](b, fmt.Sprintf(`document.querySelectorAll('#task-%s form[action$="/outcome"]').length`, first.ID)), "the task left the list")

	// 客户360: the outcome and note are in the contact history.
	b.open(first.URL)
	history := eval[string](b, fmt.Sprintf(`(() => {
		const h = [...document.querySelectorAll('h2')].find(h => h.textContent.trim() === %q);
		return h ? h.closest('section').innerText : "";
	})()`, word("zh-CN", "console.customer.interactions")))
	require.NotEmpty(t, history, "the 360 page of %s has a contact history", first.Customer)
	assert.Contains(t, history, note, "the note is in the contact history")
	assert.Contains(t, history, reached, "and the outcome")
	b.shot("03-customer", true)

	// 仪表盘: every chart drawn, with data.
	b.navTo(word("zh-CN", "console.nav.dashboard"))
	charts := eval[[]chartDrawn](b, chartsScript)
	require.GreaterOrEqual(t, len(charts), 6, "the dashboard draws its charts: %+v", charts)
	for _, c := range charts {
		assert.NotEmpty(t, c.Label, "every chart has an accessible name")
		assert.False(t, c.Empty, "%q has data", c.Label)
		assert.Positive(t, c.Drawn, "%q draws its data (%d marks)", c.Label, c.Marks)
	}
	b.shot("04-dashboard", true)
	b.top("04-dashboard")

	// English.
	b.do(chromedp.Click(chromedp.CSS(`a[href*="lang?to=en"]`), chromedp.NodeVisible))
	b.do(chromedp.WaitReady(chromedp.CSS(`html[lang="en"]`)))
	en := b.text()
	assert.Contains(t, en, word("en", "console.nav.dashboard"), "English navigation")
	assert.Contains(t, en, word("en", "console.nav.tasks"))
	assert.NotContains(t, en, word("zh-CN", "console.nav.tasks"), "no Chinese navigation left")
	assert.Len(t, eval[[]chartDrawn](b, chartsScript), len(charts), "the same charts in English")
	b.shot("05-dashboard-en", false)
	b.do(chromedp.Click(chromedp.CSS(`a[href*="lang?to=zh"]`), chromedp.NodeVisible))
	b.do(chromedp.WaitReady(chromedp.CSS(`html[lang="zh-CN"]`)))
	b.signOut()

	// A sales consultant sees their own leads and no other consultant's.
	all := leadsByConsultant(t, bn.base, keys["manager"])
	me := consultantOf(t, bn)
	var theirs, mine int
	for _, c := range all {
		if c == me {
			mine++
		} else {
			theirs++
		}
	}
	require.Positive(t, theirs, "the demo store has leads of other consultants than %s", me)
	require.Positive(t, mine, "and of %s", me)
	b.signIn(bn.base, keys["consultant"])
	b.navTo(word("zh-CN", "console.nav.leads"))
	shown := eval[[]string](b, `[...document.querySelectorAll('[id^="lead-"]')].map(e => e.id.slice(5))`)
	require.NotEmpty(t, shown, "the consultant's lead board shows their leads: %s", b.text())
	for _, id := range shown {
		assert.Equal(t, me, all[id], "lead %s on %s's board is theirs", id, me)
	}
	b.shot("06-leads-consultant", true)
}

// consultantOf is the staff ID of the banner's consultant key.
func consultantOf(t *testing.T, bn banner) string {
	t.Helper()
	for _, line := range bn.lines {
		if m := roleKeyRE.FindStringSubmatch(line); m != nil && m[1] == "consultant" {
			f := strings.Fields(line)
			require.GreaterOrEqual(t, len(f), 2, "%q", line)
			return f[1]
		}
	}
	t.Fatalf("no consultant in the banner: %q", bn.lines)
	return ""
}
