package httpapi

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// The event feed (SPEC §8): a host follows the changes of its dealer by
// reading GET /v1/events from a cursor, optionally waiting for the next
// event (long poll), instead of polling every list and comparing.

// MaxEventWait caps the wait parameter of the event feed, in seconds.
const MaxEventWait = 30

// codeCursorExpired is the code of a feed read whose cursor is older than
// the retention (crm.CursorExpiredError): 410 Gone.
const codeCursorExpired = "cursor_expired"

// WithEvents serves the event outbox of store (backend.Stores.Events) to
// a principal with permission events.read (admin and integration keys):
//
//	GET /v1/events?after=<seq>&types=a,b&limit=&wait=<seconds>
//
// The answer lists the dealer's events after the cursor in sequence
// order, and next: the cursor to pass as after to read on. With wait, an
// answer that would be empty waits up to that many seconds (at most
// MaxEventWait) for an event. A cursor older than the retention is
// answered 410 with code cursor_expired, naming the oldest sequence
// still held. Payloads carry IDs, codes, amounts and dates, never a
// phone number or a name.
func WithEvents(store crm.EventStore) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return eventRoutes(store) }, schemas: eventSchemas})
	}
}

// eventPayloads names the payload type of each event type, for the
// OpenAPI document. Every crm.EventType has an entry (a test walks them).
var eventPayloads = map[crm.EventType]reflect.Type{
	crm.EventConsentChanged:   reflect.TypeFor[crm.ConsentEvent](),
	crm.EventCustomerErased:   reflect.TypeFor[crm.ErasedEvent](),
	crm.EventCustomerMerged:   reflect.TypeFor[crm.MergedEvent](),
	crm.EventLeadLevelChanged: reflect.TypeFor[crm.LeadEvent](),
	crm.EventLeadLost:         reflect.TypeFor[crm.LeadEvent](),
	crm.EventLeadStale:        reflect.TypeFor[crm.LeadEvent](),

	crm.EventPointsEarned:         reflect.TypeFor[loyalty.PointsEvent](),
	crm.EventPointsRedeemed:       reflect.TypeFor[loyalty.PointsEvent](),
	crm.EventPointsReversed:       reflect.TypeFor[loyalty.PointsEvent](),
	crm.EventPointsExpired:        reflect.TypeFor[loyalty.PointsEvent](),
	crm.EventPointsExpiring:       reflect.TypeFor[loyalty.PointsExpiringEvent](),
	crm.EventMembershipJoined:     reflect.TypeFor[loyalty.MembershipChange](),
	crm.EventMembershipRenewed:    reflect.TypeFor[loyalty.MembershipChange](),
	crm.EventMembershipUpgraded:   reflect.TypeFor[loyalty.MembershipChange](),
	crm.EventMembershipDowngraded: reflect.TypeFor[loyalty.MembershipChange](),
	crm.EventMembershipExpiring:   reflect.TypeFor[loyalty.MembershipChange](),
	crm.EventMembershipLapsed:     reflect.TypeFor[loyalty.MembershipChange](),
	crm.EventMembershipCancelled:  reflect.TypeFor[loyalty.MembershipChange](),

	crm.EventTaskCreated:     reflect.TypeFor[lifecycle.TaskEvent](),
	crm.EventTaskRescheduled: reflect.TypeFor[lifecycle.TaskEvent](),
	crm.EventTaskCancelled:   reflect.TypeFor[lifecycle.TaskEvent](),
	crm.EventTaskDue:         reflect.TypeFor[lifecycle.TaskEvent](),
	crm.EventTaskDone:        reflect.TypeFor[lifecycle.TaskEvent](),

	crm.EventSurveyDissatisfied: reflect.TypeFor[satisfaction.DissatisfiedEvent](),
}

