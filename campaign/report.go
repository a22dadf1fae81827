package campaign

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// FunnelRow is the funnel of one target segment (seed 004: traffic 客流量,
// successes 成功消费数, success rate 成功率, target 预期目标).
type FunnelRow struct {
	Segment string `json:"segment"`
	// Members is the segment's audience; Excluded were not contacted for
	// lack of consent, Holdout on purpose; Invited were contacted (the
	// seed's traffic).
	Members  int `json:"members"`
	Excluded int `json:"excluded"`
	Holdout  int `json:"holdout"`
	Invited  int `json:"invited"`
	// Responded, Visited and Converted count invited members who reached
	// each step (a later step implies the earlier ones). Converted are the
	// seed's successes.
	Responded int             `json:"responded"`
	Visited   int             `json:"visited"`
	Converted int             `json:"converted"`
	Revenue   decimal.Decimal `json:"revenue"`
	// Rate is Converted / Invited rounded to 4 places (0.3725); Percent the
	// whole percent rounded down, as the seed prints it (37).
	Rate    decimal.Decimal `json:"rate"`
	Percent int             `json:"percent"`
	// Target is the expected rate; Met says Converted / Invited ≥ Target,
	// compared exactly.
	Target decimal.Decimal `json:"target"`
	Met    bool            `json:"met"`
}

// FunnelReport is a campaign's funnel per target segment and in total.
type FunnelReport struct {
	CampaignID ID          `json:"campaign_id"`
	Rows       []FunnelRow `json:"rows"`
	Total      FunnelRow   `json:"total"`
}

// Funnel reports a campaign's funnel invited → responded → visited →
// converted per target segment, against the targets' rates.
func (s *Service) Funnel(ctx context.Context, dealer crm.DealerID, id ID) (FunnelReport, error) {
	c, err := s.store.GetCampaign(ctx, dealer, id)
	if err != nil {
		return FunnelReport{}, err
	}
	members, err := s.store.Members(ctx, dealer, id)
	if err != nil {
		return FunnelReport{}, err
	}
	return BuildFunnel(&c, members), nil
}

// BuildFunnel computes the funnel of campaign c from its members.
func BuildFunnel(c *Campaign, members []Member) FunnelReport {
	r := FunnelReport{CampaignID: c.ID, Rows: make([]FunnelRow, len(c.Targets)), Total: FunnelRow{Segment: "total"}}
	for i, t := range c.Targets {
		r.Rows[i] = FunnelRow{Segment: t.Name, Target: t.Rate}
	}
	for i := range members {
		m := &members[i]
		j := slices.IndexFunc(c.Targets, func(t Target) bool { return t.Name == m.Segment })
		if j < 0 {
			continue
		}
		for _, row := range []*FunnelRow{&r.Rows[j], &r.Total} {
			row.Members++
			switch {
			case m.Excluded != "":
				row.Excluded++
				continue
			case m.Holdout:
				row.Holdout++
				continue
			}
			row.Invited++
			conv := !m.Converted.IsZero()
			visit := conv || !m.Visited.IsZero()
			if visit || !m.Responded.IsZero() {
				row.Responded++
			}
			if visit {
				row.Visited++
			}
			if conv {
				row.Converted++
				row.Revenue = row.Revenue.Add(m.Revenue)
			}
		}
	}
	finish := func(row *FunnelRow) {
		if row.Invited > 0 {
			row.Rate = decimal.NewFromInt(int64(row.Converted)).DivRound(decimal.NewFromInt(int64(row.Invited)), 4)
			row.Percent = row.Converted * 100 / row.Invited
		}
		row.Met = row.Invited > 0 && decimal.NewFromInt(int64(row.Converted)).GreaterThanOrEqual(row.Target.Mul(decimal.NewFromInt(int64(row.Invited))))
	}
	for i := range r.Rows {
		finish(&r.Rows[i])
	}
	finish(&r.Total)
	r.Total.Met = r.Total.Invited > 0
	for _, row := range r.Rows {
		r.Total.Met = r.Total.Met && (row.Invited == 0 || row.Met)
	}
	return r
}

