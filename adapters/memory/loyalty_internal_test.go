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

// TestLoyaltyReplayRebuildsReceipt: a replay rebuilds the first receipt from
// the compact ledger and earning, whether the earning's decimals fit in
// 64 bits (stored without pointers) or not (stored as they are), and from
// another customer's ledger when a command on that customer took the key
// with the same input.
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

// TestLoyaltyHashClashes forces two keys and two customers onto one 64-bit
// hash: each is still found as itself.
func TestLoyaltyHashClashes(t *testing.T) {
	s := NewLoyaltyStore()
	const h = 0xfeedface << 20
	a := s.slotHashed(h, "d1", "c1", true)
	b := s.slotHashed(h, "d1", "c2", true)
	c := s.slotHashed(h, "d2", "c1", true)
	assert.NotSame(t, a, b)
	assert.NotSame(t, a, c)
	assert.Same(t, a, s.slotHashed(h, "d1", "c1", false))
	assert.Same(t, b, s.slotHashed(h, "d1", "c2", false))
	assert.Same(t, c, s.slotHashed(h, "d2", "c1", false))
	assert.Nil(t, s.slotHashed(h, "d1", "c3", false))
	assert.Same(t, b, s.slotOf(b.ref))

	sh := &s.keys[0]
	r := loyalty.Receipt{}
	k1, k2 := idemKey{dealer: "d1", key: "x", h: h}, idemKey{dealer: "d1", key: "y", h: h}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	require.NoError(t, sh.put(k1, "h1", idemRec{seq: 1, n: 1}, &r))
	require.NoError(t, sh.put(k2, "h2", idemRec{seq: 7, n: 1}, &r))
	got1, ok1 := sh.find(k1)
	got2, ok2 := sh.find(k2)
	require.True(t, ok1)
	require.True(t, ok2)
	assert.Equal(t, int64(1), got1.seq)
	assert.Equal(t, int64(7), got2.seq)
	assert.True(t, sh.hit(got2, "h2").sameIn)
	assert.False(t, sh.hit(got2, "h1").sameIn)
	_, ok := sh.find(idemKey{dealer: "d2", key: "x", h: h})
	assert.False(t, ok, "keys are per dealer")
}

// TestLedgerRefusesDatesOutsideTheCalendar: a date that cannot be packed
// is refused before anything is stored.
func TestLedgerRefusesDatesOutsideTheCalendar(t *testing.T) {
	var l ledger
	err := l.appendable([]loyalty.Entry{{Date: day, ExpiresOn: dealercrm.Date{Year: 2026, Month: 1, Day: 40}}})
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
	require.NoError(t, l.appendable([]loyalty.Entry{{Date: day}}))
	for _, d := range []dealercrm.Date{{}, day, {Year: -44, Month: 3, Day: 15}, {Year: 9999, Month: 12, Day: 31}} {
		p, ok := packDate(d)
		require.True(t, ok)
		assert.Equal(t, d, unpackDate(p))
	}
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

// FuzzLedgerRoundTrip stores entries with arbitrary strings, dates and
// moves (and enough distinct reasons to fill the dictionary) and reads
// each back as it was stored.
func FuzzLedgerRoundTrip(f *testing.F) {
	f.Add("earning[0] kind=maintenance", "o-1", "k-1", "SH01", int64(388), 3, int64(1700000000))
	f.Add("", "", "", "", int64(0), 0, int64(0))
	f.Add("退款 ✓", "\x00\xff", string(make([]byte, 70000)), "门店", int64(-5), 400, int64(-1))
	f.Fuzz(func(t *testing.T, reason, sourceID, key, store string, points int64, days int, created int64) {
		var l ledger
		var want []loyalty.Entry
		for i := range 3 * dictSize / 2 {
			e := loyalty.Entry{DealerID: "d1", CustomerID: "c1", Seq: int64(i + 1), Kind: loyalty.EntryKind(reason),
				Store: crm.DealerID(store), Date: day.AddDays(days % 3000), Points: points + int64(i), Cumulative: -points,
				AvailableOn: day.AddDays(i), Source: loyalty.Source{Type: reason, ID: sourceID},
				Reverses: loyalty.EntryID(key), Shortfall: int64(days), Reason: fmt.Sprint(reason, i), IdempotencyKey: key}
			e.ID = loyalty.NewEntryID("c1", e.Seq)
			if i%2 == 0 {
				e.ExpiresOn = day.AddDays(365 + i)
				e.Moves = []loyalty.LotMove{{Lot: loyalty.EntryID(sourceID), Points: -points, ExpiresOn: e.ExpiresOn}, {Lot: "c1.1", Points: 1}}
			}
			if created != 0 {
				e.CreatedAt = time.Unix(created%(1<<40), int64(i)*1000).UTC()
			}
			es := []loyalty.Entry{e}
			require.NoError(t, l.appendable(es))
			l.append(es)
			want = append(want, e)
		}
		for i, e := range want {
			require.Equal(t, e, l.entry("d1", "c1", int64(i+1)), "entry %d", i+1)
			require.Equal(t, e.Date, l.date(int64(i+1)))
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

// TestLoyaltyEraseTextLeavesNoCopy: the ledger's text buffer only grows,
// so erasing a customer's text must drop the old buffer rather than only
// stop referring to it; the receipts stored with keys lose their event
// reasons too. The test reads the store's insides for the mobile number.
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
		sl := s.slot("d1", "c1", false)
		for _, c := range sl.ledger.text.c {
			if strings.Contains(string(c), mobile) {
				return true
			}
		}
		for _, d := range sl.ledger.dict {
			if strings.Contains(d, mobile) {
				return true
			}
		}
		for _, ev := range sl.events {
			if strings.Contains(ev.Reason, mobile) {
				return true
			}
		}
		for i := range s.keys {
			sh := &s.keys[i]
			for j := range sh.extras.len() {
				if ev := sh.extras.at(j).Event; ev != nil && strings.Contains(ev.Reason, mobile) {
					return true
				}
			}
		}
		return false
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
