package jobs

import (
	"context"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
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

// AuditPurger is what the AuditRetention job calls; every crm.AuditStore
// implements it.
type AuditPurger interface {
	Purge(ctx context.Context, dealer crm.DealerID, before time.Time) (int, error)
}

// DefaultAuditRetentionDays is how long audit records are kept by
// default: three years, the least PIPL (art. 56) asks of the records of
// personal-information processing.
const DefaultAuditRetentionDays = 3 * 365

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
	Audit              AuditPurger
	AuditRetentionDays int
}

// FirstOfMonth is the default GradingDue: the first day of every month.
func FirstOfMonth(_ crm.Dealer, day dealercrm.Date) bool { return day.Day == 1 }

// Defaults returns the daily jobs of the services' existing methods, each
// run as of its day: Lifecycle (lifecycle.Service.Run), LeadFollowUps
// (lifecycle.Service.RunLeads), PointsExpiry (loyalty ExpirePoints),
// Membership (loyalty ProcessExpiries), CampaignEnd (campaign
// CompleteEnded: running campaigns whose end date has passed complete),
// Grading (grading.Service.Run on GradingDue's days) and AuditRetention
// (the audit records older than AuditRetentionDays before the day, UTC,
// are removed). Each method is
// idempotent, so a job is safe to run twice. PointsExpiry and Membership
// also write the expiring notices (events points.expiring and
// membership.expiring, keyed so that a run again writes none twice); their
// "notices" count is the notices handed to the feed by the run.
func Defaults(s Services) []Job {
	var out []Job
	if s.Lifecycle != nil {
		out = append(out, Job{Kind: Lifecycle, Run: func(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (Counts, error) {
			r, err := s.Lifecycle.Run(ctx, dealer, day)
			return counted(Counts{"subjects": int64(r.Subjects), "tasks_created": int64(r.Created), "tasks_rescheduled": int64(r.Rescheduled),
				"tasks_cancelled": int64(r.Cancelled), "tasks_overdue": int64(r.Overdue)}, err)
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
