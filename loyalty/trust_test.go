package loyalty_test

import (
	"context"
	"math"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of issue 12 ("Trust: money, tenancy and privacy defects") for
// the club. The world's clock is loyaltytest.Clock: noon of 1 March 2027
// in Shanghai.

// requireInvalid asserts that err is a *crm.ValidationError naming field
// with rule.
func requireInvalid(t *testing.T, err error, field, rule string) {
	t.Helper()
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has(field, rule), "want %s/%s, got %v", field, rule, ve)
	assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "422 over HTTP")
}

// TestKeylessSpendingRefused: a library caller's redemption (and renewal,
// upgrade, consuming quote) without an idempotency key is refused, so that
// a retry can never spend twice; nothing is posted.
func TestKeylessSpendingRefused(t *testing.T) {
	w := newWorld(t, nil)
	w.join(loyalty.JoinSale)
	w.earn(d(2024, 6, 1), "3000")
	for range 2 { // a retry
		_, err := w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 500, Date: d(2024, 6, 2)})
		requireInvalid(t, err, "idempotency_key", crm.RuleRequired)
	}
	_, err := w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "points", Date: d(2024, 6, 2)})
	requireInvalid(t, err, "idempotency_key", crm.RuleRequired)
	_, err = w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Method: "points", Date: d(2024, 6, 2)})
	requireInvalid(t, err, "idempotency_key", crm.RuleRequired)
	_, err = w.svc.Quote(ctx, loyalty.QuoteRequest{DealerID: dealer, CustomerID: "c1", FreeServices: []string{"wash"}, Consume: true})
	requireInvalid(t, err, "idempotency_key", crm.RuleRequired)
	_, err = w.svc.Quote(ctx, loyalty.QuoteRequest{DealerID: dealer, CustomerID: "c1", FreeServices: []string{"wash"}})
	require.NoError(t, err, "a price-only quote spends nothing and needs no key")
	assert.Equal(t, loyalty.Balances{Cumulative: 3000, Points: 3000, Available: 3000}, w.balances(d(2024, 6, 2)), "nothing was spent")
	v, err := w.svc.Member(ctx, dealer, "c1")
	require.NoError(t, err)
	assert.Equal(t, loyalty.Silver, v.Membership.Tier)
	assert.Equal(t, 4, v.Remaining["wash"], "no wash used: silver has 4 a year")

	// The same redemption with a key, retried, spends once.
	for range 2 {
		_, err := w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 500, Date: d(2024, 6, 2), IdempotencyKey: "r-1"})
		require.NoError(t, err)
	}
	assert.Equal(t, int64(2500), w.balances(d(2024, 6, 2)).Available)
}

// TestFutureDatesRefused: issue 12 defect 7 — a redemption dated
// 9999-12-31 succeeded and every later posting of the member failed
// (postings are kept in date order). A posting may not be dated after the
// dealer's today; later postings still work.
func TestFutureDatesRefused(t *testing.T) {
	w := newWorld(t, nil)
	w.join(loyalty.JoinSale)
	w.earn(d(2027, 2, 1), "1000")
	today, tomorrow, far := d(2027, 3, 1), d(2027, 3, 2), d(9999, 12, 31)
	for _, date := range []dealercrm.Date{far, tomorrow} {
		_, err := w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 100, Date: date, IdempotencyKey: "r-" + date.String()})
		requireInvalid(t, err, "date", crm.RuleFuture)
		o := w.order(d(2027, 2, 2), crm.ServiceMaintenance, crm.PayerCustomer, "200", "0")
		_, err = w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: date})
		requireInvalid(t, err, "date", crm.RuleFuture)
		_, err = w.svc.Bonus(ctx, loyalty.BonusRequest{DealerID: dealer, CustomerID: "c1", Event: "survey_answered", Ref: "s1", Date: date})
		requireInvalid(t, err, "date", crm.RuleFuture)
		_, err = w.svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: dealer, EntryID: "c1.1", Date: date})
		requireInvalid(t, err, "date", crm.RuleFuture)
		_, err = w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", FeePaid: money("300"), Date: date, IdempotencyKey: "n"})
		requireInvalid(t, err, "date", crm.RuleFuture)
		_, err = w.svc.Cancel(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", Date: date})
		requireInvalid(t, err, "date", crm.RuleFuture)
		_, err = w.svc.ExpirePoints(ctx, dealer, date)
		requireInvalid(t, err, "as_of", crm.RuleFuture)
		_, err = w.svc.ProcessExpiries(ctx, dealer, date)
		requireInvalid(t, err, "as_of", crm.RuleFuture)
	}
	// An order the crm records would not hold, passed as it is.
	o := crm.ServiceOrder{ID: "o-future", CustomerID: "c1", Date: d(2027, 3, 5), Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: money("200")}
	_, err := w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: today})
	requireInvalid(t, err, "order.date", crm.RuleFuture)
	// Later postings work: today, and with the default date (today).
	rec, err := w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 100, Date: today, IdempotencyKey: "r-today"})
	require.NoError(t, err)
	assert.Equal(t, today, rec.Entries[0].Date)
	rec, err = w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 100, IdempotencyKey: "r-default"})
	require.NoError(t, err)
	assert.Equal(t, today, rec.Entries[0].Date, "the default date is the dealer's today")
	assert.Equal(t, int64(800), w.balances(today).Available)
	// A read may look at any date.
	_, err = w.svc.Statement(ctx, dealer, "c1", far)
	require.NoError(t, err)

	// A tolerance is configurable: one day ahead is accepted with it.
	svc, err := loyalty.NewService(w.records, w.store, loyalty.WithClock(loyaltytest.Clock), loyalty.WithLimits(crm.Limits{FutureDays: 1}))
	require.NoError(t, err)
	_, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 100, Date: tomorrow, IdempotencyKey: "r-tomorrow"})
	require.NoError(t, err)
}

