package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Service runs campaigns over a crm.Store and a Store.
type Service struct {
	crm     crm.Store
	store   Store
	sources []AttributeSource
	now     func() time.Time
	limits  crm.Limits
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLimits sets the bounds of plausible input (crm.DefaultLimits by
// default; unset fields take their defaults): cost lines and responses
// may not be dated after the dealer's today plus l.FutureDays, and
// budgets, cost amounts, revenues and accessory targets may not exceed
// l.MaxAmount. Pass every service the same Limits.
func WithLimits(l crm.Limits) Option { return func(s *Service) { s.limits = l.OrDefault() } }

// WithAttributes adds sources of derived attributes (grade, lifecycle
// stage, abnormal classes, loyalty tier, tags) read by RefreshProfiles.
func WithAttributes(src ...AttributeSource) Option {
	return func(s *Service) { s.sources = append(s.sources, src...) }
}

// NewService returns a Service.
func NewService(crmStore crm.Store, store Store, opts ...Option) (*Service, error) {
	if crmStore == nil || store == nil {
		return nil, errors.New("campaign: NewService needs a crm store and a campaign store")
	}
	s := &Service{crm: crmStore, store: store, now: time.Now, limits: crm.DefaultLimits()}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Store returns the campaign store.
func (s *Service) Store() Store { return s.store }

// Today returns today's date in the dealer's time zone.
func (s *Service) Today(ctx context.Context, dealer crm.DealerID) (dealercrm.Date, error) {
	d, err := s.crm.Dealers().Get(ctx, dealer)
	if err != nil {
		return dealercrm.Date{}, fmt.Errorf("campaign: dealer %s: %w", dealer, err)
	}
	return d.Today(s.now()), nil
}

func (s *Service) asOf(ctx context.Context, dealer crm.DealerID, d dealercrm.Date) (dealercrm.Date, error) {
	if !d.IsZero() {
		return d, nil
	}
	return s.Today(ctx, dealer)
}

// Create stores a new draft campaign for dealer. An empty ID gets a new
// one; the status is draft and FrozenAt zero whatever c says, and costs
// are not accepted yet (ErrCostNotAllowed).
func (s *Service) Create(ctx context.Context, dealer crm.DealerID, c Campaign) (Campaign, error) {
	c = c.clone()
	if c.ID == "" {
		c.ID = ID(dealercrm.NewID())
	}
	crm.NoteAudit(ctx, string(c.ID))
	c.DealerID, c.Status, c.FrozenAt = dealer, Draft, time.Time{}
	if len(c.Costs) > 0 {
		return Campaign{}, ErrCostNotAllowed
	}
	c.Normalize()
	if err := c.validate(s.limits); err != nil {
		return Campaign{}, err
	}
	c.CreatedAt = s.now().UTC()
	c.UpdatedAt = c.CreatedAt
	if err := s.store.CreateCampaign(ctx, &c); err != nil {
		return Campaign{}, fmt.Errorf("campaign: create %s: %w", c.ID, err)
	}
	return c, nil
}

// Get returns a campaign, or ErrNotFound.
func (s *Service) Get(ctx context.Context, dealer crm.DealerID, id ID) (Campaign, error) {
	return s.store.GetCampaign(ctx, dealer, id)
}

// Delete removes a draft campaign (ErrNotEditable for any other status).
func (s *Service) Delete(ctx context.Context, dealer crm.DealerID, id ID) error {
	c, err := s.store.GetCampaign(ctx, dealer, id)
	if err != nil {
		return err
	}
	if c.Status != Draft {
		return ErrNotEditable
	}
	return s.store.DeleteCampaign(ctx, dealer, id)
}

// List lists the dealer's campaigns.
func (s *Service) List(ctx context.Context, dealer crm.DealerID, f Filter) (crm.Page[Campaign], error) {
	return s.store.ListCampaigns(ctx, dealer, f)
}

// Update changes a campaign's plan; nil fields are left alone.
type Update struct {
	Name            *string          `json:"name,omitempty"`
	Kind            *Kind            `json:"kind,omitempty"`
	Purpose         *crm.Purpose     `json:"purpose,omitempty"`
	Channels        *[]crm.Channel   `json:"channels,omitempty"`
	Owner           *crm.StaffID     `json:"owner,omitempty"`
	Start           *dealercrm.Date  `json:"start,omitempty"`
	End             *dealercrm.Date  `json:"end,omitempty"`
	AttributionDays *int             `json:"attribution_days,omitempty"`
	Budget          *decimal.Decimal `json:"budget,omitempty"`
	Targets         *[]Target        `json:"targets,omitempty"`
	Holdout         *float64         `json:"holdout,omitempty"`
	Seed            *uint64          `json:"seed,omitempty"`
}

// Update applies u to a draft campaign (ErrNotEditable otherwise).
func (s *Service) Update(ctx context.Context, dealer crm.DealerID, id ID, u Update) (Campaign, error) {
	return s.store.UpdateCampaign(ctx, dealer, id, func(c *Campaign) error {
		if c.Status != Draft {
			return ErrNotEditable
		}
		set(&c.Name, u.Name)
		set(&c.Kind, u.Kind)
		set(&c.Purpose, u.Purpose)
		if u.Channels != nil {
			c.Channels = slices.Clone(*u.Channels)
		}
		set(&c.Owner, u.Owner)
		set(&c.Start, u.Start)
		set(&c.End, u.End)
		set(&c.AttributionDays, u.AttributionDays)
		set(&c.Budget, u.Budget)
		if u.Targets != nil {
			c.Targets = (&Campaign{Targets: *u.Targets}).clone().Targets
		}
		set(&c.Holdout, u.Holdout)
		set(&c.Seed, u.Seed)
		c.Normalize()
		if err := c.validate(s.limits); err != nil {
			return err
		}
		c.UpdatedAt = s.now().UTC()
		return nil
	})
}

// sameCost reports whether a and b are the same line booked under the
// same key.
func sameCost(a, b CostLine) bool {
	return a.ID == b.ID && a.key() == b.key() && sameValues(a, b)
}

func sameValues(a, b CostLine) bool {
	return a.Date == b.Date && a.Description == b.Description && a.Amount.Equal(b.Amount) && a.Channel == b.Channel && a.Source == b.Source
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Transition moves a campaign to status to. A change the lifecycle does
// not allow is a *dealercrm.TransitionError (errors.Is
// ErrInvalidTransition), an unknown status a *crm.ValidationError on
// "status". Moving to evaluated attributes conversions first (see
// Attribute).
func (s *Service) Transition(ctx context.Context, dealer crm.DealerID, id ID, to Status) (Campaign, error) {
	if !to.Valid() {
		return Campaign{}, &crm.ValidationError{Entity: "transition", Fields: []crm.FieldError{{Field: "status", Rule: crm.RuleEnum, Message: fmt.Sprintf("must be one of %v", allStatuses)}}}
	}
	if to == Evaluated {
		c, err := s.store.GetCampaign(ctx, dealer, id)
		if err != nil {
			return Campaign{}, err
		}
		if !c.Status.CanMove(to) {
			return Campaign{}, transitionError(c.Status, to)
		}
		if !c.FrozenAt.IsZero() {
			if _, err := s.Attribute(ctx, dealer, id); err != nil {
				return Campaign{}, err
			}
		}
	}
	return s.store.UpdateCampaign(ctx, dealer, id, func(c *Campaign) error {
		if !c.Status.CanMove(to) {
			return transitionError(c.Status, to)
		}
		c.Status = to
		c.UpdatedAt = s.now().UTC()
		return nil
	})
}

func transitionError(from, to Status) error {
	return dealercrm.NewTransitionError("campaign status", from, to, transitions[from], ErrInvalidTransition)
}

// AddCost books an actual cost line on a running or completed campaign
// (see BookCost).
func (s *Service) AddCost(ctx context.Context, dealer crm.DealerID, id ID, l CostLine) (Campaign, error) {
	c, _, err := s.BookCost(ctx, dealer, id, l)
	return c, err
}

// BookCost books an actual cost line on a running or completed campaign
// (ErrCostNotAllowed otherwise) and reports whether the request was a
// replay, as an HTTP adapter says in its reply. The line is dated by the
// dealer's today at the latest (plus the limits' FutureDays) and its
// amount is at most the limits' MaxAmount; a bad line is a
// *crm.ValidationError naming the field ("amount").
//
// l.Key is the request's idempotency key (the Idempotency-Key header);
// empty means the line ID, and an empty line ID is the key, or a new ID.
// The key makes the request safe to retry, the line ID makes the cost
// count once:
//
//   - the same line (ID and values) under the same key is a replay: nothing
//     is booked twice;
//   - a line ID booked before under another key, or with other values, is
//     ErrCostConflict: a second booking of one cost is refused, not merged;
//   - a key used before for another line ID is ErrIdempotencyConflict.
func (s *Service) BookCost(ctx context.Context, dealer crm.DealerID, id ID, l CostLine) (Campaign, bool, error) {
	if l.ID == "" {
		l.ID = l.Key
	}
	if l.ID == "" {
		l.ID = dealercrm.NewID()
	}
	if l.Key == l.ID {
		l.Key = ""
	}
	today, err := s.Today(ctx, dealer)
	if err != nil {
		return Campaign{}, false, err
	}
	replayed := false
	c, err := s.store.UpdateCampaign(ctx, dealer, id, func(c *Campaign) error {
		replayed = false
		if !c.Status.Costed() {
			return ErrCostNotAllowed
		}
		if i := slices.IndexFunc(c.Costs, func(x CostLine) bool { return x.ID == l.ID }); i >= 0 {
			if !sameCost(c.Costs[i], l) {
				return fmt.Errorf("campaign: cost line %s was booked before under another key or with other values: %w", l.ID, ErrCostConflict)
			}
			replayed = true
			return nil
		}
		if slices.ContainsFunc(c.Costs, func(x CostLine) bool { return x.key() == l.key() }) {
			return fmt.Errorf("campaign: cost line %s: %w", l.ID, ErrIdempotencyConflict)
		}
		var k crm.Checker
		checkCost(&k, "", l, c.Channels, s.limits)
		if fe, bad := s.limits.CheckPast("date", l.Date, today); bad {
			k.Fields = append(k.Fields, fe)
		}
		if err := k.Err("cost line"); err != nil {
			return err
		}
		c.Costs = append(c.Costs, l)
		c.UpdatedAt = s.now().UTC()
		return nil
	})
	return c, replayed && err == nil, err
}

// RefreshProfiles rebuilds the dealer's profile snapshot as of asOf (zero:
// today) from the crm records and the attribute sources, and returns how
// many profiles it wrote. Run it before previews and freezes (daily, like
// the lifecycle run).
func (s *Service) RefreshProfiles(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (int, error) {
	asOf, err := s.asOf(ctx, dealer, asOf)
	if err != nil {
		return 0, err
	}
	now := s.now().UTC()
	byID := map[crm.CustomerID]*Profile{}
	var order []crm.CustomerID
	err = crm.Each(ctx, func(after string) (crm.Page[crm.Customer], error) {
		return s.crm.Customers().List(ctx, dealer, crm.CustomerFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(c *crm.Customer) error {
		p := profileOf(c)
		p.UpdatedAt = now
		byID[c.ID] = &p
		order = append(order, c.ID)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("campaign: refresh profiles: %w", err)
	}
	owner := map[crm.VehicleID]crm.CustomerID{}
	err = crm.Each(ctx, func(after string) (crm.Page[crm.Vehicle], error) {
		return s.crm.Vehicles().List(ctx, dealer, crm.VehicleFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(v *crm.Vehicle) error {
		owner[v.ID] = v.OwnerID
		p := byID[v.OwnerID]
		if p == nil {
			return nil
		}
		d := vehicleDate(v)
		if p.VehicleModel == "" || d.After(p.VehicleDate) {
			p.VehicleModel, p.VehicleDate = v.Model, d
			p.OdometerKM, p.OdometerAt = 0, dealercrm.Date{}
			if r, ok := v.LatestOdometer(); ok {
				p.OdometerKM, p.OdometerAt = r.KM, r.Date
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("campaign: refresh profiles: %w", err)
	}
	err = crm.Each(ctx, func(after string) (crm.Page[crm.ServiceOrder], error) {
		return s.crm.ServiceOrders().List(ctx, dealer, crm.ServiceOrderFilter{Dates: crm.DateRange{To: asOf}, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(o *crm.ServiceOrder) error {
		id := o.CustomerID
		if id == "" {
			id = owner[o.VehicleID]
		}
		if p := byID[id]; p != nil && o.Date.After(p.LastVisit) {
			p.LastVisit = o.Date
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("campaign: refresh profiles: %w", err)
	}
	for _, src := range s.sources {
		if err := src.EachAttributes(ctx, dealer, asOf, func(id crm.CustomerID, a Attributes) error {
			if p := byID[id]; p != nil {
				merge(p, a)
			}
			return nil
		}); err != nil {
			return 0, fmt.Errorf("campaign: refresh profiles: attributes: %w", err)
		}
	}
	slices.Sort(order)
	out := make([]Profile, len(order))
	for i, id := range order {
		out[i] = *byID[id]
	}
	if err := s.store.ReplaceProfiles(ctx, dealer, out); err != nil {
		return 0, fmt.Errorf("campaign: refresh profiles: %w", err)
	}
	return len(out), nil
}

// Preview is the size of a segment and a sample of its first members.
type Preview struct {
	AsOf   dealercrm.Date `json:"as_of"`
	Count  int            `json:"count"`
	Sample []Profile      `json:"sample"`
}

// MaxSample caps Preview's sample.
const MaxSample = 100

// Preview counts the dealer's profiles matching seg as of asOf (zero:
// today) and returns up to sample of them (capped at MaxSample) in
// customer ID order. A bad segment is a *crm.ValidationError naming the
// path.
func (s *Service) Preview(ctx context.Context, dealer crm.DealerID, seg Segment, asOf dealercrm.Date, sample int) (Preview, error) {
	asOf, err := s.asOf(ctx, dealer, asOf)
	if err != nil {
		return Preview{}, err
	}
	cond, err := seg.Compile(asOf)
	if err != nil {
		return Preview{}, err
	}
	n, err := s.store.CountProfiles(ctx, dealer, cond)
	if err != nil {
		return Preview{}, fmt.Errorf("campaign: preview: %w", err)
	}
	p := Preview{AsOf: asOf, Count: n, Sample: []Profile{}}
	sample = min(max(sample, 0), MaxSample)
	if sample > 0 && n > 0 {
		err = s.store.EachProfile(ctx, dealer, cond, sample, func(x *Profile) error {
			p.Sample = append(p.Sample, x.Clone())
			return nil
		})
		if err != nil {
			return Preview{}, fmt.Errorf("campaign: preview: %w", err)
		}
	}
	return p, nil
}

// AudienceSummary counts a frozen audience.
type AudienceSummary struct {
	CampaignID ID               `json:"campaign_id"`
	AsOf       dealercrm.Date   `json:"as_of"`
	Members    int              `json:"members"`
	Contacted  int              `json:"contacted"`
	Holdout    int              `json:"holdout"`
	Excluded   []ExclusionCount `json:"excluded"`
	// BySegment counts members per target, in the order of the targets.
	BySegment []SegmentCount `json:"by_segment"`
}

// ExclusionCount is the number of members excluded for one reason.
type ExclusionCount struct {
	Reason Exclusion `json:"reason"`
	Count  int       `json:"count"`
}

// SegmentCount is the number of members of one target segment.
type SegmentCount struct {
	Segment string `json:"segment"`
	Count   int    `json:"count"`
}

// Freeze snapshots the audience of an approved or running campaign as of
// asOf (zero: today): every profile matching one of its targets becomes a
// member, labelled with the first target it matches; members who have not
// consented to the campaign's purpose on any of its channels are
// excluded (NoConsent), and the holdout share of the others is kept out.
// It returns ErrAudienceFrozen the second time.
func (s *Service) Freeze(ctx context.Context, dealer crm.DealerID, id ID, asOf dealercrm.Date) (AudienceSummary, error) {
	c, err := s.store.GetCampaign(ctx, dealer, id)
	if err != nil {
		return AudienceSummary{}, err
	}
	if c.Status != Approved && c.Status != Running {
		return AudienceSummary{}, fmt.Errorf("campaign: freeze %s in status %s: %w", id, c.Status, ErrInvalidTransition)
	}
	if !c.FrozenAt.IsZero() {
		return AudienceSummary{}, ErrAudienceFrozen
	}
	if len(c.Targets) == 0 {
		return AudienceSummary{}, &crm.ValidationError{Entity: "campaign", Fields: []crm.FieldError{{Field: "targets", Rule: crm.RuleRequired, Message: "a campaign needs a target segment to freeze an audience"}}}
	}
	if asOf, err = s.asOf(ctx, dealer, asOf); err != nil {
		return AudienceSummary{}, err
	}
	union := Cond{Kind: CondOr}
	matchers := make([]Matcher, len(c.Targets))
	for i, t := range c.Targets {
		cond, err := t.Segment.compile(fmt.Sprintf("targets[%d].segment", i), asOf)
		if err != nil {
			return AudienceSummary{}, err
		}
		union.Conds = append(union.Conds, cond)
		matchers[i] = cond.Matcher()
	}
	var members []Member
	err = s.store.EachProfile(ctx, dealer, union, 0, func(p *Profile) error {
		if m, ok := assign(&c, p, matchers); ok {
			members = append(members, m)
		}
		return nil
	})
	if err != nil {
		return AudienceSummary{}, fmt.Errorf("campaign: freeze %s: %w", id, err)
	}
	if err := s.store.FreezeAudience(ctx, dealer, id, s.now().UTC(), members); err != nil {
		return AudienceSummary{}, fmt.Errorf("campaign: freeze %s: %w", id, err)
	}
	return summarize(&c, asOf, members), nil
}

func summarize(c *Campaign, asOf dealercrm.Date, members []Member) AudienceSummary {
	sum := AudienceSummary{CampaignID: c.ID, AsOf: asOf, Members: len(members), Excluded: []ExclusionCount{}, BySegment: []SegmentCount{}}
	for _, t := range c.Targets {
		sum.BySegment = append(sum.BySegment, SegmentCount{Segment: t.Name})
	}
	for i := range members {
		m := &members[i]
		if j := slices.IndexFunc(c.Targets, func(t Target) bool { return t.Name == m.Segment }); j >= 0 {
			sum.BySegment[j].Count++
		}
		switch {
		case m.Excluded != "":
			j := slices.IndexFunc(sum.Excluded, func(e ExclusionCount) bool { return e.Reason == m.Excluded })
			if j < 0 {
				sum.Excluded = append(sum.Excluded, ExclusionCount{Reason: m.Excluded})
				j = len(sum.Excluded) - 1
			}
			sum.Excluded[j].Count++
		case m.Holdout:
			sum.Holdout++
		default:
			sum.Contacted++
		}
	}
	return sum
}

// Members returns a campaign's frozen audience in customer ID order.
func (s *Service) Members(ctx context.Context, dealer crm.DealerID, id ID) ([]Member, error) {
	if _, err := s.store.GetCampaign(ctx, dealer, id); err != nil {
		return nil, err
	}
	return s.store.Members(ctx, dealer, id)
}

// ListMembers returns one page of a campaign's frozen audience in customer
// ID order, or ErrNotFound when the campaign is missing.
func (s *Service) ListMembers(ctx context.Context, dealer crm.DealerID, id ID, f MemberFilter) (crm.Page[Member], error) {
	if _, err := s.store.GetCampaign(ctx, dealer, id); err != nil {
		return crm.Page[Member]{}, err
	}
	return s.store.ListMembers(ctx, dealer, id, f)
}

// ResponseKind is what a member did.
type ResponseKind string

// The response kinds, in funnel order.
const (
	Responded ResponseKind = "responded" // answered: a call back, a reply, a booking
	Visited   ResponseKind = "visited"   // came to the store
	Converted ResponseKind = "converted" // bought: recorded by staff, with the revenue
)

// Response is a member's response, recorded by staff.
type Response struct {
	Kind ResponseKind   `json:"kind"`
	Date dealercrm.Date `json:"date"`
	// Revenue is what a conversion brought (converted only).
	Revenue decimal.Decimal `json:"revenue"`
}

// RecordResponse records a contacted member's response while the campaign
// is running or completed. The first date of each kind is kept, so a
// replay changes nothing. The date lies in the campaign's window
// (Campaign.Window) and not after the dealer's today (plus the limits'
// FutureDays); the revenue is at most the limits' MaxAmount. It returns
// a *crm.ValidationError, ErrNotRunning, ErrNotContacted (an excluded or
// holdout member) or ErrNotFound.
func (s *Service) RecordResponse(ctx context.Context, dealer crm.DealerID, id ID, customer crm.CustomerID, r Response) (Member, error) {
	var k crm.Checker
	if r.Kind != Responded && r.Kind != Visited && r.Kind != Converted {
		k.Add("kind", crm.RuleEnum, "must be one of responded, visited, converted")
	}
	if r.Date.IsZero() || !r.Date.Valid() {
		k.Add("date", crm.RuleRequired, "is required")
	}
	checkAmount(&k, "revenue", r.Revenue, s.limits)
	if err := k.Err("response"); err != nil {
		return Member{}, err
	}
	c, err := s.store.GetCampaign(ctx, dealer, id)
	if err != nil {
		return Member{}, err
	}
	if !c.Status.Costed() {
		return Member{}, ErrNotRunning
	}
	today, err := s.Today(ctx, dealer)
	if err != nil {
		return Member{}, err
	}
	if fe, bad := s.limits.CheckPast("date", r.Date, today); bad {
		k.Fields = append(k.Fields, fe)
	} else if w := c.Window(); !w.Contains(r.Date) {
		k.Add("date", RuleRange, "must lie in the campaign's window %s to %s", w.From, w.To)
	}
	if err := k.Err("response"); err != nil {
		return Member{}, err
	}
	return s.store.UpdateMember(ctx, dealer, id, customer, func(m *Member) error {
		if !m.Contacted() {
			return ErrNotContacted
		}
		first := func(d *dealercrm.Date) {
			if d.IsZero() || r.Date.Before(*d) {
				*d = r.Date
			}
		}
		switch r.Kind {
		case Responded:
			first(&m.Responded)
		case Visited:
			first(&m.Visited)
		case Converted:
			if m.Converted.IsZero() || m.ConversionKind == ConvertedByRecord && r.Date.Before(m.Converted) {
				m.Converted, m.ConversionKind, m.Revenue = r.Date, ConvertedByRecord, r.Revenue
			}
		}
		return nil
	})
}

// event is a sale or service order that may convert a member.
type event struct {
	date    dealercrm.Date
	kind    ConversionKind
	revenue decimal.Decimal
}

// Attribute finds, for every member of a frozen audience (contacted and
// holdout alike), the first sale or service order of the customer inside
// the attribution window and not after the dealer's today (plus the
// limits' FutureDays: a record dated in the future converts nobody), and
// stores it as the member's conversion (a conversion recorded by staff is
// kept). It returns how many members are converted. Running it again on
// the same data changes nothing.
func (s *Service) Attribute(ctx context.Context, dealer crm.DealerID, id ID) (int, error) {
	c, err := s.store.GetCampaign(ctx, dealer, id)
	if err != nil {
		return 0, err
	}
	if c.FrozenAt.IsZero() {
		return 0, ErrNoAudience
	}
	members, err := s.store.Members(ctx, dealer, id)
	if err != nil {
		return 0, err
	}
	first := map[crm.CustomerID]event{}
	note := func(cust crm.CustomerID, e event) {
		if old, ok := first[cust]; !ok || e.date.Before(old.date) || e.date == old.date && e.kind == ConvertedBySale && old.kind != ConvertedBySale {
			first[cust] = e
		}
	}
	today, err := s.Today(ctx, dealer)
	if err != nil {
		return 0, err
	}
	w := c.Window()
	if latest := s.limits.Latest(today); w.To.After(latest) {
		w.To = latest
	}
	if w.To.Before(w.From) {
		// Nothing can have happened yet; a range with To before From
		// would be read as open-ended.
		w.To = w.From.AddDays(-1)
	}
	err = crm.Each(ctx, func(after string) (crm.Page[crm.Sale], error) {
		return s.crm.Sales().List(ctx, dealer, crm.SaleFilter{Dates: w, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(x *crm.Sale) error {
		vc, _ := x.ValueChainTotal()
		note(x.CustomerID, event{date: x.Date, kind: ConvertedBySale, revenue: x.Price.Add(vc)})
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("campaign: attribute %s: %w", id, err)
	}
	err = crm.Each(ctx, func(after string) (crm.Page[crm.ServiceOrder], error) {
		return s.crm.ServiceOrders().List(ctx, dealer, crm.ServiceOrderFilter{Dates: w, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(o *crm.ServiceOrder) error {
		if o.CustomerID != "" {
			note(o.CustomerID, event{date: o.Date, kind: ConvertedByService, revenue: o.Total()})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("campaign: attribute %s: %w", id, err)
	}
	var changed []Member
	converted := 0
	for _, m := range members {
		if m.Excluded != "" {
			continue
		}
		if m.ConversionKind == ConvertedByRecord {
			converted++
			continue
		}
		e, ok := first[m.CustomerID]
		next := m
		next.Converted, next.ConversionKind, next.Revenue = dealercrm.Date{}, "", decimal.Decimal{}
		if ok {
			next.Converted, next.ConversionKind, next.Revenue = e.date, e.kind, e.revenue
			converted++
		}
		if next.Converted != m.Converted || next.ConversionKind != m.ConversionKind || !next.Revenue.Equal(m.Revenue) {
			changed = append(changed, next)
		}
	}
	if len(changed) > 0 {
		if err := s.store.SetOutcomes(ctx, dealer, id, changed); err != nil {
			return 0, fmt.Errorf("campaign: attribute %s: %w", id, err)
		}
	}
	return converted, nil
}

// SetAccessoryTargets stores accessory (精品) sales targets of the dealer.
func (s *Service) SetAccessoryTargets(ctx context.Context, dealer crm.DealerID, targets []AccessoryTarget) error {
	var k crm.Checker
	for i := range targets {
		t := &targets[i]
		t.DealerID = dealer
		f := fmt.Sprintf("targets[%d]", i)
		if t.Month.IsZero() || !t.Month.Valid() {
			k.Add(f+".month", crm.RuleRequired, "is required")
		}
		t.Month = monthOf(t.Month)
		if t.Dimension != ByModel && t.Dimension != ByConsultant {
			k.Add(f+".dimension", crm.RuleEnum, "must be model or consultant")
		}
		if strings.TrimSpace(t.Key) == "" {
			k.Add(f+".key", crm.RuleRequired, "is required")
		}
		checkAmount(&k, f+".amount", t.Amount, s.limits)
	}
	if err := k.Err("accessory targets"); err != nil {
		return err
	}
	return s.store.PutAccessoryTargets(ctx, dealer, targets)
}

func monthOf(d dealercrm.Date) dealercrm.Date {
	if d.IsZero() {
		return d
	}
	return d.AddDays(1 - d.Day)
}
