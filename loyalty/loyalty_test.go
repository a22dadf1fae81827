package loyalty_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dealer crm.DealerID = "SH01"

var (
	ctx     = context.Background()
	created = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	joined  = dealercrm.NewDate(2024, 3, 1)
)

func d(y int, m time.Month, day int) dealercrm.Date { return dealercrm.NewDate(y, m, day) }

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// world is a dealership with customer c1 (vehicle v1) and a club on the
// memory stores.
type world struct {
	t       *testing.T
	records *memory.Store
	store   *memory.LoyaltyStore
	svc     *loyalty.Service
	n       int
}

func newWorld(t *testing.T, p *loyalty.Program) *world {
	t.Helper()
	records := memory.New()
	rec := crm.Record{DealerID: dealer, CreatedAt: created, UpdatedAt: created}
	require.NoError(t, records.Dealers().Create(ctx, &crm.Dealer{ID: dealer, Name: "上海浦东 4S 店", CreatedAt: created, UpdatedAt: created}))
	require.NoError(t, records.Customers().Create(ctx, &crm.Customer{ID: "c1", Record: rec, Name: "王先生", Kind: crm.Individual}))
	require.NoError(t, records.Vehicles().Create(ctx, &crm.Vehicle{ID: "v1", Record: rec, VIN: "LSVAA4182E2100001", Model: "卡罗拉", OwnerID: "c1"}))
	prog := loyalty.DefaultProgram()
	if p != nil {
		prog = *p
	}
	store := memory.NewLoyaltyStore()
	svc, err := loyalty.NewService(records, store, loyalty.WithProgram(prog), loyalty.WithClock(loyaltytest.Clock))
	require.NoError(t, err)
	return &world{t: t, records: records, store: store, svc: svc}
}

// order stores a service order of c1 and returns it.
func (w *world) order(date dealercrm.Date, kind crm.ServiceKind, payer crm.Payer, labour, parts string) crm.ServiceOrder {
	w.t.Helper()
	w.n++
	o := crm.ServiceOrder{ID: crm.ServiceOrderID("o" + string(rune('a'+w.n))), Record: crm.Record{DealerID: dealer, CreatedAt: created, UpdatedAt: created},
		VehicleID: "v1", CustomerID: "c1", Date: date, Kind: kind, Payer: payer, Labour: money(labour), Parts: money(parts)}
	require.NoError(w.t, w.records.ServiceOrders().Create(ctx, &o))
	return o
}

// policy stores an insurance renewal of c1 starting on start.
func (w *world) policy(start dealercrm.Date, premium string) {
	w.t.Helper()
	w.n++
	require.NoError(w.t, w.records.Policies().Create(ctx, &crm.InsurancePolicy{ID: crm.PolicyID("p" + string(rune('a'+w.n))),
		Record: crm.Record{DealerID: dealer, CreatedAt: created, UpdatedAt: created}, VehicleID: "v1", CustomerID: "c1",
		Kind: crm.Commercial, Insurer: "平安", Start: start, End: start.AddYears(1).AddDays(-1), Premium: money(premium), Renewal: true}))
}

func (w *world) join(method loyalty.JoinMethod) loyalty.Membership {
	w.t.Helper()
	rec, err := w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "c1", Method: method, Date: joined})
	require.NoError(w.t, err)
	return *rec.Membership
}

// earn posts a customer-paid maintenance of amount CNY on date.
func (w *world) earn(date dealercrm.Date, amount string) loyalty.Receipt {
	w.t.Helper()
	o := w.order(date, crm.ServiceMaintenance, crm.PayerCustomer, amount, "0")
	rec, err := w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: date})
	require.NoError(w.t, err)
	return rec
}

func (w *world) balances(on dealercrm.Date) loyalty.Balances {
	w.t.Helper()
	return loyaltytest.CheckInvariants(w.t, w.store, dealer, "c1", on)
}