// TestTodayIsTheDealers: "today" is the dealer's, in its time zone. At
// noon of 1 March 2027 in Shanghai it is still 28 February in Los Angeles.
func TestTodayIsTheDealers(t *testing.T) {
	w := newWorld(t, nil)
	const la crm.DealerID = "LA01"
	require.NoError(t, w.records.Dealers().Create(ctx, &crm.Dealer{ID: la, Name: "Los Angeles", TimeZone: "America/Los_Angeles",
		CreatedAt: created, UpdatedAt: created}))
	require.NoError(t, w.records.Customers().Create(ctx, &crm.Customer{ID: "c1", Record: crm.Record{DealerID: la, CreatedAt: created, UpdatedAt: created},
		Name: "Ms Lee", Kind: crm.Individual}))
	today, err := w.svc.Today(ctx, la)
	require.NoError(t, err)
	assert.Equal(t, d(2027, 2, 28), today)
	today, err = w.svc.Today(ctx, dealer)
	require.NoError(t, err)
	assert.Equal(t, d(2027, 3, 1), today)

	_, err = w.svc.Join(ctx, loyalty.JoinRequest{DealerID: la, CustomerID: "c1", Method: loyalty.JoinSale, Date: d(2027, 3, 1)})
	requireInvalid(t, err, "date", crm.RuleFuture)
	rec, err := w.svc.Join(ctx, loyalty.JoinRequest{DealerID: la, CustomerID: "c1", Method: loyalty.JoinSale})
	require.NoError(t, err)
	assert.Equal(t, d(2027, 2, 28), rec.Membership.JoinedOn, "joined on the dealer's today")
	_, err = w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "c1", Method: loyalty.JoinSale, Date: d(2027, 3, 1)})
	require.NoError(t, err, "1 March is today in Shanghai")
}

