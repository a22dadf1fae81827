// Package loyaltytest is the conformance suite of loyalty.Store: every
// backend (adapters/memory, adapters/postgres) runs RunStoreTests. Import it
// from tests only.
package loyaltytest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The dealers of the suite.
const (
	DealerA crm.DealerID = "loyalty-a"
	DealerB crm.DealerID = "loyalty-b"
)

// Day is the suite's first day.
var Day = dealercrm.NewDate(2025, 3, 1)

// Today is the suite's today, two years after Day: postings may not be
// dated after the dealer's today, and every date the suite posts lies
// between Day and Today.
var Today = dealercrm.NewDate(2027, 3, 1)

// Clock is a fixed clock at noon of Today in Shanghai.
func Clock() time.Time { return time.Date(2027, 3, 1, 4, 0, 0, 0, time.UTC) }

// NewService returns a service on store with program p (DefaultProgram
// when nil) and the suite's clock, without crm records.
func NewService(t testing.TB, store loyalty.Store, p *loyalty.Program) *loyalty.Service {
	t.Helper()
	prog := loyalty.DefaultProgram()
	if p != nil {
		prog = *p
	}
	svc, err := loyalty.NewService(nil, store, loyalty.WithProgram(prog), loyalty.WithClock(Clock))
	require.NoError(t, err)
	return svc
}

// Order returns a customer-paid maintenance order of amount CNY.
func Order(id string, customer crm.CustomerID, amount int64, date dealercrm.Date) crm.ServiceOrder {
	return crm.ServiceOrder{ID: crm.ServiceOrderID(id), CustomerID: customer, VehicleID: "v-" + crm.VehicleID(customer), Date: date,
		Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(amount)}
}

// Member joins customer to dealer's club on Day and gives it points by a
// customer-paid order of that many CNY (none when 0).
func Member(t testing.TB, svc *loyalty.Service, dealer crm.DealerID, customer crm.CustomerID, points int64) {
	t.Helper()
	ctx := context.Background()
	_, err := svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: customer, Method: loyalty.JoinSale, Date: Day})
	require.NoError(t, err)
	if points > 0 {
		_, err = svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: Order("seed-"+string(customer), customer, points, Day), Date: Day})
		require.NoError(t, err)
	}
}

// AllEntries reads every entry of a customer.
func AllEntries(t testing.TB, store loyalty.Store, dealer crm.DealerID, customer crm.CustomerID) []loyalty.Entry {
	t.Helper()
	ctx := context.Background()
	es, err := crm.All(ctx, func(after string) (crm.Page[loyalty.Entry], error) {
		return store.Entries(ctx, dealer, customer, loyalty.EntryFilter{PageRequest: crm.PageRequest{After: after, Limit: 7}})
	})
	require.NoError(t, err)
	return es
}

// CheckInvariants asserts that the account's balances equal the sums of
// its entries, that no balance is negative and that the open lots hold the
// balance.
func CheckInvariants(t testing.TB, store loyalty.Store, dealer crm.DealerID, customer crm.CustomerID, on dealercrm.Date) loyalty.Balances {
	t.Helper()
	acct, err := store.Account(context.Background(), dealer, customer)
	require.NoError(t, err)
	b := acct.Balances(on)
	var pts, cum int64
	for _, e := range AllEntries(t, store, dealer, customer) {
		pts += e.Points
		cum += e.Cumulative
	}
	assert.Equal(t, pts, b.Points, "redeemable balance = sum of entries")
	assert.Equal(t, cum, b.Cumulative, "cumulative balance = sum of entries")
	assert.Equal(t, b.Points, b.Available+b.Pending+b.Overdue, "points = available + pending + overdue")
	var lots int64
	for _, l := range acct.Lots() {
		assert.Positive(t, l.Remaining, "open lots hold points")
		lots += l.Remaining
	}
	assert.Equal(t, b.Points, lots, "lots hold the balance")
	assert.GreaterOrEqual(t, b.Available, int64(0), "never negative")
	assert.GreaterOrEqual(t, b.Cumulative, int64(0), "cumulative never negative")
	replayed, err := loyalty.Replay(dealer, customer, AllEntries(t, store, dealer, customer))
	require.NoError(t, err)
	assert.Equal(t, b, replayed.Balances(on), "replaying the ledger gives the same balances")
	return b
}

