package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dealercrm/dealercrm"
)

// CustomerMerger is an optional capability of the Store that InTx passes
// to its function: moving every reference to one customer over to
// another, in the records of every package the store keeps, inside the
// transaction. MergeCustomers needs it: a Store without it cannot merge.
//
// What "every reference" means is the adapter's to know (it knows its
// tables); the rules for what cannot simply be re-pointed belong to the
// domain packages and are applied by the adapter: loyalty.MergeLedgers
// and loyalty.MergeMemberships for the points account and the
// membership. Records keyed by the customer alone of which the survivor
// keeps its own (a grade, a campaign profile, a membership of each
// campaign) are dropped for the merged customer; the jobs rebuild them.
type CustomerMerger interface {
	// MoveCustomer re-points every record of dealer that refers to from
	// (as customer, owner, referrer, member, recipient …) to to, and
	// returns how many records of each kind it moved or folded
	// ("vehicles": 2, "loyalty_entries": 5); kinds with none are absent.
	// It leaves the two customers' own records alone (MergeCustomers
	// changes them). It returns a *ConflictError when a record cannot be
	// moved because the survivor holds one with the same key and no rule
	// says how to fold them.
	MoveCustomer(ctx context.Context, dealer DealerID, to, from CustomerID) (map[string]int64, error)
}

// MergedEvent is the payload of customer.merged: the customer MergedID
// was merged into CustomerID, which now holds all its records.
type MergedEvent struct {
	CustomerID CustomerID `json:"customer_id"`
	MergedID   CustomerID `json:"merged_id"`
}

// MergeResult is the outcome of MergeCustomers.
type MergeResult struct {
	// Survivor is the surviving customer after the merge.
	Survivor Customer `json:"survivor"`
	// Merged is the merged customer's record, which now says where it
	// went (MergedInto) and holds no personal data but its name.
	Merged Customer `json:"merged"`
	// Moved counts the records moved to the survivor, by kind; empty on
	// a repeated merge.
	Moved map[string]int64 `json:"moved"`
	// Repeated is true when the merge had been made before: nothing
	// changed.
	Repeated bool `json:"repeated,omitempty"`
}

// ErrMergeUnsupported is the error of MergeCustomers on a Store that is
// not a CustomerMerger.
var ErrMergeUnsupported = dealercrm.Errorf(dealercrm.FailedPrecondition, "crm: the store cannot merge customers")

