package crmtest

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Service's rules of plausible input, text and leads (issue 12) hold on
// every backend: what they refuse never reaches the store (a NUL would make
// PostgreSQL fail, an amount of 1e400 would be stored), nothing of a refused
// write is left behind, and what they accept at the ceilings comes back
// exactly.

// ruleNow is the service clock of the rule tests: 2024-06-01 10:00 in the
// fixture dealer's zone, Asia/Shanghai.
var ruleNow = time.Date(2024, 6, 1, 2, 0, 0, 0, time.UTC)

// ruleEnv is one rule test: a Service on a fresh store with one dealer, a
// customer and a vehicle.
type ruleEnv struct {
	svc      *crm.Service
	dealer   crm.DealerID
	customer crm.CustomerID
	vehicle  crm.VehicleID
}

func runRuleTests(t *testing.T, newStore func(*testing.T) crm.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, ruleEnv)
	}{
		{"PastEventsNotAfterToday", testRulePastEvents},
		{"AmountAndOdometerCeilings", testRuleCeilings},
		{"TextRefusedBeforeTheStore", testRuleText},
		{"LeadLevelFollowsExpectedClose", testRuleLeadWindow},
		{"LostRequestNotDecidedByRequester", testRuleLostRequester},
		{"ImportConflictNamesTheRecord", testRuleImportConflict},
		{"ImportDryRunWritesNothing", testRuleImportDryRun},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			svc := crm.NewService(s, crm.WithClock(func() time.Time { return ruleNow }))
			d, err := svc.CreateDealer(t.Context(), Dealer(crm.DealerID(dealercrm.NewID())))
			require.NoError(t, err, "creating the dealer")
			c := Customer(d.ID, 1)
			c, err = svc.CreateCustomer(t.Context(), d.ID, c)
			require.NoError(t, err, "creating the customer")
			v := Vehicle(d.ID, c.ID, 1)
			v, err = svc.CreateVehicle(t.Context(), d.ID, v)
			require.NoError(t, err, "creating the vehicle")
			tc.run(t, ruleEnv{svc: svc, dealer: d.ID, customer: c.ID, vehicle: v.ID})
		})
	}
}

// requireRule checks that err is a *crm.ValidationError naming field with rule.
func requireRule(t *testing.T, err error, field, rule string) {
	t.Helper()
	var ve *crm.ValidationError
	require.True(t, errors.As(err, &ve), "want a *crm.ValidationError naming %s, got %v", field, err)
	assert.True(t, ve.Has(field, rule), "want %s: %s, got %v", field, rule, ve.Fields)
}

