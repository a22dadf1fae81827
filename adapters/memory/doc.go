// Package memory implements the crm storage ports in memory: a complete
// crm.Store for tests, examples and demos, and the reference the Postgres
// adapter is compared with, since both pass crmtest.RunStoreTests.
//
// New returns an empty Store. It is safe for concurrent use: one
// sync.RWMutex guards every table, so that a transaction can span them.
// Values are copied in and out with the entities' Clone methods, so a
// caller never shares memory with the store, and times are stored in UTC.
//
// Each dealer's records live in their own partition, indexed by ID, by
// external ID when set and, for vehicles, by VIN; these keys are unique per
// dealer (a *crm.ConflictError naming the field otherwise). Listings walk
// IDs in ascending order. Text Postgres cannot store (a NUL, invalid
// UTF-8) is refused here too, in records, IDs and filters alike
// (crm.CheckTexts), so that both stores answer a Go caller the same.
//
// InTx holds the write lock while its function runs and keeps an undo log
// of every write made through the transaction's Store, replayed in reverse
// order when the function fails or panics. Update calls its function
// without holding the lock and calls it again when the record changed
// meanwhile, so the function may read from the Store but should have no
// other side effects.
//
// The other packages' stores have constructors of their own
// (NewTaskStore, NewLoyaltyStore, NewGradingStore, NewSatisfactionStore,
// NewCampaignStore, NewRunStore); NewStores returns all of them with a New Store as one
// backend.Stores, the way (*postgres.Store).Stores does on Postgres. The
// stores share no state: a crm transaction covers the crm records only.
//
// NewRunStore returns the jobs.RunStore of the in-process scheduler, one
// map of runs per dealer (backend.Stores.Jobs); a run left running for
// its lease (WithRunLease, jobs.DefaultLease) is claimed again by Begin.
//
// NewLoyaltyStore returns the loyalty.Store: a map of accounts, each with
// its own lock, ledger entries and idempotency records (docs/loyalty.md).
//
// A short example:
//
//	s := memory.New()
//	d := crm.Dealer{ID: "SH01", Name: "Shanghai 4S"}
//	if err := s.Dealers().Create(ctx, &d); err != nil { … }
//	c := crm.Customer{ID: "c1", Record: crm.Record{DealerID: "SH01"}, Name: "Li Wei"}
//	if err := s.Customers().Create(ctx, &c); err != nil { … }
//	got, err := s.Customers().Get(ctx, "SH01", "c1")
//
// Usually a Store is handed to crm.NewService rather than used directly.
package memory
