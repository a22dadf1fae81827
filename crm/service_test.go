package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	dealerA crm.DealerID = "SH01"
	dealerB crm.DealerID = "SZ01"
)

var now = time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)

func newService(t *testing.T) (*crm.Service, context.Context) {
	t.Helper()
	ctx := context.Background()
	svc := crm.NewService(memory.New(), crm.WithClock(func() time.Time { return now }))
	for _, d := range []crm.Dealer{{ID: dealerA, Name: "上海4S店", GroupID: "G1"}, {ID: dealerB, Name: "苏州4S店", GroupID: "G1"}} {
		_, err := svc.CreateDealer(ctx, d)
		require.NoError(t, err)
	}
	return svc, ctx
}

func customer(name, mobile string) crm.Customer {
	return crm.Customer{Name: name, Mobile: mobile, Gender: crm.Male}
}

func vehicle(vin string, owner crm.CustomerID) crm.Vehicle {
	return crm.Vehicle{VIN: vin, Model: "Model X", OwnerID: owner, Price: decimal.RequireFromString("189900.00"), DeliveryDate: dealercrm.MustParseDate("2025-05-20")}
}

func validationFields(t *testing.T, err error) *crm.ValidationError {
	t.Helper()
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve, "want a *crm.ValidationError, got %v", err)
	return ve
}

func TestServiceCreateAndScope(t *testing.T) {
	svc, ctx := newService(t)
	c, err := svc.CreateCustomer(ctx, dealerA, customer("王伟", "+86 139 1234 5678"))
	require.NoError(t, err)
	assert.NotEmpty(t, c.ID)
	assert.Equal(t, dealerA, c.DealerID)
	assert.Equal(t, "13912345678", c.Mobile, "stored normalised")
	assert.True(t, c.CreatedAt.Equal(now))

	_, err = svc.GetCustomer(ctx, dealerB, c.ID)
	assert.ErrorIs(t, err, crm.ErrNotFound, "dealer B cannot see dealer A's customer")
	_, err = svc.UpdateCustomer(ctx, dealerB, c.ID, func(c *crm.Customer) error { c.Name = "x"; return nil })
	assert.ErrorIs(t, err, crm.ErrNotFound)
	assert.ErrorIs(t, svc.DeleteCustomer(ctx, dealerB, c.ID), crm.ErrNotFound)

	// A dealer_id smuggled into the input is overwritten by the caller's dealer.
	smuggled := customer("张敏", "")
	smuggled.DealerID = dealerA
	s, err := svc.CreateCustomer(ctx, dealerB, smuggled)
	require.NoError(t, err)
	assert.Equal(t, dealerB, s.DealerID)

	_, err = svc.CreateCustomer(ctx, "nope", customer("x", ""))
	assert.ErrorIs(t, err, crm.ErrNotFound, "unknown dealer")

	_, err = svc.CreateCustomer(ctx, dealerA, customer("", "12345"))
	ve := validationFields(t, err)
	assert.True(t, ve.Has("name", crm.RuleRequired))
	assert.True(t, ve.Has("mobile", crm.RuleMobile))
}

func TestServiceReferencesMustExist(t *testing.T) {
	svc, ctx := newService(t)
	_, err := svc.CreateVehicle(ctx, dealerA, vehicle("1M8GDM9AXKP042788", "ghost"))
	assert.True(t, validationFields(t, err).Has("owner_id", crm.RuleReference))

	c, err := svc.CreateCustomer(ctx, dealerB, customer("王伟", ""))
	require.NoError(t, err)
	_, err = svc.CreateVehicle(ctx, dealerA, vehicle("1M8GDM9AXKP042788", c.ID))
	assert.True(t, validationFields(t, err).Has("owner_id", crm.RuleReference), "another dealer's customer does not exist here")
}

