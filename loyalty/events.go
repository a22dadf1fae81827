package loyalty

import (
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// The club's events (SPEC §8, docs/events.md). A command's events are
// decided here, once, by EventsOf from what the command changed; both
// stores call it in Do after Apply succeeded (never for a replay, never
// for a failed Apply) and write the events with the command's changes.
// The expiring notices come from the daily jobs (ExpirePoints,
// ProcessExpiries) and are keyed, so that a job run twice for a day
// writes none twice. Payloads carry IDs, amounts, tiers and dates only —
// never a name, a phone number or text a person wrote — so an event says
// nothing an erasure under PIPL would have to take back.

// PointsEvent is the payload of points.earned (an earning or a bonus),
// points.redeemed, points.reversed and points.expired: one ledger entry.
type PointsEvent struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	// EntryID is the ledger entry (Store.Entry reads it).
	EntryID EntryID   `json:"entry_id"`
	Kind    EntryKind `json:"kind"`
	// Points is the signed change of redeemable points (negative for a
	// redemption, a reversal of an earning and an expiry), Cumulative the
	// signed change of cumulative points.
	Points     int64 `json:"points"`
	Cumulative int64 `json:"cumulative"`
	// Balance is the account's redeemable points after the entry.
	Balance int64 `json:"balance"`
	// Store is where the points were earned or redeemed; Date is the
	// posting date.
	Store crm.DealerID   `json:"store"`
	Date  dealercrm.Date `json:"date"`
	// Source is what the entry came from (a service order, a bonus
	// event's record); only an earning's or a bonus's source keeps its ID,
	// as the ledger does after an erasure (Entry.EraseText).
	Source Source `json:"source"`
	// Reverses is the entry a reversal reverses, and Shortfall the points
	// it could not take back because they had been spent.
	Reverses  EntryID `json:"reverses,omitempty"`
	Shortfall int64   `json:"shortfall,omitempty"`
	// AvailableOn and ExpiresOn are those of the lot the entry opened (an
	// earning, a bonus, the reversal of a redemption), zero for none.
	AvailableOn dealercrm.Date `json:"available_on,omitzero"`
	ExpiresOn   dealercrm.Date `json:"expires_on,omitzero"`
	// Lots are the changes to existing lots (a redemption, a reversal,
	// an expiry: which lots, how many points, their expiry).
	Lots []LotMove `json:"lots,omitempty"`
}

// PointsExpiringEvent is the payload of points.expiring: Points of the
// customer's points, in the lots listed, expire on ExpiresOn (the first
// day they are gone), DaysBefore days after the notice's day. One notice
// is written per customer and expiry date (key
// "points.expiring:<customer>:<expires_on>").
type PointsExpiringEvent struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	Points     int64          `json:"points"`
	ExpiresOn  dealercrm.Date `json:"expires_on"`
	DaysBefore int            `json:"days_before"`
	Lots       []EntryID      `json:"lots"`
}

// MembershipChange is the payload of the membership events: joined,
// renewed, upgraded, downgraded, lapsed, cancelled (a change, with the
// state before and after) and expiring (a notice: the membership as it
// stands, ending after ValidUntil, DaysBefore days after the notice's
// day; key "membership.expiring:<customer>:<valid_until>").
type MembershipChange struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	// Event is the membership event ("join", "renew", …); empty for a
	// notice.
	Event Event `json:"event,omitempty"`
	// Seq is the membership event's number (Store.MembershipEvents);
	// 0 for a notice.
	Seq            int64  `json:"seq,omitempty"`
	Tier           Tier   `json:"tier"`
	PreviousTier   Tier   `json:"previous_tier,omitempty"`
	Status         Status `json:"status"`
	PreviousStatus Status `json:"previous_status,omitempty"`
	// Method is the join, renewal or upgrade method used (a program
	// code, not text).
	Method     string         `json:"method,omitempty"`
	Date       dealercrm.Date `json:"date,omitzero"`
	ValidFrom  dealercrm.Date `json:"valid_from,omitzero"`
	ValidUntil dealercrm.Date `json:"valid_until"`
	// Entry is the ledger entry of a deduction in points (a renewal or
	// an upgrade paid with points: its points.redeemed event comes first).
	Entry      EntryID `json:"entry,omitempty"`
	DaysBefore int     `json:"days_before,omitempty"`
}

// pointsEventType is the event type of an entry of kind k.
func pointsEventType(k EntryKind) crm.EventType {
	switch k {
	case EntryRedeem:
		return crm.EventPointsRedeemed
	case EntryReverse:
		return crm.EventPointsReversed
	case EntryExpire:
		return crm.EventPointsExpired
	}
	return crm.EventPointsEarned
}

// membershipEventType is the event type of membership event e.
func membershipEventType(e Event) crm.EventType {
	switch e {
	case EventRenew:
		return crm.EventMembershipRenewed
	case EventUpgrade:
		return crm.EventMembershipUpgraded
	case EventDowngrade:
		return crm.EventMembershipDowngraded
	case EventLapse:
		return crm.EventMembershipLapsed
	case EventCancel:
		return crm.EventMembershipCancelled
	}
	return crm.EventMembershipJoined
}

