// Enumerations of the crm model: typed strings with Valid and Parse.

package crm

import "slices"

// CustomerKind is the kind of customer: a private individual or a company (大客户, fleet).
type CustomerKind string

// The customer kind values.
const (
	Individual CustomerKind = "individual" // a private person
	Company    CustomerKind = "company"    // a company or fleet customer (大客户)
)

var allCustomerKinds = []CustomerKind{Individual, Company}

// CustomerKinds returns every CustomerKind value, in order.
func CustomerKinds() []CustomerKind { return slices.Clone(allCustomerKinds) }

// Valid reports whether v is a known CustomerKind.
func (v CustomerKind) Valid() bool { return slices.Contains(allCustomerKinds, v) }

// ParseCustomerKind returns s as a CustomerKind, or a *ValidationError.
func ParseCustomerKind(s string) (CustomerKind, error) {
	return ParseEnum("customer kind", s, allCustomerKinds)
}

// Gender is the gender of an individual customer.
type Gender string

// The gender values.
const (
	Male          Gender = "male"
	Female        Gender = "female"
	GenderUnknown Gender = "unknown" // not recorded
)

var allGenders = []Gender{Male, Female, GenderUnknown}

// Genders returns every Gender value, in order.
func Genders() []Gender { return slices.Clone(allGenders) }

// Valid reports whether v is a known Gender.
func (v Gender) Valid() bool { return slices.Contains(allGenders, v) }

// ParseGender returns s as a Gender, or a *ValidationError.
func ParseGender(s string) (Gender, error) { return ParseEnum("gender", s, allGenders) }

// BirthdayCalendar says which calendar a customer celebrates their
// birthday by. Customer.Birthday is the date of birth in the Gregorian
// calendar either way; with BirthdayLunar the customer keeps a lunar
// birthday 农历生日, the lunar month and day of that date (lifecycle
// converts it to each year's Gregorian date). Empty means BirthdaySolar.
type BirthdayCalendar string

// The birthday calendar values.
const (
	BirthdaySolar BirthdayCalendar = "solar" // the Gregorian date of birth, every year
	BirthdayLunar BirthdayCalendar = "lunar" // the lunar month and day of birth, every lunar year
)

var allBirthdayCalendars = []BirthdayCalendar{BirthdaySolar, BirthdayLunar}

// BirthdayCalendars returns every BirthdayCalendar value, in order.
func BirthdayCalendars() []BirthdayCalendar { return slices.Clone(allBirthdayCalendars) }

// Valid reports whether v is a known BirthdayCalendar.
func (v BirthdayCalendar) Valid() bool { return slices.Contains(allBirthdayCalendars, v) }

// ParseBirthdayCalendar returns s as a BirthdayCalendar, or a *ValidationError.
func ParseBirthdayCalendar(s string) (BirthdayCalendar, error) {
	return ParseEnum("birthday_calendar", s, allBirthdayCalendars)
}

// FamilyStage is the family life stage of an individual customer, used for care campaigns.
type FamilyStage string

// The family stage values.
const (
	Single         FamilyStage = "single"
	Couple         FamilyStage = "couple"          // a couple without children
	YoungChildren  FamilyStage = "young_children"  // children under 6
	SchoolChildren FamilyStage = "school_children" // children of school age
	AdultChildren  FamilyStage = "adult_children"  // grown-up children at home
	EmptyNest      FamilyStage = "empty_nest"      // children left home
	Retired        FamilyStage = "retired"
)

var allFamilyStages = []FamilyStage{Single, Couple, YoungChildren, SchoolChildren, AdultChildren, EmptyNest, Retired}

// FamilyStages returns every FamilyStage value, in order.
func FamilyStages() []FamilyStage { return slices.Clone(allFamilyStages) }

// Valid reports whether v is a known FamilyStage.
func (v FamilyStage) Valid() bool { return slices.Contains(allFamilyStages, v) }

// ParseFamilyStage returns s as a FamilyStage, or a *ValidationError.
func ParseFamilyStage(s string) (FamilyStage, error) {
	return ParseEnum("family stage", s, allFamilyStages)
}

