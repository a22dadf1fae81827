package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/uptrace/bun"
)

// dealerStore is the crm.DealerStore. The dealers table is keyed by
// dealer_id alone and is the one table read across dealers (by group).
type dealerStore struct {
	s *Store
	t *tableInfo
}

// encode maps v to its row, rejecting what Postgres cannot store.
func (d dealerStore) encode(v *crm.Dealer) (dealerRow, error) {
	if fields := crm.CheckTexts("", v); fields != nil {
		return dealerRow{}, &crm.ValidationError{Entity: "dealer", Fields: fields}
	}
	row, err := fromDealer(v)
	if err != nil {
		return row, dealercrm.Errorf(dealercrm.Invalid, "dealer: cannot be stored: %v", err)
	}
	return row, nil
}

func (d dealerStore) decode(row *dealerRow) (crm.Dealer, error) {
	v, err := toDealer(row)
	if err != nil {
		return v, newDBError("dealer", dealercrm.Internal, "internal error", false, err)
	}
	return v, nil
}

// Create stores a new dealer; a taken ID is a *crm.ConflictError, found
// without a failing statement (INSERT … ON CONFLICT DO NOTHING inserts no
// row).
func (d dealerStore) Create(ctx context.Context, v *crm.Dealer) (err error) {
	ctx, span := startOp(ctx, "dealers", "Create", v.ID)
	defer func() { endOp(span, err) }()
	if v.ID == "" {
		return &crm.ValidationError{Entity: "dealer", Fields: []crm.FieldError{{Field: "id", Rule: crm.RuleRequired, Message: "is required"}}}
	}
	row, err := d.encode(v)
	if err != nil {
		return err
	}
	return d.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.NewInsert().Model(&row).ModelTableExpr(d.t.from).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return translate("dealer", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return translate("dealer", err)
		}
		if n == 0 {
			return &crm.ConflictError{Entity: "dealer", Field: "id"}
		}
		return nil
	})
}

func (d dealerStore) get(ctx context.Context, db bun.IDB, id crm.DealerID, forUpdate bool) (crm.Dealer, error) {
	var row dealerRow
	q := db.NewSelect().Model(&row).ModelTableExpr(d.t.from).Where("t.dealer_id = ?", string(id))
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return crm.Dealer{}, notFound("dealer", id)
		}
		return crm.Dealer{}, translate("dealer", err)
	}
	return d.decode(&row)
}

// Get returns the dealer, or ErrNotFound.
func (d dealerStore) Get(ctx context.Context, id crm.DealerID) (_ crm.Dealer, err error) {
	ctx, span := startOp(ctx, "dealers", "Get", id)
	defer func() { endOp(span, err) }()
	if err := crm.CheckArgs("dealer", "id", string(id)); err != nil {
		return crm.Dealer{}, err
	}
	return d.get(ctx, d.s.db, id, false)
}

// Update changes the dealer atomically, like the repositories' Update.
func (d dealerStore) Update(ctx context.Context, id crm.DealerID, fn func(*crm.Dealer) error) (_ crm.Dealer, err error) {
	ctx, span := startOp(ctx, "dealers", "Update", id)
	defer func() { endOp(span, err) }()
	var out crm.Dealer
	if err := crm.CheckArgs("dealer", "id", string(id)); err != nil {
		return out, err
	}
	err = d.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		v, err := d.get(ctx, db, id, true)
		if err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
		v.ID = id
		row, err := d.encode(&v)
		if err != nil {
			return err
		}
		if _, err := db.NewUpdate().Model(&row).ModelTableExpr(d.t.from).WherePK().Exec(ctx); err != nil {
			return translate("dealer", err)
		}
		out, err = d.decode(&row)
		return err
	})
	if err != nil {
		return crm.Dealer{}, err
	}
	return out, nil
}

// List returns dealers in ID order, one page at a time, optionally of one group.
func (d dealerStore) List(ctx context.Context, f crm.DealerFilter) (_ crm.Page[crm.Dealer], err error) {
	ctx, span := startOp(ctx, "dealers", "List", "")
	defer func() { endOp(span, err) }()
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[crm.Dealer]{}, err
	}
	if fields := crm.CheckTexts("", f); fields != nil {
		return crm.Page[crm.Dealer]{}, &crm.ValidationError{Entity: "dealer filter", Fields: fields}
	}
	size := f.Size()
	var rows []dealerRow
	q := d.s.db.NewSelect().Model(&rows).ModelTableExpr(d.t.from)
	if f.GroupID != "" {
		q = q.Where("t.group_id = ?", string(f.GroupID))
	}
	if after != "" {
		q = q.Where("t.dealer_id > ?", after)
	}
	if err := q.OrderExpr("t.dealer_id").Limit(int64(size) + 1).Scan(ctx); err != nil {
		return crm.Page[crm.Dealer]{}, translate("dealer", err)
	}
	items := make([]crm.Dealer, len(rows))
	for i := range rows {
		if items[i], err = d.decode(&rows[i]); err != nil {
			return crm.Page[crm.Dealer]{}, err
		}
	}
	return crm.NewPage(items, size, func(v crm.Dealer) string { return string(v.ID) }), nil
}
