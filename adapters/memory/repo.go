package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/content"
)

// entity is what the generic repository needs of a stored type: a deep copy.
type entity[T any] interface{ Clone() T }

// filter is what the generic repository needs of a list filter: the page
// request every crm filter embeds.
type filter interface {
	Size() int
	AfterID() (string, error)
}

// repo implements crm.Repository for one entity over one table.
type repo[T entity[T], ID ~string, F filter] struct {
	s     *Store
	t     *table[T, ID]
	match func(*T, *F) bool
}

func newRepo[T entity[T], ID ~string, F filter](s *Store, t *table[T, ID], match func(*T, *F) bool) *repo[T, ID, F] {
	return &repo[T, ID, F]{s: s, t: t, match: match}
}

// in returns the copy of v to store: deep, with times in UTC.
func (r *repo[T, ID, F]) in(v *T) *T {
	c := (*v).Clone()
	r.t.utc(&c)
	return &c
}

// checkKeys rejects a record without the keys that place it, or with text
// no other store could keep (crm.CheckTexts).
func (r *repo[T, ID, F]) checkKeys(v *T) error {
	k := r.t.keys(v)
	var fields []crm.FieldError
	if k.id == "" {
		fields = append(fields, crm.FieldError{Field: "id", Rule: crm.RuleRequired, Message: "is required"})
	}
	if r.t.rec != nil && k.dealer == "" {
		fields = append(fields, crm.FieldError{Field: "dealer_id", Rule: crm.RuleRequired, Message: "is required"})
	}
	if fields != nil {
		return &crm.ValidationError{Entity: r.t.kind, Fields: fields}
	}
	return r.checkText(v)
}

// checkText rejects a record with text no other store could keep.
func (r *repo[T, ID, F]) checkText(v *T) error {
	if fields := crm.CheckTexts("", v); fields != nil {
		return &crm.ValidationError{Entity: r.t.kind, Fields: fields}
	}
	return nil
}

// Create stores a copy of v. It returns a *crm.ValidationError when v has no
// ID or dealer or holds text CheckTexts refuses, and a *crm.ConflictError
// when its ID, external ID or VIN is taken for its dealer.
func (r *repo[T, ID, F]) Create(ctx context.Context, v *T) error {
	c := r.in(v)
	if err := r.checkKeys(c); err != nil {
		return err
	}
	return r.s.write(ctx, func(u *undoLog) error {
		if err := r.t.check(c, false); err != nil {
			return err
		}
		r.t.put(u, c)
		return nil
	})
}

// checkID rejects a dealer or record ID that no record can hold.
func (r *repo[T, ID, F]) checkID(dealer crm.DealerID, id ID) error {
	return crm.CheckArgs(r.t.kind, "dealer_id", string(dealer), "id", string(id))
}

// Get returns a copy of the dealer's record id, or a NotFound error.
func (r *repo[T, ID, F]) Get(ctx context.Context, dealer crm.DealerID, id ID) (T, error) {
	var out T
	if err := r.checkID(dealer, id); err != nil {
		return out, err
	}
	found := false
	err := r.s.read(ctx, func() {
		if v, ok := r.t.get(dealer, id); ok {
			out, found = (*v).Clone(), true
		}
	})
	switch {
	case err != nil:
		return out, err
	case !found:
		return out, r.t.notFound(id)
	}
	return out, nil
}

// GetByExternalID returns a copy of the dealer's record with external ID
// ext, or a NotFound error; the empty external ID matches nothing.
func (r *repo[T, ID, F]) GetByExternalID(ctx context.Context, dealer crm.DealerID, ext string) (T, error) {
	var out T
	if err := crm.CheckArgs(r.t.kind, "dealer_id", string(dealer), "external_id", ext); err != nil {
		return out, err
	}
	found := false
	err := r.s.read(ctx, func() {
		if v, ok := r.t.byExt(dealer, ext); ok {
			out, found = (*v).Clone(), true
		}
	})
	switch {
	case err != nil:
		return out, err
	case !found:
		return out, dealercrm.Errorf(dealercrm.NotFound, "%s with external id %s not found", r.t.kind, ext)
	}
	return out, nil
}

