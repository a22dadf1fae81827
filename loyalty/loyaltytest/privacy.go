package loyaltytest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The personal data the privacy cases write into the club's free text:
// a name and a mobile number, in reasons and labels of the caller.
const (
	PersonName   = "王伟"
	PersonMobile = "13912345678"
)

// DealerC is a dealer outside the suite's group programmes.
const DealerC crm.DealerID = "loyalty-c"

// Personal gives customer of dealer (the asking store) the worked records
// of the privacy cases, each with caller text quoting PersonName and
// PersonMobile, and returns the entries posted:
//
//	join (sale) on Day, reason quoting the person          event 1
//	order o-<customer> of 1,280 CNY on Day      +1,280     entry 1 (earn)
//	survey bonus, answer a-<customer>, Day+1       +50     entry 2 (bonus)
//	redeem 280 for a gift labelled with the name   −280    entry 3 (redeem)
//	reversal of the redemption, reason quoting      +280    entry 4 (reverse)
//	the same reversal again under a second key:  replayed
//	renewal by 500 points on Day+4                  −500    entry 5, event 2
//
// Redeemable balance 830 (1,280 + 50 − 280 + 280 − 500), cumulative 1,330.
func Personal(t testing.TB, svc *loyalty.Service, dealer crm.DealerID, customer crm.CustomerID) []loyalty.Entry {
	t.Helper()
	ctx := context.Background()
	c := string(customer)
	var posted []loyalty.Entry
	post := func(rec loyalty.Receipt, err error) loyalty.Receipt {
		t.Helper()
		require.NoError(t, err)
		if !rec.Replayed {
			posted = append(posted, rec.Entries...)
		}
		return rec
	}
	post(svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: customer, Method: loyalty.JoinSale, Date: Day,
		Reason: "referred by " + PersonName + ", " + PersonMobile, IdempotencyKey: "join-" + c}))
	post(svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: Order("o-"+c, customer, 1280, Day), Date: Day}))
	post(svc.Bonus(ctx, loyalty.BonusRequest{DealerID: dealer, CustomerID: customer, Event: "survey_answered", Ref: "a-" + c, Date: Day.AddDays(1)}))
	redeem := post(svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: customer, Points: 280, Purpose: "gift",
		Ref: "gift for " + PersonName, Reason: PersonName + " called from " + PersonMobile, Date: Day.AddDays(2), IdempotencyKey: "redeem-" + c}))
	for _, key := range []string{"rev-" + c, "rev2-" + c} {
		post(svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: dealer, EntryID: redeem.Entries[0].ID, Reason: "refund to " + PersonName + " " + PersonMobile,
			Date: Day.AddDays(3), IdempotencyKey: key}))
	}
	post(svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: customer, Method: "points", Reason: PersonName + " renewed by phone",
		Date: Day.AddDays(4), IdempotencyKey: "renew-" + c}))
	require.Len(t, posted, 5)
	return posted
}

// AssertNoPersonalText asserts that v, encoded as JSON, quotes neither
// PersonName nor PersonMobile.
func AssertNoPersonalText(t testing.TB, v any, what string) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	assert.NotContains(t, string(b), PersonName, "%s quotes the name", what)
	assert.NotContains(t, string(b), PersonMobile, "%s quotes the mobile", what)
}

// requirePersonalText asserts that v, encoded as JSON, quotes the person.
func requirePersonalText(t testing.TB, v any, what string) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.Contains(t, string(b), PersonMobile, "%s quotes the person before erasure", what)
}

// replays repeats the keyed commands of Personal on customer and returns
// their receipts, which must all be replays.
func replays(t testing.TB, svc *loyalty.Service, dealer crm.DealerID, customer crm.CustomerID, redeemed loyalty.EntryID) []loyalty.Receipt {
	t.Helper()
	ctx := context.Background()
	c := string(customer)
	var out []loyalty.Receipt
	add := func(rec loyalty.Receipt, err error) {
		t.Helper()
		require.NoError(t, err)
		assert.True(t, rec.Replayed, "a retry after erasure is a replay")
		out = append(out, rec)
	}
	add(svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: customer, Method: loyalty.JoinSale, Date: Day,
		Reason: "referred by " + PersonName + ", " + PersonMobile, IdempotencyKey: "join-" + c}))
	add(svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: customer, Points: 280, Purpose: "gift",
		Ref: "gift for " + PersonName, Reason: PersonName + " called from " + PersonMobile, Date: Day.AddDays(2), IdempotencyKey: "redeem-" + c}))
	for _, key := range []string{"rev-" + c, "rev2-" + c, "rev3-" + c} {
		add(svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: dealer, EntryID: redeemed, Reason: "refund to " + PersonName + " " + PersonMobile,
			Date: Day.AddDays(3), IdempotencyKey: key}))
	}
	add(svc.Renew(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: customer, Method: "points", Reason: PersonName + " renewed by phone",
		Date: Day.AddDays(4), IdempotencyKey: "renew-" + c}))
	return out
}

