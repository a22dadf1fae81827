package messages

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// Purpose says what a message is for; it picks the consent a send needs
// (Consent) and the checks that apply to it (Policy).
type Purpose string

// The message purposes.
const (
	// PurposeReminder is an automatic reminder of the touchpoint plan
	// (maintenance, inspection, warranty): consent service_reminder.
	PurposeReminder Purpose = "reminder"
	// PurposeMarketing is a campaign send or a sales offer: consent
	// marketing, the frequency cap and the opt-out hint apply.
	PurposeMarketing Purpose = "marketing"
	// PurposeCare is a birthday or holiday greeting: consent marketing
	// (a greeting from a business is promotion under PIPL practice), held
	// by quiet hours but not counted by the frequency cap.
	PurposeCare Purpose = "care"
	// PurposeService is a message about a job the customer asked for (the
	// car is ready): consent service_reminder, never held.
	PurposeService Purpose = "service"
)

var allPurposes = []Purpose{PurposeReminder, PurposeMarketing, PurposeCare, PurposeService}

// Purposes returns every Purpose value, in order.
func Purposes() []Purpose { return slices.Clone(allPurposes) }

// Valid reports whether p is a known Purpose.
func (p Purpose) Valid() bool { return slices.Contains(allPurposes, p) }

// ParsePurpose returns s as a Purpose, or a *crm.ValidationError.
func ParsePurpose(s string) (Purpose, error) { return crm.ParseEnum("purpose", s, allPurposes) }

// Consent returns the crm consent purpose a message of p needs by
// default: service_reminder for reminders and service messages,
// marketing for marketing and care.
func (p Purpose) Consent() crm.Purpose {
	if p == PurposeReminder || p == PurposeService {
		return crm.PurposeServiceReminder
	}
	return crm.PurposeMarketing
}

// Message is one message handed to a Sender: the host's gateway (SMS,
// WeCom, WeChat, e-mail) renders Template with Params and delivers it to
// Recipient.
type Message struct {
	DealerID   crm.DealerID   `json:"dealer_id"`
	CustomerID crm.CustomerID `json:"customer_id"`
	Channel    crm.Channel    `json:"channel"`
	Purpose    Purpose        `json:"purpose"`
	// Consent is the consent purpose checked at send time; empty means
	// Purpose.Consent().
	Consent crm.Purpose `json:"consent,omitempty"`
	// Template is the host's template ID (see Templates).
	Template string            `json:"template"`
	Params   map[string]string `json:"params,omitempty"`
	// Recipient is the address on Channel: a mobile number for SMS, an
	// open ID or an e-mail address for the others.
	Recipient string `json:"recipient"`
	// Key is the idempotency key: one send per key and dealer, and the
	// gateway may use it to drop a repeated delivery.
	Key string `json:"key"`
}

// ConsentPurpose returns the consent purpose the message needs.
func (m *Message) ConsentPurpose() crm.Purpose {
	if m.Consent != "" {
		return m.Consent
	}
	return m.Purpose.Consent()
}

// Validate returns a *crm.ValidationError naming each bad field.
func (m *Message) Validate() error {
	var c crm.Checker
	m.check(&c)
	if m.Recipient == "" {
		c.Add("recipient", crm.RuleRequired, "is required")
	}
	return c.Err("message")
}

func (m *Message) check(c *crm.Checker) {
	req := func(f, v string, max int) {
		switch {
		case v == "" && f == "recipient":
			// Checked by Validate and Service.Enqueue: a planned send may
			// find its address when it is due.
		case v == "":
			c.Add(f, crm.RuleRequired, "is required")
		case len(v) > max:
			c.Add(f, crm.RuleMaxLength, "is longer than %d bytes", max)
		default:
			if fe, bad := crm.CheckText(f, v); bad {
				c.Append(fe)
			}
		}
	}
	req("dealer_id", string(m.DealerID), 64)
	req("customer_id", string(m.CustomerID), 64)
	crm.CheckEnum(c, "channel", m.Channel, crm.Channel.Valid, true)
	crm.CheckEnum(c, "purpose", m.Purpose, Purpose.Valid, true)
	crm.CheckEnum(c, "consent", m.Consent, crm.Purpose.Valid, false)
	req("template", m.Template, 128)
	req("recipient", m.Recipient, 256)
	req("key", m.Key, 256)
	for k, v := range m.Params {
		if fe, bad := crm.CheckText("params["+k+"]", k+v); bad {
			c.Append(fe)
		}
	}
}

// Result is what a Sender reports of a delivered message.
type Result struct {
	// ProviderID is the gateway's ID of the message, for tracing; empty
	// when it gives none.
	ProviderID string `json:"provider_id,omitempty"`
}

