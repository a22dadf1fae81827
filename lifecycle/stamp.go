package lifecycle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// InputStamper is an optional capability of a TaskStore that lets the
// daily run skip a dealer-day whose inputs did not change since the run
// that stored the dealer's report snapshot of that day
// (WithSharedDatabase): a re-run of 50 dealers that changes nothing then
// reads a stamp per dealer instead of every vehicle with its history
// (adapters/postgres has it; docs/lifecycle.md).
type InputStamper interface {
	// InputStamp returns a stamp of every record of dealer the daily run
	// reads other than its tasks — the crm records of st, the grades and
	// cadences, the club memberships, the erasures and the dealer itself —
	// that differs whenever any of them was written (created, changed or
	// deleted) since. Without facts it leaves out the records the store's
	// FactSource stamps as it loads them (Facts.Stamp): the full stamp is
	// that one, " | ", and the stamp without facts. ok is false, with
	// nothing read, when the store cannot stamp the records of st (a crm
	// store of another database).
	InputStamp(ctx context.Context, st crm.Store, dealer crm.DealerID, facts bool) (stamp string, ok bool, err error)
	// TaskStamp returns the dealer's tasks counted, with the sum of their
	// versions.
	TaskStamp(ctx context.Context, dealer crm.DealerID) (TaskStamp, error)
	// LastRun returns the day, stamp and subject count of the run that
	// stored the dealer's report snapshot; the zero values when there is
	// none.
	LastRun(ctx context.Context, dealer crm.DealerID) (day dealercrm.Date, stamp string, subjects int, err error)
}

// TaskStamp is a dealer's tasks counted, with the sum of their versions
// (Task.Version: 1 when created, one up with every write). Any write of
// a task changes it but a deletion and a creation whose versions cancel
// out, and a deletion of a task erases its customer, which changes the
// erasures (InputStamper.InputStamp).
type TaskStamp struct {
	Count    int64 `json:"count"`
	Versions int64 `json:"versions"`
}

// plus returns t with the tasks a run created and replaced: each
// creation is one more task at version 1, each replacement one version up.
func (t TaskStamp) plus(created, replaced int) TaskStamp {
	return TaskStamp{Count: t.Count + int64(created), Versions: t.Versions + int64(created) + int64(replaced)}
}

// WithSharedDatabase declares that the crm store, the grade and cadence
// sources and the membership source all read the task store's database,
// as app.New wires one Postgres store. The Service cannot check it; what
// it then does:
//
//   - Run skips a dealer-day whose inputs did not change since the run
//     that stored the dealer's report snapshot of that day: same day, same
//     configuration of the Service, same records and tasks (InputStamper;
//     a task store without it never skips). A skipped run reads three
//     small things and writes nothing; its RunResult is the one a full
//     run would return — no task created, rescheduled, cancelled or
//     marked overdue — with Skipped set. The configuration of a source
//     is in the stamp when the source is a ConfigStamper (grading.Service
//     is: its strategies' cadences); a change to another source's
//     configuration takes effect from the next day's run.
//   - The call list reads the customers' grades and club tiers in the
//     statement of its page (CallPageLookupSource) instead of asking the
//     sources, one read each per page.
func WithSharedDatabase() Option { return func(s *Service) { s.shared = true } }

// runStamp is what a run read of its inputs: the configuration and the
// day, the stamp of its inputs without the facts (read before it loaded
// anything), the stamp of the facts (as it loaded them) and the tasks
// (read before it read any).
type runStamp struct {
	head, others, facts string
	tasks               TaskStamp
}

// text is the stamp stored with the snapshot of a run that found tasks as
// after: its inputs and those tasks.
func (r *runStamp) text(after TaskStamp) string {
	return stampText(r.head, r.facts+" | "+r.others, after)
}

// stampText is the one form of a stored stamp: the head (configuration
// and day), the inputs as InputStamp with facts gives them, the tasks.
func stampText(head, inputs string, tasks TaskStamp) string {
	return head + " " + inputs + " " + strconv.FormatInt(tasks.Count, 10) + ":" + strconv.FormatInt(tasks.Versions, 10)
}

