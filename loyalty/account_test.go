package loyalty_test

import (
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestoreAccountRoundTrip: an account restored from its stored form
// gives the same form back, with lots of two stores, one never expiring,
// one pending, and one whose ID is not an entry ID of the account (kept as
// it is, and found by a reversal).
func TestRestoreAccountRoundTrip(t *testing.T) {
	data := loyalty.AccountData{DealerID: dealer, CustomerID: "c1", Seq: 9, Cumulative: 2500, Points: 1700, LastDate: d(2025, 6, 1),
		Lots: []loyalty.Lot{
			{ID: "c1.2", Store: "SH01", Points: 1000, Remaining: 400, EarnedOn: d(2024, 3, 1), AvailableOn: d(2024, 3, 1), ExpiresOn: d(2026, 2, 28)},
			{ID: "legacy-77", Store: "SH02", Points: 500, Remaining: 500, EarnedOn: d(2024, 9, 9), AvailableOn: d(2024, 9, 9)},
			{ID: "c1.9", Store: "SH02", Points: 800, Remaining: 800, EarnedOn: d(2025, 6, 1), AvailableOn: d(2025, 6, 8), ExpiresOn: d(2027, 5, 31)},
		}}
	a := loyalty.RestoreAccount(data)
	assert.Equal(t, data, a.Data())
	assert.Equal(t, data.Lots, a.Lots())
	assert.Equal(t, loyalty.Balances{Cumulative: 2500, Points: 1700, Available: 900, Pending: 800}, a.Balances(d(2025, 6, 2)))

	// Reversing the legacy earning takes back its own lot first.
	e, err := a.Reverse(loyalty.Entry{ID: "legacy-77", DealerID: dealer, CustomerID: "c1", Kind: loyalty.EntryEarn, Store: "SH02",
		Points: 500, Cumulative: 500}, loyalty.Entry{Date: d(2025, 6, 2)})
	require.NoError(t, err)
	assert.Equal(t, []loyalty.LotMove{{Lot: "legacy-77", Points: -500}}, e.Moves)
	assert.Equal(t, []loyalty.Lot{{ID: "legacy-77", Store: "SH02", Points: 500, Remaining: 0, EarnedOn: d(2024, 9, 9), AvailableOn: d(2024, 9, 9)}},
		a.ChangedLots())
	assert.Len(t, a.Data().Lots, 2, "the closed lot is gone from the stored form")
}

// TestEntryDatesAreChecked: a lot's availability and expiry must be
// calendar dates up to the year 9999, like the entry's own date.
func TestEntryDatesAreChecked(t *testing.T) {
	a := loyalty.NewAccount(dealer, "c1")
	for _, e := range []loyalty.Entry{
		{Date: d(2025, 1, 1), ExpiresOn: dealercrm.Date{Year: 2025, Month: 2, Day: 30}},
		{Date: d(2025, 1, 1), AvailableOn: dealercrm.Date{Year: 2025, Month: 13, Day: 1}},
		{Date: dealercrm.Date{Year: 10000, Month: 1, Day: 1}},
		{Date: d(2025, 1, 1), ExpiresOn: dealercrm.Date{Year: 12000, Month: 1, Day: 1}},
	} {
		e.Kind, e.Points = loyalty.EntryEarn, 10
		_, err := a.Earn(e)
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "%+v", e)
	}
	assert.Empty(t, a.NewEntries(), "nothing was posted")
	_, err := a.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Date: d(2025, 1, 1), ExpiresOn: d(9999, 12, 31), Points: 10})
	require.NoError(t, err)
	assert.Equal(t, d(9999, 12, 31), a.Lots()[0].ExpiresOn)
	assert.Equal(t, crm.CustomerID("c1"), a.CustomerID())
}