// RunStoreTests runs the conformance suite against stores made by
// newStore, each fresh and empty.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) loyalty.Store) {
	ctx := context.Background()

	t.Run("JoinEarnRedeemRead", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 1280)
		m, err := store.Membership(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Equal(t, loyalty.Silver, m.Tier)
		assert.Equal(t, loyalty.StatusActive, m.Status)
		assert.Equal(t, dealercrm.NewDate(2026, 2, 28), m.ValidUntil, "one year of validity")
		assert.Equal(t, int64(1), m.Version)
		_, err = store.Membership(ctx, DealerB, "c1")
		assert.ErrorIs(t, err, loyalty.ErrNotFound, "memberships are per dealer")

		rec, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 280, Purpose: "voucher", Ref: "v1",
			Date: Day.AddDays(1), IdempotencyKey: "r1"})
		require.NoError(t, err)
		require.Len(t, rec.Entries, 1)
		e := rec.Entries[0]
		assert.Equal(t, loyalty.EntryID("c1.2"), e.ID)
		assert.Equal(t, int64(-280), e.Points)
		assert.Equal(t, []loyalty.LotMove{{Lot: "c1.1", Points: -280}}, e.Moves)
		got, err := store.Entry(ctx, DealerA, e.ID)
		require.NoError(t, err)
		assert.Equal(t, e, got, "entries read back as posted")
		_, err = store.Entry(ctx, DealerB, e.ID)
		assert.ErrorIs(t, err, loyalty.ErrNotFound)
		_, err = store.Entry(ctx, DealerA, "c1.99")
		assert.ErrorIs(t, err, loyalty.ErrNotFound)
		_, err = store.Entry(ctx, DealerA, "garbage")
		assert.ErrorIs(t, err, loyalty.ErrNotFound)

		b := CheckInvariants(t, store, DealerA, "c1", Day.AddDays(1))
		assert.Equal(t, loyalty.Balances{Cumulative: 1280, Points: 1000, Available: 1000}, b)
		events, err := store.MembershipEvents(ctx, DealerA, "c1")
		require.NoError(t, err)
		require.Len(t, events, 1)
		assert.Equal(t, loyalty.EventJoin, events[0].Event)
		assert.Equal(t, int64(1), events[0].Seq)
	})

	t.Run("EntriesPagingAndUntil", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 0)
		for i := range 10 {
			_, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order(fmt.Sprint("o", i), "c1", 100, Day.AddDays(i)), Date: Day.AddDays(i)})
			require.NoError(t, err)
		}
		all := AllEntries(t, store, DealerA, "c1")
		require.Len(t, all, 10)
		for i, e := range all {
			assert.Equal(t, int64(i+1), e.Seq)
		}
		p, err := store.Entries(ctx, DealerA, "c1", loyalty.EntryFilter{Until: Day.AddDays(4)})
		require.NoError(t, err)
		assert.Len(t, p.Items, 5, "until is inclusive")
		_, err = store.Entries(ctx, DealerA, "c1", loyalty.EntryFilter{PageRequest: crm.PageRequest{After: "!!"}})
		assert.ErrorIs(t, err, dealercrm.ErrInvalid)
		p, err = store.Entries(ctx, DealerA, "nobody", loyalty.EntryFilter{})
		require.NoError(t, err)
		assert.Empty(t, p.Items)
	})

	t.Run("IdempotentReplayAndConflict", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 1000)
		req := loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 600, Purpose: "gift", Date: Day, IdempotencyKey: "k1"}
		first, err := svc.Redeem(ctx, req)
		require.NoError(t, err)
		assert.False(t, first.Replayed)
		again, err := svc.Redeem(ctx, req)
		require.NoError(t, err, "a replay succeeds although 400 points are left")
		assert.True(t, again.Replayed)
		assert.Equal(t, first.Entries, again.Entries, "the replay returns the first result")
		req.Points = 100
		_, err = svc.Redeem(ctx, req)
		assert.ErrorIs(t, err, loyalty.ErrIdempotencyConflict)
		assert.ErrorIs(t, err, dealercrm.ErrConflict)
		// Another customer cannot take the key either.
		Member(t, svc, DealerA, "c2", 1000)
		_, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c2", Points: 100, Date: Day, IdempotencyKey: "k1"})
		assert.ErrorIs(t, err, loyalty.ErrIdempotencyConflict)
		// Keys are per dealer.
		Member(t, svc, DealerB, "c1", 1000)
		_, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerB, CustomerID: "c1", Points: 600, Purpose: "gift", Date: Day, IdempotencyKey: "k1"})
		require.NoError(t, err)
		assert.Len(t, AllEntries(t, store, DealerA, "c1"), 2, "one earning, one redemption")

		// A membership command replays with its membership and event.
		join := loyalty.JoinRequest{DealerID: DealerA, CustomerID: "c3", Method: loyalty.JoinFee, FeePaid: decimal.NewFromInt(800), Date: Day, IdempotencyKey: "join-c3"}
		j1, err := svc.Join(ctx, join)
		require.NoError(t, err)
		j2, err := svc.Join(ctx, join)
		require.NoError(t, err)
		assert.True(t, j2.Replayed)
		assert.Equal(t, j1.Membership, j2.Membership)
		assert.Equal(t, j1.Event, j2.Event)
		assert.Equal(t, loyalty.Gold, j2.Membership.Tier, "an 800 CNY fee buys gold")
		e1, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o-c3", "c3", 1000, Day), Date: Day})
		require.NoError(t, err)
		e2, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o-c3", "c3", 1000, Day), Date: Day.AddDays(1)})
		require.NoError(t, err)
		assert.True(t, e2.Replayed, "the same order posted a day later is a replay")
		assert.Equal(t, e1.Entries, e2.Entries)
		require.NotNil(t, e2.Earning)
		assert.Equal(t, int64(1200), e2.Earning.Points, "gold ×1.2")
		assert.Equal(t, e1.Earning.Rule, e2.Earning.Rule)
		assert.Equal(t, int64(400), CheckInvariants(t, store, DealerA, "c1", Day).Available)
	})

	t.Run("FailedCommandStoresNothing", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 500)
		boom := errors.New("boom")
		_, err := store.Do(ctx, loyalty.Command{DealerID: DealerA, CustomerID: "c1", Key: "x", Hash: "h",
			Apply: func(s *loyalty.State) (loyalty.Receipt, error) {
				if _, err := s.Account.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Date: Day, Points: 10}); err != nil {
					return loyalty.Receipt{}, err
				}
				if _, err := s.Account.Redeem(loyalty.Entry{Date: Day, Points: 100}); err != nil {
					return loyalty.Receipt{}, err
				}
				s.Membership.Tier = loyalty.Diamond
				return loyalty.Receipt{}, boom
			}})
		assert.ErrorIs(t, err, boom)
		assert.Len(t, AllEntries(t, store, DealerA, "c1"), 1)
		m, err := store.Membership(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Equal(t, loyalty.Silver, m.Tier, "the membership is unchanged")
		assert.Equal(t, int64(500), CheckInvariants(t, store, DealerA, "c1", Day).Available)
		// The key was not taken by the failed command.
		_, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 1, Date: Day, IdempotencyKey: "x"})
		require.NoError(t, err)
	})

	t.Run("ReverseOnce", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 1000)
		_, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 700, Date: Day, IdempotencyKey: "r1"})
		require.NoError(t, err)
		rec, err := svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: DealerA, EntryID: "c1.1", Reason: "order voided", Date: Day})
		require.NoError(t, err)
		e := rec.Entries[0]
		assert.Equal(t, int64(-300), e.Points, "only what is left comes back")
		assert.Equal(t, int64(700), e.Shortfall)
		assert.Equal(t, int64(-1000), e.Cumulative, "cumulative points of the voided order are taken back in full")
		again, err := svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: DealerA, EntryID: "c1.1", Reason: "again", Date: Day, IdempotencyKey: "other"})
		require.NoError(t, err, "a second reversal under another key answers the first")
		assert.True(t, again.Replayed)
		assert.Equal(t, rec.Entries, again.Entries)
		_, err = svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: DealerA, EntryID: e.ID, Date: Day})
		assert.ErrorIs(t, err, loyalty.ErrNotReversible)
		b := CheckInvariants(t, store, DealerA, "c1", Day)
		assert.Equal(t, loyalty.Balances{}, b)
		assert.Len(t, AllEntries(t, store, DealerA, "c1"), 3, "earning, redemption, one reversal")
	})

	// SPEC §4: a source document earns at most once per account whatever
	// idempotency keys callers send (issue 12: three keys on one order
	// gave three earnings). A second posting of a source answers the
	// first receipt as a replay, and takes the new key for it.
	t.Run("SourcePostsOnceWhateverTheKeys", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 0)
		order := Order("o-keys", "c1", 1280, Day)
		first, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: order, Date: Day, IdempotencyKey: "a"})
		require.NoError(t, err)
		require.Len(t, first.Entries, 1)
		assert.False(t, first.Replayed)
		for i, key := range []string{"b", "c", ""} {
			rec, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: order, Date: Day.AddDays(i + 1), IdempotencyKey: key})
			require.NoError(t, err, "key %q", key)
			assert.True(t, rec.Replayed, "key %q replays the order's posting", key)
			assert.Equal(t, first.Entries, rec.Entries, "key %q", key)
			require.NotNil(t, rec.Earning, "key %q", key)
			assert.Equal(t, int64(1280), rec.Earning.Points, "key %q", key)
			assert.Equal(t, first.Earning.Rule, rec.Earning.Rule, "key %q", key)
		}
		// The new key now holds the replayed receipt: the same input
		// replays it, another input under it is a conflict.
		rec, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: order, Date: Day.AddDays(1), IdempotencyKey: "b"})
		require.NoError(t, err)
		assert.True(t, rec.Replayed)
		_, err = svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o-other", "c1", 5, Day), Date: Day, IdempotencyKey: "b"})
		assert.ErrorIs(t, err, loyalty.ErrIdempotencyConflict)

		// One survey answer earns its bonus once: 50 points.
		var bonus loyalty.Receipt
		for i, key := range []string{"b1", "b2", "b3"} {
			rec, err := svc.Bonus(ctx, loyalty.BonusRequest{DealerID: DealerA, CustomerID: "c1", Event: "survey_answered", Ref: "s-1", Date: Day, IdempotencyKey: key})
			require.NoError(t, err, "key %s", key)
			assert.Equal(t, i > 0, rec.Replayed, "key %s", key)
			if i == 0 {
				bonus = rec
				continue
			}
			assert.Equal(t, bonus.Entries, rec.Entries, "key %s", key)
		}
		// One entry is reversed once.
		var rev loyalty.Receipt
		for i, key := range []string{"v1", "v2", "v3"} {
			rec, err := svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: DealerA, EntryID: first.Entries[0].ID, Reason: "order voided", Date: Day, IdempotencyKey: key})
			require.NoError(t, err, "key %s", key)
			assert.Equal(t, i > 0, rec.Replayed, "key %s", key)
			if i == 0 {
				rev = rec
				continue
			}
			assert.Equal(t, rev.Entries, rec.Entries, "key %s", key)
		}
		entries := AllEntries(t, store, DealerA, "c1")
		require.Len(t, entries, 3, "one earning, one bonus, one reversal")
		assert.Equal(t, []loyalty.EntryKind{loyalty.EntryEarn, loyalty.EntryBonus, loyalty.EntryReverse},
			[]loyalty.EntryKind{entries[0].Kind, entries[1].Kind, entries[2].Kind})
		assert.Equal(t, loyalty.Balances{Cumulative: 50, Points: 50, Available: 50}, CheckInvariants(t, store, DealerA, "c1", Day),
			"1,280 earned and reversed, 50 of bonus")
	})

	// The same order ID at two stores of a group programme is two
	// documents: each earns once, on the group's account.
	t.Run("SourcesAreTheStoresDocuments", func(t *testing.T) {
		store := newStore(t)
		p := loyalty.DefaultProgram()
		p.Groups = []loyalty.Group{{Home: DealerA, Stores: []crm.DealerID{DealerA, DealerB}}}
		svc := NewService(t, store, &p)
		Member(t, svc, DealerA, "c1", 0)
		for i, dealer := range []crm.DealerID{DealerA, DealerB, DealerA, DealerB} {
			rec, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: Order("o-1", "c1", 100, Day), Date: Day, IdempotencyKey: fmt.Sprint("k", i)})
			require.NoError(t, err)
			assert.Equal(t, i >= 2, rec.Replayed, "posting %d at %s", i, dealer)
		}
		assert.Len(t, AllEntries(t, store, DealerA, "c1"), 2, "order o-1 of each store")
		assert.Equal(t, int64(200), CheckInvariants(t, store, DealerA, "c1", Day).Points)
	})

	// Concurrent postings of one source under different keys: one entry.
	t.Run("ConcurrentSourceDifferentKeys", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 0)
		const n = 16
		var wg sync.WaitGroup
		earned := make([]loyalty.Receipt, n)
		for i := range n {
			wg.Go(func() {
				r, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o-race", "c1", 750, Day), Date: Day, IdempotencyKey: fmt.Sprint("earn-", i)})
				if assert.NoError(t, err, "earning %d", i) {
					earned[i] = r
				}
			})
		}
		wg.Wait()
		entries := AllEntries(t, store, DealerA, "c1")
		require.Len(t, entries, 1, "%d keys on one order post one entry", n)
		replays := 0
		for _, r := range earned {
			require.Len(t, r.Entries, 1)
			assert.Equal(t, entries[0].ID, r.Entries[0].ID)
			if r.Replayed {
				replays++
			}
		}
		assert.Equal(t, n-1, replays)
		for i := range n {
			wg.Go(func() {
				_, err := svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: DealerA, EntryID: entries[0].ID, Reason: "voided", Date: Day, IdempotencyKey: fmt.Sprint("rev-", i)})
				assert.NoError(t, err, "reversal %d", i)
			})
		}
		wg.Wait()
		assert.Len(t, AllEntries(t, store, DealerA, "c1"), 2, "%d keys reverse the entry once", n)
		assert.Equal(t, loyalty.Balances{}, CheckInvariants(t, store, DealerA, "c1", Day))
	})

	// One key sent concurrently for different customers: the first takes
	// it, the others are conflicts (their input differs), and nothing else
	// goes wrong.
	t.Run("ConcurrentKeyAcrossCustomers", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		const n = 8
		for i := range n {
			Member(t, svc, DealerA, crm.CustomerID(fmt.Sprint("c", i)), 1000)
		}
		var wg sync.WaitGroup
		var ok, conflicts atomic.Int32
		for i := range n {
			wg.Go(func() {
				_, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: crm.CustomerID(fmt.Sprint("c", i)), Points: 100, Date: Day,
					IdempotencyKey: "shared"})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, loyalty.ErrIdempotencyConflict):
					conflicts.Add(1)
				default:
					t.Errorf("customer %d: unexpected error %v", i, err)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), ok.Load())
		assert.Equal(t, int32(n-1), conflicts.Load())
		var points int64
		for i := range n {
			points += CheckInvariants(t, store, DealerA, crm.CustomerID(fmt.Sprint("c", i)), Day).Points
		}
		assert.Equal(t, int64(n*1000-100), points, "one redemption of 100")
	})

	// A command that posts from a source it does not name is refused, so
	// that no path can post a source twice.
	t.Run("UndeclaredSourceRefused", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 100)
		_, err := store.Do(ctx, loyalty.Command{DealerID: DealerA, CustomerID: "c1", Key: "raw", Hash: "h",
			Apply: func(s *loyalty.State) (loyalty.Receipt, error) {
				e, err := s.Account.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Store: DealerA, Date: Day, Points: 100,
					Source: loyalty.Source{Type: "service_order", ID: "seed-c1"}, IdempotencyKey: "raw"})
				return loyalty.Receipt{Entries: []loyalty.Entry{e}}, err
			}})
		assert.ErrorIs(t, err, loyalty.ErrUndeclaredSource)
		assert.ErrorIs(t, err, dealercrm.ErrInvalid)
		assert.Len(t, AllEntries(t, store, DealerA, "c1"), 1, "nothing was posted")
		_, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 1, Date: Day, IdempotencyKey: "raw"})
		require.NoError(t, err, "the refused command did not take its key")

		// A source posted without a key (a raw command) answers a later
		// posting of it with the entry alone.
		bonus := loyalty.Entry{Kind: loyalty.EntryBonus, Store: DealerA, Date: Day, Points: 50, Source: loyalty.Source{Type: "bonus", ID: "survey_answered:s-9"}}
		posted, err := store.Do(ctx, loyalty.Command{DealerID: DealerA, CustomerID: "c1", Source: bonus.SourceKey(),
			Apply: func(s *loyalty.State) (loyalty.Receipt, error) {
				e, err := s.Account.Earn(bonus)
				return loyalty.Receipt{Entries: []loyalty.Entry{e}}, err
			}})
		require.NoError(t, err)
		rec, err := svc.Bonus(ctx, loyalty.BonusRequest{DealerID: DealerA, CustomerID: "c1", Event: "survey_answered", Ref: "s-9", Date: Day, IdempotencyKey: "b-9"})
		require.NoError(t, err)
		assert.True(t, rec.Replayed)
		assert.Equal(t, posted.Entries, rec.Entries)
		assert.Equal(t, int64(149), CheckInvariants(t, store, DealerA, "c1", Day).Points, "100 − 1 + 50")
	})

	t.Run("MembershipsListAndFilter", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		for i := range 5 {
			Member(t, svc, DealerA, crm.CustomerID(fmt.Sprint("m", i)), 0)
		}
		Member(t, svc, DealerB, "m9", 0)
		_, err := svc.Cancel(ctx, loyalty.ChangeRequest{DealerID: DealerA, CustomerID: "m3", Reason: "moved away", Date: Day})
		require.NoError(t, err)
		all, err := crm.All(ctx, func(after string) (crm.Page[loyalty.Membership], error) {
			return store.ListMemberships(ctx, DealerA, loyalty.MembershipFilter{PageRequest: crm.PageRequest{After: after, Limit: 2}})
		})
		require.NoError(t, err)
		require.Len(t, all, 5)
		assert.Equal(t, crm.CustomerID("m0"), all[0].CustomerID)
		assert.Equal(t, crm.CustomerID("m4"), all[4].CustomerID)
		p, err := store.ListMemberships(ctx, DealerA, loyalty.MembershipFilter{Status: loyalty.StatusCancelled})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		assert.Equal(t, crm.CustomerID("m3"), p.Items[0].CustomerID)
		p, err = store.ListMemberships(ctx, DealerA, loyalty.MembershipFilter{Tier: loyalty.Gold})
		require.NoError(t, err)
		assert.Empty(t, p.Items)
		p, err = store.ListMemberships(ctx, DealerA, loyalty.MembershipFilter{CustomerIDs: []crm.CustomerID{"m4", "m1", "m9", "x"}})
		require.NoError(t, err)
		require.Len(t, p.Items, 2, "m1 and m4 of dealer A (m9 is B's)")
		assert.Equal(t, []crm.CustomerID{"m1", "m4"}, []crm.CustomerID{p.Items[0].CustomerID, p.Items[1].CustomerID})
		p, err = store.ListMemberships(ctx, DealerA, loyalty.MembershipFilter{Status: loyalty.StatusActive, CustomerIDs: []crm.CustomerID{"m3", "m2"}})
		require.NoError(t, err)
		require.Len(t, p.Items, 1, "m3 is cancelled")
		assert.Equal(t, crm.CustomerID("m2"), p.Items[0].CustomerID)
	})

	t.Run("DueLotsAndOutstanding", func(t *testing.T) {
		store := newStore(t)
		p := loyalty.DefaultProgram()
		p.Points.Expiry, p.Points.Months = loyalty.RollingExpiry, 12
		p.Groups = []loyalty.Group{{Home: DealerA, Stores: []crm.DealerID{DealerA, DealerB}}}
		svc := NewService(t, store, &p)
		Member(t, svc, DealerA, "c1", 300)
		_, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerB, Order: Order("b1", "c1", 200, Day), Date: Day})
		require.NoError(t, err)
		due, err := store.DueLots(ctx, DealerA, Day.AddYears(1))
		require.NoError(t, err)
		require.Len(t, due, 2)
		assert.Equal(t, int64(300), due[0].Lot.Remaining)
		assert.Equal(t, Day.AddYears(1), due[0].Lot.ExpiresOn)
		due, err = store.DueLots(ctx, DealerA, Day.AddYears(1).AddDays(-1))
		require.NoError(t, err)
		assert.Empty(t, due)
		out, err := store.Outstanding(ctx, DealerA)
		require.NoError(t, err)
		assert.Equal(t, []loyalty.StorePoints{{Store: DealerA, Points: 300}, {Store: DealerB, Points: 200}}, out)
	})

	t.Run("ConcurrentRedemptions", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 1000)
		var ok, short atomic.Int32
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				_, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 100, Date: Day,
					IdempotencyKey: fmt.Sprint("redeem-", i)})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, loyalty.ErrInsufficientPoints):
					short.Add(1)
				default:
					t.Errorf("redemption %d: unexpected error %v", i, err)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(10), ok.Load(), "exactly 10 redemptions of 100 fit in 1,000 points")
		assert.Equal(t, int32(40), short.Load(), "the other 40 get ErrInsufficientPoints")
		b := CheckInvariants(t, store, DealerA, "c1", Day)
		assert.Equal(t, int64(0), b.Points)
		assert.Len(t, AllEntries(t, store, DealerA, "c1"), 11)
	})

	t.Run("ConcurrentRetriesOneKey", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 0)
		var wg sync.WaitGroup
		results := make([]loyalty.Receipt, 20)
		for i := range 20 {
			wg.Go(func() {
				r, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o-retry", "c1", 750, Day), Date: Day})
				if assert.NoError(t, err) {
					results[i] = r
				}
			})
		}
		wg.Wait()
		entries := AllEntries(t, store, DealerA, "c1")
		require.Len(t, entries, 1, "20 retries with one key post one entry")
		replays := 0
		for _, r := range results {
			require.Len(t, r.Entries, 1)
			assert.Equal(t, entries[0].ID, r.Entries[0].ID)
			if r.Replayed {
				replays++
			}
		}
		assert.Equal(t, 19, replays)
		assert.Equal(t, int64(750), CheckInvariants(t, store, DealerA, "c1", Day).Points)
	})

	t.Run("RandomSequencesKeepInvariants", func(t *testing.T) {
		store := newStore(t)
		p := loyalty.DefaultProgram()
		p.Points.Expiry, p.Points.Months, p.Points.LockDays = loyalty.RollingExpiry, 2, 3
		svc := NewService(t, store, &p)
		RandomOps(t, svc, DealerA, "p1", 1, 150)
		RandomOps(t, svc, DealerA, "p2", 2, 150)
	})

	runPrivacyStoreTests(t, newStore)
}