// held is what the store holds about one customer, for before/after
// comparisons.
type held struct {
	Membership *loyalty.Membership
	Events     []loyalty.MembershipEvent
	Entries    []loyalty.Entry
}

func holds(t testing.TB, store loyalty.Store, dealer crm.DealerID, customer crm.CustomerID) held {
	t.Helper()
	ctx := context.Background()
	var h held
	if m, err := store.Membership(ctx, dealer, customer); err == nil {
		h.Membership = &m
	} else {
		require.ErrorIs(t, err, loyalty.ErrNotFound)
	}
	var err error
	h.Events, err = store.MembershipEvents(ctx, dealer, customer)
	require.NoError(t, err)
	h.Entries = AllEntries(t, store, dealer, customer)
	return h
}

// worked are the balances of Personal's records.
var worked = loyalty.Balances{Cumulative: 1330, Points: 830, Available: 830}

// runPrivacyStoreTests are the cases of Store.EraseText and of the
// Service's export and erasure (crm.PersonalData) without crm records.
func runPrivacyStoreTests(t *testing.T, newStore func(t *testing.T) loyalty.Store) {
	ctx := context.Background()

	// Issue 12 defect 6: the ledger, the events and the stored receipts
	// kept the reasons and labels quoting the person after erasure.
	t.Run("EraseTextKeepsTheBooks", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		posted := Personal(t, svc, DealerA, "c1")
		Personal(t, svc, DealerA, "c2")
		Personal(t, svc, DealerB, "c1")
		before := holds(t, store, DealerA, "c1")
		requirePersonalText(t, before, "the ledger")
		others := []held{holds(t, store, DealerA, "c2"), holds(t, store, DealerB, "c1")}
		require.Equal(t, worked, CheckInvariants(t, store, DealerA, "c1", Today))

		for range 2 {
			require.NoError(t, store.EraseText(ctx, DealerA, "c1"), "erasing twice is fine")
		}
		after := holds(t, store, DealerA, "c1")
		AssertNoPersonalText(t, after, "the erased ledger and events")
		assert.Equal(t, worked, CheckInvariants(t, store, DealerA, "c1", Today), "balances and lots are unchanged")
		assert.Equal(t, before.Membership, after.Membership, "the membership has no free text")
		require.Len(t, after.Entries, len(before.Entries))
		for i, e := range after.Entries {
			b := before.Entries[i]
			assert.Equal(t, b.SourceKey(), e.SourceKey(), "entry %s still counts its source once", e.ID)
			want := b
			want.EraseText()
			assert.Equal(t, want, e, "entry %s: only the free text is cleared", e.ID)
		}
		// Worked: what the package wrote stays, what the caller wrote goes.
		e := after.Entries
		assert.Equal(t, []int64{1280, 50, -280, 280, -500}, []int64{e[0].Points, e[1].Points, e[2].Points, e[3].Points, e[4].Points})
		assert.Equal(t, posted[0].Reason, e[0].Reason, "an earning's rule is the program's")
		assert.Equal(t, "bonus for survey_answered", e[1].Reason)
		assert.Equal(t, loyalty.Source{Type: "bonus", ID: "survey_answered:a-c1"}, e[1].Source, "a bonus's record still counts once")
		assert.Equal(t, loyalty.Source{Type: "gift"}, e[2].Source, "the purpose stays, the label goes")
		assert.Empty(t, e[2].Reason)
		assert.Equal(t, "redeem-c1", e[2].IdempotencyKey, "keys stay: they guard retries")
		assert.Empty(t, e[3].Reason)
		assert.Equal(t, e[2].ID, e[3].Reverses)
		assert.Empty(t, e[4].Reason, "the renewal deduction's reason is cleared with the redemptions'")
		require.Len(t, after.Events, 2)
		assert.Empty(t, after.Events[0].Reason)
		assert.Empty(t, after.Events[1].Reason)
		assert.Equal(t, before.Events[1].Rule, after.Events[1].Rule, "the rule that fired stays")

		// Retries after erasure are replays: nothing is spent twice, and
		// the stored receipts no longer quote the person.
		rs := replays(t, svc, DealerA, "c1", posted[2].ID)
		AssertNoPersonalText(t, rs, "replayed receipts")
		assert.Equal(t, int64(-280), rs[1].Entries[0].Points)
		assert.Equal(t, worked, CheckInvariants(t, store, DealerA, "c1", Today), "replays post nothing")

		assert.Equal(t, others, []held{holds(t, store, DealerA, "c2"), holds(t, store, DealerB, "c1")},
			"another customer and another dealer's customer are untouched")
		AssertNoPersonalText(t, holds(t, store, DealerA, "nobody"), "a customer without data")
		require.NoError(t, store.EraseText(ctx, DealerA, "nobody"), "erasing a customer without data does nothing")
	})

	// Erasures concurrent with postings on the account: every posting is
	// kept, balances stay the sums of the entries, and the last erasure
	// leaves no text.
	t.Run("EraseTextConcurrentWithPostings", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		Member(t, svc, DealerA, "c1", 1000)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 10, Date: Day,
					Reason: PersonName + " " + PersonMobile, IdempotencyKey: fmt.Sprint("cr", i)})
				assert.NoError(t, err)
			})
		}
		for range 4 {
			wg.Go(func() { assert.NoError(t, store.EraseText(ctx, DealerA, "c1")) })
		}
		wg.Wait()
		require.NoError(t, store.EraseText(ctx, DealerA, "c1"))
		assert.Len(t, AllEntries(t, store, DealerA, "c1"), 9, "one earning, eight redemptions")
		assert.Equal(t, int64(920), CheckInvariants(t, store, DealerA, "c1", Day).Available, "1,000 − 8 × 10")
		AssertNoPersonalText(t, holds(t, store, DealerA, "c1"), "the ledger after the last erasure")
	})

	t.Run("ExportAndEraseCustomer", func(t *testing.T) {
		store := newStore(t)
		svc := NewService(t, store, nil)
		posted := Personal(t, svc, DealerA, "c1")
		Personal(t, svc, DealerA, "c2")
		export := func(dealer crm.DealerID, c crm.CustomerID) loyalty.CustomerData {
			t.Helper()
			v, err := svc.ExportCustomer(ctx, dealer, c)
			require.NoError(t, err)
			require.IsType(t, loyalty.CustomerData{}, v)
			return v.(loyalty.CustomerData)
		}
		assert.Equal(t, "loyalty", svc.PersonalDataSection())
		x := export(DealerA, "c1")
		require.NotNil(t, x.Membership)
		assert.Equal(t, loyalty.StatusActive, x.Membership.Status)
		assert.Len(t, x.Events, 2, "join and renewal")
		assert.Equal(t, posted, x.Entries, "the whole ledger")
		requirePersonalText(t, x, "the export")
		other := export(DealerA, "c2")

		require.NoError(t, svc.EraseCustomer(ctx, DealerA, "c1"))
		require.NoError(t, svc.EraseCustomer(ctx, DealerA, "c1"), "erasing twice is fine")
		x = export(DealerA, "c1")
		AssertNoPersonalText(t, x, "the export after erasure")
		require.NotNil(t, x.Membership)
		assert.Equal(t, loyalty.StatusCancelled, x.Membership.Status, "an erased member's membership is cancelled")
		require.Len(t, x.Events, 3, "one cancellation, not two")
		assert.Equal(t, loyalty.EventCancel, x.Events[2].Event)
		assert.Equal(t, loyalty.ErasedReason, x.Events[2].Reason)
		assert.Equal(t, Today, x.Events[2].Date)
		require.Len(t, x.Entries, 5)
		assert.Equal(t, worked, CheckInvariants(t, store, DealerA, "c1", Today), "the points stay on the account")
		_, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o-after", "c1", 100, Today), Date: Today})
		assert.ErrorIs(t, err, loyalty.ErrNotMember, "a cancelled member earns nothing more")
		assert.Equal(t, other, export(DealerA, "c2"), "another customer is untouched")

		// A customer who never joined: an empty section, and erasing it
		// stores nothing.
		x = export(DealerA, "c9")
		assert.Nil(t, x.Membership)
		assert.Empty(t, x.Events)
		assert.Empty(t, x.Entries)
		b, err := json.Marshal(x)
		require.NoError(t, err)
		assert.JSONEq(t, `{"membership":null,"membership_events":[],"entries":[]}`, string(b))
		require.NoError(t, svc.EraseCustomer(ctx, DealerA, "c9"))
		p, err := store.ListMemberships(ctx, DealerA, loyalty.MembershipFilter{})
		require.NoError(t, err)
		assert.Len(t, p.Items, 2, "erasing c9 made no membership")
	})

	// In a group programme the home store keeps the accounts: a sister
	// store's export and erasure reach them; a dealer outside the group
	// is another club.
	t.Run("ExportAndEraseInAGroup", func(t *testing.T) {
		store := newStore(t)
		p := loyalty.DefaultProgram()
		p.Groups = []loyalty.Group{{Home: DealerA, Stores: []crm.DealerID{DealerA, DealerB}}}
		svc := NewService(t, store, &p)
		Personal(t, svc, DealerB, "c1")
		Personal(t, svc, DealerC, "c1")
		outside := holds(t, store, DealerC, "c1")
		v, err := svc.ExportCustomer(ctx, DealerB, "c1")
		require.NoError(t, err)
		assert.Len(t, v.(loyalty.CustomerData).Entries, 5, "the store sees the group's account")
		require.NoError(t, svc.EraseCustomer(ctx, DealerB, "c1"))
		AssertNoPersonalText(t, holds(t, store, DealerA, "c1"), "the group's account")
		assert.Equal(t, worked, CheckInvariants(t, store, DealerA, "c1", Today))
		assert.Equal(t, outside, holds(t, store, DealerC, "c1"), "a dealer outside the group is untouched")
	})
}

