package demo

import (
	"slices"

	"github.com/dealercrm/dealercrm/crm"
)

// simulate writes the car's workshop history: an accessory fitting after
// delivery, the first maintenance at 5,000 km or 6 months, regular
// maintenance by the model's interval (with some visits skipped), and
// repairs, accident repairs and warranty repairs at random.
func (dg *dealerGen) simulate(v *vehPlan) {
	dg.workshop(v)
	byDate := func(a, b *orderPlan) int { return a.o.Date.Compare(b.o.Date) }
	slices.SortStableFunc(v.orders, byDate)
	slices.SortStableFunc(v.sister, byDate)
}

func (dg *dealerGen) workshop(v *vehPlan) {
	cp, r, m := v.owner, v.owner.r, v.m
	limit := dg.today.AddDays(-1)
	if !v.leftAt.IsZero() {
		limit = earlier(limit, v.leftAt)
	}
	delivery := v.v.DeliveryDate
	if v.soldHere && r.pct(22) {
		if d := delivery.AddDays(r.between(2, 20)); !d.After(limit) {
			dg.addOrder(v, d, crm.ServiceAccessory)
		}
	}
	// visitable reports whether a visit on d happens (here or at the sister store).
	visitable := func(d date) bool {
		return !d.After(limit) && (cp.arch == moved || cp.active(d))
	}
	if cp.arch != firstLost {
		missPct := 10
		if cp.arch == loyal && !cp.company {
			missPct = 8
		}
		last, lastKM, first := delivery, v.deliveryKM, true
		for {
			var due date
			if first {
				due = earlier(delivery.AddMonths(6), v.dateAtKM(v.deliveryKM+5000))
			} else {
				due = earlier(last.AddMonths(m.intervalMonths), v.dateAtKM(lastKM+m.intervalKM))
			}
			visit := due.AddDays(r.between(-12, 20))
			if first {
				visit = later(visit, delivery.AddDays(30))
			}
			if !visitable(visit) || (!first && cp.arch == repairOnly) {
				break
			}
			if !first && r.pct(missPct) {
				last, lastKM = due, v.km(due) // skipped: serviced elsewhere or not at all
				continue
			}
			kind := crm.ServiceMaintenance
			if first {
				kind = crm.ServiceFirstMaintenance
			}
			dg.addOrder(v, visit, kind)
			last, lastKM, first = visit, v.km(visit), false
		}
	}
	if cp.arch == firstLost {
		return
	}
	// Repairs, by year of age.
	repairPct := []int{8, 15, 25, 35, 45}
	for y := 0; ; y++ {
		from := delivery.AddDays(y*365 + 20)
		if from.After(limit) {
			break
		}
		p := repairPct[min(y, len(repairPct)-1)]
		if cp.arch == repairOnly {
			p *= 2
		}
		for _, ev := range []struct {
			kind crm.ServiceKind
			pct  int
		}{{crm.ServiceRepair, p}, {crm.ServiceAccident, 12}, {crm.ServiceWarranty, 12}} {
			if !r.pct(ev.pct) {
				continue
			}
			d := from.AddDays(r.n(365))
			if !visitable(d) {
				continue
			}
			if ev.kind == crm.ServiceWarranty && (y >= 3 || v.km(d) >= 100000) {
				ev.kind = crm.ServiceRepair // out of warranty: the customer pays
			}
			dg.addOrder(v, d, ev.kind)
		}
	}
	if m.ev && cp.active(dg.today) {
		v.telematics = dg.today.AddDays(-r.between(1, 20))
	}
}

