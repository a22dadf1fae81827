package lifecycle

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Kind is the kind of a touchpoint (SPEC §2.2).
type Kind string

// The touchpoint kinds of the default plan.
const (
	KindThankYou3DC       Kind = "delivery_3dc"        // delivery thank-you call
	Kind7DC               Kind = "delivery_7dc"        // 7-day call
	KindNPlus1Month       Kind = "delivery_n_plus_1"   // N+1 month call
	KindOneOnOneVisit     Kind = "one_on_one_visit"    // 一对一拜访
	KindFirstMaintenance  Kind = "first_maintenance"   // 首保提醒
	KindMaintenance       Kind = "maintenance"         // 定保提醒
	KindPostService       Kind = "post_service"        // 回访
	KindComplaintFollowUp Kind = "complaint_follow_up" // after a complaint is resolved
	KindInsuranceRenewal  Kind = "insurance_renewal"   // 续保
	KindAnnualInspection  Kind = "annual_inspection"   // 年检
	KindWarrantyExpiry    Kind = "warranty_expiry"     // the manufacturer warranty ends
	KindMembershipRenewal Kind = "membership_renewal"  // the club membership ends
	KindBirthdayCare      Kind = "birthday_care"       // 生日关怀
	KindHolidayCare       Kind = "holiday_care"        // 节日关怀
	// KindGradeCare is the courtesy contact of a customer's grade strategy
	// (seed 002: A monthly, B quarterly, C half-yearly); it plans nothing
	// without a CadenceSource.
	KindGradeCare Kind = "grade_care"
)

// Anchor is the event a rule's offset counts from.
type Anchor string

// The anchors.
const (
	AnchorDelivery          Anchor = "delivery"              // the delivery date
	AnchorFirstMaintenance  Anchor = "first_maintenance_due" // predicted first maintenance
	AnchorMaintenance       Anchor = "maintenance_due"       // predicted next regular maintenance
	AnchorServiceClosed     Anchor = "service_closed"        // a service order closed
	AnchorComplaintResolved Anchor = "complaint_resolved"    // a complaint resolved
	AnchorPolicyEnd         Anchor = "policy_end"            // an insurance policy ends
	AnchorInspection        Anchor = "inspection_due"        // an annual inspection falls due
	AnchorWarrantyEnd       Anchor = "warranty_end"          // the manufacturer warranty ends
	AnchorMembershipEnd     Anchor = "membership_end"        // the club membership ends
	AnchorBirthday          Anchor = "birthday"              // the owner's birthday
	AnchorHoliday           Anchor = "holiday"               // a care festival
	// AnchorCadence is the first day of each contact period of the
	// customer's grade strategy: every month whose index (year×12 +
	// month − 1) is a multiple of the cadence in months, so a quarterly
	// cadence falls on Jan 1, Apr 1, Jul 1 and Oct 1.
	AnchorCadence Anchor = "grade_cadence"
)

var allAnchors = []Anchor{AnchorDelivery, AnchorFirstMaintenance, AnchorMaintenance, AnchorServiceClosed,
	AnchorComplaintResolved, AnchorPolicyEnd, AnchorInspection, AnchorWarrantyEnd, AnchorMembershipEnd,
	AnchorBirthday, AnchorHoliday, AnchorCadence}

// Valid reports whether a is a known Anchor.
func (a Anchor) Valid() bool { return slices.Contains(allAnchors, a) }

// past reports whether the anchor is an event that has happened: offsets
// before it make no sense and are rejected.
func (a Anchor) past() bool {
	return a == AnchorDelivery || a == AnchorServiceClosed || a == AnchorComplaintResolved
}

// Role is the role that owns a task.
type Role string

// The owner roles.
const (
	RoleConsultant Role = "sales_consultant" // the customer's sales consultant
	RoleAdvisor    Role = "service_advisor"  // the customer's service advisor
	RoleCR         Role = "cr"               // the CR department 客户关系部
	RoleManager    Role = "manager"          // the sales manager (stale leads)
)

// Valid reports whether r is a known Role.
func (r Role) Valid() bool {
	return r == RoleConsultant || r == RoleAdvisor || r == RoleCR || r == RoleManager
}

// Offset is a calendar offset: months first (clamped at month end), then days.
type Offset struct {
	Months int `json:"months,omitempty"`
	Days   int `json:"days,omitempty"`
}