// RunPrivacyTests runs the PIPL cases of the club through crm.Service on
// the crm records and loyalty store made by newStores, each fresh and
// empty: the loyalty section of an export and an erasure that reaches the
// ledger (issue 12 defect 6).
func RunPrivacyTests(t *testing.T, newStores func(t *testing.T) (crm.Store, loyalty.Store)) {
	ctx := context.Background()
	now := func() time.Time { return Clock() }

	t.Run("CustomerErasureReachesTheClub", func(t *testing.T) {
		records, store := newStores(t)
		people := crm.NewService(records, crm.WithClock(now))
		for _, d := range []crm.DealerID{DealerA, DealerB} {
			_, err := people.CreateDealer(ctx, crm.Dealer{ID: d, Name: "店 " + string(d), TimeZone: dealercrm.DefaultTimeZone})
			require.NoError(t, err)
		}
		club, err := loyalty.NewService(records, store, loyalty.WithClock(now))
		require.NoError(t, err)
		people.AddPersonalData(club)
		newCustomer := func(d crm.DealerID) crm.CustomerID {
			t.Helper()
			c, err := people.CreateCustomer(ctx, d, crm.Customer{Name: PersonName, Mobile: PersonMobile, Gender: crm.Male})
			require.NoError(t, err)
			return c.ID
		}
		c, other, elsewhere := newCustomer(DealerA), newCustomer(DealerA), newCustomer(DealerB)
		posted := Personal(t, club, DealerA, c)
		Personal(t, club, DealerA, other)
		Personal(t, club, DealerB, elsewhere)
		kept := []held{holds(t, store, DealerA, other), holds(t, store, DealerB, elsewhere)}

		x, err := people.ExportCustomer(ctx, DealerA, c)
		require.NoError(t, err)
		require.Contains(t, x.Sections, "loyalty")
		section := x.Sections["loyalty"].(loyalty.CustomerData)
		assert.Equal(t, posted, section.Entries, "the export holds the points ledger")
		assert.Len(t, section.Events, 2)
		require.NotNil(t, section.Membership)

		require.NoError(t, people.EraseCustomer(ctx, DealerA, c))
		require.NoError(t, people.EraseCustomer(ctx, DealerA, c), "erasing twice is fine")
		x, err = people.ExportCustomer(ctx, DealerA, c)
		require.NoError(t, err)
		AssertNoPersonalText(t, x, "the whole export after erasure")
		section = x.Sections["loyalty"].(loyalty.CustomerData)
		require.Len(t, section.Entries, 5, "the ledger is kept, anonymised")
		assert.Equal(t, loyalty.StatusCancelled, section.Membership.Status)
		st, err := club.Statement(ctx, DealerA, c, Today)
		require.NoError(t, err)
		assert.Equal(t, worked, st.Balances, "balances are unchanged")
		assert.Equal(t, kept, []held{holds(t, store, DealerA, other), holds(t, store, DealerB, elsewhere)},
			"another customer and another dealer's customer are untouched")
	})
}