// Sender is the port a host implements for its SMS gateway, WeCom,
// WeChat or e-mail. Send delivers one message; a message with a Key it
// has delivered before must not be delivered again (retries reuse the
// key). An error is retried with backoff (Policy.Retry) up to
// Policy.MaxAttempts, unless it errors.Is ErrUndeliverable (a wrong
// number, a template the gateway refuses), which fails the send at once.
type Sender interface {
	Send(ctx context.Context, m Message) (Result, error)
}

// SenderFunc adapts a function to a Sender.
type SenderFunc func(ctx context.Context, m Message) (Result, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) (Result, error) { return f(ctx, m) }

// Errors of the messages package. Test them with errors.Is.
var (
	// ErrNotFound is returned for a send that does not exist.
	ErrNotFound = &dealercrm.Error{Code: dealercrm.NotFound, Message: "messages: send not found"}
	// ErrUndeliverable, wrapped by a Sender's error, says a retry cannot
	// help: the send fails without further attempts.
	ErrUndeliverable = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "messages: undeliverable"}
)

// Status is the state of a Send.
type Status string

// The send statuses. A send is queued when planned, held while quiet
// hours or the frequency cap keep it back (until Next), sent once the
// Sender took it, failed when the Sender failed (retried at Next while
// Next is set) and refused when a check forbids it for good.
const (
	StatusQueued  Status = "queued"
	StatusHeld    Status = "held"
	StatusSent    Status = "sent"
	StatusFailed  Status = "failed"
	StatusRefused Status = "refused"
)

var allStatuses = []Status{StatusQueued, StatusHeld, StatusSent, StatusFailed, StatusRefused}

// Statuses returns every Status value, in order.
func Statuses() []Status { return slices.Clone(allStatuses) }

// Valid reports whether s is a known Status.
func (s Status) Valid() bool { return slices.Contains(allStatuses, s) }

// ParseStatus returns s as a Status, or a *crm.ValidationError.
func ParseStatus(s string) (Status, error) { return crm.ParseEnum("status", s, allStatuses) }

// Reason codes: why a send is held or refused (Send.Reason), with
// parameters in Send.ReasonParams.
const (
	// ReasonQuietHours holds a reminder or marketing message during quiet
	// hours; params "until" (RFC 3339, dealer time).
	ReasonQuietHours = "held_quiet_hours"
	// ReasonFrequencyCap holds a marketing message while the customer had
	// their cap of marketing messages in the window; params "sent",
	// "max", "days", "until".
	ReasonFrequencyCap = "held_frequency_cap"
	// ReasonNoConsent refuses a message the customer has not consented to
	// (now); params "purpose", "channel".
	ReasonNoConsent = "refused_no_consent"
	// ReasonHoldout refuses a campaign message to a member of its holdout
	// (or an excluded member); params "campaign".
	ReasonHoldout = "refused_holdout"
	// ReasonReminderLimit refuses an automatic reminder past the limit of
	// its plan rule; params "sent", "max", "series".
	ReasonReminderLimit = "refused_reminder_limit"
	// ReasonTaskClosed refuses a reminder whose task was done, skipped or
	// cancelled meanwhile; params "task", "status".
	ReasonTaskClosed = "refused_task_closed"
	// ReasonNoRecipient refuses a message without an address (a customer
	// without a mobile number); params "channel".
	ReasonNoRecipient = "refused_no_recipient"
	// ReasonGone refuses a message whose customer no longer exists (erased).
	ReasonGone = "refused_customer_gone"
)

// SendID identifies a send.
type SendID string

