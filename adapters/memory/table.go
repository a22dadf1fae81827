package memory

import (
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// schema describes an entity to the generic table and repository code.
type schema[T any, ID ~string] struct {
	// kind names the entity in error messages.
	kind string
	id   func(*T) *ID
	// rec returns the embedded Record; nil for dealers, which are not
	// scoped to a dealer and have no unique external ID.
	rec func(*T) *crm.Record
	// alt returns the entity's other unique key (the VIN), named altName;
	// nil when it has none.
	alt     func(*T) string
	altName string
	// utc puts every time of the value in UTC, in place.
	utc func(*T)
}

// keys are the unique keys of a row.
type keys[ID ~string] struct {
	dealer crm.DealerID
	id     ID
	ext    string
	alt    string
}

func (s *schema[T, ID]) keys(v *T) keys[ID] {
	k := keys[ID]{id: *s.id(v)}
	if s.rec != nil {
		r := s.rec(v)
		k.dealer, k.ext = r.DealerID, r.ExternalID
	}
	if s.alt != nil {
		k.alt = s.alt(v)
	}
	return k
}

// table holds the rows of one entity, partitioned by dealer. Rows are
// pointers to values that are never changed once stored: a write stores a
// new pointer, so a pointer also tells whether a row changed since it was
// read.
type table[T any, ID ~string] struct {
	*schema[T, ID]
	parts map[crm.DealerID]*partition[T, ID]
}

// partition is one dealer's rows of a table, with its indexes.
type partition[T any, ID ~string] struct {
	rows map[ID]*T
	ids  []ID // ascending
	ext  map[string]ID
	alt  map[string]ID
}

func newTable[T any, ID ~string](s *schema[T, ID]) *table[T, ID] {
	return &table[T, ID]{schema: s, parts: map[crm.DealerID]*partition[T, ID]{}}
}

func (t *table[T, ID]) part(dealer crm.DealerID) *partition[T, ID] {
	p := t.parts[dealer]
	if p == nil {
		p = &partition[T, ID]{rows: map[ID]*T{}, ext: map[string]ID{}, alt: map[string]ID{}}
		t.parts[dealer] = p
	}
	return p
}

func (t *table[T, ID]) get(dealer crm.DealerID, id ID) (*T, bool) {
	p := t.parts[dealer]
	if p == nil {
		return nil, false
	}
	v, ok := p.rows[id]
	return v, ok
}

func (t *table[T, ID]) byExt(dealer crm.DealerID, ext string) (*T, bool) {
	p := t.parts[dealer]
	if p == nil || ext == "" {
		return nil, false
	}
	id, ok := p.ext[ext]
	if !ok {
		return nil, false
	}
	return p.rows[id], true
}

func (t *table[T, ID]) notFound(id ID) error {
	return dealercrm.Errorf(dealercrm.NotFound, "%s %s not found", t.kind, id)
}

// check returns a *crm.ConflictError naming the first unique key of v (id,
// external_id, then the other key) held by another row of its dealer;
// replace says that v is to replace the row with its ID.
func (t *table[T, ID]) check(v *T, replace bool) *crm.ConflictError {
	k := t.keys(v)
	p := t.parts[k.dealer]
	if p == nil {
		return nil
	}
	if _, taken := p.rows[k.id]; taken && !replace {
		return &crm.ConflictError{Entity: t.kind, Field: "id"}
	}
	if owner, taken := p.ext[k.ext]; k.ext != "" && taken && owner != k.id {
		return &crm.ConflictError{Entity: t.kind, Field: "external_id"}
	}
	if owner, taken := p.alt[k.alt]; k.alt != "" && taken && owner != k.id {
		return &crm.ConflictError{Entity: t.kind, Field: t.altName}
	}
	return nil
}

// put stores v, inserting a row or replacing the row with its ID, and logs
// the inverse in u. The caller checks keys first.
func (t *table[T, ID]) put(u *undoLog, v *T) {
	k := t.keys(v)
	p := t.part(k.dealer)
	old, had := p.rows[k.id]
	if had {
		p.unindex(t.keys(old))
	} else {
		p.addID(k.id)
	}
	p.index(k, v)
	u.add(func() {
		p.unindex(k)
		if had {
			p.index(t.keys(old), old)
		} else {
			p.dropID(k.id)
		}
	})
}

// remove deletes the row v and logs the inverse in u.
func (t *table[T, ID]) remove(u *undoLog, v *T) {
	k := t.keys(v)
	p := t.part(k.dealer)
	p.unindex(k)
	p.dropID(k.id)
	u.add(func() {
		p.addID(k.id)
		p.index(k, v)
	})
}

func (p *partition[T, ID]) index(k keys[ID], v *T) {
	p.rows[k.id] = v
	if k.ext != "" {
		p.ext[k.ext] = k.id
	}
	if k.alt != "" {
		p.alt[k.alt] = k.id
	}
}

func (p *partition[T, ID]) unindex(k keys[ID]) {
	delete(p.rows, k.id)
	if k.ext != "" && p.ext[k.ext] == k.id {
		delete(p.ext, k.ext)
	}
	if k.alt != "" && p.alt[k.alt] == k.id {
		delete(p.alt, k.alt)
	}
}

func (p *partition[T, ID]) addID(id ID) {
	if i, found := slices.BinarySearch(p.ids, id); !found {
		p.ids = slices.Insert(p.ids, i, id)
	}
}

func (p *partition[T, ID]) dropID(id ID) {
	if i, found := slices.BinarySearch(p.ids, id); found {
		p.ids = slices.Delete(p.ids, i, i+1)
	}
}