func TestServiceUpdateKeepsIdentity(t *testing.T) {
	svc, ctx := newService(t)
	c, err := svc.CreateCustomer(ctx, dealerA, customer("王伟", ""))
	require.NoError(t, err)
	later := now.Add(time.Hour)
	svc2 := crm.NewService(svc.Store(), crm.WithClock(func() time.Time { return later }))
	u, err := svc2.UpdateCustomer(ctx, dealerA, c.ID, func(x *crm.Customer) error {
		x.ID, x.DealerID, x.CreatedAt = "other", dealerB, time.Time{}
		x.Occupation = "engineer"
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, c.ID, u.ID)
	assert.Equal(t, dealerA, u.DealerID)
	assert.True(t, u.CreatedAt.Equal(now))
	assert.True(t, u.UpdatedAt.Equal(later))
	assert.Equal(t, "engineer", u.Occupation)

	_, err = svc.UpdateCustomer(ctx, dealerA, c.ID, func(x *crm.Customer) error { x.Mobile = "123"; return nil })
	assert.True(t, validationFields(t, err).Has("mobile", crm.RuleMobile))
	got, err := svc.GetCustomer(ctx, dealerA, c.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Mobile, "an invalid update writes nothing")
}

func TestServiceLeadLifecycle(t *testing.T) {
	svc, ctx := newService(t)
	l, err := svc.CreateLead(ctx, dealerA, crm.Lead{Name: "李娜", Mobile: "13800138000", Source: crm.SourceWalkIn, ModelOfInterest: "SUV"})
	require.NoError(t, err)
	assert.Equal(t, crm.LevelN, l.Level)
	assert.Equal(t, now.Add(24*time.Hour), l.NextFollowUpAt, "walk-in: first call within 24 hours")

	_, err = svc.UpdateLead(ctx, dealerA, l.ID, func(x *crm.Lead) error { x.Level = crm.LevelD; return nil })
	assert.True(t, validationFields(t, err).Has("level", crm.RuleImmutable), "levels change through SetLeadLevel only")

	l, err = svc.SetLeadLevel(ctx, dealerA, l.ID, crm.LevelA)
	require.NoError(t, err)
	assert.Equal(t, crm.LevelA, l.Level)
	l, err = svc.LogFollowUp(ctx, dealerA, l.ID, crm.FollowUp{Channel: crm.ChannelPhone, Note: "test drive booked", Level: crm.LevelH})
	require.NoError(t, err)
	assert.Equal(t, crm.LevelH, l.Level)
	assert.Equal(t, now.AddDate(0, 0, 2), l.NextFollowUpAt, "H: every 2 days")

	_, err = svc.CreateLead(ctx, dealerA, crm.Lead{Name: "x", Source: crm.SourceWeb, Level: crm.LevelD})
	assert.ErrorIs(t, err, crm.ErrInvalidTransition, "a new lead cannot start delivered")

	l, err = svc.RequestLost(ctx, dealerA, l.ID, crm.LostCompetitor, "bought elsewhere", "sc1")
	require.NoError(t, err)
	_, err = svc.ConvertLead(ctx, dealerA, l.ID, crm.Conversion{Vehicle: vehicle("1M8GDM9AXKP042788", "")})
	assert.ErrorIs(t, err, crm.ErrLostRequestPending)
	l, err = svc.DecideLost(ctx, dealerA, l.ID, true, "mgr", "confirmed")
	require.NoError(t, err)
	assert.Equal(t, crm.LeadLost, l.Status)
	assert.Equal(t, crm.LostCompetitor, l.LostReason)
}

func TestServiceConvertLead(t *testing.T) {
	svc, ctx := newService(t)
	referrer, err := svc.CreateCustomer(ctx, dealerA, customer("老客户", "13900000000"))
	require.NoError(t, err)
	l, err := svc.CreateLead(ctx, dealerA, crm.Lead{Name: "李娜", Mobile: "13800138000", Source: crm.SourceReferral, ReferrerID: referrer.ID, ConsultantID: "sc7", ModelOfInterest: "SUV"})
	require.NoError(t, err)

	res, err := svc.ConvertLead(ctx, dealerA, l.ID, crm.Conversion{
		Vehicle: crm.Vehicle{VIN: "1m8gdm9axkp042788", Price: decimal.RequireFromString("189900"), DeliveryDate: dealercrm.MustParseDate("2025-06-01")},
		Sale:    crm.Sale{Date: dealercrm.MustParseDate("2025-05-28"), GrossProfit: decimal.RequireFromString("3500.50")},
	})
	require.NoError(t, err)
	assert.Equal(t, crm.LeadConverted, res.Lead.Status)
	assert.Equal(t, crm.LevelD, res.Lead.Level)
	assert.Equal(t, res.Customer.ID, res.Lead.CustomerID)
	assert.Equal(t, res.Sale.ID, res.Lead.SaleID)
	assert.Equal(t, "李娜", res.Customer.Name, "customer defaults from the lead")
	assert.Equal(t, crm.StaffID("sc7"), res.Customer.ConsultantID)
	assert.Equal(t, res.Customer.ID, res.Vehicle.OwnerID)
	assert.Equal(t, "SUV", res.Vehicle.Model)
	assert.Equal(t, "1M8GDM9AXKP042788", res.Vehicle.VIN)
	assert.Equal(t, res.Vehicle.ID, res.Sale.VehicleID)
	assert.Equal(t, l.ID, res.Sale.LeadID)
	assert.True(t, res.Sale.Price.Equal(decimal.NewFromInt(189900)), "sale price defaults to the vehicle's")
	assert.Equal(t, referrer.ID, res.Lead.ReferrerID, "the referral link is kept")

	_, err = svc.ConvertLead(ctx, dealerA, l.ID, crm.Conversion{Vehicle: vehicle("11111111111111111", "")})
	assert.ErrorIs(t, err, crm.ErrLeadClosed, "a lead converts once")

	// Add purchase by an existing customer: no new customer.
	add, err := svc.CreateLead(ctx, dealerA, crm.Lead{Name: "李娜", Source: crm.SourceWalkIn, Purchase: crm.AddPurchase, CustomerID: res.Customer.ID})
	require.NoError(t, err)
	res2, err := svc.ConvertLead(ctx, dealerA, add.ID, crm.Conversion{
		Vehicle: vehicle("11111111111111111", ""),
		Sale:    crm.Sale{Date: dealercrm.MustParseDate("2025-06-01")},
	})
	require.NoError(t, err)
	assert.Equal(t, res.Customer.ID, res2.Customer.ID)
	page, err := svc.ListCustomers(ctx, dealerA, crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 2, "referrer and the converted lead")
	vs, err := svc.ListVehicles(ctx, dealerA, crm.VehicleFilter{OwnerID: res.Customer.ID})
	require.NoError(t, err)
	assert.Len(t, vs.Items, 2)
}

func TestServiceConvertLeadIsAtomic(t *testing.T) {
	svc, ctx := newService(t)
	owner, err := svc.CreateCustomer(ctx, dealerA, customer("车主", ""))
	require.NoError(t, err)
	_, err = svc.CreateVehicle(ctx, dealerA, vehicle("1M8GDM9AXKP042788", owner.ID))
	require.NoError(t, err)
	l, err := svc.CreateLead(ctx, dealerA, crm.Lead{Name: "李娜", Source: crm.SourceWeb})
	require.NoError(t, err)

	// Every bad field is listed at once, with its record's prefix.
	_, err = svc.ConvertLead(ctx, dealerA, l.ID, crm.Conversion{
		Customer: crm.Customer{Mobile: "123"},
		Vehicle:  crm.Vehicle{VIN: "1M8GDM9A1KP042788", Price: decimal.NewFromInt(-1)},
		Sale:     crm.Sale{},
	})
	ve := validationFields(t, err)
	for _, f := range []string{"customer.mobile", "vehicle.vin", "vehicle.model", "vehicle.price", "sale.date"} {
		assert.True(t, ve.Has(f, ""), "want %s in %v", f, ve.Fields)
	}

	// The VIN is taken: the vehicle insert fails after the customer was
	// written, and the transaction takes the customer back.
	_, err = svc.ConvertLead(ctx, dealerA, l.ID, crm.Conversion{
		Vehicle: vehicle("1M8GDM9AXKP042788", ""),
		Sale:    crm.Sale{Date: dealercrm.MustParseDate("2025-06-01")},
	})
	assert.ErrorIs(t, err, crm.ErrConflict)
	cs, err := svc.ListCustomers(ctx, dealerA, crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Len(t, cs.Items, 1, "no customer left behind")
	got, err := svc.GetLead(ctx, dealerA, l.ID)
	require.NoError(t, err)
	assert.Equal(t, crm.LeadOpen, got.Status)
}

func TestServiceDeleteGuardsReferences(t *testing.T) {
	svc, ctx := newService(t)
	c, err := svc.CreateCustomer(ctx, dealerA, customer("车主", ""))
	require.NoError(t, err)
	v, err := svc.CreateVehicle(ctx, dealerA, vehicle("1M8GDM9AXKP042788", c.ID))
	require.NoError(t, err)
	err = svc.DeleteCustomer(ctx, dealerA, c.ID)
	assert.ErrorIs(t, err, crm.ErrInUse)
	assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(err))
	require.NoError(t, svc.DeleteVehicle(ctx, dealerA, v.ID))
	require.NoError(t, svc.DeleteCustomer(ctx, dealerA, c.ID))
	_, err = svc.GetCustomer(ctx, dealerA, c.ID)
	assert.ErrorIs(t, err, crm.ErrNotFound)
}

func TestServiceComplaintTransitions(t *testing.T) {
	svc, ctx := newService(t)
	c, err := svc.CreateCustomer(ctx, dealerA, customer("车主", ""))
	require.NoError(t, err)
	cp, err := svc.CreateComplaint(ctx, dealerA, crm.Complaint{CustomerID: c.ID, Category: "waiting time", Severity: crm.SeverityMedium, Opened: dealercrm.MustParseDate("2025-05-30")})
	require.NoError(t, err)
	assert.Equal(t, crm.ComplaintOpen, cp.Status)
	cp, err = svc.UpdateComplaint(ctx, dealerA, cp.ID, func(x *crm.Complaint) error {
		x.Status, x.Resolved = crm.ComplaintResolved, dealercrm.MustParseDate("2025-05-31")
		return nil
	})
	require.NoError(t, err)
	cp, err = svc.UpdateComplaint(ctx, dealerA, cp.ID, func(x *crm.Complaint) error { x.Status = crm.ComplaintClosed; return nil })
	require.NoError(t, err)
	_, err = svc.UpdateComplaint(ctx, dealerA, cp.ID, func(x *crm.Complaint) error { x.Status = crm.ComplaintOpen; x.Resolved = dealercrm.Date{}; return nil })
	assert.ErrorIs(t, err, crm.ErrInvalidTransition, "closed is final")
}

func TestServiceSetConsent(t *testing.T) {
	svc, ctx := newService(t)
	c, err := svc.CreateCustomer(ctx, dealerA, customer("车主", "13800138000"))
	require.NoError(t, err)
	c, err = svc.SetConsent(ctx, dealerA, c.ID, crm.Consent{Purpose: crm.PurposeServiceReminder, Channel: crm.ChannelSMS, Granted: true, Source: "wechat form"})
	require.NoError(t, err)
	assert.True(t, c.Allows(crm.PurposeServiceReminder, crm.ChannelSMS))
	assert.True(t, c.Consents[0].At.Equal(now), "time defaults to now")
	_, err = svc.SetConsent(ctx, dealerA, c.ID, crm.Consent{Purpose: "spam", Channel: crm.ChannelSMS, Source: "x"})
	assert.True(t, validationFields(t, err).Has("consents[1].purpose", crm.RuleEnum))
}

func importBatch() crm.Batch {
	return crm.Batch{
		Customers: []crm.Customer{
			{Record: crm.Record{ExternalID: "C1"}, Name: "王伟", Mobile: "13912345678"},
			{Record: crm.Record{ExternalID: "C2", CreatedAt: time.Date(2019, 4, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))}, Name: "李娜"},
		},
		Vehicles: []crm.Vehicle{
			{Record: crm.Record{ExternalID: "V1"}, VIN: "1M8GDM9AXKP042788", Model: "SUV", OwnerID: "C1", Price: decimal.RequireFromString("100.50")},
			{Record: crm.Record{ExternalID: "V2"}, VIN: "11111111111111111", Model: "Sedan", OwnerID: "C2"},
		},
		ServiceOrders: []crm.ServiceOrder{
			{Record: crm.Record{ExternalID: "R1"}, VehicleID: "V1", CustomerID: "C1", Date: dealercrm.MustParseDate("2025-05-01"), Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: decimal.RequireFromString("300"), Parts: decimal.RequireFromString("450.00")},
		},
	}
}

