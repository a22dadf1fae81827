// Package campaign implements marketing and care campaigns for a
// dealership (SPEC §5; seed 000 营销渠道效果分析 and 价值链收益管理, seed 004
// abnormal-customer recall, book 001 ch. 8–9): campaigns with a lifecycle
// and costs, JSON segments over customer profiles, consent-aware audiences
// with a random holdout, the funnel per segment against targets, uplift
// with a confidence interval, channel effectiveness and the monthly
// value-chain (accessory 精品) report.
//
// # Campaigns
//
// A [Campaign] has a [Kind] (advertising, interactive, direct marketing,
// PR, sponsorship, promotion, lottery, care, club), contact channels in
// order of preference, a consent purpose (marketing by default), dates, an
// owner, a budget and actual [CostLine]s, and [Target]s: named segments
// with an expected success rate. Its [Status] follows an explicit table:
// draft → approved → running → completed → evaluated (approved may go back
// to draft); anything else is a [*dealercrm.TransitionError] naming from,
// to and the allowed targets (errors.Is [ErrInvalidTransition]). Only a draft's plan
// can change ([ErrNotEditable]); costs are booked only while running or
// completed ([ErrCostNotAllowed]). [Service.BookCost] takes an idempotency
// key with the line: the same request again is a replay, and a line ID is
// booked once whatever the key ([ErrCostConflict]).
//
// Input is plausible ([WithLimits], SPEC §0): cost lines and responses are
// not dated after the dealer's today, responses lie in [Campaign.Window],
// and budgets, costs, revenues and targets stay under crm.Limits.MaxAmount.
//
// # Segments and profiles
//
// A [Segment] is a JSON predicate tree: and, or, not, and leaves
// {field, op, value} over a whitelist of [Fields]: gender, age (years, from
// the birthday), family stage, hobby, region, occupation; the main
// vehicle's model, age and odometer; lifecycle stage, grade, loyalty tier,
// abnormal classes, free tags; days since the last visit; consents.
// [Segment.Compile] validates it — errors are a *crm.ValidationError whose
// fields are JSON paths ("segment.and[2].value") — and normalises it as of
// a date into a [Cond]: number leaves become inclusive ranges, ages and
// days become date ranges on the underlying column, so the memory
// evaluator ([Cond.Matcher], closures compiled once, no allocation per
// customer) and the Postgres translation (bound parameters only, columns
// from a whitelist) compare the same bounds. A customer without a value
// (no birthday, no visit) matches no condition on it, negated or not.
// campaigntest holds the contract: both stores select the same customers
// for a set of segments, and adapters/postgres fuzzes it.
//
// Segments read [Profile]s, a per-customer snapshot the store keeps:
// [Service.RefreshProfiles] rebuilds it from the crm records (the main
// vehicle is the one bought last; the last visit is the latest service
// order) and from [AttributeSource]s for the attributes other packages
// derive — grade (grading), lifecycle stage and abnormal classes
// (lifecycle), tier (loyalty), tags. [Grades], [Lifecycle] and [Tiers]
// read them from those packages' services; a host's own attributes come
// through an [AttributeFunc]. Run the refresh daily, like the lifecycle
// run; a preview or freeze reads the latest snapshot.
//
// # Audience, funnel and uplift
//
// [Service.Freeze] snapshots a campaign's audience as [Member]s: every
// profile matching a target, labelled with the first target it matches.
// A member who has not consented to the campaign's purpose on any of its
// channels is excluded ([NoConsent]) and counted; the others are contacted
// on the first channel they consented to, except the holdout: the share
// [Campaign.Holdout] chosen by [InHoldout], a seeded hash of the customer
// ID (deterministic, close to the share for large audiences, nested as
// the share grows). [Service.RecordResponse] records responses, visits and
// conversions of contacted members; [Service.Attribute] (run on the move
// to evaluated) converts every member, contacted or held out, with a sale
// or service order inside [Campaign.Window]. [Service.Funnel] reports
// invited → responded → visited → converted per target against its rate
// ([FunnelReport.Table] prints seed 004's table, whole percents rounded
// down); [Service.Uplift] compares the conversion of contacted members and
// of the holdout, with Newcombe's hybrid score interval ([ComputeUplift]).
//
// # Reports
//
// [Service.Channels] is the channel effectiveness report of a period: per
// contact channel and per lead source, cost, responses, visits, leads,
// sales, cost per lead and per sale, attributed revenue and ROI. A lead is
// dated by its first contact (its earliest follow-up, or its creation), so
// an imported lead counts when the prospect came.
// [Service.ValueChain] is the monthly accessory report: tables 1 and 2 of
// seed 000, by model (and accessory category from the item description:
// 内装, 外装, 电装) and by sales consultant, from the crm sales' value-chain
// items of kind accessory, against targets set with
// [Service.SetAccessoryTargets], with completion rates.
//
// # Personal data (PIPL)
//
// [Service] is the "campaigns" part of a crm export and erasure
// (crm.PersonalData; register it with crm.Service.AddPersonalData).
// [Service.ExportCustomer] gives a [CustomerData]: the customer's
// [Membership]s (campaign, name and status, invited or held out,
// responses, conversion and revenue) and their [Profile].
// [Service.EraseCustomer] deletes the profile, which RefreshProfiles later
// rebuilds from the erased crm record, and keeps the memberships: they
// hold no free text and nothing naming the person, and they are the
// funnel counts and revenue of the reports.
//
// # Storage
//
// A [Store] keeps campaigns, profiles, members and accessory targets;
// adapters/memory and adapters/postgres implement it. The package imports
// no database and no HTTP.
//
// # Example
//
//	svc, err := campaign.NewService(crmStore, memory.NewCampaignStore(),
//		campaign.WithAttributes(campaign.Grades(grades), campaign.Lifecycle(lc), campaign.Tiers(club)))
//	_, err = svc.RefreshProfiles(ctx, "SH01", dealercrm.Date{})
//	c, err := svc.Create(ctx, "SH01", campaign.Campaign{Name: "春季保养", Kind: campaign.Care,
//		Channels: []crm.Channel{crm.ChannelSMS}, Start: start, End: end, Holdout: 0.1, Seed: 7,
//		Targets: []campaign.Target{{Name: "all", Rate: decimal.RequireFromString("0.3")}}})
//	_, err = svc.Transition(ctx, "SH01", c.ID, campaign.Approved)
//	sum, err := svc.Freeze(ctx, "SH01", c.ID, dealercrm.Date{})
//	…
//	report, err := svc.Funnel(ctx, "SH01", c.ID)
//	fmt.Print(report.Table())
package campaign
