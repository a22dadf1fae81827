package memory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var day = dealercrm.NewDate(2026, 3, 2)

// earn is a command posting points with key k and returning an earning
// explained by amount.
func earn(customer crm.CustomerID, key, hash string, points int64, amount decimal.Decimal) loyalty.Command {
	source := (&loyalty.Entry{Kind: loyalty.EntryEarn, Store: "d2", Source: loyalty.Source{Type: "service_order", ID: "o-" + key}}).SourceKey()
	return loyalty.Command{DealerID: "d1", CustomerID: customer, Key: key, Hash: hash, Source: source,
		Apply: func(s *loyalty.State) (loyalty.Receipt, error) {
			if _, err := s.Account.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Store: "d2", Date: day, Points: points,
				ExpiresOn: day.AddDays(730), Source: loyalty.Source{Type: "service_order", ID: "o-" + key},
				Reason: "earning[0]", IdempotencyKey: key, CreatedAt: time.Date(2026, 3, 2, 9, 30, 0, 123000, time.UTC)}); err != nil {
				return loyalty.Receipt{}, err
			}
			return loyalty.Receipt{Entries: s.Account.NewEntries(), Earning: &loyalty.Earning{Amount: amount,
				Rate: decimal.RequireFromString("1.0"), TierMultiplier: decimal.RequireFromString("1.2"),
				CampaignMultiplier: decimal.NewFromInt(2), Campaign: "金秋保养月", Points: points, Rule: "earning[0]"}}, nil
		}}
}

// TestLoyaltyReplayRebuildsReceipt: a replay rebuilds the first receipt
// from the ledger and the stored earning, whether the earning's decimals
// fit in 64 bits or not, and from another customer's ledger when a command
// on that customer took the key with the same input.
func TestLoyaltyReplayRebuildsReceipt(t *testing.T) {
	ctx := context.Background()
	for _, amount := range []string{"1280.50", "123456789012345678901234.5"} {
		t.Run(amount, func(t *testing.T) {
			s := NewLoyaltyStore()
			first, err := s.Do(ctx, earn("c1", "k1", "h1", 1280, decimal.RequireFromString(amount)))
			require.NoError(t, err)
			again, err := s.Do(ctx, earn("c1", "k1", "h1", 1280, decimal.RequireFromString(amount)))
			require.NoError(t, err)
			assert.True(t, again.Replayed)
			assert.Equal(t, first.Entries, again.Entries, "entries read back as posted")
			assert.True(t, first.Earning.Amount.Equal(again.Earning.Amount), "%s = %s", first.Earning.Amount, again.Earning.Amount)
			assert.Equal(t, first.Earning.Amount.String(), again.Earning.Amount.String())
			assert.Equal(t, "1.2", again.Earning.TierMultiplier.String())
			assert.Equal(t, "金秋保养月", again.Earning.Campaign)
			assert.Equal(t, "earning[0]", again.Earning.Rule)
			assert.NotSame(t, first.Earning, again.Earning)

			// The same input on another customer replays c1's receipt;
			// other input is a conflict.
			other, err := s.Do(ctx, earn("c2", "k1", "h1", 1280, decimal.RequireFromString(amount)))
			require.NoError(t, err)
			assert.Equal(t, first.Entries, other.Entries)
			_, err = s.Do(ctx, earn("c2", "k1", "h2", 5, decimal.NewFromInt(5)))
			assert.ErrorIs(t, err, loyalty.ErrIdempotencyConflict)
			a, err := s.Account(ctx, "d1", "c2")
			require.NoError(t, err)
			assert.Equal(t, loyalty.Balances{}, a.Balances(day), "nothing was posted on c2")
		})
	}
}

