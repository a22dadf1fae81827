package loyalty_test

import (
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ledger posts the earnings of points on the 1st of Jan..n of 2025, each
// expiring a year later, then redeems spend points on Feb 1.
func ledger(t *testing.T, customer crm.CustomerID, points []int64, spend int64) []loyalty.Entry {
	t.Helper()
	a := loyalty.NewAccount("d1", customer)
	for i, p := range points {
		d := dealercrm.NewDate(2025, 1, 1+i)
		_, err := a.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Store: "d1", Date: d, Points: p, ExpiresOn: d.AddYears(1)})
		require.NoError(t, err)
	}
	if spend > 0 {
		_, err := a.Redeem(loyalty.Entry{Store: "d1", Date: dealercrm.NewDate(2025, 2, 1), Points: spend})
		require.NoError(t, err)
	}
	return a.NewEntries()
}

// TestMergeLedgers: the survivor S has earned 100 (entry S.1); the merged
// M earned 300 and 200 and redeemed 350 (M.1, M.2, M.3, the redemption
// taking 300 from M.1's lot and 50 from M.2's). After the merge S's
// ledger is S.1…S.4: M.3, now S.4, moves lots S.2 and S.3; the balance is
// 100 + 300 + 200 − 350 = 250, cumulative 600, and the open lots are
// S.1 (100) and S.3 (150), each with its own expiry.
func TestMergeLedgers(t *testing.T) {
	s := ledger(t, "S", []int64{100}, 0)
	m := ledger(t, "M", []int64{300, 200}, 350)
	require.Len(t, m[2].Moves, 2)

	got, err := loyalty.MergeLedgers("d1", "S", s, m, nil, []loyalty.MembershipEvent{{CustomerID: "M", Seq: 1, Entry: "M.3"}})
	require.NoError(t, err)
	assert.Equal(t, int64(1), got.Offset)
	require.Len(t, got.Moved, 3)
	for i, e := range got.Moved {
		assert.Equal(t, crm.CustomerID("S"), e.CustomerID)
		assert.Equal(t, int64(i+2), e.Seq)
		assert.Equal(t, loyalty.NewEntryID("S", int64(i+2)), e.ID)
	}
	assert.Equal(t, []loyalty.LotMove{
		{Lot: "S.2", Points: -300, ExpiresOn: dealercrm.NewDate(2026, 1, 1)},
		{Lot: "S.3", Points: -50, ExpiresOn: dealercrm.NewDate(2026, 1, 2)},
	}, got.Moved[2].Moves, "the redemption names the renamed lots")
	assert.Equal(t, []loyalty.MembershipEvent{{CustomerID: "S", Seq: 1, Entry: "S.4"}}, got.Events)
	assert.Equal(t, int64(4), got.Account.Seq)
	assert.Equal(t, int64(250), got.Account.Points)
	assert.Equal(t, int64(600), got.Account.Cumulative)
	assert.Equal(t, dealercrm.NewDate(2025, 2, 1), got.Account.LastDate)
	var lots []string
	for _, l := range got.Account.Lots {
		lots = append(lots, string(l.ID)+" "+l.ExpiresOn.String())
		if l.ID == "S.3" {
			assert.Equal(t, int64(150), l.Remaining)
		}
	}
	assert.Equal(t, []string{"S.1 2026-01-01", "S.3 2026-01-02"}, lots)
	assert.Len(t, s, 1, "the survivor's own entries are left as they were")
	assert.Equal(t, loyalty.EntryID("M.1"), m[0].ID, "and so are the merged ones passed in")
}

// TestMergeMemberships works the rule through: status first, then tier,
// then the end of validity; both active keep the later end and the
// earlier joining.
func TestMergeMemberships(t *testing.T) {
	d := dealercrm.NewDate
	m := func(tier loyalty.Tier, st loyalty.Status, joined, until dealercrm.Date, version int64) *loyalty.Membership {
		return &loyalty.Membership{CustomerID: "x", Tier: tier, Status: st, JoinedOn: joined, ValidUntil: until, Version: version}
	}
	for _, tc := range []struct {
		name     string
		to, from *loyalty.Membership
		want     *loyalty.Membership
	}{
		{"neither", nil, nil, nil},
		{"only the merged one's", nil, m(loyalty.Gold, loyalty.StatusActive, d(2024, 1, 1), d(2025, 12, 31), 3),
			m(loyalty.Gold, loyalty.StatusActive, d(2024, 1, 1), d(2025, 12, 31), 4)},
		{"the higher tier, the later end and the earlier joining of both",
			m(loyalty.Silver, loyalty.StatusActive, d(2023, 5, 1), d(2026, 6, 30), 2),
			m(loyalty.Gold, loyalty.StatusActive, d(2024, 1, 1), d(2025, 12, 31), 7),
			m(loyalty.Gold, loyalty.StatusActive, d(2023, 5, 1), d(2026, 6, 30), 8)},
		{"active before a lapsed diamond",
			m(loyalty.Diamond, loyalty.StatusLapsed, d(2020, 1, 1), d(2024, 12, 31), 5),
			m(loyalty.Silver, loyalty.StatusActive, d(2025, 1, 1), d(2025, 12, 31), 1),
			m(loyalty.Silver, loyalty.StatusActive, d(2025, 1, 1), d(2025, 12, 31), 6)},
		{"same tier: the later end",
			m(loyalty.Gold, loyalty.StatusLapsed, d(2020, 1, 1), d(2024, 6, 30), 1),
			m(loyalty.Gold, loyalty.StatusLapsed, d(2021, 1, 1), d(2024, 12, 31), 1),
			m(loyalty.Gold, loyalty.StatusLapsed, d(2021, 1, 1), d(2024, 12, 31), 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := loyalty.MergeMemberships("S", tc.to, tc.from)
			if tc.want == nil {
				assert.Nil(t, got)
				return
			}
			tc.want.CustomerID = "S"
			assert.Equal(t, tc.want, got)
		})
	}
}