// TestEarningRules: seed 003 会员积分换算 — normal repair 1 CNY = 1 point,
// rounded down; insurer-paid work earns nothing; tier and campaign
// multipliers.
func TestEarningRules(t *testing.T) {
	p := loyalty.DefaultProgram()
	p.Campaigns = []loyalty.CampaignMultiplier{{Name: "金秋保养月", From: d(2024, 10, 1), To: d(2024, 10, 31), Multiplier: money("2"),
		Kinds: []crm.ServiceKind{crm.ServiceMaintenance}}}
	w := newWorld(t, &p)
	w.join(loyalty.JoinSale)

	rec := w.earn(d(2024, 4, 2), "1280.50")
	assert.Equal(t, int64(1280), rec.Entries[0].Points, "1,280.50 CNY of normal maintenance → 1,280 points, rounded down")
	assert.Equal(t, int64(1280), rec.Entries[0].Cumulative, "earned points count as cumulative at once")

	o := w.order(d(2024, 4, 3), crm.ServiceAccident, crm.PayerInsurer, "8000", "4000")
	rec, err := w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: d(2024, 4, 3)})
	require.NoError(t, err)
	assert.Zero(t, rec.Entries[0].Points, "seed 003: 保险公司付费的不参与积分 — a 12,000 CNY insurer-paid repair earns nothing")
	assert.Contains(t, rec.Earning.Rule, "payer=insurer")

	o = w.order(d(2024, 4, 4), crm.ServiceWarranty, crm.PayerManufacturer, "3000", "0")
	rec, err = w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: d(2024, 4, 4)})
	require.NoError(t, err)
	assert.Zero(t, rec.Entries[0].Points, "warranty work earns nothing")

	o = w.order(d(2024, 10, 8), crm.ServiceMaintenance, crm.PayerCustomer, "300.99", "200")
	rec, err = w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: d(2024, 10, 8)})
	require.NoError(t, err)
	assert.Equal(t, int64(1001), rec.Entries[0].Points, "500.99 × 2 (campaign) = 1,001.98 → 1,001")
	assert.Equal(t, "金秋保养月", rec.Earning.Campaign)

	// A gold member earns ×1.2: 1,000 CNY → 1,200 points.
	p.Campaigns = nil
	assert.Equal(t, int64(1200), p.Earn(&crm.ServiceOrder{Date: d(2024, 5, 1), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: money("1000")}, loyalty.Gold).Points)
	assert.Equal(t, int64(2000), p.Earn(&crm.ServiceOrder{Date: d(2024, 5, 1), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: money("1000")}, loyalty.Diamond).Points)
	assert.Equal(t, int64(1439), p.Earn(&crm.ServiceOrder{Date: d(2024, 5, 1), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: money("1199.99")}, loyalty.Gold).Points,
		"1,199.99 × 1.2 = 1,439.988 → 1,439: rounded down once, at the end")

	// Re-posting an order is a replay: the order earns once.
	again, err := w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: d(2024, 10, 9)})
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, int64(1280+1001), w.balances(d(2024, 10, 9)).Points)

	// The same order read again after the DMS touched its record (new
	// stamps) is the same request, under the default key and under a
	// caller's; a changed amount under the caller's key is not.
	keyed := loyalty.EarnRequest{DealerID: dealer, Order: o, Date: d(2024, 10, 8), IdempotencyKey: "dms-o-1"}
	_, err = w.svc.Earn(ctx, keyed)
	require.NoError(t, err)
	touched := o
	touched.CreatedAt, touched.UpdatedAt = created.Add(time.Hour), created.Add(48*time.Hour)
	again, err = w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: touched, Date: d(2024, 10, 9)})
	require.NoError(t, err, "default key, re-read order")
	assert.True(t, again.Replayed)
	keyed.Order = touched
	again, err = w.svc.Earn(ctx, keyed)
	require.NoError(t, err, "caller's key, re-read order")
	assert.True(t, again.Replayed)
	keyed.Order.Labour = money("999")
	_, err = w.svc.Earn(ctx, keyed)
	assert.ErrorIs(t, err, loyalty.ErrIdempotencyConflict, "a different order under the same key")
	assert.Equal(t, int64(1280+1001), w.balances(d(2024, 10, 9)).Points)
}

