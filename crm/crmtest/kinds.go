package crmtest

import (
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// respell rewrites d with four decimal places: the same value, another
// representation (1234.50 becomes 1234.5000).
func respell(d *decimal.Decimal) { *d = d.Add(decimal.New(0, -4)) }

func date(s string) dealercrm.Date { return dealercrm.MustParseDate(s) }

func customerSpec() spec[crm.Customer, crm.CustomerID, crm.CustomerFilter] {
	return spec[crm.Customer, crm.CustomerID, crm.CustomerFilter]{
		name: "customer",
		repo: func(s crm.Store) crm.Repository[crm.Customer, crm.CustomerID, crm.CustomerFilter] {
			return s.Customers()
		},
		build: func(r refs, n int) crm.Customer { return Customer(r.dealer, n) },
		id:    func(c *crm.Customer) *crm.CustomerID { return &c.ID },
		rec:   func(c *crm.Customer) *crm.Record { return &c.Record },
		mutate: func(c *crm.Customer) {
			c.Name += " (changed)"
			c.Hobbies[0] += " (changed)"
			c.Consents[0].Granted = !c.Consents[0].Granted
			c.BirthdayCalendar = crm.BirthdaySolar
		},
		bump:  func(c *crm.Customer) { c.Hobbies = append(c.Hobbies, "bump") },
		bumps: func(c crm.Customer) int { return len(c.Hobbies) },
		page:  func(f crm.CustomerFilter, p crm.PageRequest) crm.CustomerFilter { f.PageRequest = p; return f },
		filters: func(r refs) ([]crm.Customer, []filterCase[crm.CustomerFilter]) {
			c := func(n int, kind crm.CustomerKind, name, mobile string, consultant, advisor crm.StaffID) crm.Customer {
				v := Customer(r.dealer, n)
				v.Kind, v.Name, v.Mobile, v.ConsultantID, v.AdvisorID = kind, name, mobile, consultant, advisor
				return v
			}
			recs := []crm.Customer{
				c(1, crm.Individual, "马洁", "13800000001", "S-1", "A-1"),
				c(2, crm.Company, `Zhang 50%_Off\Ltd`, "13800000002", "S-2", "A-1"),
				c(3, crm.Individual, "司马光", "+4915112345678", "S-1", "A-2"),
			}
			type f = crm.CustomerFilter
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2}},
				{"KindCompany", f{Kind: crm.Company}, []int{1}},
				{"KindIndividual", f{Kind: crm.Individual}, []int{0, 2}},
				{"Mobile", f{Mobile: "+4915112345678"}, []int{2}},
				{"IDNumber", f{IDNumber: IDNumber(2)}, []int{1}},
				{"Consultant", f{ConsultantID: "S-1"}, []int{0, 2}},
				{"Advisor", f{AdvisorID: "A-1"}, []int{0, 1}},
				{"KindAndAdvisor", f{Kind: crm.Individual, AdvisorID: "A-1"}, []int{0}},
				{"NoMatch", f{ConsultantID: "S-9"}, nil},
				// Name is a substring, taken literally: LIKE's %, _ and \
				// are plain characters.
				{"NameWhole", f{Name: "马洁"}, []int{0}},
				{"NameFirstChar", f{Name: "马"}, []int{0, 2}},
				{"NameLastChar", f{Name: "洁"}, []int{0}},
				{"NameMiddle", f{Name: "50%"}, []int{1}},
				{"NamePercent", f{Name: "%"}, []int{1}},
				{"NameUnderscoreNotAWildcard", f{Name: "5_%"}, nil},
				{"NameBackslash", f{Name: `\L`}, []int{1}},
				{"NameLowerCase", f{Name: "zhang"}, []int{1}},
				{"NameUpperCase", f{Name: "OFF\\L"}, []int{1}},
				{"NameOtherLetter", f{Name: "zhang 5o"}, nil},
				{"NameAndAdvisor", f{Name: "马", AdvisorID: "A-2"}, []int{2}},
				{"NameNoMatch", f{Name: "马洁云"}, nil},
			}
		},
		badFilters: []badFilter[crm.CustomerFilter]{
			{"NameTooLong", "name", crm.CustomerFilter{Name: strings.Repeat("马", crm.MaxSearchText+1)}},
			{"NameControl", "name", crm.CustomerFilter{Name: "马\t洁"}},
			{"NameNUL", "name", crm.CustomerFilter{Name: "马\x00"}},
		},
	}
}

