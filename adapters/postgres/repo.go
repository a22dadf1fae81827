package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/uptrace/bun"
)

// kind describes one dealer-owned entity T (ID type ID, list filter F,
// row type R) to the generic repository: its mapping, its filter and the
// table it lives in. The kinds are in entities.go.
type kind[T any, ID ~string, F any, R any] struct {
	// name is the entity's name in messages ("service order").
	name  string
	table Table
	id    func(*T) *ID
	// alt is the column of the entity's other unique key ("vin"), and
	// altOf reads it; "" and nil for kinds that have none.
	alt   string
	altOf func(*T) string
	// toRow and fromRow map explicitly between the domain and the row.
	toRow   func(*T) (R, error)
	fromRow func(*R) (T, error)
	// filter adds the conditions of a list filter; page reads its PageRequest.
	filter func(*bun.SelectQuery, F) *bun.SelectQuery
	page   func(F) crm.PageRequest
	// searchFirst reports whether List should find the page's IDs first,
	// then read their rows (see List); nil for never.
	searchFirst func(F) bool
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
	// codec, insert and conflict make the bulk statement of Upsert (see
	// encode.go): insert + codec.selectFrom(…) + conflict.
	codec            *rowCodec
	insert, conflict string
	// schema and table name it unquoted, for the statistics catalog.
	schema, table string
	// analyzed is set once Upsert has seen the table's statistics
	// (analyzeFresh): from then on it does not look again.
	analyzed atomic.Bool
}

func newTableInfo(c *config, t Table, codec *rowCodec) *tableInfo {
	name := c.table(t)
	ti := &tableInfo{name: name, from: name + " AS t", codec: codec, schema: c.schema, table: c.names[t]}
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
		// json has no equality: its documents compare as jsonb, so a
		// document stored in jsonb's layout (before migration 0036)
		// equals the same one in encoding/json's.
		cmp := ""
		if col.cast == "json" {
			cmp = "::jsonb"
		}
		old = append(old, "t."+q+cmp)
		next = append(next, "EXCLUDED."+q+cmp)
	}
	set = append(set, `"updated_at" = EXCLUDED."updated_at"`)
	ti.insert = "INSERT INTO " + ti.from + " (" + codec.names() + ") "
	ti.conflict = " ON CONFLICT (dealer_id, external_id) DO UPDATE SET " + strings.Join(set, ", ") +
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
// years 0–9999 in a document) is invalid input. With check, it first
// rejects text Postgres cannot store, by field (crm.CheckTexts), as every
// store does; Upsert checks the whole batch before it encodes.
func (r repo[T, ID, F, R]) encode(v *T, check bool) (R, error) {
	if check {
		if fields := crm.CheckTexts("", v); fields != nil {
			return *new(R), &crm.ValidationError{Entity: r.k.name, Fields: fields}
		}
	}
	row, err := r.k.toRow(v)
	if err != nil {
		return row, dealercrm.Errorf(dealercrm.Invalid, "%s: cannot be stored: %v", r.k.name, err)
	}
	return row, nil
}

// checkID rejects a dealer or record ID that no record can hold.
func (r repo[T, ID, F, R]) checkID(dealer crm.DealerID, id ID) error {
	return crm.CheckArgs(r.k.name, "dealer_id", string(dealer), "id", string(id))
}

// checkKeys rejects a record without the keys that place it.
func (r repo[T, ID, F, R]) checkKeys(v *T) error {
	var fields []crm.FieldError
	if *r.k.id(v) == "" {
		fields = append(fields, crm.FieldError{Field: "id", Rule: crm.RuleRequired, Message: "is required"})
	}
	if meta(v).DealerID == "" {
		fields = append(fields, crm.FieldError{Field: "dealer_id", Rule: crm.RuleRequired, Message: "is required"})
	}
	if fields != nil {
		return &crm.ValidationError{Entity: r.k.name, Fields: fields}
	}
	return nil
}

// decode maps a stored row back; a row that does not decode is corrupt.
func (r repo[T, ID, F, R]) decode(row *R) (T, error) {
	v, err := r.k.fromRow(row)
	if err != nil {
		return v, newDBError(r.k.name, dealercrm.Internal, "internal error", false, err)
	}
	return v, nil
}