// TestRenewalWorked: seed 003 续会 — renewal by deducting 500 points, by an
// insurance renewal of at least 3,000 CNY, or by fee.
func TestRenewalWorked(t *testing.T) {
	t.Run("500 points", func(t *testing.T) {
		w := newWorld(t, nil)
		m := w.join(loyalty.JoinSale)
		assert.Equal(t, d(2025, 2, 28), m.ValidUntil, "one year from 1 March 2024")
		w.earn(d(2024, 6, 1), "800")
		rec, err := w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "points", Date: d(2025, 2, 20), IdempotencyKey: "renew-1"})
		require.NoError(t, err)
		assert.Equal(t, "points", rec.Event.Method)
		assert.Contains(t, rec.Event.Rule, "500 redeemable points deducted")
		require.Len(t, rec.Entries, 1)
		assert.Equal(t, int64(-500), rec.Entries[0].Points)
		assert.Equal(t, "renewal", rec.Entries[0].Source.Type)
		assert.Equal(t, d(2025, 3, 1), rec.Membership.ValidFrom, "the new period follows the old one")
		assert.Equal(t, d(2026, 2, 28), rec.Membership.ValidUntil)
		b := w.balances(d(2025, 2, 20))
		assert.Equal(t, int64(300), b.Available, "800 − 500")
		assert.Equal(t, int64(800), b.Cumulative, "a deduction does not lower cumulative points")

		// 300 points left: renewing by points again is not possible.
		_, err = w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "points", Date: d(2025, 2, 21), IdempotencyKey: "k166"})
		assert.ErrorIs(t, err, loyalty.ErrNotEligible)
		assert.Equal(t, int64(300), w.balances(d(2025, 2, 21)).Available, "nothing was deducted")
	})
	t.Run("insurance 3000", func(t *testing.T) {
		w := newWorld(t, nil)
		w.join(loyalty.JoinBringCar)
		w.policy(d(2025, 1, 10), "2999.99")
		_, err := w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: d(2025, 2, 1), IdempotencyKey: "k174"})
		assert.ErrorIs(t, err, loyalty.ErrNotEligible, "2,999.99 CNY is below 3,000")
		w.policy(d(2025, 1, 12), "500")
		rec, err := w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: d(2025, 2, 1), IdempotencyKey: "k177"})
		require.NoError(t, err)
		assert.Equal(t, "insurance", rec.Event.Method)
		assert.Contains(t, rec.Event.Rule, "3499.99")
		assert.Empty(t, rec.Entries, "no points deducted")
	})
	t.Run("fee", func(t *testing.T) {
		w := newWorld(t, nil)
		w.join(loyalty.JoinFee)
		rec, err := w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", FeePaid: money("300"), Date: d(2025, 3, 5), IdempotencyKey: "k186"})
		require.NoError(t, err)
		assert.Equal(t, "fee", rec.Event.Method)
		assert.Equal(t, d(2025, 3, 5), rec.Membership.ValidFrom, "renewed after the period ended: the new one starts on the day")
		assert.Equal(t, d(2026, 3, 4), rec.Membership.ValidUntil)
	})
	t.Run("prefers free methods over points", func(t *testing.T) {
		w := newWorld(t, nil)
		w.join(loyalty.JoinSale)
		w.earn(d(2024, 6, 1), "800")
		w.policy(d(2025, 1, 10), "3000")
		rec, err := w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: d(2025, 2, 1), IdempotencyKey: "k197"})
		require.NoError(t, err)
		assert.Equal(t, "insurance", rec.Event.Method)
		assert.Equal(t, int64(800), w.balances(d(2025, 2, 1)).Available)
	})
}

