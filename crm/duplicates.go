package crm

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// Duplicates (issue 17): a dealership's customer base, imported from
// spreadsheets, holds one person several times. DuplicateCandidates finds
// the pairs of customers that probably are one person and says why; a
// person decides, and MergeCustomers folds one into the other.

// DuplicateReason says why two customers may be one person.
type DuplicateReason string

// The duplicate reasons, strongest first. Each has a score (Score); a
// pair's score is its strongest reason's, plus 5 for each other reason,
// at most 100.
const (
	// DuplicateIDNumber: the same resident ID card number (IDNumber).
	// Score 95: one card, one person, unless it was typed wrong.
	DuplicateIDNumber DuplicateReason = "id_number"
	// DuplicateNameMobile: the same name (case and spaces aside) and the
	// same mobile number. Score 90.
	DuplicateNameMobile DuplicateReason = "name_mobile"
	// DuplicateMobile: the same mobile number (stored normalised: +86 and
	// 0086 prefixes, spaces and dashes removed, see NormalizeMobile), with
	// different names. Score 70: a family often shares one number.
	DuplicateMobile DuplicateReason = "mobile"
	// DuplicateVIN: one vehicle is tied to both, as owner, buyer (a sale)
	// or policy holder. Score 50: cars change hands.
	DuplicateVIN DuplicateReason = "vin"
)

var allDuplicateReasons = []DuplicateReason{DuplicateIDNumber, DuplicateNameMobile, DuplicateMobile, DuplicateVIN}

// DuplicateReasons returns every reason, strongest first.
func DuplicateReasons() []DuplicateReason { return slices.Clone(allDuplicateReasons) }

// Valid reports whether r is a known reason.
func (r DuplicateReason) Valid() bool { return slices.Contains(allDuplicateReasons, r) }

// Score returns the reason's score out of 100.
func (r DuplicateReason) Score() int {
	switch r {
	case DuplicateIDNumber:
		return 95
	case DuplicateNameMobile:
		return 90
	case DuplicateMobile:
		return 70
	case DuplicateVIN:
		return 50
	}
	return 0
}

// MaxDuplicateGroup is the most customers one value may be shared by and
// still count as a reason: a number or a car shared by more (a fleet, a
// company switchboard) identifies no one person, and would make pairs by
// the thousand.
const MaxDuplicateGroup = 20

// DuplicateMatch is one reason a pair matched, with the shared value as
// people may see it: a mobile number masked (MaskMobile), a VIN in full
// (it names a car, and repair records keep it after an erasure).
type DuplicateMatch struct {
	Reason DuplicateReason `json:"reason"`
	Value  string          `json:"value"`
}

// DuplicateCandidate is a pair of customers of one dealer that are
// probably one person: A sorts before B.
type DuplicateCandidate struct {
	A CustomerID `json:"a"`
	B CustomerID `json:"b"`
	// AName and BName are the two customers' names, so that a clerk can
	// tell the pair apart without looking each one up.
	AName string `json:"a_name"`
	BName string `json:"b_name"`
	// Score is out of 100 (see DuplicateReason).
	Score   int              `json:"score"`
	Matches []DuplicateMatch `json:"matches"`
}

// DuplicateFilter selects candidates; pages are in (A, B) order.
type DuplicateFilter struct {
	// Reason keeps the pairs that match for this reason; empty keeps all.
	Reason DuplicateReason `json:"reason,omitempty"`
	// MinScore keeps the pairs that score at least this; a page may then
	// hold fewer than Limit items while Next is set.
	MinScore int `json:"min_score,omitempty"`
	PageRequest
}

// DuplicatePair is what a DuplicateFinder returns: a pair (A before B)
// and every reason it matches, with the raw shared value.
type DuplicatePair struct {
	A, B CustomerID
	// AName and BName are the customers' names.
	AName, BName string
	Matches      []DuplicateMatch
}

// DuplicateFinder is an optional capability of a Store: it finds the
// pairs itself (Postgres: by grouping in SQL) instead of the Service
// reading every customer and vehicle. Customers merged into another
// (MergedInto set) and erased ones are left out.
type DuplicateFinder interface {
	// FindDuplicates returns up to limit pairs of the dealer's customers
	// sharing a value (MaxDuplicateGroup customers at most), after the
	// pair (afterA, afterB) in (A, B) order ("" "" for the first), each
	// with the two customers' names and all its matches for reason (all
	// reasons when empty), raw values (mobile numbers unmasked), in
	// DuplicateReasons order.
	FindDuplicates(ctx context.Context, dealer DealerID, reason DuplicateReason, afterA, afterB CustomerID, limit int) ([]DuplicatePair, error)
}

