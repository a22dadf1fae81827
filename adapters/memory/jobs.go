package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
)

// RunStore is an in-memory jobs.RunStore. It is safe for concurrent use
// and copies runs in and out.
type RunStore struct {
	mu    sync.Mutex
	now   func() time.Time
	lease time.Duration
	runs  map[crm.DealerID]map[runKey]jobs.Run
}

type runKey struct {
	kind jobs.Kind
	day  dealercrm.Date
}

var _ jobs.RunStore = (*RunStore)(nil)

// A RunStoreOption configures a RunStore.
type RunStoreOption func(*RunStore)

// WithRunLease sets how long a run may stay running before Begin claims
// it again (jobs.DefaultLease by default; a lease ≤ 0 keeps the default).
func WithRunLease(d time.Duration) RunStoreOption {
	return func(s *RunStore) {
		if d > 0 {
			s.lease = d
		}
	}
}

// NewRunStore returns an empty RunStore that stamps runs with time.Now.
func NewRunStore(opts ...RunStoreOption) *RunStore {
	s := &RunStore{now: time.Now, lease: jobs.DefaultLease, runs: map[crm.DealerID]map[runKey]jobs.Run{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// checkRun validates the key and the context.
func checkRun(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return jobs.CheckKey(dealer, kind, day)
}

// put stores r under its key; the lock is held.
func (s *RunStore) put(r jobs.Run) jobs.Run {
	m := s.runs[r.Dealer]
	if m == nil {
		m = map[runKey]jobs.Run{}
		s.runs[r.Dealer] = m
	}
	m[runKey{r.Kind, r.Day}] = r.Clone()
	return r.Clone()
}

// Request implements jobs.RunStore.
func (s *RunStore) Request(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (jobs.Run, bool, error) {
	if err := checkRun(ctx, dealer, kind, day); err != nil {
		return jobs.Run{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[dealer][runKey{kind, day}]; ok {
		return r.Clone(), false, nil
	}
	return s.put(jobs.Run{Dealer: dealer, Kind: kind, Day: day, Status: jobs.Pending, Manual: true}), true, nil
}

// Begin implements jobs.RunStore.
func (s *RunStore) Begin(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (jobs.Run, bool, error) {
	if err := checkRun(ctx, dealer, kind, day); err != nil {
		return jobs.Run{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	r, ok := s.runs[dealer][runKey{kind, day}]
	abandoned := r.Status == jobs.Running && !now.Before(r.StartedAt.Add(s.lease))
	if ok && (r.Status == jobs.Done || r.Status == jobs.Running && !abandoned) {
		return r.Clone(), false, nil
	}
	if !ok {
		r = jobs.Run{Dealer: dealer, Kind: kind, Day: day}
	}
	r.Status, r.Attempt, r.StartedAt, r.FinishedAt = jobs.Running, r.Attempt+1, now, time.Time{}
	return s.put(r), true, nil
}

// Finish implements jobs.RunStore.
func (s *RunStore) Finish(ctx context.Context, r jobs.Run) (jobs.Run, error) {
	if err := checkRun(ctx, r.Dealer, r.Kind, r.Day); err != nil {
		return jobs.Run{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.runs[r.Dealer][runKey{r.Kind, r.Day}]
	if !ok {
		return jobs.Run{}, dealercrm.Errorf(dealercrm.NotFound, "jobs: no run %s %s %s", r.Dealer, r.Kind, r.Day)
	}
	if err := jobs.CheckFinish(stored, r); err != nil {
		return jobs.Run{}, err
	}
	stored.Status, stored.Counts, stored.Error, stored.FinishedAt = r.Status, r.Counts, r.Error, s.now().UTC()
	return s.put(stored), nil
}

// Get implements jobs.RunStore.
func (s *RunStore) Get(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (jobs.Run, error) {
	if err := checkRun(ctx, dealer, kind, day); err != nil {
		return jobs.Run{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[dealer][runKey{kind, day}]
	if !ok {
		return jobs.Run{}, dealercrm.Errorf(dealercrm.NotFound, "jobs: no run %s %s %s", dealer, kind, day)
	}
	return r.Clone(), nil
}

// Last implements jobs.RunStore.
func (s *RunStore) Last(ctx context.Context, dealer crm.DealerID, kind jobs.Kind) (dealercrm.Date, error) {
	if err := ctx.Err(); err != nil {
		return dealercrm.Date{}, err
	}
	if err := jobs.CheckKind(dealer, kind); err != nil {
		return dealercrm.Date{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var last dealercrm.Date
	for k, r := range s.runs[dealer] {
		if k.kind == kind && r.Status == jobs.Done && k.day.After(last) {
			last = k.day
		}
	}
	return last, nil
}

// List implements jobs.RunStore.
func (s *RunStore) List(ctx context.Context, dealer crm.DealerID, f jobs.RunFilter) (crm.Page[jobs.Run], error) {
	if err := ctx.Err(); err != nil {
		return crm.Page[jobs.Run]{}, err
	}
	if err := f.Validate(); err != nil {
		return crm.Page[jobs.Run]{}, err
	}
	afterDay, afterKind, err := f.Cursor()
	if err != nil {
		return crm.Page[jobs.Run]{}, err
	}
	cursor := jobs.Run{Day: afterDay, Kind: afterKind}
	s.mu.Lock()
	var out []jobs.Run
	for _, r := range s.runs[dealer] {
		if f.Match(r) && (afterDay.IsZero() || jobs.ListsBefore(cursor, r)) {
			out = append(out, r.Clone())
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b jobs.Run) int {
		if jobs.ListsBefore(a, b) {
			return -1
		}
		return 1
	})
	size := f.Size()
	return crm.NewPage(out[:min(len(out), size+1)], size, jobs.Run.Key), nil
}