// TestLoyaltyAccountsAndKeysAreOwn: an account is one dealer's customer's,
// and a key one dealer's: the same customer or key under another dealer is
// another one.
func TestLoyaltyAccountsAndKeysAreOwn(t *testing.T) {
	ctx := context.Background()
	s := NewLoyaltyStore()
	post := func(dealer crm.DealerID, customer crm.CustomerID, key, hash string, points int64) (loyalty.Receipt, error) {
		return s.Do(ctx, loyalty.Command{DealerID: dealer, CustomerID: customer, Key: key, Hash: hash,
			Apply: func(st *loyalty.State) (loyalty.Receipt, error) {
				if _, err := st.Account.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Date: day, Points: points}); err != nil {
					return loyalty.Receipt{}, err
				}
				return loyalty.Receipt{Entries: st.Account.NewEntries()}, nil
			}})
	}
	_, err := post("d1", "c1", "x", "h1", 1)
	require.NoError(t, err)
	_, err = post("d1", "c2", "y", "h2", 2)
	require.NoError(t, err)
	_, err = post("d2", "c1", "x", "h3", 4)
	require.NoError(t, err, "keys are per dealer")
	for _, c := range []struct {
		dealer   crm.DealerID
		customer crm.CustomerID
		points   int64
	}{{"d1", "c1", 1}, {"d1", "c2", 2}, {"d2", "c1", 4}, {"d1", "c3", 0}} {
		a, err := s.Account(ctx, c.dealer, c.customer)
		require.NoError(t, err)
		assert.Equal(t, c.points, a.Balances(day).Points, "%s/%s", c.dealer, c.customer)
	}
	r, err := post("d1", "c1", "y", "h2", 2)
	require.NoError(t, err)
	assert.True(t, r.Replayed, "y is found as itself")
	assert.Equal(t, loyalty.EntryID("c2.1"), r.Entries[0].ID)
	_, err = post("d1", "c1", "x", "h2", 1)
	assert.ErrorIs(t, err, loyalty.ErrIdempotencyConflict)
}

// TestLoyaltyRefusesInvalidDates: a posting with a date outside the
// calendar is refused before anything is stored.
func TestLoyaltyRefusesInvalidDates(t *testing.T) {
	ctx := context.Background()
	s := NewLoyaltyStore()
	_, err := s.Do(ctx, loyalty.Command{DealerID: "d1", CustomerID: "c1", Key: "k", Hash: "h",
		Apply: func(st *loyalty.State) (loyalty.Receipt, error) {
			_, err := st.Account.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Date: day, Points: 5,
				ExpiresOn: dealercrm.Date{Year: 2026, Month: 1, Day: 40}})
			return loyalty.Receipt{Entries: st.Account.NewEntries()}, err
		}})
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
	es, err := s.Entries(ctx, "d1", "c1", loyalty.EntryFilter{})
	require.NoError(t, err)
	assert.Empty(t, es.Items, "nothing was stored")
	_, err = s.Do(ctx, earn("c1", "k", "other", 7, decimal.NewFromInt(7)))
	require.NoError(t, err, "the key is free again")
}

// TestLoyaltyAbandonedCommandChangesNothing: the account a store keeps at
// rest is never changed by a command on it that fails after posting
// (earning, appending a lot, and redeeming, changing lots), and an
// account read from the store shares nothing with it.
func TestLoyaltyAbandonedCommandChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := NewLoyaltyStore()
	run := func(apply func(a *loyalty.Account) error) error {
		_, err := s.Do(ctx, loyalty.Command{DealerID: "d1", CustomerID: "c1", Apply: func(st *loyalty.State) (loyalty.Receipt, error) {
			return loyalty.Receipt{}, apply(st.Account)
		}})
		return err
	}
	lots := func() []loyalty.Lot {
		a, err := s.Account(ctx, "d1", "c1")
		require.NoError(t, err)
		return a.Lots()
	}
	for i := range 3 {
		require.NoError(t, run(func(a *loyalty.Account) error {
			_, err := a.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Store: "SH01", Date: dealercrm.NewDate(2025, 1, 1+i), Points: 100})
			return err
		}))
	}
	want := lots()
	require.Len(t, want, 3)

	failed := errors.New("abandoned")
	err := run(func(a *loyalty.Account) error {
		if _, err := a.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Store: "SH09", Date: dealercrm.NewDate(2025, 2, 1), Points: 7}); err != nil {
			return err
		}
		if _, err := a.Redeem(loyalty.Entry{Date: dealercrm.NewDate(2025, 2, 1), Points: 250}); err != nil {
			return err
		}
		return failed
	})
	require.ErrorIs(t, err, failed)
	assert.Equal(t, want, lots(), "an abandoned command changes nothing at rest")

	require.NoError(t, run(func(a *loyalty.Account) error {
		_, err := a.Redeem(loyalty.Entry{Date: dealercrm.NewDate(2025, 2, 2), Points: 150})
		return err
	}))
	got := lots()
	require.Len(t, got, 2, "the first lot was spent and is closed")
	assert.Equal(t, int64(50), got[0].Remaining)
	assert.Equal(t, loyalty.EntryID("c1.2"), got[0].ID)

	// An account read from the store shares nothing with it.
	b, err := s.Account(ctx, "d1", "c1")
	require.NoError(t, err)
	assert.Equal(t, int64(150), b.Balances(dealercrm.NewDate(2025, 2, 2)).Available)
	_, err = b.Redeem(loyalty.Entry{Date: dealercrm.NewDate(2025, 2, 3), Points: 150})
	require.NoError(t, err)
	assert.Equal(t, got, lots())
}

