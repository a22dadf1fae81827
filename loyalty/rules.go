package loyalty

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Earning explains the points of one consumption.
type Earning struct {
	// Amount is what the consumption counts for (labour + parts).
	Amount decimal.Decimal `json:"amount"`
	// Rate is the points per CNY of the matching earning rule (0 when none
	// matched); TierMultiplier and CampaignMultiplier the multipliers.
	Rate               decimal.Decimal `json:"rate"`
	TierMultiplier     decimal.Decimal `json:"tier_multiplier"`
	CampaignMultiplier decimal.Decimal `json:"campaign_multiplier"`
	Campaign           string          `json:"campaign,omitempty"`
	// Points = floor(Amount × Rate × TierMultiplier × CampaignMultiplier).
	Points int64 `json:"points"`
	// Rule names the earning rule that matched.
	Rule string `json:"rule"`
}

// Earn computes the points of a service order for a member of tier:
// the first earning rule matching the order's kind and payer gives the rate
// (insurer-paid and warranty work earn 0 by default), times the tier's
// multiplier and the largest campaign multiplier active on the order's
// date, rounded down once at the end.
func (p *Program) Earn(o *crm.ServiceOrder, tier Tier) Earning { return p.earn(o, tier, nil) }

// earnRuleName names earning rule i in explanations.
func earnRuleName(i int, r EarnRule) string {
	return fmt.Sprintf("earning[%d] kind=%s payer=%s rate=%s", i, orAny(string(r.Kind)), orAny(string(r.Payer)), r.Rate)
}

var one = decimal.NewFromInt(1)

// earn is Earn with the rule names made in advance (nil: made here).
func (p *Program) earn(o *crm.ServiceOrder, tier Tier, names []string) Earning {
	e := Earning{Amount: o.Total(), Rate: decimal.Zero, TierMultiplier: one, CampaignMultiplier: one, Rule: "no earning rule matches"}
	for i, r := range p.Earning {
		if (r.Kind == "" || r.Kind == o.Kind) && (r.Payer == "" || r.Payer == o.Payer) {
			e.Rate = r.Rate
			if i < len(names) {
				e.Rule = names[i]
			} else {
				e.Rule = earnRuleName(i, r)
			}
			break
		}
	}
	if spec, ok := p.TierSpec(tier); ok {
		e.TierMultiplier = spec.Multiplier
	}
	for _, c := range p.Campaigns {
		if o.Date.Compare(c.From) >= 0 && o.Date.Compare(c.To) <= 0 && (len(c.Kinds) == 0 || slices.Contains(c.Kinds, o.Kind)) &&
			c.Multiplier.GreaterThan(e.CampaignMultiplier) {
			e.CampaignMultiplier, e.Campaign = c.Multiplier, c.Name
		}
	}
	if n, ok := floorProduct([4]decimal.Decimal{e.Amount, e.Rate, e.TierMultiplier, e.CampaignMultiplier}); ok {
		e.Points = min(n, maxPoints)
		return e
	}
	pts := e.Amount.Mul(e.Rate).Mul(e.TierMultiplier).Mul(e.CampaignMultiplier).Floor()
	if pts.IsNegative() {
		pts = decimal.Zero
	}
	if pts.GreaterThan(decimal.NewFromInt(maxPoints)) {
		pts = decimal.NewFromInt(maxPoints)
	}
	e.Points = pts.IntPart()
	return e
}

// floorProduct is the floor of the product of non-negative decimals in
// int64 arithmetic, without allocating; ok is false when a coefficient or
// the product does not fit, and the caller then uses decimal arithmetic.
// It gives the same result: the product of the coefficients is exact and
// the scale is applied once.
func floorProduct(ds [4]decimal.Decimal) (int64, bool) {
	num, exp := uint64(1), int32(0)
	for _, d := range ds {
		if d.IsZero() {
			return 0, true
		}
		if d.IsNegative() || d.Exponent() < -18 || d.Exponent() > 18 || d.NumDigits() > 18 {
			return 0, false
		}
		c := d.CoefficientInt64()
		hi, lo := bits.Mul64(num, uint64(c))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		num, exp = lo, exp+d.Exponent()
	}
	for ; exp > 0; exp-- {
		hi, lo := bits.Mul64(num, 10)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		num = lo
	}
	if exp < -18 {
		return 0, false
	}
	return int64(num / pow10[-exp]), true
}