// Update lets fn change a copy of the record and stores it. fn runs without
// a lock, so it may use the Store; when another write changed the record
// meanwhile, Update reads it again and calls fn again, so concurrent Updates
// never lose a change. fn cannot move the record: its ID and dealer are
// kept. Update returns fn's error as it is, a NotFound error, a
// *crm.ValidationError when the result holds text CheckTexts refuses, or a
// *crm.ConflictError when the change takes a unique key.
func (r *repo[T, ID, F]) Update(ctx context.Context, dealer crm.DealerID, id ID, fn func(*T) error) (T, error) {
	var zero T
	if err := r.checkID(dealer, id); err != nil {
		return zero, err
	}
	for {
		var old *T
		if err := r.s.read(ctx, func() { old, _ = r.t.get(dealer, id) }); err != nil {
			return zero, err
		}
		if old == nil {
			return zero, r.t.notFound(id)
		}
		v := (*old).Clone()
		if err := fn(&v); err != nil {
			return zero, err
		}
		*r.t.id(&v) = id
		if r.t.rec != nil {
			r.t.rec(&v).DealerID = dealer
		}
		r.t.utc(&v)
		if err := r.checkText(&v); err != nil {
			return zero, err
		}
		stored := v.Clone()
		raced := false
		err := r.s.write(ctx, func(u *undoLog) error {
			cur, ok := r.t.get(dealer, id)
			if !ok {
				return r.t.notFound(id)
			}
			if cur != old {
				raced = true
				return nil
			}
			if err := r.t.check(&stored, true); err != nil {
				return err
			}
			r.t.put(u, &stored)
			return nil
		})
		if err != nil {
			return zero, err
		}
		if !raced {
			return v, nil
		}
	}
}

// Delete removes the dealer's record id, or returns a NotFound error.
func (r *repo[T, ID, F]) Delete(ctx context.Context, dealer crm.DealerID, id ID) error {
	if err := r.checkID(dealer, id); err != nil {
		return err
	}
	return r.s.write(ctx, func(u *undoLog) error {
		v, ok := r.t.get(dealer, id)
		if !ok {
			return r.t.notFound(id)
		}
		r.t.remove(u, v)
		return nil
	})
}

// List returns copies of the dealer's records that match f, in ascending ID
// order, one page at a time. A malformed cursor, or a filter
// crm.CheckFilter refuses, is a *crm.ValidationError.
func (r *repo[T, ID, F]) List(ctx context.Context, dealer crm.DealerID, f F) (crm.Page[T], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[T]{}, err
	}
	if err := crm.CheckArgs(r.t.kind, "dealer_id", string(dealer)); err != nil {
		return crm.Page[T]{}, err
	}
	if err := crm.CheckFilter(r.t.kind, f); err != nil {
		return crm.Page[T]{}, err
	}
	size := f.Size()
	var items []T
	err = r.s.read(ctx, func() {
		p := r.t.parts[dealer]
		if p == nil {
			return
		}
		i, found := slices.BinarySearch(p.ids, ID(after))
		if found {
			i++
		}
		// One more than a page tells NewPage whether there is a next one.
		for ; i < len(p.ids) && len(items) <= size; i++ {
			if v := p.rows[p.ids[i]]; r.match(v, &f) {
				items = append(items, (*v).Clone())
			}
		}
	})
	if err != nil {
		return crm.Page[T]{}, err
	}
	return crm.NewPage(items, size, func(v T) string { return string(*r.t.id(&v)) }), nil
}