// TestUpgradeWorked: seed 003 会员升级 — by 2,000 points, one normal repair
// of 5,000 CNY after joining, insurance renewals of 7,000 CNY in two
// consecutive years, or cumulative points at the threshold.
func TestUpgradeWorked(t *testing.T) {
	t.Run("2000 points", func(t *testing.T) {
		w := newWorld(t, nil)
		w.join(loyalty.JoinSale)
		w.earn(d(2024, 5, 1), "2500")
		rec, err := w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "points", Date: d(2024, 6, 1), IdempotencyKey: "k212"})
		require.NoError(t, err)
		assert.Equal(t, loyalty.Gold, rec.Membership.Tier)
		assert.Equal(t, loyalty.Silver, rec.Event.FromTier)
		assert.Contains(t, rec.Event.Rule, "2000 redeemable points deducted")
		assert.Equal(t, int64(-2000), rec.Entries[0].Points)
		assert.Equal(t, rec.Entries[0].ID, rec.Event.Entry)
		b := w.balances(d(2024, 6, 1))
		assert.Equal(t, int64(500), b.Available, "2,500 − 2,000")
		assert.Equal(t, int64(2500), b.Cumulative)
	})
	t.Run("1999 points are not enough", func(t *testing.T) {
		w := newWorld(t, nil)
		w.join(loyalty.JoinSale)
		w.earn(d(2024, 5, 1), "1999")
		_, err := w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: d(2024, 6, 1), IdempotencyKey: "k227"})
		assert.ErrorIs(t, err, loyalty.ErrNotEligible)
	})
	t.Run("5000 repair after joining", func(t *testing.T) {
		w := newWorld(t, nil)
		w.order(d(2024, 2, 1), crm.ServiceRepair, crm.PayerCustomer, "3000", "4000") // before joining: does not count
		w.join(loyalty.JoinSale)
		w.order(d(2024, 4, 1), crm.ServiceRepair, crm.PayerCustomer, "2000", "2999.99") // 4,999.99
		w.order(d(2024, 4, 2), crm.ServiceAccident, crm.PayerInsurer, "9000", "9000")   // insurer-paid
		w.order(d(2024, 4, 3), crm.ServiceWarranty, crm.PayerManufacturer, "6000", "0") // warranty
		_, err := w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "repair", Date: d(2024, 5, 1), IdempotencyKey: "k237"})
		require.ErrorIs(t, err, loyalty.ErrNotEligible)
		assert.Contains(t, err.Error(), "4999.99")
		w.order(d(2024, 5, 2), crm.ServiceRepair, crm.PayerCustomer, "1500", "3500") // 5,000
		rec, err := w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: d(2024, 5, 3), IdempotencyKey: "k241"})
		require.NoError(t, err)
		assert.Equal(t, "repair", rec.Event.Method)
		assert.Equal(t, loyalty.Gold, rec.Membership.Tier)
		assert.Empty(t, rec.Entries, "no points deducted")
		// The same repair does not upgrade again.
		_, err = w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "repair", Date: d(2024, 5, 4), IdempotencyKey: "k247"})
		assert.ErrorIs(t, err, loyalty.ErrNotEligible)
	})
	t.Run("7000 insurance two consecutive years", func(t *testing.T) {
		w := newWorld(t, nil)
		w.join(loyalty.JoinSale)
		w.policy(d(2024, 3, 10), "7000")
		w.policy(d(2025, 3, 10), "6999")
		_, err := w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "insurance", Date: d(2025, 4, 1), IdempotencyKey: "k255"})
		assert.ErrorIs(t, err, loyalty.ErrNotEligible, "6,999 in 2025 breaks the run")
		w.policy(d(2025, 6, 1), "1")
		rec, err := w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "insurance", Date: d(2025, 6, 2), IdempotencyKey: "k258"})
		require.NoError(t, err)
		assert.Equal(t, loyalty.Gold, rec.Membership.Tier)
		assert.Contains(t, rec.Event.Rule, "2024: 7000")
		assert.Contains(t, rec.Event.Rule, "2025: 7000")
	})
	t.Run("cumulative threshold", func(t *testing.T) {
		w := newWorld(t, nil)
		w.join(loyalty.JoinSale)
		w.earn(d(2024, 5, 1), "9999")
		rec, err := w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 9000, Purpose: "gift", Date: d(2024, 5, 2), IdempotencyKey: "k268"})
		require.NoError(t, err)
		require.Len(t, rec.Entries, 1)
		_, err = w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "cumulative", Date: d(2024, 5, 3), IdempotencyKey: "k271"})
		assert.ErrorIs(t, err, loyalty.ErrNotEligible, "9,999 < 10,000")
		w.earn(d(2024, 5, 4), "1")
		up, err := w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: d(2024, 5, 5), IdempotencyKey: "k274"})
		require.NoError(t, err)
		assert.Equal(t, "cumulative", up.Event.Method, "redeeming did not lower cumulative points")
		assert.Equal(t, int64(1000), w.balances(d(2024, 5, 5)).Available, "no points deducted")
		v, err := w.svc.Member(ctx, dealer, "c1")
		require.NoError(t, err)
		assert.Equal(t, loyalty.Diamond, v.NextTier)
		assert.Equal(t, int64(20000), v.PointsToNext, "30,000 − 10,000")
	})
}

