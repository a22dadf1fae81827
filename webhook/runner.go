package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Runner delivers the events of every due subscription of a store: it
// claims subscriptions (Store.Claim, a lease each, so that runners on
// several replicas share the work and no subscription has two workers),
// and for each sends the events after its cursor in sequence order,
// moving the cursor after each 2xx. A failing event holds its
// subscription until it is delivered, retried with backoff; a
// subscription that fails for longer than DisableAfter is disabled.
type Runner struct {
	store  Store
	events crm.EventStore
	cfg    config
	client *http.Client

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	purgeAt time.Time
}

// NewRunner returns a Runner of the subscriptions in store, reading the
// events of events.
func NewRunner(store Store, events crm.EventStore, opts ...Option) (*Runner, error) {
	if store == nil || events == nil {
		return nil, errors.New("webhook: NewRunner needs a store and an event store")
	}
	cfg := newConfig(opts)
	if cfg.lease <= cfg.timeout {
		return nil, fmt.Errorf("webhook: the lease (%s) must exceed the request timeout (%s)", cfg.lease, cfg.timeout)
	}
	if cfg.batch <= 0 || cfg.concurrency <= 0 {
		return nil, errors.New("webhook: batch and concurrency must be positive")
	}
	return &Runner{store: store, events: events, cfg: cfg, client: newClient(cfg)}, nil
}

// newClient is the outbound client: a timeout per request, no redirects
// (a 3xx is a failure), and unless allowed, a dialler that refuses
// non-public addresses after name resolution, so that DNS answers
// (rebinding included) cannot point a request into the host's network.
func newClient(cfg config) *http.Client {
	d := &net.Dialer{Timeout: cfg.timeout, KeepAlive: 30 * time.Second}
	if !cfg.allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !Public(ap.Addr()) {
				return fmt.Errorf("webhook: %s is not a public address", address)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy: nil, DialContext: d.DialContext, ForceAttemptHTTP2: true,
		MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: cfg.timeout, ResponseHeaderTimeout: cfg.timeout,
	}
	return &http.Client{Transport: tr, Timeout: cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (r *Runner) now() time.Time { return r.cfg.now().UTC().Truncate(time.Microsecond) }

// Start runs the runner in the background until Stop (or ctx's end): it
// works while there is work and polls every WithPoll otherwise.
func (r *Runner) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		for ctx.Err() == nil {
			n, err := r.RunOnce(ctx)
			if err != nil && r.cfg.log != nil && ctx.Err() == nil {
				r.cfg.log.LogAttrs(ctx, slog.LevelWarn, "webhook: runner", slog.String("owner", r.cfg.owner), slog.String("error", err.Error()))
			}
			if n > 0 && err == nil {
				continue
			}
			select {
			case <-ctx.Done():
			case <-time.After(r.cfg.poll):
			}
		}
	}(r.done)
}

// Stop stops a started runner and waits for its workers: a request in
// flight is cancelled, and its event is sent again later (at least
// once).
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// RunOnce claims the subscriptions due now (up to the concurrency),
// delivers to each until it is caught up, fails or has had its share,
// and returns how many attempts it made. Its error is the claim's, or
// the first worker's that is not a delivery failure.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	r.purge(ctx)
	now := r.now()
	subs, err := r.store.Claim(ctx, Claim{Owner: r.cfg.owner, Now: now, Until: now.Add(r.cfg.lease), Limit: r.cfg.concurrency})
	if err != nil {
		return 0, fmt.Errorf("webhook: claim: %w", err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		first error
	)
	for _, sub := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := r.work(ctx, sub)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && first == nil && ctx.Err() == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	return total, first
}

// purge drops the delivery log past its retention, at most once an hour.
func (r *Runner) purge(ctx context.Context) {
	r.mu.Lock()
	now := r.now()
	due := !now.Before(r.purgeAt)
	if due {
		r.purgeAt = now.Add(time.Hour)
	}
	r.mu.Unlock()
	if due {
		_, _ = r.store.PurgeDeliveries(ctx, now.Add(-r.cfg.retention)) // retried in an hour
	}
}

// workShare bounds one claim's work, so that a busy subscription does
// not keep a worker from the others.
const workShare = 1000