// Send is the record of one message: what is sent to whom, why (a task
// or a campaign), and how it went. A dealer has one send per Key.
type Send struct {
	ID SendID `json:"id"`
	Message
	// VehicleID is the vehicle a reminder is about; empty otherwise.
	VehicleID crm.VehicleID `json:"vehicle_id,omitempty"`
	// TaskID and TaskKey name the lifecycle task a reminder comes from.
	TaskID  lifecycle.TaskID `json:"task_id,omitempty"`
	TaskKey string           `json:"task_key,omitempty"`
	// Series groups the automatic reminders of one plan rule, subject and
	// anchor (the task key without its reminder number); the reminder
	// limit counts the sent sends of a series.
	Series string `json:"series,omitempty"`
	// CampaignID is the campaign a marketing send belongs to.
	CampaignID campaign.ID `json:"campaign_id,omitempty"`
	Status     Status      `json:"status"`
	// Reason and ReasonParams say why the send is held or refused, or
	// (Error) why it failed.
	Reason       string            `json:"reason,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
	// Next is when the send is due to be tried (queued, held, failed with
	// a retry left); zero when nothing more will be done.
	Next time.Time `json:"next,omitzero"`
	// Attempts counts the calls to the Sender.
	Attempts int `json:"attempts"`
	// Error is the Sender's last error; empty when none.
	Error string `json:"error,omitempty"`
	// Result is the Sender's answer once sent, SentAt when.
	Result Result    `json:"result"`
	SentAt time.Time `json:"sent_at,omitzero"`
	// InteractionID is the crm.Interaction of the latest attempt.
	InteractionID crm.InteractionID `json:"interaction_id,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

// Clone returns a copy of s that shares no memory with it.
func (s Send) Clone() Send {
	s.Params = maps.Clone(s.Params)
	s.ReasonParams = maps.Clone(s.ReasonParams)
	return s
}

// Validate returns a *crm.ValidationError naming each bad field.
func (s *Send) Validate() error {
	var c crm.Checker
	if s.ID == "" {
		c.Add("id", crm.RuleRequired, "is required")
	}
	s.Message.check(&c)
	crm.CheckEnum(&c, "status", s.Status, Status.Valid, true)
	if s.Attempts < 0 {
		c.Add("attempts", crm.RuleNonNegative, "must not be negative")
	}
	for f, v := range map[string]string{"task_key": s.TaskKey, "series": s.Series, "error": s.Error, "reason": s.Reason} {
		if fe, bad := crm.CheckText(f, v); bad {
			c.Append(fe)
		}
	}
	for k, v := range s.ReasonParams {
		if fe, bad := crm.CheckText("reason_params["+k+"]", k+v); bad {
			c.Append(fe)
		}
	}
	if s.CreatedAt.IsZero() {
		c.Add("created_at", crm.RuleRequired, "is required")
	}
	return c.Err("send")
}

// Filter selects a dealer's sends; empty fields match everything.
// Listings are in ascending ID order (IDs grow with time, so oldest
// first); the cursor is the ID of the last send of the previous page.
type Filter struct {
	Status     Status         `json:"status,omitempty"`
	CustomerID crm.CustomerID `json:"customer_id,omitempty"`
	// From and To bound CreatedAt: From included, To excluded.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	crm.PageRequest
}

// Validate returns a *crm.ValidationError naming each bad field.
func (f Filter) Validate() error {
	var c crm.Checker
	crm.CheckEnum(&c, "status", f.Status, Status.Valid, false)
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		c.Add("to", crm.RuleOrder, "must not be before from")
	}
	if _, err := f.AfterID(); err != nil {
		c.Add("after", crm.RuleFormat, "is not a cursor returned by a previous page")
	}
	return c.Err("send filter")
}

// Match reports whether s passes the filter (not the cursor).
func (f Filter) Match(s *Send) bool {
	return (f.Status == "" || s.Status == f.Status) && (f.CustomerID == "" || s.CustomerID == f.CustomerID) &&
		(f.From.IsZero() || !s.CreatedAt.Before(f.From)) && (f.To.IsZero() || s.CreatedAt.Before(f.To))
}

// SentQuery selects sent sends of one dealer for the frequency cap and
// the reminder limit: those of CustomerID with one of Purposes sent at or
// after Since, or those of Series; empty fields match everything.
type SentQuery struct {
	CustomerID crm.CustomerID
	Purposes   []Purpose
	Series     string
	Since      time.Time
}

// Match reports whether s is a sent send the query selects.
func (q SentQuery) Match(s *Send) bool {
	return s.Status == StatusSent && (q.CustomerID == "" || s.CustomerID == q.CustomerID) &&
		(len(q.Purposes) == 0 || slices.Contains(q.Purposes, s.Purpose)) &&
		(q.Series == "" || s.Series == q.Series) && (q.Since.IsZero() || !s.SentAt.Before(q.Since))
}

// Store keeps the sends. Implementations are safe for concurrent use and
// copy sends in and out; messagestest.RunStoreTests is their conformance
// suite. Each method fails when the context ends.
type Store interface {
	// Create stores s unless the dealer has a send with its Key: then it
	// returns the stored send and false (a retry returns the first
	// record), else s and true. An invalid send is a
	// *crm.ValidationError and nothing is stored.
	Create(ctx context.Context, s Send) (Send, bool, error)
	// Get returns a send of the dealer, or ErrNotFound.
	Get(ctx context.Context, dealer crm.DealerID, id SendID) (Send, error)
	// Update changes one send under a lock: fn sees the stored send and
	// an error from it aborts; ID, dealer, key and CreatedAt stay. A
	// result that is not valid is a *crm.ValidationError, an absent send
	// ErrNotFound.
	Update(ctx context.Context, dealer crm.DealerID, id SendID, fn func(*Send) error) (Send, error)
	// Due returns up to limit of the dealer's queued, held and failed
	// sends whose Next is set and not after now, earliest Next first
	// (then ID).
	Due(ctx context.Context, dealer crm.DealerID, now time.Time, limit int) ([]Send, error)
	// SentTimes returns the SentAt of the dealer's sent sends q selects,
	// earliest first.
	SentTimes(ctx context.Context, dealer crm.DealerID, q SentQuery) ([]time.Time, error)
	// List returns the dealer's sends matching f in ascending ID order, a
	// page at a time; a bad filter or cursor is a *crm.ValidationError.
	List(ctx context.Context, dealer crm.DealerID, f Filter) (crm.Page[Send], error)
}