// TestMembershipStateMachine checks the transition table and the typed
// errors of forbidden changes.
func TestMembershipStateMachine(t *testing.T) {
	w := newWorld(t, nil)
	_, err := w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", FeePaid: money("300"), IdempotencyKey: "k289"})
	var te *dealercrm.TransitionError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, dealercrm.TransitionError{Machine: "membership", From: string(loyalty.StatusNone), To: "renew", Allowed: []string{"join"}, Sentinel: loyalty.ErrInvalidTransition}, *te)
	assert.ErrorContains(t, err, "invalid membership transition none → renew (allowed from none: join)", "before joining")
	assert.ErrorIs(t, err, loyalty.ErrInvalidTransition)
	assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(err))

	w.join(loyalty.JoinSale)
	_, err = w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "c1", Method: loyalty.JoinFee, Date: joined})
	assert.ErrorIs(t, err, loyalty.ErrInvalidTransition, "joining twice")
	assert.ErrorContains(t, err, "invalid membership transition active → join (allowed from active: renew, upgrade, downgrade, lapse, cancel)")
	_, err = w.svc.Downgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: joined})
	assert.ErrorIs(t, err, loyalty.ErrInvalidTransition, "silver is the lowest tier")
	assert.ErrorContains(t, err, "invalid membership transition active → downgrade (allowed from active: renew, upgrade, lapse, cancel)",
		"the state allows a downgrade but the lowest tier does not: it is not listed")
	_, err = w.svc.Cancel(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Reason: "moved to Beijing", Date: d(2024, 4, 1)})
	require.NoError(t, err)
	_, err = w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: d(2024, 4, 2), IdempotencyKey: "k303"})
	assert.ErrorIs(t, err, loyalty.ErrInvalidTransition, "a cancelled membership cannot be upgraded")
	require.ErrorAs(t, err, &te)
	assert.Equal(t, dealercrm.TransitionError{Machine: "membership", From: "cancelled", To: "upgrade", Allowed: []string{"join"}, Sentinel: loyalty.ErrInvalidTransition}, *te)
	assert.ErrorContains(t, err, "invalid membership transition cancelled → upgrade (allowed from cancelled: join)")
	rec, err := w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "c1", Method: loyalty.JoinFee, FeePaid: money("2000"), Date: d(2024, 5, 1)})
	require.NoError(t, err, "a cancelled member may join again")
	assert.Equal(t, loyalty.Diamond, rec.Membership.Tier, "a 2,000 CNY fee buys diamond")
	_, err = w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: d(2024, 5, 2), IdempotencyKey: "k308"})
	assert.ErrorIs(t, err, loyalty.ErrTopTier)

	hist, err := w.store.MembershipEvents(ctx, dealer, "c1")
	require.NoError(t, err)
	var events []loyalty.Event
	for _, e := range hist {
		events = append(events, e.Event)
	}
	assert.Equal(t, []loyalty.Event{loyalty.EventJoin, loyalty.EventCancel, loyalty.EventJoin}, events)
	assert.Equal(t, "moved to Beijing", hist[1].Reason)

	_, err = w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "nobody", Method: loyalty.JoinSale})
	assert.ErrorIs(t, err, dealercrm.ErrNotFound, "the customer must exist")
	_, err = w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "c1", Method: "gift"})
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("method", crm.RuleEnum))
}

// TestInitialTier: seed 003 入会卡级别 — by past consumption (top 20% →
// gold) or by the fee paid.
func TestInitialTier(t *testing.T) {
	p := loyalty.DefaultProgram()
	top := money("0.15")
	tier, rule := p.InitialTier(loyalty.JoinConsumption, decimal.Zero, &top)
	assert.Equal(t, loyalty.Gold, tier)
	assert.Contains(t, rule, "top 20%")
	low := money("0.35")
	tier, _ = p.InitialTier(loyalty.JoinConsumption, decimal.Zero, &low)
	assert.Equal(t, loyalty.Silver, tier)
	tier, _ = p.InitialTier(loyalty.JoinFee, money("799"), nil)
	assert.Equal(t, loyalty.Silver, tier)
	tier, _ = p.InitialTier(loyalty.JoinFee, money("800"), &low)
	assert.Equal(t, loyalty.Gold, tier)
	tier, _ = p.InitialTier(loyalty.JoinSale, money("5000"), nil)
	assert.Equal(t, loyalty.Silver, tier, "a fee only counts when joining by fee")
}

// TestMembershipExpiry: a membership not renewed downgrades one tier for a
// new period, and the lowest tier lapses; with ExpireLapse it lapses.
func TestMembershipExpiry(t *testing.T) {
	w := newWorld(t, nil)
	w.join(loyalty.JoinSale)
	w.earn(d(2024, 5, 1), "2000")
	_, err := w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "points", Date: d(2024, 5, 2), IdempotencyKey: "k353"})
	require.NoError(t, err)
	run, err := w.svc.ProcessExpiries(ctx, dealer, d(2025, 2, 28))
	require.NoError(t, err)
	assert.Equal(t, loyalty.ExpiryRun{AsOf: d(2025, 2, 28), Notices: 1}, run, "valid through 28 February: its last day, announced")
	run, err = w.svc.ProcessExpiries(ctx, dealer, d(2025, 3, 1))
	require.NoError(t, err)
	assert.Equal(t, 1, run.Downgraded)
	m, err := w.store.Membership(ctx, dealer, "c1")
	require.NoError(t, err)
	assert.Equal(t, loyalty.Silver, m.Tier)
	assert.Equal(t, d(2026, 2, 28), m.ValidUntil)
	run, err = w.svc.ProcessExpiries(ctx, dealer, d(2025, 3, 1))
	require.NoError(t, err)
	assert.Zero(t, run.Downgraded+run.Lapsed, "running again changes nothing")
	run, err = w.svc.ProcessExpiries(ctx, dealer, d(2026, 3, 2))
	require.NoError(t, err)
	assert.Equal(t, 1, run.Lapsed, "silver lapses")
	st, err := w.svc.Statement(ctx, dealer, "c1", d(2025, 1, 1))
	require.NoError(t, err)
	assert.Equal(t, loyalty.Gold, st.Tier, "as of 1 January 2025 the member was gold")
	assert.Equal(t, loyalty.StatusActive, st.Status)
	st, err = w.svc.Statement(ctx, dealer, "c1", d(2026, 3, 2))
	require.NoError(t, err)
	assert.Equal(t, loyalty.StatusLapsed, st.Status)

	p := loyalty.DefaultProgram()
	p.OnExpiry = loyalty.ExpireLapse
	w = newWorld(t, &p)
	w.join(loyalty.JoinFee)
	run, err = w.svc.ProcessExpiries(ctx, dealer, d(2025, 3, 1))
	require.NoError(t, err)
	assert.Equal(t, 1, run.Lapsed)
}

