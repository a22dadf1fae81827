package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/uptrace/bun"
)

// SatisfactionStore is the satisfaction.Store on PostgreSQL, in the tables
// of migration 0002 (TableSatisfactionHierarchies, …Questionnaires,
// …Responses) of a Store's schema and naming. Hierarchies, questionnaires
// and responses are kept as jsonb documents next to the columns that keys,
// filters and paging use; every query is scoped by dealer_id.
type SatisfactionStore struct{ s *Store }

var _ satisfaction.Store = SatisfactionStore{}

// Satisfaction returns the satisfaction store of s. On a Store bound to a
// transaction (the one InTx passes), it works inside that transaction.
func (s *Store) Satisfaction() SatisfactionStore { return SatisfactionStore{s: s} }

// docTable describes one document table to the generic operations.
type docTable[T any] struct {
	what  string
	table Table
	// cols are the columns besides dealer_id, id, doc, created_at and
	// updated_at, and vals their values for a record.
	cols []string
	vals func(*T) []any
	key  func(*T) (crm.DealerID, string)
	// ext returns the record's external ID, unique per dealer when set;
	// nil for a table without one.
	ext func(*T) string
	// norm brings times to UTC before a record is encoded.
	norm func(*T)
}

var (
	hierarchyTable = &docTable[satisfaction.Hierarchy]{
		what: "hierarchy", table: TableSatisfactionHierarchies, cols: []string{"name"},
		vals: func(h *satisfaction.Hierarchy) []any { return []any{h.Name} },
		key:  func(h *satisfaction.Hierarchy) (crm.DealerID, string) { return h.DealerID, string(h.ID) },
		norm: func(h *satisfaction.Hierarchy) { h.CreatedAt, h.UpdatedAt = h.CreatedAt.UTC(), h.UpdatedAt.UTC() },
	}
	questionnaireTable = &docTable[satisfaction.Questionnaire]{
		what: "questionnaire", table: TableSatisfactionQuestionnaires, cols: []string{"hierarchy_id", "name"},
		vals: func(q *satisfaction.Questionnaire) []any { return []any{string(q.HierarchyID), q.Name} },
		key:  func(q *satisfaction.Questionnaire) (crm.DealerID, string) { return q.DealerID, string(q.ID) },
		norm: func(q *satisfaction.Questionnaire) { q.CreatedAt, q.UpdatedAt = q.CreatedAt.UTC(), q.UpdatedAt.UTC() },
	}
	responseTable = &docTable[satisfaction.Response]{
		what: "response", table: TableSatisfactionResponses,
		cols: []string{"external_id", "questionnaire_id", "customer_id", "staff_id", "date"},
		vals: func(r *satisfaction.Response) []any {
			return []any{nullable(r.ExternalID), string(r.QuestionnaireID), nullable(string(r.CustomerID)), nullable(string(r.StaffID)), r.Date.String()}
		},
		key:  func(r *satisfaction.Response) (crm.DealerID, string) { return r.DealerID, string(r.ID) },
		ext:  func(r *satisfaction.Response) string { return r.ExternalID },
		norm: func(r *satisfaction.Response) { r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC() },
	}
)

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *docTable[T]) encode(v *T) ([]byte, error) {
	t.norm(v)
	b, err := json.Marshal(v)
	if err != nil {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "%s: cannot be stored: %v", t.what, err)
	}
	return b, nil
}

func (t *docTable[T]) decode(b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, newDBError(t.what, dealercrm.Internal, "internal error", false, err)
	}
	return v, nil
}

func (t *docTable[T]) create(ctx context.Context, s *Store, v *T, evs ...crm.Event) error {
	c := *v
	doc, err := t.encode(&c)
	if err != nil {
		return err
	}
	dealer, id := t.key(&c)
	cols := "dealer_id, id, doc, created_at, updated_at"
	marks := "?, ?, ?, ?, ?"
	args := []any{string(dealer), id, string(doc), time.Now().UTC(), time.Now().UTC()}
	for i, col := range t.cols {
		cols += ", " + quoteIdent(col)
		marks += ", ?"
		args = append(args, t.vals(&c)[i])
	}
	// Insert or detect: a taken ID or external ID is a normal conflict,
	// answered without a unique violation (which Postgres would log with
	// the statement's values).
	table := s.cfg.table(t.table)
	q := "INSERT INTO " + table + " (" + cols + ") VALUES (" + marks + ") ON CONFLICT DO NOTHING RETURNING id"
	insert := func(ctx context.Context, db bun.IDB) error {
		var got string
		err := db.QueryRowContext(ctx, q, args...).Scan(&got)
		if !errors.Is(err, sql.ErrNoRows) {
			return translate("create "+t.what, err)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE dealer_id = ? AND id = ?", string(dealer), id).Scan(&n); err != nil {
			return translate("create "+t.what, err)
		}
		if n > 0 || t.ext == nil {
			return conflict(t.what, "id "+id)
		}
		return conflict(t.what, "external id "+t.ext(&c))
	}
	if len(evs) == 0 {
		return s.guarded(ctx, insert)
	}
	// With events: in a transaction that writes them (writeEvents).
	return s.writeEvents(ctx, func(ctx context.Context, db bun.IDB) ([]crm.Event, error) {
		if err := insert(ctx, db); err != nil {
			return nil, err
		}
		return evs, nil
	})
}