// TestCeilings: issue 12 defect 8 — points of one posting above
// Limits.MaxPoints and fees or amounts above Limits.MaxAmount are typed
// validation errors, and nothing is posted.
func TestCeilings(t *testing.T) {
	w := newWorld(t, nil)
	_, err := w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "c1", Method: loyalty.JoinFee, FeePaid: money("10000000.01"), Date: joined})
	requireInvalid(t, err, "fee_paid", crm.RuleMax)
	_, err = w.svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: "c1", Method: loyalty.JoinFee, FeePaid: money("2000"), Date: joined})
	require.NoError(t, err)
	_, err = w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c1", FeePaid: money("1e400"), Date: joined, IdempotencyKey: "n"})
	requireInvalid(t, err, "fee_paid", crm.RuleMax)

	// A diamond member earns ×2: 9,999,999 CNY (under the amount ceiling)
	// would earn 19,999,998 points, above the 10,000,000 of one posting.
	o := w.order(d(2024, 4, 1), crm.ServiceRepair, crm.PayerCustomer, "9999999", "0")
	_, err = w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: d(2024, 4, 1)})
	requireInvalid(t, err, "points", crm.RuleMax)
	// Orders the crm records would not hold, passed as they are.
	huge := crm.ServiceOrder{ID: "o-huge", CustomerID: "c1", Date: d(2024, 4, 1), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer,
		Labour: money("10000000.01")}
	_, err = w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: huge, Date: d(2024, 4, 1)})
	requireInvalid(t, err, "order.labour", crm.RuleMax)
	huge.Labour, huge.Parts = money("1"), money("1e30")
	_, err = w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: huge, Date: d(2024, 4, 1)})
	requireInvalid(t, err, "order.parts", crm.RuleMax)
	o = w.order(d(2024, 4, 1), crm.ServiceRepair, crm.PayerCustomer, "5000000", "0")
	rec, err := w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: d(2024, 4, 1)})
	require.NoError(t, err)
	assert.Equal(t, int64(10_000_000), rec.Entries[0].Points, "5,000,000 × 2 is exactly the ceiling")

	_, err = w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: "c1", Points: 10_000_001, Date: d(2024, 4, 2), IdempotencyKey: "r1"})
	requireInvalid(t, err, "points", crm.RuleMax)
	_, err = w.svc.Quote(ctx, loyalty.QuoteRequest{DealerID: dealer, CustomerID: "c1", Labour: money("10000000.01")})
	requireInvalid(t, err, "labour", crm.RuleMax)
	assert.Len(t, loyaltytest.AllEntries(t, w.store, dealer, "c1"), 1, "only the 5,000,000 CNY order was posted")

	// The ceilings are configurable: with 50,000,000 points the 9,999,999
	// CNY order earns 19,999,998.
	svc, err := loyalty.NewService(w.records, w.store, loyalty.WithClock(loyaltytest.Clock), loyalty.WithLimits(crm.Limits{MaxPoints: 50_000_000}))
	require.NoError(t, err)
	rec, err = svc.EarnOrder(ctx, dealer, "ob", d(2024, 4, 2), "")
	require.NoError(t, err)
	assert.Equal(t, int64(19_999_998), rec.Entries[0].Points)

	// A program that would post more at once than the ceiling is refused.
	p := loyalty.DefaultProgram()
	p.Bonuses[0].Points = 10_000_001
	_, err = loyalty.NewService(nil, memory.NewLoyaltyStore(), loyalty.WithProgram(p))
	requireInvalid(t, err, "bonuses[0].points", crm.RuleMax)
}

// TestNoOverflow: issue 12 defect 8 — no balance or sum wraps around
// int64. An account holding points near the largest int64 refuses an
// earning that would pass it, changing nothing; a report refuses a sum
// that would.
func TestNoOverflow(t *testing.T) {
	near := int64(math.MaxInt64 - 10)
	a := loyalty.RestoreAccount(loyalty.AccountData{DealerID: dealer, CustomerID: "c1", Seq: 1, Cumulative: near, Points: near, LastDate: d(2025, 1, 1),
		Lots: []loyalty.Lot{{ID: "c1.1", Store: dealer, Points: near, Remaining: near, EarnedOn: d(2025, 1, 1), AvailableOn: d(2025, 1, 1)}}})
	_, err := a.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Store: dealer, Date: d(2025, 1, 2), Points: 11})
	requireInvalid(t, err, "points", crm.RuleMax)
	assert.Empty(t, a.NewEntries(), "nothing was posted")
	assert.Equal(t, loyalty.Balances{Cumulative: near, Points: near, Available: near}, a.Balances(d(2025, 1, 2)))
	_, err = a.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Store: dealer, Date: d(2025, 1, 2), Points: 10})
	require.NoError(t, err, "up to the largest int64 is fine")
	assert.Equal(t, int64(math.MaxInt64), a.Balances(d(2025, 1, 2)).Points)

	// Reversing a redemption gives points back: not past the largest int64.
	b := loyalty.RestoreAccount(loyalty.AccountData{DealerID: dealer, CustomerID: "c1", Seq: 2, Cumulative: near, Points: near, LastDate: d(2025, 1, 1),
		Lots: []loyalty.Lot{{ID: "c1.1", Store: dealer, Points: near, Remaining: near, EarnedOn: d(2025, 1, 1), AvailableOn: d(2025, 1, 1)}}})
	_, err = b.Reverse(loyalty.Entry{ID: "c1.2", DealerID: dealer, CustomerID: "c1", Kind: loyalty.EntryRedeem, Store: dealer, Points: -100,
		Moves: []loyalty.LotMove{{Lot: "c1.1", Points: -100}}}, loyalty.Entry{Date: d(2025, 1, 2)})
	requireInvalid(t, err, "points", crm.RuleMax)
	assert.Empty(t, b.NewEntries())

	// A liability report over stores holding near-maximal points.
	svc, err := loyalty.NewService(nil, hugeStore{memory.NewLoyaltyStore()})
	require.NoError(t, err)
	_, err = svc.Liability(ctx, dealer)
	assert.ErrorIs(t, err, dealercrm.ErrInternal, "the total does not wrap around")
}