// TestPointsExpiryLotsAndNotice: lots expire soonest first, the expiry job
// is idempotent, and a notice goes out N days before.
func TestPointsExpiryLotsAndNotice(t *testing.T) {
	p := loyalty.DefaultProgram()
	p.Points.Expiry = loyalty.YearAfterExpiry
	w := newWorld(t, &p)
	w.join(loyalty.JoinSale)
	w.earn(d(2024, 6, 1), "1000") // expires 1 January 2026
	w.earn(d(2025, 2, 1), "400")  // expires 1 January 2027
	rec, err := w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 300, Date: d(2025, 3, 1), IdempotencyKey: "k397"})
	require.NoError(t, err)
	assert.Equal(t, []loyalty.LotMove{{Lot: "c1.1", Points: -300, ExpiresOn: d(2026, 1, 1)}}, rec.Entries[0].Moves,
		"the soonest-expiring lot is used first")

	notices, err := w.svc.ExpiryNotices(ctx, dealer, d(2025, 12, 1))
	require.NoError(t, err)
	assert.Empty(t, notices, "1 January is 31 days away, beyond the 30-day notice")
	notices, err = w.svc.ExpiryNotices(ctx, dealer, d(2025, 12, 2))
	require.NoError(t, err)
	assert.Equal(t, []loyalty.Notice{{CustomerID: "c1", Points: 700, ExpiresOn: d(2026, 1, 1)}}, notices)

	run, err := w.svc.ExpirePoints(ctx, dealer, d(2025, 12, 31))
	require.NoError(t, err)
	assert.Zero(t, run.Points)
	b := w.balances(d(2026, 1, 1))
	assert.Equal(t, loyalty.Balances{Cumulative: 1400, Points: 1100, Available: 400, Overdue: 700}, b, "overdue until the job runs")
	run, err = w.svc.ExpirePoints(ctx, dealer, d(2026, 1, 1))
	require.NoError(t, err)
	assert.Equal(t, loyalty.PointsExpiryRun{AsOf: d(2026, 1, 1), Accounts: 1, Points: 700}, run)
	run, err = w.svc.ExpirePoints(ctx, dealer, d(2026, 1, 1))
	require.NoError(t, err)
	assert.Zero(t, run.Points, "the job is idempotent")
	run, err = w.svc.ExpirePoints(ctx, dealer, d(2026, 1, 5))
	require.NoError(t, err)
	assert.Zero(t, run.Points, "and runs on a later day find nothing more")
	assert.Equal(t, loyalty.Balances{Cumulative: 1400, Points: 400, Available: 400}, w.balances(d(2026, 1, 5)),
		"expiry lowers redeemable points only")

	// As of a past date, the lots and balances are what they were.
	st, err := w.svc.Statement(ctx, dealer, "c1", d(2025, 2, 15))
	require.NoError(t, err)
	assert.Equal(t, loyalty.Balances{Cumulative: 1400, Points: 1400, Available: 1400}, st.Balances)
	require.Len(t, st.Lots, 2)
	assert.Equal(t, int64(1000), st.Lots[0].Remaining)
	st, err = w.svc.Statement(ctx, dealer, "c1", d(2024, 12, 31))
	require.NoError(t, err)
	assert.Equal(t, loyalty.Balances{Cumulative: 1000, Points: 1000, Available: 1000}, st.Balances)
	assert.Equal(t, loyalty.Silver, st.Tier)
}

