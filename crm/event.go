package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
)

// Events (SPEC §8): every state change a host may react to is an Event,
// written atomically with the change (a transactional outbox). The domain
// decides which events a change makes — crm's services, loyalty's
// EventsOf, lifecycle's task events — and hands them to the store with
// the change: a store writes them in the change's transaction, or under
// the lock of the change, and gives each the dealer's next sequence
// number as it commits. Hosts read them as a feed (EventStore.List) or
// receive them as webhooks.

// EventType names what happened ("points.earned").
type EventType string

// The event types. A type's payload is the struct named in its comment;
// a change to a payload's meaning bumps its version (Event.Version).
const (
	EventTaskCreated     EventType = "task.created"     // lifecycle.TaskEvent
	EventTaskRescheduled EventType = "task.rescheduled" // lifecycle.TaskEvent
	EventTaskCancelled   EventType = "task.cancelled"   // lifecycle.TaskEvent
	EventTaskDue         EventType = "task.due"         // lifecycle.TaskEvent
	EventTaskDone        EventType = "task.done"        // lifecycle.TaskEvent

	EventPointsEarned   EventType = "points.earned"   // loyalty.PointsEvent
	EventPointsRedeemed EventType = "points.redeemed" // loyalty.PointsEvent
	EventPointsReversed EventType = "points.reversed" // loyalty.PointsEvent
	EventPointsExpiring EventType = "points.expiring" // loyalty.PointsExpiringEvent
	EventPointsExpired  EventType = "points.expired"  // loyalty.PointsEvent

	EventMembershipJoined   EventType = "membership.joined"   // loyalty.MembershipChange
	EventMembershipRenewed  EventType = "membership.renewed"  // loyalty.MembershipChange
	EventMembershipUpgraded EventType = "membership.upgraded" // loyalty.MembershipChange
	EventMembershipExpiring EventType = "membership.expiring" // loyalty.MembershipChange
	EventMembershipLapsed   EventType = "membership.lapsed"   // loyalty.MembershipChange
	// A membership moved down a tier (at the end of a period, by the
	// program's expiry rule, or by hand) or was cancelled.
	EventMembershipDowngraded EventType = "membership.downgraded" // loyalty.MembershipChange
	EventMembershipCancelled  EventType = "membership.cancelled"  // loyalty.MembershipChange

	EventSurveyDissatisfied EventType = "survey.dissatisfied" // satisfaction.DissatisfiedEvent

	EventLeadLevelChanged EventType = "lead.level_changed" // LeadEvent
	EventLeadStale        EventType = "lead.stale"         // LeadEvent
	EventLeadLost         EventType = "lead.lost"          // LeadEvent

	EventConsentChanged EventType = "consent.changed" // ConsentEvent
	EventCustomerErased EventType = "customer.erased" // ErasedEvent
	// A customer was merged into another (MergeCustomers); the subject
	// is the survivor.
	EventCustomerMerged EventType = "customer.merged" // MergedEvent
)

var allEventTypes = []EventType{
	EventTaskCreated, EventTaskRescheduled, EventTaskCancelled, EventTaskDue, EventTaskDone,
	EventPointsEarned, EventPointsRedeemed, EventPointsReversed, EventPointsExpiring, EventPointsExpired,
	EventMembershipJoined, EventMembershipRenewed, EventMembershipUpgraded, EventMembershipExpiring, EventMembershipLapsed,
	EventMembershipDowngraded, EventMembershipCancelled,
	EventSurveyDissatisfied,
	EventLeadLevelChanged, EventLeadStale, EventLeadLost,
	EventConsentChanged, EventCustomerErased, EventCustomerMerged,
}

// EventTypes returns every event type.
func EventTypes() []EventType { return slices.Clone(allEventTypes) }

// Valid reports whether t is a known event type.
func (t EventType) Valid() bool { return slices.Contains(allEventTypes, t) }

