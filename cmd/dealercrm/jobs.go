package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
)

var jobsCommand = &command{
	name:    "jobs",
	summary: "run the daily jobs by hand and list their runs",
	help: `Usage: dealercrm jobs <run|list> [flags]

The daily jobs (the call list's lifecycle run, lead follow-ups, points and
membership expiry, campaign completion, monthly grading, retention of the
audit trail and events, messages) run by themselves under "dealercrm
serve". These commands run them by hand — after an import, or from cron
on a host that does not serve — and list what ran. Every run is recorded
once per dealer, job and day: running a day again reports the run of that
day instead of repeating it.

  dealercrm jobs run                                # every job, every dealer, as of each dealer's today
  dealercrm jobs run --dealer sh01 --job lifecycle --date 2026-12-04
  dealercrm jobs list --dealer sh01
`,
	run: group(jobsRun, jobsList),
}

var jobsRun = &command{
	name:    "run",
	summary: "run one job or all, for one dealer or all, as of a date",
	help: `Usage: dealercrm jobs run [--job KIND|all] [--dealer ID|all] [--date YYYY-MM-DD]

Runs the jobs for each dealer as of --date (default: the dealer's today),
first the days missed since the last run (at most 31), in order. Without
--job, each job runs on the days it is due (grading on the first of the
month); a job named with --job runs on --date even when it is not due. It
prints one line per run and fails when a run fails (the run records the
error; the next call retries that day).`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var kind, dealer, date string
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&kind, "job", "all", "the job to run: "+strings.Join(kindNames, ", ")+", or all")
			fs.StringVar(&dealer, "dealer", "all", "the dealer to run for, or all")
			fs.StringVar(&date, "date", "", "the day to run as of, YYYY-MM-DD (default: each dealer's today)")
		}); err != nil {
			return err
		}
		var day dealercrm.Date
		if date != "" {
			var err error
			if day, err = dealercrm.ParseDate(date); err != nil {
				return usagef("--date: %v", err)
			}
		}
		a, _, closeDB, err := d.openApp(ctx, e)
		if err != nil {
			return err
		}
		defer closeDB()
		todo := a.Jobs
		if kind != "all" {
			i := slices.IndexFunc(a.Jobs, func(j jobs.Job) bool { return string(j.Kind) == kind })
			if i < 0 {
				return usagef("--job %q: want one of %s, or all", kind, strings.Join(kindNames, ", "))
			}
			todo = a.Jobs[i : i+1]
		}
		var dealers []crm.Dealer
		if dealer == "all" {
			if dealers, err = allDealers(ctx, a.CRM); err != nil {
				return err
			}
		} else {
			x, err := a.CRM.GetDealer(ctx, crm.DealerID(dealer))
			if err != nil {
				return fmt.Errorf("--dealer %s: %w", dealer, err)
			}
			dealers = []crm.Dealer{x}
		}
		var failed []error
		for _, x := range dealers {
			asOf := day
			if asOf.IsZero() {
				asOf = x.Today(e.now())
			}
			for _, j := range todo {
				if kind != "all" {
					// Named by hand: it runs that day even when not due.
					if _, _, err := a.Stores.Jobs.Request(ctx, x.ID, j.Kind, asOf); err != nil {
						return fmt.Errorf("%s %s %s: %w", x.ID, j.Kind, asOf, err)
					}
				}
				runs, err := jobs.RunDay(ctx, a.Stores.Jobs, j, x, asOf, 0)
				for _, r := range runs {
					fmt.Fprintf(e.stdout, "%-10s %-18s %s  %-7s %s\n", r.Dealer, r.Kind, r.Day, r.Status, countsText(r))
				}
				if len(runs) == 0 && err == nil {
					fmt.Fprintf(e.stdout, "%-10s %-18s %s  nothing to run: done before, or not due\n", x.ID, j.Kind, asOf)
				}
				if err != nil {
					if errors.Is(err, jobs.ErrBusy) {
						fmt.Fprintf(e.stdout, "%-10s %-18s %s  busy: another worker runs a day of it; try again later\n", x.ID, j.Kind, asOf)
						continue
					}
					failed = append(failed, fmt.Errorf("%s %s: %w", x.ID, j.Kind, err))
				}
			}
		}
		return errors.Join(failed...)
	},
}

var jobsList = &command{
	name:    "list",
	summary: "list a dealer's job runs, newest first",
	help:    "Usage: dealercrm jobs list --dealer ID [--limit N]\n\nLists the dealer's runs: day, job, status, counts and error.",
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer string
		var limit int
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&dealer, "dealer", "", "the dealer (required)")
			fs.IntVar(&limit, "limit", 50, "most runs listed")
		}, "dealer"); err != nil {
			return err
		}
		a, _, closeDB, err := d.openApp(ctx, e)
		if err != nil {
			return err
		}
		defer closeDB()
		page, err := a.Stores.Jobs.List(ctx, crm.DealerID(dealer), jobs.RunFilter{PageRequest: crm.PageRequest{Limit: limit}})
		if err != nil {
			return err
		}
		for _, r := range page.Items {
			line := fmt.Sprintf("%s  %-18s %-7s %s", r.Day, r.Kind, r.Status, countsText(r))
			if r.Error != "" {
				line += "  error: " + r.Error
			}
			fmt.Fprintln(e.stdout, line)
		}
		return nil
	},
}

// kindNames are the kinds of the default daily jobs (jobs.Defaults).
var kindNames = []string{string(jobs.Lifecycle), string(jobs.LeadFollowUps), string(jobs.PointsExpiry), string(jobs.Membership),
	string(jobs.CampaignEnd), string(jobs.Grading), string(jobs.AuditRetention), string(jobs.EventRetention), string(jobs.Messages)}

// countsText is r's counts as "created=3 closed=1", sorted by name.
func countsText(r jobs.Run) string {
	names := make([]string, 0, len(r.Counts))
	for k := range r.Counts {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%d", k, r.Counts[k])
	}
	return strings.Join(parts, " ")
}
