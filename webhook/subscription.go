package webhook

import (
	"context"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// ID identifies a subscription.
type ID string

// State is a subscription's state: enabled subscriptions are delivered
// to, disabled ones are not (Subscription.DisabledReason says why).
type State string

// The states.
const (
	Enabled  State = "enabled"
	Disabled State = "disabled"
)

// States returns every state.
func States() []State { return []State{Enabled, Disabled} }

// Valid reports whether s is a known state.
func (s State) Valid() bool { return s == Enabled || s == Disabled }

// ParseState parses a state's name.
func ParseState(s string) (State, error) {
	if st := State(s); st.Valid() {
		return st, nil
	}
	return "", &crm.ValidationError{Entity: "webhook", Fields: []crm.FieldError{{Field: "state", Rule: crm.RuleEnum, Message: "must be enabled or disabled"}}}
}

// MaxURL is the longest subscription URL, in bytes.
const MaxURL = 2048

// Subscription is a dealer's order to receive events at a URL: the
// events of its Types (all when empty) after Cursor, in sequence order,
// each POSTed and signed with Secret.
type Subscription struct {
	ID       ID           `json:"id"`
	DealerID crm.DealerID `json:"dealer_id"`
	// URL receives the POSTs: absolute, https unless the host allows
	// http, no user info, at most MaxURL bytes.
	URL string `json:"url"`
	// Types are the event types delivered; empty for all.
	Types []crm.EventType `json:"types"`
	// Secret signs the requests ("whsec_…"); the API shows it once, when
	// the subscription is made.
	Secret string `json:"-"`
	State  State  `json:"state"`
	// DisabledReason says why a disabled subscription is: by hand, or
	// the last failure after the failure window.
	DisabledReason string `json:"disabled_reason,omitempty"`
	// Cursor is the sequence number of the last event delivered (or
	// skipped for its type): delivery goes on after it.
	Cursor int64 `json:"cursor"`
	// Attempts counts the failed attempts at the event after Cursor;
	// FailingSince is when the first of them failed (zero while none
	// has); NextAttemptAt is when delivery is tried next.
	Attempts      int       `json:"attempts"`
	FailingSince  time.Time `json:"failing_since,omitzero"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// Version counts the changes made through the Service (an update, a
	// replay): a worker's writes are refused once it has moved on, so
	// that no worker undoes them (Store.Save).
	Version int64 `json:"-"`
}

// Clone returns a deep copy of s.
func (s Subscription) Clone() Subscription {
	s.Types = slices.Clone(s.Types)
	return s
}

// Wants reports whether s delivers events of type t.
func (s *Subscription) Wants(t crm.EventType) bool {
	return len(s.Types) == 0 || slices.Contains(s.Types, t)
}

// Delivery is one attempt at delivering an event: the delivery log.
type Delivery struct {
	ID             string       `json:"id"`
	SubscriptionID ID           `json:"subscription_id"`
	DealerID       crm.DealerID `json:"dealer_id"`
	EventID        string       `json:"event_id"`
	Seq            int64        `json:"seq"`
	// Attempt numbers the attempts at this event, from 1.
	Attempt int `json:"attempt"`
	// Status is the receiver's HTTP status; 0 when none came (Error says
	// why: refused, timed out).
	Status int `json:"status,omitempty"`
	// DurationMS is how long the attempt took, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Error is empty on a 2xx; else what went wrong.
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at"`
}

// OK reports whether the attempt succeeded (a 2xx answer).
func (d *Delivery) OK() bool { return d.Status >= 200 && d.Status < 300 && d.Error == "" }

// Filter selects a dealer's subscriptions, in ID order.
type Filter struct {
	// State keeps those in a state.
	State State `json:"state,omitempty"`
	crm.PageRequest
}

// DeliveryFilter selects a subscription's delivery log, newest first.
type DeliveryFilter struct {
	// Failed keeps the failed attempts only.
	Failed bool `json:"failed,omitempty"`
	crm.PageRequest
}

// Lease is a worker's hold on a subscription (Store.Claim): Owner names
// the worker, Version is the subscription's when claimed.
type Lease struct {
	ID      ID
	Owner   string
	Version int64
}

// Progress is what a worker writes to a subscription it holds.
type Progress struct {
	Cursor        int64
	Attempts      int
	FailingSince  time.Time
	NextAttemptAt time.Time
	// LeaseUntil extends the lease to then; zero releases it.
	LeaseUntil time.Time
	// Disable, when not empty, disables the subscription with this
	// reason.
	Disable string
}

// Claim asks Store.Claim for up to Limit subscriptions that are enabled,
// due (NextAttemptAt at or before Now) and held by no live lease, for
// Owner until Until.
type Claim struct {
	Owner string
	Now   time.Time
	Until time.Time
	Limit int
}

// Store keeps subscriptions and their delivery logs. Every method but
// Claim and Save works within one dealer: another dealer's subscription
// is ErrNotFound. A conformance suite (webhooktest.RunStoreTests) checks
// implementations.
type Store interface {
	// Create stores a new subscription; one with its ID is
	// dealercrm.Conflict.
	Create(ctx context.Context, s Subscription) error
	// Get returns a dealer's subscription; ErrNotFound when absent.
	Get(ctx context.Context, dealer crm.DealerID, id ID) (Subscription, error)
	// List returns a dealer's subscriptions f selects, in ID order, a
	// page at a time; a bad cursor is a *crm.ValidationError.
	List(ctx context.Context, dealer crm.DealerID, f Filter) (crm.Page[Subscription], error)
	// Update changes a dealer's subscription under a lock: fn sees the
	// stored one and may change every field but ID, dealer and
	// CreatedAt; an error from fn aborts. The stored Version goes up by
	// one. ErrNotFound when absent.
	Update(ctx context.Context, dealer crm.DealerID, id ID, fn func(*Subscription) error) (Subscription, error)
	// Delete removes a dealer's subscription and its log; ErrNotFound
	// when absent.
	Delete(ctx context.Context, dealer crm.DealerID, id ID) error
	// Deliveries returns a page of a subscription's log, newest first;
	// ErrNotFound when the subscription is absent.
	Deliveries(ctx context.Context, dealer crm.DealerID, id ID, f DeliveryFilter) (crm.Page[Delivery], error)
	// PurgeDeliveries removes the log entries of every dealer made
	// before before, and returns how many.
	PurgeDeliveries(ctx context.Context, before time.Time) (int, error)
	// Claim leases subscriptions to c.Owner (see Claim), most overdue
	// first, and returns them: no two live leases on one subscription
	// exist, so that one worker at a time delivers its events. A lease
	// ends at its Until, or when Save releases it.
	Claim(ctx context.Context, c Claim) ([]Subscription, error)
	// Save writes a worker's progress, and log to the delivery log,
	// atomically — if l still holds: the subscription exists, its lease
	// is l.Owner's and its Version is l.Version. Otherwise it writes
	// nothing and returns ErrLeaseLost.
	Save(ctx context.Context, l Lease, p Progress, log []Delivery) error
	// Release ends l.Owner's lease on a subscription, whatever its
	// Version; no error when it holds none.
	Release(ctx context.Context, l Lease) error
}

// ErrNotFound is the error of a subscription that does not exist (or is
// another dealer's).
var ErrNotFound error = dealercrm.Errorf(dealercrm.NotFound, "webhook subscription not found")

// ErrLeaseLost is Store.Save's error when the worker no longer holds the
// subscription: the lease passed to another, or the subscription changed
// or went.
var ErrLeaseLost error = dealercrm.Errorf(dealercrm.Conflict, "webhook: the subscription's lease is lost")

// checkURL checks a subscription URL; c collects the errors under
// field "url". allowHTTP admits http; allowPrivate admits a literal
// loopback or private IP host (a name is checked when dialled).
func checkURL(c *crm.Checker, raw string, allowHTTP, allowPrivate bool) {
	if raw == "" {
		c.Add("url", crm.RuleRequired, "is required")
		return
	}
	if len(raw) > MaxURL {
		c.Add("url", crm.RuleMax, "must be at most %d bytes", MaxURL)
		return
	}
	if fe, bad := crm.CheckText("url", raw); bad {
		c.Add("url", fe.Rule, "%s", fe.Message)
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		c.Add("url", crm.RuleFormat, "must be an absolute http(s) URL")
	case u.Scheme != "https" && !(allowHTTP && u.Scheme == "http"):
		if allowHTTP {
			c.Add("url", crm.RuleFormat, "must be https or http")
		} else {
			c.Add("url", crm.RuleFormat, "must be https")
		}
	case u.User != nil:
		c.Add("url", crm.RuleFormat, "must not carry a user name or password")
	case u.Fragment != "":
		c.Add("url", crm.RuleFormat, "must not carry a fragment")
	default:
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !allowPrivate && !Public(ip) {
			c.Add("url", crm.RuleFormat, "must not name a loopback, private or link-local address")
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				c.Add("url", crm.RuleFormat, "has a bad port")
			}
		}
	}
}

// Public reports whether ip is a public unicast address: not loopback,
// private (RFC 1918, fc00::/7), link-local, unspecified, multicast, nor
// carrier-grade NAT (100.64.0.0/10).
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	return !cgnat.Contains(ip)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")