func leadSpec() spec[crm.Lead, crm.LeadID, crm.LeadFilter] {
	return spec[crm.Lead, crm.LeadID, crm.LeadFilter]{
		name: "lead",
		need: needCustomers | needVehicles | needSale,
		repo: func(s crm.Store) crm.Repository[crm.Lead, crm.LeadID, crm.LeadFilter] { return s.Leads() },
		build: func(r refs, n int) crm.Lead {
			l := Lead(r.dealer, n)
			l.Purchase = crm.ReplacementPurchase
			l.CustomerID, l.ReferrerID, l.SaleID = r.customers[0], r.customers[1], r.sale
			return l
		},
		id:  func(l *crm.Lead) *crm.LeadID { return &l.ID },
		rec: func(l *crm.Lead) *crm.Record { return &l.Record },
		mutate: func(l *crm.Lead) {
			l.Name += " (changed)"
			l.FollowUps[0].Note += " (changed)"
			l.LostRequests[0].DecisionNote += " (changed)"
		},
		bump: func(l *crm.Lead) {
			l.FollowUps = append(l.FollowUps, crm.FollowUp{At: Base, Channel: crm.ChannelPhone, Note: "bump"})
		},
		bumps: func(l crm.Lead) int { return len(l.FollowUps) },
		page:  func(f crm.LeadFilter, p crm.PageRequest) crm.LeadFilter { f.PageRequest = p; return f },
		filters: func(r refs) ([]crm.Lead, []filterCase[crm.LeadFilter]) {
			l := func(n int, level crm.IntentLevel, status crm.LeadStatus, source crm.Source, consultant crm.StaffID, customer, referrer crm.CustomerID) crm.Lead {
				v := Lead(r.dealer, n)
				v.Level, v.Status, v.Source, v.ConsultantID, v.CustomerID, v.ReferrerID = level, status, source, consultant, customer, referrer
				return v
			}
			c0, c1 := r.customers[0], r.customers[1]
			recs := []crm.Lead{
				l(1, crm.LevelH, crm.LeadOpen, crm.SourceWalkIn, "S-1", c0, ""),
				l(2, crm.LevelA, crm.LeadOpen, crm.SourceWeb, "S-2", "", c0),
				l(3, crm.LevelD, crm.LeadConverted, crm.SourceWeb, "S-1", c1, ""),
				l(4, crm.LevelF, crm.LeadLost, crm.SourceReferral, "S-2", "", c1),
			}
			recs[3].LostReason = crm.LostCompetitor
			type f = crm.LeadFilter
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2, 3}},
				{"StatusOpen", f{Status: crm.LeadOpen}, []int{0, 1}},
				{"StatusConverted", f{Status: crm.LeadConverted}, []int{2}},
				{"OneLevel", f{Levels: []crm.IntentLevel{crm.LevelH}}, []int{0}},
				{"TwoLevels", f{Levels: []crm.IntentLevel{crm.LevelA, crm.LevelF}}, []int{1, 3}},
				{"ClosedLevels", f{Levels: []crm.IntentLevel{crm.LevelD, crm.LevelF}}, []int{2, 3}},
				{"Consultant", f{ConsultantID: "S-1"}, []int{0, 2}},
				{"CustomerOrReferrer0", f{CustomerID: c0}, []int{0, 1}},
				{"CustomerOrReferrer1", f{CustomerID: c1}, []int{2, 3}},
				{"Source", f{Source: crm.SourceWeb}, []int{1, 2}},
				{"StatusAndConsultant", f{Status: crm.LeadOpen, ConsultantID: "S-2"}, []int{1}},
				{"LevelAndStatusNoMatch", f{Levels: []crm.IntentLevel{crm.LevelH}, Status: crm.LeadLost}, nil},
				{"IDs", f{IDs: []crm.LeadID{recs[3].ID, recs[1].ID, "L-unknown"}}, []int{1, 3}},
				{"IDsAndStatus", f{IDs: []crm.LeadID{recs[0].ID, recs[2].ID}, Status: crm.LeadOpen}, []int{0}},
			}
		},
	}
}

