package crm_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The service clock, now, is 2025-06-01 02:00 UTC: 10:00 on 2025-06-01 in
// Shanghai, the dealers' zone. Tomorrow there is 2025-06-02.
var (
	today    = dealercrm.MustParseDate("2025-06-01")
	tomorrow = dealercrm.MustParseDate("2025-06-02")
	// tomorrowAt is 00:30 on 2025-06-02 in Shanghai, 16:30 UTC on 06-01:
	// after now by less than a day, but on the dealer's tomorrow.
	tomorrowAt = time.Date(2025, 6, 1, 16, 30, 0, 0, time.UTC)
	// tonight is 23:00 on 2025-06-01 in Shanghai: later than now, but today.
	tonight = time.Date(2025, 6, 1, 15, 0, 0, 0, time.UTC)
)

func amount(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// serials hands out distinct valid VINs.
type serials int

func (n *serials) next() string { *n++; return crmtest.VIN(int(*n)) }

// parents creates a customer and a vehicle of dealer A to refer to.
func parents(t *testing.T, svc *crm.Service, ctx context.Context) (crm.CustomerID, crm.VehicleID) {
	t.Helper()
	c, err := svc.CreateCustomer(ctx, dealerA, customer("王伟", ""))
	require.NoError(t, err)
	v, err := svc.CreateVehicle(ctx, dealerA, vehicle("1M8GDM9AXKP042788", c.ID))
	require.NoError(t, err)
	return c.ID, v.ID
}

func requireRule(t *testing.T, err error, field, rule string) {
	t.Helper()
	ve := validationFields(t, err)
	assert.True(t, ve.Has(field, rule), "want %s: %s, got %v", field, rule, ve.Fields)
}

// TestPlausiblePastEventsNotAfterToday: SPEC §0 "Dates that describe past
// events (sales, service orders, …) may not lie after the dealer's today"
// (Limits.FutureDays, default 0). On 2025-06-01 in Shanghai each date of a
// past event may be 2025-06-01 and not 2025-06-02, on create.
func TestPlausiblePastEventsNotAfterToday(t *testing.T) {
	svc, ctx := newService(t)
	cust, veh := parents(t, svc, ctx)
	lead, err := svc.CreateLead(ctx, dealerA, crm.Lead{Name: "赵敏", Source: crm.SourceWeb})
	require.NoError(t, err)
	var vins serials

	type create func(d dealercrm.Date, at time.Time) error
	cases := []struct {
		field  string
		create create
	}{
		{"birthday", func(d dealercrm.Date, _ time.Time) error {
			c := customer("李娜", "")
			c.Birthday = d
			_, err := svc.CreateCustomer(ctx, dealerA, c)
			return err
		}},
		{"consents[0].at", func(_ dealercrm.Date, at time.Time) error {
			_, err := svc.SetConsent(ctx, dealerA, cust, crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "form"})
			return err
		}},
		{"purchase_date", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateVehicle(ctx, dealerA, crm.Vehicle{VIN: vins.next(), Model: "A4L", PurchaseDate: d})
			return err
		}},
		{"delivery_date", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateVehicle(ctx, dealerA, crm.Vehicle{VIN: vins.next(), Model: "A4L", DeliveryDate: d})
			return err
		}},
		{"registration_date", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateVehicle(ctx, dealerA, crm.Vehicle{VIN: vins.next(), Model: "A4L", RegistrationDate: d})
			return err
		}},
		{"odometer[0].date", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateVehicle(ctx, dealerA, crm.Vehicle{VIN: vins.next(), Model: "A4L",
				Odometer: []crm.OdometerReading{{Date: d, KM: 12, Source: crm.OdometerSale}}})
			return err
		}},
		{"date", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateSale(ctx, dealerA, crm.Sale{VehicleID: veh, CustomerID: cust, Date: d})
			return err
		}},
		{"date", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{VehicleID: veh, Date: d, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer})
			return err
		}},
		{"closed_date", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{VehicleID: veh, Date: today, ClosedDate: d, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer})
			return err
		}},
		{"at", func(_ dealercrm.Date, at time.Time) error {
			_, err := svc.CreateInteraction(ctx, dealerA, crm.Interaction{CustomerID: cust, Channel: crm.ChannelPhone, Direction: crm.Outbound,
				Purpose: "3DC", Outcome: crm.OutcomeReached, At: at})
			return err
		}},
		{"opened", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateComplaint(ctx, dealerA, crm.Complaint{CustomerID: cust, Category: "service", Severity: crm.SeverityLow, Opened: d})
			return err
		}},
		{"resolved", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateComplaint(ctx, dealerA, crm.Complaint{CustomerID: cust, Category: "service", Severity: crm.SeverityLow,
				Status: crm.ComplaintResolved, Opened: today, Resolved: d})
			return err
		}},
		{"date", func(d dealercrm.Date, _ time.Time) error {
			_, err := svc.CreateEventParticipation(ctx, dealerA, crm.EventParticipation{CustomerID: cust, EventID: "EV1", Date: d, Attended: true})
			return err
		}},
		{"follow_ups[0].at", func(_ dealercrm.Date, at time.Time) error {
			_, err := svc.LogFollowUp(ctx, dealerA, lead.ID, crm.FollowUp{At: at, Channel: crm.ChannelPhone})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			requireRule(t, c.create(tomorrow, tomorrowAt), c.field, crm.RuleFuture)
			requireRule(t, c.create(dealercrm.MustParseDate("9999-12-31"), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)), c.field, crm.RuleFuture)
			assert.NoError(t, c.create(today, tonight), "the dealer's today, even later than now, is not the future")
		})
	}

	// An invitation to a future event is not a past event.
	_, err = svc.CreateEventParticipation(ctx, dealerA, crm.EventParticipation{CustomerID: cust, EventID: "EV2", Date: tomorrow})
	assert.NoError(t, err, "an invitation may be to a future event")
	// An insurance policy runs into the future.
	_, err = svc.CreateInsurancePolicy(ctx, dealerA, crm.InsurancePolicy{VehicleID: veh, Kind: crm.Commercial, Insurer: "PICC",
		Start: tomorrow, End: dealercrm.MustParseDate("2026-06-01")})
	assert.NoError(t, err, "a policy may start tomorrow")
}