// addOrder records a workshop visit of v on d, here or, after the owner
// moved, at the sister store.
func (dg *dealerGen) addOrder(v *vehPlan, d date, kind crm.ServiceKind) {
	r, m := v.owner.r, v.m
	classPct := int64(80 + 20*m.class)
	amount := func(lo, hi int, step int64) int64 {
		return roundTo(int64(r.between(lo, hi))*classPct/100, step)
	}
	o := crm.ServiceOrder{
		VehicleID:  v.ext(),
		CustomerID: v.owner.ext(),
		Date:       d,
		OdometerKM: v.km(d),
		Kind:       kind,
		Payer:      crm.PayerCustomer,
		AdvisorID:  v.owner.c.AdvisorID,
	}
	if r.pct(20) {
		o.AdvisorID = dg.pickStaff(r, RoleAdvisor)
	}
	var labour, parts int64
	closeDays := 0
	switch kind {
	case crm.ServiceFirstMaintenance:
		// Free to the customer; the manufacturer reimburses the store.
		labour, parts, o.Payer = amount(160, 240, 10), amount(200, 380, 1), crm.PayerManufacturer
	case crm.ServiceMaintenance:
		labour, parts = amount(250, 550, 10), amount(350, 1400, 1)
		if m.ev {
			labour, parts = labour*6/10, parts*4/10
		}
	case crm.ServiceRepair:
		labour, parts = amount(200, 1200, 10)+amount(0, 1200, 10)*int64(r.n(2)), amount(100, 2500, 1)+amount(0, 4000, 1)*int64(r.n(2))
		closeDays = r.between(0, 3)
	case crm.ServiceAccident:
		labour, parts = amount(800, 3000, 10)+amount(0, 4000, 10)*int64(r.n(2)), amount(1000, 8000, 1)+amount(0, 20000, 1)*int64(r.n(2))
		if r.pct(85) {
			o.Payer = crm.PayerInsurer
		}
		closeDays = r.between(2, 15)
	case crm.ServiceWarranty:
		labour, parts, o.Payer = amount(200, 1500, 10), amount(300, 5000, 1), crm.PayerManufacturer
		closeDays = r.between(0, 5)
	case crm.ServiceAccessory:
		labour, parts = amount(0, 200, 10), amount(800, 5000, 1)
	}
	o.Labour, o.Parts = yuan(labour), yuan(parts)
	if closed := d.AddDays(closeDays); closed.Before(dg.today) {
		o.ClosedDate = closed // else still in the workshop
	}
	op := &orderPlan{o: o, veh: v}
	if v.owner.arch == moved && !d.Before(v.owner.moveDate) {
		v.sister = append(v.sister, op)
		return
	}
	v.orders = append(v.orders, op)
	dg.orders = append(dg.orders, op)
}

// insurance writes the car's policies sold or renewed by the store: the
// first year with the car, then yearly renewals while the customer is
// loyal enough; the premium follows the no-claim discount.
func (dg *dealerGen) insurance(v *vehPlan) {
	cp, r := v.owner, v.owner.r
	if !v.soldHere && !r.pct(35) {
		return
	}
	insurer := pick(r, insurers)
	start0 := v.v.RegistrationDate
	renewedLast := true
	claimFree, lastClaims := 0, 0
	for y := 0; ; y++ {
		start := start0.AddYears(y)
		end := start.AddYears(1).AddDays(-1)
		if start.After(dg.today.AddDays(20)) || (!v.leftAt.IsZero() && !start.Before(v.leftAt)) {
			break
		}
		claims := 0
		for _, o := range v.orders {
			if o.o.Payer == crm.PayerInsurer && !o.o.Date.Before(start) && !o.o.Date.After(end) {
				claims++
			}
		}
		sold := false
		if y == 0 {
			sold = v.soldHere && r.pct(92)
		} else {
			p := map[archetype]int{loyal: 75, atRisk: 60, lapsed: 55, repairOnly: 45, firstLost: 20, moved: 60}[cp.arch]
			if !renewedLast {
				p = 25
			}
			if !cp.active(start.AddDays(-30)) {
				p = 3
			}
			sold = r.pct(p)
		}
		if sold {
			if y > 0 && r.pct(15) {
				insurer = pick(r, insurers)
			}
			comp, comm := premiums(v, y, claimFree, lastClaims)
			if y == 0 {
				v.premiums = [2]int64{comp, comm}
			}
			for _, p := range []struct {
				kind    crm.InsuranceKind
				premium int64
			}{{crm.Compulsory, comp}, {crm.Commercial, comm}} {
				dg.policies = append(dg.policies, crm.InsurancePolicy{
					VehicleID: v.ext(), CustomerID: cp.ext(), Kind: p.kind, Insurer: insurer,
					Start: start, End: end, Premium: yuan(p.premium), Renewal: y > 0,
				})
			}
		}
		renewedLast = sold
		if claims == 0 {
			claimFree++
		} else {
			claimFree = 0
		}
		lastClaims = claims
	}
}

