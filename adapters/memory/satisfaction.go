package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// SatisfactionStore is an in-memory satisfaction.Store: hierarchies,
// questionnaires and responses per dealer, behind one mutex, copied in and
// out. The zero value is not usable; call NewSatisfactionStore.
type SatisfactionStore struct {
	// events is the log the store's events go to, under the store's
	// lock (shared by NewStores).
	events         *EventLog
	mu             sync.RWMutex
	hierarchies    map[skey]satisfaction.Hierarchy
	questionnaires map[skey]satisfaction.Questionnaire
	responses      map[skey]satisfaction.Response
	responseExt    map[skey]satisfaction.ResponseID
}

// skey is a record's key: its dealer and ID.
type skey struct {
	dealer crm.DealerID
	id     string
}

var _ satisfaction.Store = (*SatisfactionStore)(nil)

// NewSatisfactionStore returns an empty store.
func NewSatisfactionStore() *SatisfactionStore {
	return &SatisfactionStore{
		hierarchies:    map[skey]satisfaction.Hierarchy{},
		questionnaires: map[skey]satisfaction.Questionnaire{},
		responses:      map[skey]satisfaction.Response{},
		responseExt:    map[skey]satisfaction.ResponseID{},
		events:         NewEventLog(),
	}
}

func notFound(what, id string) error {
	return dealercrm.Errorf(dealercrm.NotFound, "%s %s: not found", what, id)
}

func conflict(what, key string) error {
	return dealercrm.Errorf(dealercrm.Conflict, "%s: %s is taken", what, key)
}

// sget, screate, supdate and slist are the generic table operations.
func sget[T any](ctx context.Context, mu *sync.RWMutex, m map[skey]T, k skey, what string, clone func(T) T) (T, error) {
	if err := ctx.Err(); err != nil {
		return *new(T), err
	}
	mu.RLock()
	defer mu.RUnlock()
	v, ok := m[k]
	if !ok {
		return *new(T), notFound(what, k.id)
	}
	return clone(v), nil
}

func supdate[T any](ctx context.Context, mu *sync.RWMutex, m map[skey]T, k skey, what string, clone func(T) T, fn func(*T) error, check func(old, new *T) error) (T, error) {
	if err := ctx.Err(); err != nil {
		return *new(T), err
	}
	mu.Lock()
	defer mu.Unlock()
	v, ok := m[k]
	if !ok {
		return *new(T), notFound(what, k.id)
	}
	c := clone(v)
	if err := fn(&c); err != nil {
		return *new(T), err
	}
	if check != nil {
		if err := check(&v, &c); err != nil {
			return *new(T), err
		}
	}
	m[k] = clone(c)
	return c, nil
}