// TestPlausibleBirthday: a birthday in the future is refused (SPEC §0), and
// so is one before 1900-01-01: nobody that old buys a car.
func TestPlausibleBirthday(t *testing.T) {
	svc, ctx := newService(t)
	for _, c := range []struct {
		birthday string
		rule     string
	}{
		{"1899-12-31", crm.RuleMin},
		{"1900-01-01", ""},
		{"1985-06-02", ""},
		{"2025-06-01", ""},
		{"2025-06-02", crm.RuleFuture},
	} {
		in := customer("王伟", "")
		in.Birthday = dealercrm.MustParseDate(c.birthday)
		_, err := svc.CreateCustomer(ctx, dealerA, in)
		if c.rule == "" {
			assert.NoError(t, err, c.birthday)
			continue
		}
		requireRule(t, err, "birthday", c.rule)
	}
}

// TestPlausibleDatesOnUpdateAndImport: the rule holds on update and import
// too, and a refused change writes nothing.
func TestPlausibleDatesOnUpdateAndImport(t *testing.T) {
	svc, ctx := newService(t)
	cust, veh := parents(t, svc, ctx)
	sale, err := svc.CreateSale(ctx, dealerA, crm.Sale{VehicleID: veh, CustomerID: cust, Date: dealercrm.MustParseDate("2025-05-30")})
	require.NoError(t, err)

	_, err = svc.UpdateSale(ctx, dealerA, sale.ID, func(s *crm.Sale) error { s.Date = dealercrm.MustParseDate("2099-12-31"); return nil })
	requireRule(t, err, "date", crm.RuleFuture)
	got, err := svc.GetSale(ctx, dealerA, sale.ID)
	require.NoError(t, err)
	assert.Equal(t, "2025-05-30", got.Date.String(), "the refused update wrote nothing")

	_, err = svc.Import(ctx, dealerA, crm.Batch{
		Customers:     []crm.Customer{{Record: crm.Record{ExternalID: "C1"}, Name: "李娜"}},
		ServiceOrders: []crm.ServiceOrder{{Record: crm.Record{ExternalID: "O1"}, VehicleID: "V1", Date: dealercrm.MustParseDate("9999-12-31"), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer}},
		Leads: []crm.Lead{{Record: crm.Record{ExternalID: "L1", CreatedAt: tomorrowAt}, Name: "赵敏", Source: crm.SourceWeb,
			FollowUps: []crm.FollowUp{{At: tomorrowAt, Channel: crm.ChannelPhone}}}},
	})
	ve := validationFields(t, err)
	assert.True(t, ve.Has("service_orders[0].date", crm.RuleFuture), "%v", ve.Fields)
	assert.True(t, ve.Has("leads[0].created_at", crm.RuleFuture), "a DMS creation time is a past event too")
	assert.True(t, ve.Has("leads[0].follow_ups[0].at", crm.RuleFuture))
	assert.True(t, ve.Has("service_orders[0].vehicle_id", crm.RuleReference), "the other checks still run")
	page, err := svc.ListCustomers(ctx, dealerA, crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 1, "nothing of the refused batch was written")
}

