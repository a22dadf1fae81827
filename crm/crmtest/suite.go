package crmtest

import (
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunStoreTests runs the conformance suite of crm.Store against the stores
// newStore returns. It calls newStore at the start of every subtest and
// expects an empty store that no other subtest uses.
//
// The suite covers the dealer store, each of the nine repositories (Customers,
// Leads, Vehicles, Sales, ServiceOrders, Policies, Interactions, Complaints,
// Participations) and InTx. Records refer to parent records that exist in
// the same store and dealer, so backends with foreign keys pass too. All IDs
// come from dealercrm.NewID, so backends may store them as UUIDs.
// ServiceRules runs the crm.Service's input rules (plausible dates and
// amounts, text, lead windows, lost requests) on the store: refused input
// never reaches it and leaves nothing behind.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) crm.Store) {
	t.Run("Dealers", func(t *testing.T) { runDealerTests(t, newStore) })
	t.Run("Customers", func(t *testing.T) { runRepositoryTests(t, newStore, customerSpec()) })
	t.Run("Leads", func(t *testing.T) { runRepositoryTests(t, newStore, leadSpec()) })
	t.Run("Vehicles", func(t *testing.T) { runRepositoryTests(t, newStore, vehicleSpec()) })
	t.Run("Sales", func(t *testing.T) { runRepositoryTests(t, newStore, saleSpec()) })
	t.Run("ServiceOrders", func(t *testing.T) { runRepositoryTests(t, newStore, serviceOrderSpec()) })
	t.Run("Policies", func(t *testing.T) { runRepositoryTests(t, newStore, policySpec()) })
	t.Run("Interactions", func(t *testing.T) { runRepositoryTests(t, newStore, interactionSpec()) })
	t.Run("Complaints", func(t *testing.T) { runRepositoryTests(t, newStore, complaintSpec()) })
	t.Run("Participations", func(t *testing.T) { runRepositoryTests(t, newStore, participationSpec()) })
	t.Run("InTx", func(t *testing.T) { runTxTests(t, newStore) })
	t.Run("ServiceRules", func(t *testing.T) { runRuleTests(t, newStore) })
	t.Run("CustomerBirthdayCalendar", func(t *testing.T) { runBirthdayCalendarTests(t, newStore) })
}

// runBirthdayCalendarTests checks that a customer's birthday calendar
// (issue 14) round-trips: empty (a customer stored before the option
// existed, read as solar), solar and lunar, on create and on update.
func runBirthdayCalendarTests(t *testing.T, newStore func(t *testing.T) crm.Store) {
	s := newStore(t)
	ctx := t.Context()
	d := newDealer(t, s)
	for i, bc := range []crm.BirthdayCalendar{"", crm.BirthdaySolar, crm.BirthdayLunar} {
		c := Customer(d, 800+i)
		c.BirthdayCalendar = bc
		require.NoError(t, s.Customers().Create(ctx, &c))
		got, err := s.Customers().Get(ctx, d, c.ID)
		require.NoError(t, err)
		assert.Equal(t, bc, got.BirthdayCalendar, "created with %q", bc)
		next := crm.BirthdayLunar
		if bc == crm.BirthdayLunar {
			next = ""
		}
		_, err = s.Customers().Update(ctx, d, c.ID, func(c *crm.Customer) error { c.BirthdayCalendar = next; return nil })
		require.NoError(t, err)
		got, err = s.Customers().Get(ctx, d, c.ID)
		require.NoError(t, err)
		assert.Equal(t, next, got.BirthdayCalendar, "updated from %q", bc)
	}
}

// otherZone is a zone other than UTC; times given in it must come back in UTC.
var otherZone = time.FixedZone("CST", 8*3600)

// parents says which parent records the fixtures of a kind refer to.
type parents uint8

const (
	needCustomers parents = 1 << iota
	needVehicles
	needLead
	needSale
	needOrder
)

// refs are a dealer and the parent records seeded for it.
type refs struct {
	dealer    crm.DealerID
	customers [2]crm.CustomerID
	vehicles  [2]crm.VehicleID
	lead      crm.LeadID
	sale      crm.SaleID
	order     crm.ServiceOrderID
}

// newDealer stores a new dealer and returns its ID.
func newDealer(t *testing.T, s crm.Store) crm.DealerID {
	t.Helper()
	d := Dealer(crm.DealerID(dealercrm.NewID()))
	require.NoError(t, s.Dealers().Create(t.Context(), &d), "creating dealer %s", d.ID)
	return d.ID
}

// seed stores a new dealer and the parent records need asks for. Seeded
// records use fixture numbers from 900 up, which kind tests do not use.
func seed(t *testing.T, s crm.Store, need parents) refs {
	t.Helper()
	ctx := t.Context()
	r := refs{dealer: newDealer(t, s)}
	if need == 0 {
		return r
	}
	for i := range r.customers {
		c := Customer(r.dealer, 900+i)
		require.NoError(t, s.Customers().Create(ctx, &c), "seeding a customer")
		r.customers[i] = c.ID
	}
	if need&(needVehicles|needSale|needOrder) != 0 {
		for i := range r.vehicles {
			v := Vehicle(r.dealer, r.customers[i], 900+i)
			require.NoError(t, s.Vehicles().Create(ctx, &v), "seeding a vehicle")
			r.vehicles[i] = v.ID
		}
	}
	if need&needLead != 0 {
		l := Lead(r.dealer, 900)
		require.NoError(t, s.Leads().Create(ctx, &l), "seeding a lead")
		r.lead = l.ID
	}
	if need&needSale != 0 {
		sale := Sale(r.dealer, r.customers[0], r.vehicles[0], 900)
		sale.LeadID = r.lead
		require.NoError(t, s.Sales().Create(ctx, &sale), "seeding a sale")
		r.sale = sale.ID
	}
	if need&needOrder != 0 {
		o := ServiceOrder(r.dealer, r.customers[0], r.vehicles[0], 900)
		require.NoError(t, s.ServiceOrders().Create(ctx, &o), "seeding a service order")
		r.order = o.ID
	}
	return r
}

// walk lists every page of a listing with page size limit and returns the
// items and the number of pages.
func walk[T any, F any](t *testing.T, list func(F) (crm.Page[T], error), f F, page func(F, crm.PageRequest) F, limit int) ([]T, int) {
	t.Helper()
	var items []T
	after := ""
	size := crm.PageRequest{Limit: limit}.Size()
	for pages := 1; ; pages++ {
		require.LessOrEqual(t, pages, 1000, "pagination with limit %d does not end", limit)
		p, err := list(page(f, crm.PageRequest{After: after, Limit: limit}))
		require.NoError(t, err, "listing page %d with limit %d", pages, limit)
		require.NotNil(t, p.Items, "page %d: Items is never nil", pages)
		require.LessOrEqual(t, len(p.Items), size, "page %d holds at most %d items", pages, size)
		items = append(items, p.Items...)
		if p.Next == "" {
			return items, pages
		}
		require.Len(t, p.Items, size, "page %d has a next cursor, so it is full", pages)
		after = p.Next
	}
}