func vehicleSpec() spec[crm.Vehicle, crm.VehicleID, crm.VehicleFilter] {
	return spec[crm.Vehicle, crm.VehicleID, crm.VehicleFilter]{
		name:  "vehicle",
		need:  needCustomers,
		repo:  func(s crm.Store) crm.Repository[crm.Vehicle, crm.VehicleID, crm.VehicleFilter] { return s.Vehicles() },
		build: func(r refs, n int) crm.Vehicle { return Vehicle(r.dealer, r.customers[0], n) },
		id:    func(v *crm.Vehicle) *crm.VehicleID { return &v.ID },
		rec:   func(v *crm.Vehicle) *crm.Record { return &v.Record },
		vin:   func(v *crm.Vehicle) *string { return &v.VIN },
		mutate: func(v *crm.Vehicle) {
			v.Plate += "X"
			v.Odometer[0].KM++
			v.Price = v.Price.Add(money("0.01"))
		},
		bump: func(v *crm.Vehicle) {
			v.Odometer = append(v.Odometer, crm.OdometerReading{Date: date("2024-01-01"), KM: 6000, Source: crm.OdometerTelematics})
		},
		bumps:   func(v crm.Vehicle) int { return len(v.Odometer) },
		respell: func(v *crm.Vehicle) { respell(&v.Price) },
		page:    func(f crm.VehicleFilter, p crm.PageRequest) crm.VehicleFilter { f.PageRequest = p; return f },
		filters: func(r refs) ([]crm.Vehicle, []filterCase[crm.VehicleFilter]) {
			v := func(n int, owner crm.CustomerID, model, plate string) crm.Vehicle {
				x := Vehicle(r.dealer, owner, n)
				x.Model, x.Plate = model, plate
				return x
			}
			c0, c1 := r.customers[0], r.customers[1]
			recs := []crm.Vehicle{v(1, c0, "ID.4", "沪A·12345"), v(2, c1, "ID.4", "沪a-12346"), v(3, "", "Tiguan L", "浙Ｂ　９８７６５")}
			type f = crm.VehicleFilter
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2}},
				{"Owner", f{OwnerID: c0}, []int{0}},
				{"Model", f{Model: "ID.4"}, []int{0, 1}},
				{"VIN", f{VIN: recs[2].VIN}, []int{2}},
				{"OwnerAndModel", f{OwnerID: c1, Model: "ID.4"}, []int{1}},
				{"NoMatch", f{OwnerID: c1, Model: "Tiguan L"}, nil},
				// Plates compare without separators, letters in upper case
				// (the third is stored in full-width forms).
				{"PlateAsStored", f{Plate: "沪A·12345"}, []int{0}},
				{"PlateLowerNoDot", f{Plate: "沪a12345"}, []int{0}},
				{"PlateOtherSeparator", f{Plate: "沪A 1234-5"}, []int{0}},
				{"PlateDigits", f{Plate: "12345"}, []int{0}},
				{"PlateCommonPart", f{Plate: "沪A1234"}, []int{0, 1}},
				{"PlateSpansSeparator", f{Plate: "a1"}, []int{0, 1}},
				{"PlateMiddleDigit", f{Plate: "5"}, []int{0, 2}},
				{"PlateLowerLetter", f{Plate: "b98"}, []int{2}},
				// Full-width letters, digits and separators, as a Chinese
				// input method types them, stored or searched.
				{"PlateFullWidth", f{Plate: "沪Ａ・１２３４５"}, []int{0}},
				{"PlateFullWidthStored", f{Plate: "浙B98765"}, []int{2}},
				{"PlatePercent", f{Plate: "%"}, nil},
				{"PlateAndOwner", f{Plate: "沪A", OwnerID: c1}, []int{1}},
			}
		},
		badFilters: []badFilter[crm.VehicleFilter]{
			{"PlateTooLong", "plate", crm.VehicleFilter{Plate: strings.Repeat("1", crm.MaxSearchText+1)}},
			{"PlateControl", "plate", crm.VehicleFilter{Plate: "沪A\n1"}},
			{"PlateOnlySeparators", "plate", crm.VehicleFilter{Plate: " · - "}},
		},
	}
}