// customerSubject is the subject of the club's events: the customer.
func customerSubject(customer crm.CustomerID) crm.EventSubject {
	return crm.EventSubject{Kind: crm.SubjectCustomer, ID: string(customer)}
}

// EventsOf returns the events of a command on the account of customer
// kept by dealer, from st as Apply left it: a points event for each new
// ledger entry, in sequence order, with the balance after it, then a
// membership event for each membership change. Each event is at its
// entry's CreatedAt or its membership event's At (the service's clock);
// at is taken for one that carries no time. A command that changed
// neither (a quote, a no-op) has none. Stores call it after Apply
// succeeded and write the events with the command's changes.
func EventsOf(dealer crm.DealerID, customer crm.CustomerID, st *State, at time.Time) []crm.Event {
	var added []Entry
	var balance int64
	if st.Account != nil {
		added = st.Account.NewEntries()
		balance = st.Account.d.Points
	}
	if len(added) == 0 && len(st.Events) == 0 {
		return nil
	}
	subject := customerSubject(customer)
	out := make([]crm.Event, 0, len(added)+len(st.Events))
	// Balances after each entry: the final balance less the later entries.
	after := make([]int64, len(added))
	for i := len(added) - 1; i >= 0; i-- {
		after[i] = balance
		balance -= added[i].Points
	}
	for i := range added {
		e := &added[i]
		p := PointsEvent{CustomerID: customer, EntryID: e.ID, Kind: e.Kind, Points: e.Points, Cumulative: e.Cumulative, Balance: after[i],
			Store: e.Store, Date: e.Date, Source: e.Source, Reverses: e.Reverses, Shortfall: e.Shortfall, Lots: e.Moves}
		if e.Kind != EntryEarn && e.Kind != EntryBonus {
			p.Source.ID = ""
		}
		if e.createsLot() {
			p.AvailableOn, p.ExpiresOn = e.AvailableOn, e.ExpiresOn
		}
		out = append(out, crm.NewEvent(dealer, pointsEventType(e.Kind), subject, orAt(e.CreatedAt, at), p))
	}
	for i := range st.Events {
		ev := &st.Events[i]
		p := MembershipChange{CustomerID: customer, Event: ev.Event, Seq: ev.Seq, Tier: ev.ToTier, Status: ev.ToStatus, Method: ev.Method,
			Date: ev.Date, ValidUntil: ev.ValidUntil, Entry: ev.Entry}
		if ev.FromTier != ev.ToTier {
			p.PreviousTier = ev.FromTier
		}
		if ev.FromStatus != ev.ToStatus {
			p.PreviousStatus = ev.FromStatus
		}
		if m := st.Membership; m != nil && m.ValidUntil == ev.ValidUntil {
			p.ValidFrom = m.ValidFrom
		}
		out = append(out, crm.NewEvent(dealer, membershipEventType(ev.Event), subject, orAt(ev.At, at), p))
	}
	return out
}

func orAt(t, at time.Time) time.Time {
	if t.IsZero() {
		return at
	}
	return t
}

// pointsExpiringEvents returns the points.expiring notices of the lots
// due (by customer, then lot) that expire after asOf: one per customer
// and expiry date, keyed so that it is written once.
func pointsExpiringEvents(dealer crm.DealerID, due []DueLot, asOf dealercrm.Date, at time.Time) []crm.Event {
	type noticeKey struct {
		customer crm.CustomerID
		on       dealercrm.Date
	}
	var order []noticeKey
	byKey := map[noticeKey]*PointsExpiringEvent{}
	for _, d := range due {
		if !d.Lot.ExpiresOn.After(asOf) || d.Lot.Remaining <= 0 {
			continue // overdue: the expiry job's, not a notice
		}
		k := noticeKey{d.CustomerID, d.Lot.ExpiresOn}
		n := byKey[k]
		if n == nil {
			n = &PointsExpiringEvent{CustomerID: d.CustomerID, ExpiresOn: d.Lot.ExpiresOn, DaysBefore: d.Lot.ExpiresOn.DaysSince(asOf)}
			byKey[k] = n
			order = append(order, k)
		}
		n.Points += d.Lot.Remaining
		n.Lots = append(n.Lots, d.Lot.ID)
	}
	out := make([]crm.Event, 0, len(order))
	for _, k := range order {
		e := crm.NewEvent(dealer, crm.EventPointsExpiring, customerSubject(k.customer), at, byKey[k])
		e.Key = "points.expiring:" + string(k.customer) + ":" + k.on.String()
		out = append(out, e)
	}
	return out
}

// membershipExpiringEvent returns the membership.expiring notice of m,
// whose period ends after m.ValidUntil, as of asOf.
func membershipExpiringEvent(m *Membership, asOf dealercrm.Date, at time.Time) crm.Event {
	p := MembershipChange{CustomerID: m.CustomerID, Tier: m.Tier, Status: m.Status, ValidFrom: m.ValidFrom, ValidUntil: m.ValidUntil,
		DaysBefore: m.ValidUntil.AddDays(1).DaysSince(asOf)}
	e := crm.NewEvent(m.DealerID, crm.EventMembershipExpiring, customerSubject(m.CustomerID), at, p)
	e.Key = "membership.expiring:" + string(m.CustomerID) + ":" + m.ValidUntil.String()
	return e
}