// Source is the channel through which a lead or customer came (lead source).
type Source string

// The source values.
const (
	SourceWalkIn   Source = "walk_in"  // showroom walk-in 来店
	SourceCallIn   Source = "call_in"  // phone call-in 来电
	SourceWeb      Source = "web"      // website, app or online platform
	SourceReferral Source = "referral" // introduced by a customer 介绍
	SourceEvent    Source = "event"    // an event or exhibition
	SourceDM       Source = "dm"       // direct mail or other direct marketing
	SourceBroker   Source = "broker"   // a broker or secondary dealer
	SourceOther    Source = "other"
)

var allSources = []Source{SourceWalkIn, SourceCallIn, SourceWeb, SourceReferral, SourceEvent, SourceDM, SourceBroker, SourceOther}

// Sources returns every Source value, in order.
func Sources() []Source { return slices.Clone(allSources) }

// Valid reports whether v is a known Source.
func (v Source) Valid() bool { return slices.Contains(allSources, v) }

// ParseSource returns s as a Source, or a *ValidationError.
func ParseSource(s string) (Source, error) { return ParseEnum("source", s, allSources) }

// IntentLevel is the purchase intent level of a lead (SPEC §1.1).
type IntentLevel string

// The intent level values.
const (
	LevelH IntentLevel = "H" // expected to close in 0–7 days
	LevelA IntentLevel = "A" // expected to close in 7–15 days
	LevelB IntentLevel = "B" // expected to close in 15–30 days
	LevelC IntentLevel = "C" // expected to close in 30–90 days
	LevelN IntentLevel = "N" // over 90 days or not yet known
	LevelO IntentLevel = "O" // ordered
	LevelD IntentLevel = "D" // delivered: converted to a customer with a sale
	LevelF IntentLevel = "F" // lost 战败
)

var allIntentLevels = []IntentLevel{LevelH, LevelA, LevelB, LevelC, LevelN, LevelO, LevelD, LevelF}

// IntentLevels returns every IntentLevel value, in order.
func IntentLevels() []IntentLevel { return slices.Clone(allIntentLevels) }

// Valid reports whether v is a known IntentLevel.
func (v IntentLevel) Valid() bool { return slices.Contains(allIntentLevels, v) }

// ParseIntentLevel returns s as a IntentLevel, or a *ValidationError.
func ParseIntentLevel(s string) (IntentLevel, error) {
	return ParseEnum("intent level", s, allIntentLevels)
}

// LeadStatus is the status of a lead: open until converted or lost.
type LeadStatus string

// The lead status values.
const (
	LeadOpen      LeadStatus = "open"
	LeadConverted LeadStatus = "converted" // became a customer with a sale (C卡)
	LeadLost      LeadStatus = "lost"      // 战败, approved by a manager
)

var allLeadStatuses = []LeadStatus{LeadOpen, LeadConverted, LeadLost}

// LeadStatuses returns every LeadStatus value, in order.
func LeadStatuses() []LeadStatus { return slices.Clone(allLeadStatuses) }

// Valid reports whether v is a known LeadStatus.
func (v LeadStatus) Valid() bool { return slices.Contains(allLeadStatuses, v) }

// ParseLeadStatus returns s as a LeadStatus, or a *ValidationError.
func ParseLeadStatus(s string) (LeadStatus, error) {
	return ParseEnum("lead status", s, allLeadStatuses)
}

// PurchaseKind says whether a lead is a first purchase or an existing customer's additional or replacement purchase.
type PurchaseKind string

// The purchase kind values.
const (
	FirstPurchase       PurchaseKind = "first"
	AddPurchase         PurchaseKind = "add"         // 增购: an additional car for an existing customer
	ReplacementPurchase PurchaseKind = "replacement" // 换购: replaces an existing customer's car
)

var allPurchaseKinds = []PurchaseKind{FirstPurchase, AddPurchase, ReplacementPurchase}

