// Package demo implements deterministic demo data for dealercrm: a dealer
// group of two Chinese 4S stores with three years of believable history, for
// the example server, for trying the HTTP API and for exercising later
// analyses (value grading, lifecycle stages, churn, campaigns) on something
// that looks like a real store.
//
// # What is generated
//
// Generate returns one group, GroupID "demo-group" (华东天澜汽车集团), of two
// stores of the fictional brand 天澜 (a made-up make, so that no real
// manufacturer's prices or codes are implied): the Shanghai store
// (ShanghaiDealerID "demo-sh01", store code SH01) and the Suzhou store
// (SuzhouDealerID "demo-sz01", SZ01), both in Asia/Shanghai. Each store
// has a small staff roster (sales consultants, service advisors, CR
// specialists, a sales and a service manager) and a crm.Batch with:
//
//   - customers: individuals with Chinese names, 11-digit CN mobile numbers,
//     gender, birthday, region (province/city/district), occupation,
//     industry, income band, family stage, hobbies, source channel, consents
//     per purpose and channel with time and source (some withdrawn, some
//     customers with the legal minimum only), consultant and advisor; about
//     5% companies and fleets with several cars;
//   - vehicles of seven models with ISO 3779 VINs (check digit included),
//     plates such as 沪A·12345 or the green 苏E·D12345, prices in CNY,
//     purchase, registration and delivery dates over the last three years
//     and older cars up to eight years (repurchase stage), traded-in cars
//     without an owner, and odometer readings taken at delivery and at every
//     visit;
//   - sales with price, gross profit (some below cost) and value-chain items
//     (accessories, first-year insurance, finance, extended warranty,
//     registration service), some with a trade-in;
//   - service orders: the free first maintenance around 5,000 km or 6 months
//     (paid by the manufacturer), regular maintenance every 5,000 km / 6
//     months or 10,000 km / 12 months by model, repairs, accident repairs
//     mostly paid by insurers, warranty repairs paid by the manufacturer,
//     accessory fittings; labour, parts and advisor on each;
//   - insurance policies: compulsory and commercial, yearly, the first sold
//     with the car, later years renewed through the store or not;
//   - interactions: 3DC, 7DC and N+1 calls, maintenance reminders by SMS or
//     phone, post-service calls, win-back calls, renewal calls, birthday
//     messages, complaint follow-ups — each only where the customer gave
//     consent for that purpose and channel;
//   - complaints, open and resolved, most tied to a service order;
//   - event invitations and attendance (car-care classes, club trips,
//     trade-in shows, …);
//   - leads at every intent level H, A, B, C, N, O, D and F: one converted
//     (D) lead per sale of the last 18 months, open leads with follow-up logs
//     consistent with their level, stale ones, lost (F) leads with approved
//     lost requests and reasons, one pending and one rejected lost request,
//     referral leads with their referrer, and add or replacement purchase
//     leads of existing customers.
//
// Customers follow archetypes that later analyses should find: loyal ones
// who service regularly (skipping a visit now and then), customers last
// seen 6–12 months ago (at risk) or over a year ago (lost, some over two),
// first-maintenance losses, repair-only customers, and Shanghai customers
// who moved and now service the same car (same VIN) at the Suzhou store.
//
// Interaction purposes are "3DC", "7DC", "n_plus_1_month",
// "first_maintenance_reminder", "maintenance_reminder", "service_booking",
// "post_service_follow_up", "win_back", "insurance_renewal",
// "birthday_care" and "complaint_follow_up".
//
// # Determinism and idempotency
//
// Generate is pure: the same Options (Seed, Today, Customers) give the same
// Data, byte for byte; there is no clock and no global random source inside.
// Every record has a stable external ID ("SH01-C-00042", "SZ01-RO-001234"),
// and every reference in a batch holds external IDs, as crm.Batch requires.
// Seed creates the dealers when they are missing and imports each batch
// with crm.Service.Import, which matches on external IDs: seeding the same
// data twice changes nothing.
//
// Every customer draws from a random stream of its own and every date is
// reckoned back from Today, so data generated for a later Today keeps the
// same people, cars, sales, service orders, policies and leads under the
// same external IDs, with their dates moved; seeding it over older data
// updates those records in place. Contacts and event invitations follow the
// calendar (birthdays, yearly events) and may differ; records that a later
// run no longer generates are left in the store.
//
// # Survey season
//
// Surveys adds, apart from Generate's crm data (which it does not change),
// a season of return-visit survey responses (回访) for both stores: the
// SurveySeasonMonths before Today, after most closed service orders and
// sales, on satisfaction's default hierarchy and call questionnaires,
// about the order's advisor or the sale's consultant (some clearly better
// than others), with a few dissatisfied customers. SeedSatisfaction
// records them through a satisfaction.Service after Seed, resolving their
// external references; responses are replayed by external ID, so seeding
// again changes nothing. With satisfaction.LifecycleTasks the dissatisfied
// answers open follow-up tasks; WorkFollowUps then records the CR
// department's calls for those older than FollowUpGraceDays, so that
// today's task list is today's work.
//
// # Campaigns
//
// SeedCampaigns runs, after Seed, two finished campaigns per store through
// a campaign.Service: a spring maintenance care campaign (phone, then SMS;
// lapsed and regular owners with their own targets; a 10% holdout) and a
// road-trip club event (WeChat; owners whose hobbies fit), both evaluated,
// with costs, recorded responses and conversions attributed from the crm
// records, plus monthly accessory targets per sales consultant. Seeding
// again leaves them as they are.
//
// # Loyalty
//
// SeedLoyalty starts each store's club after Seed through a
// loyalty.Service: LoyaltyMembers customers with recent service orders join
// 300 days before today and earn the points of their orders since, and some
// redeem a voucher, so members have ledger history. Seeding again changes
// nothing.
//
// # API keys
//
// APIKeys returns the fixed demo keys ShanghaiAPIKey ("demo-sh01-key") and
// SuzhouAPIKey ("demo-sz01-key"), each scoped to its store. They are public;
// never use them outside a demo.
//
// # Example
//
//	data := demo.Generate(demo.Options{Seed: 1, Today: dealercrm.DateIn(time.Now(), shanghai)})
//	svc := crm.NewService(memory.New())
//	if err := demo.Seed(ctx, svc, data); err != nil {
//		return err
//	}
//	handler := httpapi.NewHandler(svc, httpapi.WithPrincipals(demo.Principals(data)))
package demo
