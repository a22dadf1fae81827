// Package lifecycle implements the ownership lifecycle of SPEC §2: where
// each owner is (stages), what to do next (the touchpoint plan) and the
// follow-up tasks the CR department works through each day ("whom do we
// call today, about what, and who does it").
//
// # Stages
//
// StagePolicy.Classify places a vehicle in honeymoon 蜜月期, early use
// 使用早期, warranty mid/late 保修中后期, post-warranty 出保后 or repurchase
// 再购期 from its delivery date, odometer, first maintenance and open
// add/replacement leads. Each limit is age and distance, whichever comes
// first (defaults 6 months / 5,000 km, 2 years / 50,000 km, the warranty
// 3 years / 100,000 km per brand/model, repurchase at 6 years), and the
// StageResult says which limit decided.
//
// # Plan and calendar
//
// A Policy holds every number: the stage limits, odometer prediction
// (average km/day from two or more readings, decreasing and absurd
// readings ignored and reported, else a default), maintenance intervals,
// annual-inspection rules with effective dates and the plan: a list of
// Rules, each with a kind, an anchor event, offsets, repeats, a due
// window, channels, a consent purpose, an owner role, conditions (stage,
// grade) and a working-day shift. DefaultPolicy is the table of SPEC §2.2;
// Policy.Validate rejects bad configuration (negative offsets from past
// events, unknown anchors, overlapping stage limits, …) with a
// *crm.ValidationError naming each field and rule.
//
// Dates are dealer-local calendar dates (dealercrm.Date): months are added
// with month-end clamping (delivered 31 January + 1 month = 28/29
// February) and a 29 February birthday is kept on 28 February in common
// years. A customer with a lunar birthday (crm.BirthdayLunar) is called
// for the lunar month and day of their Gregorian date of birth, converted
// to each lunar year's Gregorian date: a birth in a leap month 闰月 counts
// in the ordinary month of that number, and a birth on the 30th falls on
// the 29th in years when that month has 29 days; a birth in the 11th or
// 12th lunar month may fall in January or February of the next Gregorian
// year. Customers without the option keep their Gregorian birthday. Calendar is the PRC working-day calendar: official holidays and
// adjusted working weekends (调休) as data (OfficialYears ships 2024–2026;
// NewCalendar takes a dealer's update, as the State Council publishes each
// year in November), and lunar dates computed with github.com/6tail/lunar-go
// for any lunar year MinLunarYear–MaxLunarYear: the festivals Spring
// Festival 春节 (1/1), Lantern 元宵 (1/15), Dragon Boat 端午 (5/5), Qixi 七夕
// (7/7), Mid-Autumn 中秋 (8/15) and Double Ninth 重阳 (9/9) (Calendar.Lunar),
// and lunar birthdays (Calendar.LunarBirthdayIn). Holiday care is sent for
// the festivals of Policy.Festivals: by default New Year's Day, Spring
// Festival, Labour Day, Dragon Boat, Mid-Autumn and National Day (SPEC
// §2.2); Lantern, Qixi and Double Ninth are chosen by the dealer.
//
// # Scheduler
//
// Planner.Evaluate plans one Subject (a vehicle with its owner, readings,
// visits, policies and complaints) as of any date, using only what was
// known that day. The dates each Anchor falls due on are computed in one
// place, the anchors table of anchors.go: one small function per anchor
// kind, with the reason it gives. Tasks carry deterministic keys (rule
// kind, subject, anchor event and date, reminder number). Planner.Reconcile
// plans each subject and diffs the plan against that subject's stored
// tasks (reconcile.go): it creates what is due, reschedules tasks whose
// anchor moved, cancels, with the reason, tasks whose reason
// vanished (the car was serviced, the policy renewed, consent withdrawn),
// marks overdue ones, and never touches done, skipped or cancelled
// tasks; a second run with the same data changes nothing.
// Planner.ReconcileEach does the same over subjects streamed from a
// callback (a compact or paged source; planned by a bounded group of
// workers, merged in order), holding only each subject's plan at a
// time. Service wires it to a crm.Service and a TaskStore: Run (the
// daily run), DueOn (the day's list), PlanFor (a vehicle's Plan, whose
// rows are planned tasks, not stored ones; nothing is planned before the
// delivery),
// RecordOutcome (writes a crm.Interaction with the task key), Skip,
// Cancel and Reschedule; a move a task's status does not allow is a
// *dealercrm.TransitionError saying from, to and what is allowed.
// Contacts respect consent per purpose and channel: a rule's first
// consented channel is used, and without one the task is not planned.
//
// Grades, cadences and memberships come from other packages through the
// small GradeSource, CadenceSource and MembershipSource interfaces; the
// package works without them. grading.Service is a GradeSource and a
// CadenceSource. A rule may be limited to grades (Rule.Grades) and club
// tiers (Rule.Tiers). The grade_care rule (anchor grade_cadence) plans the
// courtesy call of the grade's service strategy (seed 002: A monthly, B
// quarterly, C half-yearly) on the first day of each period — months
// whose index year×12 + month − 1 is a multiple of the cadence, so a
// quarterly cadence calls on Jan 1, Apr 1, Jul 1 and Oct 1 — moved to the
// next working day, one task per customer whatever the number of cars.
//
// Service.OpenFollowUp opens a task outside the plan when something
// happens elsewhere — satisfaction.LifecycleTasks opens a survey_follow_up
// for a dissatisfied survey answer (SPEC §6). Its key, "kind|ref:…",
// makes it idempotent, and the daily run never reschedules or cancels
// it; it only marks it overdue when its window ends.
//
// Leads have tasks of their own, which carry the lead's ID (Task.LeadID):
// a lead_follow_up for the consultant, due on the dealer-local date of
// the lead's next follow-up (the first call within 24 hours of a showroom
// visit, then by the level's cadence), and a stale_lead for RoleManager
// once an open lead is untouched for the dealer's StaleAfterDays. The
// follow-up's key counts the contacts logged, so a level change moves the
// open task and a logged contact closes it and opens the next. The
// service keeps them as each lead changes (LeadChanged, a
// crm.LeadWatcher) and RunLeads, the daily LeadFollowUps job, reconciles
// every lead.
//
// Tasks carry a Version. The daily run writes only over what it read
// (TaskStore.Apply creates a task unless its key exists and replaces one
// only at the version read): an outcome recorded while a run is between
// reading and writing survives, and the run plans the subjects of the
// tasks it could not write again over a fresh read. Concurrent runs for
// one dealer and day all succeed and leave one task per key.
//
// # Call list
//
// Service.CallList is the day's list as people work it: each CallItem is
// a Task with the customer's name and mobile, the car's plate and model,
// the customer's grade and club tier, read once per page (CallPageSource,
// GradeLookup, MembershipLookup when the backends have them); the car's
// stage and last visit are the task's own (Task.Stage, Task.LastVisit),
// kept by the daily run (describe.go). TaskFilter selects by kind, channel, owner role,
// assignee, customer(s), vehicle, due range and status. Service.CallGroups
// groups the list by customer; an Outcome with CloseCovered closes the
// tasks one call covers (CallPolicy.Alone names the kinds always worked
// alone). An appointment_booked outcome records Task.AppointmentDate
// (required); a no_answer one counts Task.Attempts and retries on the
// next working day until CallPolicy.MaxAttempts, then skips the task.
// Reassign and ReassignMany give tasks to a staff member, all or nothing
// (TaskStore.UpdateMany).
//
// Who sees which tasks (SPEC §9) is ScopeTasks, which restricts a
// TaskFilter to a crm.Principal's tasks — all of the store with
// crm.PermAllTasks, the CR tasks with crm.PermCRTasks, else those assigned
// to the principal's staff member — and InScope, the same rule for one
// task (docs/identity.md).
//
// TaskStore is implemented by adapters/memory (NewTaskStore) and
// adapters/postgres (Store.LifecycleTasks); lifecycletest.RunStoreTests
// and lifecycletest.RunServiceTests (the run against concurrent writers,
// PIPL export and erasure) are their shared contract.
//
// # Reasons as codes
//
// Every text a clerk reads is kept twice: as English prose (Task.Reason,
// Task.StatusReason, StageResult.Reason, Plan.Gone, Abnormality.Reason,
// Comeback.Reason) and as a message code with parameters beside it
// (ReasonCode and ReasonParams, StatusReasonCode and StatusReasonParams,
// Plan.GoneCodes), e.g. "lifecycle.reason.insurance_renewal" with
// {"insurance_kind": "compulsory", "policy": "P1", "end": "2026-05-10",
// "n": "1", …}. Package i18n renders the codes in Chinese or English; the
// HTTP API does so by Accept-Language. MessageCodes lists every code; a
// kind added to the default plan needs its "kind.<kind>" and
// "lifecycle.reason.<kind>" templates in i18n, whose test fails without
// them (see docs/i18n.md).
//
// # Personal data (PIPL)
//
// Service implements crm.PersonalData; a host registers it with
// crm.Service.AddPersonalData, so that a customer's export and erasure
// reach their tasks. The export's section "tasks" lists every task of the
// customer (and the customerless tasks of their vehicles), of any status,
// with reasons, outcomes and notes. Erasure (Task.Erase, in one
// transaction of TaskStore.EraseCustomer) cancels open and overdue tasks
// with reason ErasedReason ("erased"), so they leave the call list, and
// replaces every reason and status reason by it and clears outcome notes
// (a survey follow-up quotes the comment; staff write names and
// numbers); kind, dates, status of closed tasks, outcomes and keys stay
// for the statistics, and closed keys are never planned again. With the
// customer's consents withdrawn and birthday cleared by crm, the plan has
// no consent-gated task for them. A run that loaded the crm records
// before an erasure and writes after it erases again what it planned for
// the customer (TaskStore.Erasures, read before loading and after
// writing).
//
// # Abnormal customers 异常客户 (SPEC §2.3, seed 004)
//
// AbnormalPolicy.Assess grades one vehicle (per VIN) as of any day, from
// the visits and complaints known that day; every threshold below is a
// field of AbnormalPolicy (defaults in brackets). A visit is paid when the
// customer paid it and it is not warranty work (insurer-, manufacturer-
// and dealer-paid visits are not paid); with PaidOnly only paid visits
// count for the activity status, the cadence and the KPIs.
//
//   - Activity: whole months m since the last visit here (since delivery
//     when there is none): active below AtRiskMonths (6), at_risk from
//     it, lost from LostMonths (12), deep_lost from DeepLostMonths (24).
//   - Service class: paid visits here in the last ClassMonths (12): A ≥
//     ClassAVisits (4), B ≥ ClassBVisits (2), C = 1, D = 0 for a vehicle
//     known (delivered or first seen) for at least ClassMonths; empty
//     (too new) otherwise.
//   - near_churn 濒临流失: a visit at a sister store of the group in the
//     last SisterMonths (12), after the last visit here; or, below
//     LongAbsentMonths, days since the last visit > NearChurnFactor (1.5) ×
//     the customer's own cadence (the mean interval between visits here,
//     known from CadenceMinVisits (3) visits).
//   - long_absent 长期未入库: m ≥ LongAbsentMonths (12).
//   - complained 曾抱怨或投诉: a complaint (a crm.Complaint or a service
//     order marked Complaint) opened in the last ComplaintMonths (6) and
//     no visit here after it.
//   - repair_only 只维修不保养: repair, accident or warranty visits but no
//     maintenance in the last RepairOnlyMonths (12).
//
// Service.Abnormal reports a dealer's abnormal vehicles with counts per
// activity, class and abnormal class. Sister stores are read only on
// request (AbnormalQuery.Group, the explicit group-level view): the other
// dealers of the dealer's crm.Dealer.GroupID are listed, their vehicles
// matched by normalised VIN, and their service orders of those vehicles
// added as visits of that dealer. Without it no other tenant is read.
//
// # KPIs
//
// Planner.KPIs (Service.KPIs) computes over a period [from, to], counting
// vehicles (VINs), own-store visits up to to only, each as a Rate
// (numerator, denominator, ratio):
//
//   - Churn 流失率 (rolling, ChurnMonths = 6): N is the month of to; of
//     the vehicles with a visit in month N−6, the share with no visit in
//     months N−5…N. Reference ≤ 20%. ChurnByMonth gives the same rate for
//     every month N from the month of from to the month of to (visits
//     after month N never count for N).
//   - Retention 回厂率: of the vehicles visiting or delivered in the
//     BaseMonths (12) before from (the base 基盘), the share visiting in
//     [from, to].
//   - First-maintenance return 首保回厂率: of the vehicles whose
//     first-service window (delivery + Maintenance.FirstLostMonths, 12,
//     the 首保流失 date) closed in [from, to], the share with a
//     maintenance visit here on or before that date.
//   - Insurance renewal 续保率: of the policies ending in [from, to], the
//     share renewed (a later policy of the same kind starting by the day
//     after the end). RenewalBase sets the denominator: all_due (every
//     policy falling due) or active_due (only those of vehicles that
//     visited in the BaseMonths before the end).
//   - Own-store capture 自店客户掌握率 (seed 000, the CR department's
//     有偿服务整备掌握率 / 自店客户掌握率 pair): of the vehicles the dealer
//     sold (a crm.Sale exists) delivered by to, the share that visited
//     here in the BaseMonths up to to. With PaidOnly it is the paid-service
//     capture 有偿服务整备掌握率.
//   - Comebacks 返修率: comebacks dated in [from, to] / workshop jobs
//     (maintenance, repair, accident and warranty visits here, any payer)
//     dated in [from, to].
//
// # Comebacks 返修
//
// ComebackPolicy.Comebacks finds the repairs that come back within the
// statutory quality warranty 质量保证期 of an earlier job of the same
// vehicle at the same dealer (机动车维修管理规定, art. 38; SPEC §2.3): a
// general or warranty repair (accident repairs are new damage) dated at
// most the term's days after the earlier job closed and, when both
// odometer readings are known, at most the term's kilometres after it;
// attributed to the latest such job. Terms by class (RepairClass): major
// 整车修理或总成修理 20,000 km / 100 days, level-2 maintenance 二级维护
// 5,000 km / 30 days, minor 一级维护、小修及专项修理 2,000 km / 10 days.
// Service orders carry no class, so repairs are major from MajorAmount
// (5,000 CNY of labour and parts) and minor below it, and maintenance
// jobs are MaintenanceClass (level2). Every number is a field of
// Policy.Comebacks.
//
// # The morning reports: the daily run's snapshot
//
// The KPIs, comebacks and abnormal customers read every vehicle of the
// dealer with its visits. So that the reports a manager opens every
// morning answer at once, the daily run (Service.Run), which loads
// those subjects anyway, also computes from them a ReportSnapshot
// (Service.Reports): the KPIs and comebacks of the standard periods of
// its day (ReportPeriods: month to date, previous month, year to date,
// twelve months to date) and the abnormal report as of its day (own
// records, every abnormal vehicle). The task store keeps the latest
// snapshot per dealer when it is a ReportStore (adapters/memory and
// adapters/postgres are). Service.KPIs, Comebacks and Abnormal serve a
// request from the snapshot when the snapshot is of today in the
// dealer's zone and holds the period (or day) asked for, with
// ComputedAt set to when the run computed it; the numbers are those of
// the records as the run read them, equal to a live computation over
// the same records. Any other request, or one with Live set, is
// computed from the records now.
//
// # Observability
//
// Each daily run is an OpenTelemetry span lifecycle.Service.Run (dealer,
// day, subjects, tasks created, rescheduled, cancelled, overdue) counted
// in the metrics dealercrm.lifecycle.runs, .duration and .tasks, from the
// global providers; [WithLogger] logs each run's summary
// (docs/observability.md).
//
// # Example
//
//	pl, _ := lifecycle.NewPlanner(lifecycle.DefaultPolicy(), nil)
//	s := lifecycle.Subject{VehicleID: "v1", Model: "Lavida", Delivery: delivered, Owner: &customer}
//	ev := pl.Evaluate(&s, today, 30)
//	for _, t := range ev.Tasks {
//		fmt.Println(t.Due, t.Kind, t.Channel, t.Reason)
//	}
package lifecycle
