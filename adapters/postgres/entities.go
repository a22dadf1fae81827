package postgres

import (
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"
)

// This file holds, per entity, the row struct (the only place with bun
// tags), the explicit mapping in both directions and the filter of List.
// Row structs use the alias t, which every query gives the table. Empty
// optional identifiers are stored as NULL (nullzero), dates as date (NULL
// when zero), nested slices as jsonb documents (docs.go).

// recordRow holds the columns every dealer-owned row has.
type recordRow struct {
	DealerID   string    `bun:"dealer_id,pk"`
	ID         string    `bun:"id,pk"`
	ExternalID string    `bun:"external_id,nullzero"`
	CreatedAt  time.Time `bun:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

func fromRecord(id string, r *crm.Record) recordRow {
	return recordRow{DealerID: string(r.DealerID), ID: id, ExternalID: r.ExternalID, CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt)}
}

func (r *recordRow) record() crm.Record {
	return crm.Record{DealerID: crm.DealerID(r.DealerID), ExternalID: r.ExternalID, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// whereDates adds an inclusive date range on column col.
func whereDates(q *bun.SelectQuery, col string, r crm.DateRange) *bun.SelectQuery {
	if !r.From.IsZero() {
		q = q.Where("t.? >= ?", bun.Ident(col), sqlDate(r.From))
	}
	if !r.To.IsZero() {
		q = q.Where("t.? <= ?", bun.Ident(col), sqlDate(r.To))
	}
	return q
}

// whereEq adds col = v when v is set.
func whereEq[S ~string](q *bun.SelectQuery, col string, v S) *bun.SelectQuery {
	if v == "" {
		return q
	}
	return q.Where("t.? = ?", bun.Ident(col), string(v))
}

// ---- dealers

type dealerRow struct {
	bun.BaseModel `bun:"table:dealers,alias:t"`
	DealerID      string    `bun:"dealer_id,pk"`
	ExternalID    string    `bun:"external_id,nullzero"`
	Name          string    `bun:"name"`
	GroupID       string    `bun:"group_id,nullzero"`
	TimeZone      string    `bun:"time_zone"`
	Brands        textArray `bun:"brands"`
	LeadPolicy    *jsonDoc  `bun:"lead_policy"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func fromDealer(d *crm.Dealer) (dealerRow, error) {
	policy, err := fromLeadPolicy(d.LeadPolicy)
	return dealerRow{
		DealerID: string(d.ID), ExternalID: d.ExternalID, Name: d.Name, GroupID: string(d.GroupID),
		TimeZone: d.TimeZone, Brands: stringsOf(d.Brands), LeadPolicy: policy,
		CreatedAt: dbTime(d.CreatedAt), UpdatedAt: dbTime(d.UpdatedAt),
	}, err
}

func toDealer(r *dealerRow) (crm.Dealer, error) {
	policy, err := toLeadPolicy(r.LeadPolicy)
	return crm.Dealer{
		ID: crm.DealerID(r.DealerID), ExternalID: r.ExternalID, Name: r.Name, GroupID: crm.GroupID(r.GroupID),
		TimeZone: r.TimeZone, Brands: nilIfEmpty([]string(r.Brands)), LeadPolicy: policy,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}, err
}

// ---- customers

type customerRow struct {
	bun.BaseModel `bun:"table:customers,alias:t"`
	recordRow
	Kind           string    `bun:"kind"`
	Name           string    `bun:"name"`
	Mobile         string    `bun:"mobile"`
	Gender         string    `bun:"gender"`
	Birthday       sqlDate   `bun:"birthday"`
	FamilyStage    string    `bun:"family_stage"`
	RegionProvince string    `bun:"region_province"`
	RegionCity     string    `bun:"region_city"`
	RegionDistrict string    `bun:"region_district"`
	Occupation     string    `bun:"occupation"`
	Industry       string    `bun:"industry"`
	IncomeBand     string    `bun:"income_band"`
	Hobbies        textArray `bun:"hobbies"`
	Source         string    `bun:"source"`
	Consents       jsonText  `bun:"consents"`
	ConsultantID   string    `bun:"consultant_id,nullzero"`
	AdvisorID      string    `bun:"advisor_id,nullzero"`

	// BirthdayCalendar is crm.BirthdayCalendar, '' for solar (migration 0016).
	BirthdayCalendar string `bun:"birthday_calendar"`
	// MergedInto is crm.Customer.MergedInto, NULL for none (migration 0029).
	MergedInto string `bun:"merged_into,nullzero"`
	// IDNumber is crm.Customer.IDNumber, '' for none (migration 0030).
	IDNumber string `bun:"id_number"`
}

func fromCustomer(v *crm.Customer) (customerRow, error) {
	consents, err := marshalList(v.Consents, fromConsent)
	return customerRow{
		recordRow: fromRecord(string(v.ID), &v.Record),
		Kind:      string(v.Kind), Name: v.Name, Mobile: v.Mobile, Gender: string(v.Gender),
		Birthday: sqlDate(v.Birthday), BirthdayCalendar: string(v.BirthdayCalendar), FamilyStage: string(v.FamilyStage),
		RegionProvince: v.Region.Province, RegionCity: v.Region.City, RegionDistrict: v.Region.District,
		Occupation: v.Occupation, Industry: v.Industry, IncomeBand: v.IncomeBand,
		Hobbies: stringsOf(v.Hobbies), Source: string(v.Source), Consents: jsonText(consents),
		ConsultantID: string(v.ConsultantID), AdvisorID: string(v.AdvisorID), MergedInto: string(v.MergedInto),
		IDNumber: v.IDNumber,
	}, err
}

func toCustomer(r *customerRow) (crm.Customer, error) {
	consents, err := parseConsents(jsonDoc(r.Consents))
	return crm.Customer{
		ID: crm.CustomerID(r.ID), Record: r.record(),
		Kind: crm.CustomerKind(r.Kind), Name: r.Name, Mobile: r.Mobile, Gender: crm.Gender(r.Gender),
		Birthday: r.Birthday.date(), BirthdayCalendar: crm.BirthdayCalendar(r.BirthdayCalendar), FamilyStage: crm.FamilyStage(r.FamilyStage),
		Region:     crm.Region{Province: r.RegionProvince, City: r.RegionCity, District: r.RegionDistrict},
		Occupation: r.Occupation, Industry: r.Industry, IncomeBand: r.IncomeBand,
		Hobbies: nilIfEmpty([]string(r.Hobbies)), Source: crm.Source(r.Source), Consents: consents,
		ConsultantID: crm.StaffID(r.ConsultantID), AdvisorID: crm.StaffID(r.AdvisorID), MergedInto: crm.CustomerID(r.MergedInto),
		IDNumber: r.IDNumber,
	}, err
}

// nameSearchKey returns crm.NameSearchKey of the text expression col, in
// SQL: lower() in the C collation changes the ASCII letters only,
// whatever the database's locale (TestNameSearchKeySQL).
func nameSearchKey(col string) string { return "lower(" + col + ` COLLATE "C")` }

func filterCustomers(q *bun.SelectQuery, f crm.CustomerFilter) *bun.SelectQuery {
	q = whereEq(q, "kind", f.Kind)
	q = whereEq(q, "mobile", f.Mobile)
	q = whereEq(q, "id_number", f.IDNumber)
	q = whereEq(q, "consultant_id", f.ConsultantID)
	q = whereEq(q, "advisor_id", f.AdvisorID)
	if f.Name != "" {
		// strpos, not LIKE: the text is taken literally (no %, _ or \ to
		// escape), as crm.CustomerFilter.MatchName takes it, both sides
		// as crm.NameSearchKey gives them (nameSearchKey). translate()
		// over the full-width forms too was ten times slower on 100,000
		// names (150 ms). No index finds
		// a substring without pg_trgm, which a host may not allow; the
		// index of migration 0032 carries the names (see searchFirst).
		q = q.Where("strpos("+nameSearchKey("t.name")+", ?) > 0", crm.NameSearchKey(f.Name))
	}
	return q
}

// ---- leads

type leadRow struct {
	bun.BaseModel `bun:"table:leads,alias:t"`
	recordRow
	Name            string    `bun:"name"`
	Mobile          string    `bun:"mobile"`
	Level           string    `bun:"level"`
	Status          string    `bun:"status"`
	ModelOfInterest string    `bun:"model_of_interest"`
	Source          string    `bun:"source"`
	VisitTrigger    string    `bun:"visit_trigger"`
	Purchase        string    `bun:"purchase"`
	ExpectedClose   sqlDate   `bun:"expected_close"`
	ConsultantID    string    `bun:"consultant_id,nullzero"`
	CustomerID      string    `bun:"customer_id,nullzero"`
	ReferrerID      string    `bun:"referrer_id,nullzero"`
	SaleID          string    `bun:"sale_id,nullzero"`
	FollowUps       jsonDoc   `bun:"follow_ups"`
	LastContactAt   time.Time `bun:"last_contact_at,nullzero"`
	NextFollowUpAt  time.Time `bun:"next_follow_up_at,nullzero"`
	LostRequests    jsonDoc   `bun:"lost_requests"`
	LostReason      string    `bun:"lost_reason"`
}

func fromLead(v *crm.Lead) (leadRow, error) {
	followUps, err := marshalList(v.FollowUps, fromFollowUp)
	if err != nil {
		return leadRow{}, err
	}
	lost, err := marshalList(v.LostRequests, fromLostRequest)
	return leadRow{
		recordRow: fromRecord(string(v.ID), &v.Record),
		Name:      v.Name, Mobile: v.Mobile, Level: string(v.Level), Status: string(v.Status),
		ModelOfInterest: v.ModelOfInterest, Source: string(v.Source), VisitTrigger: v.VisitTrigger,
		Purchase: string(v.Purchase), ExpectedClose: sqlDate(v.ExpectedClose),
		ConsultantID: string(v.ConsultantID), CustomerID: string(v.CustomerID), ReferrerID: string(v.ReferrerID),
		SaleID: string(v.SaleID), FollowUps: followUps,
		LastContactAt: dbTime(v.LastContactAt), NextFollowUpAt: dbTime(v.NextFollowUpAt),
		LostRequests: lost, LostReason: string(v.LostReason),
	}, err
}

func toLead(r *leadRow) (crm.Lead, error) {
	followUps, err := unmarshalList(r.FollowUps, toFollowUp)
	if err != nil {
		return crm.Lead{}, err
	}
	lost, err := unmarshalList(r.LostRequests, toLostRequest)
	return crm.Lead{
		ID: crm.LeadID(r.ID), Record: r.record(),
		Name: r.Name, Mobile: r.Mobile, Level: crm.IntentLevel(r.Level), Status: crm.LeadStatus(r.Status),
		ModelOfInterest: r.ModelOfInterest, Source: crm.Source(r.Source), VisitTrigger: r.VisitTrigger,
		Purchase: crm.PurchaseKind(r.Purchase), ExpectedClose: r.ExpectedClose.date(),
		ConsultantID: crm.StaffID(r.ConsultantID), CustomerID: crm.CustomerID(r.CustomerID),
		ReferrerID: crm.CustomerID(r.ReferrerID), SaleID: crm.SaleID(r.SaleID), FollowUps: followUps,
		LastContactAt: utc(r.LastContactAt), NextFollowUpAt: utc(r.NextFollowUpAt),
		LostRequests: lost, LostReason: crm.LostReason(r.LostReason),
	}, err
}

func filterLeads(q *bun.SelectQuery, f crm.LeadFilter) *bun.SelectQuery {
	q = whereEq(q, "status", f.Status)
	if len(f.Levels) > 0 {
		q = q.Where("t.level IN (?)", bun.List(stringsOf(f.Levels)))
	}
	q = whereEq(q, "consultant_id", f.ConsultantID)
	if f.CustomerID != "" {
		q = q.Where("(t.customer_id = ? OR t.referrer_id = ?)", string(f.CustomerID), string(f.CustomerID))
	}
	if len(f.IDs) > 0 {
		q = q.Where("t.id IN (?)", bun.List(stringsOf(f.IDs)))
	}
	return whereEq(q, "source", f.Source)
}

// ---- vehicles

type vehicleRow struct {
	bun.BaseModel `bun:"table:vehicles,alias:t"`
	recordRow
	VIN              string          `bun:"vin"`
	Plate            string          `bun:"plate"`
	Brand            string          `bun:"brand"`
	Model            string          `bun:"model"`
	Trim             string          `bun:"trim"`
	OwnerID          string          `bun:"owner_id,nullzero"`
	PurchaseDate     sqlDate         `bun:"purchase_date"`
	DeliveryDate     sqlDate         `bun:"delivery_date"`
	RegistrationDate sqlDate         `bun:"registration_date"`
	Price            decimal.Decimal `bun:"price"`
	Odometer         jsonDoc         `bun:"odometer"`
}

func fromVehicle(v *crm.Vehicle) (vehicleRow, error) {
	odometer, err := marshalList(v.Odometer, fromOdometer)
	return vehicleRow{
		recordRow: fromRecord(string(v.ID), &v.Record),
		VIN:       v.VIN, Plate: v.Plate, Brand: v.Brand, Model: v.Model, Trim: v.Trim, OwnerID: string(v.OwnerID),
		PurchaseDate: sqlDate(v.PurchaseDate), DeliveryDate: sqlDate(v.DeliveryDate), RegistrationDate: sqlDate(v.RegistrationDate),
		Price: v.Price, Odometer: odometer,
	}, err
}

func toVehicle(r *vehicleRow) (crm.Vehicle, error) {
	odometer, err := unmarshalList(r.Odometer, toOdometer)
	return crm.Vehicle{
		ID: crm.VehicleID(r.ID), Record: r.record(),
		VIN: r.VIN, Plate: r.Plate, Brand: r.Brand, Model: r.Model, Trim: r.Trim, OwnerID: crm.CustomerID(r.OwnerID),
		PurchaseDate: r.PurchaseDate.date(), DeliveryDate: r.DeliveryDate.date(), RegistrationDate: r.RegistrationDate.date(),
		Price: r.Price, Odometer: odometer,
	}, err
}

func filterVehicles(q *bun.SelectQuery, f crm.VehicleFilter) *bun.SelectQuery {
	q = whereEq(q, "owner_id", f.OwnerID)
	q = whereEq(q, "vin", f.VIN)
	q = whereEq(q, "model", f.Model)
	if f.Plate != "" {
		// plate_key is crm.PlateKey(plate), a column generated by
		// migration 0032 and carried by its index (see searchFirst).
		q = q.Where("strpos(t.plate_key, ?) > 0", crm.PlateKey(f.Plate))
	}
	return q
}

// ---- sales

type saleRow struct {
	bun.BaseModel `bun:"table:sales,alias:t"`
	recordRow
	VehicleID    string          `bun:"vehicle_id,nullzero"`
	CustomerID   string          `bun:"customer_id,nullzero"`
	LeadID       string          `bun:"lead_id,nullzero"`
	ConsultantID string          `bun:"consultant_id,nullzero"`
	Date         sqlDate         `bun:"date"`
	Price        decimal.Decimal `bun:"price"`
	GrossProfit  decimal.Decimal `bun:"gross_profit"`
	Items        jsonDoc         `bun:"items"`
	TradeIn      bool            `bun:"trade_in"`
}

func fromSale(v *crm.Sale) (saleRow, error) {
	items, err := marshalList(v.Items, fromValueChainItem)
	return saleRow{
		recordRow: fromRecord(string(v.ID), &v.Record),
		VehicleID: string(v.VehicleID), CustomerID: string(v.CustomerID), LeadID: string(v.LeadID),
		ConsultantID: string(v.ConsultantID), Date: sqlDate(v.Date), Price: v.Price, GrossProfit: v.GrossProfit,
		Items: items, TradeIn: v.TradeIn,
	}, err
}

func toSale(r *saleRow) (crm.Sale, error) {
	items, err := unmarshalList(r.Items, toValueChainItem)
	return crm.Sale{
		ID: crm.SaleID(r.ID), Record: r.record(),
		VehicleID: crm.VehicleID(r.VehicleID), CustomerID: crm.CustomerID(r.CustomerID), LeadID: crm.LeadID(r.LeadID),
		ConsultantID: crm.StaffID(r.ConsultantID), Date: r.Date.date(), Price: r.Price, GrossProfit: r.GrossProfit,
		Items: items, TradeIn: r.TradeIn,
	}, err
}

func filterSales(q *bun.SelectQuery, f crm.SaleFilter) *bun.SelectQuery {
	q = whereEq(q, "customer_id", f.CustomerID)
	q = whereEq(q, "vehicle_id", f.VehicleID)
	q = whereEq(q, "consultant_id", f.ConsultantID)
	return whereDates(q, "date", f.Dates)
}

// ---- service orders

type serviceOrderRow struct {
	bun.BaseModel `bun:"table:service_orders,alias:t"`
	recordRow
	VehicleID  string          `bun:"vehicle_id,nullzero"`
	CustomerID string          `bun:"customer_id,nullzero"`
	Date       sqlDate         `bun:"date"`
	ClosedDate sqlDate         `bun:"closed_date"`
	OdometerKM int64           `bun:"odometer_km"`
	Kind       string          `bun:"kind"`
	Labour     decimal.Decimal `bun:"labour"`
	Parts      decimal.Decimal `bun:"parts"`
	Payer      string          `bun:"payer"`
	AdvisorID  string          `bun:"advisor_id,nullzero"`
	Complaint  bool            `bun:"complaint"`
}

func fromServiceOrder(v *crm.ServiceOrder) (serviceOrderRow, error) {
	return serviceOrderRow{
		recordRow: fromRecord(string(v.ID), &v.Record),
		VehicleID: string(v.VehicleID), CustomerID: string(v.CustomerID), Date: sqlDate(v.Date),
		ClosedDate: sqlDate(v.ClosedDate), OdometerKM: v.OdometerKM, Kind: string(v.Kind),
		Labour: v.Labour, Parts: v.Parts, Payer: string(v.Payer), AdvisorID: string(v.AdvisorID), Complaint: v.Complaint,
	}, nil
}

func toServiceOrder(r *serviceOrderRow) (crm.ServiceOrder, error) {
	return crm.ServiceOrder{
		ID: crm.ServiceOrderID(r.ID), Record: r.record(),
		VehicleID: crm.VehicleID(r.VehicleID), CustomerID: crm.CustomerID(r.CustomerID), Date: r.Date.date(),
		ClosedDate: r.ClosedDate.date(), OdometerKM: r.OdometerKM, Kind: crm.ServiceKind(r.Kind),
		Labour: r.Labour, Parts: r.Parts, Payer: crm.Payer(r.Payer), AdvisorID: crm.StaffID(r.AdvisorID), Complaint: r.Complaint,
	}, nil
}

func filterServiceOrders(q *bun.SelectQuery, f crm.ServiceOrderFilter) *bun.SelectQuery {
	q = whereEq(q, "customer_id", f.CustomerID)
	q = whereEq(q, "vehicle_id", f.VehicleID)
	q = whereEq(q, "advisor_id", f.AdvisorID)
	q = whereEq(q, "kind", f.Kind)
	return whereDates(q, "date", f.Dates)
}

// ---- insurance policies

type policyRow struct {
	bun.BaseModel `bun:"table:insurance_policies,alias:t"`
	recordRow
	VehicleID  string          `bun:"vehicle_id,nullzero"`
	CustomerID string          `bun:"customer_id,nullzero"`
	Kind       string          `bun:"kind"`
	Insurer    string          `bun:"insurer"`
	Start      sqlDate         `bun:"start_date"`
	End        sqlDate         `bun:"end_date"`
	Premium    decimal.Decimal `bun:"premium"`
	Renewal    bool            `bun:"renewal"`
}

func fromPolicy(v *crm.InsurancePolicy) (policyRow, error) {
	return policyRow{
		recordRow: fromRecord(string(v.ID), &v.Record),
		VehicleID: string(v.VehicleID), CustomerID: string(v.CustomerID), Kind: string(v.Kind), Insurer: v.Insurer,
		Start: sqlDate(v.Start), End: sqlDate(v.End), Premium: v.Premium, Renewal: v.Renewal,
	}, nil
}

func toPolicy(r *policyRow) (crm.InsurancePolicy, error) {
	return crm.InsurancePolicy{
		ID: crm.PolicyID(r.ID), Record: r.record(),
		VehicleID: crm.VehicleID(r.VehicleID), CustomerID: crm.CustomerID(r.CustomerID), Kind: crm.InsuranceKind(r.Kind),
		Insurer: r.Insurer, Start: r.Start.date(), End: r.End.date(), Premium: r.Premium, Renewal: r.Renewal,
	}, nil
}

func filterPolicies(q *bun.SelectQuery, f crm.PolicyFilter) *bun.SelectQuery {
	q = whereEq(q, "customer_id", f.CustomerID)
	q = whereEq(q, "vehicle_id", f.VehicleID)
	return whereDates(q, "end_date", f.Ends)
}

// ---- interactions

type interactionRow struct {
	bun.BaseModel `bun:"table:interactions,alias:t"`
	recordRow
	CustomerID string    `bun:"customer_id,nullzero"`
	LeadID     string    `bun:"lead_id,nullzero"`
	VehicleID  string    `bun:"vehicle_id,nullzero"`
	Channel    string    `bun:"channel"`
	Direction  string    `bun:"direction"`
	Purpose    string    `bun:"purpose"`
	Outcome    string    `bun:"outcome"`
	Note       string    `bun:"note"`
	StaffID    string    `bun:"staff_id,nullzero"`
	At         time.Time `bun:"at"`
	TaskKey    string    `bun:"task_key"`
}

func fromInteraction(v *crm.Interaction) (interactionRow, error) {
	return interactionRow{
		recordRow:  fromRecord(string(v.ID), &v.Record),
		CustomerID: string(v.CustomerID), LeadID: string(v.LeadID), VehicleID: string(v.VehicleID),
		Channel: string(v.Channel), Direction: string(v.Direction), Purpose: v.Purpose, Outcome: string(v.Outcome),
		Note: v.Note, StaffID: string(v.StaffID), At: dbTime(v.At), TaskKey: v.TaskKey,
	}, nil
}

func toInteraction(r *interactionRow) (crm.Interaction, error) {
	return crm.Interaction{
		ID: crm.InteractionID(r.ID), Record: r.record(),
		CustomerID: crm.CustomerID(r.CustomerID), LeadID: crm.LeadID(r.LeadID), VehicleID: crm.VehicleID(r.VehicleID),
		Channel: crm.Channel(r.Channel), Direction: crm.Direction(r.Direction), Purpose: r.Purpose,
		Outcome: crm.Outcome(r.Outcome), Note: r.Note, StaffID: crm.StaffID(r.StaffID), At: utc(r.At), TaskKey: r.TaskKey,
	}, nil
}

func filterInteractions(q *bun.SelectQuery, f crm.InteractionFilter) *bun.SelectQuery {
	q = whereEq(q, "customer_id", f.CustomerID)
	q = whereEq(q, "lead_id", f.LeadID)
	q = whereEq(q, "staff_id", f.StaffID)
	if !f.From.IsZero() {
		q = q.Where(`t."at" >= ?`, f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where(`t."at" < ?`, f.To.UTC())
	}
	return q
}

// ---- complaints

type complaintRow struct {
	bun.BaseModel `bun:"table:complaints,alias:t"`
	recordRow
	CustomerID     string  `bun:"customer_id,nullzero"`
	VehicleID      string  `bun:"vehicle_id,nullzero"`
	ServiceOrderID string  `bun:"service_order_id,nullzero"`
	Category       string  `bun:"category"`
	Severity       string  `bun:"severity"`
	Description    string  `bun:"description"`
	Status         string  `bun:"status"`
	Opened         sqlDate `bun:"opened"`
	Resolved       sqlDate `bun:"resolved"`
}

func fromComplaint(v *crm.Complaint) (complaintRow, error) {
	return complaintRow{
		recordRow:  fromRecord(string(v.ID), &v.Record),
		CustomerID: string(v.CustomerID), VehicleID: string(v.VehicleID), ServiceOrderID: string(v.ServiceOrderID),
		Category: v.Category, Severity: string(v.Severity), Description: v.Description, Status: string(v.Status),
		Opened: sqlDate(v.Opened), Resolved: sqlDate(v.Resolved),
	}, nil
}

func toComplaint(r *complaintRow) (crm.Complaint, error) {
	return crm.Complaint{
		ID: crm.ComplaintID(r.ID), Record: r.record(),
		CustomerID: crm.CustomerID(r.CustomerID), VehicleID: crm.VehicleID(r.VehicleID),
		ServiceOrderID: crm.ServiceOrderID(r.ServiceOrderID), Category: r.Category, Severity: crm.Severity(r.Severity),
		Description: r.Description, Status: crm.ComplaintStatus(r.Status), Opened: r.Opened.date(), Resolved: r.Resolved.date(),
	}, nil
}

func filterComplaints(q *bun.SelectQuery, f crm.ComplaintFilter) *bun.SelectQuery {
	q = whereEq(q, "customer_id", f.CustomerID)
	return whereEq(q, "status", f.Status)
}

// ---- event participations

type participationRow struct {
	bun.BaseModel `bun:"table:event_participations,alias:t"`
	recordRow
	CustomerID string  `bun:"customer_id,nullzero"`
	EventID    string  `bun:"event_id,nullzero"`
	EventName  string  `bun:"event_name"`
	Date       sqlDate `bun:"date"`
	Attended   bool    `bun:"attended"`
}

func fromParticipation(v *crm.EventParticipation) (participationRow, error) {
	return participationRow{
		recordRow:  fromRecord(string(v.ID), &v.Record),
		CustomerID: string(v.CustomerID), EventID: string(v.EventID), EventName: v.EventName,
		Date: sqlDate(v.Date), Attended: v.Attended,
	}, nil
}

func toParticipation(r *participationRow) (crm.EventParticipation, error) {
	return crm.EventParticipation{
		ID: crm.ParticipationID(r.ID), Record: r.record(),
		CustomerID: crm.CustomerID(r.CustomerID), EventID: crm.EventID(r.EventID), EventName: r.EventName,
		Date: r.Date.date(), Attended: r.Attended,
	}, nil
}

func filterParticipations(q *bun.SelectQuery, f crm.ParticipationFilter) *bun.SelectQuery {
	q = whereEq(q, "customer_id", f.CustomerID)
	return whereEq(q, "event_id", f.EventID)
}

// ---- the kinds

var (
	customerKind = &kind[crm.Customer, crm.CustomerID, crm.CustomerFilter, customerRow]{
		name: "customer", table: TableCustomers,
		id:    func(v *crm.Customer) *crm.CustomerID { return &v.ID },
		toRow: fromCustomer, fromRow: toCustomer, filter: filterCustomers,
		page:        func(f crm.CustomerFilter) crm.PageRequest { return f.PageRequest },
		searchFirst: func(f crm.CustomerFilter) bool { return f.Name != "" },
	}
	leadKind = &kind[crm.Lead, crm.LeadID, crm.LeadFilter, leadRow]{
		name: "lead", table: TableLeads,
		id:    func(v *crm.Lead) *crm.LeadID { return &v.ID },
		toRow: fromLead, fromRow: toLead, filter: filterLeads,
		page: func(f crm.LeadFilter) crm.PageRequest { return f.PageRequest },
	}
	vehicleKind = &kind[crm.Vehicle, crm.VehicleID, crm.VehicleFilter, vehicleRow]{
		name: "vehicle", table: TableVehicles,
		id:  func(v *crm.Vehicle) *crm.VehicleID { return &v.ID },
		alt: "vin", altOf: func(v *crm.Vehicle) string { return v.VIN },
		toRow: fromVehicle, fromRow: toVehicle, filter: filterVehicles,
		page:        func(f crm.VehicleFilter) crm.PageRequest { return f.PageRequest },
		searchFirst: func(f crm.VehicleFilter) bool { return f.Plate != "" },
	}
	saleKind = &kind[crm.Sale, crm.SaleID, crm.SaleFilter, saleRow]{
		name: "sale", table: TableSales,
		id:    func(v *crm.Sale) *crm.SaleID { return &v.ID },
		toRow: fromSale, fromRow: toSale, filter: filterSales,
		page: func(f crm.SaleFilter) crm.PageRequest { return f.PageRequest },
	}
	serviceOrderKind = &kind[crm.ServiceOrder, crm.ServiceOrderID, crm.ServiceOrderFilter, serviceOrderRow]{
		name: "service order", table: TableServiceOrders,
		id:    func(v *crm.ServiceOrder) *crm.ServiceOrderID { return &v.ID },
		toRow: fromServiceOrder, fromRow: toServiceOrder, filter: filterServiceOrders,
		page: func(f crm.ServiceOrderFilter) crm.PageRequest { return f.PageRequest },
	}
	policyKind = &kind[crm.InsurancePolicy, crm.PolicyID, crm.PolicyFilter, policyRow]{
		name: "insurance policy", table: TablePolicies,
		id:    func(v *crm.InsurancePolicy) *crm.PolicyID { return &v.ID },
		toRow: fromPolicy, fromRow: toPolicy, filter: filterPolicies,
		page: func(f crm.PolicyFilter) crm.PageRequest { return f.PageRequest },
	}
	interactionKind = &kind[crm.Interaction, crm.InteractionID, crm.InteractionFilter, interactionRow]{
		name: "interaction", table: TableInteractions,
		id:    func(v *crm.Interaction) *crm.InteractionID { return &v.ID },
		toRow: fromInteraction, fromRow: toInteraction, filter: filterInteractions,
		page: func(f crm.InteractionFilter) crm.PageRequest { return f.PageRequest },
	}
	complaintKind = &kind[crm.Complaint, crm.ComplaintID, crm.ComplaintFilter, complaintRow]{
		name: "complaint", table: TableComplaints,
		id:    func(v *crm.Complaint) *crm.ComplaintID { return &v.ID },
		toRow: fromComplaint, fromRow: toComplaint, filter: filterComplaints,
		page: func(f crm.ComplaintFilter) crm.PageRequest { return f.PageRequest },
	}
	participationKind = &kind[crm.EventParticipation, crm.ParticipationID, crm.ParticipationFilter, participationRow]{
		name: "event participation", table: TableParticipations,
		id:    func(v *crm.EventParticipation) *crm.ParticipationID { return &v.ID },
		toRow: fromParticipation, fromRow: toParticipation, filter: filterParticipations,
		page: func(f crm.ParticipationFilter) crm.PageRequest { return f.PageRequest },
	}
)
