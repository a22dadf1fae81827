// Package jobs runs each dealer's daily work once per dealer and local day
// (SPEC §8 "Jobs"): the lifecycle run, lead follow-ups, points and
// membership expiry, campaign completion, periodic grading and the audit
// trail's retention.
//
// A [Job] is a plain function of (dealer, day) that is safe to run twice
// and says what it did ([Counts]); [Job.Due] picks its days (grading: the
// first of the month). No business rule lives here: a job calls a service
// method. [Defaults] returns the jobs of the services' existing methods
// (lifecycle run, lead follow-ups, points expiry, membership expiry,
// campaign completion, monthly grading, audit retention). The
// domain packages never import jobs.
//
// Every run of a job for one dealer-day has one record, a [Run], kept
// through its attempts in a [RunStore]: pending when asked for by hand,
// running, then done or failed with its counts or error. [RunStore.Begin]
// lets exactly one caller run a dealer-day, however many replicas ask.
// A run left running for the store's lease ([DefaultLease]) by a dead
// worker is claimed again. jobstest.RunStoreTests is the stores'
// conformance suite; the memory and Postgres RunStores pass it.
//
// # Catch-up
//
// [RunDay] is the one function every scheduler calls: it runs a job for a
// dealer on every day from the day after the last done one up to the day
// asked for, in order and each as of itself, at most a window of days back
// ([DefaultWindow]), stopping at the first failure so that the retry
// resumes there.
//
// # Scheduler
//
// [Scheduler] is the in-process scheduler: every interval it takes each
// dealer's local today (crm.Dealer.Today) and calls RunDay for every job,
// retrying a failure with capped exponential backoff ([WithBackoff]).
// [Scheduler.Trigger] asks for a run by hand and is idempotent: a second
// call returns the first run. Its clock is injectable ([WithClock]) and
// [Scheduler.Tick] does one round at once, so tests advance time instead
// of sleeping. The scheduler for several replicas on Postgres is
// adapters/postgres/riverjobs (River), with the same Start, Stop, Trigger
// and Runs (docs/jobs.md).
//
//	s, err := jobs.NewScheduler([]jobs.Job{{Kind: jobs.Lifecycle, Run: run}}, crmStore.Dealers(), memory.NewRunStore())
//	err = s.Start(ctx)
//	defer s.Stop(ctx)
//
// # Observability
//
// A tick, a RunDay and each dealer-day run are OpenTelemetry spans
// (jobs.Scheduler.Tick, jobs.RunDay, jobs.Job.Run) with the dealer, job
// kind, day, outcome and the job's Counts as attributes; the runs are
// counted in dealercrm.job.runs and timed in dealercrm.job.duration. The
// providers are the global ones, or [WithTracerProvider] and
// [WithMeterProvider]; [WithLogger] logs a tick's progress over the
// dealers and the failed runs (docs/observability.md).
package jobs
