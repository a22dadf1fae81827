package demo

import (
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

// archetype is how a customer behaves after buying: it drives the service
// history, insurance renewals and so what churn analysis later finds.
type archetype int

const (
	loyal      archetype = iota // services here regularly, skips a visit now and then
	atRisk                      // stopped coming 6–12 months ago
	lapsed                      // stopped coming over a year ago (some over two: deep-lost)
	firstLost                   // never came back after delivery (首保流失)
	repairOnly                  // comes for repairs, never for maintenance (只维修不保养)
	moved                       // moved and now services at the sister store of the group
)

// generator holds what is shared across the group: the options, the zone
// and the keys that must stay unique across both stores.
type generator struct {
	opts    Options
	today   date
	loc     *time.Location
	policy  crm.LeadPolicy
	mobiles map[string]bool
	plates  map[string]bool
	// moved are Shanghai customers who now service their cars in Suzhou;
	// the Suzhou store takes them over with its own records.
	moved []*custPlan
}

func newGenerator(o Options) *generator {
	return &generator{
		opts:  o,
		today: o.Today,
		// Asia/Shanghai has kept UTC+8 without daylight saving since 1991; a
		// fixed zone keeps Generate independent of the host's tzdata.
		loc:     time.FixedZone("CST", 8*3600),
		policy:  crm.DefaultLeadPolicy(),
		mobiles: map[string]bool{},
		plates:  map[string]bool{},
	}
}

// mobile returns a new CN mobile number, unique across the group.
func (g *generator) mobile(r rnd) string {
	for {
		var b strings.Builder
		b.WriteString(pick(r, mobilePrefixes))
		for range 8 {
			b.WriteByte(byte('0' + r.n(10)))
		}
		if s := b.String(); !g.mobiles[s] {
			g.mobiles[s] = true
			return s
		}
	}
}

const plateLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ"

// plate returns a new plate with one of prefixes: "沪A·12345", or for a new
// energy vehicle the green-plate form "沪A·D12345".
func (g *generator) plate(r rnd, prefixes []string, ev bool) string {
	for {
		var b strings.Builder
		b.WriteString(pick(r, prefixes))
		b.WriteString("·")
		if ev {
			b.WriteByte("DF"[r.n(2)])
		}
		letterAt := -1
		if !ev && r.pct(30) {
			letterAt = r.between(1, 4)
		}
		for i := range 5 {
			if i == letterAt {
				b.WriteByte(plateLetters[r.n(len(plateLetters))])
			} else {
				b.WriteByte(byte('0' + r.n(10)))
			}
		}
		if s := b.String(); !g.plates[s] {
			g.plates[s] = true
			return s
		}
	}
}

// custPlan is a customer being generated.
type custPlan struct {
	c        crm.Customer
	r        rnd
	arch     archetype
	company  bool
	fleet    bool
	plates   []string
	vehicles []*vehPlan
	// stop is the last day the customer may visit (zero: no limit);
	// moveDate the first day at the sister store (archetype moved).
	stop, moveDate date
	// firstDeal is the first purchase here; firstContact the first
	// purchase or, for a service-only customer, the first visit.
	firstDeal, firstContact date
	referrer                *custPlan
}

func (cp *custPlan) ext() crm.CustomerID { return crm.CustomerID(cp.c.ExternalID) }

// active reports whether the customer still visits on d.
func (cp *custPlan) active(d date) bool {
	switch {
	case cp.arch == moved:
		return d.Before(cp.moveDate)
	case cp.stop.IsZero():
		return true
	}
	return !d.After(cp.stop)
}

// vehPlan is a vehicle being generated.
type vehPlan struct {
	v        crm.Vehicle
	owner    *custPlan
	m        *model
	soldHere bool
	purchase crm.PurchaseKind
	tradeIn  bool
	// leftAt is when the car left its owner (traded in or sold on); no
	// visits after it.
	leftAt date
	// rates are metres driven per day, per year of age.
	rates      [10]int64
	deliveryKM int64
	sale       *salePlan
	orders     []*orderPlan // at this store
	sister     []*orderPlan // at the sister store, after the owner moved
	premiums   [2]int64     // first-year compulsory and commercial premium, when sold here
	telematics date         // an extra reading from the connected car (EVs)
}

func (v *vehPlan) ext() crm.VehicleID { return crm.VehicleID(v.v.ExternalID) }

// km returns the odometer on d: the delivery reading plus each year's daily
// distance, so readings never go backwards.
func (v *vehPlan) km(d date) int64 {
	days := d.DaysSince(v.v.DeliveryDate)
	var m int64
	for y := 0; days > 0; y++ {
		n := min(days, 365)
		m += int64(n) * v.rates[min(y, len(v.rates)-1)]
		days -= n
	}
	return v.deliveryKM + m/1000
}

// dateAtKM returns the first date the odometer reaches km.
func (v *vehPlan) dateAtKM(km int64) date {
	lo, hi := 0, 6000
	for lo < hi {
		mid := (lo + hi) / 2
		if v.km(v.v.DeliveryDate.AddDays(mid)) >= km {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return v.v.DeliveryDate.AddDays(lo)
}

type salePlan struct {
	s    crm.Sale
	veh  *vehPlan
	lead *leadPlan
}

type orderPlan struct {
	o   crm.ServiceOrder
	veh *vehPlan
}

type leadPlan struct {
	l    crm.Lead
	sale *salePlan
}

type complaintPlan struct {
	c     crm.Complaint
	order *orderPlan
}

// dealerGen generates one store.
type dealerGen struct {
	*generator
	idx            int
	site           *site
	r              rnd
	n              int
	custs          []*custPlan
	vehs           []*vehPlan
	sales          []*salePlan
	orders         []*orderPlan
	policies       []crm.InsurancePolicy
	leads          []*leadPlan
	complaints     []*complaintPlan
	interactions   []crm.Interaction
	participations []crm.EventParticipation
	companyNames   map[string]bool
	vinSeq         int
}

// dealer generates store s with n customers.
func (g *generator) dealer(idx int, s *site, n int) DealerData {
	dg := &dealerGen{generator: g, idx: idx, site: s, n: n, r: newRnd(g.opts.Seed, idx, streamDealer, 0), companyNames: map[string]bool{}}
	var incoming []*custPlan
	if idx > 0 {
		for _, cp := range g.moved {
			if slices.ContainsFunc(cp.vehicles, func(v *vehPlan) bool { return len(v.sister) > 0 }) {
				incoming = append(incoming, cp)
			}
		}
		incoming = incoming[:min(len(incoming), n/4)]
		g.moved = nil
	}
	own := n - len(incoming)
	for i := range own {
		dg.customer(i, i%20 == 7)
	}
	for i, cp := range incoming {
		dg.takeOver(i, cp)
	}
	dg.assignReferrers()
	dg.genLeads()
	dg.genComplaints()
	dg.genInteractions()
	dg.genEvents()
	return dg.emit()
}

func (dg *dealerGen) staff(role Role) []Staff {
	var out []Staff
	for _, s := range dg.site.roster {
		if s.Role == role {
			out = append(out, s)
		}
	}
	return out
}

func (dg *dealerGen) pickStaff(r rnd, role Role) crm.StaffID { return pick(r, dg.staff(role)).ID }

// emit numbers the records in date order and assembles the batch.
func (dg *dealerGen) emit() DealerData {
	s := dg.site
	var b crm.Batch
	for _, cp := range dg.custs {
		b.Customers = append(b.Customers, cp.c)
	}
	for _, v := range dg.vehs {
		vv := v.v
		if v.soldHere {
			vv.Odometer = append(vv.Odometer, crm.OdometerReading{Date: vv.DeliveryDate, KM: v.deliveryKM, Source: crm.OdometerSale})
		}
		slices.SortStableFunc(v.orders, func(a, b *orderPlan) int { return a.o.Date.Compare(b.o.Date) })
		for _, op := range v.orders {
			if n := len(vv.Odometer); n > 0 && vv.Odometer[n-1].Date == op.o.Date {
				continue
			}
			vv.Odometer = append(vv.Odometer, crm.OdometerReading{Date: op.o.Date, KM: op.o.OdometerKM, Source: crm.OdometerService})
		}
		if !v.telematics.IsZero() {
			vv.Odometer = append(vv.Odometer, crm.OdometerReading{Date: v.telematics, KM: v.km(v.telematics), Source: crm.OdometerTelematics})
			slices.SortStableFunc(vv.Odometer, func(a, b crm.OdometerReading) int { return a.Date.Compare(b.Date) })
		}
		b.Vehicles = append(b.Vehicles, vv)
	}
	slices.SortStableFunc(dg.leads, func(a, b *leadPlan) int { return a.l.FollowUps[0].At.Compare(b.l.FollowUps[0].At) })
	for i, lp := range dg.leads {
		lp.l.ExternalID = extID(s.code, "L", 5, i+1)
		b.Leads = append(b.Leads, lp.l)
	}
	slices.SortStableFunc(dg.sales, func(a, b *salePlan) int { return a.s.Date.Compare(b.s.Date) })
	for i, sp := range dg.sales {
		sp.s.ExternalID = extID(s.code, "S", 5, i+1)
		if sp.lead != nil {
			sp.s.LeadID = crm.LeadID(sp.lead.l.ExternalID)
		}
		b.Sales = append(b.Sales, sp.s)
	}
	slices.SortStableFunc(dg.orders, func(a, b *orderPlan) int { return a.o.Date.Compare(b.o.Date) })
	for i, op := range dg.orders {
		op.o.ExternalID = extID(s.code, "RO", 6, i+1)
		b.ServiceOrders = append(b.ServiceOrders, op.o)
	}
	slices.SortStableFunc(dg.policies, func(a, b crm.InsurancePolicy) int { return a.Start.Compare(b.Start) })
	for i := range dg.policies {
		dg.policies[i].ExternalID = extID(s.code, "P", 5, i+1)
	}
	b.Policies = dg.policies
	slices.SortStableFunc(dg.complaints, func(a, b *complaintPlan) int { return a.c.Opened.Compare(b.c.Opened) })
	for i, cp := range dg.complaints {
		cp.c.ExternalID = extID(s.code, "CP", 4, i+1)
		if cp.order != nil {
			cp.c.ServiceOrderID = crm.ServiceOrderID(cp.order.o.ExternalID)
		}
		b.Complaints = append(b.Complaints, cp.c)
	}
	slices.SortStableFunc(dg.interactions, func(a, b crm.Interaction) int { return a.At.Compare(b.At) })
	for i := range dg.interactions {
		dg.interactions[i].ExternalID = extID(s.code, "I", 6, i+1)
	}
	b.Interactions = dg.interactions
	b.Participations = dg.participations
	return DealerData{
		Code: s.code,
		Dealer: crm.Dealer{
			ID: s.id, ExternalID: s.code, Name: s.name, GroupID: GroupID,
			TimeZone: "Asia/Shanghai", Brands: []string{Brand},
		},
		APIKey: s.apiKey,
		Staff:  slices.Clone(s.roster),
		Batch:  b,
	}
}
