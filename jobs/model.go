package jobs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Kind names a kind of daily job.
type Kind string

// The job kinds of SPEC §8.
const (
	Lifecycle      Kind = "lifecycle"        // lifecycle.Service.Run(dealer, day)
	LeadFollowUps  Kind = "lead_followups"   // lead follow-ups due and stale flags
	PointsExpiry   Kind = "points_expiry"    // loyalty points expiry and expiry notices
	Membership     Kind = "membership"       // loyalty membership expiry and lapse
	CampaignEnd    Kind = "campaign_end"     // running campaigns whose end date has passed complete
	Grading        Kind = "grading"          // grading run on its period (monthly by default)
	AuditRetention Kind = "audit_retention"  // audit records past their retention are removed
	EventRetention Kind = "events_retention" // events past their retention are removed from the outbox
	Messages       Kind = "messages"         // the day's reminders and campaign sends planned and sent (messages.Service.RunDay)
)

var allKinds = []Kind{Lifecycle, LeadFollowUps, PointsExpiry, Membership, CampaignEnd, Grading, AuditRetention, EventRetention, Messages}

// Kinds returns every Kind value, in order.
func Kinds() []Kind { return slices.Clone(allKinds) }

// Valid reports whether k is a known Kind.
func (k Kind) Valid() bool { return slices.Contains(allKinds, k) }

// ParseKind returns s as a Kind, or a *crm.ValidationError.
func ParseKind(s string) (Kind, error) { return crm.ParseEnum("kind", s, allKinds) }

// Status is the state of a Run.
type Status string

// The run statuses. A run is pending when it was asked for by hand and not
// started yet, running while its job works, and done or failed after.
const (
	Pending Status = "pending"
	Running Status = "running"
	Done    Status = "done"
	Failed  Status = "failed"
)

var allStatuses = []Status{Pending, Running, Done, Failed}

// Statuses returns every Status value, in order.
func Statuses() []Status { return slices.Clone(allStatuses) }

// Valid reports whether s is a known Status.
func (s Status) Valid() bool { return slices.Contains(allStatuses, s) }

// ParseStatus returns s as a Status, or a *crm.ValidationError.
func ParseStatus(s string) (Status, error) { return crm.ParseEnum("status", s, allStatuses) }

// Counts says what a job did, by name: "tasks_created": 12,
// "points_expired": 3400. A nil Counts is stored as empty.
type Counts map[string]int64

// A Job is one kind of daily work: a plain function of (dealer, day),
// safe to run twice, that says what it did. No business rule lives in the
// runner: Run calls a service method.
type Job struct {
	Kind Kind
	// Due reports whether the job has work on day for dealer (grading: the
	// first of the month). Nil means every day.
	Due func(d crm.Dealer, day dealercrm.Date) bool
	// Run does the dealer's work as of day. An error fails the run, which
	// is retried; so is a panic, recovered as an error.
	Run func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error)
}

// due reports whether j has work on day for d.
func (j Job) due(d crm.Dealer, day dealercrm.Date) bool { return j.Due == nil || j.Due(d, day) }

// Run is the record of one dealer-day of one job: one per (Dealer, Kind,
// Day), kept through its attempts.
type Run struct {
	Dealer crm.DealerID   `json:"dealer_id"`
	Kind   Kind           `json:"kind"`
	Day    dealercrm.Date `json:"day"`
	Status Status         `json:"status"`
	// Attempt counts the times the run began: 0 while pending, 2 for the
	// first retry.
	Attempt int `json:"attempt"`
	// StartedAt is when the latest attempt began, FinishedAt when it ended
	// (zero while running); both in UTC.
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Counts and Error are the latest attempt's outcome; Error is empty
	// unless the run failed.
	Counts Counts `json:"counts"`
	Error  string `json:"error,omitempty"`
	// Manual says the run was asked for by hand (Scheduler.Trigger).
	Manual bool `json:"manual"`
}

// Clone returns a copy of r that shares no memory with it.
func (r Run) Clone() Run {
	r.Counts = maps.Clone(r.Counts)
	if r.Counts == nil {
		r.Counts = Counts{}
	}
	return r
}

// Key is the cursor key of r in a listing (see RunFilter).
func (r Run) Key() string { return r.Day.String() + "/" + string(r.Kind) }

// RunFilter filters a dealer's runs; empty fields match everything.
// Listings are newest day first, then by kind: a cursor is the Key of the
// last run of the previous page.
type RunFilter struct {
	Kind Kind `json:"kind,omitempty"`
	// From and To bound the day, both included.
	From   dealercrm.Date `json:"from,omitzero"`
	To     dealercrm.Date `json:"to,omitzero"`
	Status Status         `json:"status,omitempty"`
	crm.PageRequest
}

// Validate returns a *crm.ValidationError naming each bad field.
func (f RunFilter) Validate() error {
	var c crm.Checker
	crm.CheckEnum(&c, "kind", f.Kind, Kind.Valid, false)
	crm.CheckEnum(&c, "status", f.Status, Status.Valid, false)
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		c.Add("to", crm.RuleOrder, "must not be before from")
	}
	return c.Err("run filter")
}

