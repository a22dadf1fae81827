package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// The fixed identities of the demo group. They do not depend on Options, so
// that API keys and dealer IDs can be written into documentation.
const (
	// GroupID is the dealer group 集团 both demo stores belong to.
	GroupID crm.GroupID = "demo-group"
	// GroupName is the group's display name.
	GroupName = "华东天澜汽车集团"
	// ShanghaiDealerID is the Shanghai store (store code SH01).
	ShanghaiDealerID crm.DealerID = "demo-sh01"
	// SuzhouDealerID is the Suzhou store (store code SZ01).
	SuzhouDealerID crm.DealerID = "demo-sz01"
	// ShanghaiAPIKey is the demo API key scoped to the Shanghai store.
	ShanghaiAPIKey = "demo-sh01-key"
	// SuzhouAPIKey is the demo API key scoped to the Suzhou store.
	SuzhouAPIKey = "demo-sz01-key"
	// ShanghaiManagerKey, ShanghaiCRKey and ShanghaiConsultantKey are
	// the demo keys of people of the Shanghai store: its sales manager
	// (SH01-SM01), its first CR specialist (SH01-CR01) and its first
	// sales consultant (SH01-SC01), with the roles manager, cr and
	// consultant (Principals).
	ShanghaiManagerKey    = "demo-sh01-manager-key"
	ShanghaiCRKey         = "demo-sh01-cr-key"
	ShanghaiConsultantKey = "demo-sh01-consultant-key"
	// GroupAdminKey is the demo key of the group's administrator: role
	// group_admin, acting from the Shanghai store.
	GroupAdminKey = "demo-group-admin-key"
)

// Defaults of Options.
const (
	// DefaultCustomers is the number of customers across the group when
	// Options.Customers is 0.
	DefaultCustomers = 500
	// MinCustomers is the smallest group Generate makes: fewer customers
	// could not cover every lifecycle stage and lead level.
	MinCustomers = 20
)

// DefaultToday is the anchor date used when Options.Today is zero, so that
// even a zero Options gives reproducible data.
var DefaultToday = dealercrm.NewDate(2025, 6, 30)

// Options controls Generate. The same Options always give the same Data.
type Options struct {
	// Seed selects one of many equally plausible data sets.
	Seed uint64 `json:"seed"`
	// Today is the anchor date: the history ends the day before it and
	// open leads and policies are current as of it. Zero means DefaultToday.
	Today dealercrm.Date `json:"today"`
	// Customers is the number of customers across the group, split evenly
	// between the two stores. Zero means DefaultCustomers; values below
	// MinCustomers are raised to it.
	Customers int `json:"customers"`
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.Today.IsZero() {
		o.Today = DefaultToday
	}
	if o.Customers == 0 {
		o.Customers = DefaultCustomers
	}
	o.Customers = max(o.Customers, MinCustomers)
	return o
}

// Role is a job in a store, used to assign records to staff.
type Role string

// The roles of the demo rosters.
const (
	RoleConsultant     Role = "sales_consultant" // 销售顾问
	RoleAdvisor        Role = "service_advisor"  // 服务顾问
	RoleCR             Role = "cr_specialist"    // 客服专员 of the CR department
	RoleSalesManager   Role = "sales_manager"    // 销售经理; decides lost (战败) requests
	RoleServiceManager Role = "service_manager"  // 售后经理
)

// Staff is a member of a demo store's staff. Records refer to staff by ID
// (crm.StaffID), as a DMS does.
type Staff struct {
	ID   crm.StaffID `json:"id"`
	Name string      `json:"name"`
	Role Role        `json:"role"`
}

// Data is a generated dealer group: two 4S stores of one brand with their
// staff and their history.
type Data struct {
	// Options are the options the data was generated with, defaults filled in.
	Options Options `json:"options"`
	// GroupID is the group both dealers belong to.
	GroupID crm.GroupID `json:"group_id"`
	// Dealers are the stores, Shanghai first.
	Dealers []DealerData `json:"dealers"`
}

// DealerData is one store of the demo group.
type DealerData struct {
	// Code is the store code that prefixes every external ID ("SH01").
	Code string `json:"code"`
	// Dealer is the dealer to create (see Seed).
	Dealer crm.Dealer `json:"dealer"`
	// APIKey is the fixed demo API key scoped to this dealer.
	APIKey string `json:"api_key"`
	// Staff is the store's roster; records refer to it by ID.
	Staff []Staff `json:"staff"`
	// Batch holds the store's records for crm.Service.Import: references
	// hold external IDs such as "SH01-C-00042".
	Batch crm.Batch `json:"batch"`
}