// TestPlausibleDatesDealerToday: today is the dealer's, in its zone, and
// Limits.FutureDays widens it. At 02:00 UTC on 2025-06-01 Los Angeles is
// still on 2025-05-31.
func TestPlausibleDatesDealerToday(t *testing.T) {
	svc, ctx := newService(t)
	_, err := svc.CreateDealer(ctx, crm.Dealer{ID: "LA01", Name: "Los Angeles", TimeZone: "America/Los_Angeles"})
	require.NoError(t, err)
	c, err := svc.CreateCustomer(ctx, "LA01", customer("Jane", ""))
	require.NoError(t, err)
	in := vehicle("11111111111111111", c.ID)
	in.DeliveryDate = today // Shanghai's today is Los Angeles' tomorrow
	_, err = svc.CreateVehicle(ctx, "LA01", in)
	requireRule(t, err, "delivery_date", crm.RuleFuture)
	in.DeliveryDate = dealercrm.MustParseDate("2025-05-31")
	v, err := svc.CreateVehicle(ctx, "LA01", in)
	require.NoError(t, err)
	_, err = svc.CreateSale(ctx, "LA01", crm.Sale{VehicleID: v.ID, CustomerID: c.ID, Date: today})
	requireRule(t, err, "date", crm.RuleFuture)

	lenient := crm.NewService(svc.Store(), crm.WithClock(func() time.Time { return now }), crm.WithLimits(crm.Limits{FutureDays: 1}))
	_, err = lenient.CreateSale(ctx, "LA01", crm.Sale{VehicleID: v.ID, CustomerID: c.ID, Date: today})
	assert.NoError(t, err, "one day of tolerance admits the dealer's tomorrow")
	_, err = lenient.CreateSale(ctx, "LA01", crm.Sale{VehicleID: v.ID, CustomerID: c.ID, Date: tomorrow})
	requireRule(t, err, "date", crm.RuleFuture)
	assert.Equal(t, 1, lenient.Limits().FutureDays)
	assert.True(t, lenient.Limits().MaxAmount.Equal(crm.DefaultMaxAmount), "unset limits keep their defaults")
}