// conflict is the error of a key taken for the dealer.
func conflict(what, key string) error {
	return dealercrm.Errorf(dealercrm.Conflict, "%s: %s is taken", what, key)
}

func (t *docTable[T]) one(ctx context.Context, db bun.IDB, s *Store, forUpdate bool, key string, where string, args ...any) (T, error) {
	q := "SELECT doc FROM " + s.cfg.table(t.table) + " WHERE " + where
	if forUpdate {
		q += " FOR UPDATE"
	}
	var doc []byte
	if err := db.QueryRowContext(ctx, q, args...).Scan(&doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return *new(T), notFound(t.what, key)
		}
		return *new(T), translate("get "+t.what, err)
	}
	return t.decode(doc)
}

func (t *docTable[T]) get(ctx context.Context, s *Store, dealer crm.DealerID, id string) (T, error) {
	return t.one(ctx, s.db, s, false, id, "dealer_id = ? AND id = ?", string(dealer), id)
}

func (t *docTable[T]) update(ctx context.Context, s *Store, dealer crm.DealerID, id string, fn func(*T) error, fix func(*T)) (T, error) {
	var out T
	err := s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		v, err := t.one(ctx, db, s, true, id, "dealer_id = ? AND id = ?", string(dealer), id)
		if err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
		fix(&v)
		doc, err := t.encode(&v)
		if err != nil {
			return err
		}
		if t.ext != nil && t.ext(&v) != "" {
			var n int
			err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+s.cfg.table(t.table)+" WHERE dealer_id = ? AND external_id = ? AND id <> ?",
				string(dealer), t.ext(&v), id).Scan(&n)
			if err != nil {
				return translate("update "+t.what, err)
			}
			if n > 0 {
				return conflict(t.what, "external id "+t.ext(&v))
			}
		}
		set := "doc = ?, updated_at = ?"
		args := []any{string(doc), time.Now().UTC()}
		for i, col := range t.cols {
			set += ", " + quoteIdent(col) + " = ?"
			args = append(args, t.vals(&v)[i])
		}
		args = append(args, string(dealer), id)
		_, err = db.ExecContext(ctx, "UPDATE "+s.cfg.table(t.table)+" SET "+set+" WHERE dealer_id = ? AND id = ?", args...)
		if err != nil {
			return translate("update "+t.what, err)
		}
		out = v
		return nil
	})
	return out, err
}

func (t *docTable[T]) list(ctx context.Context, s *Store, dealer crm.DealerID, p crm.PageRequest, id func(T) string, where string, args ...any) (crm.Page[T], error) {
	after, err := p.AfterID()
	if err != nil {
		return crm.Page[T]{}, err
	}
	size := p.Size()
	q := "SELECT doc FROM " + s.cfg.table(t.table) + " WHERE dealer_id = ? AND id > ?" + where + " ORDER BY id LIMIT ?"
	all := append([]any{string(dealer), after}, args...)
	all = append(all, size+1)
	rows, err := s.db.QueryContext(ctx, q, all...)
	if err != nil {
		return crm.Page[T]{}, translate("list "+t.what, err)
	}
	defer rows.Close()
	var items []T
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return crm.Page[T]{}, translate("list "+t.what, err)
		}
		v, err := t.decode(doc)
		if err != nil {
			return crm.Page[T]{}, err
		}
		items = append(items, v)
	}
	if err := rows.Err(); err != nil {
		return crm.Page[T]{}, translate("list "+t.what, err)
	}
	return crm.NewPage(items, size, id), nil
}

// CreateHierarchy implements satisfaction.Store.
func (st SatisfactionStore) CreateHierarchy(ctx context.Context, h *satisfaction.Hierarchy) error {
	return hierarchyTable.create(ctx, st.s, h)
}

// GetHierarchy implements satisfaction.Store.
func (st SatisfactionStore) GetHierarchy(ctx context.Context, dealer crm.DealerID, id satisfaction.HierarchyID) (satisfaction.Hierarchy, error) {
	return hierarchyTable.get(ctx, st.s, dealer, string(id))
}

// UpdateHierarchy implements satisfaction.Store.
func (st SatisfactionStore) UpdateHierarchy(ctx context.Context, dealer crm.DealerID, id satisfaction.HierarchyID, fn func(*satisfaction.Hierarchy) error) (satisfaction.Hierarchy, error) {
	return hierarchyTable.update(ctx, st.s, dealer, string(id), fn, func(h *satisfaction.Hierarchy) { h.ID, h.DealerID = id, dealer })
}

// ListHierarchies implements satisfaction.Store.
func (st SatisfactionStore) ListHierarchies(ctx context.Context, dealer crm.DealerID, p crm.PageRequest) (crm.Page[satisfaction.Hierarchy], error) {
	return hierarchyTable.list(ctx, st.s, dealer, p, func(h satisfaction.Hierarchy) string { return string(h.ID) }, "")
}

