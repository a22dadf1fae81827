package console_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSearchBeyondFirstRecords: the search finds a customer by a part of
// the name or of a plate however many customers and vehicles come before
// it in ID order — the store filters, the console no longer scans (it used
// to read only the first 5,000 and say so).
func TestSearchBeyondFirstRecords(t *testing.T) {
	f := newFixture(t, testCustomers, nil)
	ctx := t.Context()
	dealer := f.data.Dealers[0].Dealer.ID
	store := f.app.CRM.Store()
	const n = 6000
	batch := make([]crm.Customer, 0, 500)
	flush := func() {
		_, err := store.Customers().Upsert(ctx, dealer, batch)
		require.NoError(t, err, "Upsert of filler customers")
		batch = batch[:0]
	}
	for i := range n {
		id := fmt.Sprintf("zz-search-%05d", i)
		batch = append(batch, crm.Customer{ID: crm.CustomerID(id), Record: crm.Record{DealerID: dealer, ExternalID: id},
			Kind: crm.Individual, Name: fmt.Sprintf("填充客户%d", i)})
		if len(batch) == cap(batch) {
			flush()
		}
	}
	// The last customer in ID order, and its vehicle, the last vehicle.
	last := crm.Customer{ID: "zz-search-zzzzz", Record: crm.Record{DealerID: dealer, ExternalID: "zz-search-zzzzz"},
		Kind: crm.Individual, Name: "欧阳娜娜"}
	batch = append(batch, last)
	flush()
	_, err := store.Vehicles().Upsert(ctx, dealer, []crm.Vehicle{{ID: "zz-search-car", Record: crm.Record{DealerID: dealer, ExternalID: "zz-search-car"},
		VIN: "LSVAU2180N2183294", Plate: "粤B·X9Z88", OwnerID: last.ID}})
	require.NoError(t, err, "Upsert of the vehicle")

	b := f.browser(t)
	b.signIn(f.tokens[demo.ShanghaiCRKey])
	link := "/console/customers/" + string(last.ID)
	for _, q := range []string{"欧阳娜娜", "阳娜", "娜", "x9z", "粤b x9z88", "X9Z-88"} {
		_, page := b.get("/console/customers?q=" + url.QueryEscape(q))
		assert.Contains(t, page, link, "%q finds the last of %d customers", q, n)
	}
	_, page := b.get("/console/customers?q=" + url.QueryEscape("填充客户"))
	assert.Equal(t, 50, strings.Count(page, `href="/console/customers/zz-search-`), "a broad search shows one page of 50 customers")
	assert.NotContains(t, page, "5000", "and no longer says it searched only some records")

	// Text longer than a filter takes finds nobody; the page still answers.
	resp, page := b.get("/console/customers?q=" + url.QueryEscape(strings.Repeat("娜", crm.MaxSearchText+1)))
	assert.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, page, link)
}
