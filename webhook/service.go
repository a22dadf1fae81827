package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Defaults of the options.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultBackoff      = 5 * time.Second
	DefaultMaxBackoff   = time.Hour
	DefaultDisableAfter = 72 * time.Hour
	DefaultLease        = time.Minute
	DefaultPoll         = time.Second
	DefaultRetention    = 7 * 24 * time.Hour
	DefaultBatch        = 100
	DefaultConcurrency  = 16
	// MaxAnswer is how much of a receiver's answer is read (the rest is
	// dropped and the connection closed).
	MaxAnswer = 64 << 10
)

// config is the options of a Service and a Runner.
type config struct {
	now          func() time.Time
	allowHTTP    bool
	allowPrivate bool
	timeout      time.Duration
	backoff      time.Duration
	maxBackoff   time.Duration
	disableAfter time.Duration
	lease        time.Duration
	poll         time.Duration
	retention    time.Duration
	batch        int
	concurrency  int
	jitter       func(n int64) int64
	owner        string
	log          *slog.Logger
}

func newConfig(opts []Option) config {
	c := config{now: time.Now, timeout: DefaultTimeout, backoff: DefaultBackoff, maxBackoff: DefaultMaxBackoff,
		disableAfter: DefaultDisableAfter, lease: DefaultLease, poll: DefaultPoll, retention: DefaultRetention,
		batch: DefaultBatch, concurrency: DefaultConcurrency, jitter: rand.Int64N, owner: dealercrm.NewID()}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Option configures a Service or a Runner.
type Option func(*config)

// WithClock sets the clock (time.Now by default): a test moves time on
// by hand.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// AllowHTTP admits http URLs beside https ones (tests, intranets).
func AllowHTTP() Option { return func(c *config) { c.allowHTTP = true } }

// AllowPrivate admits receivers at loopback, private and link-local
// addresses, which are refused by default (at creation for a literal IP,
// and when dialling, after DNS, for any host name) so that a
// subscription cannot reach the host's own network.
func AllowPrivate() Option { return func(c *config) { c.allowPrivate = true } }

// WithTimeout bounds each delivery request (DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithBackoff sets the wait after the first failed attempt at an event
// (DefaultBackoff) and its cap (DefaultMaxBackoff); the wait doubles with
// each further failure, and each is jittered to between half of it and
// all of it.
func WithBackoff(first, max time.Duration) Option {
	return func(c *config) { c.backoff, c.maxBackoff = first, max }
}

// WithJitter sets the random source of the backoff's jitter: a function
// returning a number in [0, n). Tests pass a fixed one.
func WithJitter(f func(n int64) int64) Option { return func(c *config) { c.jitter = f } }

// DisableAfter sets how long a subscription may keep failing before it
// is disabled (DefaultDisableAfter, 3 days).
func DisableAfter(d time.Duration) Option { return func(c *config) { c.disableAfter = d } }

// WithLease sets how long a worker holds a subscription without a
// write before another may take it over (DefaultLease); it must exceed
// the request timeout.
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithPoll sets how often an idle runner looks for work (DefaultPoll).
func WithPoll(d time.Duration) Option { return func(c *config) { c.poll = d } }

// WithRetention sets how long the delivery log is kept
// (DefaultRetention, 7 days).
func WithRetention(d time.Duration) Option { return func(c *config) { c.retention = d } }

// WithBatch sets how many events a worker reads at a time (DefaultBatch).
func WithBatch(n int) Option { return func(c *config) { c.batch = n } }

// WithConcurrency sets how many subscriptions a runner delivers to at
// once (DefaultConcurrency).
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// WithLogger logs what a started runner cannot return: a failed claim
// or store write (nothing is logged by default). Receivers' failures are
// in the delivery log, not here.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithOwner names the runner in its leases (a new ID by default).
func WithOwner(name string) Option { return func(c *config) { c.owner = name } }

// Input is a new subscription.
type Input struct {
	// URL receives the events (see Subscription.URL).
	URL string `json:"url"`
	// Types are the event types to deliver; empty for all.
	Types []crm.EventType `json:"types,omitempty"`
	// After starts delivery after this sequence number of the dealer's
	// feed (0: every event still held); omitted, with the events that
	// come after the subscription is made.
	After *int64 `json:"after,omitempty"`
}

// Update changes a subscription: each field given replaces the stored
// one. State enabled re-enables a disabled subscription where it
// stopped (its failures forgotten); disabled stops delivery.
type Update struct {
	URL   *string          `json:"url,omitempty"`
	Types *[]crm.EventType `json:"types,omitempty"`
	State *State           `json:"state,omitempty"`
}

// Service manages a dealer's subscriptions: the store's rules, and the
// checks of what callers send.
type Service struct {
	store  Store
	events crm.EventStore
	cfg    config
}

// NewService returns a Service on store; events is the feed the
// subscriptions read (to start a new one at its head).
func NewService(store Store, events crm.EventStore, opts ...Option) (*Service, error) {
	if store == nil || events == nil {
		return nil, errors.New("webhook: NewService needs a store and an event store")
	}
	return &Service{store: store, events: events, cfg: newConfig(opts)}, nil
}

// Now returns the service's time.
func (s *Service) Now() time.Time { return s.cfg.now().UTC().Truncate(time.Microsecond) }

func checkTypes(c *crm.Checker, types []crm.EventType) {
	for i, t := range types {
		crm.CheckEnum(c, "types["+strconv.Itoa(i)+"]", t, crm.EventType.Valid, true)
		if i > 0 && containsBefore(types, i) {
			c.Add("types["+strconv.Itoa(i)+"]", crm.RuleUnique, "is listed twice")
		}
	}
}

func containsBefore(types []crm.EventType, i int) bool {
	for _, t := range types[:i] {
		if t == types[i] {
			return true
		}
	}
	return false
}

// EventHead is an optional capability of a crm.EventStore: the sequence
// number of a dealer's last event (0 when none). Without it, Create reads
// the feed to its end.
type EventHead interface {
	Head(ctx context.Context, dealer crm.DealerID) (int64, error)
}

// head returns the sequence number of the dealer's last event.
func (s *Service) head(ctx context.Context, dealer crm.DealerID) (int64, error) {
	if h, ok := s.events.(EventHead); ok {
		return h.Head(ctx, dealer)
	}
	var after int64
	for {
		p, err := s.events.List(ctx, dealer, crm.EventFilter{After: after, Limit: crm.MaxEventLimit})
		var exp *crm.CursorExpiredError
		if errors.As(err, &exp) {
			after = exp.Oldest - 1
			continue
		}
		if err != nil {
			return 0, err
		}
		if len(p.Items) == 0 {
			return after, nil
		}
		after = p.Next
	}
}

// Create makes a subscription of dealer and returns it with its secret,
// which is shown this once. Bad input is a *crm.ValidationError naming
// the field.
func (s *Service) Create(ctx context.Context, dealer crm.DealerID, in Input) (Subscription, string, error) {
	var c crm.Checker
	checkURL(&c, in.URL, s.cfg.allowHTTP, s.cfg.allowPrivate)
	checkTypes(&c, in.Types)
	if in.After != nil && *in.After < 0 {
		c.Add("after", crm.RuleRange, "must not be negative")
	}
	if err := c.Err("webhook"); err != nil {
		return Subscription{}, "", err
	}
	cursor := int64(0)
	if in.After != nil {
		cursor = *in.After
	} else {
		var err error
		if cursor, err = s.head(ctx, dealer); err != nil {
			return Subscription{}, "", fmt.Errorf("webhook: create: %w", err)
		}
	}
	now := s.Now()
	sub := Subscription{ID: ID(dealercrm.NewID()), DealerID: dealer, URL: in.URL, Types: in.Types, Secret: NewSecret(),
		State: Enabled, Cursor: cursor, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, Version: 1}
	if sub.Types == nil {
		sub.Types = []crm.EventType{}
	}
	if err := s.store.Create(ctx, sub); err != nil {
		return Subscription{}, "", fmt.Errorf("webhook: create: %w", err)
	}
	return sub, sub.Secret, nil
}

// Get returns a dealer's subscription (ErrNotFound).
func (s *Service) Get(ctx context.Context, dealer crm.DealerID, id ID) (Subscription, error) {
	return s.store.Get(ctx, dealer, id)
}

// List returns a page of a dealer's subscriptions.
func (s *Service) List(ctx context.Context, dealer crm.DealerID, f Filter) (crm.Page[Subscription], error) {
	if f.State != "" && !f.State.Valid() {
		_, err := ParseState(string(f.State))
		return crm.Page[Subscription]{}, err
	}
	return s.store.List(ctx, dealer, f)
}

// Update changes a subscription (see Update); ErrNotFound, or a
// *crm.ValidationError naming the field.
func (s *Service) Update(ctx context.Context, dealer crm.DealerID, id ID, u Update) (Subscription, error) {
	var c crm.Checker
	if u.URL != nil {
		checkURL(&c, *u.URL, s.cfg.allowHTTP, s.cfg.allowPrivate)
	}
	if u.Types != nil {
		checkTypes(&c, *u.Types)
	}
	if u.State != nil {
		crm.CheckEnum(&c, "state", *u.State, State.Valid, true)
	}
	if err := c.Err("webhook"); err != nil {
		return Subscription{}, err
	}
	now := s.Now()
	return s.store.Update(ctx, dealer, id, func(sub *Subscription) error {
		if u.URL != nil && *u.URL != sub.URL {
			// A new receiver is tried at once, not after the old one's
			// backoff.
			sub.URL, sub.NextAttemptAt = *u.URL, now
		}
		if u.Types != nil {
			sub.Types = append([]crm.EventType{}, *u.Types...)
		}
		if u.State != nil && *u.State != sub.State {
			sub.State = *u.State
			if sub.State == Enabled {
				sub.enable(now)
			} else {
				sub.DisabledReason = "disabled by hand"
			}
		}
		sub.UpdatedAt = now
		return nil
	})
}

// enable makes s enabled and due now, its failures forgotten.
func (s *Subscription) enable(now time.Time) {
	s.State, s.DisabledReason, s.Attempts, s.FailingSince, s.NextAttemptAt = Enabled, "", 0, time.Time{}, now
}

// Delete removes a subscription and its log (ErrNotFound).
func (s *Service) Delete(ctx context.Context, dealer crm.DealerID, id ID) error {
	return s.store.Delete(ctx, dealer, id)
}

// Replay delivers a subscription's events again from sequence number
// from (inclusive, from 1): the cursor goes back to from-1 and the
// subscription is enabled and due now. Events purged by retention are
// skipped. ErrNotFound, or a *crm.ValidationError on field "from".
func (s *Service) Replay(ctx context.Context, dealer crm.DealerID, id ID, from int64) (Subscription, error) {
	if from < 1 {
		var c crm.Checker
		c.Add("from", crm.RuleRange, "must be at least 1")
		return Subscription{}, c.Err("replay")
	}
	now := s.Now()
	return s.store.Update(ctx, dealer, id, func(sub *Subscription) error {
		sub.Cursor = from - 1
		sub.enable(now)
		sub.UpdatedAt = now
		return nil
	})
}

// Deliveries returns a page of a subscription's delivery log, newest
// first (ErrNotFound).
func (s *Service) Deliveries(ctx context.Context, dealer crm.DealerID, id ID, f DeliveryFilter) (crm.Page[Delivery], error) {
	return s.store.Deliveries(ctx, dealer, id, f)
}
