package demo

import (
	"slices"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

// scaled returns count for 250 customers, scaled to the store's size, at
// least lo.
func (dg *dealerGen) scaled(count, lo int) int { return max(count*dg.n/250, lo) }

// follow appends a contact on d to an open lead through the domain's own
// rules (Lead.LogFollowUp), so the next follow-up follows the cadence.
func (dg *dealerGen) follow(l *crm.Lead, d date, level crm.IntentLevel, visit bool) {
	r := dg.r
	ch := crm.ChannelPhone
	switch {
	case visit:
		ch = crm.ChannelVisit
	case r.pct(30):
		ch = crm.ChannelWeChat
	}
	f := crm.FollowUp{At: clock(d, dg.loc, r), StaffID: l.ConsultantID, Channel: ch, Visit: visit}
	if notes := followUpNotes[level]; len(notes) > 0 {
		f.Note = pick(r, notes)
	}
	if visit && level != crm.LevelO {
		f.Note = "到店看车试驾：" + f.Note
	}
	if level != l.Level {
		f.Level = level
	}
	mustNot(l.LogFollowUp(f, dg.policy))
}

// mustNot panics on an error that only a bug in the generator can cause:
// every level change it makes is allowed by the lead state machine.
func mustNot(err error) {
	if err != nil {
		panic("demo: generator bug: " + err.Error())
	}
}

// genLeads writes the prospect cards: one converted (D) lead per sale of
// the last 18 months, open leads at H, A, B, C, N and O (some stale, one
// with a pending and one with a rejected lost request), lost (F) leads with
// their reasons, and add/replacement leads of existing customers.
func (dg *dealerGen) genLeads() {
	var latest *salePlan
	for _, sp := range dg.sales {
		if !sp.s.Date.Before(dg.today.AddDays(-540)) {
			dg.convertedLead(sp)
		}
		if latest == nil || sp.s.Date.After(latest.s.Date) {
			latest = sp
		}
	}
	if latest != nil && latest.lead == nil {
		dg.convertedLead(latest) // a small store still shows a converted lead
	}
	levels := []struct {
		level crm.IntentLevel
		count int
	}{{crm.LevelH, 4}, {crm.LevelA, 6}, {crm.LevelB, 8}, {crm.LevelC, 12}, {crm.LevelN, 16}, {crm.LevelO, 5}}
	repeat := dg.repeatCandidates()
	for _, lv := range levels {
		for i := range dg.scaled(lv.count, 1) {
			lp := dg.prospect(lv.level, &repeat)
			stale := (lv.level == crm.LevelN || lv.level == crm.LevelC) && i%4 == 3
			dg.openLead(lp, lv.level, stale)
		}
	}
	// One lead awaiting the manager's decision on a lost request, one whose
	// request was rejected and is followed up again.
	lp := dg.prospect(crm.LevelC, &repeat)
	dg.openLead(lp, crm.LevelC, false)
	last := lp.l.LastContactAt
	mustNot(lp.l.RequestLost(crm.LostFrozen, "客户表示暂缓购车，申请战败", lp.l.ConsultantID, last.Add(2*time.Hour)))
	lp = dg.prospect(crm.LevelB, &repeat)
	dg.openLead(lp, crm.LevelB, false)
	last = lp.l.LastContactAt
	l := &lp.l
	mustNot(l.RequestLost(crm.LostCompetitor, "客户在看竞品", l.ConsultantID, last.Add(-72*time.Hour)))
	mustNot(l.DecideLost(false, dg.pickStaff(dg.r, RoleSalesManager), "客户仍有意向，继续跟进", last.Add(-48*time.Hour)))
	for range dg.scaled(30, 2) {
		dg.lostLead(dg.prospect(crm.LevelN, &repeat))
	}
}

// repeatCandidates lists individual customers who still own a car here, the
// oldest cars first: they are the add/replacement purchase prospects.
func (dg *dealerGen) repeatCandidates() []*custPlan {
	var out []*custPlan
	for _, cp := range dg.custs {
		if !cp.company && !cp.firstDeal.IsZero() && cp.arch != moved {
			out = append(out, cp)
		}
	}
	oldest := func(cp *custPlan) date {
		d := dg.today
		for _, v := range cp.vehicles {
			if v.leftAt.IsZero() {
				d = earlier(d, v.v.DeliveryDate)
			}
		}
		return d
	}
	slices.SortStableFunc(out, func(a, b *custPlan) int { return oldest(a).Compare(oldest(b)) })
	return out
}

// prospect starts a lead: a new prospect, a referred one, or (one in
// five) an existing customer buying again.
func (dg *dealerGen) prospect(level crm.IntentLevel, repeat *[]*custPlan) *leadPlan {
	r := dg.r
	lp := &leadPlan{}
	l := &lp.l
	m := models[r.weighted(modelWeights())]
	l.ModelOfInterest = m.code
	l.ConsultantID = dg.pickStaff(r, RoleConsultant)
	l.Purchase = crm.FirstPurchase
	l.Level, l.Status = level, crm.LeadOpen
	switch k := r.n(100); {
	case k < 20 && len(*repeat) > 0:
		// The oldest cars first: repurchase stage (再购期).
		cp := (*repeat)[0]
		*repeat = (*repeat)[1:]
		l.Name, l.Mobile, l.CustomerID = cp.c.Name, cp.c.Mobile, cp.ext()
		l.ConsultantID = cp.c.ConsultantID
		l.Purchase = crm.AddPurchase
		for _, v := range cp.vehicles {
			if v.leftAt.IsZero() && dg.today.DaysSince(v.v.DeliveryDate) >= 4*365 {
				l.Purchase = crm.ReplacementPurchase
			}
		}
		l.Source = []crm.Source{crm.SourceWalkIn, crm.SourceCallIn, crm.SourceEvent}[r.n(3)]
		l.VisitTrigger = "老客户增换购"
		if l.Purchase == crm.ReplacementPurchase {
			l.VisitTrigger = "置换补贴活动"
		}
		return lp
	case k < 35:
		l.Source = crm.SourceReferral
		l.ReferrerID = pick(r, dg.custs).ext()
		l.VisitTrigger = "老客户转介绍"
	default:
		srcs := []crm.Source{crm.SourceWalkIn, crm.SourceCallIn, crm.SourceWeb, crm.SourceEvent, crm.SourceDM, crm.SourceBroker}
		l.Source = srcs[r.weighted([]int{30, 15, 35, 8, 4, 8})]
		l.VisitTrigger = pick(r, visitTriggers)
	}
	given := maleGivenNames
	if r.pct(38) {
		given = femaleGivenNames
	}
	l.Name = pickSkewed(r, surnames) + pick(r, given)
	if r.pct(92) {
		l.Mobile = dg.mobile(r)
	}
	return lp
}

func modelWeights() []int {
	w := make([]int, len(models))
	for i, m := range models {
		w[i] = m.weight
	}
	return w
}

// openLead writes the follow-up history of an open lead that is at level
// today: contacts from its first visit or call up to a recent one (or, for
// a stale lead, one over 90 days ago), with the level each contact gave.
func (dg *dealerGen) openLead(lp *leadPlan, level crm.IntentLevel, stale bool) {
	r, l := dg.r, &lp.l
	var expected date
	switch level {
	case crm.LevelH:
		expected = dg.today.AddDays(r.between(1, 7))
	case crm.LevelA:
		expected = dg.today.AddDays(r.between(8, 15))
	case crm.LevelB:
		expected = dg.today.AddDays(r.between(16, 30))
	case crm.LevelC:
		expected = dg.today.AddDays(r.between(31, 90))
	case crm.LevelN:
		if r.pct(50) {
			expected = dg.today.AddDays(r.between(91, 200))
		}
	case crm.LevelO:
		expected = dg.today.AddDays(r.between(3, 25)) // delivery of the ordered car
	}
	cadence := dg.policy.CadenceDays[level]
	lastContact := dg.today.AddDays(-r.between(0, cadence+3))
	if level == crm.LevelO {
		lastContact = dg.today.AddDays(-r.between(1, 20))
	}
	if stale {
		lastContact = dg.today.AddDays(-r.between(95, 200))
		if !expected.IsZero() {
			expected = lastContact.AddDays(expected.DaysSince(dg.today))
		}
	}
	first := lastContact.AddDays(-r.between(3, 60))
	l.ExpectedClose = expected
	dates := spread(r, first, lastContact, r.between(2, 5))
	l.Level = dg.levelAt(dates[0], expected, level)
	for i, d := range dates {
		lv := dg.levelAt(d, expected, level)
		if i == len(dates)-1 {
			lv = level
		}
		dg.follow(l, d, lv, i == 0 && l.Source == crm.SourceWalkIn)
	}
	dg.leads = append(dg.leads, lp)
}

// levelAt is the level a lead expected to close on expected had on d: by
// the policy's windows, never past the final level of an ordered lead.
func (dg *dealerGen) levelAt(d, expected date, final crm.IntentLevel) crm.IntentLevel {
	if final == crm.LevelO {
		expected = expected.AddDays(-20) // the order was signed before delivery
	}
	if final == crm.LevelN || expected.IsZero() {
		return crm.LevelN
	}
	return dg.policy.LevelFor(d, expected)
}

// convertedLead writes the D lead of a sale: the contacts that led to it
// and the order signed on the sale date.
func (dg *dealerGen) convertedLead(sp *salePlan) {
	r, v, cp := dg.r, sp.veh, sp.veh.owner
	lp := &leadPlan{sale: sp}
	sp.lead = lp
	l := &lp.l
	purchase := sp.s.Date
	l.Name, l.Mobile, l.CustomerID = cp.c.Name, cp.c.Mobile, cp.ext()
	l.ModelOfInterest = v.m.code
	l.ConsultantID = sp.s.ConsultantID
	l.Purchase = v.purchase
	l.Source = cp.c.Source
	l.VisitTrigger = pick(r, visitTriggers)
	if v.purchase != crm.FirstPurchase {
		l.Source = []crm.Source{crm.SourceWalkIn, crm.SourceCallIn}[r.n(2)]
		l.VisitTrigger = "老客户增换购"
	} else if cp.referrer != nil {
		l.ReferrerID = cp.referrer.ext()
		l.VisitTrigger = "老客户转介绍"
	}
	l.ExpectedClose = purchase
	first := purchase.AddDays(-r.between(5, 70))
	dates := spread(r, first, purchase, r.between(3, 6))
	l.Level, l.Status = dg.policy.LevelFor(first, purchase), crm.LeadOpen
	for i, d := range dates {
		lv := dg.policy.LevelFor(d, purchase)
		if i == len(dates)-1 {
			lv = crm.LevelO
		}
		dg.follow(l, d, lv, (i == 0 && l.Source == crm.SourceWalkIn) || lv == crm.LevelO)
	}
	l.FollowUps[len(l.FollowUps)-1].Note = "签订购车合同，交付定金"
	l.Level, l.Status, l.NextFollowUpAt = crm.LevelD, crm.LeadConverted, time.Time{}
	dg.leads = append(dg.leads, lp)
}

// lostLead writes an F lead: a few contacts, then a consultant's lost
// request (战败申请) that the sales manager approved.
func (dg *dealerGen) lostLead(lp *leadPlan) {
	r, l := dg.r, &lp.l
	first := dg.today.AddDays(-r.between(30, 540))
	last := first.AddDays(r.between(7, 60))
	if !last.Before(dg.today.AddDays(-8)) {
		last = dg.today.AddDays(-8) // the manager has decided by now
	}
	start := []crm.IntentLevel{crm.LevelA, crm.LevelB, crm.LevelC, crm.LevelN}[r.n(4)]
	l.Level = start
	dates := spread(r, first, last, r.between(2, 4))
	for i, d := range dates {
		lv := start
		if i > 0 && r.pct(50) {
			lv = []crm.IntentLevel{crm.LevelB, crm.LevelC, crm.LevelN}[r.n(3)]
		}
		dg.follow(l, d, lv, i == 0 && l.Source == crm.SourceWalkIn)
	}
	reasons := crm.LostReasons()
	reason := reasons[r.weighted([]int{35, 18, 15, 12, 15, 5})]
	asked := last.AddDays(r.between(1, 5))
	mustNot(l.RequestLost(reason, pick(r, lostNotes[reason]), l.ConsultantID, clock(asked, dg.loc, r)))
	mustNot(l.DecideLost(true, dg.pickStaff(r, RoleSalesManager), "同意战败", clock(asked.AddDays(r.between(1, 3)), dg.loc, r)))
	dg.leads = append(dg.leads, lp)
}
