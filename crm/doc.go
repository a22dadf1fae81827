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
//     and channel (phone, SMS, WeChat, e-mail).
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
// [Service.DecideLost]). Follow-up cadence, closing windows and the stale
// rule come from the dealer's [LeadPolicy] (defaults in [DefaultLeadPolicy]).
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