// Table prints the report like seed 004's September table: traffic,
// successes, success rate and target in whole percents rounded down, and
// whether the target was met.
func (r FunnelReport) Table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "segment\ttraffic\tsuccesses\trate\ttarget\tmet")
	for _, row := range r.Rows {
		met := "no"
		if row.Met {
			met = "yes"
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d%%\t%s%%\t%s\n", row.Segment, row.Invited, row.Converted, row.Percent,
			row.Target.Mul(decimal.NewFromInt(100)).Floor().String(), met)
	}
	w.Flush()
	return b.String()
}

// Uplift reports the conversion of a campaign's contacted members against
// its holdout (see ComputeUplift).
func (s *Service) Uplift(ctx context.Context, dealer crm.DealerID, id ID) (Uplift, error) {
	if _, err := s.store.GetCampaign(ctx, dealer, id); err != nil {
		return Uplift{}, err
	}
	members, err := s.store.Members(ctx, dealer, id)
	if err != nil {
		return Uplift{}, err
	}
	var x1, n1, x0, n0 int
	for _, m := range members {
		switch {
		case m.Excluded != "":
		case m.Holdout:
			n0++
			if !m.Converted.IsZero() {
				x0++
			}
		default:
			n1++
			if !m.Converted.IsZero() {
				x1++
			}
		}
	}
	return ComputeUplift(x1, n1, x0, n0), nil
}

// Dimension is what a report row is keyed by.
type Dimension string

// The dimensions.
const (
	ByChannel    Dimension = "channel"    // a contact channel of campaigns
	BySource     Dimension = "source"     // a lead source
	ByModel      Dimension = "model"      // a car model
	ByConsultant Dimension = "consultant" // a sales consultant
)

// ChannelRow is the effectiveness of one channel or lead source over a
// period (seed 000 营销渠道效果分析).
type ChannelRow struct {
	Dimension Dimension       `json:"dimension"`
	Key       string          `json:"key"`
	Cost      decimal.Decimal `json:"cost"`
	Responses int             `json:"responses"`
	Visits    int             `json:"visits"`
	Leads     int             `json:"leads"`
	Sales     int             `json:"sales"`
	// Revenue is the attributed revenue: conversions of campaign members
	// (channel rows), sales of converted leads with their value chain
	// (source rows).
	Revenue decimal.Decimal `json:"revenue"`
	// CostPerLead, CostPerSale (2 places) and ROI = (Revenue − Cost) / Cost
	// (4 places) are absent when their denominator is zero.
	CostPerLead *decimal.Decimal `json:"cost_per_lead"`
	CostPerSale *decimal.Decimal `json:"cost_per_sale"`
	ROI         *decimal.Decimal `json:"roi"`
}

// ChannelReport is the channel effectiveness report of a period.
type ChannelReport struct {
	Period crm.DateRange `json:"period"`
	Rows   []ChannelRow  `json:"rows"`
}

// General is the channel key of costs booked for a campaign as a whole.
const General = "general"