// TestPlausibleAmounts: SPEC §0 ceilings, worked at their edges — 10,000,000
// CNY per amount (either sign: a gross profit may be negative) and
// 2,000,000 km — with the numbers: labour of 1e400 and an odometer
// of 9223372036854775807 (math.MaxInt64) are refused.
func TestPlausibleAmounts(t *testing.T) {
	svc, ctx := newService(t)
	cust, veh := parents(t, svc, ctx)
	order := func(labour, parts string, km int64) error {
		_, err := svc.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{VehicleID: veh, Date: today, Kind: crm.ServiceRepair,
			Payer: crm.PayerCustomer, Labour: amount(labour), Parts: amount(parts), OdometerKM: km})
		return err
	}
	require.NoError(t, order("10000000", "10000000", 2_000_000), "the ceilings themselves")
	requireRule(t, order("1e400", "0", 0), "labour", crm.RuleMax)
	requireRule(t, order("10000000.01", "0", 0), "labour", crm.RuleMax)
	requireRule(t, order("0", "10000000.01", 0), "parts", crm.RuleMax)
	requireRule(t, order("0", "0", 2_000_001), "odometer_km", crm.RuleMax)
	requireRule(t, order("0", "0", math.MaxInt64), "odometer_km", crm.RuleMax)

	sale := func(price, profit, item, itemProfit string) error {
		_, err := svc.CreateSale(ctx, dealerA, crm.Sale{VehicleID: veh, CustomerID: cust, Date: today, Price: amount(price), GrossProfit: amount(profit),
			Items: []crm.ValueChainItem{{Kind: crm.ItemAccessory, Amount: amount(item), Profit: amount(itemProfit)}}})
		return err
	}
	require.NoError(t, sale("10000000", "-10000000", "10000000", "-10000000"))
	requireRule(t, sale("10000000.01", "0", "0", "0"), "price", crm.RuleMax)
	requireRule(t, sale("0", "-10000000.01", "0", "0"), "gross_profit", crm.RuleMax)
	requireRule(t, sale("0", "0", "1e400", "0"), "items[0].amount", crm.RuleMax)
	requireRule(t, sale("0", "0", "0", "-1e400"), "items[0].profit", crm.RuleMax)

	_, err := svc.CreateInsurancePolicy(ctx, dealerA, crm.InsurancePolicy{VehicleID: veh, Kind: crm.Compulsory, Insurer: "PICC",
		Start: today, End: today.AddDays(364), Premium: amount("10000000.01")})
	requireRule(t, err, "premium", crm.RuleMax)
	in := vehicle("11111111111111111", cust)
	in.Price = amount("1e400")
	in.Odometer = []crm.OdometerReading{{Date: today, KM: math.MaxInt64, Source: crm.OdometerCustomer}}
	_, err = svc.CreateVehicle(ctx, dealerA, in)
	requireRule(t, err, "price", crm.RuleMax)
	requireRule(t, err, "odometer[0].km", crm.RuleMax)
	_, err = svc.UpdateVehicle(ctx, dealerA, veh, func(v *crm.Vehicle) error {
		v.Odometer = append(v.Odometer, crm.OdometerReading{Date: today, KM: 2_000_001})
		return nil
	})
	requireRule(t, err, "odometer[0].km", crm.RuleMax)

	// A dealer's own ceiling.
	strict := crm.NewService(svc.Store(), crm.WithClock(func() time.Time { return now }), crm.WithLimits(crm.Limits{MaxAmount: amount("500000"), MaxOdometerKM: 1_000_000}))
	_, err = strict.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{VehicleID: veh, Date: today, Kind: crm.ServiceRepair,
		Payer: crm.PayerCustomer, Labour: amount("500000.01"), OdometerKM: 1_000_001})
	requireRule(t, err, "labour", crm.RuleMax)
	requireRule(t, err, "odometer_km", crm.RuleMax)
}

// TestCheckAmountHugeExponent: a decimal built by a Go caller with an
// exponent of plus or minus a billion is refused at once, instead of being
// rescaled to a number of a billion digits to be compared or truncated.
func TestCheckAmountHugeExponent(t *testing.T) {
	l := crm.DefaultLimits()
	start := time.Now()
	_, over := l.CheckAmount("labour", decimal.New(1, 1_000_000_000))
	assert.True(t, over, "10^1000000000 is over the ceiling")
	_, over = l.CheckAmount("labour", decimal.New(-7, 1_000_000_000))
	assert.True(t, over)
	fe, bad := l.CheckAmount("labour", decimal.New(1, -1_000_000_000))
	assert.True(t, bad, "10^-1000000000 has more than 8 decimal places")
	assert.Equal(t, crm.RuleFormat, fe.Rule)
	_, bad = l.CheckAmount("labour", decimal.New(5, -8))
	assert.False(t, bad, "0.00000005 has 8 decimal places")
	_, over = l.CheckAmount("labour", decimal.New(99_999_999, -1))
	assert.False(t, over, "9,999,999.9 is under 10,000,000")
	_, over = l.CheckAmount("labour", decimal.New(100_000_001, -1))
	assert.True(t, over, "10,000,000.1 is over")
	assert.Less(t, time.Since(start), time.Second, "no number of a billion digits was built")
}