// hugeStore reports two stores whose outstanding points together pass the
// largest int64.
type hugeStore struct{ loyalty.Store }

func (hugeStore) Outstanding(context.Context, crm.DealerID) ([]loyalty.StorePoints, error) {
	return []loyalty.StorePoints{{Store: "A", Points: math.MaxInt64/2 + 1}, {Store: "B", Points: math.MaxInt64/2 + 1}}, nil
}

// TestStoreActsOnItsOwnCustomers: issue 12 defect 13 — a store acts only
// on customers it has: another store's customer is not found, in a group
// programme whose accounts the home store keeps as well as across groups.
func TestStoreActsOnItsOwnCustomers(t *testing.T) {
	p := loyalty.DefaultProgram()
	p.Groups = []loyalty.Group{{Home: dealer, Stores: []crm.DealerID{dealer, "SZ02"}}}
	w := newWorld(t, &p)
	for _, id := range []crm.DealerID{"SZ02", "BJ03"} {
		require.NoError(t, w.records.Dealers().Create(ctx, &crm.Dealer{ID: id, Name: string(id), CreatedAt: created, UpdatedAt: created}))
	}
	w.join(loyalty.JoinSale)
	earned := w.earn(d(2024, 6, 1), "1000")
	for _, other := range []crm.DealerID{"SZ02", "BJ03"} {
		t.Run(string(other), func(t *testing.T) {
			notFound := func(what string, err error) {
				t.Helper()
				assert.ErrorIs(t, err, dealercrm.ErrNotFound, "%s of another store's customer", what)
			}
			_, err := w.svc.Member(ctx, other, "c1")
			notFound("member", err)
			_, err = w.svc.Statement(ctx, other, "c1", dealercrm.Date{})
			notFound("balances", err)
			_, err = w.svc.Entries(ctx, other, "c1", loyalty.EntryFilter{})
			notFound("entries", err)
			_, err = w.svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: other, CustomerID: "c1", Points: 100, Date: d(2024, 6, 2), IdempotencyKey: "r"})
			notFound("redemption", err)
			_, err = w.svc.Renew(ctx, loyalty.ChangeRequest{DealerID: other, CustomerID: "c1", Method: "points", Date: d(2024, 6, 2), IdempotencyKey: "n"})
			notFound("renewal", err)
			_, err = w.svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: other, CustomerID: "c1", Date: d(2024, 6, 2), IdempotencyKey: "u"})
			notFound("upgrade", err)
			_, err = w.svc.Cancel(ctx, loyalty.ChangeRequest{DealerID: other, CustomerID: "c1", Date: d(2024, 6, 2)})
			notFound("cancellation", err)
			_, err = w.svc.Quote(ctx, loyalty.QuoteRequest{DealerID: other, CustomerID: "c1", FreeServices: []string{"wash"}, Consume: true, IdempotencyKey: "q"})
			notFound("quote", err)
			_, err = w.svc.Bonus(ctx, loyalty.BonusRequest{DealerID: other, CustomerID: "c1", Event: "survey_answered", Ref: "s1", Date: d(2024, 6, 2)})
			notFound("bonus", err)
			_, err = w.svc.Earn(ctx, loyalty.EarnRequest{DealerID: other, Order: loyaltytest.Order("x1", "c1", 100, d(2024, 6, 2)), Date: d(2024, 6, 2)})
			notFound("earning", err)
			_, err = w.svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: other, EntryID: earned.Entries[0].ID, Date: d(2024, 6, 2)})
			notFound("reversal", err)
		})
	}
	assert.Equal(t, loyalty.Balances{Cumulative: 1000, Points: 1000, Available: 1000}, w.balances(d(2024, 6, 2)), "nothing changed")
	m, err := w.store.Membership(ctx, dealer, "c1")
	require.NoError(t, err)
	assert.Equal(t, loyalty.StatusActive, m.Status)
}