// Create stores a new record (see crm.Repository.Create). A taken ID,
// external ID or VIN is a *crm.ConflictError naming the key.
//
// Insert or detect: the INSERT says ON CONFLICT DO NOTHING, so a taken key
// raises no error in Postgres (whose log would show the statement, personal
// data included); when nothing was inserted, one SELECT finds which key is
// taken. Neither reads constraint names, which Citus does not pass on.
func (r repo[T, ID, F, R]) Create(ctx context.Context, v *T) (err error) {
	ctx, span := startOp(ctx, string(r.k.table), "Create", "")
	defer func() { endOp(span, err) }()
	if err := r.checkKeys(v); err != nil {
		return err
	}
	row, err := r.encode(v, true)
	if err != nil {
		return err
	}
	return r.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		// A record that holds the key may go between the two statements;
		// then the INSERT is worth another try.
		for range 3 {
			res, err := db.NewInsert().Model(&row).ModelTableExpr(r.t.from).On("CONFLICT DO NOTHING").Exec(ctx)
			if err != nil {
				return translate(r.k.name, err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 1 {
				return translate(r.k.name, err)
			}
			if err := r.taken(ctx, db, v, true); err != nil {
				return err
			}
		}
		return dealercrm.Errorf(dealercrm.Conflict, "%s: a record with the same keys was written and removed meanwhile; retry", r.k.name)
	})
}

// keyRow is the unique keys of a stored record.
type keyRow struct {
	ID         string `bun:"id"`
	ExternalID string `bun:"external_id"`
	Alt        string `bun:"alt"`
}

// taken returns a *crm.ConflictError naming the first key of v (id when
// withID, external_id, then alt) that another record of v's dealer holds,
// or nil.
func (r repo[T, ID, F, R]) taken(ctx context.Context, db bun.IDB, v *T, withID bool) error {
	id, ext, alt := string(*r.k.id(v)), meta(v).ExternalID, ""
	if r.k.altOf != nil {
		alt = r.k.altOf(v)
	}
	var keys []keyRow
	q := db.NewSelect().ModelTableExpr(r.t.from).
		ColumnExpr("t.id, coalesce(t.external_id, '') AS external_id").
		Where("t.dealer_id = ?", string(meta(v).DealerID))
	if r.k.alt != "" {
		q = q.ColumnExpr("t.? AS alt", bun.Ident(r.k.alt))
	} else {
		q = q.ColumnExpr("'' AS alt")
	}
	if !withID {
		q = q.Where("t.id <> ?", id)
	}
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		if withID {
			q = q.WhereOr("t.id = ?", id)
		}
		if ext != "" {
			q = q.WhereOr("t.external_id = ?", ext)
		}
		if alt != "" {
			q = q.WhereOr("t.? = ?", bun.Ident(r.k.alt), alt)
		}
		return q.WhereOr("false")
	})
	if err := q.Scan(ctx, &keys); err != nil {
		return translate(r.k.name, err)
	}
	field := ""
	for _, k := range keys {
		switch {
		case withID && k.ID == id:
			return &crm.ConflictError{Entity: r.k.name, Field: "id"}
		case ext != "" && k.ExternalID == ext:
			field = "external_id"
		case alt != "" && k.Alt == alt && field == "":
			field = r.k.alt
		}
	}
	if field != "" {
		return &crm.ConflictError{Entity: r.k.name, Field: field}
	}
	return nil
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
func (r repo[T, ID, F, R]) Get(ctx context.Context, dealer crm.DealerID, id ID) (_ T, err error) {
	ctx, span := startOp(ctx, string(r.k.table), "Get", dealer)
	defer func() { endOp(span, err) }()
	if err := r.checkID(dealer, id); err != nil {
		return *new(T), err
	}
	return r.one(ctx, r.s.db, false, string(id), "t.dealer_id = ? AND t.id = ?", string(dealer), string(id))
}

