package backendtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunDuplicateTests runs the duplicate search suite through
// crm.Service.DuplicateCandidates, on the store's DuplicateFinder when it
// has one and on the plain scan otherwise: both must give the same pairs.
func RunDuplicateTests(t *testing.T, open func(t *testing.T) crm.Store) {
	ctx := context.Background()
	svc := func(t *testing.T) (*crm.Service, crm.DealerID) {
		s := crm.NewService(open(t), crm.WithClock(func() time.Time { return Now }))
		d := crm.DealerID(dealercrm.NewID())
		_, err := s.CreateDealer(ctx, crmtest.Dealer(d))
		require.NoError(t, err)
		return s, d
	}
	customer := func(t *testing.T, s *crm.Service, d crm.DealerID, n int, name, mobile string) crm.CustomerID {
		t.Helper()
		c := crmtest.Customer(d, n)
		c.Name, c.Mobile = name, mobile
		c, err := s.CreateCustomer(ctx, d, c)
		require.NoError(t, err)
		return c.ID
	}
	// key names a pair whatever the order of its random IDs.
	key := func(a, b crm.CustomerID) string {
		if b < a {
			a, b = b, a
		}
		return string(a) + "+" + string(b)
	}
	all := func(t *testing.T, s *crm.Service, d crm.DealerID, f crm.DuplicateFilter) map[string]crm.DuplicateCandidate {
		t.Helper()
		out := map[string]crm.DuplicateCandidate{}
		var last string
		err := crm.Each(ctx, func(after string) (crm.Page[crm.DuplicateCandidate], error) {
			f.After = after
			return s.DuplicateCandidates(ctx, d, f)
		}, func(c *crm.DuplicateCandidate) error {
			assert.Less(t, c.A, c.B, "A sorts before B")
			assert.Less(t, last, key(c.A, c.B), "pairs come in (A, B) order")
			last = key(c.A, c.B)
			out[key(c.A, c.B)] = *c
			return nil
		})
		require.NoError(t, err)
		return out
	}

	t.Run("pairs by name and mobile, mobile and vehicle, scored and masked", func(t *testing.T) {
		s, d := svc(t)
		wang := customer(t, s, d, 1, "王伟", "13800000001")
		wang2 := customer(t, s, d, 2, "王 伟", "+86 138-0000-0001") // stored as 13800000001
		li := customer(t, s, d, 3, "李娜", "0086 13800000001")
		owner := customer(t, s, d, 4, "赵六", "13900000004")
		buyer := customer(t, s, d, 5, "钱七", "13900000005")
		zhang := customer(t, s, d, 6, "张三", "13900000006")
		zhang2 := customer(t, s, d, 7, "张四", "13900000006")
		customer(t, s, d, 8, "孙八", "13900000008") // no duplicate
		// One ID card, typed twice (the second with spaces and a small x):
		// two names and mobiles, one person.
		liu := crmtest.Customer(d, 9)
		liu.Name, liu.Mobile, liu.IDNumber = "刘洋", "13600000011", "11010519491231002X"
		liu, err := s.CreateCustomer(ctx, d, liu)
		require.NoError(t, err)
		liu2 := crmtest.Customer(d, 10)
		liu2.Name, liu2.Mobile, liu2.IDNumber = "刘阳", "13600000012", "110105 19491231 002x"
		liu2, err = s.CreateCustomer(ctx, d, liu2)
		require.NoError(t, err)
		v, err := s.CreateVehicle(ctx, d, crmtest.Vehicle(d, owner, 1))
		require.NoError(t, err)
		_, err = s.CreateSale(ctx, d, crmtest.Sale(d, buyer, v.ID, 1))
		require.NoError(t, err)
		v2, err := s.CreateVehicle(ctx, d, crmtest.Vehicle(d, zhang, 2))
		require.NoError(t, err)
		_, err = s.CreateInsurancePolicy(ctx, d, crmtest.Policy(d, zhang2, v2.ID, 1))
		require.NoError(t, err)
		// A number shared by more than MaxDuplicateGroup customers (a
		// company's switchboard) is no reason.
		for i := range crm.MaxDuplicateGroup + 1 {
			customer(t, s, d, 100+i, fmt.Sprintf("员工%d", i), "13700000000")
		}

		got := all(t, s, d, crm.DuplicateFilter{PageRequest: crm.PageRequest{Limit: 2}})
		want := map[string]struct {
			score   int
			reasons []crm.DuplicateReason
			values  []string
		}{
			key(wang, wang2):     {90, []crm.DuplicateReason{crm.DuplicateNameMobile}, []string{"138****0001"}},
			key(wang, li):        {70, []crm.DuplicateReason{crm.DuplicateMobile}, []string{"138****0001"}},
			key(wang2, li):       {70, []crm.DuplicateReason{crm.DuplicateMobile}, []string{"138****0001"}},
			key(owner, buyer):    {50, []crm.DuplicateReason{crm.DuplicateVIN}, []string{v.VIN}},
			key(zhang, zhang2):   {75, []crm.DuplicateReason{crm.DuplicateMobile, crm.DuplicateVIN}, []string{"139****0006", v2.VIN}},
			key(liu.ID, liu2.ID): {95, []crm.DuplicateReason{crm.DuplicateIDNumber}, []string{"110***********002X"}},
		}
		require.Len(t, got, len(want), "exactly the expected pairs: %v", got)
		for k, w := range want {
			c, ok := got[k]
			if !assert.True(t, ok, "pair %s found", k) {
				continue
			}
			assert.Equal(t, w.score, c.Score, "score of %s", k)
			var reasons []crm.DuplicateReason
			var values []string
			for _, m := range c.Matches {
				reasons, values = append(reasons, m.Reason), append(values, m.Value)
			}
			assert.Equal(t, w.reasons, reasons, "reasons of %s", k)
			assert.Equal(t, w.values, values, "values of %s, mobiles masked", k)
		}

		names := map[crm.CustomerID]string{liu.ID: "刘洋", liu2.ID: "刘阳"}
		lp := got[key(liu.ID, liu2.ID)]
		assert.Equal(t, []string{names[lp.A], names[lp.B]}, []string{lp.AName, lp.BName}, "a pair names its two customers")

		byVIN := all(t, s, d, crm.DuplicateFilter{Reason: crm.DuplicateVIN})
		assert.ElementsMatch(t, []string{key(owner, buyer), key(zhang, zhang2)}, slices.Collect(maps.Keys(byVIN)), "the reason filter")
		strong := all(t, s, d, crm.DuplicateFilter{MinScore: 75})
		assert.ElementsMatch(t, []string{key(wang, wang2), key(zhang, zhang2), key(liu.ID, liu2.ID)}, slices.Collect(maps.Keys(strong)), "the score filter")
		byID := all(t, s, d, crm.DuplicateFilter{Reason: crm.DuplicateIDNumber})
		assert.ElementsMatch(t, []string{key(liu.ID, liu2.ID)}, slices.Collect(maps.Keys(byID)), "the ID number filter")

		// A merged customer, and an erased one, are no candidates.
		_, err = s.MergeCustomers(ctx, d, wang, wang2)
		if !assert.NoError(t, err) {
			return
		}
		require.NoError(t, s.EraseCustomer(ctx, d, zhang2))
		after := all(t, s, d, crm.DuplicateFilter{})
		assert.ElementsMatch(t, []string{key(wang, li), key(owner, buyer), key(liu.ID, liu2.ID)}, slices.Collect(maps.Keys(after)))
	})

	t.Run("bad filters are refused by field", func(t *testing.T) {
		s, d := svc(t)
		for _, tc := range []struct {
			f     crm.DuplicateFilter
			field string
		}{
			{crm.DuplicateFilter{Reason: "shoe_size"}, "reason"},
			{crm.DuplicateFilter{MinScore: 101}, "min_score"},
			{crm.DuplicateFilter{PageRequest: crm.PageRequest{After: "!!"}}, "after"},
			{crm.DuplicateFilter{PageRequest: crm.PageRequest{After: "YWJj"}}, "after"}, // "abc": no pair
		} {
			_, err := s.DuplicateCandidates(ctx, d, tc.f)
			var ve *crm.ValidationError
			if assert.ErrorAs(t, err, &ve, "%+v", tc.f) {
				assert.True(t, slices.ContainsFunc(ve.Fields, func(f crm.FieldError) bool { return f.Field == tc.field }), "%v names %s", err, tc.field)
			}
		}
	})
}
