package crm

import (
	"context"
	"log/slog"
	"slices"
)

// LeadWatcher is told of each lead the Service wrote, after the write
// committed: lifecycle.Service implements it to keep a lead's follow-up
// and stale-lead tasks in step with the lead (SPEC §1.1). Register it with
// Service.AddLeadWatchers; crm itself never imports the watchers.
type LeadWatcher interface {
	// LeadChanged is called with the lead as written by CreateLead,
	// UpdateLead, SetLeadLevel, LogFollowUp, RequestLost, DecideLost or
	// ConvertLead, or with lead nil after DeleteLead removed lead id.
	// Its error is logged, never returned to the caller of the change,
	// which is committed: a caller retrying it would log a follow-up
	// twice. A watcher must therefore heal by itself (lifecycle's daily
	// RunLeads reconciles every lead). Imports (Import) call no watcher.
	LeadChanged(ctx context.Context, dealer DealerID, id LeadID, lead *Lead) error
}

// WithLogger sets the logger of the errors the service does not return:
// those of lead watchers (slog.Default() by default).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// AddLeadWatchers registers watchers of the leads the service writes. Call
// it while wiring, before serving.
func (s *Service) AddLeadWatchers(ws ...LeadWatcher) {
	s.privacyMu.Lock()
	defer s.privacyMu.Unlock()
	s.watchers = append(s.watchers, ws...)
}

// leadChanged tells the watchers of a lead written, or deleted when lead
// is nil, and logs their errors.
func (s *Service) leadChanged(ctx context.Context, dealer DealerID, id LeadID, lead *Lead) {
	s.privacyMu.Lock()
	ws := slices.Clone(s.watchers)
	s.privacyMu.Unlock()
	for _, w := range ws {
		var arg *Lead
		if lead != nil {
			c := lead.Clone()
			arg = &c
		}
		if err := w.LeadChanged(ctx, dealer, id, arg); err != nil {
			s.logger().ErrorContext(ctx, "crm: a lead watcher failed; the lead change is committed",
				slog.String("dealer", string(dealer)), slog.String("lead", string(id)), slog.Any("error", err))
		}
	}
}

func (s *Service) logger() *slog.Logger {
	if s.log != nil {
		return s.log
	}
	return slog.Default()
}

// watched returns lead and err after telling the watchers of lead when
// err is nil.
func (s *Service) watched(ctx context.Context, dealer DealerID, lead Lead, err error) (Lead, error) {
	if err == nil {
		s.leadChanged(ctx, dealer, lead.ID, &lead)
	}
	return lead, err
}