// stamper returns the task store as an InputStamper when the Service
// skips unchanged runs (WithSharedDatabase).
func (s *Service) stamper() (InputStamper, bool) {
	st, ok := s.tasks.(InputStamper)
	return st, ok && s.shared && s.reports != nil && s.config != ""
}

// unchanged reports whether the run that stored the dealer's snapshot was
// of day and read what a run would read now; subjects is what it loaded.
// Only then does it stamp the inputs in full (every table of them): the
// first run of a day reads nothing but the last run's day.
func (s *Service) unchanged(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (subjects int, ok bool, err error) {
	st, ok := s.stamper()
	if !ok {
		return 0, false, nil
	}
	last, stamp, subjects, err := st.LastRun(ctx, dealer)
	if err != nil || last != day || stamp == "" {
		return 0, false, err
	}
	tasks, err := st.TaskStamp(ctx, dealer)
	if err != nil {
		return 0, false, err
	}
	in, ok, err := st.InputStamp(ctx, s.crm.Store(), dealer, true)
	if err != nil || !ok {
		return 0, false, err
	}
	return subjects, stampText(s.head(day), in, tasks) == stamp, nil
}

// head is the part of a run's stamp besides its inputs: the
// configuration and the day.
func (s *Service) head(day dealercrm.Date) string { return s.config + " " + day.String() }

// stampBefore reads the stamp of a run of dealer on day before it loads
// anything: the tasks, then the inputs but the facts; nil when the
// Service does not skip unchanged runs or the store cannot stamp.
func (s *Service) stampBefore(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (*runStamp, error) {
	st, ok := s.stamper()
	if !ok {
		return nil, nil
	}
	// The tasks first: a task written between the two reads then shows
	// as foreign to the run (stampAfter), not as read.
	tasks, err := st.TaskStamp(ctx, dealer)
	if err != nil {
		return nil, err
	}
	in, ok, err := st.InputStamp(ctx, s.crm.Store(), dealer, false)
	if err != nil || !ok {
		return nil, err
	}
	return &runStamp{head: s.head(day), others: in, tasks: tasks}, nil
}

// stampAfter returns the stamp to store with the snapshot of a run that
// read r and wrote created and replaced tasks: r's with the tasks as they
// are now, when those are what the run read with its own writes over
// them. It returns "" (the next run will not skip) when anyone else wrote
// a task meanwhile — the run planned without seeing that write — or when
// the facts came without a stamp.
func (s *Service) stampAfter(ctx context.Context, dealer crm.DealerID, r *runStamp, created, replaced int) (string, error) {
	if r == nil || r.facts == "" {
		return "", nil
	}
	after, err := s.tasks.(InputStamper).TaskStamp(ctx, dealer)
	if err != nil {
		return "", err
	}
	if after != r.tasks.plus(created, replaced) {
		return "", nil
	}
	return r.text(after), nil
}

// configStamp returns the digest of what a run's plan depends on besides
// the records: the release, the policy, the calendar, the call policy and
// the configuration of each of sources that is a ConfigStamper.
func configStamp(p Policy, cal *Calendar, call CallPolicy, sources ...any) string {
	h := sha256.New()
	for _, src := range sources {
		if c, ok := src.(ConfigStamper); ok {
			fmt.Fprintf(h, "source %s\n", c.ConfigStamp())
		}
	}
	enc := json.NewEncoder(h)
	// The policy and call policy are plain data; their JSON is stable. A
	// configuration that does not encode gets no stamp: no run is skipped.
	for _, v := range []any{dealercrm.Version, p, call} {
		if err := enc.Encode(v); err != nil {
			return ""
		}
	}
	for _, d := range slices.SortedFunc(maps.Keys(cal.off), dealercrm.Date.Compare) {
		fmt.Fprintf(h, "off %s %s\n", d, cal.off[d])
	}
	for _, d := range slices.SortedFunc(maps.Keys(cal.work), dealercrm.Date.Compare) {
		fmt.Fprintf(h, "work %s %t\n", d, cal.work[d])
	}
	for _, y := range slices.Sorted(maps.Keys(cal.years)) {
		fmt.Fprintf(h, "year %d %t\n", y, cal.years[y])
	}
	for _, y := range slices.Sorted(maps.Keys(cal.lunar)) {
		if err := enc.Encode(cal.lunar[y]); err != nil {
			return ""
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
