package loyalty

import (
	"maps"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Status is a membership's state.
type Status string

// The membership states.
const (
	// StatusNone is the state before joining (no stored membership).
	StatusNone      Status = ""
	StatusActive    Status = "active"
	StatusLapsed    Status = "lapsed"
	StatusCancelled Status = "cancelled"
)

// Valid reports whether s is a stored state.
func (s Status) Valid() bool {
	return s == StatusActive || s == StatusLapsed || s == StatusCancelled
}

// Event is a membership state change.
type Event string

// The membership events.
const (
	EventJoin      Event = "join"
	EventRenew     Event = "renew"
	EventUpgrade   Event = "upgrade"
	EventDowngrade Event = "downgrade"
	EventLapse     Event = "lapse"
	EventCancel    Event = "cancel"
)

// events are the membership events in the order of the constants.
var events = []Event{EventJoin, EventRenew, EventUpgrade, EventDowngrade, EventLapse, EventCancel}

// transitions is the membership state machine: for each event, the states
// it may start from and the state it leads to.
var transitions = map[Event]struct {
	from []Status
	to   Status
}{
	EventJoin:      {from: []Status{StatusNone, StatusLapsed, StatusCancelled}, to: StatusActive},
	EventRenew:     {from: []Status{StatusActive}, to: StatusActive},
	EventUpgrade:   {from: []Status{StatusActive}, to: StatusActive},
	EventDowngrade: {from: []Status{StatusActive}, to: StatusActive},
	EventLapse:     {from: []Status{StatusActive}, to: StatusLapsed},
	EventCancel:    {from: []Status{StatusActive, StatusLapsed}, to: StatusCancelled},
}

// CanTransition reports whether event e is allowed in state s.
func CanTransition(s Status, e Event) bool {
	t, ok := transitions[e]
	if !ok {
		return false
	}
	for _, f := range t.from {
		if f == s {
			return true
		}
	}
	return false
}

// Membership is a customer's current club membership (one per dealer and
// customer; for a group programme, under the group's home dealer).
type Membership struct {
	DealerID   crm.DealerID   `json:"dealer_id"`
	CustomerID crm.CustomerID `json:"customer_id"`
	Tier       Tier           `json:"tier"`
	Status     Status         `json:"status"`
	JoinMethod JoinMethod     `json:"join_method"`
	JoinedOn   dealercrm.Date `json:"joined_on"`
	// ValidFrom and ValidUntil bound the current period (ValidUntil is the
	// last valid day).
	ValidFrom  dealercrm.Date `json:"valid_from"`
	ValidUntil dealercrm.Date `json:"valid_until"`
	// TierSince is when the member reached the current tier: repairs and
	// insurance before it do not upgrade again.
	TierSince dealercrm.Date `json:"tier_since"`
	// Used counts free services used in the current period, by code.
	Used map[string]int `json:"used,omitempty"`
	// Version counts the changes; UpdatedAt is the last.
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Clone returns a deep copy of m.
func (m Membership) Clone() Membership {
	m.Used = maps.Clone(m.Used)
	return m
}

// MembershipEvent records one change of a membership, with the rule that
// fired and the state after it.
type MembershipEvent struct {
	DealerID   crm.DealerID   `json:"dealer_id"`
	CustomerID crm.CustomerID `json:"customer_id"`
	Seq        int64          `json:"seq"`
	Event      Event          `json:"event"`
	FromTier   Tier           `json:"from_tier,omitempty"`
	ToTier     Tier           `json:"to_tier"`
	FromStatus Status         `json:"from_status,omitempty"`
	ToStatus   Status         `json:"to_status"`
	ValidUntil dealercrm.Date `json:"valid_until"`
	// Method is the join, renewal or upgrade method used.
	Method string `json:"method,omitempty"`
	// Rule says which rule fired, with its numbers ("500 points deducted").
	Rule   string `json:"rule"`
	Reason string `json:"reason,omitempty"`
	// Entry is the ledger entry of a deduction in points.
	Entry          EntryID        `json:"entry,omitempty"`
	Date           dealercrm.Date `json:"date"`
	At             time.Time      `json:"at"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
}

// apply runs event e on m (nil before joining) to make the new state;
// it returns ErrInvalidTransition when the state machine forbids it. It
// only checks and fills the event; the caller sets the tier and dates.
func transition(m *Membership, ev *MembershipEvent) error {
	from := StatusNone
	if m != nil {
		from = m.Status
		ev.FromTier = m.Tier
	}
	if !CanTransition(from, ev.Event) {
		return transitionError(from, ev.Event)
	}
	ev.FromStatus = from
	ev.ToStatus = transitions[ev.Event].to
	return nil
}

// transitionError is the *dealercrm.TransitionError of event e refused
// in state s: To is the event and Allowed the other events s allows, in
// the order of the constants. The event itself is left out because a
// tier rule may refuse an event the state allows (no downgrade from the
// lowest tier).
func transitionError(s Status, e Event) error {
	var allowed []Event
	for _, a := range events {
		if a != e && CanTransition(s, a) {
			allowed = append(allowed, a)
		}
	}
	return dealercrm.NewTransitionError("membership", s, e, allowed, ErrInvalidTransition)
}

// Quote is a workshop quote with a member's benefits applied.
type Quote struct {
	Tier Tier `json:"tier"`
	// Labour and Parts are the list amounts; the discounts are rounded to
	// the fen (0.01 CNY), half up.
	Labour         decimal.Decimal `json:"labour"`
	Parts          decimal.Decimal `json:"parts"`
	LabourDiscount decimal.Decimal `json:"labour_discount"`
	PartsDiscount  decimal.Decimal `json:"parts_discount"`
	Total          decimal.Decimal `json:"total"`
	// FreeServices are the free services used, with what is left of each
	// quota after them.
	FreeServices []FreeServiceUse `json:"free_services,omitempty"`
	Priority     bool             `json:"priority"`
}

// FreeServiceUse is one use of a free service in a quote.
type FreeServiceUse struct {
	Code string `json:"code"`
	// Remaining is the quota left in the period after this use.
	Remaining int `json:"remaining"`
}

// ApplyBenefits prices labour and parts for member m under its tier's
// benefits, and uses the named free services (one each), failing with
// ErrQuotaExhausted when one has no quota left or ErrNotMember when m is
// not active. It updates m.Used; the caller decides whether to keep it.
func (p *Program) ApplyBenefits(m *Membership, labour, parts decimal.Decimal, services []string) (Quote, error) {
	if m == nil || m.Status != StatusActive {
		return Quote{}, ErrNotMember
	}
	if labour.IsNegative() || parts.IsNegative() {
		return Quote{}, dealercrm.Errorf(dealercrm.Invalid, "loyalty: labour and parts must not be negative")
	}
	spec, ok := p.TierSpec(m.Tier)
	if !ok {
		return Quote{}, dealercrm.Errorf(dealercrm.FailedPrecondition, "loyalty: tier %q is not in the program", m.Tier)
	}
	hundred := decimal.NewFromInt(100)
	q := Quote{Tier: m.Tier, Labour: labour, Parts: parts, Priority: spec.Benefits.Priority,
		LabourDiscount: labour.Mul(spec.Benefits.LabourDiscount).Div(hundred).Round(2),
		PartsDiscount:  parts.Mul(spec.Benefits.PartsDiscount).Div(hundred).Round(2)}
	q.Total = labour.Add(parts).Sub(q.LabourDiscount).Sub(q.PartsDiscount)
	for _, code := range services {
		quota := -1
		for _, f := range spec.Benefits.FreeServices {
			if f.Code == code {
				quota = f.PerYear
			}
		}
		if quota < 0 {
			return Quote{}, dealercrm.Errorf(dealercrm.Invalid, "loyalty: tier %s has no free service %q", m.Tier, code)
		}
		if m.Used[code] >= quota {
			return Quote{}, ErrQuotaExhausted
		}
		if m.Used == nil {
			m.Used = map[string]int{}
		}
		m.Used[code]++
		q.FreeServices = append(q.FreeServices, FreeServiceUse{Code: code, Remaining: quota - m.Used[code]})
	}
	return q, nil
}
