package crm

import (
	"time"
	// Dealers name IANA zones; embed the database so validation and
	// calendar dates work on hosts without zoneinfo (minimal containers).
	_ "time/tzdata"

	"github.com/dealercrm/dealercrm"
	"github.com/shopspring/decimal"
)

// Identifiers, typed per entity so that a vehicle ID cannot be passed where a
// customer ID is expected. They are opaque strings; dealercrm.NewID makes new
// ones unless the caller brings its own.
type (
	DealerID        string // a dealer (tenant)
	GroupID         string // a dealer group 集团
	CustomerID      string // a customer
	LeadID          string // a lead (A卡)
	VehicleID       string // a vehicle
	SaleID          string // a new-car sale
	ServiceOrderID  string // a service order 维修工单
	PolicyID        string // an insurance policy
	InteractionID   string // an interaction
	ComplaintID     string // a complaint
	ParticipationID string // an event participation
	StaffID         string // a member of staff, in the DMS's own numbering
	EventID         string // an event or campaign
)

// Record holds what every dealer-owned entity carries: its dealer, the DMS's
// own identifier and the times the record was created and last changed.
// Entities embed it.
type Record struct {
	// DealerID is the tenant the record belongs to. Set by the Service from
	// the caller's dealer; never taken from input.
	DealerID DealerID `json:"dealer_id"`
	// ExternalID is the host DMS's identifier, unique per dealer and entity
	// kind when set. Bulk upserts match on it.
	ExternalID string `json:"external_id,omitempty"`
	// CreatedAt and UpdatedAt are set by the Service's clock.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Meta returns r itself, so generic code can reach the embedded Record.
func (r *Record) Meta() *Record { return r }

func (r *Record) check(c *checker) {
	c.required("dealer_id", string(r.DealerID))
	c.maxLen("external_id", r.ExternalID, 128)
}

// Dealer is a dealership (a 4S store), the tenant of every other record.
// Dealers of one group 集团 may see each other's records only through
// explicit group-level operations.
type Dealer struct {
	ID         DealerID `json:"id"`
	ExternalID string   `json:"external_id,omitempty"`
	Name       string   `json:"name"`
	// GroupID is the dealer group, empty for an independent dealer.
	GroupID GroupID `json:"group_id,omitempty"`
	// TimeZone is an IANA zone name; calendar dates are local to it.
	// Empty means dealercrm.DefaultTimeZone (Asia/Shanghai).
	TimeZone string   `json:"time_zone,omitempty"`
	Brands   []string `json:"brands,omitempty"`
	// LeadPolicy overrides the default lead levels, windows and cadences.
	LeadPolicy *LeadPolicy `json:"lead_policy,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Location returns the dealer's time zone (Asia/Shanghai by default).
func (d *Dealer) Location() *time.Location {
	name := d.TimeZone
	if name == "" {
		name = dealercrm.DefaultTimeZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Policy returns the dealer's lead policy, or DefaultLeadPolicy.
func (d *Dealer) Policy() LeadPolicy {
	if d.LeadPolicy != nil {
		return *d.LeadPolicy
	}
	return DefaultLeadPolicy()
}

// Validate checks the dealer.
func (d *Dealer) Validate() error {
	var c checker
	c.required("id", string(d.ID))
	c.maxLen("id", string(d.ID), 64)
	c.required("name", d.Name)
	c.maxLen("name", d.Name, 200)
	if d.TimeZone != "" {
		if _, err := time.LoadLocation(d.TimeZone); err != nil {
			c.add("time_zone", RuleFormat, "%q is not an IANA time zone", d.TimeZone)
		}
	}
	if d.LeadPolicy != nil {
		c.Prefix = "lead_policy."
		d.LeadPolicy.check(&c)
	}
	return c.err("dealer")
}

// Region is a Chinese administrative location.
type Region struct {
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
	District string `json:"district,omitempty"`
}

// Consent records whether a customer agreed to be contacted for one purpose
// on one channel, when and where the answer was given (PIPL).
type Consent struct {
	Purpose Purpose `json:"purpose"`
	Channel Channel `json:"channel"`
	Granted bool    `json:"granted"`
	// At is when the customer gave or withdrew consent.
	At time.Time `json:"at"`
	// Source says how it was recorded: "sales contract", "wechat form", ….
	Source string `json:"source"`
}

// Customer is an owner or buyer (C卡): a private person or a company.
type Customer struct {
	ID CustomerID `json:"id"`
	Record
	Kind   CustomerKind `json:"kind"`
	Name   string       `json:"name"`
	Mobile string       `json:"mobile,omitempty"`
	// IDNumber is the individual's PRC resident identity card number
	// (居民身份证号码): 18 characters with the GB 11643 check character (or
	// the 15 digits of a first-generation card), stored upper case. It is
	// sensitive personal information (PIPL Art. 28): masked for roles
	// without personal-data access, erased with the customer, and a key of
	// the duplicate search (DuplicateIDNumber).
	IDNumber string `json:"id_number,omitempty"`
	// Gender, Birthday and FamilyStage describe an individual.
	Gender   Gender         `json:"gender,omitempty"`
	Birthday dealercrm.Date `json:"birthday,omitempty"`
	// BirthdayCalendar says whether the customer celebrates Birthday (the
	// Gregorian date of birth) or its lunar month and day 农历生日; empty
	// means BirthdaySolar.
	BirthdayCalendar BirthdayCalendar `json:"birthday_calendar,omitempty"`
	FamilyStage      FamilyStage      `json:"family_stage,omitempty"`
	Region           Region           `json:"region"`
	Occupation       string           `json:"occupation,omitempty"`
	Industry         string           `json:"industry,omitempty"`
	IncomeBand       string           `json:"income_band,omitempty"`
	Hobbies          []string         `json:"hobbies,omitempty"`
	Source           Source           `json:"source,omitempty"`
	// Consents holds the latest answer per purpose and channel.
	Consents []Consent `json:"consents,omitempty"`
	// ConsultantID is the sales consultant, AdvisorID the service advisor in charge.
	ConsultantID StaffID `json:"consultant_id,omitempty"`
	AdvisorID    StaffID `json:"advisor_id,omitempty"`
	// MergedInto is the customer this one was merged into (see
	// Service.MergeCustomers): a merged customer keeps its ID, so that a
	// lookup can say where it went, but nothing refers to it any more.
	// Only MergeCustomers sets it; updates cannot change it.
	MergedInto CustomerID `json:"merged_into,omitempty"`
}

// Normalize cleans input in place: the mobile number and the ID number are
// put in their canonical forms (see NormalizeMobile, NormalizeIDNumber) and
// an empty kind means an individual.
func (c *Customer) Normalize() {
	c.Mobile = NormalizeMobile(c.Mobile)
	c.IDNumber = NormalizeIDNumber(c.IDNumber)
	if c.Kind == "" {
		c.Kind = Individual
	}
}

// Validate checks the customer.
func (c *Customer) Validate() error {
	var k checker
	k.required("id", string(c.ID))
	c.check(&k)
	CheckEnum(&k.Checker, "kind", c.Kind, CustomerKind.Valid, true)
	k.required("name", c.Name)
	k.maxLen("name", c.Name, 200)
	k.mobile("mobile", c.Mobile)
	k.idNumber("id_number", c.IDNumber)
	CheckEnum(&k.Checker, "gender", c.Gender, Gender.Valid, false)
	k.date("birthday", c.Birthday, false)
	CheckEnum(&k.Checker, "birthday_calendar", c.BirthdayCalendar, BirthdayCalendar.Valid, false)
	CheckEnum(&k.Checker, "family_stage", c.FamilyStage, FamilyStage.Valid, false)
	CheckEnum(&k.Checker, "source", c.Source, Source.Valid, false)
	for i, h := range c.Hobbies {
		k.required(indexed("hobbies", i), h)
	}
	seen := map[[2]string]bool{}
	for i, cs := range c.Consents {
		f := indexed("consents", i)
		CheckEnum(&k.Checker, f+".purpose", cs.Purpose, Purpose.Valid, true)
		CheckEnum(&k.Checker, f+".channel", cs.Channel, Channel.Valid, true)
		k.timeRequired(f+".at", cs.At)
		k.required(f+".source", cs.Source)
		key := [2]string{string(cs.Purpose), string(cs.Channel)}
		if seen[key] {
			k.add(f, RuleUnique, "duplicate consent for %s by %s", cs.Purpose, cs.Channel)
		}
		seen[key] = true
	}
	return k.err("customer")
}

// Allows reports whether the customer has granted consent for purpose on
// channel. No record means no consent.
func (c *Customer) Allows(p Purpose, ch Channel) bool {
	for _, cs := range c.Consents {
		if cs.Purpose == p && cs.Channel == ch {
			return cs.Granted
		}
	}
	return false
}

// SetConsent records an answer, replacing an older one for the same purpose
// and channel. An answer older than the recorded one is ignored, so replaying
// events out of order keeps the latest; SetConsent reports whether it
// changed anything.
func (c *Customer) SetConsent(cs Consent) bool {
	for i, old := range c.Consents {
		if old.Purpose == cs.Purpose && old.Channel == cs.Channel {
			if cs.At.Before(old.At) || old == cs {
				return false
			}
			c.Consents[i] = cs
			return true
		}
	}
	c.Consents = append(c.Consents, cs)
	return true
}

// OdometerReading is a mileage reading of a vehicle.
type OdometerReading struct {
	Date   dealercrm.Date `json:"date"`
	KM     int64          `json:"km"`
	Source OdometerSource `json:"source"`
}

// Vehicle is a car sold or serviced by the dealer.
type Vehicle struct {
	ID VehicleID `json:"id"`
	Record
	// VIN is the 17-character vehicle identification number, unique per dealer.
	VIN   string `json:"vin"`
	Plate string `json:"plate,omitempty"`
	Brand string `json:"brand,omitempty"`
	Model string `json:"model"`
	Trim  string `json:"trim,omitempty"`
	// OwnerID is the customer who owns the car (may be empty for a car in stock).
	OwnerID          CustomerID        `json:"owner_id,omitempty"`
	PurchaseDate     dealercrm.Date    `json:"purchase_date,omitempty"`
	DeliveryDate     dealercrm.Date    `json:"delivery_date,omitempty"`
	RegistrationDate dealercrm.Date    `json:"registration_date,omitempty"`
	Price            decimal.Decimal   `json:"price"`
	Odometer         []OdometerReading `json:"odometer,omitempty"`
}

// Normalize upper-cases the VIN.
func (v *Vehicle) Normalize() { v.VIN = NormalizeVIN(v.VIN) }

// Validate checks the vehicle.
func (v *Vehicle) Validate() error {
	var k checker
	k.required("id", string(v.ID))
	v.check(&k)
	k.vin("vin", v.VIN)
	k.required("model", v.Model)
	k.date("purchase_date", v.PurchaseDate, false)
	k.date("delivery_date", v.DeliveryDate, false)
	k.date("registration_date", v.RegistrationDate, false)
	k.order("delivery_date", v.PurchaseDate, v.DeliveryDate)
	k.nonNegative("price", v.Price)
	for i, r := range v.Odometer {
		f := indexed("odometer", i)
		k.date(f+".date", r.Date, true)
		if r.KM < 0 {
			k.add(f+".km", RuleNonNegative, "must not be negative")
		}
		CheckEnum(&k.Checker, f+".source", r.Source, OdometerSource.Valid, false)
	}
	return k.err("vehicle")
}

// LatestOdometer returns the reading with the latest date (the highest km on
// a tie), and false when there is none.
func (v *Vehicle) LatestOdometer() (OdometerReading, bool) {
	var best OdometerReading
	for _, r := range v.Odometer {
		if r.Date.After(best.Date) || (r.Date == best.Date && r.KM > best.KM) {
			best = r
		}
	}
	return best, len(v.Odometer) > 0
}

// ValueChainItem is something sold with a car besides the car itself
// (accessories 精品, insurance, finance, extended warranty, registration).
type ValueChainItem struct {
	Kind        ValueChainKind  `json:"kind"`
	Description string          `json:"description,omitempty"`
	Amount      decimal.Decimal `json:"amount"`
	Profit      decimal.Decimal `json:"profit"`
}

// Sale is a new-car sale.
type Sale struct {
	ID SaleID `json:"id"`
	Record
	VehicleID    VehicleID       `json:"vehicle_id"`
	CustomerID   CustomerID      `json:"customer_id"`
	LeadID       LeadID          `json:"lead_id,omitempty"`
	ConsultantID StaffID         `json:"consultant_id,omitempty"`
	Date         dealercrm.Date  `json:"date"`
	Price        decimal.Decimal `json:"price"`
	// GrossProfit on the car itself; it may be negative (a car sold below cost).
	GrossProfit decimal.Decimal  `json:"gross_profit"`
	Items       []ValueChainItem `json:"items,omitempty"`
	// TradeIn marks a sale with a trade-in 置换.
	TradeIn bool `json:"trade_in"`
}

// Validate checks the sale.
func (s *Sale) Validate() error {
	var k checker
	k.required("id", string(s.ID))
	s.check(&k)
	k.required("vehicle_id", string(s.VehicleID))
	k.required("customer_id", string(s.CustomerID))
	k.date("date", s.Date, true)
	k.nonNegative("price", s.Price)
	for i, it := range s.Items {
		f := indexed("items", i)
		CheckEnum(&k.Checker, f+".kind", it.Kind, ValueChainKind.Valid, true)
		k.nonNegative(f+".amount", it.Amount)
	}
	return k.err("sale")
}

// ValueChainTotal returns the revenue and profit of the sale's value-chain items.
func (s *Sale) ValueChainTotal() (amount, profit decimal.Decimal) {
	for _, it := range s.Items {
		amount = amount.Add(it.Amount)
		profit = profit.Add(it.Profit)
	}
	return amount, profit
}

// ServiceOrder is a service order 维修工单: a workshop visit of a vehicle.
type ServiceOrder struct {
	ID ServiceOrderID `json:"id"`
	Record
	VehicleID  VehicleID      `json:"vehicle_id"`
	CustomerID CustomerID     `json:"customer_id,omitempty"`
	Date       dealercrm.Date `json:"date"`
	// ClosedDate is when the car was handed back; zero while in the workshop.
	ClosedDate dealercrm.Date  `json:"closed_date,omitempty"`
	OdometerKM int64           `json:"odometer_km"`
	Kind       ServiceKind     `json:"kind"`
	Labour     decimal.Decimal `json:"labour"`
	Parts      decimal.Decimal `json:"parts"`
	Payer      Payer           `json:"payer"`
	AdvisorID  StaffID         `json:"advisor_id,omitempty"`
	// Complaint marks a visit during which the customer complained.
	Complaint bool `json:"complaint"`
}

// Total returns labour plus parts.
func (o *ServiceOrder) Total() decimal.Decimal { return o.Labour.Add(o.Parts) }

// Validate checks the service order.
func (o *ServiceOrder) Validate() error {
	var k checker
	k.required("id", string(o.ID))
	o.check(&k)
	k.required("vehicle_id", string(o.VehicleID))
	k.date("date", o.Date, true)
	k.date("closed_date", o.ClosedDate, false)
	k.order("closed_date", o.Date, o.ClosedDate)
	if o.OdometerKM < 0 {
		k.add("odometer_km", RuleNonNegative, "must not be negative")
	}
	CheckEnum(&k.Checker, "kind", o.Kind, ServiceKind.Valid, true)
	k.nonNegative("labour", o.Labour)
	k.nonNegative("parts", o.Parts)
	CheckEnum(&k.Checker, "payer", o.Payer, Payer.Valid, true)
	return k.err("service order")
}

// InsurancePolicy is a motor insurance policy sold or renewed by the dealer.
type InsurancePolicy struct {
	ID PolicyID `json:"id"`
	Record
	VehicleID  VehicleID       `json:"vehicle_id"`
	CustomerID CustomerID      `json:"customer_id,omitempty"`
	Kind       InsuranceKind   `json:"kind"`
	Insurer    string          `json:"insurer"`
	Start      dealercrm.Date  `json:"start"`
	End        dealercrm.Date  `json:"end"`
	Premium    decimal.Decimal `json:"premium"`
	// Renewal marks a policy renewed through the dealer 续保.
	Renewal bool `json:"renewal"`
}

// Validate checks the policy.
func (p *InsurancePolicy) Validate() error {
	var k checker
	k.required("id", string(p.ID))
	p.check(&k)
	k.required("vehicle_id", string(p.VehicleID))
	CheckEnum(&k.Checker, "kind", p.Kind, InsuranceKind.Valid, true)
	k.required("insurer", p.Insurer)
	k.date("start", p.Start, true)
	k.date("end", p.End, true)
	k.order("end", p.Start, p.End)
	k.nonNegative("premium", p.Premium)
	return k.err("insurance policy")
}

// Interaction is a contact with a customer or prospect: a call, a message, a
// visit.
type Interaction struct {
	ID InteractionID `json:"id"`
	Record
	CustomerID CustomerID `json:"customer_id,omitempty"`
	LeadID     LeadID     `json:"lead_id,omitempty"`
	VehicleID  VehicleID  `json:"vehicle_id,omitempty"`
	Channel    Channel    `json:"channel"`
	Direction  Direction  `json:"direction"`
	// Purpose says what the contact was about ("3DC", "first_maintenance_reminder", …).
	Purpose string    `json:"purpose"`
	Outcome Outcome   `json:"outcome"`
	Note    string    `json:"note,omitempty"`
	StaffID StaffID   `json:"staff_id,omitempty"`
	At      time.Time `json:"at"`
	// TaskKey links the interaction to the follow-up task it completes.
	TaskKey string `json:"task_key,omitempty"`
}

// Validate checks the interaction.
func (i *Interaction) Validate() error {
	var k checker
	k.required("id", string(i.ID))
	i.check(&k)
	if i.CustomerID == "" && i.LeadID == "" {
		k.add("customer_id", RuleRequired, "customer_id or lead_id is required")
	}
	CheckEnum(&k.Checker, "channel", i.Channel, Channel.Valid, true)
	CheckEnum(&k.Checker, "direction", i.Direction, Direction.Valid, true)
	k.required("purpose", i.Purpose)
	CheckEnum(&k.Checker, "outcome", i.Outcome, Outcome.Valid, true)
	k.maxLen("note", i.Note, 4000)
	k.timeRequired("at", i.At)
	return k.err("interaction")
}

// Complaint is a customer complaint and its handling.
type Complaint struct {
	ID ComplaintID `json:"id"`
	Record
	CustomerID     CustomerID      `json:"customer_id"`
	VehicleID      VehicleID       `json:"vehicle_id,omitempty"`
	ServiceOrderID ServiceOrderID  `json:"service_order_id,omitempty"`
	Category       string          `json:"category"`
	Severity       Severity        `json:"severity"`
	Description    string          `json:"description,omitempty"`
	Status         ComplaintStatus `json:"status"`
	Opened         dealercrm.Date  `json:"opened"`
	Resolved       dealercrm.Date  `json:"resolved,omitempty"`
}

// Validate checks the complaint.
func (c *Complaint) Validate() error {
	var k checker
	k.required("id", string(c.ID))
	c.check(&k)
	k.required("customer_id", string(c.CustomerID))
	k.required("category", c.Category)
	CheckEnum(&k.Checker, "severity", c.Severity, Severity.Valid, true)
	CheckEnum(&k.Checker, "status", c.Status, ComplaintStatus.Valid, true)
	k.date("opened", c.Opened, true)
	k.date("resolved", c.Resolved, false)
	k.order("resolved", c.Opened, c.Resolved)
	resolved := c.Status == ComplaintResolved || c.Status == ComplaintClosed
	if resolved && c.Resolved.IsZero() {
		k.add("resolved", RuleRequired, "is required once the complaint is resolved")
	}
	if !resolved && !c.Resolved.IsZero() {
		k.add("resolved", RuleOrder, "must be empty while the complaint is %s", c.Status)
	}
	return k.err("complaint")
}

// complaintTransitions is the complaint state machine.
var complaintTransitions = map[ComplaintStatus][]ComplaintStatus{
	ComplaintOpen:       {ComplaintInProgress, ComplaintResolved},
	ComplaintInProgress: {ComplaintResolved},
	ComplaintResolved:   {ComplaintClosed, ComplaintOpen},
	ComplaintClosed:     {},
}

// CanMove reports whether a complaint may go from status from to status to.
func (from ComplaintStatus) CanMove(to ComplaintStatus) bool {
	return from == to || contains(complaintTransitions[from], to)
}

// EventParticipation records that a customer was invited to or attended an
// event (a car-care class, a club trip, a campaign event).
type EventParticipation struct {
	ID ParticipationID `json:"id"`
	Record
	CustomerID CustomerID     `json:"customer_id"`
	EventID    EventID        `json:"event_id"`
	EventName  string         `json:"event_name,omitempty"`
	Date       dealercrm.Date `json:"date"`
	Attended   bool           `json:"attended"`
}

// Validate checks the participation.
func (e *EventParticipation) Validate() error {
	var k checker
	k.required("id", string(e.ID))
	e.check(&k)
	k.required("customer_id", string(e.CustomerID))
	k.required("event_id", string(e.EventID))
	k.date("date", e.Date, true)
	return k.err("event participation")
}
