package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

// AuditStore is an in-memory crm.AuditStore: each dealer's records in
// order of arrival, in chunks of auditChunk (an ever-growing log is never
// copied to grow), under one lock. It copies records in and out. It has no
// transactions, so it never claims a request's pending record (the adapter
// appends it afterwards); it suits tests and demonstrations.
type AuditStore struct {
	mu      sync.Mutex
	records map[crm.DealerID][][]crm.AuditRecord
	// maxID is the greatest ID each dealer's log has held: a record with a
	// greater one (a new ID, made later) is new without a look, any other
	// is looked for (Append's conflict check).
	maxID map[crm.DealerID]string
}

var _ crm.AuditStore = (*AuditStore)(nil)

// NewAuditStore returns an empty AuditStore.
func NewAuditStore() *AuditStore {
	return &AuditStore{records: map[crm.DealerID][][]crm.AuditRecord{}, maxID: map[crm.DealerID]string{}}
}

// auditChunk is the number of records of one chunk.
const auditChunk = 1024

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
	chunks := s.records[r.DealerID]
	if r.ID <= s.maxID[r.DealerID] {
		for _, chunk := range chunks {
			if slices.ContainsFunc(chunk, func(o crm.AuditRecord) bool { return o.ID == r.ID }) {
				return &crm.ConflictError{Entity: "audit record", Field: "id"}
			}
		}
	} else {
		s.maxID[r.DealerID] = r.ID
	}
	if n := len(chunks); n == 0 || len(chunks[n-1]) == auditChunk {
		chunks = append(chunks, make([]crm.AuditRecord, 0, auditChunk))
	}
	chunks[len(chunks)-1] = append(chunks[len(chunks)-1], r)
	s.records[r.DealerID] = chunks
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
	for _, chunk := range s.records[dealer] {
		for i := range chunk {
			if r := &chunk[i]; (after == "" || r.ID < after) && f.Match(r) {
				out = append(out, r.Clone())
			}
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
	var kept [][]crm.AuditRecord
	n := 0
	for _, chunk := range s.records[dealer] {
		for _, r := range chunk {
			if r.At.Before(before) {
				n++
				continue
			}
			if len(kept) == 0 || len(kept[len(kept)-1]) == auditChunk {
				kept = append(kept, make([]crm.AuditRecord, 0, auditChunk))
			}
			kept[len(kept)-1] = append(kept[len(kept)-1], r)
		}
	}
	if len(kept) == 0 {
		delete(s.records, dealer)
	} else {
		s.records[dealer] = kept
	}
	return n, nil
}
