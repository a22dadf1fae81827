// Package crmtest is the conformance suite of the crm storage ports and the
// fixtures that tests of other packages build records with.
//
// RunStoreTests checks that an implementation of crm.Store keeps the
// contract documented on crm.Store, crm.DealerStore and crm.Repository:
// round-trips of every field, dealer scoping, unique keys, filters and
// cursor pagination, atomic and serialised updates, copies in and out, bulk
// upserts and transactions. Every backend runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		crmtest.RunStoreTests(t, func(t *testing.T) crm.Store {
//			return memory.New()
//		})
//	}
//
// newStore is called once per subtest and must return an empty store that
// no other subtest uses (the Postgres adapter gives each its own schema).
//
// The fixture builders (Dealer, Customer, Vehicle, Lead, Sale, ServiceOrder,
// Policy, Interaction, Complaint, Participation) return records that pass
// their Validate method, with every field set, new IDs from dealercrm.NewID,
// money with cents and times in UTC truncated to microseconds, the
// precision Postgres keeps. Equal compares records the way a store may
// legitimately change them: decimals by value, times by instant, a nil slice
// as an empty one.
//
// The package imports testing and testify; import it from _test files only.
package crmtest