// TestLockPeriod: earned points are pending for the return window, and a
// return within it takes them back before they could be spent.
func TestLockPeriod(t *testing.T) {
	p := loyalty.DefaultProgram()
	p.Points.LockDays = 7
	w := newWorld(t, &p)
	w.join(loyalty.JoinSale)
	rec := w.earn(d(2024, 6, 1), "600")
	assert.Equal(t, d(2024, 6, 8), rec.Entries[0].AvailableOn)
	assert.Equal(t, loyalty.Balances{Cumulative: 600, Points: 600, Pending: 600}, w.balances(d(2024, 6, 7)))
	_, err := w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 100, Date: d(2024, 6, 7), IdempotencyKey: "k448"})
	var ie *loyalty.InsufficientPointsError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, int64(0), ie.Available, "pending points cannot be spent")
	assert.Equal(t, loyalty.Balances{Cumulative: 600, Points: 600, Available: 600}, w.balances(d(2024, 6, 8)), "activated after 7 days")

	rec2 := w.earn(d(2024, 6, 10), "200")
	rev, err := w.svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: dealer, EntryID: rec2.Entries[0].ID, Reason: "returned", Date: d(2024, 6, 12)})
	require.NoError(t, err)
	assert.Equal(t, int64(-200), rev.Entries[0].Points, "the pending lot itself is taken back")
	assert.Zero(t, rev.Entries[0].Shortfall)
	assert.Equal(t, loyalty.Balances{Cumulative: 600, Points: 600, Available: 600}, w.balances(d(2024, 6, 20)))
}

// TestReverseRedemption gives spent points back when a voucher is voided.
func TestReverseRedemption(t *testing.T) {
	w := newWorld(t, nil)
	w.join(loyalty.JoinSale)
	w.earn(d(2024, 6, 1), "1000")
	red, err := w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 400, Purpose: "voucher", Ref: "V-88", Date: d(2024, 6, 2), IdempotencyKey: "k467"})
	require.NoError(t, err)
	rev, err := w.svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: dealer, EntryID: red.Entries[0].ID, Reason: "voucher voided", Date: d(2024, 6, 3)})
	require.NoError(t, err)
	assert.Equal(t, int64(400), rev.Entries[0].Points)
	assert.Equal(t, loyalty.Balances{Cumulative: 1000, Points: 1000, Available: 1000}, w.balances(d(2024, 6, 3)))
	_, err = w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 1001, Date: d(2024, 6, 4), IdempotencyKey: "k473"})
	assert.ErrorIs(t, err, loyalty.ErrInsufficientPoints)
	_, err = w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 10, Date: d(2024, 6, 1), IdempotencyKey: "k475"})
	assert.ErrorIs(t, err, loyalty.ErrBackdated)
}

// TestGroupProgramme: points earned at one store are spent at a sister
// store; the liability stays with the store that issued them.
func TestGroupProgramme(t *testing.T) {
	p := loyalty.DefaultProgram()
	p.Groups = []loyalty.Group{{Home: "SH01", Stores: []crm.DealerID{"SH01", "SZ02"}}}
	store := memory.NewLoyaltyStore()
	svc, err := loyalty.NewService(nil, store, loyalty.WithProgram(p), loyalty.WithClock(loyaltytest.Clock))
	require.NoError(t, err)
	_, err = svc.Join(ctx, loyalty.JoinRequest{DealerID: "SZ02", CustomerID: "c1", Method: loyalty.JoinBringCar, Date: joined})
	require.NoError(t, err)
	_, err = svc.Earn(ctx, loyalty.EarnRequest{DealerID: "SH01", Order: loyaltytest.Order("sh-1", "c1", 3000, joined), Date: joined})
	require.NoError(t, err)
	_, err = svc.Earn(ctx, loyalty.EarnRequest{DealerID: "SZ02", Order: loyaltytest.Order("sz-1", "c1", 1000, joined), Date: joined})
	require.NoError(t, err)
	rec, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: "SZ02", CustomerID: "c1", Points: 2500, Purpose: "gift", Date: joined, IdempotencyKey: "k493"})
	require.NoError(t, err, "points earned in Shanghai are spent in Suzhou")
	assert.Equal(t, crm.DealerID("SZ02"), rec.Entries[0].Store)
	assert.Equal(t, crm.DealerID("SH01"), rec.Entries[0].DealerID, "the account is the group's")
	l, err := svc.Liability(ctx, "SZ02")
	require.NoError(t, err)
	require.Len(t, l.Stores, 2)
	assert.Equal(t, []any{crm.DealerID("SH01"), int64(500), "50", crm.DealerID("SZ02"), int64(1000), "100"},
		[]any{l.Stores[0].Store, l.Stores[0].Points, l.Stores[0].Value.String(), l.Stores[1].Store, l.Stores[1].Points, l.Stores[1].Value.String()},
		"3,000 − 2,500 earned at SH01 and 1,000 at SZ02 outstanding, 10 points = 1 CNY")
	assert.Equal(t, "150", l.Value.String())
	assert.Equal(t, int64(1500), l.Points)
}

