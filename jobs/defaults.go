package jobs

import (
	"context"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
)

// LifecycleRunner is the method the Lifecycle job calls;
// *lifecycle.Service implements it.
type LifecycleRunner interface {
	Run(ctx context.Context, dealer crm.DealerID, date dealercrm.Date) (lifecycle.RunResult, error)
}

// LeadRunner is the method the LeadFollowUps job calls;
// *lifecycle.Service implements it.
type LeadRunner interface {
	RunLeads(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (lifecycle.LeadRun, error)
}

// Expirer is what the PointsExpiry and Membership jobs call;
// *loyalty.Service implements it.
type Expirer interface {
	ExpirePoints(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (loyalty.PointsExpiryRun, error)
	ProcessExpiries(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (loyalty.ExpiryRun, error)
}

// Grader is what the Grading job calls; *grading.Service implements it.
type Grader interface {
	Run(ctx context.Context, req grading.RunRequest) (grading.Run, error)
}

// CampaignCompleter is what the CampaignEnd job calls;
// *campaign.Service implements it.
type CampaignCompleter interface {
	CompleteEnded(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (int, error)
}

// Purger is what the retention jobs call: every crm.AuditStore and
// crm.EventStore implements it.
type Purger interface {
	Purge(ctx context.Context, dealer crm.DealerID, before time.Time) (int, error)
}

// MessageRunner is what the Messages job calls; *messages.Service
// implements it.
type MessageRunner interface {
	RunDay(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (messages.DayResult, error)
}

// DefaultAuditRetentionDays is how long audit records are kept by
// default: three years, the least PIPL (art. 56) asks of the records of
// personal-information processing.
const DefaultAuditRetentionDays = 3 * 365

// DefaultEventRetentionDays is how long events are kept in the outbox by
// default: long enough for a host's reader or webhook receiver to come
// back from a long outage; a cursor older than that reads 410.
const DefaultEventRetentionDays = 30

// Services are the services the default jobs call. A nil field has no
// job.
type Services struct {
	Lifecycle LifecycleRunner
	// Leads runs the LeadFollowUps job (lifecycle.Service.RunLeads).
	Leads     LeadRunner
	Loyalty   Expirer
	Grading   Grader
	Campaigns CampaignCompleter
	// GradingDue picks the days of the grading run; nil means the first
	// of every month.
	GradingDue func(d crm.Dealer, day dealercrm.Date) bool
	// Audit is the audit trail the AuditRetention job keeps within
	// AuditRetentionDays (DefaultAuditRetentionDays when 0).
	Audit              Purger
	AuditRetentionDays int
	// Events is the event outbox (crm.EventStore) the EventRetention job
	// keeps within EventRetentionDays (DefaultEventRetentionDays when 0).
	Events             Purger
	EventRetentionDays int
	// Messages runs the Messages job (messages.Service.RunDay): the day's
	// automatic reminders and campaign sends are planned and what is due
	// is sent. The job runs once a day; hosts also call
	// messages.Service.Dispatch every few minutes (messages.Runner), so
	// that what quiet hours held goes out at 08:00 and failed sends are
	// retried.
	Messages MessageRunner
}

// FirstOfMonth is the default GradingDue: the first day of every month.
func FirstOfMonth(_ crm.Dealer, day dealercrm.Date) bool { return day.Day == 1 }

// Defaults returns the daily jobs of the services' existing methods, each
// run as of its day: Lifecycle (lifecycle.Service.Run), LeadFollowUps
// (lifecycle.Service.RunLeads), PointsExpiry (loyalty ExpirePoints),
// Membership (loyalty ProcessExpiries), CampaignEnd (campaign
// CompleteEnded: running campaigns whose end date has passed complete),
// Grading (grading.Service.Run on GradingDue's days), AuditRetention
// (the audit records older than AuditRetentionDays before the day, UTC,
// are removed), EventRetention (likewise the events older than
// EventRetentionDays) and Messages (messages.Service.RunDay). Each method is
// idempotent, so a job is safe to run twice. PointsExpiry and Membership
// also write the expiring notices (events points.expiring and
// membership.expiring, keyed so that a run again writes none twice); their
// "notices" count is the notices handed to the feed by the run.
func Defaults(s Services) []Job {
	var out []Job
	if s.Lifecycle != nil {
		out = append(out, Job{Kind: Lifecycle, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
			r, err := s.Lifecycle.Run(ctx, dealer, day)
			c := Counts{"subjects": int64(r.Subjects), "tasks_created": int64(r.Created), "tasks_rescheduled": int64(r.Rescheduled),
				"tasks_cancelled": int64(r.Cancelled), "tasks_overdue": int64(r.Overdue)}
			if r.Skipped {
				// Nothing changed since the day's run that stored the
				// snapshot (lifecycle.WithSharedDatabase).
				c["skipped_unchanged"] = 1
			}
			return counted(c, err)
		}})
	}
	if s.Leads != nil {
		out = append(out, Job{Kind: LeadFollowUps, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
			r, err := s.Leads.RunLeads(ctx, dealer, day)
			return counted(Counts{"leads": int64(r.Leads), "tasks_created": int64(r.Created), "tasks_rescheduled": int64(r.Rescheduled),
				"tasks_closed": int64(r.Closed), "tasks_overdue": int64(r.Overdue)}, err)
		}})
	}
	if s.Loyalty != nil {
		out = append(out,
			Job{Kind: PointsExpiry, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
				r, err := s.Loyalty.ExpirePoints(ctx, dealer, day)
				return counted(Counts{"accounts": int64(r.Accounts), "points_expired": r.Points, "notices": int64(r.Notices)}, err)
			}},
			Job{Kind: Membership, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
				r, err := s.Loyalty.ProcessExpiries(ctx, dealer, day)
				return counted(Counts{"downgraded": int64(r.Downgraded), "lapsed": int64(r.Lapsed), "notices": int64(r.Notices)}, err)
			}})
	}
	if s.Campaigns != nil {
		out = append(out, Job{Kind: CampaignEnd, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
			n, err := s.Campaigns.CompleteEnded(ctx, dealer, day)
			return counted(Counts{"campaigns_completed": int64(n)}, err)
		}})
	}
	if s.Grading != nil {
		due := s.GradingDue
		if due == nil {
			due = FirstOfMonth
		}
		out = append(out, Job{Kind: Grading, Due: due, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
			r, err := s.Grading.Run(ctx, grading.RunRequest{DealerID: dealer, AsOf: day})
			return counted(Counts{"customers": int64(r.Customers), "changed": int64(r.Changed), "written": int64(r.Written)}, err)
		}})
	}
	if s.Audit != nil {
		days := s.AuditRetentionDays
		if days <= 0 {
			days = DefaultAuditRetentionDays
		}
		out = append(out, Job{Kind: AuditRetention, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
			n, err := s.Audit.Purge(ctx, dealer, day.AddDays(-days).Time(time.UTC))
			return counted(Counts{"audit_records_removed": int64(n)}, err)
		}})
	}
	if s.Events != nil {
		days := s.EventRetentionDays
		if days <= 0 {
			days = DefaultEventRetentionDays
		}
		out = append(out, Job{Kind: EventRetention, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
			n, err := s.Events.Purge(ctx, dealer, day.AddDays(-days).Time(time.UTC))
			return counted(Counts{"events_removed": int64(n)}, err)
		}})
	}
	if s.Messages != nil {
		out = append(out, Job{Kind: Messages, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
			r, err := s.Messages.RunDay(ctx, dealer, day)
			return counted(Counts{"planned_reminders": int64(r.Plan.Reminders), "planned_campaign": int64(r.Plan.Campaign),
				"holdout": int64(r.Plan.Holdout), "sent": int64(r.Dispatch.Sent), "held": int64(r.Dispatch.Held),
				"refused": int64(r.Dispatch.Refused), "failed": int64(r.Dispatch.Failed)}, err)
		}})
	}
	return out
}

// counted returns c, or no counts with err: a failed call did nothing to
// count.
func counted(c Counts, err error) (Counts, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}
