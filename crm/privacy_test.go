package crm_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportAndEraseCustomer(t *testing.T) {
	svc, ctx := newService(t)
	c, err := svc.CreateCustomer(ctx, dealerA, crm.Customer{
		Name: "王伟", Mobile: "13912345678", IDNumber: "11010519491231002X", Gender: crm.Male, Birthday: dealercrm.MustParseDate("1985-02-03"),
		Region: crm.Region{Province: "上海市", City: "上海市", District: "闵行区"}, Hobbies: []string{"钓鱼"},
		Occupation: "engineer", ConsultantID: "sc1",
	})
	require.NoError(t, err)
	_, err = svc.SetConsent(ctx, dealerA, c.ID, crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, Source: "contract"})
	require.NoError(t, err)
	res, err := svc.ConvertLead(ctx, dealerA, mustLead(t, svc, crm.Lead{Name: "王伟", Mobile: "13912345678", Source: crm.SourceWalkIn, Purchase: crm.AddPurchase, CustomerID: c.ID}).ID,
		crm.Conversion{Vehicle: vehicle("1M8GDM9AXKP042788", ""), Sale: crm.Sale{Date: dealercrm.MustParseDate("2025-05-01")}})
	require.NoError(t, err)
	referral := mustLead(t, svc, crm.Lead{Name: "朋友", Mobile: "13800138000", Source: crm.SourceReferral, ReferrerID: c.ID})
	_, err = svc.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{VehicleID: res.Vehicle.ID, CustomerID: c.ID, Date: dealercrm.MustParseDate("2025-05-20"), Kind: crm.ServiceFirstMaintenance, Payer: crm.PayerManufacturer})
	require.NoError(t, err)
	_, err = svc.CreateInteraction(ctx, dealerA, crm.Interaction{CustomerID: c.ID, Channel: crm.ChannelPhone, Direction: crm.Outbound, Purpose: "3DC", Outcome: crm.OutcomeReached, Note: "lives at No. 5", At: now})
	require.NoError(t, err)
	_, err = svc.CreateComplaint(ctx, dealerA, crm.Complaint{CustomerID: c.ID, Category: "price", Severity: crm.SeverityLow, Description: "called from 13912345678", Opened: dealercrm.MustParseDate("2025-05-21")})
	require.NoError(t, err)
	other, err := svc.CreateCustomer(ctx, dealerA, customer("别人", "13700137000"))
	require.NoError(t, err)

	x, err := svc.ExportCustomer(ctx, dealerA, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "王伟", x.Customer.Name)
	assert.Equal(t, "11010519491231002X", x.Customer.IDNumber, "the export holds the ID number")
	assert.Len(t, x.Leads, 2, "own lead and the referral")
	assert.Len(t, x.Vehicles, 1)
	assert.Len(t, x.Sales, 1)
	assert.Len(t, x.ServiceOrders, 1)
	assert.Len(t, x.Interactions, 1)
	assert.Len(t, x.Complaints, 1)
	assert.Empty(t, x.Policies)
	_, err = svc.ExportCustomer(ctx, dealerB, c.ID)
	assert.ErrorIs(t, err, crm.ErrNotFound, "another dealer cannot export it")

	require.NoError(t, svc.EraseCustomer(ctx, dealerA, c.ID))
	require.NoError(t, svc.EraseCustomer(ctx, dealerA, c.ID), "erasure is idempotent")

	x, err = svc.ExportCustomer(ctx, dealerA, c.ID)
	require.NoError(t, err)
	e := x.Customer
	assert.Equal(t, crm.ErasedName, e.Name)
	assert.Empty(t, e.Mobile)
	assert.Empty(t, e.IDNumber, "the ID number is erased")
	assert.True(t, e.Birthday.IsZero())
	assert.Equal(t, crm.Region{}, e.Region)
	assert.Empty(t, e.Hobbies)
	assert.Empty(t, e.Occupation)
	assert.Equal(t, crm.StaffID("sc1"), e.ConsultantID, "who was in charge is not personal data")
	assert.False(t, e.Allows(crm.PurposeMarketing, crm.ChannelSMS), "consent withdrawn")
	require.Len(t, e.Consents, 1, "the withdrawal is on record")
	assert.Equal(t, "erasure", e.Consents[0].Source)
	require.NoError(t, e.Validate(), "an erased customer is still a valid record")

	require.Len(t, x.Leads, 1, "the referral no longer points to the customer")
	assert.Equal(t, crm.ErasedName, x.Leads[0].Name)
	assert.Empty(t, x.Leads[0].Mobile)
	assert.Empty(t, x.Interactions[0].Note)
	assert.Empty(t, x.Complaints[0].Description)
	assert.Len(t, x.Sales, 1, "financial records are kept")
	assert.Len(t, x.ServiceOrders, 1, "repair records are kept")

	ref, err := svc.GetLead(ctx, dealerA, referral.ID)
	require.NoError(t, err)
	assert.Equal(t, "朋友", ref.Name, "the prospect's own data stays")
	assert.Empty(t, ref.ReferrerID)
	o, err := svc.GetCustomer(ctx, dealerA, other.ID)
	require.NoError(t, err)
	assert.Equal(t, "别人", o.Name, "other customers are untouched")
	assert.ErrorIs(t, svc.EraseCustomer(ctx, dealerB, c.ID), crm.ErrNotFound)
}