// TestLoyaltyApplyPanicReleasesLocks: a command whose Apply panics leaves
// nothing stored and no lock held, so that the customer and the key can
// be used again (a server that recovers from the panic goes on).
func TestLoyaltyApplyPanicReleasesLocks(t *testing.T) {
	ctx := context.Background()
	s := NewLoyaltyStore()
	boom := loyalty.Command{DealerID: "d1", CustomerID: "c1", Key: "k1", Hash: "h1",
		Apply: func(st *loyalty.State) (loyalty.Receipt, error) {
			_, _ = st.Account.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Date: day, Points: 5})
			panic("host bug")
		}}
	assert.Panics(t, func() { _, _ = s.Do(ctx, boom) })
	done := make(chan error, 1)
	go func() {
		_, err := s.Do(ctx, earn("c1", "k1", "h1", 7, decimal.NewFromInt(7)))
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the customer or the key stayed locked after a panic")
	}
	a, err := s.Account(ctx, "d1", "c1")
	require.NoError(t, err)
	assert.Equal(t, int64(7), a.Balances(day).Points, "the panicking command stored nothing")
}

// FuzzLoyaltyRoundTrip posts entries with arbitrary strings, dates and
// times and reads each back as it was posted.
func FuzzLoyaltyRoundTrip(f *testing.F) {
	f.Add("earning[0] kind=maintenance", "o-1", "k-1", "SH01", int64(388), 3, int64(1700000000))
	f.Add("", "", "", "", int64(0), 0, int64(0))
	f.Add("退款 ✓", "\x00\xff", string(make([]byte, 70000)), "门店", int64(5), 400, int64(-1))
	f.Fuzz(func(t *testing.T, reason, sourceID, key, store string, points int64, days int, created int64) {
		ctx := context.Background()
		s := NewLoyaltyStore()
		var want []loyalty.Entry
		for i := range 8 {
			e := loyalty.Entry{Kind: loyalty.EntryEarn, Store: crm.DealerID(store), Date: day.AddDays(days%3000 + i),
				Points: (points%1000+1000)%1000 + int64(i), AvailableOn: day.AddDays(days%3000 + i + 1),
				Source: loyalty.Source{Type: reason}, Reason: fmt.Sprint(reason, i), IdempotencyKey: key}
			if i%2 == 0 {
				e.ExpiresOn = day.AddDays(days%3000 + 365 + i)
			}
			if created != 0 {
				e.CreatedAt = time.Unix(created%(1<<40), int64(i)*1000).In(time.FixedZone("CST", 8*3600))
			}
			_, err := s.Do(ctx, loyalty.Command{DealerID: "d1", CustomerID: "c1", Apply: func(st *loyalty.State) (loyalty.Receipt, error) {
				posted, err := st.Account.Earn(e)
				if i%2 == 1 && err == nil {
					_, err = st.Account.Redeem(loyalty.Entry{Date: e.Date, Points: 1, Reason: sourceID})
				}
				if err != nil && !errors.Is(err, loyalty.ErrInsufficientPoints) {
					return loyalty.Receipt{}, err
				}
				want = append(want, posted)
				return loyalty.Receipt{}, nil
			}})
			require.NoError(t, err)
		}
		es, err := s.Entries(ctx, "d1", "c1", loyalty.EntryFilter{PageRequest: crm.PageRequest{Limit: 100}})
		require.NoError(t, err)
		var earned []loyalty.Entry
		for _, e := range es.Items {
			got, err := s.Entry(ctx, "d1", e.ID)
			require.NoError(t, err)
			require.Equal(t, e, got)
			if e.Kind == loyalty.EntryEarn {
				earned = append(earned, e)
			}
		}
		require.Len(t, earned, len(want))
		for i, e := range want {
			e.CreatedAt = e.CreatedAt.UTC()
			require.Equal(t, e, earned[i], "entry %d", i+1)
		}
	})
}

