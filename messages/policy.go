package messages

import (
	"slices"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// Policy holds the numbers of the send-time checks (SPEC §8, docs/events.md
// "Messages"). DefaultPolicy gives the defaults.
type Policy struct {
	// QuietStart and QuietEnd bound the quiet hours as offsets from local
	// midnight in the dealer's time zone (21:00 and 08:00): a message of
	// QuietPurposes due from QuietStart to before QuietEnd is held until
	// QuietEnd. Equal values mean no quiet hours.
	QuietStart    time.Duration `json:"quiet_start"`
	QuietEnd      time.Duration `json:"quiet_end"`
	QuietPurposes []Purpose     `json:"quiet_purposes"`
	// CapMax messages of CapPurposes per customer in any CapDays days
	// (1 in 7): a further one is held until the oldest of them leaves the
	// window. CapMax 0 switches the cap off.
	CapMax      int       `json:"cap_max"`
	CapDays     int       `json:"cap_days"`
	CapPurposes []Purpose `json:"cap_purposes"`
	// MaxReminders is how many automatic reminders of one plan rule,
	// subject and anchor (Send.Series) are sent (2, SPEC §2.2); a further
	// one is refused. 0 means no limit.
	MaxReminders int `json:"max_reminders"`
	// MaxAttempts is how many times the Sender is tried (5); Retry is the
	// wait after the first failure (1 minute), doubled after each further
	// one and capped at RetryMax (1 hour).
	MaxAttempts int           `json:"max_attempts"`
	Retry       time.Duration `json:"retry"`
	RetryMax    time.Duration `json:"retry_max"`
	// Lease is how long a dispatcher holds a send it is working on before
	// another may take it (5 minutes): longer than one Sender call.
	Lease time.Duration `json:"lease"`
	// AutoChannels are the channels sent automatically: a task or a
	// campaign member on another channel (a phone call, a visit) is left
	// to staff (sms, wechat, email).
	AutoChannels []crm.Channel `json:"auto_channels"`
}

// DefaultPolicy returns the defaults of SPEC §8: quiet hours 21:00–08:00
// for reminders, marketing and care; one marketing message per customer
// per 7 days; two automatic reminders per plan rule; five attempts.
func DefaultPolicy() Policy {
	return Policy{
		QuietStart: 21 * time.Hour, QuietEnd: 8 * time.Hour,
		QuietPurposes: []Purpose{PurposeReminder, PurposeMarketing, PurposeCare},
		CapMax:        1, CapDays: 7, CapPurposes: []Purpose{PurposeMarketing},
		MaxReminders: 2,
		MaxAttempts:  5, Retry: time.Minute, RetryMax: time.Hour,
		Lease:        5 * time.Minute,
		AutoChannels: []crm.Channel{crm.ChannelSMS, crm.ChannelWeChat, crm.ChannelEmail},
	}
}

// Validate returns a *crm.ValidationError naming each bad setting.
func (p Policy) Validate() error {
	var c crm.Checker
	day := func(f string, d time.Duration) {
		if d < 0 || d >= 24*time.Hour {
			c.Add(f, crm.RuleRange, "must be from 0 to before 24h, got %s", d)
		}
	}
	day("quiet_start", p.QuietStart)
	day("quiet_end", p.QuietEnd)
	nonNeg := func(f string, n int) {
		if n < 0 {
			c.Add(f, crm.RuleNonNegative, "must not be negative, got %d", n)
		}
	}
	nonNeg("cap_max", p.CapMax)
	nonNeg("max_reminders", p.MaxReminders)
	if p.CapMax > 0 && p.CapDays <= 0 {
		c.Add("cap_days", crm.RuleRange, "must be positive with a cap, got %d", p.CapDays)
	}
	if p.MaxAttempts < 1 {
		c.Add("max_attempts", crm.RuleRange, "must be at least 1, got %d", p.MaxAttempts)
	}
	if p.Retry <= 0 || p.RetryMax < p.Retry {
		c.Add("retry", crm.RuleRange, "must be positive and at most retry_max")
	}
	if p.Lease <= 0 {
		c.Add("lease", crm.RuleRange, "must be positive")
	}
	for i, v := range p.QuietPurposes {
		crm.CheckEnum(&c, "quiet_purposes["+strconv.Itoa(i)+"]", v, Purpose.Valid, true)
	}
	for i, v := range p.CapPurposes {
		crm.CheckEnum(&c, "cap_purposes["+strconv.Itoa(i)+"]", v, Purpose.Valid, true)
	}
	for i, v := range p.AutoChannels {
		crm.CheckEnum(&c, "auto_channels["+strconv.Itoa(i)+"]", v, crm.Channel.Valid, true)
	}
	return c.Err("message policy")
}

// Facts are what the checks read at send time, gathered by the Service.
type Facts struct {
	// Now is the time of the attempt, Zone the dealer's time zone.
	Now  time.Time
	Zone *time.Location
	// Customer is the customer as stored now; nil when erased.
	Customer *crm.Customer
	// NotContacted says the campaign member is in the holdout or excluded.
	NotContacted bool
	// TaskStatus is the status of the send's task now ("" without one).
	TaskStatus lifecycle.Status
	// Capped are the SentAt of the customer's sent messages of
	// CapPurposes in the CapDays before Now, earliest first.
	Capped []time.Time
	// SeriesSent counts the sent sends of the send's series.
	SeriesSent int
	// Recipient is the address the message would go to now.
	Recipient string
}

// Decision is the outcome of the checks: Go, or a held or refused status
// with its reason code and parameters (and for held, Until).
type Decision struct {
	Go     bool
	Status Status
	Reason string
	Params map[string]string
	Until  time.Time
}

func refuse(reason string, kv ...string) Decision {
	return Decision{Status: StatusRefused, Reason: reason, Params: params(kv...)}
}

func hold(reason string, until time.Time, kv ...string) Decision {
	return Decision{Status: StatusHeld, Reason: reason, Until: until, Params: params(kv...)}
}

func params(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Check applies the send-time checks to s, in this order, and returns
// the first that stops it:
//
//  1. a campaign member in the holdout (or excluded) is never sent to
//     (ReasonHoldout); a customer erased meanwhile is not either
//     (ReasonGone), nor a reminder whose task closed (ReasonTaskClosed);
//  2. consent for the purpose and channel, as the customer record says
//     now (ReasonNoConsent); then an address to send to
//     (ReasonNoRecipient);
//  3. quiet hours hold QuietPurposes until QuietEnd, local time
//     (ReasonQuietHours);
//  4. the frequency cap holds CapPurposes until the oldest capped message
//     leaves the window (ReasonFrequencyCap);
//  5. an automatic reminder past MaxReminders of its series is refused
//     (ReasonReminderLimit).
//
// Check is pure: it reads only s, f and p.
func (p Policy) Check(s *Send, f Facts) Decision {
	if s.CampaignID != "" && f.NotContacted {
		return refuse(ReasonHoldout, "campaign", string(s.CampaignID))
	}
	if f.Customer == nil {
		return refuse(ReasonGone, "customer", string(s.CustomerID))
	}
	if f.TaskStatus != "" && !f.TaskStatus.Active() {
		return refuse(ReasonTaskClosed, "task", s.TaskKey, "status", string(f.TaskStatus))
	}
	purpose := s.ConsentPurpose()
	if !f.Customer.Allows(purpose, s.Channel) {
		return refuse(ReasonNoConsent, "purpose", string(purpose), "channel", string(s.Channel))
	}
	if f.Recipient == "" {
		return refuse(ReasonNoRecipient, "channel", string(s.Channel))
	}
	if until, quiet := p.quiet(f.Now, f.Zone); quiet && slices.Contains(p.QuietPurposes, s.Purpose) {
		return hold(ReasonQuietHours, until, "until", until.In(f.Zone).Format(time.RFC3339))
	}
	if p.CapMax > 0 && slices.Contains(p.CapPurposes, s.Purpose) && len(f.Capped) >= p.CapMax {
		until := f.Capped[len(f.Capped)-p.CapMax].Add(time.Duration(p.CapDays) * 24 * time.Hour)
		return hold(ReasonFrequencyCap, until, "sent", strconv.Itoa(len(f.Capped)), "max", strconv.Itoa(p.CapMax),
			"days", strconv.Itoa(p.CapDays), "until", until.In(f.Zone).Format(time.RFC3339))
	}
	if p.MaxReminders > 0 && s.Series != "" && f.SeriesSent >= p.MaxReminders {
		return refuse(ReasonReminderLimit, "sent", strconv.Itoa(f.SeriesSent), "max", strconv.Itoa(p.MaxReminders), "series", s.Series)
	}
	return Decision{Go: true}
}

// quiet reports whether now falls in the quiet hours of zone, and when
// they end.
func (p Policy) quiet(now time.Time, zone *time.Location) (time.Time, bool) {
	if p.QuietStart == p.QuietEnd {
		return time.Time{}, false
	}
	local := now.In(zone)
	y, m, d := local.Date()
	at := func(day int, off time.Duration) time.Time {
		return time.Date(y, m, day, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, zone)
	}
	start, end := at(d, p.QuietStart), at(d, p.QuietEnd)
	if p.QuietStart < p.QuietEnd {
		return end, !local.Before(start) && local.Before(end)
	}
	switch {
	case local.Before(end):
		return end, true
	case !local.Before(start):
		return at(d+1, p.QuietEnd), true
	}
	return time.Time{}, false
}

// backoff returns the wait before the attempt after attempts failures.
func (p Policy) backoff(attempts int) time.Duration {
	d := p.Retry
	for i := 1; i < attempts && d < p.RetryMax; i++ {
		d *= 2
	}
	return min(d, p.RetryMax)
}