// work delivers sub's events while it holds the lease. Successes are
// written in groups — at the end of each page of events, before a
// failure, and at least every quarter lease — in one Save that moves the
// cursor and appends their log entries: a crash re-sends at most the
// group (at least once), and a delivery costs no commit of its own.
func (r *Runner) work(ctx context.Context, sub Subscription) (attempts int, err error) {
	w := worker{r: r, sub: &sub, l: Lease{ID: sub.ID, Owner: r.cfg.owner, Version: sub.Version},
		p: Progress{Cursor: sub.Cursor, Attempts: sub.Attempts, FailingSince: sub.FailingSince}, flushed: r.now()}
	defer func() {
		if errors.Is(err, ErrLeaseLost) {
			// The subscription changed under the worker (an update, a
			// replay): let the next claim start from what it is now.
			err = r.store.Release(context.WithoutCancel(ctx), w.l)
		}
	}()
	for attempts < workShare {
		before := w.p.Cursor
		page, err := r.events.List(ctx, sub.DealerID, crm.EventFilter{After: w.p.Cursor, Types: sub.Types, Limit: r.cfg.batch})
		var exp *crm.CursorExpiredError
		if errors.As(err, &exp) {
			// The events after the cursor are gone (retention): go on
			// from the oldest still held.
			w.p.Cursor = exp.Oldest - 1
			if err := w.flush(ctx); err != nil {
				return attempts, err
			}
			continue
		}
		if err != nil {
			return attempts, w.release(ctx, fmt.Errorf("webhook: read events of %s: %w", sub.ID, err))
		}
		for _, ev := range page.Items {
			d := r.send(ctx, &sub, ev, w.p.Attempts+1)
			attempts++
			if ctx.Err() != nil {
				// Stopped mid-request: no verdict on the receiver. The
				// event is sent again by the next claim.
				return attempts, w.release(ctx, ctx.Err())
			}
			now := r.now()
			if !d.OK() {
				return attempts, w.fail(ctx, d, now)
			}
			w.p.Cursor, w.p.Attempts, w.p.FailingSince = ev.Seq, 0, time.Time{}
			w.log = append(w.log, d)
			if now.Sub(w.flushed) >= r.cfg.lease/4 {
				if err := w.flush(ctx); err != nil {
					return attempts, err
				}
			}
		}
		// Past events of other types too.
		w.p.Cursor = max(w.p.Cursor, page.Next)
		if len(page.Items) == 0 && page.Next <= before {
			break
		}
		if err := w.flush(ctx); err != nil {
			return attempts, err
		}
	}
	return attempts, w.release(ctx, nil)
}

// worker is one claim's delivery state: the progress and the log
// entries not yet written.
type worker struct {
	r       *Runner
	sub     *Subscription
	l       Lease
	p       Progress
	log     []Delivery
	flushed time.Time
}

// flush writes the progress and log so far, extending the lease.
func (w *worker) flush(ctx context.Context) error {
	now := w.r.now()
	w.p.LeaseUntil = now.Add(w.r.cfg.lease)
	if err := w.r.store.Save(ctx, w.l, w.p, w.log); err != nil {
		return err
	}
	w.log, w.flushed = w.log[:0], now
	return nil
}

// release writes what is left and gives up the lease, due again now; it
// returns cause, or the store's error.
func (w *worker) release(ctx context.Context, cause error) error {
	w.p.LeaseUntil, w.p.NextAttemptAt = time.Time{}, w.r.now()
	if err := w.r.store.Save(context.WithoutCancel(ctx), w.l, w.p, w.log); err != nil && cause == nil {
		return err
	}
	return cause
}

// fail records a failed attempt, with the successes before it: the
// subscription waits out its backoff, or is disabled once it has failed
// for DisableAfter.
func (w *worker) fail(ctx context.Context, d Delivery, now time.Time) error {
	w.p.Attempts++
	if w.p.FailingSince.IsZero() {
		w.p.FailingSince = now
	}
	w.p.LeaseUntil, w.p.NextAttemptAt = time.Time{}, now.Add(w.r.backoff(w.p.Attempts))
	if now.Sub(w.p.FailingSince) >= w.r.cfg.disableAfter {
		w.p.Disable = fmt.Sprintf("failing since %s (%d attempts at event %d); last: %s",
			w.p.FailingSince.Format(time.RFC3339), w.p.Attempts, d.Seq, d.outcome())
	}
	return w.r.store.Save(ctx, w.l, w.p, append(w.log, d))
}

// outcome describes a failed attempt.
func (d *Delivery) outcome() string {
	if d.Error != "" {
		return d.Error
	}
	return "status " + strconv.Itoa(d.Status)
}

// backoff is the wait after the nth failed attempt: first·2^(n-1),
// capped, jittered to between half of it and all of it.
func (r *Runner) backoff(n int) time.Duration {
	d := r.cfg.backoff
	for i := 1; i < n && d < r.cfg.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.cfg.maxBackoff)
	half := int64(d / 2)
	if half <= 0 {
		return d
	}
	return time.Duration(half + r.cfg.jitter(half+1))
}

// maxError is the longest error text kept in the log.
const maxError = 500

// send POSTs one event, signed, and returns the attempt's record.
func (r *Runner) send(ctx context.Context, sub *Subscription, ev crm.Event, attempt int) Delivery {
	start := r.now()
	d := Delivery{ID: dealercrm.NewID(), SubscriptionID: sub.ID, DealerID: sub.DealerID, EventID: ev.ID, Seq: ev.Seq, Attempt: attempt, At: start}
	wall := time.Now()
	defer func() { d.DurationMS = float64(time.Since(wall).Microseconds()) / 1000 }()
	body, err := json.Marshal(ev)
	if err != nil {
		d.Error = "encode: " + err.Error()
		return d
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		d.Error = clip(err.Error())
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dealercrm-webhooks/1")
	if err := SetHeaders(req.Header, sub.Secret, ev.ID, start, body); err != nil {
		d.Error = clip(err.Error())
		return d
	}
	resp, err := r.client.Do(req)
	if err != nil {
		d.Error = clip(err.Error())
		return d
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	d.Status = resp.StatusCode
	switch {
	case !d.OK():
		d.Error = clip(fmt.Sprintf("status %d: %s", resp.StatusCode, bytes.TrimSpace(answer[:min(len(answer), 200)])))
	case err != nil:
		d.Error = clip("reading the answer: " + err.Error())
	}
	return d
}

func clip(s string) string {
	if len(s) <= maxError {
		return s
	}
	return s[:maxError]
}