func saleSpec() spec[crm.Sale, crm.SaleID, crm.SaleFilter] {
	return spec[crm.Sale, crm.SaleID, crm.SaleFilter]{
		name: "sale",
		need: needCustomers | needVehicles | needLead,
		repo: func(s crm.Store) crm.Repository[crm.Sale, crm.SaleID, crm.SaleFilter] { return s.Sales() },
		build: func(r refs, n int) crm.Sale {
			s := Sale(r.dealer, r.customers[0], r.vehicles[0], n)
			s.LeadID = r.lead
			return s
		},
		id:  func(s *crm.Sale) *crm.SaleID { return &s.ID },
		rec: func(s *crm.Sale) *crm.Record { return &s.Record },
		mutate: func(s *crm.Sale) {
			s.TradeIn = !s.TradeIn
			s.Items[0].Description += " (changed)"
			s.Items[1].Profit = s.Items[1].Profit.Add(money("0.01"))
		},
		bump: func(s *crm.Sale) {
			s.Items = append(s.Items, crm.ValueChainItem{Kind: crm.ItemAccessory, Amount: money("1.00"), Profit: money("0.50")})
		},
		bumps: func(s crm.Sale) int { return len(s.Items) },
		respell: func(s *crm.Sale) {
			respell(&s.Price)
			respell(&s.GrossProfit)
			for i := range s.Items {
				respell(&s.Items[i].Amount)
				respell(&s.Items[i].Profit)
			}
		},
		page: func(f crm.SaleFilter, p crm.PageRequest) crm.SaleFilter { f.PageRequest = p; return f },
		filters: func(r refs) ([]crm.Sale, []filterCase[crm.SaleFilter]) {
			s := func(n int, c crm.CustomerID, v crm.VehicleID, consultant crm.StaffID, d string) crm.Sale {
				x := Sale(r.dealer, c, v, n)
				x.ConsultantID, x.Date = consultant, date(d)
				return x
			}
			c0, c1, v0, v1 := r.customers[0], r.customers[1], r.vehicles[0], r.vehicles[1]
			recs := []crm.Sale{
				s(1, c0, v0, "S-1", "2024-03-01"),
				s(2, c0, v1, "S-2", "2024-03-15"),
				s(3, c1, v1, "S-1", "2024-03-31"),
			}
			type f = crm.SaleFilter
			type dr = crm.DateRange
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2}},
				{"Customer", f{CustomerID: c0}, []int{0, 1}},
				{"Vehicle", f{VehicleID: v1}, []int{1, 2}},
				{"Consultant", f{ConsultantID: "S-1"}, []int{0, 2}},
				{"FromInclusive", f{Dates: dr{From: date("2024-03-15")}}, []int{1, 2}},
				{"ToInclusive", f{Dates: dr{To: date("2024-03-15")}}, []int{0, 1}},
				{"OneDay", f{Dates: dr{From: date("2024-03-01"), To: date("2024-03-01")}}, []int{0}},
				{"Inside", f{Dates: dr{From: date("2024-03-02"), To: date("2024-03-30")}}, []int{1}},
				{"DatesAndConsultant", f{Dates: dr{From: date("2024-03-15"), To: date("2024-03-31")}, ConsultantID: "S-1"}, []int{2}},
				{"NoMatch", f{Dates: dr{From: date("2024-04-01")}}, nil},
			}
		},
	}
}