// PurchaseKinds returns every PurchaseKind value, in order.
func PurchaseKinds() []PurchaseKind { return slices.Clone(allPurchaseKinds) }

// Valid reports whether v is a known PurchaseKind.
func (v PurchaseKind) Valid() bool { return slices.Contains(allPurchaseKinds, v) }

// ParsePurchaseKind returns s as a PurchaseKind, or a *ValidationError.
func ParsePurchaseKind(s string) (PurchaseKind, error) {
	return ParseEnum("purchase kind", s, allPurchaseKinds)
}

// LostReason says why a lead was lost (战败).
type LostReason string

// The lost reason values.
const (
	LostCompetitor  LostReason = "competitor"   // bought a competitor's car
	LostOtherDealer LostReason = "other_dealer" // bought the brand at another dealer
	LostFrozen      LostReason = "frozen"       // plan frozen or postponed
	LostNoBudget    LostReason = "no_budget"    // no budget
	LostUnreachable LostReason = "unreachable"  // cannot be reached
	LostOther       LostReason = "other"
)

var allLostReasons = []LostReason{LostCompetitor, LostOtherDealer, LostFrozen, LostNoBudget, LostUnreachable, LostOther}

// LostReasons returns every LostReason value, in order.
func LostReasons() []LostReason { return slices.Clone(allLostReasons) }

// Valid reports whether v is a known LostReason.
func (v LostReason) Valid() bool { return slices.Contains(allLostReasons, v) }

// ParseLostReason returns s as a LostReason, or a *ValidationError.
func ParseLostReason(s string) (LostReason, error) {
	return ParseEnum("lost reason", s, allLostReasons)
}

// Decision is a manager's decision on a request.
type Decision string

// The decision values.
const (
	Pending  Decision = "pending"
	Approved Decision = "approved"
	Rejected Decision = "rejected"
)

var allDecisions = []Decision{Pending, Approved, Rejected}

// Decisions returns every Decision value, in order.
func Decisions() []Decision { return slices.Clone(allDecisions) }

// Valid reports whether v is a known Decision.
func (v Decision) Valid() bool { return slices.Contains(allDecisions, v) }

// ParseDecision returns s as a Decision, or a *ValidationError.
func ParseDecision(s string) (Decision, error) { return ParseEnum("decision", s, allDecisions) }

// Purpose is the purpose a customer consents to be contacted for (PIPL).
type Purpose string

// The consent purpose values.
const (
	PurposeMarketing       Purpose = "marketing"
	PurposeServiceReminder Purpose = "service_reminder"
	PurposeSurvey          Purpose = "survey" // satisfaction surveys
	PurposeRecall          Purpose = "recall" // safety recalls
)

var allPurposes = []Purpose{PurposeMarketing, PurposeServiceReminder, PurposeSurvey, PurposeRecall}

// Purposes returns every Purpose value, in order.
func Purposes() []Purpose { return slices.Clone(allPurposes) }

// Valid reports whether v is a known Purpose.
func (v Purpose) Valid() bool { return slices.Contains(allPurposes, v) }

// ParsePurpose returns s as a Purpose, or a *ValidationError.
func ParsePurpose(s string) (Purpose, error) { return ParseEnum("consent purpose", s, allPurposes) }

// Channel is the contact channel.
type Channel string

// The channel values.
const (
	ChannelPhone  Channel = "phone"
	ChannelSMS    Channel = "sms"
	ChannelWeChat Channel = "wechat"
	ChannelEmail  Channel = "email"
	ChannelVisit  Channel = "visit" // in person, at the store or a visit
)

var allChannels = []Channel{ChannelPhone, ChannelSMS, ChannelWeChat, ChannelEmail, ChannelVisit}

// Channels returns every Channel value, in order.
func Channels() []Channel { return slices.Clone(allChannels) }

// Valid reports whether v is a known Channel.
func (v Channel) Valid() bool { return slices.Contains(allChannels, v) }

// ParseChannel returns s as a Channel, or a *ValidationError.
func ParseChannel(s string) (Channel, error) { return ParseEnum("channel", s, allChannels) }