// SPEC §0: dates of past events may not lie after the dealer's today; on
// 2024-06-01, 2024-06-02 is refused on create, update and import, and the
// refused writes leave nothing behind.
func testRulePastEvents(t *testing.T, e ruleEnv) {
	ctx := t.Context()
	tomorrow := dealercrm.NewDate(2024, 6, 2)
	o := ServiceOrder(e.dealer, e.customer, e.vehicle, 2)
	o.Date, o.ClosedDate = tomorrow, tomorrow
	_, err := e.svc.CreateServiceOrder(ctx, e.dealer, o)
	requireRule(t, err, "date", crm.RuleFuture)
	requireRule(t, err, "closed_date", crm.RuleFuture)
	orders, err := e.svc.ListServiceOrders(ctx, e.dealer, crm.ServiceOrderFilter{})
	require.NoError(t, err)
	assert.Empty(t, orders.Items, "the refused order was not written")

	s, err := e.svc.CreateSale(ctx, e.dealer, Sale(e.dealer, e.customer, e.vehicle, 2))
	require.NoError(t, err, "a sale dated 2024-03-02")
	_, err = e.svc.UpdateSale(ctx, e.dealer, s.ID, func(s *crm.Sale) error { s.Date = dealercrm.NewDate(9999, 12, 31); return nil })
	requireRule(t, err, "date", crm.RuleFuture)
	got, err := e.svc.GetSale(ctx, e.dealer, s.ID)
	require.NoError(t, err)
	assert.Equal(t, "2024-03-02", got.Date.String(), "the refused update wrote nothing")

	c := Customer(e.dealer, 3)
	v := Vehicle(e.dealer, "", 3)
	v.OwnerID = crm.CustomerID(c.ExternalID)
	v.Odometer[1].Date = tomorrow
	_, err = e.svc.Import(ctx, e.dealer, crm.Batch{Customers: []crm.Customer{c}, Vehicles: []crm.Vehicle{v}})
	requireRule(t, err, "vehicles[0].odometer[1].date", crm.RuleFuture)
	customers, err := e.svc.ListCustomers(ctx, e.dealer, crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Len(t, customers.Items, 1, "nothing of the refused batch was written")
}

// SPEC §0 ceilings (issue 12: labour of 1e400, an odometer of
// 9223372036854775807): refused; the ceilings themselves are stored and
// come back exactly.
func testRuleCeilings(t *testing.T, e ruleEnv) {
	ctx := t.Context()
	o := ServiceOrder(e.dealer, e.customer, e.vehicle, 2)
	o.Labour, o.OdometerKM = money("1e400"), math.MaxInt64
	_, err := e.svc.CreateServiceOrder(ctx, e.dealer, o)
	requireRule(t, err, "labour", crm.RuleMax)
	requireRule(t, err, "odometer_km", crm.RuleMax)

	o = ServiceOrder(e.dealer, e.customer, e.vehicle, 3)
	o.Labour, o.Parts, o.OdometerKM = money("10000000.00"), money("9999999.99"), crm.DefaultMaxOdometerKM
	created, err := e.svc.CreateServiceOrder(ctx, e.dealer, o)
	require.NoError(t, err, "the ceilings themselves")
	got, err := e.svc.GetServiceOrder(ctx, e.dealer, created.ID)
	require.NoError(t, err)
	assert.True(t, got.Total().Equal(money("19999999.99")), "labour and parts at the ceiling, stored exactly: %s", got.Total())
	assert.Equal(t, int64(2_000_000), got.OdometerKM)

	s := Sale(e.dealer, e.customer, e.vehicle, 2)
	s.GrossProfit = money("-10000000.01")
	s.Items[0].Amount = money("1e400")
	_, err = e.svc.CreateSale(ctx, e.dealer, s)
	requireRule(t, err, "gross_profit", crm.RuleMax)
	requireRule(t, err, "items[0].amount", crm.RuleMax)
	sales, err := e.svc.ListSales(ctx, e.dealer, crm.SaleFilter{})
	require.NoError(t, err)
	assert.Empty(t, sales.Items, "the refused sale was not written")
}

// Issue 12: a NUL or invalid UTF-8 in any string is a validation error
// naming the field, found before the store sees it (PostgreSQL cannot store
// a NUL and would fail with an internal error), also in a reference.
func testRuleText(t *testing.T, e ruleEnv) {
	ctx := t.Context()
	c := Customer(e.dealer, 2)
	c.Region.City = "Hang\x00zhou"
	_, err := e.svc.CreateCustomer(ctx, e.dealer, c)
	requireRule(t, err, "region.city", crm.RuleText)

	s := Sale(e.dealer, e.customer, "veh\x00icle", 2)
	s.Items[1].Description = "\xffpolicy"
	_, err = e.svc.CreateSale(ctx, e.dealer, s)
	requireRule(t, err, "vehicle_id", crm.RuleText)
	requireRule(t, err, "items[1].description", crm.RuleText)

	_, err = e.svc.UpdateVehicle(ctx, e.dealer, e.vehicle, func(v *crm.Vehicle) error { v.Plate = "浙A\x0012345"; return nil })
	requireRule(t, err, "plate", crm.RuleText)

	o := ServiceOrder(e.dealer, "", "", 2)
	o.VehicleID = "V-\x00"
	_, err = e.svc.Import(ctx, e.dealer, crm.Batch{ServiceOrders: []crm.ServiceOrder{o}})
	requireRule(t, err, "service_orders[0].vehicle_id", crm.RuleText)

	customers, err := e.svc.ListCustomers(ctx, e.dealer, crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Len(t, customers.Items, 1, "nothing refused was written")
	v, err := e.svc.GetVehicle(ctx, e.dealer, e.vehicle)
	require.NoError(t, err)
	assert.Equal(t, "浙A00001", v.Plate, "the refused update wrote nothing")
}

// SPEC §1.1: the level follows expected_close by the dealer's windows; on
// 2024-06-01 a lead expected on 2024-06-21 (20 days out) is B, stored as B.
func testRuleLeadWindow(t *testing.T, e ruleEnv) {
	ctx := t.Context()
	l := crm.Lead{Name: "Prospect", Source: crm.SourceWeb, ExpectedClose: dealercrm.NewDate(2024, 6, 21)}
	created, err := e.svc.CreateLead(ctx, e.dealer, l)
	require.NoError(t, err)
	got, err := e.svc.GetLead(ctx, e.dealer, created.ID)
	require.NoError(t, err)
	assert.Equal(t, crm.LevelB, got.Level, "20 days out is B")

	got, err = e.svc.LogFollowUp(ctx, e.dealer, created.ID, crm.FollowUp{Channel: crm.ChannelPhone, ExpectedClose: dealercrm.NewDate(2024, 6, 4)})
	require.NoError(t, err)
	stored, err := e.svc.GetLead(ctx, e.dealer, created.ID)
	require.NoError(t, err)
	Equal(t, got, stored, "the lead after the follow-up")
	assert.Equal(t, crm.LevelH, stored.Level, "3 days out is H")
	assert.Equal(t, "2024-06-04", stored.FollowUps[0].ExpectedClose.String(), "the follow-up keeps the date it set")
	// The fixture dealer follows H up every 3 days.
	assert.True(t, stored.NextFollowUpAt.Equal(ruleNow.AddDate(0, 0, 3)), "next follow-up by H's cadence, got %s", stored.NextFollowUpAt)

	_, err = e.svc.SetLeadLevel(ctx, e.dealer, created.ID, crm.LevelC)
	requireRule(t, err, "level", crm.RuleWindow)
}

// SPEC §9: who requested a lead be lost cannot decide it; the refused
// decision leaves the request pending in the store.
func testRuleLostRequester(t *testing.T, e ruleEnv) {
	ctx := t.Context()
	l, err := e.svc.CreateLead(ctx, e.dealer, crm.Lead{Name: "Prospect", Source: crm.SourceWeb})
	require.NoError(t, err)
	_, err = e.svc.RequestLost(ctx, e.dealer, l.ID, crm.LostNoBudget, "", "S-07")
	require.NoError(t, err)
	_, err = e.svc.DecideLost(ctx, e.dealer, l.ID, true, "S-07", "")
	assert.ErrorIs(t, err, crm.ErrOwnLostRequest)
	assert.Equal(t, dealercrm.PermissionDenied, dealercrm.ErrorCode(err))
	got, err := e.svc.GetLead(ctx, e.dealer, l.ID)
	require.NoError(t, err)
	_, pending := got.PendingLostRequest()
	assert.True(t, pending, "the request still waits for a manager")
	assert.Equal(t, crm.LeadOpen, got.Status)
}

// A taken key met while importing is named by the batch's own path
// (vehicles[1].vin), not the store's (items[1].vin): the caller finds the
// record in what it sent.
func testRuleImportConflict(t *testing.T, e ruleEnv) {
	ctx := t.Context()
	taken, err := e.svc.GetVehicle(ctx, e.dealer, e.vehicle)
	require.NoError(t, err)
	fresh := Vehicle(e.dealer, e.customer, 2)
	fresh.ExternalID, fresh.OwnerID = "V-NEW-1", crm.CustomerID(mustCustomer(t, e).ExternalID)
	clash := fresh
	clash.ExternalID, clash.VIN = "V-NEW-2", taken.VIN
	_, err = e.svc.Import(ctx, e.dealer, crm.Batch{Vehicles: []crm.Vehicle{fresh, clash}})
	var ce *crm.ConflictError
	require.True(t, errors.As(err, &ce), "want a *crm.ConflictError, got %v", err)
	assert.Equal(t, "vehicles[1].vin", ce.Field)
	assert.ErrorIs(t, err, dealercrm.ErrConflict)
	vs, err := e.svc.ListVehicles(ctx, e.dealer, crm.VehicleFilter{})
	require.NoError(t, err)
	assert.Len(t, vs.Items, 1, "nothing of the refused batch is written")
}

func mustCustomer(t *testing.T, e ruleEnv) crm.Customer {
	t.Helper()
	c, err := e.svc.GetCustomer(t.Context(), e.dealer, e.customer)
	require.NoError(t, err)
	return c
}

// ImportDryRun (issue 17) answers what Import would do and writes nothing:
// after a real import of customers C10 and C11, a dry run with C10 renamed,
// C11 as it is and a new C12 with its vehicle reports updated, unchanged,
// created, created; the store still holds C10's old name and neither C12
// nor its vehicle, and the real import then reports the same outcomes. A
// bad record is refused with the *ValidationError Import gives.
func testRuleImportDryRun(t *testing.T, e ruleEnv) {
	ctx := t.Context()
	c10, c11, c12 := Customer(e.dealer, 10), Customer(e.dealer, 11), Customer(e.dealer, 12)
	_, err := e.svc.Import(ctx, e.dealer, crm.Batch{Customers: []crm.Customer{c10, c11}})
	require.NoError(t, err, "importing C10 and C11")
	renamed := c10
	renamed.Name = "Renamed 10"
	v := Vehicle(e.dealer, "", 12)
	v.OwnerID = crm.CustomerID(c12.ExternalID)
	batch := crm.Batch{Customers: []crm.Customer{renamed, c11, c12}, Vehicles: []crm.Vehicle{v}}
	outcomes := func(res crm.ImportResult) []crm.UpsertOutcome {
		var out []crm.UpsertOutcome
		for _, r := range append(res.Customers, res.Vehicles...) {
			out = append(out, r.Outcome)
		}
		return out
	}
	want := []crm.UpsertOutcome{crm.Updated, crm.Unchanged, crm.Created, crm.Created}

	res, err := e.svc.ImportDryRun(ctx, e.dealer, batch)
	require.NoError(t, err, "the dry run")
	assert.Equal(t, want, outcomes(res), "the dry run reports what Import would do")
	customers, err := e.svc.ListCustomers(ctx, e.dealer, crm.CustomerFilter{})
	require.NoError(t, err)
	names := map[string]string{}
	for _, c := range customers.Items {
		names[c.ExternalID] = c.Name
	}
	assert.Equal(t, "Customer 10", names[c10.ExternalID], "the dry run renamed nothing")
	assert.NotContains(t, names, c12.ExternalID, "the dry run created no customer")
	vehicles, err := e.svc.ListVehicles(ctx, e.dealer, crm.VehicleFilter{})
	require.NoError(t, err)
	assert.Len(t, vehicles.Items, 1, "the dry run created no vehicle: only the fixture's")

	bad := batch
	bad.Customers = append([]crm.Customer{}, batch.Customers...)
	bad.Customers[2].Mobile = "12345"
	_, err = e.svc.ImportDryRun(ctx, e.dealer, bad)
	requireRule(t, err, "customers[2].mobile", crm.RuleMobile)

	res, err = e.svc.Import(ctx, e.dealer, batch)
	require.NoError(t, err, "the real import")
	assert.Equal(t, want, outcomes(res), "the real import does what the dry run said")
}