func serviceOrderSpec() spec[crm.ServiceOrder, crm.ServiceOrderID, crm.ServiceOrderFilter] {
	return spec[crm.ServiceOrder, crm.ServiceOrderID, crm.ServiceOrderFilter]{
		name: "service order",
		need: needCustomers | needVehicles,
		repo: func(s crm.Store) crm.Repository[crm.ServiceOrder, crm.ServiceOrderID, crm.ServiceOrderFilter] {
			return s.ServiceOrders()
		},
		build: func(r refs, n int) crm.ServiceOrder { return ServiceOrder(r.dealer, r.customers[0], r.vehicles[0], n) },
		id:    func(o *crm.ServiceOrder) *crm.ServiceOrderID { return &o.ID },
		rec:   func(o *crm.ServiceOrder) *crm.Record { return &o.Record },
		mutate: func(o *crm.ServiceOrder) {
			o.Complaint = !o.Complaint
			o.Labour = o.Labour.Add(money("10.25"))
		},
		bump:  func(o *crm.ServiceOrder) { o.OdometerKM++ },
		bumps: func(o crm.ServiceOrder) int { return int(o.OdometerKM) },
		respell: func(o *crm.ServiceOrder) {
			respell(&o.Labour)
			respell(&o.Parts)
		},
		page: func(f crm.ServiceOrderFilter, p crm.PageRequest) crm.ServiceOrderFilter { f.PageRequest = p; return f },
		filters: func(r refs) ([]crm.ServiceOrder, []filterCase[crm.ServiceOrderFilter]) {
			o := func(n int, c crm.CustomerID, v crm.VehicleID, advisor crm.StaffID, kind crm.ServiceKind, d string) crm.ServiceOrder {
				x := ServiceOrder(r.dealer, c, v, n)
				x.AdvisorID, x.Kind, x.Date, x.ClosedDate = advisor, kind, date(d), date(d).AddDays(1)
				return x
			}
			c0, c1, v0, v1 := r.customers[0], r.customers[1], r.vehicles[0], r.vehicles[1]
			recs := []crm.ServiceOrder{
				o(1, c0, v0, "A-1", crm.ServiceMaintenance, "2024-03-01"),
				o(2, c1, v1, "A-2", crm.ServiceRepair, "2024-03-15"),
				o(3, "", v1, "A-1", crm.ServiceMaintenance, "2024-03-31"),
			}
			type f = crm.ServiceOrderFilter
			type dr = crm.DateRange
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2}},
				{"Customer", f{CustomerID: c0}, []int{0}},
				{"Vehicle", f{VehicleID: v1}, []int{1, 2}},
				{"Advisor", f{AdvisorID: "A-1"}, []int{0, 2}},
				{"KindMaintenance", f{Kind: crm.ServiceMaintenance}, []int{0, 2}},
				{"KindRepair", f{Kind: crm.ServiceRepair}, []int{1}},
				{"FromInclusive", f{Dates: dr{From: date("2024-03-15")}}, []int{1, 2}},
				{"ToInclusive", f{Dates: dr{To: date("2024-03-15")}}, []int{0, 1}},
				{"OneDay", f{Dates: dr{From: date("2024-03-01"), To: date("2024-03-01")}}, []int{0}},
				{"KindAndDates", f{Kind: crm.ServiceMaintenance, Dates: dr{To: date("2024-03-30")}}, []int{0}},
				{"NoMatch", f{Kind: crm.ServiceAccident}, nil},
			}
		},
	}
}

func policySpec() spec[crm.InsurancePolicy, crm.PolicyID, crm.PolicyFilter] {
	return spec[crm.InsurancePolicy, crm.PolicyID, crm.PolicyFilter]{
		name: "insurance policy",
		need: needCustomers | needVehicles,
		repo: func(s crm.Store) crm.Repository[crm.InsurancePolicy, crm.PolicyID, crm.PolicyFilter] {
			return s.Policies()
		},
		build: func(r refs, n int) crm.InsurancePolicy { return Policy(r.dealer, r.customers[0], r.vehicles[0], n) },
		id:    func(p *crm.InsurancePolicy) *crm.PolicyID { return &p.ID },
		rec:   func(p *crm.InsurancePolicy) *crm.Record { return &p.Record },
		mutate: func(p *crm.InsurancePolicy) {
			p.Insurer += " (changed)"
			p.Premium = p.Premium.Add(money("0.01"))
		},
		bump:    func(p *crm.InsurancePolicy) { p.Premium = p.Premium.Add(decimal.NewFromInt(1)) },
		bumps:   func(p crm.InsurancePolicy) int { return int(p.Premium.IntPart()) },
		respell: func(p *crm.InsurancePolicy) { respell(&p.Premium) },
		page:    func(f crm.PolicyFilter, p crm.PageRequest) crm.PolicyFilter { f.PageRequest = p; return f },
		filters: func(r refs) ([]crm.InsurancePolicy, []filterCase[crm.PolicyFilter]) {
			p := func(n int, c crm.CustomerID, v crm.VehicleID, end string) crm.InsurancePolicy {
				x := Policy(r.dealer, c, v, n)
				x.End = date(end)
				x.Start = x.End.AddYears(-1).AddDays(1)
				return x
			}
			c0, c1, v0, v1 := r.customers[0], r.customers[1], r.vehicles[0], r.vehicles[1]
			recs := []crm.InsurancePolicy{
				p(1, c0, v0, "2025-03-01"),
				p(2, c1, v1, "2025-03-15"),
				p(3, "", v1, "2025-03-31"),
			}
			type f = crm.PolicyFilter
			type dr = crm.DateRange
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2}},
				{"Customer", f{CustomerID: c0}, []int{0}},
				{"Vehicle", f{VehicleID: v1}, []int{1, 2}},
				{"EndsFromInclusive", f{Ends: dr{From: date("2025-03-15")}}, []int{1, 2}},
				{"EndsToInclusive", f{Ends: dr{To: date("2025-03-15")}}, []int{0, 1}},
				{"EndsOneDay", f{Ends: dr{From: date("2025-03-01"), To: date("2025-03-01")}}, []int{0}},
				{"VehicleAndEnds", f{VehicleID: v1, Ends: dr{To: date("2025-03-30")}}, []int{1}},
				{"NoMatch", f{Ends: dr{From: date("2025-03-16"), To: date("2025-03-30")}}, nil},
			}
		},
	}
}