func mustLead(t *testing.T, svc *crm.Service, l crm.Lead) crm.Lead {
	t.Helper()
	out, err := svc.CreateLead(t.Context(), dealerA, l)
	require.NoError(t, err)
	return out
}

// part is a package's part of exports and erasures, for the tests: it
// records the erasures it was asked for and fails the first when told to.
type part struct {
	section string
	erased  []crm.CustomerID
	failing bool
}

func (p *part) PersonalDataSection() string { return p.section }

func (p *part) ExportCustomer(_ context.Context, dealer crm.DealerID, id crm.CustomerID) (any, error) {
	return map[string]any{"dealer": dealer, "customer": id, "erased": slices.Contains(p.erased, id)}, nil
}

func (p *part) EraseCustomer(_ context.Context, _ crm.DealerID, id crm.CustomerID) error {
	if p.failing {
		p.failing = false
		return dealercrm.Errorf(dealercrm.Unavailable, "store unavailable")
	}
	p.erased = append(p.erased, id)
	return nil
}

// TestErasureReachesRegisteredParts: the export carries every registered
// package's section; erasure erases the crm records (the plate too: it
// names the person on the road) and then every part, and a failing part
// makes the erasure an error that a second call completes.
func TestErasureReachesRegisteredParts(t *testing.T) {
	svc, ctx := newService(t)
	c, err := svc.CreateCustomer(ctx, dealerA, customer("欧阳", "13912345670"))
	require.NoError(t, err)
	v := vehicle("1M8GDM9AXKP042788", c.ID)
	v.Plate = "沪A12345"
	v, err = svc.CreateVehicle(ctx, dealerA, v)
	require.NoError(t, err)
	tasks, points := &part{section: "tasks"}, &part{section: "loyalty", failing: true}
	svc.AddPersonalData(tasks, points)
	svc.AddPersonalData(&part{section: "tasks"}) // replaces the first "tasks"
	svc.AddPersonalData(tasks)

	x, err := svc.ExportCustomer(ctx, dealerA, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"loyalty", "tasks"}, slices.Sorted(maps.Keys(x.Sections)), "one section per registered part")

	err = svc.EraseCustomer(ctx, dealerA, c.ID)
	require.Error(t, err, "a part that fails fails the erasure")
	assert.Equal(t, dealercrm.Unavailable, dealercrm.ErrorCode(err))
	assert.Equal(t, []crm.CustomerID{c.ID}, tasks.erased, "the other parts were erased all the same")
	require.NoError(t, svc.EraseCustomer(ctx, dealerA, c.ID), "calling again completes it")
	assert.Equal(t, []crm.CustomerID{c.ID}, points.erased)

	got, err := svc.GetVehicle(ctx, dealerA, v.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Plate, "the plate is erased")
	assert.Equal(t, "1M8GDM9AXKP042788", got.VIN, "the VIN stays: repair records name it")
}
