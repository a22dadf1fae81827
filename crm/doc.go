// Package crm implements the domain model of dealercrm: the records a
// dealership's customer-relations department works with, their validation
// rules, the store interfaces adapters implement, and the Service that
// enforces the business rules on top of a store.
//
// # Entities
//
// Every entity but the Dealer embeds a [Record]: the dealer it belongs to,
// an optional ExternalID (the host DMS's own identifier, unique per dealer)
// and its creation and update times.
//
//   - [Dealer]: a dealership (tenant), optionally in a group 集团, with its
//     time zone and lead policy.
//   - [Customer]: an owner or buyer (C卡), individual or company, with
//     consent per purpose (marketing, service reminders, surveys, recalls)
//     and channel (phone, SMS, WeChat, e-mail). Birthday is the Gregorian
//     date of birth; [BirthdayCalendar] says whether the customer
//     celebrates it (solar, the default when empty) or its lunar month and
//     day, a lunar birthday 农历生日 (lunar; the lifecycle package converts
//     it to each year's date).
//   - [Lead]: a prospect card (A卡) with an intent level H/A/B/C/N/O/D/F
//     (SPEC §1.1), a follow-up log and lost (战败) requests.
//   - [Vehicle] (VIN with ISO 3779 check digit), [Sale] (with value-chain
//     items), [ServiceOrder], [InsurancePolicy], [Interaction], [Complaint]
//     and [EventParticipation].
//
// Validate methods return a *[ValidationError] listing every broken rule by
// JSON field name (vin, items[2].amount), so a caller can fix everything at
// once; its code is dealercrm.Invalid.
//
// # Rules
//
// Lead levels move by an explicit transition table ([IntentLevel.CanMove]);
// D (delivered) is reached only by [Service.ConvertLead], which writes the
// customer, the vehicle and the sale in one transaction, and F (lost) only by
// a manager approving a lost request ([Service.RequestLost],
// [Service.DecideLost]); the member of staff who requested it may not decide
// it (a [*PermissionError] naming decided_by that errors.Is
// [ErrOwnLostRequest], code PermissionDenied). A change the state
// machines forbid (lead levels, lead and complaint status) is a
// [*dealercrm.TransitionError] saying from, to and the allowed targets;
// errors.Is(err, [ErrInvalidTransition]) holds. Follow-up cadence, closing windows and the
// stale rule come from the dealer's [LeadPolicy] (defaults in
// [DefaultLeadPolicy]).
//
// The level of an open lead at H, A, B, C or N follows its expected close
// date by the policy's windows, seen on the dealer's today (SPEC §1.1; with
// the defaults 20 days out is B): on create (N, the default, yields to the
// date; another level that disagrees is a *ValidationError on level, rule
// window), when an update changes the date (a cleared date gives N), and on
// a follow-up (which may set a new date). [Service.SetLeadLevel] and a
// follow-up's level must agree with the date; move the date to move the
// level. Without a date the consultant's level stands; an ordered lead stays
// at O. Levels do not drift by themselves as days pass: a follow-up or a
// change of the date re-derives them. Import takes the DMS's levels as they
// are.
//
// # People
//
// A [Principal] is whom a request acts for: dealer, group, staff member,
// roles and key ID. A [RoleTable] ([DefaultRoles]: admin, manager, cr,
// consultant, advisor, integration, group_admin) gives each role its
// [Permission]s, which [RoleTable.Resolve] sets on the principal. The rules
// about people are methods of the principal: [Principal.Actor] (the staff
// member acting is the principal's own), [Principal.ScopeLeads] and
// [Principal.CheckLead] (a consultant sees their own leads, a manager all
// of the store's); a refusal is a [*PermissionError] naming the permission
// or the field (docs/identity.md).
//
// # Plausible input
//
// Besides each entity's Validate, create, update, the lead operations,
// conversion and import check what needs the dealer's today and the
// Service's [Limits] ([WithLimits], default [DefaultLimits]; SPEC §0):
//
//   - Dates of past events may not lie after the dealer's today plus
//     Limits.FutureDays (rule future), nor before 1900-01-01 (rule min):
//     birthdays, consent times, follow-up times, lost-request times, a
//     vehicle's purchase, delivery and registration dates and odometer
//     reading dates, sale dates, service order dates and closed dates,
//     interaction times, complaint opened and resolved dates, attended event
//     dates, and an imported record's created_at. Insurance start and end,
//     an invitation to an event and a lead's expected close date are not past
//     events.
//   - Amounts have the ceiling Limits.MaxAmount, either sign (rule max):
//     vehicle and sale prices, gross profit, value-chain amounts and
//     profits, labour, parts and premiums; odometer readings
//     Limits.MaxOdometerKM. Sums of them (ServiceOrder.Total,
//     Sale.ValueChainTotal) are decimals and cannot overflow.
//   - No string of any entity, however nested, may hold a NUL or invalid
//     UTF-8 (rule text, [CheckText]); the fields are found by reflection, so
//     a new string field is covered without being listed.
//
// # Storage
//
// [Store] groups one [Repository] per aggregate and is the unit of work:
// [Store.InTx] runs a function whose writes commit or roll back together.
// adapters/memory and adapters/postgres implement it, and both pass the
// conformance suite in crm/crmtest. Bulk synchronisation from a DMS goes
// through [Service.Import], keyed by external IDs: importing the same
// [Batch] twice leaves the same state.
//
// # Observability
//
// [Service.Import] is an OpenTelemetry span crm.Service.Import counted in
// the metrics dealercrm.import.records (by record kind and outcome),
// .duration and .errors, from the global providers, and logs its summary
// with the service's logger (docs/observability.md). Spans and metrics
// carry IDs, counts and codes, never personal data.
//
// # Example
//
//	svc := crm.NewService(memory.New())
//	d, _ := svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "Shanghai 4S"})
//	c, err := svc.CreateCustomer(ctx, d.ID, crm.Customer{Name: "王伟", Mobile: "139 1234 5678"})
//	var ve *crm.ValidationError
//	if errors.As(err, &ve) {
//		for _, f := range ve.Fields {
//			fmt.Println(f.Field, f.Rule)
//		}
//	}
package crm
