// Package backendtest holds the conformance suites that span the stores
// of every package of one backend (backend.Stores) rather than one
// package's store: the merge of customers (RunMergeTests), which moves
// records in all of them in one transaction, and the duplicate search
// (RunDuplicateTests), which runs on a store's SQL or on the Service's
// plain scan. adapters/memory and adapters/postgres run both:
//
//	func TestMergeCustomers(t *testing.T) {
//		backendtest.RunMergeTests(t, func(*testing.T) backend.Stores { return memory.NewStores() }, nil)
//	}
//
// Postgres passes a Refs counter that finds every table naming customers
// in the catalog, so that a new table is checked without a change here.
// Fixture builders (Seed) live here, never in production files.
package backendtest
