package demo

import (
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// customer generates customer i with their cars and history.
func (dg *dealerGen) customer(i int, company bool) {
	r := newRnd(dg.opts.Seed, dg.idx, streamCustomer, i)
	cp := &custPlan{r: r, company: company}
	c := &cp.c
	c.ExternalID = extID(dg.site.code, "C", 5, len(dg.custs)+1)
	weights := make([]int, len(dg.site.places))
	for k, p := range dg.site.places {
		weights[k] = p.weight
	}
	pl := dg.site.places[r.weighted(weights)]
	c.Region = crm.Region{Province: pl.province, City: pl.city, District: pick(r, pl.districts)}
	cp.plates = pl.plates
	c.Mobile = dg.mobile(r)
	c.AdvisorID = dg.pickStaff(r, RoleAdvisor)
	income := 0
	if company {
		dg.companyProfile(cp)
	} else {
		income = dg.personProfile(cp)
	}
	dg.chooseArchetype(cp)
	dg.vehiclesFor(cp, income)
	dg.fixArchetype(cp)
	for _, v := range cp.vehicles {
		dg.simulate(v)
		dg.insurance(v)
		if v.soldHere {
			dg.sell(v)
		}
	}
	dg.setSource(cp)
	dg.consents(cp)
	if cp.arch == moved {
		dg.moved = append(dg.moved, cp)
	}
	dg.custs = append(dg.custs, cp)
}

func (dg *dealerGen) personProfile(cp *custPlan) (income int) {
	r, c := cp.r, &cp.c
	c.Kind = crm.Individual
	given := maleGivenNames
	switch k := r.n(100); {
	case k < 64:
		c.Gender = crm.Male
	case k < 98:
		c.Gender = crm.Female
		given = femaleGivenNames
	default:
		c.Gender = crm.GenderUnknown
	}
	c.Name = pickSkewed(r, surnames) + pick(r, given)
	retired := r.pct(7)
	age := 22 + r.n(18) + r.n(18)
	if retired {
		age = 58 + r.n(12)
	}
	if r.pct(88) {
		c.Birthday = dealercrm.NewDate(dg.today.Year-age, 1, 1).AddDays(r.n(365))
	}
	if r.pct(90) {
		c.FamilyStage = familyStage(r, age, retired)
	}
	switch {
	case retired:
		c.Occupation = "退休"
		income = r.between(1, 2)
	case r.pct(88):
		o := pick(r, occupations)
		c.Occupation, c.Industry = o.name, o.industry
		income = min(max(o.income+r.between(-1, 1), 0), len(incomeBands)-1)
	default:
		income = r.between(1, 3)
	}
	if r.pct(85) {
		c.IncomeBand = incomeBands[income]
	}
	for range []int{0, 1, 1, 2, 2, 3}[r.n(6)] {
		h := pick(r, hobbies)
		if !slices.Contains(c.Hobbies, h) {
			c.Hobbies = append(c.Hobbies, h)
		}
	}
	return income
}

func familyStage(r rnd, age int, retired bool) crm.FamilyStage {
	switch {
	case retired:
		return []crm.FamilyStage{crm.Retired, crm.EmptyNest}[r.n(2)]
	case age < 28:
		return []crm.FamilyStage{crm.Single, crm.Single, crm.Couple}[r.n(3)]
	case age < 36:
		return []crm.FamilyStage{crm.Single, crm.Couple, crm.Couple, crm.YoungChildren, crm.YoungChildren, crm.YoungChildren}[r.n(6)]
	case age < 46:
		return []crm.FamilyStage{crm.Couple, crm.YoungChildren, crm.SchoolChildren, crm.SchoolChildren, crm.SchoolChildren}[r.n(5)]
	case age < 56:
		return []crm.FamilyStage{crm.SchoolChildren, crm.AdultChildren, crm.AdultChildren, crm.EmptyNest}[r.n(4)]
	}
	return crm.EmptyNest
}

func (dg *dealerGen) companyProfile(cp *custPlan) {
	r, c := cp.r, &cp.c
	c.Kind = crm.Company
	for {
		k := pick(r, companyKinds)
		name := dg.site.city + pick(r, companyPrefixes) + k.suffix
		if !dg.companyNames[name] {
			dg.companyNames[name] = true
			c.Name, c.Industry, cp.fleet = name, k.industry, k.fleet
			return
		}
	}
}

func (dg *dealerGen) chooseArchetype(cp *custPlan) {
	w := []int{50, 14, 15, 6, 6, 6} // loyal, atRisk, lapsed, firstLost, repairOnly, moved
	if cp.company {
		w = []int{75, 10, 10, 0, 5, 0}
	}
	if dg.idx > 0 {
		w[loyal] += w[moved] // only Shanghai customers move (to Suzhou)
		w[moved] = 0
	}
	cp.arch = archetype(cp.r.weighted(w))
}

// vehiclesFor gives the customer one to three cars (a company two to
// eight), each delivered some days before today.
func (dg *dealerGen) vehiclesFor(cp *custPlan, income int) {
	r := cp.r
	type buy struct {
		age  int
		kind crm.PurchaseKind
	}
	var buys []buy
	switch k := r.n(100); {
	case cp.company:
		n := r.between(2, 4)
		if cp.fleet {
			n = r.between(4, 8)
		}
		age := r.between(60, 2400)
		for i := range n {
			kind := crm.AddPurchase
			if i == 0 {
				kind = crm.FirstPurchase
			}
			buys = append(buys, buy{age, kind})
			age = max(age-r.between(30, 500), 10)
		}
	case k < 85:
		age := r.between(5, 1095)
		if r.pct(28) {
			age = r.between(1096, 2920)
		}
		buys = []buy{{age, crm.FirstPurchase}}
	case k < 97:
		a1 := r.between(1300, 2920)
		kind := crm.ReplacementPurchase
		if r.pct(45) {
			kind = crm.AddPurchase
		}
		buys = []buy{{a1, crm.FirstPurchase}, {r.between(10, min(1095, a1-400)), kind}}
	default:
		a1 := r.between(2000, 2920)
		a2 := r.between(900, a1-400)
		buys = []buy{{a1, crm.FirstPurchase}, {a2, crm.AddPurchase}, {r.between(10, min(700, a2-300)), crm.AddPurchase}}
	}
	for i, b := range buys {
		// A first car bought elsewhere makes a service-only customer; a
		// repeat purchase is what brought the customer back to this store.
		soldHere := i > 0 || cp.company || r.pct(86)
		v := dg.newVehicle(cp, b.age, soldHere, income)
		v.purchase = b.kind
		if b.kind == crm.ReplacementPurchase {
			prev := cp.vehicles[len(cp.vehicles)-1]
			prev.leftAt = v.v.PurchaseDate
			prev.v.OwnerID = ""
			v.tradeIn = r.pct(65)
		} else if i > 0 && r.pct(10) {
			v.tradeIn = true // traded in a car of another brand
		}
		cp.vehicles = append(cp.vehicles, v)
	}
}

func (dg *dealerGen) newVehicle(cp *custPlan, age int, soldHere bool, income int) *vehPlan {
	r := cp.r
	weights := make([]int, len(models))
	for i, m := range models {
		w := m.weight
		switch {
		case m.sinceDays > 0 && age > m.sinceDays:
			w = 0
		case cp.fleet:
			if m.code != "A3" && m.code != "X3" && m.code != "M6" {
				w = 0
			}
		case cp.company:
			if m.class < 2 {
				w /= 3
			}
		case income >= 3 && m.class >= 2:
			w *= 2
		case income <= 1 && m.class >= 3:
			w /= 3
		}
		weights[i] = w
	}
	m := models[r.weighted(weights)]
	t := pickSkewed(r, m.trims)
	delivery := dg.today.AddDays(-age)
	purchase := delivery.AddDays(-r.between(0, 12))
	reg := later(delivery.AddDays(-r.between(0, 2)), purchase)
	dg.vinSeq++
	v := &vehPlan{owner: cp, m: m, soldHere: soldHere, deliveryKM: int64(r.between(5, 30))}
	v.v = crm.Vehicle{
		VIN:              makeVIN(m.vds, delivery.Year, (dg.idx+1)*100000+dg.vinSeq),
		Plate:            dg.plate(r, cp.plates, m.ev),
		Brand:            Brand,
		Model:            m.code,
		Trim:             t.name,
		OwnerID:          cp.ext(),
		PurchaseDate:     purchase,
		DeliveryDate:     delivery,
		RegistrationDate: reg,
	}
	v.v.ExternalID = extID(dg.site.code, "V", 5, len(dg.vehs)+1)
	discount := int64(r.between(2, 12))
	if m.ev {
		discount = int64(r.between(0, 5))
	}
	if !soldHere {
		discount = 3
	}
	v.v.Price = yuan(roundTo(t.price*(100-discount)/100, 100))
	base := int64(12000 + r.n(22000) + r.n(22000))
	switch {
	case cp.fleet:
		base = int64(60000 + r.n(60000))
	case cp.company:
		base = int64(35000 + r.n(45000))
	}
	for y := range v.rates {
		v.rates[y] = base * int64(r.between(80, 120)) / 100
	}
	dg.vehs = append(dg.vehs, v)
	return v
}

// fixArchetype places the customer's last visit (or move) in time and falls
// back to loyal where the archetype cannot fit the cars' ages.
func (dg *dealerGen) fixArchetype(cp *custPlan) {
	r := cp.r
	latest := cp.vehicles[0].v.DeliveryDate
	for _, v := range cp.vehicles {
		latest = later(latest, v.v.DeliveryDate)
	}
	earliestStop := latest.AddDays(200) // at least the first maintenance of the newest car
	switch cp.arch {
	case atRisk:
		cp.stop = dg.today.AddDays(-r.between(185, 340))
	case lapsed:
		cp.stop = dg.today.AddDays(-r.between(370, 1100))
	case moved:
		cp.moveDate = later(dg.today.AddDays(-r.between(120, 700)), earliestStop)
		if cp.moveDate.After(dg.today.AddDays(-90)) {
			cp.arch = loyal // too recent a car to have moved on
		}
		return
	case firstLost:
		age := dg.today.DaysSince(latest)
		if len(cp.vehicles) > 1 || age < 200 || age > 1095 || !cp.vehicles[0].soldHere {
			cp.arch = lapsed
			cp.stop = dg.today.AddDays(-r.between(370, 1100))
		}
	}
	if !cp.stop.IsZero() && cp.stop.Before(earliestStop) {
		cp.stop = earliestStop
	}
	if !cp.stop.IsZero() && cp.stop.After(dg.today.AddDays(-185)) {
		cp.arch, cp.stop = loyal, date{}
	}
}

// setSource sets where the customer came from and when they first dealt
// with the store.
func (dg *dealerGen) setSource(cp *custPlan) {
	r, c := cp.r, &cp.c
	cp.firstContact = cp.firstDeal
	if cp.firstDeal.IsZero() {
		c.Source = crm.SourceOther // bought elsewhere, services here
		cp.firstContact = cp.vehicles[0].v.DeliveryDate
		if len(cp.vehicles[0].orders) > 0 {
			cp.firstContact = cp.vehicles[0].orders[0].o.Date
		}
		return
	}
	srcs := []crm.Source{crm.SourceWalkIn, crm.SourceCallIn, crm.SourceWeb, crm.SourceReferral, crm.SourceEvent, crm.SourceDM, crm.SourceBroker}
	w := []int{35, 10, 25, 14, 7, 3, 6}
	if cp.company {
		w = []int{25, 30, 5, 20, 0, 0, 20}
	}
	c.Source = srcs[r.weighted(w)]
}

// consents records the customer's answers per purpose and channel (PIPL):
// at the sales contract or the first service reception, some later on
// WeChat, some withdrawn.
func (dg *dealerGen) consents(cp *custPlan) {
	r, c := cp.r, &cp.c
	src := "购车合同授权书"
	if cp.firstDeal.IsZero() {
		src = "售后接待登记表"
	}
	at := clock(cp.firstContact, dg.loc, r)
	add := func(p crm.Purpose, ch crm.Channel, granted bool, at time.Time, src string) {
		c.SetConsent(crm.Consent{Purpose: p, Channel: ch, Granted: granted, At: at, Source: src})
	}
	add(crm.PurposeServiceReminder, crm.ChannelPhone, true, at, src)
	add(crm.PurposeRecall, crm.ChannelPhone, true, at, src)
	if r.pct(10) {
		return // the legal minimum only
	}
	add(crm.PurposeServiceReminder, crm.ChannelSMS, r.pct(95), at, src)
	add(crm.PurposeRecall, crm.ChannelSMS, true, at, src)
	add(crm.PurposeSurvey, crm.ChannelPhone, r.pct(85), at, src)
	switch {
	case r.pct(55):
		add(crm.PurposeMarketing, crm.ChannelSMS, true, at, src)
	case r.pct(40):
		add(crm.PurposeMarketing, crm.ChannelSMS, false, at, src)
	}
	if r.pct(40) {
		add(crm.PurposeMarketing, crm.ChannelPhone, true, at, src)
	}
	if r.pct(65) && !cp.company {
		// Bound later on WeChat, unless that day has not come yet.
		wx := at.Add(time.Duration(r.between(1, 30)) * 24 * time.Hour)
		if !dealercrm.DateIn(wx, dg.loc).After(dg.today) {
			add(crm.PurposeMarketing, crm.ChannelWeChat, true, wx, "微信公众号绑定")
			add(crm.PurposeServiceReminder, crm.ChannelWeChat, true, wx, "微信公众号绑定")
		}
	}
	if r.pct(8) {
		add(crm.PurposeMarketing, crm.ChannelEmail, true, at, src)
	}
	if c.Allows(crm.PurposeMarketing, crm.ChannelSMS) && r.pct(8) {
		withdrawn := at.Add(time.Duration(r.between(60, 400)) * 24 * time.Hour)
		if withdrawn.Before(clock(dg.today, dg.loc, r)) {
			add(crm.PurposeMarketing, crm.ChannelSMS, false, withdrawn, "电话回访时客户要求不再发送营销短信")
		}
	}
}

// takeOver makes the Suzhou records of a Shanghai customer who moved: a
// customer of its own (same person, same mobile), the same cars by VIN and
// the visits made here since the move.
func (dg *dealerGen) takeOver(i int, from *custPlan) {
	r := newRnd(dg.opts.Seed, dg.idx, streamIncoming, i)
	cp := &custPlan{r: r, arch: loyal, company: from.company, fleet: from.fleet}
	cp.c = from.c.Clone()
	c := &cp.c
	c.ExternalID = extID(dg.site.code, "C", 5, len(dg.custs)+1)
	pl := dg.site.places[0]
	c.Region = crm.Region{Province: pl.province, City: pl.city, District: pick(r, pl.districts)}
	c.Source = crm.SourceOther
	c.ConsultantID = ""
	c.AdvisorID = dg.pickStaff(r, RoleAdvisor)
	c.Consents = nil
	for _, fv := range from.vehicles {
		if len(fv.sister) == 0 {
			continue
		}
		v := &vehPlan{owner: cp, m: fv.m, rates: fv.rates, deliveryKM: fv.deliveryKM}
		v.v = fv.v.Clone()
		v.v.ExternalID = extID(dg.site.code, "V", 5, len(dg.vehs)+1)
		v.v.OwnerID = cp.ext()
		v.v.Odometer = nil
		for _, so := range fv.sister {
			op := &orderPlan{o: so.o, veh: v}
			op.o.VehicleID, op.o.CustomerID = v.ext(), cp.ext()
			op.o.AdvisorID = c.AdvisorID
			if r.pct(15) {
				op.o.AdvisorID = dg.pickStaff(r, RoleAdvisor)
			}
			v.orders = append(v.orders, op)
			dg.orders = append(dg.orders, op)
		}
		slices.SortStableFunc(v.orders, func(a, b *orderPlan) int { return a.o.Date.Compare(b.o.Date) })
		cp.vehicles = append(cp.vehicles, v)
		dg.vehs = append(dg.vehs, v)
	}
	cp.firstContact = cp.vehicles[0].orders[0].o.Date
	at := clock(cp.firstContact, dg.loc, r)
	for _, p := range []crm.Purpose{crm.PurposeServiceReminder, crm.PurposeRecall} {
		c.SetConsent(crm.Consent{Purpose: p, Channel: crm.ChannelPhone, Granted: true, At: at, Source: "售后接待登记表（集团内转店客户）"})
	}
	dg.custs = append(dg.custs, cp)
}

// assignReferrers links each referred customer to an earlier customer who
// introduced them; without one the customer counts as a walk-in.
func (dg *dealerGen) assignReferrers() {
	for _, cp := range dg.custs {
		if cp.c.Source != crm.SourceReferral {
			continue
		}
		var cands []*custPlan
		for _, o := range dg.custs {
			if o != cp && !o.firstDeal.IsZero() && o.firstDeal.Before(cp.firstDeal.AddDays(-90)) {
				cands = append(cands, o)
			}
		}
		if len(cands) == 0 {
			cp.c.Source = crm.SourceWalkIn
			continue
		}
		cp.referrer = pick(dg.r, cands)
	}
}
