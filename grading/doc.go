// Package grading implements customer value grading for a dealership
// (SPEC §3; seed 000 客户价值, seed 002 汽车客户分级管理): it computes value
// metrics per customer from the crm records, scores them with a
// configurable model, assigns grades with explanations, history and
// hysteresis, maps grades to service strategies, and reports RFM segments
// and revenue concentration (Pareto).
//
// # Metrics
//
// [Facts] are what the crm records say about one customer, aggregated for a
// run as of a date; [Params.Compute] turns them into [Values], one float per
// [Metric]: new-car value (gross profit + value chain of the first sale),
// add/replacement purchases, after-sales revenue (weighted by payer) and
// visits in a trailing window, referrals and their converted value, event
// participation, potential value (lookup tables by region, industry and
// occupation), tenure, insurance renewals and survey score. Each formula is
// documented on [Values]. Facts come from [ScanFacts] (the crm stores, page
// by page) or, when the crm store implements the optional [FactsAggregator]
// (adapters/postgres does, in SQL), from the store itself.
//
// # Model, scores and grades
//
// A [Model] is plain JSON-serialisable data with a name and version: per
// metric a normalisation ([MinMax], [PercentileRank], [Banded]) and a
// weight; weights are non-negative and sum to 1, or come from an AHP
// priority vector ([Model.SetWeights]). [Model.Validate] rejects bad models
// with a *crm.ValidationError naming each problem. A score is
// 100 × Σ weight × normalised value. Tiers are by score thresholds
// ([ByScore], default A ≥ 80, B ≥ 50, C below) or by population share
// ([ByShare], top 20% = A). Every result lists its top contributing metrics
// ([Contribution]). [Hysteresis] keeps a customer from flapping: a
// downgrade needs the score below the bound minus a margin, or below the
// bound for N consecutive periods.
//
// A run is a streaming computation: facts flow into a [Batch] (one float
// per customer and metric), [Batch.Score] normalises over the population,
// and [Scored.DecideAll] grades everyone in parallel into a compact
// [Outcome] from which states and changes are built while they are stored.
//
// # Service and storage
//
// [Service.Run] grades every customer of a dealer, against the dealer's
// own customers or its whole group as one population, and stores through a
// [Store]: the customer's [State] (grade, score, explanation), a [Change]
// per grade change (old, new, score, reason, run ID) and a [Run] record.
//
// A group run reads the group but writes only the asking dealer's records:
// a dealer never writes another dealer's grades. [RunRequest.WriteGroup]
// is the seam for a group permission: a host that has checked the caller
// may set it through the Go API to write every store of the group; no HTTP
// request can.
//
// One run per dealer and as-of date takes effect: a later or concurrent
// run of the same date returns that run and writes nothing, even when the
// records changed since (a correction counts from the next date's run), so
// a job may run twice and eight concurrent calls record each change once.
// The as-of date may not lie after the dealer's today (plus
// crm.Limits.FutureDays, see [WithLimits]). [Service.Customer] reads a grade
// with its history and [Strategy]; *Service implements [StrategySource], the
// contact cadence (default A monthly, B quarterly, C half-yearly) the
// lifecycle plan consumes. [Service.RFM] and [Service.Pareto] are the
// reports. adapters/memory and adapters/postgres implement Store;
// grading/gradingtest is their shared conformance suite.
//
// # Personal data (PIPL)
//
// *[Service] implements crm.PersonalData, so that a host registers it with
// crm.Service.AddPersonalData: the "grades" section of a customer's export
// is its [CustomerData] (the current [State] with score, top contributing
// metrics and model, or null, and the history of [Change]s), and erasure
// deletes both ([Store.DeleteCustomer]): a grade is a profile of the
// person. Run records keep their counts. The erased customer stays in the
// crm records, anonymised, with its sales and service orders, so a later
// run grades it again from scratch (a first grading, without the old
// history): a grade of an anonymised record.
//
// The package imports no database and no HTTP.
//
// # Observability
//
// Each run is an OpenTelemetry span grading.Service.Run counted in the
// metrics dealercrm.grading.runs, .duration and .customers, from the
// global providers; [WithLogger] logs a run's progress over the customers
// and its summary (docs/observability.md).
//
// # Example
//
//	svc, err := grading.NewService(crmStore, memory.NewGradingStore())
//	if err != nil { … }
//	run, err := svc.Run(ctx, grading.RunRequest{DealerID: "SH01"})
//	g, err := svc.Customer(ctx, "SH01", customerID)
//	fmt.Println(g.State.Grade, g.State.Top[0].Metric, g.Strategy.ContactMonths)
package grading
