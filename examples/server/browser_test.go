package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
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
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost"),
		chromedp.Flag("lang", "zh-CN"),
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
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.away) > 0 {
			t.Errorf("the pages asked for more than localhost: %q", b.away)
		}
	})
	return b
}

// listen notes every request for a host other than the loopback one.
func (b *browser) listen(ev any) {
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

// shot writes a full-page PNG of what the browser shows to name.png at
// laptop width, and to name-phone.png at phone width when phone is set.
func (b *browser) shot(name string, phone bool) {
	b.t.Helper()
	b.save(name + ".png")
	if phone {
		b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateScale(1)))
		b.save(name + "-phone.png")
		b.do(chromedp.EmulateViewport(laptopWidth, laptopHeight))
	}
}

func (b *browser) save(file string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(b.t, err, "screenshot %s", file)
	path := filepath.Join(b.dir, file)
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot %s (%d KB)", path, len(png)/1024)
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
	page := `data:text/html;charset=utf-8,` + url.PathEscape(`<!doctype html><title>t</title><p>今日待办 Today</p><img src="https://example.com/x.png">`)
	b.open(page)
	require.True(t, strings.Contains(b.text(), "今日待办"), "the page renders")
	b.shot("harness", true)
	require.FileExists(t, filepath.Join(b.dir, "harness-phone.png"))
	b.mu.Lock()
	away := b.away
	b.away = nil // expected here: the page asked for example.com on purpose
	b.mu.Unlock()
	require.Equal(t, []string{"https://example.com/x.png"}, away, "a request that leaves localhost is noticed")
}
