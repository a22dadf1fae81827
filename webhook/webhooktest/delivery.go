package webhooktest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/testclock"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxJitter makes the backoff deterministic: the full wait, never less.
func maxJitter(n int64) int64 { return n - 1 }

// testOptions are the options of the suites' services and runners: http
// and loopback allowed (httptest), the clock, 1 s backoff doubling to
// 16 s, no jitter below the full wait.
func testOptions(clock *testclock.Clock, more ...webhook.Option) []webhook.Option {
	return append([]webhook.Option{webhook.AllowHTTP(), webhook.AllowPrivate(), webhook.WithClock(clock.Now),
		webhook.WithBackoff(time.Second, 16*time.Second), webhook.WithJitter(maxJitter), webhook.WithTimeout(5 * time.Second),
		webhook.WithLease(30 * time.Second), webhook.WithPoll(5 * time.Millisecond)}, more...)
}

// RunDeliveryTests runs the end-to-end delivery suite against the
// backends newBackend returns (a fresh one per call): the done-when of
// the webhook issue.
func RunDeliveryTests(t *testing.T, newBackend func(t *testing.T) Backend) {
	ctx := context.Background()

	// A receiver down for 60 s, then up, gets every event exactly once
	// by webhook-id, in order per subject, every signature verified.
	t.Run("OutageOf60s", func(t *testing.T) {
		b := newBackend(t)
		clock := testclock.New(t0)
		rcv := NewReceiver(t, clock.Now)
		up := t0.Add(60 * time.Second)
		rcv.Down = func() bool { return clock.Now().Before(up) }
		svc, err := webhook.NewService(b.Store, b.Events, testOptions(clock)...)
		require.NoError(t, err)
		d := newDealer()
		s, secret, err := svc.Create(ctx, d, webhook.Input{URL: rcv.Server.URL + "/hooks"})
		require.NoError(t, err)
		rcv.SetSecret(secret)
		evs := Events(d, 30, 4)
		require.NoError(t, b.Add(ctx, evs...))
		run, err := webhook.NewRunner(b.Store, b.Events, testOptions(clock, webhook.WithBatch(7))...)
		require.NoError(t, err)

		var firstOK time.Time
		for range 200 {
			_, err := run.RunOnce(ctx)
			require.NoError(t, err)
			if firstOK.IsZero() && len(rcv.Got()) > 0 {
				firstOK = clock.Now()
			}
			if len(rcv.Got()) == len(evs) {
				break
			}
			clock.Advance(time.Second)
		}
		written := crmReadAll(t, b.Events, d)
		requireExactlyOnceInOrder(t, written, rcv.Got())
		_, refused := rcv.Counts()
		assert.Zero(t, refused, "every signature verifies")

		// Backoff 1 s doubling to 16 s, full waits: attempts at t0+0, 1,
		// 3, 7, 15, 31 and 47 s fail (down until 60 s); the next, at
		// 63 s, delivers.
		assert.Equal(t, t0.Add(63*time.Second), firstOK, "delivery resumes at the first attempt after the outage")
		log := allDeliveries(t, b.Store, d, s.ID)
		var failed []time.Time
		for _, e := range log {
			if !e.OK() {
				failed = append(failed, e.At)
				assert.Equal(t, http.StatusServiceUnavailable, e.Status)
				assert.Equal(t, written[0].ID, e.EventID, "the head event holds the subscription")
			}
		}
		var want []time.Time
		for _, sec := range []int{0, 1, 3, 7, 15, 31, 47} {
			want = append(want, t0.Add(time.Duration(sec)*time.Second))
		}
		assert.Equal(t, want, failed, "seven failed attempts, oldest first in this list")
		assert.Len(t, log, 7+30, "seven failures and thirty deliveries in the log")
		got, err := svc.Get(ctx, d, s.ID)
		require.NoError(t, err)
		assert.Equal(t, written[len(written)-1].Seq, got.Cursor, "the cursor is at the last event")
		assert.Zero(t, got.Attempts)
		assert.True(t, got.FailingSince.IsZero())
	})

	// A worker killed between a receiver's 2xx and its cursor write (the
	// process dies: nothing more is written) loses nothing: the next
	// worker takes over when the lease runs out and sends that event
	// again, which the receiver drops by webhook-id; two workers running
	// together never deliver to one subscription at once.
	t.Run("KilledWorker", func(t *testing.T) {
		b := newBackend(t)
		clock := testclock.New(t0)
		rcv := NewReceiver(t, clock.Now)
		svc, err := webhook.NewService(b.Store, b.Events, testOptions(clock)...)
		require.NoError(t, err)
		d := newDealer()
		const n = 120
		subs := make([]webhook.Subscription, 2)
		for i := range subs {
			// Two subscriptions with one secret: a receiver per path.
			s, secret, err := svc.Create(ctx, d, webhook.Input{URL: rcv.Server.URL + "/hooks/" + string(rune('a'+i)), Types: []crm.EventType{crm.EventPointsEarned, crm.EventTaskCreated}})
			require.NoError(t, err)
			subs[i] = s
			if i == 0 {
				rcv.SetSecret(secret)
			} else {
				_, err = b.Store.Update(ctx, d, s.ID, func(x *webhook.Subscription) error { x.Secret = subs[0].Secret; return nil })
				require.NoError(t, err)
			}
		}
		subs[0].Secret, subs[1].Secret = "", ""
		require.NoError(t, b.Add(ctx, Events(d, n, 5)...))

		crashing := &crashStore{Store: b.Store}
		runCtx, kill := context.WithCancel(ctx)
		var once sync.Once
		var reopened atomic.Bool
		// Requests of the dead worker still in the network when it dies
		// are refused, so that the count below is of live workers only.
		rcv.Down = func() bool { return crashing.crashed.Load() && !reopened.Load() }
		rcv.OnEvent = func(distinct int) {
			if distinct >= 40 {
				// The process dies as the receiver answers 2xx: the
				// worker writes nothing more.
				once.Do(func() { crashing.crashed.Store(true); kill() })
			}
		}
		a, err := webhook.NewRunner(crashing, b.Events, testOptions(clock, webhook.WithOwner("A"), webhook.WithBatch(16))...)
		require.NoError(t, err)
		a.Start(runCtx)
		waitFor(t, func() bool { return crashing.crashed.Load() }, "the receiver kills worker A")
		a.Stop()
		require.GreaterOrEqual(t, len(rcv.Got()), 40)

		workers := []*webhook.Runner{}
		for _, owner := range []string{"B", "C"} {
			r, err := webhook.NewRunner(b.Store, b.Events, testOptions(clock, webhook.WithOwner(owner), webhook.WithBatch(16))...)
			require.NoError(t, err)
			n, err := r.RunOnce(ctx)
			require.NoError(t, err)
			assert.Zero(t, n, "worker %s finds both subscriptions leased to A (for 30 s of the clock)", owner)
			workers = append(workers, r)
		}
		reopened.Store(true)
		clock.Advance(31 * time.Second)
		for _, r := range workers {
			r.Start(ctx)
		}
		waitFor(t, func() bool { return len(rcv.Got()) == 2*n }, "workers B and C deliver the rest")
		for _, r := range workers {
			r.Stop()
		}
		_, refused := rcv.Counts()
		assert.Zero(t, refused)
		assert.Positive(t, rcv.Duplicates(), "the events A had delivered but not recorded were sent again, and dropped by webhook-id")
		assert.False(t, rcv.Overlapped(), "never two requests in flight for one subscription")
		written := crmReadAll(t, b.Events, d)
		for _, s := range subs {
			requireExactlyOnceInOrder(t, written, rcv.gotFor(strings.TrimPrefix(s.URL, rcv.Server.URL)))
		}
	})

	// A receiver verifying signatures rejects a tampered body.
	t.Run("TamperedBodyRejected", func(t *testing.T) {
		b := newBackend(t)
		clock := testclock.New(t0)
		var (
			mu      sync.Mutex
			header  http.Header
			payload []byte
		)
		rcv := NewReceiver(t, clock.Now)
		svc, err := webhook.NewService(b.Store, b.Events, testOptions(clock)...)
		require.NoError(t, err)
		d := newDealer()
		_, secret, err := svc.Create(ctx, d, webhook.Input{URL: rcv.Server.URL})
		require.NoError(t, err)
		rcv.SetSecret(secret)
		rcv.capture = func(h http.Header, body []byte) {
			mu.Lock()
			header, payload = h.Clone(), bytes.Clone(body)
			mu.Unlock()
		}
		require.NoError(t, b.Add(ctx, Events(d, 1, 1)...))
		run, err := webhook.NewRunner(b.Store, b.Events, testOptions(clock)...)
		require.NoError(t, err)
		_, err = run.RunOnce(ctx)
		require.NoError(t, err)
		require.Len(t, rcv.Got(), 1)
		mu.Lock()
		defer mu.Unlock()
		require.NoError(t, VerifyStandard(secret, header, payload, clock.Now()), "the request as sent verifies")
		require.NoError(t, webhook.Verify(secret, header, payload, clock.Now(), 0))
		tampered := bytes.Replace(payload, []byte(`"n":0`), []byte(`"n":9`), 1)
		require.NotEqual(t, payload, tampered)
		assert.Error(t, VerifyStandard(secret, header, tampered, clock.Now()), "the spec's algorithm rejects a tampered body")
		assert.ErrorIs(t, webhook.Verify(secret, header, tampered, clock.Now(), 0), webhook.ErrSignature, "so does Verify")
		assert.Error(t, VerifyStandard(webhook.NewSecret(), header, payload, clock.Now()), "another secret does not verify")
	})

	// After the failure window a subscription is disabled with the
	// reason; replay from a sequence number re-enables it and delivers
	// from there.
	t.Run("DisableAndReplay", func(t *testing.T) {
		b := newBackend(t)
		clock := testclock.New(t0)
		rcv := NewReceiver(t, clock.Now)
		var down atomic.Bool
		down.Store(true)
		rcv.Down = down.Load
		opts := testOptions(clock, webhook.DisableAfter(20*time.Second))
		svc, err := webhook.NewService(b.Store, b.Events, opts...)
		require.NoError(t, err)
		d := newDealer()
		s, secret, err := svc.Create(ctx, d, webhook.Input{URL: rcv.Server.URL, Types: []crm.EventType{crm.EventPointsEarned}})
		require.NoError(t, err)
		rcv.SetSecret(secret)
		require.NoError(t, b.Add(ctx, Events(d, 10, 2)...)) // seqs 1…10; points.earned at the odd ones
		run, err := webhook.NewRunner(b.Store, b.Events, opts...)
		require.NoError(t, err)
		for range 40 {
			_, err := run.RunOnce(ctx)
			require.NoError(t, err)
			clock.Advance(time.Second)
		}
		// Attempts at 0, 1, 3, 7, 15 s fail, and the one at 31 s, past
		// the 20 s window, disables it.
		got, err := svc.Get(ctx, d, s.ID)
		require.NoError(t, err)
		assert.Equal(t, webhook.Disabled, got.State)
		assert.Equal(t, 6, got.Attempts)
		assert.Contains(t, got.DisabledReason, "status 503")
		assert.Contains(t, got.DisabledReason, "6 attempts at event 1")
		assert.Equal(t, int64(0), got.Cursor)
		log := allDeliveries(t, b.Store, d, s.ID)
		assert.Len(t, log, 6, "six attempts, then none: disabled")

		down.Store(false)
		for range 5 {
			_, err := run.RunOnce(ctx)
			require.NoError(t, err)
			clock.Advance(time.Second)
		}
		assert.Empty(t, rcv.Got(), "a disabled subscription gets nothing")

		_, err = svc.Replay(ctx, d, s.ID, 0)
		var ve *crm.ValidationError
		assert.ErrorAs(t, err, &ve, "replay from 0 is refused")
		got, err = svc.Replay(ctx, d, s.ID, 5)
		require.NoError(t, err)
		assert.Equal(t, webhook.Enabled, got.State)
		assert.Equal(t, int64(4), got.Cursor)
		assert.Empty(t, got.DisabledReason)
		_, err = run.RunOnce(ctx)
		require.NoError(t, err)
		var seqs []int64
		for _, e := range rcv.Got() {
			seqs = append(seqs, e.Seq)
			assert.Equal(t, crm.EventPointsEarned, e.Type, "only the subscribed type")
		}
		assert.Equal(t, []int64{5, 7, 9}, seqs, "replayed from seq 5: the points.earned events at 5, 7, 9")
		got, _ = svc.Get(ctx, d, s.ID)
		assert.Equal(t, int64(10), got.Cursor, "the cursor passes the task events after 9")

		// Disabled by hand, enabled again where it stopped.
		off, on := webhook.Disabled, webhook.Enabled
		got, err = svc.Update(ctx, d, s.ID, webhook.Update{State: &off})
		require.NoError(t, err)
		assert.Equal(t, "disabled by hand", got.DisabledReason)
		require.NoError(t, b.Add(ctx, Events(d, 1, 1)...)) // seq 11, points.earned
		_, err = run.RunOnce(ctx)
		require.NoError(t, err)
		assert.Len(t, rcv.Got(), 3, "nothing while disabled")
		_, err = svc.Update(ctx, d, s.ID, webhook.Update{State: &on})
		require.NoError(t, err)
		_, err = run.RunOnce(ctx)
		require.NoError(t, err)
		require.Len(t, rcv.Got(), 4)
		assert.Equal(t, int64(11), rcv.Got()[3].Seq, "enabled again, it goes on after its cursor")
	})

	t.Run("ServiceChecks", func(t *testing.T) {
		b := newBackend(t)
		clock := testclock.New(t0)
		strict, err := webhook.NewService(b.Store, b.Events, webhook.WithClock(clock.Now))
		require.NoError(t, err)
		d := newDealer()
		require.NoError(t, b.Add(ctx, Events(d, 3, 1)...))
		for _, tc := range []struct {
			name, url string
			types     []crm.EventType
			field     string
		}{
			{"empty", "", nil, "url"},
			{"relative", "/hooks", nil, "url"},
			{"http", "http://example.com/", nil, "url"},
			{"user info", "https://u:p@example.com/", nil, "url"},
			{"loopback", "https://127.0.0.1/", nil, "url"},
			{"private", "https://10.1.2.3/", nil, "url"},
			{"too long", "https://example.com/" + strings.Repeat("a", webhook.MaxURL), nil, "url"},
			{"unknown type", "https://example.com/", []crm.EventType{"nope"}, "types[0]"},
			{"twice", "https://example.com/", []crm.EventType{crm.EventTaskDone, crm.EventTaskDone}, "types[1]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := strict.Create(ctx, d, webhook.Input{URL: tc.url, Types: tc.types})
				var ve *crm.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, tc.field, ve.Fields[0].Field)
			})
		}
		s, secret, err := strict.Create(ctx, d, webhook.Input{URL: "https://example.com/hooks"})
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(secret, webhook.SecretPrefix))
		assert.Equal(t, int64(3), s.Cursor, "a new subscription starts after the dealer's last event")
		zero := int64(0)
		s, _, err = strict.Create(ctx, d, webhook.Input{URL: "https://example.com/hooks", After: &zero})
		require.NoError(t, err)
		assert.Equal(t, int64(0), s.Cursor, "or after the sequence number given")

		clock.Advance(time.Hour)
		moved := "https://example.org/new"
		s, err = strict.Update(ctx, d, s.ID, webhook.Update{URL: &moved})
		require.NoError(t, err)
		assert.Equal(t, t0.Add(time.Hour), s.NextAttemptAt, "a new URL is tried at once")
		assert.Equal(t, t0.Add(time.Hour), s.UpdatedAt)
		assert.Equal(t, moved, s.URL)
	})
}

