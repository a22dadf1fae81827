package postgres

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// kind describes one dealer-owned entity T (ID type ID, list filter F,
// row type R) to the generic repository: its mapping, its filter and the
// table it lives in. The kinds are in entities.go.
type kind[T any, ID ~string, F any, R any] struct {
	// name is the entity's name in messages ("service order").
	name  string
	table Table
	id    func(*T) *ID
	// toRow and fromRow map explicitly between the domain and the row.
	toRow   func(*T) (R, error)
	fromRow func(*R) (T, error)
	// filter adds the conditions of a list filter; page reads its PageRequest.
	filter func(*bun.SelectQuery, F) *bun.SelectQuery
	page   func(F) crm.PageRequest
}

// meta returns the Record every dealer-owned entity embeds.
func meta[T any](v *T) *crm.Record {
	return any(v).(interface{ Meta() *crm.Record }).Meta()
}

// tableInfo is the SQL of one table for one Store's naming.
type tableInfo struct {
	// name is the qualified table name, from the same with the alias t
	// every query uses.
	name, from string
	// codec, upsertHead and upsertTail make the bulk statement of Upsert
	// (see encode.go): head, one array literal per column, tail.
	codec                  *rowCodec
	upsertHead, upsertTail string
}

func newTableInfo(c *config, t Table, codec *rowCodec) *tableInfo {
	name := c.table(t)
	ti := &tableInfo{name: name, from: name + " AS t", codec: codec}
	if t == TableDealers {
		return ti // dealers have no external-ID upsert
	}
	// On conflict, every content column (all but the keys and timestamps)
	// and updated_at are taken from the new row, but only when a content
	// column differs: an unchanged record is not written at all.
	var set, old, next []string
	for _, col := range codec.columns {
		if metaColumns[col.name] {
			continue
		}
		q := quoteIdent(col.name)
		set = append(set, q+" = EXCLUDED."+q)
		old = append(old, "t."+q)
		next = append(next, "EXCLUDED."+q)
	}
	set = append(set, `"updated_at" = EXCLUDED."updated_at"`)
	ti.upsertHead = "INSERT INTO " + ti.from + " (" + codec.names() + ") SELECT " + codec.selectList() + " FROM unnest("
	ti.upsertTail = ") AS u(" + codec.aliases() + ")" +
		" ON CONFLICT (dealer_id, external_id) DO UPDATE SET " + strings.Join(set, ", ") +
		" WHERE (" + strings.Join(old, ", ") + ") IS DISTINCT FROM (" + strings.Join(next, ", ") + ")" +
		" RETURNING t.id, t.external_id, (t.xmax = 0) AS inserted"
	return ti
}

func addTable[T any, ID ~string, F any, R any](s *Store, k *kind[T, ID, F, R]) {
	s.tables[k.table] = newTableInfo(s.cfg, k.table, newRowCodec[R]())
}

// repo is the crm.Repository of one kind on one Store.
type repo[T any, ID ~string, F any, R any] struct {
	s *Store
	k *kind[T, ID, F, R]
	t *tableInfo
}

func newRepo[T any, ID ~string, F any, R any](s *Store, k *kind[T, ID, F, R]) repo[T, ID, F, R] {
	return repo[T, ID, F, R]{s: s, k: k, t: s.tables[k.table]}
}

// encode maps v to its row; a value Postgres cannot hold (a time outside
// years 0–9999 in a document) is invalid input. With check, it also
// rejects text Postgres cannot store (the bulk path checks as it encodes).
func (r repo[T, ID, F, R]) encode(v *T, check bool) (R, error) {
	row, err := r.k.toRow(v)
	if err == nil && check {
		err = r.t.codec.check(reflect.ValueOf(&row).Elem())
	}
	if err != nil {
		return row, dealercrm.Errorf(dealercrm.Invalid, "%s: cannot be stored: %v", r.k.name, err)
	}
	return row, nil
}

// decode maps a stored row back; a row that does not decode is corrupt.
func (r repo[T, ID, F, R]) decode(row *R) (T, error) {
	v, err := r.k.fromRow(row)
	if err != nil {
		return v, newDBError(r.k.name, dealercrm.Internal, "internal error", false, err)
	}
	return v, nil
}

// Create stores a new record (see crm.Repository.Create). A taken ID or
// external ID (or VIN) is an error with code Conflict naming the key.
func (r repo[T, ID, F, R]) Create(ctx context.Context, v *T) error {
	row, err := r.encode(v, true)
	if err != nil {
		return err
	}
	return r.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		_, err := db.NewInsert().Model(&row).ModelTableExpr(r.t.from).Exec(ctx)
		return translate(r.k.name, err)
	})
}

// one reads the record that matches where, or returns ErrNotFound for key.
func (r repo[T, ID, F, R]) one(ctx context.Context, db bun.IDB, forUpdate bool, key string, where string, args ...any) (T, error) {
	var row R
	q := db.NewSelect().Model(&row).ModelTableExpr(r.t.from).Where(where, args...)
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return *new(T), notFound(r.k.name, key)
		}
		return *new(T), translate(r.k.name, err)
	}
	return r.decode(&row)
}