// Upsert writes items keyed by external ID under dealer (whatever DealerID
// the items carry). It first checks the whole batch: an item without an
// external ID, one repeating an earlier item's or one with text CheckTexts
// refuses, then a new one without an ID, makes it return a
// *crm.ValidationError naming items[i]. A unique key taken by another
// record is a *crm.ConflictError naming items[i] and the key. Either way
// nothing is written.
func (r *repo[T, ID, F]) Upsert(ctx context.Context, dealer crm.DealerID, items []T) ([]crm.UpsertResult, error) {
	if err := crm.CheckArgs(r.t.kind, "dealer_id", string(dealer)); err != nil {
		return nil, err
	}
	if err := crm.CheckBatch(r.t.kind, items, func(v *T) string { return r.t.rec(v).ExternalID }); err != nil {
		return nil, err
	}
	vals := make([]*T, len(items))
	for i := range items {
		vals[i] = r.in(&items[i])
		r.t.rec(vals[i]).DealerID = dealer
	}
	res := make([]crm.UpsertResult, len(items))
	err := r.s.write(ctx, func(u *undoLog) error {
		if err := r.checkNew(dealer, vals); err != nil {
			return err
		}
		for i, v := range vals {
			k := r.t.keys(v)
			old, exists := r.t.byExt(dealer, k.ext)
			if !exists {
				if err := r.t.check(v, false); err != nil {
					err.Field = fmt.Sprintf("items[%d].%s", i, err.Field)
					return err
				}
				r.t.put(u, v)
				res[i] = crm.UpsertResult{ExternalID: k.ext, ID: string(k.id), Outcome: crm.Created}
				continue
			}
			id := *r.t.id(old)
			*r.t.id(v) = id
			r.t.rec(v).CreatedAt = r.t.rec(old).CreatedAt
			res[i] = crm.UpsertResult{ExternalID: k.ext, ID: string(id), Outcome: crm.Unchanged}
			if r.sameContent(old, v) {
				continue
			}
			if err := r.t.check(v, true); err != nil {
				err.Field = fmt.Sprintf("items[%d].%s", i, err.Field)
				return err
			}
			r.t.put(u, v)
			res[i].Outcome = crm.Updated
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkNew rejects the new records of an upsert batch that have no ID.
func (r *repo[T, ID, F]) checkNew(dealer crm.DealerID, vals []*T) error {
	var fields []crm.FieldError
	for i, v := range vals {
		k := r.t.keys(v)
		if _, exists := r.t.byExt(dealer, k.ext); !exists && k.id == "" {
			fields = append(fields, crm.FieldError{Field: fmt.Sprintf("items[%d].id", i), Rule: crm.RuleRequired, Message: "is required for a new record"})
		}
	}
	if fields != nil {
		return &crm.ValidationError{Entity: r.t.kind, Fields: fields}
	}
	return nil
}

// sameContent reports whether a and b hold the same content, ignoring their
// IDs and times of creation and change.
func (r *repo[T, ID, F]) sameContent(a, b *T) bool {
	x, y := *a, *b
	var noID ID
	*r.t.id(&x), *r.t.id(&y) = noID, noID
	rx, ry := r.t.rec(&x), r.t.rec(&y)
	rx.CreatedAt, ry.CreatedAt = time.Time{}, time.Time{}
	rx.UpdatedAt, ry.UpdatedAt = time.Time{}, time.Time{}
	return content.Equal(x, y)
}

// ResolveExternalIDs maps the dealer's known external IDs among exts to IDs.
func (r *repo[T, ID, F]) ResolveExternalIDs(ctx context.Context, dealer crm.DealerID, exts []string) (map[string]ID, error) {
	if err := crm.CheckArgs(r.t.kind, "dealer_id", string(dealer)); err != nil {
		return nil, err
	}
	if fields := crm.CheckTexts("external_ids", exts); fields != nil {
		return nil, &crm.ValidationError{Entity: r.t.kind, Fields: fields}
	}
	out := make(map[string]ID, len(exts))
	err := r.s.read(ctx, func() {
		for _, ext := range exts {
			if v, ok := r.t.byExt(dealer, ext); ok {
				out[ext] = *r.t.id(v)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dealerStore is the dealer table seen as a crm.DealerStore: dealers are
// not scoped to a dealer, so they all live in the partition of "".
type dealerStore struct {
	r *repo[crm.Dealer, crm.DealerID, crm.DealerFilter]
}

// Create stores a copy of d; Conflict when its ID is taken.
func (s dealerStore) Create(ctx context.Context, d *crm.Dealer) error { return s.r.Create(ctx, d) }

// Get returns a copy of the dealer, or a NotFound error.
func (s dealerStore) Get(ctx context.Context, id crm.DealerID) (crm.Dealer, error) {
	return s.r.Get(ctx, "", id)
}

// Update changes the dealer as repo.Update does.
func (s dealerStore) Update(ctx context.Context, id crm.DealerID, fn func(*crm.Dealer) error) (crm.Dealer, error) {
	return s.r.Update(ctx, "", id, fn)
}

// List returns dealers in ID order, one page at a time.
func (s dealerStore) List(ctx context.Context, f crm.DealerFilter) (crm.Page[crm.Dealer], error) {
	return s.r.List(ctx, "", f)
}

// sortedPage returns the page of size of items — the records after the
// cursor, in any order — sorted by the ID id gives (crm.NewPage's order).
func sortedPage[T any](items []T, size int, id func(T) string) crm.Page[T] {
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	if len(items) > size+1 {
		items = items[:size+1]
	}
	return crm.NewPage(items, size, id)
}
