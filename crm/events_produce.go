package crm

import (
	"slices"
	"time"
)

// The payloads of crm's events. They name records by ID and carry codes
// and times: no names, phone numbers or notes, so that a host's copy of
// the feed holds no personal data to erase.

// ConsentEvent is the payload of consent.changed: a customer's answer
// for one purpose and channel changed (given, withdrawn, or given again
// from another source).
type ConsentEvent struct {
	CustomerID CustomerID `json:"customer_id"`
	Purpose    Purpose    `json:"purpose"`
	Channel    Channel    `json:"channel"`
	Granted    bool       `json:"granted"`
	// At is when the customer answered; Source how it was recorded
	// ("sms_reply", "erasure", "sales contract").
	At     time.Time `json:"at"`
	Source string    `json:"source"`
}

// ErasedEvent is the payload of customer.erased: the customer's personal
// data was erased under PIPL. It carries the ID only; a host erases its
// own copy.
type ErasedEvent struct {
	CustomerID CustomerID `json:"customer_id"`
}

// LeadEvent is the payload of lead.level_changed (From and To set),
// lead.lost (To is F, Reason the approved lost reason) and lead.stale
// (Since is the last contact, or the creation of a lead never contacted).
type LeadEvent struct {
	LeadID       LeadID      `json:"lead_id"`
	CustomerID   CustomerID  `json:"customer_id,omitempty"`
	ConsultantID StaffID     `json:"consultant_id,omitempty"`
	From         IntentLevel `json:"from,omitempty"`
	To           IntentLevel `json:"to,omitempty"`
	Status       LeadStatus  `json:"status"`
	Reason       LostReason  `json:"reason,omitempty"`
	Since        time.Time   `json:"since,omitzero"`
}

// ConsentEvents returns the consent.changed events of a customer's change
// from old (nil for a new customer) to c: one per purpose and channel
// answered for the first time or whose answer turned (granted to
// withdrawn or back), in c's order. The same answer recorded again, from
// another source or at another time, is no change.
func ConsentEvents(old, c *Customer) []Event {
	var evs []Event
	for _, cs := range c.Consents {
		if old != nil && slices.ContainsFunc(old.Consents, func(o Consent) bool {
			return o.Purpose == cs.Purpose && o.Channel == cs.Channel && o.Granted == cs.Granted
		}) {
			continue
		}
		evs = append(evs, NewEvent(c.DealerID, EventConsentChanged, EventSubject{Kind: SubjectCustomer, ID: string(c.ID)}, c.UpdatedAt,
			ConsentEvent{CustomerID: c.ID, Purpose: cs.Purpose, Channel: cs.Channel, Granted: cs.Granted, At: cs.At, Source: cs.Source}))
	}
	return evs
}

// LeadEvents returns the events of a lead's change from old (nil for a new
// lead) to l, at at: lead.level_changed when its level moved (a new lead
// makes none), and lead.lost when it closed as lost.
func LeadEvents(old, l *Lead, at time.Time) []Event {
	if old == nil {
		return nil
	}
	subject := EventSubject{Kind: SubjectLead, ID: string(l.ID)}
	p := LeadEvent{LeadID: l.ID, CustomerID: l.CustomerID, ConsultantID: l.ConsultantID, From: old.Level, To: l.Level, Status: l.Status}
	var evs []Event
	if old.Level != l.Level {
		evs = append(evs, NewEvent(l.DealerID, EventLeadLevelChanged, subject, at, p))
	}
	if old.Status != LeadLost && l.Status == LeadLost {
		p.Reason = l.LostReason
		evs = append(evs, NewEvent(l.DealerID, EventLeadLost, subject, at, p))
	}
	return evs
}

// StaleLeadEvent returns the lead.stale event of a lead untouched since
// since, keyed by lead and since, so that a daily job that finds it stale
// every day reports it once per stretch of silence.
func StaleLeadEvent(l *Lead, since, at time.Time) Event {
	e := NewEvent(l.DealerID, EventLeadStale, EventSubject{Kind: SubjectLead, ID: string(l.ID)}, at,
		LeadEvent{LeadID: l.ID, CustomerID: l.CustomerID, ConsultantID: l.ConsultantID, To: l.Level, Status: l.Status, Since: since})
	e.Key = "lead.stale:" + string(l.ID) + ":" + since.UTC().Format(time.RFC3339)
	return e
}