func interactionSpec() spec[crm.Interaction, crm.InteractionID, crm.InteractionFilter] {
	return spec[crm.Interaction, crm.InteractionID, crm.InteractionFilter]{
		name: "interaction",
		need: needCustomers | needVehicles | needLead,
		repo: func(s crm.Store) crm.Repository[crm.Interaction, crm.InteractionID, crm.InteractionFilter] {
			return s.Interactions()
		},
		build: func(r refs, n int) crm.Interaction {
			i := Interaction(r.dealer, r.customers[0], n)
			i.LeadID, i.VehicleID = r.lead, r.vehicles[0]
			return i
		},
		id:  func(i *crm.Interaction) *crm.InteractionID { return &i.ID },
		rec: func(i *crm.Interaction) *crm.Record { return &i.Record },
		mutate: func(i *crm.Interaction) {
			i.Note += " (changed)"
			i.Outcome = crm.OutcomeNoAnswer
		},
		bump:  func(i *crm.Interaction) { i.Note += "+" },
		bumps: func(i crm.Interaction) int { return strings.Count(i.Note, "+") },
		page:  func(f crm.InteractionFilter, p crm.PageRequest) crm.InteractionFilter { f.PageRequest = p; return f },
		filters: func(r refs) ([]crm.Interaction, []filterCase[crm.InteractionFilter]) {
			t0 := Base.Add(2*time.Hour + time.Microsecond)
			t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
			in := func(n int, c crm.CustomerID, l crm.LeadID, staff crm.StaffID, at time.Time) crm.Interaction {
				x := Interaction(r.dealer, c, n)
				x.LeadID, x.StaffID, x.At = l, staff, at
				return x
			}
			c0, c1 := r.customers[0], r.customers[1]
			recs := []crm.Interaction{
				in(1, c0, "", "S-1", t0),
				in(2, c1, r.lead, "S-2", t1),
				in(3, "", r.lead, "S-1", t2),
			}
			type f = crm.InteractionFilter
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2}},
				{"Customer", f{CustomerID: c0}, []int{0}},
				{"Lead", f{LeadID: r.lead}, []int{1, 2}},
				{"Staff", f{StaffID: "S-1"}, []int{0, 2}},
				{"FromInclusive", f{From: t1}, []int{1, 2}},
				{"ToExclusive", f{To: t1}, []int{0}},
				{"FromTo", f{From: t0, To: t2}, []int{0, 1}},
				{"FromOneMicrosecondLater", f{From: t1.Add(time.Microsecond)}, []int{2}},
				{"FromInOtherZone", f{From: t1.In(otherZone)}, []int{1, 2}},
				{"StaffAndTo", f{StaffID: "S-1", To: t2}, []int{0}},
				{"NoMatch", f{From: t2.Add(time.Microsecond)}, nil},
			}
		},
	}
}

