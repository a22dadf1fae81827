// Package dealercrm is an embeddable Go SDK for the customer-relationship
// work of car dealerships (Chinese 4S stores: sales, spare parts, service,
// survey). Dealer management software (DMS) vendors import it; a
// dealership's customer-relations department runs its daily work on what it
// computes.
//
// This root package is the shared kernel: the closed set of error codes
// ([Code], [Error], [ErrorCode]) that every package builds its errors on,
// the one error of a forbidden state change ([TransitionError]), the
// dealer-local calendar [Date], and [NewID]. It imports none of the other
// packages.
//
// # Packages
//
//   - crm: the domain model (dealers, customers, leads, vehicles, sales,
//     service orders, insurance policies, interactions, complaints, event
//     participations), its validation rules, the store interfaces and the
//     [crm.Service] that enforces the business rules: lead levels and
//     transitions, lost (战败) approval, lead conversion (A卡 → C卡),
//     consent per purpose and channel, idempotent bulk import from a DMS.
//   - crm/crmtest: the conformance suite every crm.Store implementation runs.
//   - adapters/memory: a complete in-memory crm.Store, the default for tests
//     and demos.
//   - adapters/postgres: the crm.Store on PostgreSQL (Bun), with versioned
//     migrations under configurable schema and table names.
//   - adapters/httpapi: a reference net/http JSON API with per-dealer API
//     keys, RFC 9457 problem details and an OpenAPI 3.1 document.
//   - adapters/console: the web console of the CR department — today's
//     calls, a customer 360 page, the lead board, members and a dashboard
//     of server-side SVG charts (adapters/console/chart) — an importable
//     http.Handler over the services, signed in with an API key.
//   - client: a typed Go client of that API for hosts that run it as a
//     service — one method per operation with the SDK's types, generated
//     from the route table (httpapi.Operations), pages, the event feed,
//     Idempotency-Keys and problem details as errors with dealercrm codes.
//   - grading: customer value metrics, a versioned scoring model, A/B/C
//     grades with explanations, history and hysteresis, service strategies
//     per grade, RFM segments and Pareto reports; grading/gradingtest is
//     the conformance suite of its store.
//   - lifecycle: where each owner is and what to do next — stages, the
//     touchpoint plan with the PRC holiday calendar (调休) and lunar
//     holidays, odometer prediction, the idempotent daily scheduler of
//     follow-up tasks, abnormal customers and the CR department's KPIs.
//   - satisfaction: an AHP engine (eigenvector and geometric mean, CR,
//     Harker completion, group judgments), weighted hierarchies, survey
//     questionnaires scored into a CSI, improvement priorities, and the
//     closed loop from a dissatisfied answer to a complaint follow-up.
//   - campaign: marketing and care campaigns — lifecycle and costs, JSON
//     segments over a per-customer profile snapshot (evaluated in memory
//     or translated to SQL with bound parameters), consent-aware audiences
//     with a seeded holdout and uplift intervals, the funnel per segment
//     against targets, channel effectiveness and the accessory report;
//     campaign/campaigntest is the conformance suite of its store.
//   - loyalty: the membership club (会员俱乐部) — tiers with benefit
//     packages, the five join methods, renewal and upgrade rules with the
//     rule that fired, and a dual-track (cumulative and redeemable),
//     append-only, idempotent points ledger with lots, expiry, lock periods,
//     as-of reads and group programmes; loyalty/loyaltytest is the
//     conformance suite of its store.
//   - jobs: each dealer's daily work once per dealer and local day — job
//     definitions over the services' methods, the run records (RunStore,
//     jobs/jobstest its conformance suite), the in-order catch-up RunDay
//     and the in-process Scheduler; it imports the domain packages, never
//     the reverse.
//   - webhook: the dealers' events delivered to the host's systems as
//     signed POSTs (Standard Webhooks) — subscriptions, at-least-once
//     delivery in sequence order with backoff, a delivery log, disabling
//     and replay, runners sharing the work by a lease per subscription;
//     webhook/webhooktest is the conformance and delivery suite. It
//     speaks HTTP, so it is no domain package.
//   - messages: the plan's automatic reminders and campaign sends through a
//     Sender port the host implements (SMS, WeCom, WeChat, e-mail), checked
//     at send time — holdout, consent as it stands now, quiet hours,
//     frequency cap, the two-reminder limit — each send recorded (Store,
//     messages/messagestest its conformance suite) and logged as an
//     interaction; replies "T", "TD", "退订" withdraw marketing consent.
//   - demo: a deterministic demo dealer group for trying the SDK.
//   - examples/server: a minimal server wiring the pieces together.
//
// Domain packages (crm, grading, lifecycle, satisfaction, campaign,
// loyalty, messages and jobs) import no database and no HTTP; they declare the small
// interfaces they consume, and adapters implement them.
//
// # Principles
//
// Every record belongs to a dealer (tenant) and no query reads across
// dealers unless it says so. Money is decimal.Decimal. Dates are
// dealer-local calendar dates ([Date]). Re-running an operation with the
// same input produces no duplicates. Bad input gets a typed error naming the
// field and the rule it broke. Phone numbers are never logged in full.
//
// # Errors
//
// Every error the SDK returns has a [Code]:
//
//	switch dealercrm.ErrorCode(err) {
//	case dealercrm.NotFound: // 404
//	case dealercrm.Invalid: // 422; errors.As(err, new(*crm.ValidationError)) lists the fields
//	case dealercrm.FailedPrecondition: // 409; for a forbidden state change, errors.As(err, new(*dealercrm.TransitionError)) says from, to and what is allowed
//	}
package dealercrm
