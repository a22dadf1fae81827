package loyalty

import (
	"fmt"
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Tier names a membership level (会员卡级别): silver, gold, diamond by default.
type Tier string

// The default tiers (银卡, 金卡, 钻石卡), lowest first.
const (
	Silver  Tier = "silver"
	Gold    Tier = "gold"
	Diamond Tier = "diamond"
)

// JoinMethod is how a customer joins the club (入会方式, seed 003).
type JoinMethod string

// The five join methods of seed 003.
const (
	JoinSale           JoinMethod = "sale"            // 销售入会, with a new-car sale
	JoinBringCar       JoinMethod = "bring_car"       // 带车入会, an owner of a car bought elsewhere
	JoinConsumption    JoinMethod = "consumption"     // 消费入会, by service spend
	JoinDriverTraining JoinMethod = "driver_training" // 驾培入会, through the driving school
	JoinFee            JoinMethod = "fee"             // 交会费入会, by paying the membership fee
)

var allJoinMethods = []JoinMethod{JoinSale, JoinBringCar, JoinConsumption, JoinDriverTraining, JoinFee}

// JoinMethods returns every JoinMethod, in order.
func JoinMethods() []JoinMethod { return slices.Clone(allJoinMethods) }

// Valid reports whether m is a known JoinMethod.
func (m JoinMethod) Valid() bool { return slices.Contains(allJoinMethods, m) }

// RenewMethod is one way to renew a membership (续会, seed 003).
type RenewMethod string

// The renewal methods.
const (
	RenewByFee       RenewMethod = "fee"       // pay the renewal fee
	RenewByPoints    RenewMethod = "points"    // deduct redeemable points (default 500)
	RenewByInsurance RenewMethod = "insurance" // insurance renewal premium ≥ a minimum (default 3,000 CNY)
)

var allRenewMethods = []RenewMethod{RenewByFee, RenewByPoints, RenewByInsurance}

// Valid reports whether m is a known RenewMethod.
func (m RenewMethod) Valid() bool { return slices.Contains(allRenewMethods, m) }

// UpgradeMethod is one way to move up a tier (会员升级, seed 003).
type UpgradeMethod string

// The upgrade methods.
const (
	UpgradeByCumulative UpgradeMethod = "cumulative" // cumulative points reach the next tier's threshold
	UpgradeByPoints     UpgradeMethod = "points"     // deduct redeemable points (default 2,000)
	UpgradeByRepair     UpgradeMethod = "repair"     // one normal repair ≥ a minimum (default 5,000 CNY) since the tier began
	UpgradeByInsurance  UpgradeMethod = "insurance"  // insurance renewals ≥ a minimum (default 7,000 CNY) in N consecutive years (default 2)
)

var allUpgradeMethods = []UpgradeMethod{UpgradeByCumulative, UpgradeByRepair, UpgradeByInsurance, UpgradeByPoints}

// Valid reports whether m is a known UpgradeMethod.
func (m UpgradeMethod) Valid() bool { return slices.Contains(allUpgradeMethods, m) }

// ExpiryAction is what happens to a membership not renewed by its end.
type ExpiryAction string

// The expiry actions.
const (
	// ExpireDowngrade moves the member down one tier for a new period; the
	// lowest tier lapses.
	ExpireDowngrade ExpiryAction = "downgrade"
	// ExpireLapse ends the membership.
	ExpireLapse ExpiryAction = "lapse"
)

// PointsExpiry says when earned points expire.
type PointsExpiry string

// The points expiry modes.
const (
	// NoExpiry: points never expire (the default).
	NoExpiry PointsExpiry = "none"
	// RollingExpiry: points expire Months months after they were earned.
	RollingExpiry PointsExpiry = "rolling"
	// YearAfterExpiry: points expire at the end of the calendar year after
	// the year they were earned (earned in 2025, usable to 31 Dec 2026).
	YearAfterExpiry PointsExpiry = "year_after"
)

// FreeService is a service included in a tier's package, with a yearly quota
// (per membership year).
type FreeService struct {
	// Code identifies the service ("wash", "inspection").
	Code string `json:"code"`
	// Name is its display name.
	Name string `json:"name"`
	// PerYear is how many times a member may use it per membership year.
	PerYear int `json:"per_year"`
}

// Benefits is the service package of a tier (服务包).
type Benefits struct {
	// LabourDiscount and PartsDiscount are percentages (0–100) off a quote.
	LabourDiscount decimal.Decimal `json:"labour_discount"`
	PartsDiscount  decimal.Decimal `json:"parts_discount"`
	// FreeServices are the included services with their yearly quotas.
	FreeServices []FreeService `json:"free_services"`
	// Priority gives priority workshop slots (修车无需等候).
	Priority bool `json:"priority"`
	// DedicatedAdvisor gives a dedicated service advisor (专职的服务顾问).
	DedicatedAdvisor bool `json:"dedicated_advisor"`
}

// TierSpec configures one tier.
type TierSpec struct {
	Tier Tier `json:"tier"`
	// Name is the display name (金卡).
	Name string `json:"name"`
	// Threshold is the cumulative points at which a member may be upgraded
	// into this tier (0 for the lowest tier).
	Threshold int64 `json:"threshold"`
	// Fee is the membership fee that buys this tier directly when joining by
	// fee; zero means the tier cannot be bought.
	Fee decimal.Decimal `json:"fee"`
	// Multiplier multiplies earned points (silver ×1, gold ×1.2, diamond ×2).
	Multiplier decimal.Decimal `json:"multiplier"`
	Benefits   Benefits        `json:"benefits"`
}

// SpendTier is an initial-tier rule by past consumption: a customer whose
// spend rank is within TopShare (0.2 = the top 20% by spend) joins at Tier.
type SpendTier struct {
	TopShare decimal.Decimal `json:"top_share"`
	Tier     Tier            `json:"tier"`
}

// RenewalRules configures renewal (seed 003: 缴纳续会费, 积分抵扣 500, 续保 ≥ 3,000 元).
type RenewalRules struct {
	// Methods are the enabled renewal methods.
	Methods []RenewMethod `json:"methods"`
	// Fee is the renewal fee.
	Fee decimal.Decimal `json:"fee"`
	// Points is the redeemable points deducted by a renewal by points.
	Points int64 `json:"points"`
	// InsuranceMin is the insurance renewal premium, within the year before
	// the renewal, that renews by itself.
	InsuranceMin decimal.Decimal `json:"insurance_min"`
}

// UpgradeRules configures upgrades (seed 003).
type UpgradeRules struct {
	// Methods are the enabled upgrade methods, in the order tried when an
	// upgrade request names none.
	Methods []UpgradeMethod `json:"methods"`
	// Points is the redeemable points deducted by an upgrade by points.
	Points int64 `json:"points"`
	// RepairMin is the amount of one normal repair, since the member
	// reached the current tier, that upgrades.
	RepairMin decimal.Decimal `json:"repair_min"`
	// RepairKinds are the service kinds that count as a normal repair; the
	// customer must have paid.
	RepairKinds []crm.ServiceKind `json:"repair_kinds"`
	// InsuranceMin is the insurance renewal premium needed in each of
	// InsuranceYears consecutive calendar years.
	InsuranceMin   decimal.Decimal `json:"insurance_min"`
	InsuranceYears int             `json:"insurance_years"`
}

// EarnRule gives the points per CNY of one kind of consumption. Empty Kind
// or Payer match any; the first matching rule wins.
type EarnRule struct {
	Kind  crm.ServiceKind `json:"kind,omitempty"`
	Payer crm.Payer       `json:"payer,omitempty"`
	// Rate is points per CNY (1 = 1 CNY earns 1 point; 0 earns nothing).
	Rate decimal.Decimal `json:"rate"`
}

// CampaignMultiplier multiplies points earned on consumption dated From to
// To (both inclusive), for the listed service kinds (all when empty). When
// several apply, the largest wins; they do not stack.
type CampaignMultiplier struct {
	Name       string            `json:"name"`
	From       dealercrm.Date    `json:"from"`
	To         dealercrm.Date    `json:"to"`
	Multiplier decimal.Decimal   `json:"multiplier"`
	Kinds      []crm.ServiceKind `json:"kinds,omitempty"`
}

// Bonus is a flat number of points for an event (survey answered, referral
// converted, repurchase). Bonuses count towards cumulative points too.
type Bonus struct {
	Event  string `json:"event"`
	Points int64  `json:"points"`
}

// PointsRules configures the points ledger.
type PointsRules struct {
	// PointsPerCNY is the redemption value: 10 points = 1 CNY by default.
	PointsPerCNY int64 `json:"points_per_cny"`
	// Expiry is when earned points expire; Months is used by RollingExpiry.
	Expiry PointsExpiry `json:"expiry"`
	Months int          `json:"months,omitempty"`
	// NoticeDays is how many days before expiry a member is told.
	NoticeDays int `json:"notice_days"`
	// LockDays keeps earned points pending for a return window before they
	// can be redeemed (0 = none). They count as cumulative at once.
	LockDays int `json:"lock_days"`
}

// Group is a group programme (集团): points earned at any of Stores are kept
// in one account under Home and can be redeemed at any of them.
type Group struct {
	Home   crm.DealerID   `json:"home"`
	Stores []crm.DealerID `json:"stores"`
}

// Program is the configuration of a club: plain, JSON-serialisable data.
// Every number is a default a dealer may change. Validate it before use
// (NewService does).
type Program struct {
	Name string `json:"name"`
	// Tiers lowest first, with strictly increasing thresholds.
	Tiers []TierSpec `json:"tiers"`
	// JoinMethods are the enabled ways to join.
	JoinMethods []JoinMethod `json:"join_methods"`
	// BySpend are the initial-tier rules by past consumption, tried in
	// order; a customer matching none joins at the lowest tier (or the tier
	// the fee paid buys, when higher).
	BySpend []SpendTier `json:"by_spend"`
	// ValidityMonths is the length of a membership period (12).
	ValidityMonths int          `json:"validity_months"`
	OnExpiry       ExpiryAction `json:"on_expiry"`
	Renewal        RenewalRules `json:"renewal"`
	Upgrade        UpgradeRules `json:"upgrade"`
	// Earning are the earning rules, first match wins; consumption no rule
	// matches earns nothing.
	Earning   []EarnRule           `json:"earning"`
	Campaigns []CampaignMultiplier `json:"campaigns,omitempty"`
	Bonuses   []Bonus              `json:"bonuses,omitempty"`
	Points    PointsRules          `json:"points"`
	Groups    []Group              `json:"groups,omitempty"`
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// DefaultProgram returns the defaults of SPEC §4 and seed 003: silver, gold
// and diamond at 0 / 10,000 / 30,000 cumulative points (FAW Mazda's scale),
// multipliers ×1 / ×1.2 / ×2, one-year validity, renewal by fee (300 CNY),
// 500 points or an insurance renewal ≥ 3,000 CNY, upgrade by cumulative
// points, 2,000 points, one normal repair ≥ 5,000 CNY or insurance renewals
// ≥ 7,000 CNY in two consecutive years, downgrade on expiry, top 20% by
// spend join at gold, 1 CNY = 1 point on customer-paid work (insurer-paid,
// OEM warranty and dealer goodwill earn nothing), 10 points = 1 CNY, no
// points expiry, 30 days' notice, no lock period.
func DefaultProgram() Program {
	return Program{
		Name: "default",
		Tiers: []TierSpec{
			{Tier: Silver, Name: "银卡", Threshold: 0, Fee: dec("300"), Multiplier: dec("1"), Benefits: Benefits{
				LabourDiscount: dec("10"), PartsDiscount: dec("5"),
				FreeServices: []FreeService{{Code: "wash", Name: "洗车", PerYear: 4}}}},
			{Tier: Gold, Name: "金卡", Threshold: 10000, Fee: dec("800"), Multiplier: dec("1.2"), Benefits: Benefits{
				LabourDiscount: dec("20"), PartsDiscount: dec("10"), Priority: true,
				FreeServices: []FreeService{{Code: "wash", Name: "洗车", PerYear: 12}, {Code: "inspection", Name: "免费检测", PerYear: 2}}}},
			{Tier: Diamond, Name: "钻石卡", Threshold: 30000, Fee: dec("2000"), Multiplier: dec("2"), Benefits: Benefits{
				LabourDiscount: dec("30"), PartsDiscount: dec("15"), Priority: true, DedicatedAdvisor: true,
				FreeServices: []FreeService{{Code: "wash", Name: "洗车", PerYear: 24}, {Code: "inspection", Name: "免费检测", PerYear: 4},
					{Code: "pickup", Name: "上门取送车", PerYear: 4}}}},
		},
		JoinMethods:    JoinMethods(),
		BySpend:        []SpendTier{{TopShare: dec("0.2"), Tier: Gold}},
		ValidityMonths: 12,
		OnExpiry:       ExpireDowngrade,
		Renewal: RenewalRules{Methods: slices.Clone(allRenewMethods), Fee: dec("300"), Points: 500,
			InsuranceMin: dec("3000")},
		Upgrade: UpgradeRules{Methods: slices.Clone(allUpgradeMethods), Points: 2000, RepairMin: dec("5000"),
			RepairKinds: []crm.ServiceKind{crm.ServiceRepair, crm.ServiceMaintenance}, InsuranceMin: dec("7000"), InsuranceYears: 2},
		Earning: []EarnRule{
			{Kind: crm.ServiceWarranty, Rate: dec("0")},
			{Payer: crm.PayerInsurer, Rate: dec("0")},
			{Payer: crm.PayerManufacturer, Rate: dec("0")},
			{Payer: crm.PayerDealer, Rate: dec("0")},
			{Payer: crm.PayerCustomer, Rate: dec("1")},
		},
		Bonuses: []Bonus{{Event: "survey_answered", Points: 50}, {Event: "referral_converted", Points: 1000},
			{Event: "repurchase", Points: 2000}},
		Points: PointsRules{PointsPerCNY: 10, Expiry: NoExpiry, NoticeDays: 30},
	}
}

// Rules of the program validation, named in crm.FieldError.Rule besides the
// crm rules.
const (
	RuleAscending = "ascending" // tier thresholds must increase
	RuleRange     = "range"     // a number outside its allowed range
)

func checkPercent(c *crm.Checker, field string, d decimal.Decimal) {
	if d.IsNegative() || d.GreaterThan(decimal.NewFromInt(100)) {
		c.Add(field, RuleRange, "must be a percentage from 0 to 100")
	}
}

func checkNonNegative(c *crm.Checker, field string, d decimal.Decimal) {
	if d.IsNegative() {
		c.Add(field, crm.RuleNonNegative, "must not be negative")
	}
}

// Validate checks the program and returns a *crm.ValidationError naming
// every broken rule, or nil.
func (p *Program) Validate() error {
	var c crm.Checker
	if len(p.Tiers) == 0 {
		c.Add("tiers", crm.RuleRequired, "at least one tier is needed")
	}
	seen := map[Tier]bool{}
	for i, t := range p.Tiers {
		f := fmt.Sprintf("tiers[%d].", i)
		if t.Tier == "" {
			c.Add(f+"tier", crm.RuleRequired, "is required")
		} else if seen[t.Tier] {
			c.Add(f+"tier", crm.RuleUnique, "tier %q is listed twice", t.Tier)
		}
		seen[t.Tier] = true
		if i == 0 && t.Threshold != 0 {
			c.Add(f+"threshold", RuleRange, "the lowest tier's threshold must be 0")
		}
		if i > 0 && t.Threshold <= p.Tiers[i-1].Threshold {
			c.Add(f+"threshold", RuleAscending, "must be above the previous tier's threshold %d", p.Tiers[i-1].Threshold)
		}
		checkNonNegative(&c, f+"fee", t.Fee)
		if !t.Multiplier.IsPositive() {
			c.Add(f+"multiplier", RuleRange, "must be positive")
		}
		checkPercent(&c, f+"benefits.labour_discount", t.Benefits.LabourDiscount)
		checkPercent(&c, f+"benefits.parts_discount", t.Benefits.PartsDiscount)
		codes := map[string]bool{}
		for j, s := range t.Benefits.FreeServices {
			g := fmt.Sprintf("%sbenefits.free_services[%d].", f, j)
			if s.Code == "" {
				c.Add(g+"code", crm.RuleRequired, "is required")
			} else if codes[s.Code] {
				c.Add(g+"code", crm.RuleUnique, "service %q is listed twice", s.Code)
			}
			codes[s.Code] = true
			if s.PerYear < 0 {
				c.Add(g+"per_year", crm.RuleNonNegative, "must not be negative")
			}
		}
	}
	for i, m := range p.JoinMethods {
		if !m.Valid() {
			c.Add(fmt.Sprintf("join_methods[%d]", i), crm.RuleEnum, "unknown join method %q", m)
		}
	}
	for i, s := range p.BySpend {
		f := fmt.Sprintf("by_spend[%d].", i)
		if !s.TopShare.IsPositive() || s.TopShare.GreaterThan(decimal.NewFromInt(1)) {
			c.Add(f+"top_share", RuleRange, "must be in (0, 1]")
		}
		if !seen[s.Tier] {
			c.Add(f+"tier", crm.RuleReference, "tier %q is not defined", s.Tier)
		}
	}
	if p.ValidityMonths < 1 || p.ValidityMonths > 120 {
		c.Add("validity_months", RuleRange, "must be from 1 to 120")
	}
	if p.OnExpiry != ExpireDowngrade && p.OnExpiry != ExpireLapse {
		c.Add("on_expiry", crm.RuleEnum, "must be downgrade or lapse")
	}
	for i, m := range p.Renewal.Methods {
		if !m.Valid() {
			c.Add(fmt.Sprintf("renewal.methods[%d]", i), crm.RuleEnum, "unknown renewal method %q", m)
		}
	}
	checkNonNegative(&c, "renewal.fee", p.Renewal.Fee)
	if p.Renewal.Points < 0 {
		c.Add("renewal.points", crm.RuleNonNegative, "must not be negative")
	}
	checkNonNegative(&c, "renewal.insurance_min", p.Renewal.InsuranceMin)
	for i, m := range p.Upgrade.Methods {
		if !m.Valid() {
			c.Add(fmt.Sprintf("upgrade.methods[%d]", i), crm.RuleEnum, "unknown upgrade method %q", m)
		}
	}
	if p.Upgrade.Points < 0 {
		c.Add("upgrade.points", crm.RuleNonNegative, "must not be negative")
	}
	checkNonNegative(&c, "upgrade.repair_min", p.Upgrade.RepairMin)
	checkNonNegative(&c, "upgrade.insurance_min", p.Upgrade.InsuranceMin)
	for i, k := range p.Upgrade.RepairKinds {
		if !k.Valid() {
			c.Add(fmt.Sprintf("upgrade.repair_kinds[%d]", i), crm.RuleEnum, "unknown service kind %q", k)
		}
	}
	if p.Upgrade.InsuranceYears < 1 || p.Upgrade.InsuranceYears > 10 {
		c.Add("upgrade.insurance_years", RuleRange, "must be from 1 to 10")
	}
	for i, r := range p.Earning {
		f := fmt.Sprintf("earning[%d].", i)
		if r.Kind != "" && !r.Kind.Valid() {
			c.Add(f+"kind", crm.RuleEnum, "unknown service kind %q", r.Kind)
		}
		if r.Payer != "" && !r.Payer.Valid() {
			c.Add(f+"payer", crm.RuleEnum, "unknown payer %q", r.Payer)
		}
		if r.Rate.IsNegative() || r.Rate.GreaterThan(decimal.NewFromInt(1000)) {
			c.Add(f+"rate", RuleRange, "must be from 0 to 1000")
		}
	}
	for i, m := range p.Campaigns {
		f := fmt.Sprintf("campaigns[%d].", i)
		if !m.From.Valid() {
			c.Add(f+"from", crm.RuleFormat, "is not a valid date")
		}
		if !m.To.Valid() {
			c.Add(f+"to", crm.RuleFormat, "is not a valid date")
		} else if m.From.Valid() && m.To.Before(m.From) {
			c.Add(f+"to", crm.RuleOrder, "is before from")
		}
		if !m.Multiplier.IsPositive() || m.Multiplier.GreaterThan(decimal.NewFromInt(100)) {
			c.Add(f+"multiplier", RuleRange, "must be in (0, 100]")
		}
		for j, k := range m.Kinds {
			if !k.Valid() {
				c.Add(fmt.Sprintf("%skinds[%d]", f, j), crm.RuleEnum, "unknown service kind %q", k)
			}
		}
	}
	events := map[string]bool{}
	for i, b := range p.Bonuses {
		f := fmt.Sprintf("bonuses[%d].", i)
		if b.Event == "" {
			c.Add(f+"event", crm.RuleRequired, "is required")
		} else if events[b.Event] {
			c.Add(f+"event", crm.RuleUnique, "event %q is listed twice", b.Event)
		}
		events[b.Event] = true
		if b.Points < 0 || b.Points > maxPoints {
			c.Add(f+"points", RuleRange, "must be from 0 to %d", maxPoints)
		}
	}
	if p.Points.PointsPerCNY < 1 {
		c.Add("points.points_per_cny", RuleRange, "must be at least 1")
	}
	switch p.Points.Expiry {
	case NoExpiry, YearAfterExpiry:
	case RollingExpiry:
		if p.Points.Months < 1 || p.Points.Months > 120 {
			c.Add("points.months", RuleRange, "must be from 1 to 120 with rolling expiry")
		}
	default:
		c.Add("points.expiry", crm.RuleEnum, "must be none, rolling or year_after")
	}
	if p.Points.NoticeDays < 0 || p.Points.NoticeDays > 366 {
		c.Add("points.notice_days", RuleRange, "must be from 0 to 366")
	}
	if p.Points.LockDays < 0 || p.Points.LockDays > 366 {
		c.Add("points.lock_days", RuleRange, "must be from 0 to 366")
	}
	stores := map[crm.DealerID]bool{}
	for i, g := range p.Groups {
		f := fmt.Sprintf("groups[%d].", i)
		if g.Home == "" {
			c.Add(f+"home", crm.RuleRequired, "is required")
		}
		if !slices.Contains(g.Stores, g.Home) {
			c.Add(f+"stores", crm.RuleReference, "must include the home store")
		}
		for j, s := range g.Stores {
			if stores[s] {
				c.Add(fmt.Sprintf("%sstores[%d]", f, j), crm.RuleUnique, "store %q is in two groups", s)
			}
			stores[s] = true
		}
	}
	return c.Err("loyalty program")
}

// maxPoints bounds any single number of points, so that sums cannot overflow.
const maxPoints = 1 << 40

// tierIndex returns the index of t in the tiers, or -1.
func (p *Program) tierIndex(t Tier) int {
	return slices.IndexFunc(p.Tiers, func(s TierSpec) bool { return s.Tier == t })
}

// TierSpec returns the configuration of t.
func (p *Program) TierSpec(t Tier) (TierSpec, bool) {
	i := p.tierIndex(t)
	if i < 0 {
		return TierSpec{}, false
	}
	return p.Tiers[i], true
}

// Next returns the tier above t, if any.
func (p *Program) Next(t Tier) (TierSpec, bool) {
	i := p.tierIndex(t)
	if i < 0 || i+1 >= len(p.Tiers) {
		return TierSpec{}, false
	}
	return p.Tiers[i+1], true
}

// Prev returns the tier below t, if any.
func (p *Program) Prev(t Tier) (TierSpec, bool) {
	i := p.tierIndex(t)
	if i <= 0 {
		return TierSpec{}, false
	}
	return p.Tiers[i-1], true
}

// AccountDealer returns the dealer that keeps the accounts of store: the
// group's home for a store of a group programme, else store itself.
func (p *Program) AccountDealer(store crm.DealerID) crm.DealerID {
	for _, g := range p.Groups {
		if slices.Contains(g.Stores, store) {
			return g.Home
		}
	}
	return store
}

// InitialTier returns the tier a customer joins at and the rule that fired:
// the highest tier whose fee feePaid covers (joining by fee), or the first
// by-spend rule whose share covers spendRank (the customer's rank by past
// spend as a share of the dealer's customers, 0.05 = top 5%; nil when
// unknown), whichever is higher; else the lowest tier.
func (p *Program) InitialTier(method JoinMethod, feePaid decimal.Decimal, spendRank *decimal.Decimal) (Tier, string) {
	best, rule := 0, "lowest tier"
	if method == JoinFee {
		for i, t := range p.Tiers {
			if t.Fee.IsPositive() && feePaid.GreaterThanOrEqual(t.Fee) && i >= best {
				best, rule = i, fmt.Sprintf("fee %s ≥ %s", feePaid, t.Fee)
			}
		}
	}
	if spendRank != nil {
		for _, s := range p.BySpend {
			if spendRank.LessThanOrEqual(s.TopShare) {
				if i := p.tierIndex(s.Tier); i > best {
					best, rule = i, fmt.Sprintf("top %s%% by past spend", s.TopShare.Shift(2))
				}
				break
			}
		}
	}
	return p.Tiers[best].Tier, rule
}

// ExpiresOn returns the first day points earned on d can no longer be used
// (zero when they never expire).
func (p *Program) ExpiresOn(d dealercrm.Date) dealercrm.Date {
	switch p.Points.Expiry {
	case RollingExpiry:
		return d.AddMonths(p.Points.Months)
	case YearAfterExpiry:
		return dealercrm.NewDate(d.Year+2, 1, 1)
	}
	return dealercrm.Date{}
}
