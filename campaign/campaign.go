package campaign

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// ID identifies a campaign.
type ID string

// Kind is the kind of a campaign (SPEC §5, seed 000).
type Kind string

// The campaign kinds.
const (
	Advertising     Kind = "advertising"      // TV/radio, web, print, outdoor, special media, display
	Interactive     Kind = "interactive"      // in-store classes 爱车讲堂 and salons, test drives, races
	DirectMarketing Kind = "direct_marketing" // DM, phone, SMS/e-mail, broker referral, personal visits
	PR              Kind = "pr"               // media relations, awards
	Sponsorship     Kind = "sponsorship"      // sponsored events, charity
	Promotion       Kind = "promotion"        // special models, trade-in subsidy
	Lottery         Kind = "lottery"          // quizzes and draws
	Care            Kind = "care"             // seasonal maintenance, holidays, by gender/age/family/model/hobby
	Club            Kind = "club"             // club events, self-drive trips
)

var allKinds = []Kind{Advertising, Interactive, DirectMarketing, PR, Sponsorship, Promotion, Lottery, Care, Club}

// Kinds returns every Kind, in order.
func Kinds() []Kind { return slices.Clone(allKinds) }

// Valid reports whether k is a known Kind.
func (k Kind) Valid() bool { return slices.Contains(allKinds, k) }

// Status is where a campaign is in its lifecycle (book 001 §8.6).
type Status string

// The campaign statuses, in lifecycle order.
const (
	Draft     Status = "draft"
	Approved  Status = "approved"
	Running   Status = "running"
	Completed Status = "completed"
	Evaluated Status = "evaluated"
)

var allStatuses = []Status{Draft, Approved, Running, Completed, Evaluated}

// Statuses returns every Status, in lifecycle order.
func Statuses() []Status { return slices.Clone(allStatuses) }

// Valid reports whether s is a known Status.
func (s Status) Valid() bool { return slices.Contains(allStatuses, s) }

// transitions is the campaign state machine: an approved campaign may go
// back to draft for changes; nothing leaves evaluated.
var transitions = map[Status][]Status{
	Draft:     {Approved},
	Approved:  {Draft, Running},
	Running:   {Completed},
	Completed: {Evaluated},
	Evaluated: {},
}

// CanMove reports whether a campaign may go from status s to status to.
func (s Status) CanMove(to Status) bool { return slices.Contains(transitions[s], to) }

// Costed reports whether costs may be booked in status s (running or completed).
func (s Status) Costed() bool { return s == Running || s == Completed }

// CostLine is one actual cost of a campaign.
type CostLine struct {
	ID          string          `json:"id"`
	Date        dealercrm.Date  `json:"date"`
	Description string          `json:"description"`
	Amount      decimal.Decimal `json:"amount"`
	// Channel is the contact channel the cost is for (one of the
	// campaign's channels); empty for a cost of the campaign as a whole.
	Channel crm.Channel `json:"channel,omitempty"`
	// Source is the lead source the cost buys (web ads: web), for the
	// lead-source rows of the channel report; empty when none.
	Source crm.Source `json:"source,omitempty"`
	// Key is the idempotency key the line was booked under (the HTTP
	// Idempotency-Key); empty means the line ID. See Service.BookCost.
	Key string `json:"idempotency_key,omitempty"`
}

// key returns the idempotency key of l: Key, or the line ID.
func (l *CostLine) key() string {
	if l.Key != "" {
		return l.Key
	}
	return l.ID
}

// Target is one named segment of a campaign's audience with its success
// target: members are labelled with the first target whose segment they
// match (seed 004: normal, repair only, maintenance too expensive,
// complained).
type Target struct {
	Name    string  `json:"name"`
	Segment Segment `json:"segment"`
	// Rate is the expected success (conversion) rate, a fraction: 0.35 for 35%.
	Rate decimal.Decimal `json:"rate"`
}

