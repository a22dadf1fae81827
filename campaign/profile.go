package campaign

import (
	"context"
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Profile is the campaign's per-customer snapshot of every attribute a
// segment can test: the crm record (gender, birthday, family, region,
// hobbies, consents), the main vehicle (the one bought last), the latest
// service visit, and the derived attributes other packages compute
// (lifecycle stage and abnormal classes, value grade, loyalty tier, tags).
// Service.RefreshProfiles rebuilds the snapshots; memory evaluation and the
// SQL translation both read them, so they agree by construction.
type Profile struct {
	DealerID    crm.DealerID    `json:"dealer_id"`
	CustomerID  crm.CustomerID  `json:"customer_id"`
	Gender      crm.Gender      `json:"gender,omitempty"`
	Birthday    dealercrm.Date  `json:"birthday"`
	FamilyStage crm.FamilyStage `json:"family_stage,omitempty"`
	Hobbies     []string        `json:"hobbies,omitempty"`
	Province    string          `json:"province,omitempty"`
	City        string          `json:"city,omitempty"`
	District    string          `json:"district,omitempty"`
	Occupation  string          `json:"occupation,omitempty"`
	// VehicleModel and VehicleDate (purchase, else delivery date) describe
	// the main vehicle; OdometerKM is its latest reading, taken on
	// OdometerAt (zero when there is none).
	VehicleModel string         `json:"vehicle_model,omitempty"`
	VehicleDate  dealercrm.Date `json:"vehicle_date"`
	OdometerKM   int64          `json:"odometer_km"`
	OdometerAt   dealercrm.Date `json:"odometer_at"`
	// LastVisit is the date of the latest service order.
	LastVisit dealercrm.Date `json:"last_visit"`
	Stage     string         `json:"stage,omitempty"`
	Grade     string         `json:"grade,omitempty"`
	Tier      string         `json:"tier,omitempty"`
	Abnormal  []string       `json:"abnormal,omitempty"`
	Tags      []string       `json:"tags,omitempty"`
	// Consents are the granted consents as "purpose:channel" (ConsentKey).
	Consents []string `json:"consents,omitempty"`
	// ConsultantID is the sales consultant in charge.
	ConsultantID crm.StaffID `json:"consultant_id,omitempty"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// Clone returns a deep copy of p.
func (p *Profile) Clone() Profile {
	q := *p
	q.Hobbies = slices.Clone(p.Hobbies)
	q.Abnormal = slices.Clone(p.Abnormal)
	q.Tags = slices.Clone(p.Tags)
	q.Consents = slices.Clone(p.Consents)
	return q
}

// Allows reports whether the profile records consent for purpose on channel.
func (p *Profile) Allows(purpose crm.Purpose, ch crm.Channel) bool {
	return slices.Contains(p.Consents, ConsentKey(purpose, ch))
}

// Attributes are the derived attributes of one customer that other
// packages compute. An empty field is unknown.
type Attributes struct {
	Stage    string
	Grade    string
	Tier     string
	Abnormal []string
	Tags     []string
}

// AttributeSource feeds derived attributes into RefreshProfiles: grading
// (the grade), lifecycle (stage and abnormal classes), loyalty (the tier),
// a host's own tags (Grades, Lifecycle and Tiers adapt the packages'
// services; AttributeFunc adapts a function). Attributes from several
// sources are merged: a non-empty field wins, lists are appended.
type AttributeSource interface {
	// EachAttributes calls fn with the attributes of the dealer's
	// customers as of asOf, in any order; an error from fn stops it.
	EachAttributes(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, fn func(crm.CustomerID, Attributes) error) error
}

// AttributeFunc adapts a function to an AttributeSource.
type AttributeFunc func(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, fn func(crm.CustomerID, Attributes) error) error

// EachAttributes implements AttributeSource.
func (f AttributeFunc) EachAttributes(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, fn func(crm.CustomerID, Attributes) error) error {
	return f(ctx, dealer, asOf, fn)
}

// profileOf builds the crm part of a customer's profile.
func profileOf(c *crm.Customer) Profile {
	p := Profile{DealerID: c.DealerID, CustomerID: c.ID, Gender: c.Gender, Birthday: c.Birthday, FamilyStage: c.FamilyStage,
		Hobbies: slices.Clone(c.Hobbies), Province: c.Region.Province, City: c.Region.City, District: c.Region.District,
		Occupation: c.Occupation, ConsultantID: c.ConsultantID}
	for _, cs := range c.Consents {
		if cs.Granted {
			p.Consents = append(p.Consents, ConsentKey(cs.Purpose, cs.Channel))
		}
	}
	slices.Sort(p.Consents)
	return p
}

// vehicleDate is the date a vehicle's age counts from.
func vehicleDate(v *crm.Vehicle) dealercrm.Date {
	if !v.PurchaseDate.IsZero() {
		return v.PurchaseDate
	}
	if !v.DeliveryDate.IsZero() {
		return v.DeliveryDate
	}
	return v.RegistrationDate
}

func merge(p *Profile, a Attributes) {
	if a.Stage != "" {
		p.Stage = a.Stage
	}
	if a.Grade != "" {
		p.Grade = a.Grade
	}
	if a.Tier != "" {
		p.Tier = a.Tier
	}
	for _, x := range a.Abnormal {
		if x != "" && !slices.Contains(p.Abnormal, x) {
			p.Abnormal = append(p.Abnormal, x)
		}
	}
	for _, x := range a.Tags {
		if x != "" && !slices.Contains(p.Tags, x) {
			p.Tags = append(p.Tags, x)
		}
	}
}
