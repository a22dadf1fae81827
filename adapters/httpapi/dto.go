package httpapi

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Request types. Responses are the crm records themselves (their JSON tags
// are part of the crm API, and the OpenAPI schemas are generated from them),
// but request bodies decode into the types below, which hold only what a
// client may write. Each entity's input type serves both its POST (create)
// and its PATCH (the merge patch is applied to the input view of the stored
// record). TestInputsCoverRecords checks that every field of a record is
// writable, server-set or derived, so a field added to crm cannot be
// forgotten here.

// serverFields are the fields every record carries that only the server
// sets. Bodies may carry them; they are ignored.
type serverFields struct {
	ID        json.RawMessage `json:"id,omitempty" api:"server"`
	DealerID  json.RawMessage `json:"dealer_id,omitempty" api:"server"`
	CreatedAt json.RawMessage `json:"created_at,omitempty" api:"server"`
	UpdatedAt json.RawMessage `json:"updated_at,omitempty" api:"server"`
}

// customerInput is the writable part of a crm.Customer.
type customerInput struct {
	serverFields
	ExternalID   string           `json:"external_id,omitempty"`
	Kind         crm.CustomerKind `json:"kind,omitempty"`
	Name         string           `json:"name"`
	Mobile       string           `json:"mobile,omitempty"`
	IDNumber     string           `json:"id_number,omitempty"`
	Gender       crm.Gender       `json:"gender,omitempty"`
	Birthday     dealercrm.Date   `json:"birthday"`
	FamilyStage  crm.FamilyStage  `json:"family_stage,omitempty"`
	Region       crm.Region       `json:"region"`
	Occupation   string           `json:"occupation,omitempty"`
	Industry     string           `json:"industry,omitempty"`
	IncomeBand   string           `json:"income_band,omitempty"`
	Hobbies      []string         `json:"hobbies,omitempty"`
	Source       crm.Source       `json:"source,omitempty"`
	ConsultantID crm.StaffID      `json:"consultant_id,omitempty"`
	AdvisorID    crm.StaffID      `json:"advisor_id,omitempty"`
	Consents     json.RawMessage  `json:"consents,omitempty" api:"derived" hint:"record answers with POST /v1/customers/{id}/consents"`

	// BirthdayCalendar is crm.Customer.BirthdayCalendar (issue 14).
	BirthdayCalendar crm.BirthdayCalendar `json:"birthday_calendar,omitempty"`
	// MergedInto is crm.Customer.MergedInto (issue 17): only a merge sets it.
	MergedInto json.RawMessage `json:"merged_into,omitempty" api:"derived" hint:"set by POST /v1/customers/{id}/merge"`
}

func customerView(v *crm.Customer) customerInput {
	return customerInput{
		ExternalID: v.ExternalID, Kind: v.Kind, Name: v.Name, Mobile: v.Mobile, IDNumber: v.IDNumber, Gender: v.Gender,
		Birthday: v.Birthday, BirthdayCalendar: v.BirthdayCalendar, FamilyStage: v.FamilyStage, Region: v.Region, Occupation: v.Occupation,
		Industry: v.Industry, IncomeBand: v.IncomeBand, Hobbies: v.Hobbies, Source: v.Source,
		ConsultantID: v.ConsultantID, AdvisorID: v.AdvisorID,
	}
}

func (in *customerInput) apply(v *crm.Customer) {
	v.ExternalID, v.Kind, v.Name, v.Mobile, v.IDNumber, v.Gender = in.ExternalID, in.Kind, in.Name, in.Mobile, in.IDNumber, in.Gender
	v.Birthday, v.BirthdayCalendar, v.FamilyStage, v.Region, v.Occupation = in.Birthday, in.BirthdayCalendar, in.FamilyStage, in.Region, in.Occupation
	v.Industry, v.IncomeBand, v.Hobbies, v.Source = in.Industry, in.IncomeBand, in.Hobbies, in.Source
	v.ConsultantID, v.AdvisorID = in.ConsultantID, in.AdvisorID
}

// leadInput is the writable part of a crm.Lead. Level may be set on
// creation (an open level); a PATCH that changes it is rejected by the
// Service (422, rule immutable).
type leadInput struct {
	serverFields
	ExternalID      string           `json:"external_id,omitempty"`
	Name            string           `json:"name"`
	Mobile          string           `json:"mobile,omitempty"`
	Level           crm.IntentLevel  `json:"level,omitempty"`
	ModelOfInterest string           `json:"model_of_interest,omitempty"`
	Source          crm.Source       `json:"source"`
	VisitTrigger    string           `json:"visit_trigger,omitempty"`
	Purchase        crm.PurchaseKind `json:"purchase,omitempty"`
	ExpectedClose   dealercrm.Date   `json:"expected_close"`
	ConsultantID    crm.StaffID      `json:"consultant_id,omitempty"`
	CustomerID      crm.CustomerID   `json:"customer_id,omitempty"`
	ReferrerID      crm.CustomerID   `json:"referrer_id,omitempty"`
	Status          json.RawMessage  `json:"status,omitempty" api:"derived" hint:"changes through POST /v1/leads/{id}/lost-decision and /convert"`
	SaleID          json.RawMessage  `json:"sale_id,omitempty" api:"derived" hint:"set by POST /v1/leads/{id}/convert"`
	FollowUps       json.RawMessage  `json:"follow_ups,omitempty" api:"derived" hint:"append with POST /v1/leads/{id}/follow-ups"`
	LastContactAt   json.RawMessage  `json:"last_contact_at,omitempty" api:"derived" hint:"set by POST /v1/leads/{id}/follow-ups"`
	NextFollowUpAt  json.RawMessage  `json:"next_follow_up_at,omitempty" api:"derived" hint:"scheduled from the level's cadence"`
	LostRequests    json.RawMessage  `json:"lost_requests,omitempty" api:"derived" hint:"file with POST /v1/leads/{id}/lost-request"`
	LostReason      json.RawMessage  `json:"lost_reason,omitempty" api:"derived" hint:"set by an approved lost request"`
}

func leadView(v *crm.Lead) leadInput {
	return leadInput{
		ExternalID: v.ExternalID, Name: v.Name, Mobile: v.Mobile, Level: v.Level,
		ModelOfInterest: v.ModelOfInterest, Source: v.Source, VisitTrigger: v.VisitTrigger,
		Purchase: v.Purchase, ExpectedClose: v.ExpectedClose, ConsultantID: v.ConsultantID,
		CustomerID: v.CustomerID, ReferrerID: v.ReferrerID,
	}
}

func (in *leadInput) apply(v *crm.Lead) {
	v.ExternalID, v.Name, v.Mobile, v.Level = in.ExternalID, in.Name, in.Mobile, in.Level
	v.ModelOfInterest, v.Source, v.VisitTrigger = in.ModelOfInterest, in.Source, in.VisitTrigger
	v.Purchase, v.ExpectedClose, v.ConsultantID = in.Purchase, in.ExpectedClose, in.ConsultantID
	v.CustomerID, v.ReferrerID = in.CustomerID, in.ReferrerID
}

// vehicleInput is the writable part of a crm.Vehicle.
type vehicleInput struct {
	serverFields
	ExternalID       string                `json:"external_id,omitempty"`
	VIN              string                `json:"vin"`
	Plate            string                `json:"plate,omitempty"`
	Brand            string                `json:"brand,omitempty"`
	Model            string                `json:"model"`
	Trim             string                `json:"trim,omitempty"`
	OwnerID          crm.CustomerID        `json:"owner_id,omitempty"`
	PurchaseDate     dealercrm.Date        `json:"purchase_date"`
	DeliveryDate     dealercrm.Date        `json:"delivery_date"`
	RegistrationDate dealercrm.Date        `json:"registration_date"`
	Price            decimal.Decimal       `json:"price"`
	Odometer         []crm.OdometerReading `json:"odometer,omitempty"`
}

func vehicleView(v *crm.Vehicle) vehicleInput {
	return vehicleInput{
		ExternalID: v.ExternalID, VIN: v.VIN, Plate: v.Plate, Brand: v.Brand, Model: v.Model, Trim: v.Trim,
		OwnerID: v.OwnerID, PurchaseDate: v.PurchaseDate, DeliveryDate: v.DeliveryDate,
		RegistrationDate: v.RegistrationDate, Price: v.Price, Odometer: v.Odometer,
	}
}

func (in *vehicleInput) apply(v *crm.Vehicle) {
	v.ExternalID, v.VIN, v.Plate, v.Brand, v.Model, v.Trim = in.ExternalID, in.VIN, in.Plate, in.Brand, in.Model, in.Trim
	v.OwnerID, v.PurchaseDate, v.DeliveryDate = in.OwnerID, in.PurchaseDate, in.DeliveryDate
	v.RegistrationDate, v.Price, v.Odometer = in.RegistrationDate, in.Price, in.Odometer
}

// saleInput is the writable part of a crm.Sale.
type saleInput struct {
	serverFields
	ExternalID   string               `json:"external_id,omitempty"`
	VehicleID    crm.VehicleID        `json:"vehicle_id"`
	CustomerID   crm.CustomerID       `json:"customer_id"`
	LeadID       crm.LeadID           `json:"lead_id,omitempty"`
	ConsultantID crm.StaffID          `json:"consultant_id,omitempty"`
	Date         dealercrm.Date       `json:"date"`
	Price        decimal.Decimal      `json:"price"`
	GrossProfit  decimal.Decimal      `json:"gross_profit"`
	Items        []crm.ValueChainItem `json:"items,omitempty"`
	TradeIn      bool                 `json:"trade_in"`
}

func saleView(v *crm.Sale) saleInput {
	return saleInput{
		ExternalID: v.ExternalID, VehicleID: v.VehicleID, CustomerID: v.CustomerID, LeadID: v.LeadID,
		ConsultantID: v.ConsultantID, Date: v.Date, Price: v.Price, GrossProfit: v.GrossProfit,
		Items: v.Items, TradeIn: v.TradeIn,
	}
}

func (in *saleInput) apply(v *crm.Sale) {
	v.ExternalID, v.VehicleID, v.CustomerID, v.LeadID = in.ExternalID, in.VehicleID, in.CustomerID, in.LeadID
	v.ConsultantID, v.Date, v.Price, v.GrossProfit = in.ConsultantID, in.Date, in.Price, in.GrossProfit
	v.Items, v.TradeIn = in.Items, in.TradeIn
}

// serviceOrderInput is the writable part of a crm.ServiceOrder.
type serviceOrderInput struct {
	serverFields
	ExternalID string          `json:"external_id,omitempty"`
	VehicleID  crm.VehicleID   `json:"vehicle_id"`
	CustomerID crm.CustomerID  `json:"customer_id,omitempty"`
	Date       dealercrm.Date  `json:"date"`
	ClosedDate dealercrm.Date  `json:"closed_date"`
	OdometerKM int64           `json:"odometer_km"`
	Kind       crm.ServiceKind `json:"kind"`
	Labour     decimal.Decimal `json:"labour"`
	Parts      decimal.Decimal `json:"parts"`
	Payer      crm.Payer       `json:"payer"`
	AdvisorID  crm.StaffID     `json:"advisor_id,omitempty"`
	Complaint  bool            `json:"complaint"`
}

func serviceOrderView(v *crm.ServiceOrder) serviceOrderInput {
	return serviceOrderInput{
		ExternalID: v.ExternalID, VehicleID: v.VehicleID, CustomerID: v.CustomerID, Date: v.Date,
		ClosedDate: v.ClosedDate, OdometerKM: v.OdometerKM, Kind: v.Kind, Labour: v.Labour,
		Parts: v.Parts, Payer: v.Payer, AdvisorID: v.AdvisorID, Complaint: v.Complaint,
	}
}

func (in *serviceOrderInput) apply(v *crm.ServiceOrder) {
	v.ExternalID, v.VehicleID, v.CustomerID, v.Date = in.ExternalID, in.VehicleID, in.CustomerID, in.Date
	v.ClosedDate, v.OdometerKM, v.Kind, v.Labour = in.ClosedDate, in.OdometerKM, in.Kind, in.Labour
	v.Parts, v.Payer, v.AdvisorID, v.Complaint = in.Parts, in.Payer, in.AdvisorID, in.Complaint
}

// policyInput is the writable part of a crm.InsurancePolicy.
type policyInput struct {
	serverFields
	ExternalID string            `json:"external_id,omitempty"`
	VehicleID  crm.VehicleID     `json:"vehicle_id"`
	CustomerID crm.CustomerID    `json:"customer_id,omitempty"`
	Kind       crm.InsuranceKind `json:"kind"`
	Insurer    string            `json:"insurer"`
	Start      dealercrm.Date    `json:"start"`
	End        dealercrm.Date    `json:"end"`
	Premium    decimal.Decimal   `json:"premium"`
	Renewal    bool              `json:"renewal"`
}

func policyView(v *crm.InsurancePolicy) policyInput {
	return policyInput{
		ExternalID: v.ExternalID, VehicleID: v.VehicleID, CustomerID: v.CustomerID, Kind: v.Kind,
		Insurer: v.Insurer, Start: v.Start, End: v.End, Premium: v.Premium, Renewal: v.Renewal,
	}
}

func (in *policyInput) apply(v *crm.InsurancePolicy) {
	v.ExternalID, v.VehicleID, v.CustomerID, v.Kind = in.ExternalID, in.VehicleID, in.CustomerID, in.Kind
	v.Insurer, v.Start, v.End, v.Premium, v.Renewal = in.Insurer, in.Start, in.End, in.Premium, in.Renewal
}

// interactionInput is the writable part of a crm.Interaction.
type interactionInput struct {
	serverFields
	ExternalID string         `json:"external_id,omitempty"`
	CustomerID crm.CustomerID `json:"customer_id,omitempty"`
	LeadID     crm.LeadID     `json:"lead_id,omitempty"`
	VehicleID  crm.VehicleID  `json:"vehicle_id,omitempty"`
	Channel    crm.Channel    `json:"channel"`
	Direction  crm.Direction  `json:"direction"`
	Purpose    string         `json:"purpose"`
	Outcome    crm.Outcome    `json:"outcome"`
	Note       string         `json:"note,omitempty"`
	// StaffID is who had the contact: the API key's own staff member, so
	// it may be left out, and must be that staff member when given (a
	// patch may set it only to that staff member).
	StaffID crm.StaffID `json:"staff_id,omitempty"`
	At      time.Time   `json:"at"`
	TaskKey string      `json:"task_key,omitempty"`
}

func interactionView(v *crm.Interaction) interactionInput {
	return interactionInput{
		ExternalID: v.ExternalID, CustomerID: v.CustomerID, LeadID: v.LeadID, VehicleID: v.VehicleID,
		Channel: v.Channel, Direction: v.Direction, Purpose: v.Purpose, Outcome: v.Outcome,
		Note: v.Note, StaffID: v.StaffID, At: v.At, TaskKey: v.TaskKey,
	}
}

func (in *interactionInput) apply(v *crm.Interaction) {
	v.ExternalID, v.CustomerID, v.LeadID, v.VehicleID = in.ExternalID, in.CustomerID, in.LeadID, in.VehicleID
	v.Channel, v.Direction, v.Purpose, v.Outcome = in.Channel, in.Direction, in.Purpose, in.Outcome
	v.Note, v.StaffID, v.At, v.TaskKey = in.Note, in.StaffID, in.At, in.TaskKey
}

// complaintInput is the writable part of a crm.Complaint. Status changes
// follow the complaint state machine (crm.ComplaintStatus.CanMove).
type complaintInput struct {
	serverFields
	ExternalID     string              `json:"external_id,omitempty"`
	CustomerID     crm.CustomerID      `json:"customer_id"`
	VehicleID      crm.VehicleID       `json:"vehicle_id,omitempty"`
	ServiceOrderID crm.ServiceOrderID  `json:"service_order_id,omitempty"`
	Category       string              `json:"category"`
	Severity       crm.Severity        `json:"severity"`
	Description    string              `json:"description,omitempty"`
	Status         crm.ComplaintStatus `json:"status,omitempty"`
	Opened         dealercrm.Date      `json:"opened"`
	Resolved       dealercrm.Date      `json:"resolved"`
}

func complaintView(v *crm.Complaint) complaintInput {
	return complaintInput{
		ExternalID: v.ExternalID, CustomerID: v.CustomerID, VehicleID: v.VehicleID,
		ServiceOrderID: v.ServiceOrderID, Category: v.Category, Severity: v.Severity,
		Description: v.Description, Status: v.Status, Opened: v.Opened, Resolved: v.Resolved,
	}
}

func (in *complaintInput) apply(v *crm.Complaint) {
	v.ExternalID, v.CustomerID, v.VehicleID = in.ExternalID, in.CustomerID, in.VehicleID
	v.ServiceOrderID, v.Category, v.Severity = in.ServiceOrderID, in.Category, in.Severity
	v.Description, v.Status, v.Opened, v.Resolved = in.Description, in.Status, in.Opened, in.Resolved
}

// participationInput is the writable part of a crm.EventParticipation.
type participationInput struct {
	serverFields
	ExternalID string         `json:"external_id,omitempty"`
	CustomerID crm.CustomerID `json:"customer_id"`
	EventID    crm.EventID    `json:"event_id"`
	EventName  string         `json:"event_name,omitempty"`
	Date       dealercrm.Date `json:"date"`
	Attended   bool           `json:"attended"`
}

func participationView(v *crm.EventParticipation) participationInput {
	return participationInput{
		ExternalID: v.ExternalID, CustomerID: v.CustomerID, EventID: v.EventID,
		EventName: v.EventName, Date: v.Date, Attended: v.Attended,
	}
}

func (in *participationInput) apply(v *crm.EventParticipation) {
	v.ExternalID, v.CustomerID, v.EventID = in.ExternalID, in.CustomerID, in.EventID
	v.EventName, v.Date, v.Attended = in.EventName, in.Date, in.Attended
}

// dealerInput is the writable part of the key's own crm.Dealer. The group
// is read-only: joining a group opens group-level views, which a dealer's
// key must not grant itself.
type dealerInput struct {
	ID         json.RawMessage `json:"id,omitempty" api:"server"`
	CreatedAt  json.RawMessage `json:"created_at,omitempty" api:"server"`
	UpdatedAt  json.RawMessage `json:"updated_at,omitempty" api:"server"`
	ExternalID string          `json:"external_id,omitempty"`
	Name       string          `json:"name"`
	TimeZone   string          `json:"time_zone,omitempty"`
	Brands     []string        `json:"brands,omitempty"`
	LeadPolicy *crm.LeadPolicy `json:"lead_policy,omitempty"`
	GroupID    json.RawMessage `json:"group_id,omitempty" api:"derived" hint:"group membership is set by the operator, not through a dealer's key"`
}

func dealerView(d *crm.Dealer) dealerInput {
	return dealerInput{ExternalID: d.ExternalID, Name: d.Name, TimeZone: d.TimeZone, Brands: d.Brands, LeadPolicy: d.LeadPolicy}
}

func (in *dealerInput) apply(d *crm.Dealer) {
	d.ExternalID, d.Name, d.TimeZone, d.Brands, d.LeadPolicy = in.ExternalID, in.Name, in.TimeZone, in.Brands, in.LeadPolicy
}

// mergeInput names the customer to merge (POST /v1/customers/{id}/merge).
type mergeInput struct {
	// MergedID is the customer merged into the one of the path, which
	// survives.
	MergedID crm.CustomerID `json:"merged_id"`
}

// duplicateParams are the query parameters of GET /v1/customers/duplicates.
var duplicateParams = paged(func(f *crm.DuplicateFilter) *crm.PageRequest { return &f.PageRequest },
	enumParam("reason", "Keep the pairs that match for this reason.", func(f *crm.DuplicateFilter) *crm.DuplicateReason { return &f.Reason }),
	filterParam[crm.DuplicateFilter]{
		queryParam: queryParam{name: "min_score", typ: reflect.TypeFor[int](), doc: "Keep the pairs scoring at least this (0 to 100)."},
		set: func(f *crm.DuplicateFilter, s string) string {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 100 {
				return "must be an integer from 0 to 100"
			}
			f.MinScore = n
			return ""
		},
	})

// consentInput is one consent answer (POST /v1/customers/{id}/consents).
type consentInput struct {
	Purpose crm.Purpose `json:"purpose"`
	Channel crm.Channel `json:"channel"`
	Granted bool        `json:"granted"`
	// At is when the customer answered; now when omitted.
	At     time.Time `json:"at,omitzero"`
	Source string    `json:"source"`
}

func (in *consentInput) validate() error {
	var fs crm.Checker
	crm.CheckEnum(&fs, "purpose", in.Purpose, crm.Purpose.Valid, true)
	crm.CheckEnum(&fs, "channel", in.Channel, crm.Channel.Valid, true)
	required(&fs, "source", in.Source)
	return fs.Err("consent")
}

// levelInput is the body of POST /v1/leads/{id}/level.
type levelInput struct {
	Level crm.IntentLevel `json:"level"`
}

func (in *levelInput) validate() error {
	var fs crm.Checker
	crm.CheckEnum(&fs, "level", in.Level, crm.IntentLevel.Valid, true)
	return fs.Err("level change")
}

// followUpInput is the body of POST /v1/leads/{id}/follow-ups.
type followUpInput struct {
	// At is when the contact happened; now when omitted. It may not lie
	// after the dealer's today.
	At time.Time `json:"at,omitzero"`
	// StaffID is who made the contact: the API key's own staff member, so
	// it may be left out, and must be that staff member when given.
	StaffID crm.StaffID     `json:"staff_id,omitempty"`
	Channel crm.Channel     `json:"channel"`
	Note    string          `json:"note,omitempty"`
	Level   crm.IntentLevel `json:"level,omitempty"`
	Visit   bool            `json:"visit,omitempty"`
	// ExpectedClose is a new expected close date; the lead's level then
	// follows it by the dealer's windows.
	ExpectedClose dealercrm.Date `json:"expected_close,omitzero"`
}

func (in *followUpInput) validate() error {
	var fs crm.Checker
	crm.CheckEnum(&fs, "channel", in.Channel, crm.Channel.Valid, true)
	crm.CheckEnum(&fs, "level", in.Level, crm.IntentLevel.Valid, false)
	return fs.Err("follow-up")
}

// lostRequestInput is the body of POST /v1/leads/{id}/lost-request.
type lostRequestInput struct {
	Reason crm.LostReason `json:"reason"`
	Note   string         `json:"note,omitempty"`
	// RequestedBy is the member of staff asking: the API key's own, so it
	// may be left out, and must be that staff member when given; required
	// with a system key without staff. The requester may not decide the
	// request.
	RequestedBy crm.StaffID `json:"requested_by,omitempty"`
}

// lostDecisionInput is the body of POST /v1/leads/{id}/lost-decision. The
// decision is spelled out rather than a boolean, so that a forgotten field
// is an error and not a rejection.
type lostDecisionInput struct {
	Decision crm.Decision `json:"decision"`
	// DecidedBy is the manager deciding: the API key's own staff member,
	// so it may be left out, and must be that staff member when given
	// (403 naming the field); required with a system key without staff.
	// It may not be who requested it (403, rule not_requester).
	DecidedBy crm.StaffID `json:"decided_by,omitempty"`
	Note      string      `json:"note,omitempty"`
}

func (in *lostDecisionInput) validate() error {
	var fs crm.Checker
	if in.Decision != crm.Approved && in.Decision != crm.Rejected {
		fs.Add("decision", crm.RuleEnum, `must be "approved" or "rejected"`)
	}
	return fs.Err("lost decision")
}

// conversionInput is the body of POST /v1/leads/{id}/convert (see
// crm.Conversion). References between the three records are set by the
// conversion.
type conversionInput struct {
	Customer customerInput `json:"customer"`
	Vehicle  vehicleInput  `json:"vehicle"`
	Sale     saleInput     `json:"sale"`
}

func (in *conversionInput) conversion() crm.Conversion {
	var conv crm.Conversion
	in.Customer.apply(&conv.Customer)
	in.Vehicle.apply(&conv.Vehicle)
	in.Sale.apply(&conv.Sale)
	return conv
}

// importReply is the answer of POST /v1/import.
type importReply struct {
	// Counts says how many records were created, updated and left unchanged.
	Counts importCounts `json:"counts"`
	// Results reports each record, per kind, in batch order.
	Results crm.ImportResult `json:"results"`
}

type importCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// health is the answer of GET /healthz.
type health struct {
	Status string `json:"status"`
}

// required adds a required error for field when v is empty.
func required(fs *crm.Checker, field, v string) {
	if v == "" {
		fs.Add(field, crm.RuleRequired, "is required")
	}
}