// Get returns the record, or ErrNotFound.
func (r repo[T, ID, F, R]) Get(ctx context.Context, dealer crm.DealerID, id ID) (T, error) {
	return r.one(ctx, r.s.db, false, string(id), "t.dealer_id = ? AND t.id = ?", string(dealer), string(id))
}

// GetByExternalID returns the record with external ID ext, or ErrNotFound
// (always for "": records without an external ID cannot be found by it).
func (r repo[T, ID, F, R]) GetByExternalID(ctx context.Context, dealer crm.DealerID, ext string) (T, error) {
	if ext == "" {
		return *new(T), notFound(r.k.name, "with an empty external id")
	}
	return r.one(ctx, r.s.db, false, "with external id "+ext, "t.dealer_id = ? AND t.external_id = ?", string(dealer), ext)
}

// Update locks the row (SELECT … FOR UPDATE), applies fn and writes the
// result back, in a transaction of its own or under a savepoint of the
// store's; concurrent Updates of one record queue on the lock. fn's error
// is returned as it is and nothing is written. The ID and dealer cannot
// change: they are restored after fn.
func (r repo[T, ID, F, R]) Update(ctx context.Context, dealer crm.DealerID, id ID, fn func(*T) error) (T, error) {
	var out T
	err := r.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		v, err := r.one(ctx, db, true, string(id), "t.dealer_id = ? AND t.id = ?", string(dealer), string(id))
		if err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
		*r.k.id(&v) = id
		meta(&v).DealerID = dealer
		row, err := r.encode(&v, true)
		if err != nil {
			return err
		}
		if _, err := db.NewUpdate().Model(&row).ModelTableExpr(r.t.from).WherePK().Exec(ctx); err != nil {
			return translate(r.k.name, err)
		}
		// What was written, read back through the mapping: times in UTC.
		out, err = r.decode(&row)
		return err
	})
	if err != nil {
		return *new(T), err
	}
	return out, nil
}

// Delete removes the record, or returns ErrNotFound.
func (r repo[T, ID, F, R]) Delete(ctx context.Context, dealer crm.DealerID, id ID) error {
	return r.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.NewDelete().Model((*R)(nil)).ModelTableExpr(r.t.from).
			Where("t.dealer_id = ? AND t.id = ?", string(dealer), string(id)).Exec(ctx)
		if err != nil {
			return translate(r.k.name, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return translate(r.k.name, err)
		}
		if n == 0 {
			return notFound(r.k.name, id)
		}
		return nil
	})
}

// List returns one page of the dealer's records that match f, in ID
// order (byte order: the ID columns are COLLATE "C").
func (r repo[T, ID, F, R]) List(ctx context.Context, dealer crm.DealerID, f F) (crm.Page[T], error) {
	pr := r.k.page(f)
	after, err := pr.AfterID()
	if err != nil {
		return crm.Page[T]{}, err
	}
	size := pr.Size()
	var rows []R
	q := r.s.db.NewSelect().Model(&rows).ModelTableExpr(r.t.from).Where("t.dealer_id = ?", string(dealer))
	q = r.k.filter(q, f)
	if after != "" {
		q = q.Where("t.id > ?", after)
	}
	if err := q.OrderExpr("t.id").Limit(int64(size) + 1).Scan(ctx); err != nil {
		return crm.Page[T]{}, translate(r.k.name, err)
	}
	items := make([]T, len(rows))
	for i := range rows {
		if items[i], err = r.decode(&rows[i]); err != nil {
			return crm.Page[T]{}, err
		}
	}
	return crm.NewPage(items, size, func(v T) string { return string(*r.k.id(&v)) }), nil
}

// idPair is an ID and an external ID read back.
type idPair struct {
	ID         string `bun:"id"`
	ExternalID string `bun:"external_id"`
}

// lookup returns the IDs of the dealer's records with external IDs exts.
func (r repo[T, ID, F, R]) lookup(ctx context.Context, db bun.IDB, dealer crm.DealerID, exts []string) (map[string]ID, error) {
	out := make(map[string]ID, len(exts))
	if len(exts) == 0 {
		return out, nil
	}
	var pairs []idPair
	err := db.NewRaw("SELECT id, external_id FROM ? WHERE dealer_id = ? AND external_id = ANY(?)",
		bun.Safe(r.t.name), string(dealer), pgdialect.Array(exts)).Scan(ctx, &pairs)
	if err != nil {
		return nil, translate(r.k.name, err)
	}
	for _, p := range pairs {
		out[p.ExternalID] = ID(p.ID)
	}
	return out, nil
}

// ResolveExternalIDs maps external IDs to IDs; unknown ones (and "") are
// absent from the map.
func (r repo[T, ID, F, R]) ResolveExternalIDs(ctx context.Context, dealer crm.DealerID, exts []string) (map[string]ID, error) {
	want := make([]string, 0, len(exts))
	for _, e := range exts {
		if e != "" {
			want = append(want, e)
		}
	}
	return r.lookup(ctx, r.s.db, dealer, want)
}