func eventSchemas(r *schemaRegistry) {
	// The payloads use the producing packages' types: their enumerations
	// and names, registered again (the same) when their routes are served.
	loyaltySchemas(r)
	lifecycleSchemas(r)
	satisfactionSchemas(r)
	addEnum(r, crm.EventTypes()...)
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[crm.Event]():     "Event",
		reflect.TypeFor[crm.EventPage](): "EventPage",
		reflect.TypeFor[crm.LeadEvent](): "LeadEventPayload",
	})
	r.docs["Event"] = "One state change of the dealer's records, in the dealer's sequence (seq). type says what happened and names the schema of payload (x-event-payloads); version is the payload schema's version. Webhooks send the same object, with id as webhook-id."
	r.docs["EventPage"] = "A page of the event feed: the events after the cursor, and next, the cursor to read on from (it moves past events of other types too)."
	r.eventPayloads = eventPayloads
}

// eventQuery is the query of the feed.
type eventQuery struct {
	crm.EventFilter
	Wait int
}

func eventRoutes(store crm.EventStore) []route {
	params := []filterParam[eventQuery]{
		{queryParam: queryParam{name: "after", typ: reflect.TypeFor[int64](),
			doc: "The cursor: the seq of the last event read (next of the previous answer); 0 or absent reads from the oldest event held."},
			set: func(q *eventQuery, v string) string {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					return "must be a non-negative integer"
				}
				q.After = n
				return ""
			}},
		enumsParam("types", "Only events of these types, comma-separated or repeated.", "event types", nil,
			func(q *eventQuery) *[]crm.EventType { return &q.Types }),
		{queryParam: queryParam{name: "limit", typ: reflect.TypeFor[int](),
			doc: "At most this many events: 1 to " + strconv.Itoa(crm.MaxEventLimit) + ", " + strconv.Itoa(crm.DefaultEventLimit) + " when omitted."},
			set: func(q *eventQuery, v string) string {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > crm.MaxEventLimit {
					return "must be an integer from 1 to " + strconv.Itoa(crm.MaxEventLimit)
				}
				q.Limit = n
				return ""
			}},
		{queryParam: queryParam{name: "wait", typ: reflect.TypeFor[int](),
			doc: "Long poll: when no event follows the cursor, wait up to this many seconds (0 to " + strconv.Itoa(MaxEventWait) + ") for one."},
			set: func(q *eventQuery, v string) string {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > MaxEventWait {
					return "must be an integer from 0 to " + strconv.Itoa(MaxEventWait)
				}
				q.Wait = n
				return ""
			}},
	}
	return []route{
		query(route{method: http.MethodGet, path: "/v1/events", op: "listEvents", tag: "Events",
			summary: "Read the key's dealer's events after a cursor, in sequence order, optionally waiting for the next",
			status:  http.StatusOK, result: reflect.TypeFor[crm.EventPage]()},
			params, func(c *call, q eventQuery) (crm.EventPage, error) {
				ctx := c.r.Context()
				page, err := store.List(ctx, c.dealer, q.EventFilter)
				if err != nil || len(page.Items) > 0 || q.Wait == 0 {
					return page, err
				}
				wait := time.Duration(q.Wait) * time.Second
				if dl, ok := ctx.Deadline(); ok {
					// Leave half the request's time to answer.
					wait = min(wait, time.Until(dl)/2)
				}
				wctx, cancel := context.WithTimeout(ctx, wait)
				defer cancel()
				if store.Wait(wctx, c.dealer, page.Next) != nil {
					return page, nil // nothing came: the empty page
				}
				q.After = page.Next
				return store.List(ctx, c.dealer, q.EventFilter)
			}),
	}
}

// eventPayloadSchemas adds the schema of every event payload to g and
// points the Event schema's payload at them.
func eventPayloadSchemas(g *schemaGen, payloads map[crm.EventType]reflect.Type) {
	if len(payloads) == 0 || g.defs["Event"] == nil {
		return
	}
	byType := map[string]any{}
	var refs []any
	seen := map[string]bool{}
	types := make([]crm.EventType, 0, len(payloads))
	for t := range payloads {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		r := g.schema(payloads[t])
		byType[string(t)] = r
		if name := r["$ref"].(string); !seen[name] {
			seen[name] = true
			refs = append(refs, r)
		}
	}
	ev := g.defs["Event"].(map[string]any)
	ev["x-event-payloads"] = byType
	ev["properties"].(map[string]any)["payload"] = map[string]any{"anyOf": refs,
		"description": "The payload of the event's type: x-event-payloads maps each type to its schema."}
}