// OdometerSource says where an odometer reading came from.
type OdometerSource string

// The odometer source values.
const (
	OdometerService    OdometerSource = "service"    // read at a service visit
	OdometerCustomer   OdometerSource = "customer"   // told by the customer
	OdometerTelematics OdometerSource = "telematics" // connected-car data
	OdometerSale       OdometerSource = "sale"       // at delivery
)

var allOdometerSources = []OdometerSource{OdometerService, OdometerCustomer, OdometerTelematics, OdometerSale}

// OdometerSources returns every OdometerSource value, in order.
func OdometerSources() []OdometerSource { return slices.Clone(allOdometerSources) }

// Valid reports whether v is a known OdometerSource.
func (v OdometerSource) Valid() bool { return slices.Contains(allOdometerSources, v) }

// ParseOdometerSource returns s as a OdometerSource, or a *ValidationError.
func ParseOdometerSource(s string) (OdometerSource, error) {
	return ParseEnum("odometer source", s, allOdometerSources)
}

// ValueChainKind is the kind of value-chain item sold with a car.
type ValueChainKind string

// The value chain kind values.
const (
	ItemAccessory        ValueChainKind = "accessory" // 精品
	ItemInsurance        ValueChainKind = "insurance"
	ItemFinance          ValueChainKind = "finance"
	ItemExtendedWarranty ValueChainKind = "extended_warranty"
	ItemRegistration     ValueChainKind = "registration" // licensing service 上牌
)

var allValueChainKinds = []ValueChainKind{ItemAccessory, ItemInsurance, ItemFinance, ItemExtendedWarranty, ItemRegistration}

// ValueChainKinds returns every ValueChainKind value, in order.
func ValueChainKinds() []ValueChainKind { return slices.Clone(allValueChainKinds) }

// Valid reports whether v is a known ValueChainKind.
func (v ValueChainKind) Valid() bool { return slices.Contains(allValueChainKinds, v) }

// ParseValueChainKind returns s as a ValueChainKind, or a *ValidationError.
func ParseValueChainKind(s string) (ValueChainKind, error) {
	return ParseEnum("value chain kind", s, allValueChainKinds)
}

// ServiceKind is the kind of service order 维修工单.
type ServiceKind string

// The service kind values.
const (
	ServiceFirstMaintenance ServiceKind = "first_maintenance" // 首保, the free first maintenance
	ServiceMaintenance      ServiceKind = "maintenance"       // 定保, regular maintenance
	ServiceRepair           ServiceKind = "repair"            // general repair
	ServiceAccident         ServiceKind = "accident"          // accident repair
	ServiceWarranty         ServiceKind = "warranty"          // warranty repair
	ServiceAccessory        ServiceKind = "accessory_install" // accessory installation
)

var allServiceKinds = []ServiceKind{ServiceFirstMaintenance, ServiceMaintenance, ServiceRepair, ServiceAccident, ServiceWarranty, ServiceAccessory}

// ServiceKinds returns every ServiceKind value, in order.
func ServiceKinds() []ServiceKind { return slices.Clone(allServiceKinds) }

// Valid reports whether v is a known ServiceKind.
func (v ServiceKind) Valid() bool { return slices.Contains(allServiceKinds, v) }

// ParseServiceKind returns s as a ServiceKind, or a *ValidationError.
func ParseServiceKind(s string) (ServiceKind, error) {
	return ParseEnum("service kind", s, allServiceKinds)
}

// Payer says who pays a service order.
type Payer string

// The payer values.
const (
	PayerCustomer     Payer = "customer"
	PayerInsurer      Payer = "insurer"
	PayerManufacturer Payer = "manufacturer" // OEM warranty claim
	PayerDealer       Payer = "dealer"       // goodwill paid by the dealer
)

var allPayers = []Payer{PayerCustomer, PayerInsurer, PayerManufacturer, PayerDealer}

// Payers returns every Payer value, in order.
func Payers() []Payer { return slices.Clone(allPayers) }

// Valid reports whether v is a known Payer.
func (v Payer) Valid() bool { return slices.Contains(allPayers, v) }