// duplicateSep joins a pair into a cursor's text; IDs hold no NUL
// (CheckText), so the unit separator cannot be mistaken.
const duplicateSep = "\x1f"

// DuplicateCandidates returns one page of the dealer's duplicate
// candidates (see DuplicateReason for the rules), in (A, B) order. It
// uses the Store's DuplicateFinder when it has one and otherwise reads
// every customer, vehicle, sale and policy of the dealer. A malformed
// filter or cursor is a *ValidationError.
func (s *Service) DuplicateCandidates(ctx context.Context, dealer DealerID, f DuplicateFilter) (Page[DuplicateCandidate], error) {
	var c Checker
	if f.Reason != "" && !f.Reason.Valid() {
		c.Add("reason", RuleEnum, "must be one of %v, got %q", allDuplicateReasons, f.Reason)
	}
	if f.MinScore < 0 || f.MinScore > 100 {
		c.Add("min_score", RuleRange, "must be between 0 and 100, got %d", f.MinScore)
	}
	after, err := f.AfterID()
	if err != nil {
		return Page[DuplicateCandidate]{}, err
	}
	afterA, afterB, ok := strings.Cut(after, duplicateSep)
	if after != "" && !ok {
		c.Add("after", RuleFormat, "is not a cursor returned by a previous page")
	}
	if err := c.Err("duplicate_filter"); err != nil {
		return Page[DuplicateCandidate]{}, err
	}
	if err := CheckArgs("dealer", "dealer_id", string(dealer)); err != nil {
		return Page[DuplicateCandidate]{}, err
	}
	size := f.Size()
	var pairs []DuplicatePair
	if finder, ok := s.store.(DuplicateFinder); ok {
		pairs, err = finder.FindDuplicates(ctx, dealer, f.Reason, CustomerID(afterA), CustomerID(afterB), size+1)
	} else {
		pairs, err = s.scanDuplicates(ctx, dealer, f.Reason, CustomerID(afterA), CustomerID(afterB), size+1)
	}
	if err != nil {
		return Page[DuplicateCandidate]{}, fmt.Errorf("crm: duplicate candidates: %w", err)
	}
	more := len(pairs) > size
	if more {
		pairs = pairs[:size]
	}
	out := Page[DuplicateCandidate]{Items: []DuplicateCandidate{}}
	for _, p := range pairs {
		if c := candidate(p); c.Score >= f.MinScore {
			out.Items = append(out.Items, c)
		}
	}
	if more {
		last := pairs[len(pairs)-1]
		out.Next = base64.RawURLEncoding.EncodeToString([]byte(string(last.A) + duplicateSep + string(last.B)))
	}
	return out, nil
}

// candidate scores a pair and masks its personal values.
func candidate(p DuplicatePair) DuplicateCandidate {
	c := DuplicateCandidate{A: p.A, B: p.B, AName: p.AName, BName: p.BName, Matches: make([]DuplicateMatch, 0, len(p.Matches))}
	for _, m := range p.Matches {
		if m.Reason == DuplicateNameMobile || m.Reason == DuplicateMobile || m.Reason == DuplicateIDNumber {
			m.Value = MaskMobile(m.Value)
		}
		c.Matches = append(c.Matches, m)
		c.Score = max(c.Score, m.Reason.Score())
	}
	if len(c.Matches) > 1 {
		c.Score = min(100, c.Score+5*(len(c.Matches)-1))
	}
	return c
}

// DuplicateKey is one value a customer is known by, for the search: a
// reason and the value compared (a name+mobile key is the lower-cased
// name without spaces, a space, and the mobile).
type DuplicateKey struct {
	Reason   DuplicateReason
	Value    string
	Customer CustomerID
}

// NameKey is how names compare for DuplicateNameMobile: lower-cased,
// without spaces of any kind (王 伟 and 王伟 are one name).
func NameKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), ""))
}