var pow10 = func() [19]uint64 {
	var p [19]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

// Facts are the crm records renewal and upgrade rules look at: a
// customer's service orders and insurance policies.
type Facts struct {
	Orders   []crm.ServiceOrder
	Policies []crm.InsurancePolicy
}

// Check is the outcome of one renewal or upgrade rule.
type Check struct {
	Method string `json:"method"`
	Met    bool   `json:"met"`
	// Rule explains the outcome with its numbers.
	Rule string `json:"rule"`
}

// renewalPremium sums the premiums of insurance renewals starting within
// the year up to date.
func renewalPremium(f *Facts, from, to dealercrm.Date) decimal.Decimal {
	sum := decimal.Zero
	for i := range f.Policies {
		p := &f.Policies[i]
		if p.Renewal && p.Start.Compare(from) >= 0 && p.Start.Compare(to) <= 0 {
			sum = sum.Add(p.Premium)
		}
	}
	return sum
}

// RenewalChecks evaluates the enabled renewal methods for member m on date
// with balances b, feePaid and facts, in the configured order.
func (p *Program) RenewalChecks(m *Membership, b Balances, feePaid decimal.Decimal, f *Facts, date dealercrm.Date) []Check {
	var out []Check
	for _, meth := range p.Renewal.Methods {
		c := Check{Method: string(meth)}
		switch meth {
		case RenewByFee:
			c.Met = feePaid.IsPositive() && feePaid.GreaterThanOrEqual(p.Renewal.Fee)
			c.Rule = fmt.Sprintf("renewal fee paid %s, required %s", feePaid, p.Renewal.Fee)
		case RenewByPoints:
			c.Met = b.Available >= p.Renewal.Points
			c.Rule = fmt.Sprintf("%d redeemable points deducted (%d available)", p.Renewal.Points, b.Available)
		case RenewByInsurance:
			sum := renewalPremium(f, date.AddYears(-1).AddDays(1), date)
			c.Met = sum.GreaterThanOrEqual(p.Renewal.InsuranceMin)
			c.Rule = fmt.Sprintf("insurance renewals %s in the year to %s, required %s", sum, date, p.Renewal.InsuranceMin)
		}
		out = append(out, c)
	}
	return out
}

// UpgradeChecks evaluates the enabled upgrade methods for member m on date,
// in the configured order. Repairs and insurance before m.TierSince do not
// count, so one repair cannot upgrade twice.
func (p *Program) UpgradeChecks(m *Membership, b Balances, f *Facts, date dealercrm.Date) []Check {
	next, ok := p.Next(m.Tier)
	if !ok {
		return nil
	}
	var out []Check
	for _, meth := range p.Upgrade.Methods {
		c := Check{Method: string(meth)}
		switch meth {
		case UpgradeByCumulative:
			c.Met = b.Cumulative >= next.Threshold
			c.Rule = fmt.Sprintf("cumulative points %d, %s threshold %d", b.Cumulative, next.Tier, next.Threshold)
		case UpgradeByPoints:
			c.Met = b.Available >= p.Upgrade.Points
			c.Rule = fmt.Sprintf("%d redeemable points deducted (%d available)", p.Upgrade.Points, b.Available)
		case UpgradeByRepair:
			best := decimal.Zero
			var id crm.ServiceOrderID
			for i := range f.Orders {
				o := &f.Orders[i]
				if o.Payer == crm.PayerCustomer && slices.Contains(p.Upgrade.RepairKinds, o.Kind) &&
					o.Date.Compare(m.TierSince) >= 0 && o.Date.Compare(date) <= 0 && o.Total().GreaterThan(best) {
					best, id = o.Total(), o.ID
				}
			}
			c.Met = best.GreaterThanOrEqual(p.Upgrade.RepairMin) && id != ""
			c.Rule = fmt.Sprintf("largest normal repair since %s: %s (order %s), required %s", m.TierSince, best, orNone(string(id)), p.Upgrade.RepairMin)
		case UpgradeByInsurance:
			n := p.Upgrade.InsuranceYears
			c.Rule = fmt.Sprintf("no %d consecutive years with insurance renewals ≥ %s since %d", n, p.Upgrade.InsuranceMin, m.TierSince.Year)
			for y := date.Year; y >= m.TierSince.Year && !c.Met; y-- {
				ok := true
				var sums []string
				for k := range n {
					yr := y - n + 1 + k
					s := renewalPremium(f, dealercrm.NewDate(yr, 1, 1), dealercrm.NewDate(yr, 12, 31))
					sums = append(sums, fmt.Sprintf("%d: %s", yr, s))
					ok = ok && s.GreaterThanOrEqual(p.Upgrade.InsuranceMin)
				}
				if ok {
					c.Met = true
					c.Rule = fmt.Sprintf("insurance renewals %v, each ≥ %s", sums, p.Upgrade.InsuranceMin)
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