// Cursor decodes the cursor into the day and kind listing resumes after
// (zero for the first page), or a *crm.ValidationError on field "after".
func (f RunFilter) Cursor() (dealercrm.Date, Kind, error) {
	s, err := f.AfterID()
	if err != nil || s == "" {
		return dealercrm.Date{}, "", err
	}
	day, kind, ok := strings.Cut(s, "/")
	d, derr := dealercrm.ParseDate(day)
	if !ok || derr != nil || !Kind(kind).Valid() {
		var c crm.Checker
		c.Add("after", crm.RuleFormat, "is not a cursor returned by a previous page")
		return dealercrm.Date{}, "", c.Err("page")
	}
	return d, Kind(kind), nil
}

// Match reports whether r passes the filter's kind, day range and status
// (not the cursor).
func (f RunFilter) Match(r Run) bool {
	return (f.Kind == "" || r.Kind == f.Kind) && (f.Status == "" || r.Status == f.Status) &&
		(f.From.IsZero() || !r.Day.Before(f.From)) && (f.To.IsZero() || !r.Day.After(f.To))
}

// ListsBefore reports whether r comes before s in a listing: newer day
// first, then kind in ascending order.
func ListsBefore(r, s Run) bool {
	if c := r.Day.Compare(s.Day); c != 0 {
		return c > 0
	}
	return r.Kind < s.Kind
}

// DefaultLease is how long a run may stay running before RunStore.Begin
// takes it to be abandoned by a dead worker and claims it again: an hour,
// River's default RescueStuckJobsAfter. Stores take another lease as an
// option; it must be longer than the longest run of one day.
const DefaultLease = time.Hour

// RunStore is the port both schedulers keep their run records through.
// Implementations are safe for concurrent use; jobstest.RunStoreTests is
// their conformance suite. Every method returns a *crm.ValidationError for
// an empty dealer, an unknown kind or an invalid day, and
// dealercrm.ErrUnavailable when the context ends.
type RunStore interface {
	// Request records that (dealer, kind, day) was asked for by hand: a
	// pending, manual run when there is no run of it, which it returns with
	// true; otherwise the existing run, unchanged, with false.
	Request(ctx context.Context, dealer crm.DealerID, kind Kind, day dealercrm.Date) (Run, bool, error)
	// Begin claims the run of (dealer, kind, day) for one attempt: a new
	// run, or a pending or failed one, becomes running with Attempt one
	// more and StartedAt now, and is returned with true. A run that is done,
	// or running (claimed by another caller) since less than the store's
	// lease, is returned unchanged with false. A run running for the lease
	// or longer is taken to be left by a dead worker and is claimed like a
	// failed one (Attempt one more); the worker that began it, if alive
	// after all, can no longer finish it (see Finish). Of concurrent calls
	// for one dealer-day, exactly one gets true.
	Begin(ctx context.Context, dealer crm.DealerID, kind Kind, day dealercrm.Date) (Run, bool, error)
	// Finish records the outcome of the attempt r began: r.Status (Done or
	// Failed), r.Counts and r.Error, with FinishedAt now, and returns the
	// stored run. ErrNotFound when there is no such run;
	// ErrFailedPrecondition when it is not running r.Attempt (another
	// attempt took it over), or r.Status is neither Done nor Failed.
	Finish(ctx context.Context, r Run) (Run, error)
	// Get returns the run of (dealer, kind, day), or ErrNotFound.
	Get(ctx context.Context, dealer crm.DealerID, kind Kind, day dealercrm.Date) (Run, error)
	// Last returns the latest day whose run of kind is done, or the zero
	// Date when none is.
	Last(ctx context.Context, dealer crm.DealerID, kind Kind) (dealercrm.Date, error)
	// List returns the dealer's runs matching f, newest day first, one page
	// at a time; a *crm.ValidationError for a bad filter or cursor.
	List(ctx context.Context, dealer crm.DealerID, f RunFilter) (crm.Page[Run], error)
}

// CheckKey returns a *crm.ValidationError when dealer, kind or day cannot
// name a run. Stores call it first.
func CheckKey(dealer crm.DealerID, kind Kind, day dealercrm.Date) error {
	c := checkKind(dealer, kind)
	if !day.Valid() {
		c.Add("day", crm.RuleRequired, "must be a valid date")
	}
	return c.Err("run")
}

// CheckKind is CheckKey without a day (RunStore.Last).
func CheckKind(dealer crm.DealerID, kind Kind) error {
	c := checkKind(dealer, kind)
	return c.Err("run")
}

func checkKind(dealer crm.DealerID, kind Kind) *crm.Checker {
	var c crm.Checker
	if dealer == "" {
		c.Add("dealer_id", crm.RuleRequired, "is required")
	}
	crm.CheckEnum(&c, "kind", kind, Kind.Valid, true)
	return &c
}

// CheckFinish returns an error when r cannot finish the stored run: the
// rules of RunStore.Finish, shared by the stores.
func CheckFinish(stored, r Run) error {
	if r.Status != Done && r.Status != Failed {
		return fmt.Errorf("jobs: finish %s %s %s with status %q: %w", r.Dealer, r.Kind, r.Day, r.Status, dealercrm.ErrFailedPrecondition)
	}
	if stored.Status != Running || stored.Attempt != r.Attempt {
		return dealercrm.Errorf(dealercrm.FailedPrecondition, "jobs: run %s %s %s is %s at attempt %d, not running attempt %d",
			r.Dealer, r.Kind, r.Day, stored.Status, stored.Attempt, r.Attempt)
	}
	return nil
}
