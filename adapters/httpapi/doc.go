// Package httpapi implements the reference net/http JSON API of dealercrm
// over a [crm.Service]: per-dealer API keys with roles and permissions,
// RFC 9457 problem details,
// request size limits and an OpenAPI 3.1 document generated from the same
// route table as the mux, so the two cannot drift apart.
//
// [NewHandler] returns an http.Handler and never owns a listener; serve it
// with [NewServer] (sensible timeouts) or mount it, at the root, in the
// host's own server.
//
//	svc := crm.NewService(memory.New())
//	h := httpapi.NewHandler(svc,
//		httpapi.WithAPIKeys(map[string]crm.DealerID{os.Getenv("SH01_KEY"): "SH01"}),
//		httpapi.WithLogger(slog.New(slog.NewJSONHandler(os.Stderr,
//			&slog.HandlerOptions{ReplaceAttr: httpapi.MaskAttr}))))
//	srv := httpapi.NewServer(":8080", h)
//	go srv.ListenAndServe()
//	defer srv.Shutdown(context.Background())
//
// # Authentication and tenancy
//
// Every route but GET /healthz and GET /v1/openapi.json needs an API key,
// as "Authorization: Bearer <key>" or "X-API-Key: <key>"; a missing or
// unknown key is 401. A key stands for a principal (crm.Principal): its
// dealer, its staff member, its roles and its key ID. [WithPrincipals]
// gives keys their principals, [WithAPIKeys] keeps the older form key →
// dealer (such a key gets [LegacyRoles], admin and group_admin, so it may
// do everything it could before roles existed); both keep only SHA-256
// hashes and compare in constant time, and [WithAuthenticator] plugs in
// another scheme. Every handler takes the dealer from the principal and
// nowhere else: another dealer's record IDs in paths and bodies are simply
// not found (404), and a dealer_id in a body is ignored.
//
// # Roles and permissions
//
// One table maps every operation to the permission it needs (permissions
// in routes.go; x-permission on each operation of the OpenAPI document),
// and the endpoint checks it for every request before anything else is
// read: a key whose roles lack it is 403 permission_denied with a
// permission member naming it. The roles' permissions are a role table,
// crm.DefaultRoles unless [WithRoles] replaces it. The rules about people
// are the domain's, applied here from the principal:
//
//   - the staff member acting is the key's (crm.Principal.Actor):
//     requested_by and decided_by of a lost request and the staff_id of a
//     follow-up, a task outcome or an interaction may be left out, and
//     must be the key's
//     own staff member when given (403 naming the field, rule actor); a
//     system key without staff names them;
//   - a manager decides a lost request (permission leads.decide_lost),
//     never the one who requested it (403 naming decided_by, rule
//     not_requester);
//   - a consultant sees and works their own leads, a consultant or an
//     advisor the tasks assigned to them, CR the CR tasks, a manager and
//     an admin all of the store (crm.Principal.ScopeLeads,
//     lifecycle.ScopeTasks): the list filters are forced, a filter asking
//     for more is 403 naming the parameter (rule scope), and working,
//     changing or assigning a lead or task outside is refused naming
//     leads.all or tasks.all;
//   - group views and runs (group=true) need permission group
//     (group_admin);
//   - phone and ID-card numbers are masked in every answer (138****8000)
//     for roles without permission personal_data (integration,
//     group_admin by default).
//
// With WithAudit, every write, every read of personal data and every
// refusal leaves a crm.AuditRecord (key, staff, operation, record IDs,
// request ID, outcome), on Postgres in the transaction of the change; an
// admin reads them at GET /v1/audit. Every answer carries its
// X-Request-Id. docs/identity.md explains the design.
//
// # Routes
//
// For each collection — customers, leads, vehicles, sales, service-orders,
// insurance-policies, interactions, complaints, event-participations:
//
//	POST   /v1/{collection}       create; 201 with Location and the record
//	GET    /v1/{collection}/{id}  the record
//	PATCH  /v1/{collection}/{id}  JSON merge patch; 200 with the record
//	DELETE /v1/{collection}/{id}  204
//	GET    /v1/{collection}       list: filters as query parameters (named
//	                              like the crm filter's JSON fields), limit
//	                              and after; {"items": [...], "next": "..."}
//
// and:
//
//	GET   /v1/dealer                        the key's dealer
//	PATCH /v1/dealer                        merge patch (not its group)
//	POST  /v1/customers/{id}/consents       record one consent answer
//	POST  /v1/leads/{id}/level              {"level": "H"}
//	POST  /v1/leads/{id}/follow-ups         append a follow-up
//	POST  /v1/leads/{id}/lost-request       a consultant asks to mark it lost (战败)
//	POST  /v1/leads/{id}/lost-decision      {"decision": "approved"|"rejected"}
//	POST  /v1/leads/{id}/convert            customer + vehicle + sale; 201
//	POST  /v1/import                        crm.Batch upsert; counts and results
//	GET   /v1/openapi.json                  the OpenAPI 3.1 document
//	GET   /healthz                          {"status": "ok"}
//
// The lead operations, consent answers and import answer 200 with the
// changed record (convert: 201 with all four records and Location of the
// sale).
//
// Operations describes every route of the table — method, path,
// operationId, body and result types, query parameters, Idempotency-Key
// rules — for programs: the typed Go client (package client) is generated
// from it, and its tests compare the client with it.
//
// # Request and response bodies
//
// Bodies are JSON (a missing Content-Type is taken as JSON; another is
// 415), exactly one value, decoded strictly: an unknown field is 400.
// Responses are the crm records as the crm package marshals them; request
// bodies decode into request types holding only the writable fields. Of the
// read-only fields, those the server sets on every record (id, dealer_id,
// created_at, updated_at) may be sent — a client may send back what it
// read — and are ignored; those with their own operation (a lead's status
// and follow-ups, a customer's consents, the dealer's group) are rejected
// with 422, rule "immutable", because silently ignoring them would mislead.
//
// PATCH takes a JSON merge patch (RFC 7396; application/merge-patch+json
// or application/json): a member sets a field, null clears it, an absent
// member keeps it, arrays are replaced whole. The patch is applied to the
// writable view of the stored record inside the Service's atomic update,
// and the result is validated again, so concurrent patches of one record
// do not lose each other's changes. A lead's level changes only through
// its own route; a PATCH that changes it is 422 from the Service.
//
// Dates are "YYYY-MM-DD" (dealer-local), times RFC 3339, amounts decimal:
// responses always write them as strings ("298000.5") so no digit is lost
// to floating point, requests accept strings or numbers.
//
// # Errors
//
// Every error is an application/problem+json body (RFC 9457) written by
// one function from one table of codes: type is "about:blank", title the
// status text, and a code member carries the machine-readable code:
//
//	invalid              422  errors: [{field, rule, message}], field by JSON name ("vin", "items[2].amount");
//	                          an import lists the first 100 and total_errors counts them all
//	not_found            404
//	conflict             409  a concurrent change, or a unique key is taken: then detail says which in
//	                          words and errors: [{field, rule: "unique", message}] names it ("vin")
//	failed_precondition  409  a closed lead, a record still in use, a forbidden state transition
//	permission_denied    403  permission names what the key's roles lack, or errors names the field
//	                          (rule actor, scope, not_requester)
//	unavailable          503  with Retry-After; the cause is logged
//	internal             500  detail is generic; the error is logged, masked
//	malformed_request    400  malformed JSON, unknown field, wrong JSON type, more than one value
//	unauthenticated      401
//	route_not_found      404
//	method_not_allowed   405  with Allow
//	body_too_large       413  errors names the import section or record past a limit
//	unsupported_media_type 415
//
// A failed precondition is 409 rather than 422: the request is well formed
// but clashes with the record's current state, and 422 stays reserved for
// input the caller must fix field by field.
//
// # Satisfaction
//
// [WithSatisfaction] adds the routes of package satisfaction: AHP weights
// of a posted matrix (POST /v1/ahp/weights) or hierarchy (POST
// /v1/ahp/hierarchy), stored hierarchies, questionnaires, survey responses
// (a low score opens a complaint follow-up), the CSI report (GET
// /v1/reports/csi) and improvement priorities (GET
// /v1/reports/satisfaction-priorities). A malformed or inconsistent
// comparison matrix is 422 naming the cell or the judgment to revise.
//
// # Grading
//
// [WithGrading] adds the routes of package grading: grade the key's dealer,
// optionally against its group's population, writing the dealer's grades
// only (POST /v1/grading/runs; as_of not after today; a repeat of a date
// answers its run; run_id is an idempotency key), read a run, the
// model, graded customers by grade (GET /v1/grading/customers?grade=A), a
// customer's grade with its explanation, history and service strategy
// (GET /v1/grading/customers/{id}), and the RFM and Pareto reports (GET
// /v1/grading/rfm, GET /v1/grading/pareto).
//
// # Campaigns
//
// [WithCampaigns] adds the routes of package campaign: campaigns (create,
// list, read, change a draft, status transitions, cost lines with an
// Idempotency-Key, whose repeat answers Idempotent-Replayed: true), segment
// preview (POST /v1/campaign-segments/preview;
// a bad segment is 422 naming the JSON path, segment.and[2].value), the
// profile refresh, audience freeze with consent exclusions and holdout,
// members and their responses, attribution, the funnel and uplift of a
// campaign, and the channel and value-chain reports (GET
// /v1/reports/channels, GET /v1/reports/value-chain).
//
// # Loyalty
//
// [WithLoyalty] adds the routes of package loyalty: join the club (POST
// /v1/loyalty/members), memberships by status and tier, a member with
// benefits, balances and history, renew, upgrade, cancel and a quote with
// the tier's benefits (POST /v1/loyalty/members/{id}/renew, …), redemptions,
// the ledger entries and the balances as of a date (GET
// /v1/loyalty/members/{id}/balances?as_of=2025-01-31), earnings from a
// service order (POST /v1/loyalty/earnings, once per order), reversals
// (POST /v1/loyalty/entries/{id}/reverse), the program and the liability per
// store. Every loyalty POST honours the Idempotency-Key header: a repeat
// returns the first response with Idempotent-Replayed: true, the same key
// with another body is 409; those that move points or money require it
// (400 without); an order earns and an entry is reversed once whatever the
// keys; another store's customer is 404; an insufficient balance is 409
// failed_precondition.
//
// # Jobs
//
// [WithJobs] adds the routes of the daily jobs (package jobs), served by a
// [JobRunner] — the in-process jobs.Scheduler, or the Postgres one: GET
// /v1/job-runs lists the key's dealer's runs, newest day first
// (?kind=&from=&to=&status=, limit and after), and POST /v1/job-runs
// {"kind": "lifecycle", "day": "2026-03-10"} asks for the run of a job as
// of a day (today when omitted): 202 with the new run, which the scheduler
// works in the background after any missed earlier days, or 200 with the
// run of that day already there, unchanged. A day after the dealer's
// today, an unknown kind or a kind the runner has no job of is 422 naming
// the field.
//
// # Limits and logging
//
// Bodies are limited to 1 MiB ([WithMaxBodyBytes]), except the bulk import,
// 64 MiB ([WithMaxImportBytes]); a larger body is 413. The import is read
// record by record: a batch holds at most the crm.Service's
// MaxImportRecords records (10,000), [ImportListEntriesPerRecord] times as
// many list entries, and records of at most the body limit each; past one
// of them the answer is 413 naming the section or record.
//
// Every request's context has a deadline ([WithRequestTimeout], 60s).
// Heavy routes — reports, grading runs, imports, segment previews, audience
// freezes, exports, flagged in the route table — run at most 4 at once
// ([WithHeavyRequests]); one more waits up to a second for a turn. A
// request that meets either limit, or a store that is unavailable, is
// answered 503 with Retry-After, and the cause is logged as a warning.
// docs/operations.md relates these settings to the database pool.
//
// [WithLogger] logs one
// line per request — method, route pattern, status, duration and dealer;
// never the API key, the URL (a query may hold a mobile number) or a body —
// and internal errors with their text masked; [MaskAttr] masks phone and
// ID-card numbers for the host's own slog handlers.
package httpapi