func slist[T any](ctx context.Context, mu *sync.RWMutex, m map[skey]T, dealer crm.DealerID, p crm.PageRequest, clone func(T) T, id func(*T) string, match func(*T) bool) (crm.Page[T], error) {
	if err := ctx.Err(); err != nil {
		return crm.Page[T]{}, err
	}
	after, err := p.AfterID()
	if err != nil {
		return crm.Page[T]{}, err
	}
	mu.RLock()
	var items []T
	for k, v := range m {
		if k.dealer == dealer && k.id > after && (match == nil || match(&v)) {
			items = append(items, v)
		}
	}
	mu.RUnlock()
	slices.SortFunc(items, func(a, b T) int {
		x, y := id(&a), id(&b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	size := p.Size()
	if len(items) > size+1 {
		items = items[:size+1]
	}
	for i := range items {
		items[i] = clone(items[i])
	}
	return crm.NewPage(items, size, func(v T) string { return id(&v) }), nil
}

// CreateHierarchy implements satisfaction.Store.
func (s *SatisfactionStore) CreateHierarchy(ctx context.Context, h *satisfaction.Hierarchy) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := skey{h.DealerID, string(h.ID)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hierarchies[k]; ok {
		return conflict("hierarchy", "id "+string(h.ID))
	}
	c := h.Clone()
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	s.hierarchies[k] = c
	return nil
}

// GetHierarchy implements satisfaction.Store.
func (s *SatisfactionStore) GetHierarchy(ctx context.Context, dealer crm.DealerID, id satisfaction.HierarchyID) (satisfaction.Hierarchy, error) {
	return sget(ctx, &s.mu, s.hierarchies, skey{dealer, string(id)}, "hierarchy", satisfaction.Hierarchy.Clone)
}

// UpdateHierarchy implements satisfaction.Store.
func (s *SatisfactionStore) UpdateHierarchy(ctx context.Context, dealer crm.DealerID, id satisfaction.HierarchyID, fn func(*satisfaction.Hierarchy) error) (satisfaction.Hierarchy, error) {
	return supdate(ctx, &s.mu, s.hierarchies, skey{dealer, string(id)}, "hierarchy", satisfaction.Hierarchy.Clone, func(h *satisfaction.Hierarchy) error {
		if err := fn(h); err != nil {
			return err
		}
		h.ID, h.DealerID = id, dealer
		h.CreatedAt, h.UpdatedAt = h.CreatedAt.UTC(), h.UpdatedAt.UTC()
		return nil
	}, nil)
}

// ListHierarchies implements satisfaction.Store.
func (s *SatisfactionStore) ListHierarchies(ctx context.Context, dealer crm.DealerID, p crm.PageRequest) (crm.Page[satisfaction.Hierarchy], error) {
	return slist(ctx, &s.mu, s.hierarchies, dealer, p, satisfaction.Hierarchy.Clone,
		func(h *satisfaction.Hierarchy) string { return string(h.ID) }, nil)
}

// CreateQuestionnaire implements satisfaction.Store.
func (s *SatisfactionStore) CreateQuestionnaire(ctx context.Context, q *satisfaction.Questionnaire) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k := skey{q.DealerID, string(q.ID)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.questionnaires[k]; ok {
		return conflict("questionnaire", "id "+string(q.ID))
	}
	c := q.Clone()
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	s.questionnaires[k] = c
	return nil
}

// GetQuestionnaire implements satisfaction.Store.
func (s *SatisfactionStore) GetQuestionnaire(ctx context.Context, dealer crm.DealerID, id satisfaction.QuestionnaireID) (satisfaction.Questionnaire, error) {
	return sget(ctx, &s.mu, s.questionnaires, skey{dealer, string(id)}, "questionnaire", satisfaction.Questionnaire.Clone)
}

// UpdateQuestionnaire implements satisfaction.Store.
func (s *SatisfactionStore) UpdateQuestionnaire(ctx context.Context, dealer crm.DealerID, id satisfaction.QuestionnaireID, fn func(*satisfaction.Questionnaire) error) (satisfaction.Questionnaire, error) {
	return supdate(ctx, &s.mu, s.questionnaires, skey{dealer, string(id)}, "questionnaire", satisfaction.Questionnaire.Clone, func(q *satisfaction.Questionnaire) error {
		if err := fn(q); err != nil {
			return err
		}
		q.ID, q.DealerID = id, dealer
		q.CreatedAt, q.UpdatedAt = q.CreatedAt.UTC(), q.UpdatedAt.UTC()
		return nil
	}, nil)
}

// ListQuestionnaires implements satisfaction.Store.
func (s *SatisfactionStore) ListQuestionnaires(ctx context.Context, dealer crm.DealerID, p crm.PageRequest) (crm.Page[satisfaction.Questionnaire], error) {
	return slist(ctx, &s.mu, s.questionnaires, dealer, p, satisfaction.Questionnaire.Clone,
		func(q *satisfaction.Questionnaire) string { return string(q.ID) }, nil)
}

// CreateResponse implements satisfaction.Store.
func (s *SatisfactionStore) CreateResponse(ctx context.Context, r *satisfaction.Response, evs ...crm.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := crm.CheckEvents(evs); err != nil {
		return err
	}
	k := skey{r.DealerID, string(r.ID)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.responses[k]; ok {
		return conflict("response", "id "+string(r.ID))
	}
	if r.ExternalID != "" {
		if _, ok := s.responseExt[skey{r.DealerID, r.ExternalID}]; ok {
			return conflict("response", "external id "+r.ExternalID)
		}
		s.responseExt[skey{r.DealerID, r.ExternalID}] = r.ID
	}
	c := r.Clone()
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	s.responses[k] = c
	s.events.append(evs)
	return nil
}

// GetResponse implements satisfaction.Store.
func (s *SatisfactionStore) GetResponse(ctx context.Context, dealer crm.DealerID, id satisfaction.ResponseID) (satisfaction.Response, error) {
	return sget(ctx, &s.mu, s.responses, skey{dealer, string(id)}, "response", satisfaction.Response.Clone)
}

// GetResponseByExternalID implements satisfaction.Store.
func (s *SatisfactionStore) GetResponseByExternalID(ctx context.Context, dealer crm.DealerID, ext string) (satisfaction.Response, error) {
	if err := ctx.Err(); err != nil {
		return satisfaction.Response{}, err
	}
	s.mu.RLock()
	id, ok := s.responseExt[skey{dealer, ext}]
	s.mu.RUnlock()
	if !ok || ext == "" {
		return satisfaction.Response{}, notFound("response with external id", ext)
	}
	return s.GetResponse(ctx, dealer, id)
}

// UpdateResponse implements satisfaction.Store. The external ID may change
// only to one that is free.
func (s *SatisfactionStore) UpdateResponse(ctx context.Context, dealer crm.DealerID, id satisfaction.ResponseID, fn func(*satisfaction.Response) error) (satisfaction.Response, error) {
	return supdate(ctx, &s.mu, s.responses, skey{dealer, string(id)}, "response", satisfaction.Response.Clone, func(r *satisfaction.Response) error {
		if err := fn(r); err != nil {
			return err
		}
		r.ID, r.DealerID = id, dealer
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		return nil
	}, func(old, new *satisfaction.Response) error {
		if old.ExternalID == new.ExternalID {
			return nil
		}
		if new.ExternalID != "" {
			if _, ok := s.responseExt[skey{dealer, new.ExternalID}]; ok {
				return conflict("response", "external id "+new.ExternalID)
			}
			s.responseExt[skey{dealer, new.ExternalID}] = id
		}
		delete(s.responseExt, skey{dealer, old.ExternalID})
		return nil
	})
}

// ListResponses implements satisfaction.Store.
func (s *SatisfactionStore) ListResponses(ctx context.Context, dealer crm.DealerID, f satisfaction.ResponseFilter) (crm.Page[satisfaction.Response], error) {
	return slist(ctx, &s.mu, s.responses, dealer, f.PageRequest, satisfaction.Response.Clone,
		func(r *satisfaction.Response) string { return string(r.ID) },
		func(r *satisfaction.Response) bool { return satisfaction.MatchResponse(r, &f) })
}

// EraseComments implements satisfaction.Store.
func (s *SatisfactionStore) EraseComments(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, at time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, r := range s.responses {
		if k.dealer == dealer && customer != "" && r.CustomerID == customer && r.Comment != "" {
			r.Comment, r.UpdatedAt = "", at.UTC()
			s.responses[k] = r
			n++
		}
	}
	return n, nil
}

// ScanResponses implements satisfaction.ResponseScanner: it calls fn with
// every response of dealer matching f (paging ignored), in no order, under
// the read lock, without copying; fn must not keep or change r.
func (s *SatisfactionStore) ScanResponses(ctx context.Context, dealer crm.DealerID, f satisfaction.ResponseFilter, fn func(r *satisfaction.Response)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for k, r := range s.responses {
		if k.dealer == dealer && satisfaction.MatchResponse(&r, &f) {
			fn(&r)
		}
	}
	return nil
}