// PairDuplicates turns the keys of a dealer's customers into the pairs
// that share a value, in (A, B) order, after (afterA, afterB), at most
// limit, keeping those with a match for reason (all when empty): the
// plain search the memory store gets, and the reference the SQL of other
// stores must agree with. A value shared by more than MaxDuplicateGroup
// customers is ignored; a pair matching by name and mobile is not also
// listed under mobile.
func PairDuplicates(keys []DuplicateKey, reason DuplicateReason, afterA, afterB CustomerID, limit int) []DuplicatePair {
	type group struct {
		reason DuplicateReason
		value  string
	}
	members := map[group][]CustomerID{}
	for _, k := range keys {
		g := group{k.Reason, k.Value}
		if k.Value == "" || k.Customer == "" || slices.Contains(members[g], k.Customer) {
			continue
		}
		members[g] = append(members[g], k.Customer)
	}
	type pair struct{ a, b CustomerID }
	found := map[pair][]DuplicateMatch{}
	for g, ids := range members {
		if len(ids) < 2 || len(ids) > MaxDuplicateGroup {
			continue
		}
		slices.Sort(ids)
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				if a < afterA || (a == afterA && b <= afterB) {
					continue
				}
				value := g.value
				if g.reason == DuplicateNameMobile {
					_, value, _ = strings.Cut(value, " ")
				}
				found[pair{a, b}] = append(found[pair{a, b}], DuplicateMatch{Reason: g.reason, Value: value})
			}
		}
	}
	out := make([]DuplicatePair, 0, len(found))
	for p, ms := range found {
		if slices.ContainsFunc(ms, func(m DuplicateMatch) bool { return m.Reason == DuplicateNameMobile }) {
			ms = slices.DeleteFunc(ms, func(m DuplicateMatch) bool { return m.Reason == DuplicateMobile })
		}
		if reason != "" && !slices.ContainsFunc(ms, func(m DuplicateMatch) bool { return m.Reason == reason }) {
			continue
		}
		slices.SortFunc(ms, func(x, y DuplicateMatch) int {
			return cmp.Or(cmp.Compare(slices.Index(allDuplicateReasons, x.Reason), slices.Index(allDuplicateReasons, y.Reason)), strings.Compare(x.Value, y.Value))
		})
		out = append(out, DuplicatePair{A: p.a, B: p.b, Matches: ms})
	}
	slices.SortFunc(out, func(x, y DuplicatePair) int {
		return cmp.Or(strings.Compare(string(x.A), string(y.A)), strings.Compare(string(x.B), string(y.B)))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Searchable reports whether the customer takes part in the duplicate
// search: neither merged into another nor erased.
func (c *Customer) Searchable() bool { return c.MergedInto == "" && c.Name != ErasedName }

// scanDuplicates is the search on a store without a DuplicateFinder: it
// reads the dealer's customers, vehicles, sales and policies in one
// transaction and pairs them in memory.
func (s *Service) scanDuplicates(ctx context.Context, dealer DealerID, reason DuplicateReason, afterA, afterB CustomerID, limit int) ([]DuplicatePair, error) {
	var keys []DuplicateKey
	names := map[CustomerID]string{}
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		live := map[CustomerID]bool{}
		err := Each(ctx, func(after string) (Page[Customer], error) {
			return tx.Customers().List(ctx, dealer, CustomerFilter{PageRequest: page(after)})
		}, func(c *Customer) error {
			if !c.Searchable() {
				return nil
			}
			live[c.ID] = true
			names[c.ID] = c.Name
			if c.IDNumber != "" {
				keys = append(keys, DuplicateKey{Reason: DuplicateIDNumber, Value: c.IDNumber, Customer: c.ID})
			}
			if c.Mobile != "" {
				keys = append(keys,
					DuplicateKey{Reason: DuplicateMobile, Value: c.Mobile, Customer: c.ID},
					DuplicateKey{Reason: DuplicateNameMobile, Value: NameKey(c.Name) + " " + c.Mobile, Customer: c.ID})
			}
			return nil
		})
		if err != nil || reason == DuplicateMobile || reason == DuplicateNameMobile || reason == DuplicateIDNumber {
			return err
		}
		vins := map[VehicleID]string{}
		addVIN := func(v VehicleID, c CustomerID) {
			if vin, ok := vins[v]; ok && live[c] {
				keys = append(keys, DuplicateKey{Reason: DuplicateVIN, Value: vin, Customer: c})
			}
		}
		err = Each(ctx, func(after string) (Page[Vehicle], error) {
			return tx.Vehicles().List(ctx, dealer, VehicleFilter{PageRequest: page(after)})
		}, func(v *Vehicle) error {
			vins[v.ID] = v.VIN
			addVIN(v.ID, v.OwnerID)
			return nil
		})
		if err != nil {
			return err
		}
		err = Each(ctx, func(after string) (Page[Sale], error) {
			return tx.Sales().List(ctx, dealer, SaleFilter{PageRequest: page(after)})
		}, func(sl *Sale) error {
			addVIN(sl.VehicleID, sl.CustomerID)
			return nil
		})
		if err != nil {
			return err
		}
		return Each(ctx, func(after string) (Page[InsurancePolicy], error) {
			return tx.Policies().List(ctx, dealer, PolicyFilter{PageRequest: page(after)})
		}, func(p *InsurancePolicy) error {
			addVIN(p.VehicleID, p.CustomerID)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	pairs := PairDuplicates(keys, reason, afterA, afterB, limit)
	for i := range pairs {
		pairs[i].AName, pairs[i].BName = names[pairs[i].A], names[pairs[i].B]
	}
	return pairs, nil
}