// Channels reports channel effectiveness over period (inclusive dates):
//
//   - one row per contact channel of the dealer's campaigns: the cost lines
//     booked for it in the period (campaign-wide lines under "general"),
//     responses, visits and conversions of members contacted on it dated
//     in the period (sales: conversions by a new-car sale), and leads
//     dated in the period of a contacted member (an add/replacement
//     purchase) or introduced by one (a referral);
//   - one row per lead source: leads dated in the period, of which
//     visits (a walk-in, or a recorded visit trigger 来店契机) and sales
//     (converted, with the sale in the period), cost lines booked for the
//     source. A lead counts as a response.
//
// A lead is dated by its first contact: the earliest of its creation and
// its follow-ups, in the dealer's zone, so that a lead imported from a DMS
// today counts when the prospect first came, not on the import day.
func (s *Service) Channels(ctx context.Context, dealer crm.DealerID, period crm.DateRange) (ChannelReport, error) {
	d, err := s.crm.Dealers().Get(ctx, dealer)
	if err != nil {
		return ChannelReport{}, fmt.Errorf("campaign: channels: dealer %s: %w", dealer, err)
	}
	loc := d.Location()
	rows := map[[2]string]*ChannelRow{}
	row := func(dim Dimension, key string) *ChannelRow {
		k := [2]string{string(dim), key}
		if rows[k] == nil {
			rows[k] = &ChannelRow{Dimension: dim, Key: key}
		}
		return rows[k]
	}
	contactedOn := map[crm.CustomerID][]crm.Channel{}
	err = crm.Each(ctx, func(after string) (crm.Page[Campaign], error) {
		return s.store.ListCampaigns(ctx, dealer, Filter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(c *Campaign) error {
		for _, l := range c.Costs {
			if !period.Contains(l.Date) {
				continue
			}
			if l.Source != "" {
				r := row(BySource, string(l.Source))
				r.Cost = r.Cost.Add(l.Amount)
				continue
			}
			key := string(l.Channel)
			if key == "" {
				key = General
			}
			r := row(ByChannel, key)
			r.Cost = r.Cost.Add(l.Amount)
		}
		if c.FrozenAt.IsZero() {
			return nil
		}
		members, err := s.store.Members(ctx, dealer, c.ID)
		if err != nil {
			return err
		}
		for i := range members {
			m := &members[i]
			if !m.Contacted() {
				continue
			}
			contactedOn[m.CustomerID] = append(contactedOn[m.CustomerID], m.Channel)
			r := row(ByChannel, string(m.Channel))
			if first := earliest(m.Responded, m.Visited, m.Converted); !first.IsZero() && period.Contains(first) {
				r.Responses++
			}
			if v := earliest(m.Visited, m.Converted); !v.IsZero() && period.Contains(v) {
				r.Visits++
			}
			if !m.Converted.IsZero() && period.Contains(m.Converted) {
				r.Revenue = r.Revenue.Add(m.Revenue)
				if m.ConversionKind == ConvertedBySale {
					r.Sales++
				}
			}
		}
		return nil
	})
	if err != nil {
		return ChannelReport{}, fmt.Errorf("campaign: channels: %w", err)
	}
	err = crm.Each(ctx, func(after string) (crm.Page[crm.Lead], error) {
		return s.crm.Leads().List(ctx, dealer, crm.LeadFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(l *crm.Lead) error {
		if !period.Contains(leadDate(l, loc)) {
			return nil
		}
		seen := map[crm.Channel]bool{}
		for _, cust := range []crm.CustomerID{l.CustomerID, l.ReferrerID} {
			for _, ch := range contactedOn[cust] {
				if cust != "" && !seen[ch] {
					seen[ch] = true
					row(ByChannel, string(ch)).Leads++
				}
			}
		}
		r := row(BySource, string(l.Source))
		r.Leads++
		r.Responses++
		if l.Source == crm.SourceWalkIn || l.VisitTrigger != "" {
			r.Visits++
		}
		if l.SaleID != "" {
			sale, err := s.crm.Sales().Get(ctx, dealer, l.SaleID)
			if err == nil && period.Contains(sale.Date) {
				vc, _ := sale.ValueChainTotal()
				r.Sales++
				r.Revenue = r.Revenue.Add(sale.Price).Add(vc)
			} else if err != nil && dealercrm.ErrorCode(err) != dealercrm.NotFound {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ChannelReport{}, fmt.Errorf("campaign: channels: %w", err)
	}
	out := ChannelReport{Period: period, Rows: make([]ChannelRow, 0, len(rows))}
	for _, r := range rows {
		finishChannel(r)
		out.Rows = append(out.Rows, *r)
	}
	slices.SortFunc(out.Rows, func(a, b ChannelRow) int {
		return strings.Compare(string(a.Dimension)+"\x00"+a.Key, string(b.Dimension)+"\x00"+b.Key)
	})
	return out, nil
}

// leadDate is the date a lead counts on in the reports: its first contact,
// the earliest of its creation and its logged follow-ups, in the dealer's
// zone. A lead imported today whose first follow-up was in 2025 counts in
// 2025, not on the day of the import.
func leadDate(l *crm.Lead, loc *time.Location) dealercrm.Date {
	first := l.CreatedAt
	for _, f := range l.FollowUps {
		if !f.At.IsZero() && (first.IsZero() || f.At.Before(first)) {
			first = f.At
		}
	}
	return dealercrm.DateIn(first, loc)
}

// finishChannel fills the ratios of a row from its counts: cost per
// lead and per sale (2 places) and ROI (4 places).
func finishChannel(r *ChannelRow) {
	r.CostPerLead, r.CostPerSale, r.ROI = nil, nil, nil
	if r.Leads > 0 {
		v := r.Cost.DivRound(decimal.NewFromInt(int64(r.Leads)), 2)
		r.CostPerLead = &v
	}
	if r.Sales > 0 {
		v := r.Cost.DivRound(decimal.NewFromInt(int64(r.Sales)), 2)
		r.CostPerSale = &v
	}
	if r.Cost.IsPositive() {
		v := r.Revenue.Sub(r.Cost).DivRound(r.Cost, 4)
		r.ROI = &v
	}
}

func earliest(ds ...dealercrm.Date) dealercrm.Date {
	var out dealercrm.Date
	for _, d := range ds {
		if !d.IsZero() && (out.IsZero() || d.Before(out)) {
			out = d
		}
	}
	return out
}

// AccessoryTarget is a monthly accessory (精品) sales target for a car
// model or a sales consultant (seed 000 tables 1–2).
type AccessoryTarget struct {
	DealerID crm.DealerID `json:"dealer_id"`
	// Month is the first day of the month.
	Month     dealercrm.Date  `json:"month"`
	Dimension Dimension       `json:"dimension"`
	Key       string          `json:"key"`
	Amount    decimal.Decimal `json:"amount"`
}

// The accessory categories of table 1, from a value-chain item's
// description (内装/interior, 外装/exterior, 电装/electrical; anything else
// is "other").
const (
	CategoryInterior   = "interior"
	CategoryExterior   = "exterior"
	CategoryElectrical = "electrical"
	CategoryOther      = "other"
)

func categoryOf(desc string) string {
	d := strings.ToLower(strings.TrimSpace(desc))
	switch {
	case strings.HasPrefix(d, "interior"), strings.HasPrefix(d, "内装"):
		return CategoryInterior
	case strings.HasPrefix(d, "exterior"), strings.HasPrefix(d, "外装"):
		return CategoryExterior
	case strings.HasPrefix(d, "electrical"), strings.HasPrefix(d, "电装"):
		return CategoryElectrical
	}
	return CategoryOther
}

// CategoryAmount is the accessory amount of one category.
type CategoryAmount struct {
	Category string          `json:"category"`
	Amount   decimal.Decimal `json:"amount"`
}

// ValueChainRow is the accessory sales of one model or consultant in a month.
type ValueChainRow struct {
	Key string `json:"key"`
	// Cars is the number of new-car sales; Amount their accessory total;
	// PerCar the amount per car 单车金额 (2 places).
	Cars       int              `json:"cars"`
	Categories []CategoryAmount `json:"categories"`
	Amount     decimal.Decimal  `json:"amount"`
	PerCar     decimal.Decimal  `json:"per_car"`
	// Target is the month's target, absent when none is set; Completion
	// is Amount / Target (4 places) 完成率.
	Target     *decimal.Decimal `json:"target"`
	Completion *decimal.Decimal `json:"completion"`
}

// ValueChainReport is the monthly accessory report: table 1 by model and
// category, table 2 by sales consultant, each against its targets.
type ValueChainReport struct {
	Month       dealercrm.Date  `json:"month"`
	Models      []ValueChainRow `json:"models"`
	Consultants []ValueChainRow `json:"consultants"`
	Total       ValueChainRow   `json:"total"`
}

// ValueChain reports the accessory (value-chain items of kind accessory)
// sales of the month containing month, from the crm sales, by the model of
// the car sold and by the sale's consultant, against the targets set with
// SetAccessoryTargets. A model or consultant with a target but no sale is
// listed with zeros.
func (s *Service) ValueChain(ctx context.Context, dealer crm.DealerID, month dealercrm.Date) (ValueChainReport, error) {
	if month.IsZero() {
		today, err := s.Today(ctx, dealer)
		if err != nil {
			return ValueChainReport{}, err
		}
		month = today
	}
	month = monthOf(month)
	rng := crm.DateRange{From: month, To: month.AddMonths(1).AddDays(-1)}
	sales, err := crm.All(ctx, func(after string) (crm.Page[crm.Sale], error) {
		return s.crm.Sales().List(ctx, dealer, crm.SaleFilter{Dates: rng, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return ValueChainReport{}, fmt.Errorf("campaign: value chain: %w", err)
	}
	targets, err := s.store.AccessoryTargets(ctx, dealer, month)
	if err != nil {
		return ValueChainReport{}, fmt.Errorf("campaign: value chain: %w", err)
	}
	models, consultants := map[string]*ValueChainRow{}, map[string]*ValueChainRow{}
	get := func(m map[string]*ValueChainRow, k string) *ValueChainRow {
		if m[k] == nil {
			m[k] = &ValueChainRow{Key: k}
		}
		return m[k]
	}
	total := ValueChainRow{Key: "total"}
	modelOf := map[crm.VehicleID]string{}
	for i := range sales {
		sale := &sales[i]
		model, ok := modelOf[sale.VehicleID]
		if !ok {
			v, err := s.crm.Vehicles().Get(ctx, dealer, sale.VehicleID)
			if err != nil && dealercrm.ErrorCode(err) != dealercrm.NotFound {
				return ValueChainReport{}, fmt.Errorf("campaign: value chain: %w", err)
			}
			model = v.Model
			modelOf[sale.VehicleID] = model
		}
		rows := []*ValueChainRow{get(models, model), get(consultants, string(sale.ConsultantID)), &total}
		for _, r := range rows {
			r.Cars++
		}
		for _, it := range sale.Items {
			if it.Kind != crm.ItemAccessory {
				continue
			}
			cat := categoryOf(it.Description)
			for _, r := range rows {
				r.Amount = r.Amount.Add(it.Amount)
				addCategory(r, cat, it.Amount)
			}
		}
	}
	for _, t := range targets {
		var r *ValueChainRow
		switch t.Dimension {
		case ByModel:
			r = get(models, t.Key)
		case ByConsultant:
			r = get(consultants, t.Key)
		default:
			continue
		}
		amt := t.Amount
		r.Target = &amt
	}
	out := ValueChainReport{Month: month, Models: finishValueRows(models), Consultants: finishValueRows(consultants)}
	var sum decimal.Decimal
	hasTarget := false
	for _, r := range out.Consultants {
		if r.Target != nil {
			sum, hasTarget = sum.Add(*r.Target), true
		}
	}
	if hasTarget {
		total.Target = &sum
	}
	finishValueRow(&total)
	out.Total = total
	return out, nil
}

func addCategory(r *ValueChainRow, cat string, amt decimal.Decimal) {
	for i := range r.Categories {
		if r.Categories[i].Category == cat {
			r.Categories[i].Amount = r.Categories[i].Amount.Add(amt)
			return
		}
	}
	r.Categories = append(r.Categories, CategoryAmount{Category: cat, Amount: amt})
	slices.SortFunc(r.Categories, func(a, b CategoryAmount) int { return strings.Compare(a.Category, b.Category) })
}

func finishValueRows(m map[string]*ValueChainRow) []ValueChainRow {
	out := make([]ValueChainRow, 0, len(m))
	for _, r := range m {
		finishValueRow(r)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b ValueChainRow) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func finishValueRow(r *ValueChainRow) {
	if r.Categories == nil {
		r.Categories = []CategoryAmount{}
	}
	if r.Cars > 0 {
		r.PerCar = r.Amount.DivRound(decimal.NewFromInt(int64(r.Cars)), 2)
	}
	if r.Target != nil && r.Target.IsPositive() {
		v := r.Amount.DivRound(*r.Target, 4)
		r.Completion = &v
	}
}
