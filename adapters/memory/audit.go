package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

// AuditStore is an in-memory crm.AuditStore: each dealer's records in one
// slice, under one lock. It copies records in and out. It has no
// transactions, so it never claims a request's pending record (the adapter
// appends it afterwards); it suits tests and demonstrations.
type AuditStore struct {
	mu      sync.Mutex
	records map[crm.DealerID][]crm.AuditRecord
}

var _ crm.AuditStore = (*AuditStore)(nil)

// NewAuditStore returns an empty AuditStore.
func NewAuditStore() *AuditStore {
	return &AuditStore{records: map[crm.DealerID][]crm.AuditRecord{}}
}

// Append implements crm.AuditStore. It keeps At in UTC to the microsecond,
// as Postgres does.
func (s *AuditStore) Append(ctx context.Context, r crm.AuditRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := crm.CheckAuditRecord(&r); err != nil {
		return err
	}
	r = r.Clone()
	r.At = r.At.UTC().Truncate(time.Microsecond)
	if len(r.Records) == 0 {
		r.Records = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.records[r.DealerID], func(o crm.AuditRecord) bool { return o.ID == r.ID }) {
		return &crm.ConflictError{Entity: "audit record", Field: "id"}
	}
	s.records[r.DealerID] = append(s.records[r.DealerID], r)
	return nil
}

// List implements crm.AuditStore.
func (s *AuditStore) List(ctx context.Context, dealer crm.DealerID, f crm.AuditFilter) (crm.Page[crm.AuditRecord], error) {
	if err := ctx.Err(); err != nil {
		return crm.Page[crm.AuditRecord]{}, err
	}
	if err := f.Validate(); err != nil {
		return crm.Page[crm.AuditRecord]{}, err
	}
	after, _ := f.AfterID() // checked by Validate
	var out []crm.AuditRecord
	s.mu.Lock()
	for _, r := range s.records[dealer] {
		if (after == "" || r.ID < after) && f.Match(&r) {
			out = append(out, r.Clone())
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b crm.AuditRecord) int { return strings.Compare(b.ID, a.ID) })
	size := f.Size()
	if len(out) > size+1 {
		out = out[:size+1]
	}
	return crm.NewPage(out, size, func(r crm.AuditRecord) string { return r.ID }), nil
}

// Purge implements crm.AuditStore.
func (s *AuditStore) Purge(ctx context.Context, dealer crm.DealerID, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.records[dealer]
	n := len(rs)
	rs = slices.DeleteFunc(rs, func(r crm.AuditRecord) bool { return r.At.Before(before) })
	n -= len(rs)
	if len(rs) == 0 {
		delete(s.records, dealer)
	} else {
		s.records[dealer] = rs
	}
	return n, nil
}