// ParsePayer returns s as a Payer, or a *ValidationError.
func ParsePayer(s string) (Payer, error) { return ParseEnum("payer", s, allPayers) }

// InsuranceKind is the kind of motor insurance policy.
type InsuranceKind string

// The insurance kind values.
const (
	Compulsory InsuranceKind = "compulsory" // 交强险
	Commercial InsuranceKind = "commercial" // 商业险
)

var allInsuranceKinds = []InsuranceKind{Compulsory, Commercial}

// InsuranceKinds returns every InsuranceKind value, in order.
func InsuranceKinds() []InsuranceKind { return slices.Clone(allInsuranceKinds) }

// Valid reports whether v is a known InsuranceKind.
func (v InsuranceKind) Valid() bool { return slices.Contains(allInsuranceKinds, v) }

// ParseInsuranceKind returns s as a InsuranceKind, or a *ValidationError.
func ParseInsuranceKind(s string) (InsuranceKind, error) {
	return ParseEnum("insurance kind", s, allInsuranceKinds)
}

// Direction is the direction of an interaction.
type Direction string

// The direction values.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

var allDirections = []Direction{Inbound, Outbound}

// Directions returns every Direction value, in order.
func Directions() []Direction { return slices.Clone(allDirections) }

// Valid reports whether v is a known Direction.
func (v Direction) Valid() bool { return slices.Contains(allDirections, v) }

// ParseDirection returns s as a Direction, or a *ValidationError.
func ParseDirection(s string) (Direction, error) { return ParseEnum("direction", s, allDirections) }

// Outcome is the outcome of an interaction.
type Outcome string

// The outcome values.
const (
	OutcomeReached     Outcome = "reached"
	OutcomeNoAnswer    Outcome = "no_answer"
	OutcomeRefused     Outcome = "refused"
	OutcomeAppointment Outcome = "appointment_booked"
)

var allOutcomes = []Outcome{OutcomeReached, OutcomeNoAnswer, OutcomeRefused, OutcomeAppointment}

// Outcomes returns every Outcome value, in order.
func Outcomes() []Outcome { return slices.Clone(allOutcomes) }

// Valid reports whether v is a known Outcome.
func (v Outcome) Valid() bool { return slices.Contains(allOutcomes, v) }

// ParseOutcome returns s as a Outcome, or a *ValidationError.
func ParseOutcome(s string) (Outcome, error) { return ParseEnum("outcome", s, allOutcomes) }

// Severity is the severity of a complaint.
type Severity string

// The severity values.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var allSeverities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Severities returns every Severity value, in order.
func Severities() []Severity { return slices.Clone(allSeverities) }

// Valid reports whether v is a known Severity.
func (v Severity) Valid() bool { return slices.Contains(allSeverities, v) }

// ParseSeverity returns s as a Severity, or a *ValidationError.
func ParseSeverity(s string) (Severity, error) { return ParseEnum("severity", s, allSeverities) }

// ComplaintStatus is the status of a complaint.
type ComplaintStatus string

// The complaint status values.
const (
	ComplaintOpen       ComplaintStatus = "open"
	ComplaintInProgress ComplaintStatus = "in_progress"
	ComplaintResolved   ComplaintStatus = "resolved"
	ComplaintClosed     ComplaintStatus = "closed"
)

var allComplaintStatuses = []ComplaintStatus{ComplaintOpen, ComplaintInProgress, ComplaintResolved, ComplaintClosed}

// ComplaintStatuses returns every ComplaintStatus value, in order.
func ComplaintStatuses() []ComplaintStatus { return slices.Clone(allComplaintStatuses) }

// Valid reports whether v is a known ComplaintStatus.
func (v ComplaintStatus) Valid() bool { return slices.Contains(allComplaintStatuses, v) }

// ParseComplaintStatus returns s as a ComplaintStatus, or a *ValidationError.
func ParseComplaintStatus(s string) (ComplaintStatus, error) {
	return ParseEnum("complaint status", s, allComplaintStatuses)
}