// crashStore is a store whose writes stop when crashed: a dead process.
type crashStore struct {
	webhook.Store
	crashed atomic.Bool
}

var errCrashed = errors.New("crashed")

func (c *crashStore) Claim(ctx context.Context, cl webhook.Claim) ([]webhook.Subscription, error) {
	if c.crashed.Load() {
		return nil, errCrashed
	}
	return c.Store.Claim(ctx, cl)
}

func (c *crashStore) Save(ctx context.Context, l webhook.Lease, p webhook.Progress, d []webhook.Delivery) error {
	if c.crashed.Load() {
		return errCrashed
	}
	return c.Store.Save(ctx, l, p, d)
}

func (c *crashStore) Release(ctx context.Context, l webhook.Lease) error {
	if c.crashed.Load() {
		return errCrashed
	}
	return c.Store.Release(ctx, l)
}

// waitFor polls cond for up to 30 s of real time.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func crmReadAll(t *testing.T, es crm.EventStore, d crm.DealerID) []crm.Event {
	t.Helper()
	var out []crm.Event
	var after int64
	for {
		p, err := es.List(context.Background(), d, crm.EventFilter{After: after, Limit: crm.MaxEventLimit})
		require.NoError(t, err)
		if len(p.Items) == 0 {
			return out
		}
		out = append(out, p.Items...)
		after = p.Next
	}
}

// allDeliveries returns a subscription's whole log, oldest first.
func allDeliveries(t *testing.T, s webhook.Store, d crm.DealerID, id webhook.ID) []webhook.Delivery {
	t.Helper()
	var out []webhook.Delivery
	f := webhook.DeliveryFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}}
	for {
		p, err := s.Deliveries(context.Background(), d, id, f)
		require.NoError(t, err)
		out = append(out, p.Items...)
		if p.Next == "" {
			break
		}
		f.After = p.Next
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
