package httpapi

import (
	"context"
	"net/http"
	"reflect"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
)

// JobRunner is what the job-run routes call: the scheduler of the daily
// jobs (*jobs.Scheduler in process; the Postgres scheduler too).
type JobRunner interface {
	// Trigger asks for the run of kind for dealer on day (the dealer's
	// today when zero) and returns it, with true when it is new and false
	// when it was there already. An unscheduled kind or a day after the
	// dealer's today is a *crm.ValidationError naming the field.
	Trigger(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (jobs.Run, bool, error)
	// Runs lists the dealer's runs, newest day first.
	Runs(ctx context.Context, dealer crm.DealerID, f jobs.RunFilter) (crm.Page[jobs.Run], error)
}

// WithJobs adds the routes of the daily jobs, served by r:
//
//	GET  /v1/job-runs   the key's dealer's runs (kind, from, to, status)
//	POST /v1/job-runs   run a job for a day by hand: 202 with the new run, 200 with the existing one
func WithJobs(r JobRunner) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return jobRoutes(r) }, schemas: jobSchemas})
	}
}

// jobSchemas registers the enumerations and names of the jobs types.
func jobSchemas(r *schemaRegistry) {
	addEnum(r, jobs.Kinds()...)
	addEnum(r, jobs.Statuses()...)
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[jobs.Kind]():   "JobKind",
		reflect.TypeFor[jobs.Status](): "JobRunStatus",
		reflect.TypeFor[jobs.Run]():    "JobRun",
	})
	r.docs["JobRun"] = "The record of one dealer-day of one daily job: its status, attempts, times, counts and last error."
}

// jobRunInput is the body of POST /v1/job-runs.
type jobRunInput struct {
	// Kind is the job to run.
	Kind jobs.Kind `json:"kind"`
	// Day is the day to run it as of; null or absent means today in the
	// dealer's zone; it may not lie after that today.
	Day dealercrm.Date `json:"day"`
}

func (in *jobRunInput) validate() error {
	var c crm.Checker
	crm.CheckEnum(&c, "kind", in.Kind, jobs.Kind.Valid, true)
	return c.Err("job run")
}

func jobRoutes(r JobRunner) []route {
	const tag = "Jobs"
	params := paged(func(f *jobs.RunFilter) *crm.PageRequest { return &f.PageRequest },
		enumParam("kind", "Runs of this job only.", func(f *jobs.RunFilter) *jobs.Kind { return &f.Kind }),
		dateParam("from", "Runs of this day or later, YYYY-MM-DD.", func(f *jobs.RunFilter) *dealercrm.Date { return &f.From }),
		dateParam("to", "Runs of this day or earlier, YYYY-MM-DD.", func(f *jobs.RunFilter) *dealercrm.Date { return &f.To }),
		enumParam("status", "Runs in this status only.", func(f *jobs.RunFilter) *jobs.Status { return &f.Status }),
	)
	return []route{
		query(route{method: http.MethodGet, path: "/v1/job-runs", op: "listJobRuns", tag: tag,
			summary: "List the daily job runs of the key's dealer, newest day first, then by kind",
			status:  http.StatusOK, result: reflect.TypeFor[jobs.Run](), list: true},
			params, func(c *call, f jobs.RunFilter) (crm.Page[jobs.Run], error) {
				if err := f.Validate(); err != nil {
					return crm.Page[jobs.Run]{}, err
				}
				return r.Runs(c.r.Context(), c.dealer, f)
			}),
		command(route{method: http.MethodPost, path: "/v1/job-runs", op: "triggerJobRun", tag: tag,
			summary: "Run a daily job for the key's dealer as of a day (today when omitted, never after it), in the background after any missed earlier days; 202 with the new run, 200 with the run of that day already there",
			status:  http.StatusAccepted, again: http.StatusOK},
			func(c *call, in jobRunInput) (jobs.Run, error) {
				run, created, err := r.Trigger(c.r.Context(), c.dealer, in.Kind, in.Day)
				c.again = !created
				return run, err
			}),
	}
}