// EventSubject is the record an event is about. Webhooks deliver the
// events of one subject in order.
type EventSubject struct {
	// Kind is the record's kind: "customer", "task", "lead", "response".
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// The subject kinds.
const (
	SubjectCustomer = "customer"
	SubjectTask     = "task"
	SubjectLead     = "lead"
	SubjectResponse = "response"
)

// Event is one state change, as hosts read it.
type Event struct {
	// ID is unique (dealercrm.NewID); webhooks send it as webhook-id, so
	// a receiver deduplicates on it.
	ID       string   `json:"id"`
	DealerID DealerID `json:"dealer_id"`
	// Seq is the dealer's sequence number, given by the store as the
	// change commits: a reader that has seen Seq n never later meets a
	// smaller one. Numbers increase but may skip one (an event dropped
	// because its Key was written before).
	Seq int64 `json:"seq"`
	// Type says what happened; Version is the version of its payload's
	// schema, from 1.
	Type    EventType    `json:"type"`
	Version int          `json:"version"`
	Subject EventSubject `json:"subject"`
	// At is when the change happened, by the service's clock.
	At time.Time `json:"at"`
	// Payload is the type's payload, a JSON object. Payloads name records
	// by ID and carry no contact data: a customer.erased event carries
	// the customer's ID only.
	Payload json.RawMessage `json:"payload"`
	// Key, when set, makes the event once-only: a store writes no second
	// event of the dealer with the same key (a job that runs again for a
	// day re-emits its "task.due" events under the same keys).
	Key string `json:"-"`
}

// NewEvent returns an event of type t about subject with payload
// (marshalled to JSON), at at, with a new ID and version 1. The sequence
// number is the store's to give.
func NewEvent(dealer DealerID, t EventType, subject EventSubject, at time.Time, payload any) Event {
	b, err := json.Marshal(payload)
	if err != nil {
		// Payloads are the package's own structs of strings, numbers and
		// dates: failing to marshal one is a programming error.
		panic(fmt.Sprintf("crm: event %s payload: %v", t, err))
	}
	return Event{ID: dealercrm.NewID(), DealerID: dealer, Type: t, Version: 1, Subject: subject, At: at.UTC().Truncate(time.Microsecond), Payload: b}
}

// CheckEvent checks an event before a store writes it: a dealer, an ID, a
// known type, a version, a subject, a time and a JSON object payload. A
// store refuses what it refuses (an error with code Invalid).
func CheckEvent(e Event) error {
	var c Checker
	c.Prefix = "event."
	for _, f := range [][2]string{{"id", e.ID}, {"dealer_id", string(e.DealerID)}, {"subject.kind", e.Subject.Kind}, {"subject.id", e.Subject.ID}} {
		if f[1] == "" {
			c.Add(f[0], RuleRequired, "is required")
		} else if fe, bad := CheckText(f[0], f[1]); bad {
			c.Add(f[0], fe.Rule, "%s", fe.Message)
		}
	}
	CheckEnum(&c, "type", e.Type, EventType.Valid, true)
	if e.Version < 1 {
		c.Add("version", RuleRange, "must be at least 1")
	}
	if e.At.IsZero() {
		c.Add("at", RuleRequired, "is required")
	}
	if len(e.Payload) == 0 || e.Payload[0] != '{' || !json.Valid(e.Payload) {
		c.Add("payload", RuleFormat, "must be a JSON object")
	}
	return c.Err("event")
}

// CheckEvents checks each event (CheckEvent) and returns the first error.
func CheckEvents(evs []Event) error {
	for _, e := range evs {
		if err := CheckEvent(e); err != nil {
			return err
		}
	}
	return nil
}

// EventWriter takes the events of a change. Inside a transaction
// (Store.InTx) the events commit or vanish with the transaction's
// changes; outside one, Add writes them at once, atomically.
type EventWriter interface {
	Add(ctx context.Context, evs ...Event) error
}

// Paging limits of the event feed.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

// EventFilter selects a page of a dealer's events: those with Seq > After
// (0: from the oldest still held), of the Types given (all when empty), at
// most Limit (DefaultEventLimit when 0, MaxEventLimit at most).
type EventFilter struct {
	After int64       `json:"after,omitempty"`
	Types []EventType `json:"types,omitempty"`
	Limit int         `json:"limit,omitempty"`
}

// Validate checks the filter: a non-negative cursor, known types, a
// limit within bounds. The error is a *ValidationError naming the field.
func (f EventFilter) Validate() error {
	var c Checker
	if f.After < 0 {
		c.Add("after", RuleRange, "must not be negative")
	}
	for i, t := range f.Types {
		CheckEnum(&c, "types["+strconv.Itoa(i)+"]", t, EventType.Valid, true)
	}
	if f.Limit < 0 || f.Limit > MaxEventLimit {
		c.Add("limit", RuleRange, "must be between 1 and %d", MaxEventLimit)
	}
	return c.Err("event_filter")
}

// Size returns the effective page size.
func (f EventFilter) Size() int {
	if f.Limit <= 0 {
		return DefaultEventLimit
	}
	return min(f.Limit, MaxEventLimit)
}

// Match reports whether e is of one of the filter's types.
func (f EventFilter) Match(e Event) bool {
	return len(f.Types) == 0 || slices.Contains(f.Types, e.Type)
}

// ParseEventTypes parses a comma-separated list of types ("a,b"), as the
// feed's query parameter carries it.
func ParseEventTypes(s string) ([]EventType, error) {
	if s == "" {
		return nil, nil
	}
	var out []EventType
	var c Checker
	for i, p := range strings.Split(s, ",") {
		t := EventType(strings.TrimSpace(p))
		if CheckEnum(&c, "types["+strconv.Itoa(i)+"]", t, EventType.Valid, true) {
			out = append(out, t)
		}
	}
	return out, c.Err("event_filter")
}

// EventPage is a page of the feed. Next is the cursor to read on from —
// the Seq of the last event the store looked at — which moves past events
// of other types too, so that a filtered reader does not read them again.
type EventPage struct {
	Items []Event `json:"items"`
	Next  int64   `json:"next"`
}

// CursorExpiredError is the error of a feed read whose cursor is older
// than the retention: the events after it were removed. Oldest is the
// first sequence number still held; read on from Oldest-1, knowing that
// events were missed. Its code is dealercrm.FailedPrecondition; the HTTP
// API answers 410 Gone with code "cursor_expired".
type CursorExpiredError struct {
	After  int64
	Oldest int64
}

// Error implements error.
func (e *CursorExpiredError) Error() string {
	return fmt.Sprintf("events after %d are past their retention; the oldest held is %d", e.After, e.Oldest)
}

// ErrorCode implements dealercrm.Coder.
func (e *CursorExpiredError) ErrorCode() dealercrm.Code { return dealercrm.FailedPrecondition }

// EventStore keeps the dealers' events. Stores write events with the
// changes they report (EventWriter and each package's store); this port
// reads and prunes them.
type EventStore interface {
	// List returns the dealer's events with Seq > f.After in Seq order,
	// filtered by type. f is checked first (Validate). When f.After is
	// positive and events after it were purged, it returns a
	// *CursorExpiredError.
	List(ctx context.Context, dealer DealerID, f EventFilter) (EventPage, error)
	// Wait returns nil as soon as the dealer has an event with Seq >
	// after (at once when it has), or ctx's error when ctx ends first.
	Wait(ctx context.Context, dealer DealerID, after int64) error
	// Purge removes the dealer's events that happened before before, and
	// returns how many. Reads from a cursor before them then fail with a
	// *CursorExpiredError.
	Purge(ctx context.Context, dealer DealerID, before time.Time) (int, error)
}