// Campaign is a marketing or care activity with its plan, lifecycle and
// actual costs.
type Campaign struct {
	ID       ID           `json:"id"`
	DealerID crm.DealerID `json:"dealer_id"`
	Name     string       `json:"name"`
	Kind     Kind         `json:"kind"`
	// Purpose is the consent purpose contacts are made under (marketing by
	// default; a care campaign may use service_reminder).
	Purpose crm.Purpose `json:"purpose"`
	// Channels are the contact channels in order of preference: a member is
	// contacted on the first one they consented to.
	Channels []crm.Channel  `json:"channels"`
	Status   Status         `json:"status"`
	Owner    crm.StaffID    `json:"owner,omitempty"`
	Start    dealercrm.Date `json:"start"`
	End      dealercrm.Date `json:"end"`
	// AttributionDays extends the conversion window past End: a sale or
	// service order from Start to End + AttributionDays converts a member.
	AttributionDays int             `json:"attribution_days"`
	Budget          decimal.Decimal `json:"budget"`
	Costs           []CostLine      `json:"costs"`
	// Targets are the audience's segments; empty for a campaign without an
	// audience (advertising).
	Targets []Target `json:"targets"`
	// Holdout is the share of consenting members not contacted, in [0, 0.5];
	// Seed makes the split deterministic.
	Holdout float64 `json:"holdout"`
	Seed    uint64  `json:"seed"`
	// FrozenAt is when the audience was frozen; zero before.
	FrozenAt  time.Time `json:"frozen_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Window returns the attribution window: Start to End + AttributionDays.
func (c *Campaign) Window() crm.DateRange {
	return crm.DateRange{From: c.Start, To: c.End.AddDays(c.AttributionDays)}
}

// Cost returns the sum of the cost lines.
func (c *Campaign) Cost() decimal.Decimal {
	var sum decimal.Decimal
	for _, l := range c.Costs {
		sum = sum.Add(l.Amount)
	}
	return sum
}

// Normalize fills defaults: status draft, purpose marketing.
func (c *Campaign) Normalize() {
	if c.Status == "" {
		c.Status = Draft
	}
	if c.Purpose == "" {
		c.Purpose = crm.PurposeMarketing
	}
}

// Validate checks the campaign against crm.DefaultLimits; errors name the
// JSON field ("targets[1].segment.and[0].value"). The Service checks
// against its own limits (WithLimits).
func (c *Campaign) Validate() error { return c.validate(crm.DefaultLimits()) }

func (c *Campaign) validate(limits crm.Limits) error {
	var k crm.Checker
	if strings.TrimSpace(string(c.ID)) == "" {
		k.Add("id", crm.RuleRequired, "is required")
	}
	if c.DealerID == "" {
		k.Add("dealer_id", crm.RuleRequired, "is required")
	}
	if strings.TrimSpace(c.Name) == "" {
		k.Add("name", crm.RuleRequired, "is required")
	} else if len([]rune(c.Name)) > 200 {
		k.Add("name", crm.RuleMaxLength, "is longer than 200 characters")
	}
	if !c.Kind.Valid() {
		k.Add("kind", crm.RuleEnum, "must be one of %v", allKinds)
	}
	if !c.Purpose.Valid() {
		k.Add("purpose", crm.RuleEnum, "must be one of %v", crm.Purposes())
	}
	if !c.Status.Valid() {
		k.Add("status", crm.RuleEnum, "must be one of %v", allStatuses)
	}
	for i, ch := range c.Channels {
		f := fmt.Sprintf("channels[%d]", i)
		if !ch.Valid() {
			k.Add(f, crm.RuleEnum, "must be one of %v", crm.Channels())
		} else if slices.Index(c.Channels, ch) != i {
			k.Add(f, crm.RuleUnique, "%s is listed twice", ch)
		}
	}
	if len(c.Targets) > 0 && len(c.Channels) == 0 {
		k.Add("channels", crm.RuleRequired, "a campaign with an audience needs a contact channel")
	}
	if c.Start.IsZero() || !c.Start.Valid() {
		k.Add("start", crm.RuleRequired, "is required")
	}
	if c.End.IsZero() || !c.End.Valid() {
		k.Add("end", crm.RuleRequired, "is required")
	} else if c.End.Before(c.Start) {
		k.Add("end", crm.RuleOrder, "is before start")
	}
	if c.AttributionDays < 0 || c.AttributionDays > 366 {
		k.Add("attribution_days", RuleRange, "must be from 0 to 366")
	}
	checkAmount(&k, "budget", c.Budget, limits)
	for i, l := range c.Costs {
		checkCost(&k, fmt.Sprintf("costs[%d].", i), l, c.Channels, limits)
	}
	names := map[string]bool{}
	for i, t := range c.Targets {
		f := fmt.Sprintf("targets[%d]", i)
		if strings.TrimSpace(t.Name) == "" {
			k.Add(f+".name", crm.RuleRequired, "is required")
		} else if names[t.Name] {
			k.Add(f+".name", crm.RuleUnique, "%q is used twice", t.Name)
		}
		names[t.Name] = true
		if t.Rate.IsNegative() || t.Rate.GreaterThan(decimal.NewFromInt(1)) {
			k.Add(f+".rate", RuleRange, "must be a fraction from 0 to 1")
		}
		if _, err := t.Segment.compile(f+".segment", dealercrm.NewDate(2000, 1, 1)); err != nil {
			k.Fields = append(k.Fields, fieldErrors(err)...)
		}
	}
	if c.Holdout < 0 || c.Holdout > 0.5 || c.Holdout != c.Holdout {
		k.Add("holdout", RuleRange, "must be a share from 0 to 0.5")
	}
	return k.Err("campaign")
}

// checkCost checks a cost line; prefix is put before the field names
// ("costs[0]." in a campaign, "" for a line booked alone).
func checkCost(k *crm.Checker, prefix string, l CostLine, channels []crm.Channel, limits crm.Limits) {
	if strings.TrimSpace(l.ID) == "" {
		k.Add(prefix+"id", crm.RuleRequired, "is required")
	}
	if l.Date.IsZero() || !l.Date.Valid() {
		k.Add(prefix+"date", crm.RuleRequired, "is required")
	}
	if strings.TrimSpace(l.Description) == "" {
		k.Add(prefix+"description", crm.RuleRequired, "is required")
	}
	checkAmount(k, prefix+"amount", l.Amount, limits)
	if l.Channel != "" && !slices.Contains(channels, l.Channel) {
		k.Add(prefix+"channel", crm.RuleEnum, "must be one of the campaign's channels %v", channels)
	}
	if l.Source != "" && !l.Source.Valid() {
		k.Add(prefix+"source", crm.RuleEnum, "must be one of %v", crm.Sources())
	}
}

// checkAmount checks a money amount: not negative, and within the limits
// (crm.Limits.CheckAmount: not above MaxAmount, at most
// crm.MaxAmountDecimals decimal places, judged before any arithmetic).
func checkAmount(k *crm.Checker, field string, v decimal.Decimal, limits crm.Limits) {
	if fe, bad := limits.CheckAmount(field, v); bad {
		k.Fields = append(k.Fields, fe)
	} else if v.IsNegative() {
		k.Add(field, crm.RuleNonNegative, "must not be negative")
	}
}

// fieldErrors returns the field errors of a *crm.ValidationError.
func fieldErrors(err error) []crm.FieldError {
	if v, ok := err.(*crm.ValidationError); ok {
		return v.Fields
	}
	return []crm.FieldError{{Field: "", Rule: crm.RuleFormat, Message: err.Error()}}
}

// clone returns a deep copy of c.
func (c Campaign) clone() Campaign {
	c.Channels = slices.Clone(c.Channels)
	c.Costs = slices.Clone(c.Costs)
	c.Targets = slices.Clone(c.Targets)
	for i := range c.Targets {
		c.Targets[i].Segment = c.Targets[i].Segment.Clone()
	}
	return c
}

// Clone returns a deep copy of c, for stores that copy values in and out.
func (c *Campaign) Clone() Campaign { return c.clone() }

// Filter filters campaigns; empty fields match everything.
type Filter struct {
	Status Status `json:"status,omitempty"`
	Kind   Kind   `json:"kind,omitempty"`
	crm.PageRequest
}

// Matches reports whether c passes the filter (paging aside).
func (f Filter) Matches(c *Campaign) bool {
	return (f.Status == "" || c.Status == f.Status) && (f.Kind == "" || c.Kind == f.Kind)
}