// Dealer returns the data of the dealer with id, and false when the group
// has none.
func (d Data) Dealer(id crm.DealerID) (DealerData, bool) {
	for _, dd := range d.Dealers {
		if dd.Dealer.ID == id {
			return dd, true
		}
	}
	return DealerData{}, false
}

// Generate builds the demo group for opts. It is pure: no clock, no I/O,
// no global random source; the same Options give identical Data.
func Generate(opts Options) Data {
	opts = opts.withDefaults()
	g := newGenerator(opts)
	data := Data{Options: opts, GroupID: GroupID}
	// Shanghai first: a few of its customers move to Suzhou, and the Suzhou
	// store takes their cars over (see generator.moved).
	shares := []int{opts.Customers - opts.Customers/2, opts.Customers / 2}
	for i, s := range sites {
		data.Dealers = append(data.Dealers, g.dealer(i, s, shares[i]))
	}
	return data
}

// APIKeys returns the demo API keys of data, each scoped to its dealer:
// ShanghaiAPIKey ("demo-sh01-key") and SuzhouAPIKey ("demo-sz01-key").
// They are fixed and public: use them for demos only.
func APIKeys(data Data) map[string]crm.DealerID {
	keys := make(map[string]crm.DealerID, len(data.Dealers))
	for _, d := range data.Dealers {
		keys[d.APIKey] = d.Dealer.ID
	}
	return keys
}

// Principals returns the demo API keys of data with their principals
// (SPEC §9): each store's key of APIKeys with role admin and no staff
// member (a system key, which names staff in bodies where needed), and
// the keys of three people of the Shanghai store — ShanghaiManagerKey
// (manager, SH01-SM01), ShanghaiCRKey (cr, SH01-CR01) and
// ShanghaiConsultantKey (consultant, SH01-SC01) — and GroupAdminKey
// (group_admin of the group, from the Shanghai store). They are fixed and
// public: use them for demos only.
func Principals(data Data) map[string]crm.Principal {
	keys := make(map[string]crm.Principal, len(data.Dealers)+4)
	for _, d := range data.Dealers {
		keys[d.APIKey] = crm.Principal{Dealer: d.Dealer.ID, Roles: []crm.Role{crm.RoleAdmin}, KeyID: d.APIKey}
	}
	if len(data.Dealers) == 0 {
		return keys
	}
	sh := data.Dealers[0]
	person := func(key string, staff string, r crm.Role) {
		keys[key] = crm.Principal{Dealer: sh.Dealer.ID, Staff: crm.StaffID(sh.Code + "-" + staff), Roles: []crm.Role{r}, KeyID: key}
	}
	person(ShanghaiManagerKey, "SM01", crm.RoleManager)
	person(ShanghaiCRKey, "CR01", crm.RoleCR)
	person(ShanghaiConsultantKey, "SC01", crm.RoleConsultant)
	keys[GroupAdminKey] = crm.Principal{Dealer: sh.Dealer.ID, Group: data.GroupID, Roles: []crm.Role{crm.RoleGroupAdmin}, KeyID: GroupAdminKey}
	return keys
}

// Seed writes data through svc: it creates each dealer that does not exist
// yet (an existing dealer is left as it is) and imports the dealer's batch.
// Import matches records on their external IDs, so seeding the same data
// again changes nothing, and seeding data generated on a later day updates
// the same records in place (see the package documentation).
func Seed(ctx context.Context, svc *crm.Service, data Data) error {
	for _, d := range data.Dealers {
		_, err := svc.GetDealer(ctx, d.Dealer.ID)
		if errors.Is(err, crm.ErrNotFound) {
			_, err = svc.CreateDealer(ctx, d.Dealer)
			if errors.Is(err, crm.ErrConflict) {
				err = nil // created concurrently by another seeder
			}
		}
		if err != nil {
			return fmt.Errorf("demo: seed dealer %s: %w", d.Dealer.ID, err)
		}
		if _, err := svc.Import(ctx, d.Dealer.ID, d.Batch); err != nil {
			return fmt.Errorf("demo: seed dealer %s: %w", d.Dealer.ID, err)
		}
	}
	return nil
}
