package lifecycle_test

import (
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAbnormalGroupView: a car serviced at a sister store of the group is
// near-churn (seed 004: 广邦/义丰/广弘三店的交叉车辆) only in the explicit
// group view, and a store outside the group is never read.
func TestAbnormalGroupView(t *testing.T) {
	f := newFixture(t)
	_, err := f.crm.UpdateDealer(f.ctx, "d1", func(d *crm.Dealer) error { d.GroupID = "g1"; return nil })
	require.NoError(t, err)
	_, err = f.crm.CreateDealer(f.ctx, crm.Dealer{ID: "d2", Name: "Sister", GroupID: "g1"})
	require.NoError(t, err)
	_, err = f.crm.CreateDealer(f.ctx, crm.Dealer{ID: "d3", Name: "Other"})
	require.NoError(t, err)
	f.customer(t, "c1")
	f.vehicle(t, "v1", "c1", "2024-01-10")
	order := func(dealer crm.DealerID, id crm.ServiceOrderID, veh crm.VehicleID, d string) {
		_, err := f.crm.CreateServiceOrder(f.ctx, dealer, crm.ServiceOrder{ID: id, Record: crm.Record{DealerID: dealer}, VehicleID: veh, Date: date(d),
			ClosedDate: date(d), OdometerKM: 10000, Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(300)})
		require.NoError(t, err)
	}
	order("d1", "o1", "v1", "2025-10-01")
	for _, d := range []crm.DealerID{"d2", "d3"} {
		_, err := f.crm.CreateVehicle(f.ctx, d, crm.Vehicle{ID: "x" + crm.VehicleID(d), Record: crm.Record{DealerID: d}, VIN: vin, Model: "Lavida", Price: decimal.Zero})
		require.NoError(t, err)
	}
	order("d2", "o2", "xd2", "2026-04-01")
	order("d3", "o3", "xd3", "2026-05-01")

	asOf := date("2026-06-30")
	own, err := f.svc.Abnormal(f.ctx, "d1", asOf, lifecycle.AbnormalQuery{})
	require.NoError(t, err)
	assert.False(t, own.Group)
	assert.Empty(t, own.Items, "the dealer's own records show nothing abnormal")
	assert.Equal(t, 1, own.Activity[lifecycle.ActivityAtRisk], "last visit 2025-10-01: 8 months")

	grp, err := f.svc.Abnormal(f.ctx, "d1", asOf, lifecycle.AbnormalQuery{Group: true})
	require.NoError(t, err)
	assert.True(t, grp.Group)
	require.Len(t, grp.Items, 1)
	assert.Equal(t, []lifecycle.AbnormalClass{lifecycle.NearChurn}, classes(grp.Items[0]))
	assert.Contains(t, grp.Items[0].Abnormal[0].Reason, "sister store d2 on 2026-04-01", "d3 is outside the group")

	_, err = f.svc.Abnormal(f.ctx, "d1", asOf, lifecycle.AbnormalQuery{Classes: []lifecycle.AbnormalClass{"vip"}})
	assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err))
	_, err = f.svc.Abnormal(f.ctx, "nope", asOf, lifecycle.AbnormalQuery{})
	assert.ErrorIs(t, err, crm.ErrNotFound)

	k, err := f.svc.KPIs(f.ctx, "d1", lifecycle.PeriodQuery{From: date("2026-01-01"), To: date("2026-06-30")})
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Rate{Numerator: 0, Denominator: 1, Rate: 0}, k.Retention, "v1 came in 2025, not since")
	_, err = f.svc.KPIs(f.ctx, "d1", lifecycle.PeriodQuery{From: date("2026-06-30"), To: date("2026-01-01")})
	assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err))
}