// premiums returns the compulsory (交强险) and commercial premium of a car
// in policy year y: the compulsory premium is 950 CNY (1,100 for seven
// seats) with the no-claim discount of 10% a year down to 70%; the
// commercial one is about 3.2% of the depreciated price.
func premiums(v *vehPlan, y, claimFree, lastClaims int) (comp, comm int64) {
	comp = 950
	if v.m.seats > 6 {
		comp = 1100
	}
	compPct := []int64{100, 90, 80, 70}[min(claimFree, 3)]
	commPct := []int64{100, 85, 70, 60, 55}[min(claimFree, 4)]
	if lastClaims > 1 {
		compPct, commPct = 110, 125
	}
	price := v.v.Price.IntPart()
	rate := int64(32)
	if v.m.ev {
		rate = 39
	}
	value := price * max(100-10*int64(y), 40) / 100
	return comp * compPct / 100, roundTo(value*rate/1000*commPct/100, 1)
}

// sell writes the sale of v with its value-chain items.
func (dg *dealerGen) sell(v *vehPlan) {
	cp, r := v.owner, v.owner.r
	consultant := cp.c.ConsultantID
	if consultant == "" || r.pct(30) {
		consultant = dg.pickStaff(r, RoleConsultant)
	}
	cp.c.ConsultantID = consultant
	price := v.v.Price.IntPart()
	s := crm.Sale{
		VehicleID:    v.ext(),
		CustomerID:   cp.ext(),
		ConsultantID: consultant,
		Date:         v.v.PurchaseDate,
		Price:        v.v.Price,
		GrossProfit:  yuan(roundTo(price*int64(r.between(-300, 400))/10000, 1)),
		TradeIn:      v.tradeIn,
	}
	item := func(kind crm.ValueChainKind, desc string, amount, profitPct int64) {
		s.Items = append(s.Items, crm.ValueChainItem{Kind: kind, Description: desc, Amount: yuan(amount), Profit: yuan(amount * profitPct / 100)})
	}
	if r.pct(80) {
		item(crm.ItemAccessory, pick(r, []string{"脚垫+隐形车衣", "行车记录仪+太阳膜", "全车贴膜+座套", "原厂轮毂+尾翼", "车载冰箱+脚垫"}), roundTo(int64(r.between(1500, 12000)), 100), int64(r.between(35, 50)))
	}
	if v.premiums[1] > 0 {
		amount := v.premiums[0] + v.premiums[1]
		s.Items = append(s.Items, crm.ValueChainItem{Kind: crm.ItemInsurance, Description: "首年交强险+商业险", Amount: yuan(amount), Profit: yuan(v.premiums[1]*12/100 + v.premiums[0]*4/100)})
	}
	if r.pct(45) {
		item(crm.ItemFinance, pick(r, []string{"36期低息贷款服务费", "24期零息贷款服务费", "60期贷款服务费"}), roundTo(int64(r.between(2000, 8000)), 100), 85)
	}
	if r.pct(25) {
		item(crm.ItemExtendedWarranty, pick(r, []string{"延保2年/4万公里", "延保3年/6万公里"}), roundTo(int64(r.between(2800, 6800)), 100), 40)
	}
	if r.pct(85) {
		item(crm.ItemRegistration, "上牌服务", roundTo(int64(r.between(500, 1500)), 100), 70)
	}
	sp := &salePlan{s: s, veh: v}
	v.sale = sp
	dg.sales = append(dg.sales, sp)
	if cp.firstDeal.IsZero() || s.Date.Before(cp.firstDeal) {
		cp.firstDeal = s.Date
	}
}
