// Package backend lists every store of one storage backend, so that a
// program wires the services of all packages on one backend without knowing
// which:
//
//	stores := memory.NewStores()           // or pg.Stores() on Postgres
//	svc := crm.NewService(stores.CRM)
//	grades, err := grading.NewService(stores.CRM, stores.Grading)
//	club, err := loyalty.NewService(stores.CRM, stores.Loyalty)
//	lc, err := lifecycle.NewService(svc, stores.Tasks, …)
//	sat, err := satisfaction.NewService(stores.Satisfaction, …)
//	camps, err := campaign.NewService(stores.CRM, stores.Campaigns, …)
//
// Each adapter has exactly one constructor of Stores: memory.NewStores
// returns new empty in-memory stores, and (*postgres.Store).Stores returns
// the stores on one Postgres store's connection and schema (on the Store
// that InTx passes, inside that transaction).
//
// The package sits between the domain and the adapters: it imports the
// domain packages whose ports it lists, and the adapters import it. No
// domain package can import it, since it imports them all (the compiler
// rejects the cycle).
package backend