// GetByExternalID returns the record with external ID ext, or ErrNotFound
// (always for "": records without an external ID cannot be found by it).
func (r repo[T, ID, F, R]) GetByExternalID(ctx context.Context, dealer crm.DealerID, ext string) (_ T, err error) {
	ctx, span := startOp(ctx, string(r.k.table), "GetByExternalID", dealer)
	defer func() { endOp(span, err) }()
	if err := crm.CheckArgs(r.k.name, "dealer_id", string(dealer), "external_id", ext); err != nil {
		return *new(T), err
	}
	if ext == "" {
		return *new(T), notFound(r.k.name, "with an empty external id")
	}
	return r.one(ctx, r.s.db, false, "with external id "+ext, "t.dealer_id = ? AND t.external_id = ?", string(dealer), ext)
}

// Update locks the row (SELECT … FOR UPDATE), applies fn and writes the
// result back, in a transaction of its own or under a savepoint of the
// store's; concurrent Updates of one record queue on the lock. fn's error
// is returned as it is and nothing is written. The ID and dealer cannot
// change: they are restored after fn. When fn changes the external ID or
// the VIN, one SELECT looks whether another record holds the new one (a
// *crm.ConflictError) before the UPDATE, which so raises no error for a
// taken key.
func (r repo[T, ID, F, R]) Update(ctx context.Context, dealer crm.DealerID, id ID, fn func(*T) error) (_ T, err error) {
	ctx, span := startOp(ctx, string(r.k.table), "Update", dealer)
	defer func() { endOp(span, err) }()
	var out T
	if err := r.checkID(dealer, id); err != nil {
		return out, err
	}
	err = r.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		v, err := r.one(ctx, db, true, string(id), "t.dealer_id = ? AND t.id = ?", string(dealer), string(id))
		if err != nil {
			return err
		}
		ext, alt := r.uniqueOf(&v)
		if err := fn(&v); err != nil {
			return err
		}
		*r.k.id(&v) = id
		meta(&v).DealerID = dealer
		row, err := r.encode(&v, true)
		if err != nil {
			return err
		}
		if e, a := r.uniqueOf(&v); e != ext || a != alt {
			if err := r.taken(ctx, db, &v, false); err != nil {
				return err
			}
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

// uniqueOf returns the keys of v besides its ID.
func (r repo[T, ID, F, R]) uniqueOf(v *T) (ext, alt string) {
	if r.k.altOf != nil {
		alt = r.k.altOf(v)
	}
	return meta(v).ExternalID, alt
}

// Delete removes the record, or returns ErrNotFound.
func (r repo[T, ID, F, R]) Delete(ctx context.Context, dealer crm.DealerID, id ID) (err error) {
	ctx, span := startOp(ctx, string(r.k.table), "Delete", dealer)
	defer func() { endOp(span, err) }()
	if err := r.checkID(dealer, id); err != nil {
		return err
	}
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
// order (byte order: the ID columns are COLLATE "C"). A filter is checked
// as every store checks it (crm.CheckFilter).
func (r repo[T, ID, F, R]) List(ctx context.Context, dealer crm.DealerID, f F) (_ crm.Page[T], err error) {
	ctx, span := startOp(ctx, string(r.k.table), "List", dealer)
	defer func() { endOp(span, err) }()
	pr := r.k.page(f)
	after, err := pr.AfterID()
	if err != nil {
		return crm.Page[T]{}, err
	}
	if err := crm.CheckArgs(r.k.name, "dealer_id", string(dealer)); err != nil {
		return crm.Page[T]{}, err
	}
	if err := crm.CheckFilter(r.k.name, f); err != nil {
		return crm.Page[T]{}, err
	}
	size := pr.Size()
	var rows []R
	q := r.s.db.NewSelect().Model(&rows).ModelTableExpr(r.t.from)
	page := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = r.k.filter(q.Where("t.dealer_id = ?", string(dealer)), f)
		if after != "" {
			q = q.Where("t.id > ?", after)
		}
		return q.OrderExpr("t.id").Limit(int64(size) + 1)
	}
	if r.k.searchFirst != nil && r.k.searchFirst(f) {
		// A substring search reads every row of the dealer that does not
		// match. The page's IDs come first, from an index that carries
		// the searched text (migration 0032) without the wide rows, then
		// only their rows are read.
		ids := page(r.s.db.NewSelect().ModelTableExpr(r.t.from).ColumnExpr("t.id"))
		q = q.Where("t.dealer_id = ?", string(dealer)).Where("t.id IN (?)", ids).OrderExpr("t.id")
	} else {
		q = page(q)
	}
	if err := q.Scan(ctx); err != nil {
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

// lookup returns the IDs of the dealer's records with external IDs exts.
func (r repo[T, ID, F, R]) lookup(ctx context.Context, db bun.IDB, dealer crm.DealerID, exts []string) (map[string]ID, error) {
	out := make(map[string]ID, len(exts))
	keys, err := r.keysBy(ctx, db, dealer, keyLookup{"external_id", exts})
	for _, k := range keys {
		out[k.ExternalID] = ID(k.ID)
	}
	return out, err
}

// keyLookup asks for the records whose column col holds one of vals.
type keyLookup struct {
	col  string
	vals []string
}

// keysBy returns the keys of the dealer's records that each lookup finds,
// in one statement; a record found twice comes twice. Each lookup probes
// the table once per value of unnest(<vals>) on (dealer_id, col), which a
// unique index serves: planning does not grow with the number of values,
// as it does for col = ANY(<vals>), and n values cost n index probes. The
// probes are a LATERAL subquery that OFFSET 0 keeps from being flattened
// into a join: as a join, on a table whose statistics lag behind a bulk
// import (autovacuum has not analysed it yet), the planner hashed every
// record of the dealer for each batch — 50–70 ms at 100,000 records
// against 6–10 ms for 5,000 probes, and growing with the table. The
// values go as one array literal each (the stores checked their text),
// bound to a placeholder as bun.Safe: bun does not quote them again, and
// the statement's template, which query hooks record, holds none.
func (r repo[T, ID, F, R]) keysBy(ctx context.Context, db bun.IDB, dealer crm.DealerID, lookups ...keyLookup) ([]keyRow, error) {
	alt := "''"
	if r.k.alt != "" {
		alt = "t." + quoteIdent(r.k.alt)
	}
	var (
		q    []string
		args []any
	)
	for _, l := range lookups {
		if len(l.vals) == 0 {
			continue
		}
		q = append(q, "SELECT x.id, x.ext, x.alt FROM unnest(?::text[]) AS k(v) CROSS JOIN LATERAL (SELECT t.id, coalesce(t.external_id, '') AS ext, "+
			alt+"::text AS alt FROM "+r.t.from+" WHERE t.dealer_id = ? AND t."+quoteIdent(l.col)+" = k.v OFFSET 0) AS x")
		args = append(args, bun.Safe(appendTextArray(nil, l.vals)), string(dealer))
	}
	if len(q) == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, strings.Join(q, " UNION ALL "), args...)
	if err != nil {
		return nil, translate(r.k.name, err)
	}
	defer rows.Close()
	var keys []keyRow
	for rows.Next() {
		var k keyRow
		if err := rows.Scan(&k.ID, &k.ExternalID, &k.Alt); err != nil {
			return nil, translate(r.k.name, err)
		}
		keys = append(keys, k)
	}
	return keys, translate(r.k.name, rows.Err())
}

// ResolveExternalIDs maps external IDs to IDs; unknown ones (and "") are
// absent from the map.
func (r repo[T, ID, F, R]) ResolveExternalIDs(ctx context.Context, dealer crm.DealerID, exts []string) (_ map[string]ID, err error) {
	ctx, span := startOp(ctx, string(r.k.table), "ResolveExternalIDs", dealer)
	defer func() { endOp(span, err) }()
	if err := crm.CheckArgs(r.k.name, "dealer_id", string(dealer)); err != nil {
		return nil, err
	}
	if fields := crm.CheckTexts("external_ids", exts); fields != nil {
		return nil, &crm.ValidationError{Entity: r.k.name, Fields: fields}
	}
	want := make([]string, 0, len(exts))
	for _, e := range exts {
		if e != "" {
			want = append(want, e)
		}
	}
	return r.lookup(ctx, r.s.db, dealer, want)
}

// eachOf runs query with args and calls fn on each row.
func (s *Store) eachOf(ctx context.Context, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
