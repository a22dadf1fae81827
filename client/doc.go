// Package client implements a typed Go client of dealercrm's HTTP API
// (adapters/httpapi), for hosts that run the API as a service — a DMS
// in another process, a job runner, a mini-program back end — instead of
// embedding the SDK. It speaks the SDK's own types: a call answers a
// crm.Customer, a loyalty.Receipt, a crm.Page of campaign.Member, just as
// the services do in process.
//
// # One method per operation
//
// Every operation of the route table has one method, named after its
// operationId in the OpenAPI document (getCustomer → GetCustomer), with
// the arguments in one order:
//
//	ctx, the path's IDs, the Idempotency-Key, the body, the query parameters
//
//	c.GetCustomer(ctx, id)                                   // GET /v1/customers/{id}
//	c.CreateCustomer(ctx, client.CustomerInput{Name: "王伟"}) // POST /v1/customers
//	c.UpdateCustomer(ctx, id, client.Patch{"occupation": "工程师"})
//	c.ListCustomers(ctx, client.ListCustomersParams{Kind: crm.Company})
//	c.PostEarning(ctx, key, client.LoyaltyEarnInput{ServiceOrderID: o})
//
// Answers are the domain's types. Request bodies are the domain's types
// where the API takes them (crm.Batch, campaign.Update, webhook.Input) and
// otherwise the API's request types, copied here field for field without
// what only the server writes: CustomerInput is the writable part of a
// crm.Customer, LoyaltyEarnInput the body of a points earning. Updates of
// records are JSON merge patches (Patch): the fields named change, a nil
// value clears one. Query parameters are a struct per operation
// (ListCustomersParams) whose zero fields are left out; flags are *bool so
// that false can be asked for. Path IDs have the records' ID types
// (crm.CustomerID, campaign.ID, lifecycle.TaskID, …).
//
// The methods, the parameter structs and the copied types are generated
// from the route table (zz_generated.go, by client/internal/gen through
// httpapi.Operations): a test regenerates them and fails when the file
// differs, and another calls every method against the table's routes both
// ways, so the client cannot drift from the server. After a route
// changes, run
//
//	go generate ./client
//
// # Making a client
//
//	c, err := client.New("https://crm.example.com", apiKey,
//		client.WithHTTPClient(hc),   // TLS, proxies, otelhttp; http.DefaultClient by default
//		client.WithLanguage("en"),   // problems' detail in English; Chinese by default
//		client.WithRetries(2))       // the default
//
// The key is sent as a Bearer token; its dealer is the dealer of every
// call. A Client is safe for concurrent use. Every method takes a
// context: cancel it or give it a deadline to bound a call.
//
// # Idempotency and retries
//
// Commands that move points or money (points earnings, redemptions,
// reversals, renewals, upgrades, quotes, campaign costs) must carry an
// Idempotency-Key, and joining or cancelling a membership honours one: the
// server answers a repeated key with the first result (a loyalty.Receipt
// then has Replayed set) and the same key with other input with a
// conflict. Their methods take the key after the path's IDs. Make it with
// NewIdempotencyKey when the command is decided, keep it with the command
// and send it with every attempt — then a retry after a lost answer, even
// from another process, never posts twice. An empty key makes a new one
// for that call, which covers the client's own retries only.
//
// The client sends a request again (WithRetries) after a transport error,
// a 503 or a 429 — waiting the answer's Retry-After — only when that
// cannot do anything twice: GET, PUT, and requests with an
// Idempotency-Key.
//
// # Pages and the event feed
//
// Listings answer a crm.Page: Items and Next, the cursor to pass as After
// for the next page ("" after the last). Each listing has an iterator that
// reads every page:
//
//	for cu, err := range c.AllCustomers(ctx, client.ListCustomersParams{Limit: 500}) {
//		if err != nil { … }
//	}
//
// The event feed (GET /v1/events) is read with ListEvents from a cursor,
// or followed with FollowEvents, which long-polls the server for the next
// event once it has read them all; keep the Seq of the last event handled
// to follow on after a restart.
//
// # Errors
//
// An answer that is not a success is an *Error holding its problem
// details: Status, Code (a dealercrm.Code such as "invalid" or
// "not_found", or one of the HTTP layer's: CodeUnauthenticated, …),
// Detail, the Fields at fault by JSON path ("customers[1].name") or query
// parameter, the Permission a 403 lacks, the server's RequestID. It works
// with dealercrm's errors: errors.Is(err, dealercrm.ErrNotFound) and
// dealercrm.ErrorCode(err) read its code, and errors.As(err, &ve) with a
// *crm.ValidationError gives the fields, as the embedded SDK would.
//
// The package depends on the standard library and the domain packages
// only; it does not import the HTTP adapter or any store.
package client
