package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

var _ lifecycle.ReportStore = (*TaskStore)(nil)

// storedReports is a dealer's latest report snapshot, each report kept
// as its JSON so that no caller shares stored slices or maps.
type storedReports struct {
	day        dealercrm.Date
	computedAt time.Time
	start, end time.Time
	parts      map[lifecycle.ReportKind][]byte
}

// SaveReports stores snap as its dealer's latest snapshot unless one of a
// later day is stored.
func (s *TaskStore) SaveReports(_ context.Context, snap lifecycle.ReportSnapshot) error {
	parts := map[lifecycle.ReportKind]any{lifecycle.ReportKPIs: snap.KPIs, lifecycle.ReportComebacks: snap.Comebacks, lifecycle.ReportAbnormal: snap.Abnormal}
	st := storedReports{day: snap.Day, computedAt: snap.ComputedAt.UTC().Truncate(time.Microsecond),
		start: snap.Start.UTC().Truncate(time.Microsecond), end: snap.End.UTC().Truncate(time.Microsecond), parts: map[lifecycle.ReportKind][]byte{}}
	for k, v := range parts {
		b, err := json.Marshal(v)
		if err != nil {
			return dealercrm.Errorf(dealercrm.Internal, "memory: encode the %s report: %v", k, err)
		}
		st.parts[k] = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.reports[snap.DealerID]; ok && old.day.After(snap.Day) {
		return nil
	}
	if s.reports == nil {
		s.reports = map[crm.DealerID]storedReports{}
	}
	s.reports[snap.DealerID] = st
	return nil
}

// LatestReports returns the dealer's latest snapshot with the report of
// kind only, or lifecycle.ErrNoReports.
func (s *TaskStore) LatestReports(_ context.Context, dealer crm.DealerID, kind lifecycle.ReportKind) (lifecycle.ReportSnapshot, error) {
	if !kind.Valid() {
		return lifecycle.ReportSnapshot{}, dealercrm.Errorf(dealercrm.Invalid, "memory: unknown report %q", kind)
	}
	s.mu.RLock()
	st, ok := s.reports[dealer]
	s.mu.RUnlock()
	if !ok {
		return lifecycle.ReportSnapshot{}, fmt.Errorf("reports of %s: %w", dealer, lifecycle.ErrNoReports)
	}
	snap := lifecycle.ReportSnapshot{DealerID: dealer, Day: st.day, ComputedAt: st.computedAt, Start: st.start, End: st.end}
	var err error
	switch kind {
	case lifecycle.ReportKPIs:
		err = json.Unmarshal(st.parts[kind], &snap.KPIs)
	case lifecycle.ReportComebacks:
		err = json.Unmarshal(st.parts[kind], &snap.Comebacks)
	case lifecycle.ReportAbnormal:
		err = json.Unmarshal(st.parts[kind], &snap.Abnormal)
	}
	if err != nil {
		return lifecycle.ReportSnapshot{}, dealercrm.Errorf(dealercrm.Internal, "memory: decode the %s report: %v", kind, err)
	}
	return snap, nil
}

// DropReports deletes the dealer's snapshot.
func (s *TaskStore) DropReports(_ context.Context, dealer crm.DealerID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reports, dealer)
	return nil
}