// MergeCustomers merges the customer merged into survivor, both of
// dealer, in one transaction of the Store (see CustomerMerger):
//
//   - every record that refers to merged — vehicles, sales, service
//     orders, policies, leads (as customer or referrer), interactions,
//     complaints, event participations, and in the other packages points
//     ledger, lots, account and membership, tasks, survey responses,
//     grades, campaign memberships and message sends — refers to
//     survivor afterwards (see CustomerMerger for what is folded);
//   - survivor keeps its own data and takes from merged what it lacks
//     (mobile, gender, birthday, region, occupation, industry, income
//     band, source, staff in charge; hobbies are joined), and per purpose
//     and channel the more recent consent answer of the two;
//   - merged stays as a record with its ID, external ID, kind and name,
//     MergedInto set to survivor and nothing else, so that a lookup of
//     its ID can say where it went, and so that it no longer appears as
//     a duplicate;
//   - a customer.merged event (MergedEvent) and the consent.changed
//     events of the survivor's answers that changed are written, and the
//     request's audit record (WithAudit) is claimed by the transaction.
//
// A merge made before (merged already merged into survivor) changes
// nothing and returns the result with Repeated set. It returns a
// *ValidationError when the two IDs are one, ErrNotFound when either is
// not a customer of dealer, ErrFailedPrecondition when either is erased
// or merged already (merged into another), and ErrMergeUnsupported on a
// store that cannot merge.
func (s *Service) MergeCustomers(ctx context.Context, dealer DealerID, survivor, merged CustomerID) (MergeResult, error) {
	if err := CheckArgs("customer", "dealer_id", string(dealer), "id", string(survivor), "merged_id", string(merged)); err != nil {
		return MergeResult{}, err
	}
	var c Checker
	if survivor == "" {
		c.Add("id", RuleRequired, "is required")
	}
	if merged == "" {
		c.Add("merged_id", RuleRequired, "is required")
	} else if merged == survivor {
		c.Add("merged_id", RuleReference, "is the surviving customer itself")
	}
	if err := c.Err("merge"); err != nil {
		return MergeResult{}, err
	}
	var out MergeResult
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		merger, ok := tx.(CustomerMerger)
		if !ok {
			return ErrMergeUnsupported
		}
		// Both customers are checked as Update reads them, under the
		// row's lock, so that two merges of one customer cannot both
		// pass the check.
		now := s.Now()
		var gone, before Customer
		tomb, err := tx.Customers().Update(ctx, dealer, merged, func(c *Customer) error {
			if c.MergedInto == survivor {
				return errRepeated
			}
			if err := mergeable(c); err != nil {
				return err
			}
			gone = c.Clone()
			*c = Customer{ID: c.ID, Record: c.Record, Kind: c.Kind, Name: c.Name, MergedInto: survivor}
			c.UpdatedAt = now
			return nil
		})
		if errors.Is(err, errRepeated) {
			keep, err := tx.Customers().Get(ctx, dealer, survivor)
			if err != nil {
				return err
			}
			tomb, err := tx.Customers().Get(ctx, dealer, merged)
			out = MergeResult{Survivor: keep, Merged: tomb, Moved: map[string]int64{}, Repeated: true}
			return err
		}
		if err != nil {
			return err
		}
		keep, err := tx.Customers().Update(ctx, dealer, survivor, func(c *Customer) error {
			if err := mergeable(c); err != nil {
				return err
			}
			before = c.Clone()
			absorb(c, &gone)
			c.UpdatedAt = now
			return validate("customer", c)
		})
		if err != nil {
			return err
		}
		moved, err := merger.MoveCustomer(ctx, dealer, survivor, merged)
		if err != nil {
			return err
		}
		evs := append(ConsentEvents(&before, &keep),
			NewEvent(dealer, EventCustomerMerged, EventSubject{Kind: SubjectCustomer, ID: string(survivor)}, now,
				MergedEvent{CustomerID: survivor, MergedID: merged}))
		if err := tx.Events().Add(ctx, evs...); err != nil {
			return err
		}
		out = MergeResult{Survivor: keep, Merged: tomb, Moved: moved}
		if out.Moved == nil {
			out.Moved = map[string]int64{}
		}
		return nil
	})
	if err != nil {
		return MergeResult{}, fmt.Errorf("crm: merge customer %s into %s: %w", merged, survivor, err)
	}
	return out, nil
}

// errRepeated stops the update of a customer merged before into the same
// survivor: the merge is answered, not made again.
var errRepeated = errors.New("merged before")

// mergeable refuses a customer that is erased or merged into another.
func mergeable(c *Customer) error {
	switch {
	case c.MergedInto != "":
		return dealercrm.Errorf(dealercrm.FailedPrecondition, "customer %s was merged into %s", c.ID, c.MergedInto)
	case c.Name == ErasedName:
		return dealercrm.Errorf(dealercrm.FailedPrecondition, "customer %s is erased", c.ID)
	}
	return nil
}

// absorb gives c what it lacks of o's data, and per purpose and channel
// the more recent of the two consent answers (Customer.SetConsent keeps
// the later one).
func absorb(c, o *Customer) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&c.Mobile, o.Mobile)
	fill(&c.IDNumber, o.IDNumber)
	fill(&c.Occupation, o.Occupation)
	fill(&c.Industry, o.Industry)
	fill(&c.IncomeBand, o.IncomeBand)
	if c.Gender == "" {
		c.Gender = o.Gender
	}
	if c.Birthday.IsZero() {
		c.Birthday, c.BirthdayCalendar = o.Birthday, o.BirthdayCalendar
	}
	if c.FamilyStage == "" {
		c.FamilyStage = o.FamilyStage
	}
	if c.Region == (Region{}) {
		c.Region = o.Region
	}
	if c.Source == "" {
		c.Source = o.Source
	}
	if c.ConsultantID == "" {
		c.ConsultantID = o.ConsultantID
	}
	if c.AdvisorID == "" {
		c.AdvisorID = o.AdvisorID
	}
	for _, h := range o.Hobbies {
		if !slices.Contains(c.Hobbies, h) {
			c.Hobbies = append(c.Hobbies, h)
		}
	}
	for _, cs := range o.Consents {
		c.SetConsent(cs)
	}
}

// MergeCounts adds the counts of b to a (a may be nil) and returns it:
// for adapters that merge package by package.
func MergeCounts(a, b map[string]int64) map[string]int64 {
	if a == nil {
		a = map[string]int64{}
	}
	for k, n := range b {
		if n != 0 {
			a[k] += n
		}
	}
	return a
}