func TestServiceImportIsIdempotent(t *testing.T) {
	svc, ctx := newService(t)
	res, err := svc.Import(ctx, dealerA, importBatch())
	require.NoError(t, err)
	assert.Equal(t, map[crm.UpsertOutcome]int{crm.Created: 5, crm.Updated: 0, crm.Unchanged: 0}, res.Counts())

	v, err := svc.Store().Vehicles().GetByExternalID(ctx, dealerA, "V1")
	require.NoError(t, err)
	c1, err := svc.Store().Customers().GetByExternalID(ctx, dealerA, "C1")
	require.NoError(t, err)
	assert.Equal(t, c1.ID, v.OwnerID, "references are resolved from external ids")
	o, err := svc.Store().ServiceOrders().GetByExternalID(ctx, dealerA, "R1")
	require.NoError(t, err)
	assert.Equal(t, v.ID, o.VehicleID)

	res, err = svc.Import(ctx, dealerA, importBatch())
	require.NoError(t, err)
	assert.Equal(t, map[crm.UpsertOutcome]int{crm.Created: 0, crm.Updated: 0, crm.Unchanged: 5}, res.Counts(), "the same batch again changes nothing")
	assert.Equal(t, string(v.ID), res.Vehicles[0].ID, "IDs are kept")

	c2, err := svc.Store().Customers().GetByExternalID(ctx, dealerA, "C2")
	require.NoError(t, err)
	assert.True(t, c2.CreatedAt.Equal(time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC)), "the DMS's creation time is kept")

	b := importBatch()
	b.Customers[1].Occupation = "teacher"
	b.ServiceOrders = append(b.ServiceOrders, crm.ServiceOrder{Record: crm.Record{ExternalID: "R2"}, VehicleID: "V2", Date: dealercrm.MustParseDate("2025-05-02"), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer})
	res, err = svc.Import(ctx, dealerA, b)
	require.NoError(t, err)
	assert.Equal(t, map[crm.UpsertOutcome]int{crm.Created: 1, crm.Updated: 1, crm.Unchanged: 4}, res.Counts())

	// A later batch may refer to records imported before.
	res, err = svc.Import(ctx, dealerA, crm.Batch{Policies: []crm.InsurancePolicy{{Record: crm.Record{ExternalID: "P1"}, VehicleID: "V2", Kind: crm.Compulsory, Insurer: "PICC", Start: dealercrm.MustParseDate("2025-01-01"), End: dealercrm.MustParseDate("2025-12-31")}}})
	require.NoError(t, err)
	assert.Equal(t, crm.Created, res.Policies[0].Outcome)

	// The same external ids under another dealer are that dealer's own records.
	res, err = svc.Import(ctx, dealerB, importBatch())
	require.NoError(t, err)
	assert.Equal(t, 5, res.Counts()[crm.Created])
}