// RandomOps runs n random earn / bonus / redeem / reverse / expire commands
// on one customer (joining it first), moving the date forward at random,
// and checks the invariants after each.
func RandomOps(t testing.TB, svc *loyalty.Service, dealer crm.DealerID, customer crm.CustomerID, seed uint64, n int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 42))
	store := svc.Store()
	Member(t, svc, dealer, customer, 0)
	date := Day
	var posted []loyalty.EntryID
	receipts := map[loyalty.EntryID]loyalty.Entry{}
	for i := range n {
		date = date.AddDays(rng.IntN(4))
		var err error
		var rec loyalty.Receipt
		switch op := rng.IntN(10); {
		case op < 4:
			o := Order(fmt.Sprint(customer, "-o", i), customer, rng.Int64N(3000), date)
			if rng.IntN(4) == 0 {
				o.Payer = crm.PayerInsurer
			}
			rec, err = svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: date})
		case op < 5:
			rec, err = svc.Bonus(ctx, loyalty.BonusRequest{DealerID: dealer, CustomerID: customer, Event: "survey_answered", Ref: fmt.Sprint(i), Date: date})
		case op < 8:
			rec, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: customer, Points: 1 + rng.Int64N(1500), Date: date,
				IdempotencyKey: fmt.Sprint(customer, "-r", i)})
			if errors.Is(err, loyalty.ErrInsufficientPoints) {
				err = nil
			}
		case op < 9:
			if len(posted) == 0 {
				continue
			}
			id := posted[rng.IntN(len(posted))]
			rec, err = svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: dealer, EntryID: id, Reason: "random", Date: date})
			if errors.Is(err, loyalty.ErrNotReversible) {
				err = nil
			}
		default:
			_, err = svc.ExpirePoints(ctx, dealer, date)
		}
		require.NoError(t, err, "step %d", i)
		for _, e := range rec.Entries {
			posted = append(posted, e.ID)
			receipts[e.ID] = e
		}
		if i%10 == 0 || i == n-1 {
			CheckInvariants(t, store, dealer, customer, date)
		}
	}
	// The store reads every entry back as its receipt gave it.
	seen := 0
	for _, e := range AllEntries(t, store, dealer, customer) {
		if want, ok := receipts[e.ID]; ok {
			require.Equal(t, want, e, "entry %s read back", e.ID)
			seen++
		}
	}
	assert.Equal(t, len(receipts), seen, "every posted entry is stored")
	// Every past date's statement is consistent too.
	for d := Day; !d.After(date); d = d.AddDays(11) {
		st, err := svc.Statement(ctx, dealer, customer, d)
		require.NoError(t, err)
		b := st.Balances
		assert.Equal(t, b.Points, b.Available+b.Pending+b.Overdue, "as of %s", d)
		assert.GreaterOrEqual(t, b.Available, int64(0), "as of %s", d)
		var lots int64
		for _, l := range st.Lots {
			lots += l.Remaining
		}
		assert.Equal(t, b.Points, lots, "as of %s", d)
	}
}