// CreateQuestionnaire implements satisfaction.Store.
func (st SatisfactionStore) CreateQuestionnaire(ctx context.Context, q *satisfaction.Questionnaire) error {
	return questionnaireTable.create(ctx, st.s, q)
}

// GetQuestionnaire implements satisfaction.Store.
func (st SatisfactionStore) GetQuestionnaire(ctx context.Context, dealer crm.DealerID, id satisfaction.QuestionnaireID) (satisfaction.Questionnaire, error) {
	return questionnaireTable.get(ctx, st.s, dealer, string(id))
}

// UpdateQuestionnaire implements satisfaction.Store.
func (st SatisfactionStore) UpdateQuestionnaire(ctx context.Context, dealer crm.DealerID, id satisfaction.QuestionnaireID, fn func(*satisfaction.Questionnaire) error) (satisfaction.Questionnaire, error) {
	return questionnaireTable.update(ctx, st.s, dealer, string(id), fn, func(q *satisfaction.Questionnaire) { q.ID, q.DealerID = id, dealer })
}

// ListQuestionnaires implements satisfaction.Store.
func (st SatisfactionStore) ListQuestionnaires(ctx context.Context, dealer crm.DealerID, p crm.PageRequest) (crm.Page[satisfaction.Questionnaire], error) {
	return questionnaireTable.list(ctx, st.s, dealer, p, func(q satisfaction.Questionnaire) string { return string(q.ID) }, "")
}

// CreateResponse implements satisfaction.Store.
func (st SatisfactionStore) CreateResponse(ctx context.Context, r *satisfaction.Response, evs ...crm.Event) error {
	return responseTable.create(ctx, st.s, r, evs...)
}

// GetResponse implements satisfaction.Store.
func (st SatisfactionStore) GetResponse(ctx context.Context, dealer crm.DealerID, id satisfaction.ResponseID) (satisfaction.Response, error) {
	return responseTable.get(ctx, st.s, dealer, string(id))
}

// GetResponseByExternalID implements satisfaction.Store.
func (st SatisfactionStore) GetResponseByExternalID(ctx context.Context, dealer crm.DealerID, ext string) (satisfaction.Response, error) {
	if ext == "" {
		return satisfaction.Response{}, notFound("response", "with an empty external id")
	}
	return responseTable.one(ctx, st.s.db, st.s, false, ext, "dealer_id = ? AND external_id = ?", string(dealer), ext)
}

// UpdateResponse implements satisfaction.Store.
func (st SatisfactionStore) UpdateResponse(ctx context.Context, dealer crm.DealerID, id satisfaction.ResponseID, fn func(*satisfaction.Response) error) (satisfaction.Response, error) {
	return responseTable.update(ctx, st.s, dealer, string(id), fn, func(r *satisfaction.Response) { r.ID, r.DealerID = id, dealer })
}

// ListResponses implements satisfaction.Store.
func (st SatisfactionStore) ListResponses(ctx context.Context, dealer crm.DealerID, f satisfaction.ResponseFilter) (crm.Page[satisfaction.Response], error) {
	where := ""
	var args []any
	add := func(cond string, v any) {
		where += " AND " + cond
		args = append(args, v)
	}
	if f.QuestionnaireID != "" {
		add("questionnaire_id = ?", string(f.QuestionnaireID))
	}
	if f.StaffID != "" {
		add("staff_id = ?", string(f.StaffID))
	}
	if f.CustomerID != "" {
		add("customer_id = ?", string(f.CustomerID))
	}
	if !f.Dates.From.IsZero() {
		add(`"date" >= ?`, f.Dates.From.String())
	}
	if !f.Dates.To.IsZero() {
		add(`"date" <= ?`, f.Dates.To.String())
	}
	return responseTable.list(ctx, st.s, dealer, f.PageRequest, func(r satisfaction.Response) string { return string(r.ID) }, where, args...)
}

// EraseComments implements satisfaction.Store with one UPDATE on the
// customer's index (dealer_id, customer_id): the comment leaves the
// response document, which keeps everything else.
func (st SatisfactionStore) EraseComments(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, at time.Time) (int, error) {
	if customer == "" {
		return 0, ctx.Err()
	}
	stamp, err := json.Marshal(at.UTC())
	if err != nil {
		return 0, dealercrm.Errorf(dealercrm.Invalid, "response: erase comments: %v", err)
	}
	var n int64
	err = st.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.ExecContext(ctx, "UPDATE "+st.s.cfg.table(TableSatisfactionResponses)+
			` SET doc = jsonb_set(doc - 'comment', '{updated_at}', ?::jsonb), updated_at = ?
			WHERE dealer_id = ? AND customer_id = ? AND coalesce(doc->>'comment', '') <> ''`,
			string(stamp), at.UTC(), string(dealer), string(customer))
		if err != nil {
			return translate("erase response comments", err)
		}
		n, err = res.RowsAffected()
		return translate("erase response comments", err)
	})
	return int(n), err
}