// From applies o to d.
func (o Offset) From(d dealercrm.Date) dealercrm.Date { return d.AddMonths(o.Months).AddDays(o.Days) }

func (o Offset) negative() bool { return o.Months < 0 || o.Days < 0 }

// String formats o as "+1 month", "-7 days" or "+1 month -2 days".
func (o Offset) String() string {
	s := ""
	if o.Months != 0 {
		s = signed(o.Months) + " months"
	}
	if o.Days != 0 || s == "" {
		if s != "" {
			s += " "
		}
		s += signed(o.Days) + " days"
	}
	return s
}

// signed formats n with its sign, as %+d does.
func signed(n int) string {
	if n >= 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Repeat repeats a reminder until its reason vanishes.
type Repeat struct {
	// EveryDays is the interval between reminders (30).
	EveryDays int `json:"every_days"`
	// Max is the total number of reminders, the first included; 0 repeats
	// until the anchor's own end (first maintenance: until it is lost).
	Max int `json:"max,omitempty"`
}

// Rule is one rule of a touchpoint plan.
type Rule struct {
	Kind   Kind   `json:"kind"`
	Anchor Anchor `json:"anchor"`
	// Offsets give one task each (insurance: −60, −30, −7 days).
	Offsets []Offset `json:"offsets"`
	// Repeat repeats the reminder after the first offset; nil for none.
	Repeat *Repeat `json:"repeat,omitempty"`
	// WindowDays is how many days, the due day included, the task may be done in.
	WindowDays int `json:"window_days"`
	// Channels are tried in order: the first the customer consented to for
	// Purpose is used; none consented suppresses the task. Empty Purpose
	// needs no consent (a visit at the customer's request).
	Channels []crm.Channel `json:"channels"`
	Purpose  crm.Purpose   `json:"purpose,omitempty"`
	Owner    Role          `json:"owner"`
	// NotJobAdvisor assigns the task to someone other than the advisor who
	// did the job (post-service follow-up).
	NotJobAdvisor bool `json:"not_job_advisor,omitempty"`
	// Stages limits the rule to vehicles in these stages; empty for any.
	Stages []Stage `json:"stages,omitempty"`
	// Grades limits the rule to customers of these grades; empty for any.
	Grades []string `json:"grades,omitempty"`
	// Tiers limits the rule to club members of these tiers (from a
	// MembershipSource); empty for any customer, member or not.
	Tiers []string `json:"tiers,omitempty"`
	// Shift moves a due date off non-working days.
	Shift Shift `json:"shift,omitempty"`
	// Disabled switches the rule off.
	Disabled bool `json:"disabled,omitempty"`
}

// MaintenancePolicy configures maintenance prediction (SPEC §2.2).
type MaintenancePolicy struct {
	// First is the first maintenance limit (5,000 km or 6 months).
	First Limit `json:"first"`
	// FirstLostMonths ends first-maintenance reminders (12): 首保流失.
	FirstLostMonths int `json:"first_lost_months"`
	// Interval is the regular maintenance interval (5,000 km or 6 months).
	Interval Limit `json:"interval"`
	// Synthetic is the interval of the SyntheticModels (10,000 km or 12 months).
	Synthetic       Limit    `json:"synthetic"`
	SyntheticModels []string `json:"synthetic_models,omitempty"`
}

// IntervalFor returns the maintenance interval of a model.
func (m MaintenancePolicy) IntervalFor(model string) Limit {
	if slices.Contains(m.SyntheticModels, model) {
		return m.Synthetic
	}
	return m.Interval
}

// InspectionRule is a PRC annual-inspection rule for private cars: the
// inspection years counted from registration, for cars registered on or
// after EffectiveFrom (the latest applicable rule wins).
type InspectionRule struct {
	Name          string         `json:"name"`
	EffectiveFrom dealercrm.Date `json:"effective_from"`
	// Years are the years of age an inspection falls due in.
	Years []int `json:"years"`
	// YearlyAfter makes every year after this age an inspection year (0: none).
	YearlyAfter int `json:"yearly_after,omitempty"`
}

// DefaultInspectionRules returns the private small-car rules: the 2014
// rule (公安部、国家质检总局 2014: exempt in years 2 and 4, on-site in year 6,
// yearly from 6 to 15) and the 2022 reform effective 2022-10-01 (on-site in
// years 6 and 10, sticker-only in years 2, 4 and 8, yearly after 10).
func DefaultInspectionRules() []InspectionRule {
	return []InspectionRule{
		{Name: "2014 rule", EffectiveFrom: dealercrm.NewDate(2014, 9, 1), Years: []int{2, 4, 6}, YearlyAfter: 6},
		{Name: "2022 reform", EffectiveFrom: dealercrm.NewDate(2022, 10, 1), Years: []int{2, 4, 6, 8, 10}, YearlyAfter: 10},
	}
}

// Policy is a dealer's lifecycle configuration: every number of SPEC §2 is here.
type Policy struct {
	Stages      StagePolicy       `json:"stages"`
	Odometer    OdometerPolicy    `json:"odometer"`
	Maintenance MaintenancePolicy `json:"maintenance"`
	Inspection  []InspectionRule  `json:"inspection"`
	Rules       []Rule            `json:"rules"`
	// CatchUpDays creates tasks whose window ended up to this many days ago
	// (as overdue), so a missed daily run loses nothing (7).
	CatchUpDays int `json:"catch_up_days"`
	// KeepDays is how far back the scheduler looks: open tasks due earlier
	// are left alone, never cancelled for a vanished reason (90).
	KeepDays int `json:"keep_days"`
	// HorizonDays is how far ahead a vehicle's plan reaches (365).
	HorizonDays int `json:"horizon_days"`
	// Abnormal configures abnormal-customer classes and KPIs.
	Abnormal AbnormalPolicy `json:"abnormal"`
	// Comebacks configures comeback 返修 detection and its KPI.
	Comebacks ComebackPolicy `json:"comebacks"`
	// Festivals are the festivals the holiday-care rule (AnchorHoliday)
	// plans for, among FestivalKeys; empty means DefaultFestivals (the six
	// of SPEC §2.2), so a policy saved before the choice existed keeps
	// them. Lantern 元宵, Qixi 七夕 and Double Ninth 重阳 are off by
	// default. To send no festival care, disable the rule.
	Festivals []FestivalKey `json:"festivals,omitempty"`
}

// DefaultRules returns the default plan of SPEC §2.2.
func DefaultRules() []Rule {
	phone := []crm.Channel{crm.ChannelPhone}
	remind := []crm.Channel{crm.ChannelPhone, crm.ChannelSMS, crm.ChannelWeChat}
	care := []crm.Channel{crm.ChannelWeChat, crm.ChannelSMS}
	return []Rule{
		{Kind: KindThankYou3DC, Anchor: AnchorDelivery, Offsets: []Offset{{Days: 3}}, WindowDays: 1, Channels: phone, Purpose: crm.PurposeSurvey, Owner: RoleConsultant},
		{Kind: Kind7DC, Anchor: AnchorDelivery, Offsets: []Offset{{Days: 7}}, WindowDays: 2, Channels: phone, Purpose: crm.PurposeSurvey, Owner: RoleConsultant},
		{Kind: KindNPlus1Month, Anchor: AnchorDelivery, Offsets: []Offset{{Months: 1}}, WindowDays: 3, Channels: phone, Purpose: crm.PurposeSurvey, Owner: RoleConsultant},
		{Kind: KindOneOnOneVisit, Anchor: AnchorDelivery, Offsets: []Offset{{Days: 1}}, WindowDays: 30, Channels: []crm.Channel{crm.ChannelVisit}, Owner: RoleConsultant},
		{Kind: KindFirstMaintenance, Anchor: AnchorFirstMaintenance, Offsets: []Offset{{Days: -7}}, Repeat: &Repeat{EveryDays: 30}, WindowDays: 7, Channels: remind, Purpose: crm.PurposeServiceReminder, Owner: RoleAdvisor},
		{Kind: KindMaintenance, Anchor: AnchorMaintenance, Offsets: []Offset{{Days: -7}}, Repeat: &Repeat{EveryDays: 30, Max: 2}, WindowDays: 7, Channels: []crm.Channel{crm.ChannelSMS}, Purpose: crm.PurposeServiceReminder, Owner: RoleAdvisor},
		{Kind: KindPostService, Anchor: AnchorServiceClosed, Offsets: []Offset{{Days: 2}}, WindowDays: 3, Channels: phone, Purpose: crm.PurposeSurvey, Owner: RoleCR, NotJobAdvisor: true},
		{Kind: KindComplaintFollowUp, Anchor: AnchorComplaintResolved, Offsets: []Offset{{Days: 1}}, WindowDays: 2, Channels: phone, Owner: RoleCR},
		{Kind: KindInsuranceRenewal, Anchor: AnchorPolicyEnd, Offsets: []Offset{{Days: -60}, {Days: -30}, {Days: -7}}, WindowDays: 7, Channels: remind, Purpose: crm.PurposeMarketing, Owner: RoleCR},
		{Kind: KindAnnualInspection, Anchor: AnchorInspection, Offsets: []Offset{{Days: -90}}, WindowDays: 14, Channels: remind, Purpose: crm.PurposeServiceReminder, Owner: RoleAdvisor, Shift: ShiftNext},
		{Kind: KindWarrantyExpiry, Anchor: AnchorWarrantyEnd, Offsets: []Offset{{Days: -30}}, WindowDays: 7, Channels: remind, Purpose: crm.PurposeServiceReminder, Owner: RoleAdvisor},
		{Kind: KindMembershipRenewal, Anchor: AnchorMembershipEnd, Offsets: []Offset{{Days: -30}}, WindowDays: 7, Channels: remind, Purpose: crm.PurposeMarketing, Owner: RoleCR},
		{Kind: KindBirthdayCare, Anchor: AnchorBirthday, Offsets: []Offset{{Days: -1}}, WindowDays: 1, Channels: care, Purpose: crm.PurposeMarketing, Owner: RoleCR},
		{Kind: KindHolidayCare, Anchor: AnchorHoliday, Offsets: []Offset{{Days: -1}}, WindowDays: 1, Channels: care, Purpose: crm.PurposeMarketing, Owner: RoleCR},
		{Kind: KindGradeCare, Anchor: AnchorCadence, Offsets: []Offset{{Days: 0}}, WindowDays: 10, Channels: phone, Purpose: crm.PurposeMarketing, Owner: RoleCR, Shift: ShiftNext},
	}
}

// DefaultPolicy returns the SPEC §2 defaults.
func DefaultPolicy() Policy {
	return Policy{
		Stages:   DefaultStagePolicy(),
		Odometer: DefaultOdometerPolicy(),
		Maintenance: MaintenancePolicy{
			First: Limit{Months: 6, KM: 5000}, FirstLostMonths: 12,
			Interval: Limit{Months: 6, KM: 5000}, Synthetic: Limit{Months: 12, KM: 10000},
		},
		Inspection:  DefaultInspectionRules(),
		Rules:       DefaultRules(),
		CatchUpDays: 7,
		KeepDays:    90,
		HorizonDays: 365,
		Abnormal:    DefaultAbnormalPolicy(),
		Comebacks:   DefaultComebackPolicy(),
		Festivals:   DefaultFestivals(),
	}
}

// Validate reports every problem of p in one *crm.ValidationError (errors.Is
// dealercrm.ErrInvalid) whose fields name the setting and the rule broken.
func (p Policy) Validate() error {
	var c crm.Checker
	c.Prefix = "stages."
	p.Stages.check(&c)
	c.Prefix = ""
	p.Odometer.check(&c)
	m := p.Maintenance
	for f, l := range map[string]Limit{"maintenance.first": m.First, "maintenance.interval": m.Interval, "maintenance.synthetic": m.Synthetic} {
		if l.Months <= 0 || l.KM <= 0 {
			c.Add(f, RuleRange, "months and km must be positive, got %s", l)
		}
	}
	if m.FirstLostMonths <= m.First.Months {
		c.Add("maintenance.first_lost_months", RuleOverlap, "must be after the first maintenance limit (%d months), got %d", m.First.Months, m.FirstLostMonths)
	}
	for i, r := range p.Inspection {
		if !r.EffectiveFrom.Valid() {
			c.Add(fmt.Sprintf("inspection[%d].effective_from", i), crm.RuleRequired, "is required")
		}
		for _, y := range r.Years {
			if y <= 0 {
				c.Add(fmt.Sprintf("inspection[%d].years", i), RuleRange, "years must be positive, got %d", y)
			}
		}
	}
	for f, v := range map[string]int{"catch_up_days": p.CatchUpDays, "keep_days": p.KeepDays, "horizon_days": p.HorizonDays} {
		if v < 0 {
			c.Add(f, RuleNegative, "must not be negative, got %d", v)
		}
	}
	if p.KeepDays < p.CatchUpDays {
		c.Add("keep_days", RuleRange, "must be at least catch_up_days (%d), got %d", p.CatchUpDays, p.KeepDays)
	}
	seen := map[Kind]bool{}
	for i, r := range p.Rules {
		c.Prefix = fmt.Sprintf("rules[%d].", i)
		r.check(&c)
		if seen[r.Kind] {
			c.Add("kind", RuleDuplicate, "kind %q has another rule", r.Kind)
		}
		seen[r.Kind] = true
	}
	c.Prefix = ""
	festivals := map[FestivalKey]bool{}
	for i, f := range p.Festivals {
		if !f.Valid() {
			c.Add(fmt.Sprintf("festivals[%d]", i), crm.RuleEnum, "%q is not a festival (%v)", f, allFestivals)
		}
		if festivals[f] {
			c.Add(fmt.Sprintf("festivals[%d]", i), RuleDuplicate, "festival %q is given twice", f)
		}
		festivals[f] = true
	}
	p.Abnormal.check(&c)
	p.Comebacks.check(&c)
	slices.SortStableFunc(c.Fields, func(a, b crm.FieldError) int {
		switch {
		case a.Field < b.Field:
			return -1
		case a.Field > b.Field:
			return 1
		}
		return 0
	})
	return c.Err("lifecycle policy")
}

func (r Rule) check(c *crm.Checker) {
	if r.Kind == "" {
		c.Add("kind", crm.RuleRequired, "is required")
	}
	if !r.Anchor.Valid() {
		c.Add("anchor", RuleAnchor, "unknown anchor %q; want one of %v", r.Anchor, allAnchors)
	}
	if len(r.Offsets) == 0 {
		c.Add("offsets", crm.RuleRequired, "at least one offset is required")
	}
	for i, o := range r.Offsets {
		if r.Anchor.past() && o.negative() {
			c.Add(fmt.Sprintf("offsets[%d]", i), RuleNegative, "%s: a negative offset from %s (an event in the past) is not allowed", o, r.Anchor)
		}
		if i > 0 && !r.Offsets[i-1].From(dealercrm.NewDate(2001, 1, 31)).Before(o.From(dealercrm.NewDate(2001, 1, 31))) {
			c.Add(fmt.Sprintf("offsets[%d]", i), RuleOverlap, "offsets must be in increasing order")
		}
	}
	if r.Repeat != nil {
		if r.Repeat.EveryDays <= 0 {
			c.Add("repeat.every_days", RuleRange, "must be positive, got %d", r.Repeat.EveryDays)
		}
		if r.Repeat.Max < 0 {
			c.Add("repeat.max", RuleNegative, "must not be negative, got %d", r.Repeat.Max)
		}
	}
	if r.WindowDays < 1 {
		c.Add("window_days", RuleRange, "a due window is at least 1 day, got %d", r.WindowDays)
	}
	if len(r.Channels) == 0 {
		c.Add("channels", crm.RuleRequired, "at least one channel is required")
	}
	for i, ch := range r.Channels {
		if !ch.Valid() {
			c.Add(fmt.Sprintf("channels[%d]", i), crm.RuleEnum, "%q is not a channel", ch)
		}
	}
	if r.Purpose != "" && !r.Purpose.Valid() {
		c.Add("purpose", crm.RuleEnum, "%q is not a purpose", r.Purpose)
	}
	if !r.Owner.Valid() {
		c.Add("owner", crm.RuleEnum, "%q is not a role; want sales_consultant, service_advisor or cr", r.Owner)
	}
	for i, s := range r.Stages {
		if !s.Valid() {
			c.Add(fmt.Sprintf("stages[%d]", i), crm.RuleEnum, "%q is not a stage", s)
		}
	}
	if !r.Shift.Valid() {
		c.Add("shift", crm.RuleEnum, "%q is not a shift; want \"\", next or previous", r.Shift)
	}
}

// Kinds returns the kinds of the default plan, in plan order, and then
// KindSurveyFollowUp (opened by OpenFollowUp, never planned).
func Kinds() []Kind {
	return []Kind{KindThankYou3DC, Kind7DC, KindNPlus1Month, KindOneOnOneVisit, KindFirstMaintenance, KindMaintenance,
		KindPostService, KindComplaintFollowUp, KindInsuranceRenewal, KindAnnualInspection, KindWarrantyExpiry,
		KindMembershipRenewal, KindBirthdayCare, KindHolidayCare, KindGradeCare, KindSurveyFollowUp, KindLeadFollowUp, KindStaleLead}
}

// Roles returns every Role.
func Roles() []Role { return []Role{RoleConsultant, RoleAdvisor, RoleCR, RoleManager} }