func complaintSpec() spec[crm.Complaint, crm.ComplaintID, crm.ComplaintFilter] {
	return spec[crm.Complaint, crm.ComplaintID, crm.ComplaintFilter]{
		name: "complaint",
		need: needCustomers | needVehicles | needOrder,
		repo: func(s crm.Store) crm.Repository[crm.Complaint, crm.ComplaintID, crm.ComplaintFilter] {
			return s.Complaints()
		},
		build: func(r refs, n int) crm.Complaint {
			c := Complaint(r.dealer, r.customers[0], n)
			c.VehicleID, c.ServiceOrderID = r.vehicles[0], r.order
			return c
		},
		id:  func(c *crm.Complaint) *crm.ComplaintID { return &c.ID },
		rec: func(c *crm.Complaint) *crm.Record { return &c.Record },
		mutate: func(c *crm.Complaint) {
			c.Description += " (changed)"
			c.Severity = crm.SeverityHigh
		},
		bump:  func(c *crm.Complaint) { c.Description += "+" },
		bumps: func(c crm.Complaint) int { return strings.Count(c.Description, "+") },
		page:  func(f crm.ComplaintFilter, p crm.PageRequest) crm.ComplaintFilter { f.PageRequest = p; return f },
		filters: func(r refs) ([]crm.Complaint, []filterCase[crm.ComplaintFilter]) {
			c := func(n int, customer crm.CustomerID, status crm.ComplaintStatus) crm.Complaint {
				x := Complaint(r.dealer, customer, n)
				x.Status = status
				if status == crm.ComplaintOpen {
					x.Resolved = dealercrm.Date{}
				}
				return x
			}
			c0, c1 := r.customers[0], r.customers[1]
			recs := []crm.Complaint{
				c(1, c0, crm.ComplaintOpen),
				c(2, c1, crm.ComplaintResolved),
				c(3, c0, crm.ComplaintClosed),
			}
			type f = crm.ComplaintFilter
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2}},
				{"Customer", f{CustomerID: c0}, []int{0, 2}},
				{"Status", f{Status: crm.ComplaintResolved}, []int{1}},
				{"CustomerAndStatus", f{CustomerID: c0, Status: crm.ComplaintClosed}, []int{2}},
				{"NoMatch", f{CustomerID: c1, Status: crm.ComplaintOpen}, nil},
			}
		},
	}
}

func participationSpec() spec[crm.EventParticipation, crm.ParticipationID, crm.ParticipationFilter] {
	return spec[crm.EventParticipation, crm.ParticipationID, crm.ParticipationFilter]{
		name: "event participation",
		need: needCustomers,
		repo: func(s crm.Store) crm.Repository[crm.EventParticipation, crm.ParticipationID, crm.ParticipationFilter] {
			return s.Participations()
		},
		build: func(r refs, n int) crm.EventParticipation { return Participation(r.dealer, r.customers[0], n) },
		id:    func(p *crm.EventParticipation) *crm.ParticipationID { return &p.ID },
		rec:   func(p *crm.EventParticipation) *crm.Record { return &p.Record },
		mutate: func(p *crm.EventParticipation) {
			p.EventName += " (changed)"
			p.Attended = !p.Attended
		},
		bump:  func(p *crm.EventParticipation) { p.EventName += "+" },
		bumps: func(p crm.EventParticipation) int { return strings.Count(p.EventName, "+") },
		page: func(f crm.ParticipationFilter, p crm.PageRequest) crm.ParticipationFilter {
			f.PageRequest = p
			return f
		},
		filters: func(r refs) ([]crm.EventParticipation, []filterCase[crm.ParticipationFilter]) {
			e1, e2 := crm.EventID(dealercrm.NewID()), crm.EventID(dealercrm.NewID())
			p := func(n int, c crm.CustomerID, e crm.EventID) crm.EventParticipation {
				x := Participation(r.dealer, c, n)
				x.EventID = e
				return x
			}
			c0, c1 := r.customers[0], r.customers[1]
			recs := []crm.EventParticipation{p(1, c0, e1), p(2, c1, e1), p(3, c0, e2)}
			type f = crm.ParticipationFilter
			return recs, []filterCase[f]{
				{"All", f{}, []int{0, 1, 2}},
				{"Customer", f{CustomerID: c0}, []int{0, 2}},
				{"Event", f{EventID: e1}, []int{0, 1}},
				{"CustomerAndEvent", f{CustomerID: c0, EventID: e2}, []int{2}},
				{"NoMatch", f{CustomerID: c1, EventID: e2}, nil},
			}
		},
	}
}