// TestQuoteBenefits applies a gold member's package to a workshop quote.
func TestQuoteBenefits(t *testing.T) {
	w := newWorld(t, nil)
	_, err := w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "c1", Method: loyalty.JoinFee, FeePaid: money("800"), Date: joined})
	require.NoError(t, err)
	rec, err := w.svc.Quote(ctx, loyalty.QuoteRequest{DealerID: dealer, CustomerID: "c1", Labour: money("680"), Parts: money("1234.56"),
		FreeServices: []string{"inspection"}, Consume: true, IdempotencyKey: "q1"})
	require.NoError(t, err)
	q := rec.Quote
	assert.Equal(t, "136", q.LabourDiscount.String(), "gold: 20% off labour")
	assert.Equal(t, "123.46", q.PartsDiscount.String(), "10% off parts, to the fen")
	assert.Equal(t, "1655.1", q.Total.String())
	assert.Equal(t, []loyalty.FreeServiceUse{{Code: "inspection", Remaining: 1}}, q.FreeServices)
	_, err = w.svc.Quote(ctx, loyalty.QuoteRequest{DealerID: dealer, CustomerID: "c1", FreeServices: []string{"inspection"}, Consume: true, IdempotencyKey: "q2"})
	require.NoError(t, err)
	_, err = w.svc.Quote(ctx, loyalty.QuoteRequest{DealerID: dealer, CustomerID: "c1", FreeServices: []string{"inspection"}, Consume: true, IdempotencyKey: "q3"})
	assert.ErrorIs(t, err, loyalty.ErrQuotaExhausted, "two inspections a year")
	v, err := w.svc.Member(ctx, dealer, "c1")
	require.NoError(t, err)
	assert.Equal(t, 0, v.Remaining["inspection"])
	assert.Equal(t, 12, v.Remaining["wash"])
	_, err = w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", FeePaid: money("300"), Date: d(2025, 2, 1), IdempotencyKey: "k528"})
	require.NoError(t, err)
	v, err = w.svc.Member(ctx, dealer, "c1")
	require.NoError(t, err)
	assert.Equal(t, 2, v.Remaining["inspection"], "quotas start again with the new period")
}

// TestProgramValidation names each broken field.
func TestProgramValidation(t *testing.T) {
	p := loyalty.DefaultProgram()
	require.NoError(t, p.Validate())
	p.Tiers[1].Threshold = 0
	p.Tiers[2].Benefits.LabourDiscount = money("120")
	p.Earning[0].Rate = money("-1")
	p.Points.Expiry = loyalty.RollingExpiry
	p.Upgrade.InsuranceYears = 0
	p.BySpend[0].Tier = "platinum"
	err := p.Validate()
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, f := range []string{"tiers[1].threshold", "tiers[2].benefits.labour_discount", "earning[0].rate", "points.months",
		"upgrade.insurance_years", "by_spend[0].tier"} {
		assert.True(t, ve.Has(f, ""), "%s is named: %v", f, ve)
	}
	_, err = loyalty.NewService(nil, memory.NewLoyaltyStore(), loyalty.WithProgram(p))
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)

	// The default program survives a JSON round trip.
	b, err := json.Marshal(loyalty.DefaultProgram())
	require.NoError(t, err)
	var back loyalty.Program
	require.NoError(t, json.Unmarshal(b, &back))
	require.NoError(t, back.Validate())
	assert.Equal(t, int64(10000), back.Tiers[1].Threshold)
}

// TestAccountRandomSequences is the property test on the aggregate alone:
// random earn / redeem / reverse / expire keep balances equal to the sum of
// entries and never negative, and a replay of the entries rebuilds the
// account.
func TestAccountRandomSequences(t *testing.T) {
	for seed := range uint64(20) {
		store := memory.NewLoyaltyStore()
		p := loyalty.DefaultProgram()
		p.Points.Expiry, p.Points.Months, p.Points.LockDays = loyalty.RollingExpiry, 1+int(seed%3), int(seed%5)
		svc, err := loyalty.NewService(nil, store, loyalty.WithProgram(p), loyalty.WithClock(loyaltytest.Clock))
		require.NoError(t, err)
		loyaltytest.RandomOps(t, svc, dealer, "c1", seed, 200)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	err := error(&loyalty.InsufficientPointsError{Requested: 100, Available: 0})
	assert.True(t, errors.Is(err, loyalty.ErrInsufficientPoints))
	assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(err))
	assert.Equal(t, dealercrm.Conflict, dealercrm.ErrorCode(loyalty.ErrIdempotencyConflict))
}