func TestServiceImportRejectsWholeBatch(t *testing.T) {
	svc, ctx := newService(t)
	b := importBatch()
	b.Vehicles[1].OwnerID = "C9"
	b.Vehicles[0].VIN = "bad"
	b.Customers = append(b.Customers, crm.Customer{Name: "无编号"}, crm.Customer{Record: crm.Record{ExternalID: "C1"}, Name: "重复"})
	_, err := svc.Import(ctx, dealerA, b)
	ve := validationFields(t, err)
	assert.True(t, ve.Has("vehicles[1].owner_id", crm.RuleReference), "%v", ve.Fields)
	assert.True(t, ve.Has("vehicles[0].vin", crm.RuleVINLength))
	assert.True(t, ve.Has("customers[2].external_id", crm.RuleRequired))
	assert.True(t, ve.Has("customers[3]", crm.RuleUnique))
	cs, err := svc.ListCustomers(ctx, dealerA, crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Empty(t, cs.Items, "nothing is half-written")
}

func TestServiceListNormalisesFilters(t *testing.T) {
	svc, ctx := newService(t)
	c, err := svc.CreateCustomer(ctx, dealerA, customer("王伟", "13912345678"))
	require.NoError(t, err)
	_, err = svc.CreateVehicle(ctx, dealerA, vehicle("1M8GDM9AXKP042788", c.ID))
	require.NoError(t, err)
	cs, err := svc.ListCustomers(ctx, dealerA, crm.CustomerFilter{Mobile: "+86 139-1234-5678"})
	require.NoError(t, err)
	assert.Len(t, cs.Items, 1, "the filter is normalised like the stored number")
	vs, err := svc.ListVehicles(ctx, dealerA, crm.VehicleFilter{VIN: "1m8gdm9axkp042788"})
	require.NoError(t, err)
	assert.Len(t, vs.Items, 1)
}

func TestServiceConvertedLeadKeepsCustomer(t *testing.T) {
	svc, ctx := newService(t)
	l, err := svc.CreateLead(ctx, dealerA, crm.Lead{Name: "李娜", Source: crm.SourceWeb})
	require.NoError(t, err)
	res, err := svc.ConvertLead(ctx, dealerA, l.ID, crm.Conversion{Vehicle: vehicle("1M8GDM9AXKP042788", ""), Sale: crm.Sale{Date: dealercrm.MustParseDate("2025-06-01")}})
	require.NoError(t, err)
	other, err := svc.CreateCustomer(ctx, dealerA, customer("别人", ""))
	require.NoError(t, err)
	_, err = svc.UpdateLead(ctx, dealerA, l.ID, func(x *crm.Lead) error { x.CustomerID = other.ID; return nil })
	assert.True(t, validationFields(t, err).Has("customer_id", crm.RuleImmutable))
	got, err := svc.GetLead(ctx, dealerA, l.ID)
	require.NoError(t, err)
	assert.Equal(t, res.Customer.ID, got.CustomerID)

	_, err = svc.CreateLead(ctx, dealerA, crm.Lead{Name: "x", Source: crm.SourceWeb, LostRequests: []crm.LostRequest{{Reason: crm.LostOther, Decision: crm.Approved}}})
	assert.True(t, validationFields(t, err).Has("lost_requests", crm.RuleImmutable))
}