// TestLoyaltyKeysAcrossCustomersConcurrently: goroutines post 200 keys on
// 8 customers at once, every key on every customer, half of them with the
// input of the first customer (replays) and half with their own (conflicts):
// each key ends up posted exactly once, and nothing deadlocks.
func TestLoyaltyKeysAcrossCustomersConcurrently(t *testing.T) {
	ctx := context.Background()
	s := NewLoyaltyStore()
	const keys, customers = 200, 8
	errs := make(chan error, keys*customers)
	done := make(chan struct{})
	for c := range customers {
		go func() {
			defer func() { done <- struct{}{} }()
			cust := crm.CustomerID(fmt.Sprint("c", c))
			for k := range keys {
				key := fmt.Sprint("k", (k+c*31)%keys)
				hash := "same"
				if k%2 == 1 {
					hash = string(cust)
				}
				_, err := s.Do(ctx, earn(cust, key, hash+key, 1, decimal.NewFromInt(1)))
				if err != nil && !errors.Is(err, loyalty.ErrIdempotencyConflict) {
					errs <- err
				}
			}
		}()
	}
	for range customers {
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("deadlock")
		}
	}
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var total int64
	for c := range customers {
		a, err := s.Account(ctx, "d1", crm.CustomerID(fmt.Sprint("c", c)))
		require.NoError(t, err)
		total += a.Balances(day).Points
	}
	assert.Equal(t, int64(keys), total, "every key posted once, on one customer")
}

// TestLoyaltyEraseTextLeavesNoCopy: erasing a customer's text leaves no
// copy in the ledger, the events or the receipts stored with keys. The test reads the store's insides for the mobile number.
func TestLoyaltyEraseTextLeavesNoCopy(t *testing.T) {
	ctx := context.Background()
	const mobile = "13912345678"
	s := NewLoyaltyStore()
	svc, err := loyalty.NewService(nil, s, loyalty.WithClock(func() time.Time { return time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC) }))
	require.NoError(t, err)
	_, err = svc.Join(ctx, loyalty.JoinRequest{DealerID: "d1", CustomerID: "c1", Method: loyalty.JoinSale, Date: day, Reason: "call " + mobile, IdempotencyKey: "j"})
	require.NoError(t, err)
	_, err = svc.Bonus(ctx, loyalty.BonusRequest{DealerID: "d1", CustomerID: "c1", Event: "survey_answered", Ref: "a1", Date: day})
	require.NoError(t, err)
	_, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: "d1", CustomerID: "c1", Points: 10, Ref: "for " + mobile, Reason: "asked from " + mobile,
		Date: day, IdempotencyKey: "r"})
	require.NoError(t, err)
	holds := func() bool {
		a := s.account("d1", "c1", false)
		var receipts []loyalty.Receipt
		for _, rec := range s.keys {
			if rec.account == a && rec.receipt != nil {
				receipts = append(receipts, *rec.receipt)
			}
		}
		return strings.Contains(fmt.Sprintf("%+v %+v %+v", a.entries, a.events, receipts), mobile)
	}
	require.True(t, holds(), "the store holds the mobile before erasure")
	require.NoError(t, s.EraseText(ctx, "d1", "c1"))
	assert.False(t, holds(), "no copy of the mobile is left in the store")
	es, err := s.Entries(ctx, "d1", "c1", loyalty.EntryFilter{})
	require.NoError(t, err)
	require.Len(t, es.Items, 2)
	assert.Equal(t, "bonus for survey_answered", es.Items[0].Reason, "the package's own text is kept")
	assert.Equal(t, int64(-10), es.Items[1].Points)
}
