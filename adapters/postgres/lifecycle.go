package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/uptrace/bun"
)

// LifecycleTasks returns the lifecycle task store on this store's
// connection (or transaction).
func (s *Store) LifecycleTasks() lifecycle.TaskStore { return taskStore{s: s} }

type taskStore struct{ s *Store }

var _ lifecycle.TaskStore = taskStore{}

// taskRow is the lifecycle_tasks row of a lifecycle.Task.
type taskRow struct {
	bun.BaseModel   `bun:"table:lifecycle_tasks,alias:t"`
	DealerID        string     `bun:"dealer_id,pk"`
	ID              string     `bun:"id,pk"`
	Key             string     `bun:"task_key"`
	Kind            string     `bun:"kind"`
	VehicleID       string     `bun:"vehicle_id"`
	CustomerID      string     `bun:"customer_id"`
	LeadID          string     `bun:"lead_id"`
	AnchorDate      *time.Time `bun:"anchor_date,type:date"`
	Due             time.Time  `bun:"due,type:date"`
	WindowEnd       time.Time  `bun:"window_end,type:date"`
	Channel         string     `bun:"channel"`
	Purpose         string     `bun:"purpose"`
	OwnerRole       string     `bun:"owner_role"`
	AssigneeID      string     `bun:"assignee_id"`
	ExcludedStaffID string     `bun:"excluded_staff_id"`
	Reason          string     `bun:"reason"`
	Pinned          bool       `bun:"pinned"`
	Status          string     `bun:"status"`
	StatusReason    string     `bun:"status_reason"`
	// The reason codes and their parameters (jsonb objects of strings,
	// '{}' for none).
	ReasonCode         string    `bun:"reason_code"`
	ReasonParams       jsonDoc   `bun:"reason_params"`
	StatusReasonCode   string    `bun:"status_reason_code"`
	StatusReasonParams jsonDoc   `bun:"status_reason_params"`
	Outcome            string    `bun:"outcome"`
	Note               string    `bun:"note"`
	InteractionID      string    `bun:"interaction_id"`
	Version            int64     `bun:"version"`
	CreatedAt          time.Time `bun:"created_at"`
	UpdatedAt          time.Time `bun:"updated_at"`
	// The call list's columns (migration 0018).
	Attempts        int        `bun:"attempts"`
	AppointmentDate *time.Time `bun:"appointment_date,type:date"`
	// What the call list shows of the subject (migration 0022).
	Stage     string     `bun:"stage"`
	LastVisit *time.Time `bun:"last_visit,type:date"`
}

// taskColumnsSet sets every column of a task that a write may change (all
// but its identity, creation time and version) from the VALUES list
// _data: Apply and UpdateMany write tasks through it.
const taskColumnsSet = "kind = _data.kind, vehicle_id = _data.vehicle_id, customer_id = _data.customer_id, anchor_date = _data.anchor_date, " +
	"due = _data.due, window_end = _data.window_end, channel = _data.channel, purpose = _data.purpose, " +
	"owner_role = _data.owner_role, assignee_id = _data.assignee_id, excluded_staff_id = _data.excluded_staff_id, " +
	"reason = _data.reason, pinned = _data.pinned, status = _data.status, status_reason = _data.status_reason, " +
	"reason_code = _data.reason_code, reason_params = _data.reason_params::jsonb, " +
	"status_reason_code = _data.status_reason_code, status_reason_params = _data.status_reason_params::jsonb, " +
	"outcome = _data.outcome, note = _data.note, interaction_id = _data.interaction_id, updated_at = _data.updated_at, " +
	"lead_id = _data.lead_id, attempts = _data.attempts, appointment_date = _data.appointment_date, " +
	"stage = _data.stage, last_visit = _data.last_visit"

func fromTask(t *lifecycle.Task) taskRow {
	r := taskRow{DealerID: string(t.DealerID), ID: string(t.ID), Key: t.Key, Kind: string(t.Kind),
		VehicleID: string(t.VehicleID), CustomerID: string(t.CustomerID), LeadID: string(t.LeadID),
		Due: t.Due.Time(time.UTC), WindowEnd: t.WindowEnd.Time(time.UTC), Channel: string(t.Channel), Purpose: string(t.Purpose),
		OwnerRole: string(t.OwnerRole), AssigneeID: string(t.AssigneeID), ExcludedStaffID: string(t.ExcludedStaffID),
		Reason: t.Reason, Pinned: t.Pinned, Status: string(t.Status), StatusReason: t.StatusReason, Outcome: string(t.Outcome),
		Note: t.Note, InteractionID: string(t.InteractionID), Version: t.Version, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(),
		ReasonCode: t.ReasonCode, ReasonParams: paramsDoc(t.ReasonParams), StatusReasonCode: t.StatusReasonCode, StatusReasonParams: paramsDoc(t.StatusReasonParams)}
	if !t.AnchorDate.IsZero() {
		a := t.AnchorDate.Time(time.UTC)
		r.AnchorDate = &a
	}
	r.Attempts = t.Attempts
	if !t.AppointmentDate.IsZero() {
		a := t.AppointmentDate.Time(time.UTC)
		r.AppointmentDate = &a
	}
	r.Stage = string(t.Stage)
	if !t.LastVisit.IsZero() {
		v := t.LastVisit.Time(time.UTC)
		r.LastVisit = &v
	}
	return r
}

func toTask(r *taskRow) lifecycle.Task {
	t := lifecycle.Task{DealerID: crm.DealerID(r.DealerID), ID: lifecycle.TaskID(r.ID), Key: r.Key, Kind: lifecycle.Kind(r.Kind),
		VehicleID: crm.VehicleID(r.VehicleID), CustomerID: crm.CustomerID(r.CustomerID), LeadID: crm.LeadID(r.LeadID),
		Due: dealercrm.DateOf(r.Due), WindowEnd: dealercrm.DateOf(r.WindowEnd), Channel: crm.Channel(r.Channel), Purpose: crm.Purpose(r.Purpose),
		OwnerRole: lifecycle.Role(r.OwnerRole), AssigneeID: crm.StaffID(r.AssigneeID), ExcludedStaffID: crm.StaffID(r.ExcludedStaffID),
		Reason: r.Reason, Pinned: r.Pinned, Status: lifecycle.Status(r.Status), StatusReason: r.StatusReason, Outcome: crm.Outcome(r.Outcome),
		Note: r.Note, InteractionID: crm.InteractionID(r.InteractionID), Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		ReasonCode: r.ReasonCode, ReasonParams: toParams(r.ReasonParams), StatusReasonCode: r.StatusReasonCode, StatusReasonParams: toParams(r.StatusReasonParams)}
	if r.AnchorDate != nil {
		t.AnchorDate = dealercrm.DateOf(*r.AnchorDate)
	}
	t.Attempts = r.Attempts
	if r.AppointmentDate != nil {
		t.AppointmentDate = dealercrm.DateOf(*r.AppointmentDate)
	}
	t.Stage = lifecycle.Stage(r.Stage)
	if r.LastVisit != nil {
		t.LastVisit = dealercrm.DateOf(*r.LastVisit)
	}
	return t
}

func (ts taskStore) from() string { return ts.s.cfg.table(TableLifecycleTasks) + " AS t" }

func (ts taskStore) get(ctx context.Context, db bun.IDB, dealer crm.DealerID, where string, arg any, lock bool) (lifecycle.Task, error) {
	var row taskRow
	q := db.NewSelect().Model(&row).ModelTableExpr(ts.from()).Where("t.dealer_id = ?", string(dealer)).Where(where, arg)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		err = translate("lifecycle task", err)
		if dealercrm.ErrorCode(err) == dealercrm.NotFound {
			return lifecycle.Task{}, fmt.Errorf("task %v: %w", arg, lifecycle.ErrTaskNotFound)
		}
		return lifecycle.Task{}, err
	}
	return toTask(&row), nil
}

// Get returns a task, or lifecycle.ErrTaskNotFound.
func (ts taskStore) Get(ctx context.Context, dealer crm.DealerID, id lifecycle.TaskID) (lifecycle.Task, error) {
	return ts.get(ctx, ts.s.db, dealer, "t.id = ?", string(id), false)
}

// GetByKey returns the task with key, or lifecycle.ErrTaskNotFound.
func (ts taskStore) GetByKey(ctx context.Context, dealer crm.DealerID, key string) (lifecycle.Task, error) {
	return ts.get(ctx, ts.s.db, dealer, "t.task_key = ?", key, false)
}

// List returns tasks in ID order, a page at a time.
func (ts taskStore) List(ctx context.Context, dealer crm.DealerID, f lifecycle.TaskFilter) (_ crm.Page[lifecycle.Task], err error) {
	ctx, span := startOp(ctx, "lifecycle_tasks", "List", dealer)
	defer func() { endOp(span, err) }()
	return listTasks(ctx, ts, taskListColumns, "", dealer, f, newTaskScanner().scan,
		func(t lifecycle.Task) string { return string(t.ID) })
}

// listTasks reads a page of tasks in ID order: the columns cols of
// ts.from() and the joins (each " LEFT JOIN …", without arguments) with
// the conditions of f, each row read with scan. It is one statement,
// planned for its values each time: a page's plan depends on them (how
// many tasks are due, where the cursor is), and a prepared statement's
// generic plan, made without them, read every due task and sorted them
// (docs/benchmarks.md, "The call list, sixth pass").
func listTasks[T any](ctx context.Context, ts taskStore, cols, joins string, dealer crm.DealerID, f lifecycle.TaskFilter,
	scan func(*sql.Rows) (T, error), id func(T) string) (crm.Page[T], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[T]{}, err
	}
	size := f.Size()
	where, args := taskConds(dealer, f)
	if after != "" {
		where += " AND t.id > ?"
		args = append(args, after)
	}
	q := "SELECT " + cols + " FROM " + ts.from() + joins + " WHERE " + where + " ORDER BY t.id LIMIT " + strconv.Itoa(size+1)
	rows, err := ts.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return crm.Page[T]{}, translate("list lifecycle tasks", err)
	}
	defer rows.Close()
	items := make([]T, 0, size+1)
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return crm.Page[T]{}, translate("list lifecycle tasks", err)
		}
		items = append(items, t)
	}
	if err := rows.Err(); err != nil {
		return crm.Page[T]{}, translate("list lifecycle tasks", err)
	}
	return crm.NewPage(items, size, id), nil
}

// taskListColumns are the columns of taskRow in the order taskScanner reads
// them.
const taskListColumns = "t.dealer_id, t.id, t.task_key, t.kind, t.vehicle_id, t.customer_id, t.lead_id, t.anchor_date, t.due, t.window_end, " +
	"t.channel, t.purpose, t.owner_role, t.assignee_id, t.excluded_staff_id, t.reason, t.pinned, t.status, t.status_reason, " +
	"t.reason_code, t.reason_params, t.status_reason_code, t.status_reason_params, t.outcome, t.note, t.interaction_id, " +
	"t.version, t.created_at, t.updated_at, t.attempts, t.appointment_date, t.stage, t.last_visit"

// taskScanner reads rows of taskListColumns, followed by the columns of
// extra, into one taskRow it reuses: List scans its rows by hand rather
// than through bun's reflection (a fifth of the call list's CPU,
// BenchmarkCallList), and without a destination list per row.
type taskScanner struct {
	r                                    taskRow
	anchor, due, end, appointment, visit sqlDate
	dest                                 []any
}

// newTaskScanner returns a taskScanner of rows with the extra columns
// scanned into extra.
func newTaskScanner(extra ...any) *taskScanner {
	s := &taskScanner{}
	r := &s.r
	s.dest = append([]any{&r.DealerID, &r.ID, &r.Key, &r.Kind, &r.VehicleID, &r.CustomerID, &r.LeadID, &s.anchor, &s.due, &s.end,
		&r.Channel, &r.Purpose, &r.OwnerRole, &r.AssigneeID, &r.ExcludedStaffID, &r.Reason, &r.Pinned, &r.Status, &r.StatusReason,
		&r.ReasonCode, &r.ReasonParams, &r.StatusReasonCode, &r.StatusReasonParams, &r.Outcome, &r.Note, &r.InteractionID,
		&r.Version, &r.CreatedAt, &r.UpdatedAt, &r.Attempts, &s.appointment, &r.Stage, &s.visit}, extra...)
	return s
}

// scan reads the current row: toTask's result for it.
func (s *taskScanner) scan(rows *sql.Rows) (lifecycle.Task, error) {
	s.r = taskRow{}
	if err := rows.Scan(s.dest...); err != nil {
		return lifecycle.Task{}, err
	}
	t := toTask(&s.r)
	t.AnchorDate, t.Due, t.WindowEnd, t.AppointmentDate, t.LastVisit = s.anchor.date(), s.due.date(), s.end.date(), s.appointment.date(), s.visit.date()
	return t, nil
}

// taskConds returns the conditions of f (but not its page), the SQL of
// lifecycle.TaskFilter.Match, with their arguments (bun's ?
// placeholders), a list as one text array.
func taskConds(dealer crm.DealerID, f lifecycle.TaskFilter) (string, []any) {
	var b strings.Builder
	b.WriteString("t.dealer_id = ?")
	args := []any{string(dealer)}
	cond := func(c string, arg any) {
		b.WriteString(" AND " + c)
		if arg != nil {
			args = append(args, arg)
		}
	}
	eq := func(col, v string) {
		if v != "" {
			cond(col+" = ?", v)
		}
	}
	in := func(col string, vs []string) {
		if len(vs) > 0 {
			cond(col+" = ANY (?::text[])", textArray(vs))
		}
	}
	eq("t.vehicle_id", string(f.VehicleID))
	eq("t.customer_id", string(f.CustomerID))
	in("t.status", strs(f.Statuses))
	in("t.kind", strs(f.Kinds))
	in("t.channel", strs(f.Channels))
	in("t.customer_id", strs(f.CustomerIDs))
	eq("t.owner_role", string(f.OwnerRole))
	eq("t.assignee_id", string(f.AssigneeID))
	if !f.Due.From.IsZero() {
		cond("t.due >= ?::date", f.Due.From.String())
	}
	eq("t.lead_id", string(f.LeadID))
	if f.HasLead {
		cond("t.lead_id <> ''", nil)
	}
	if !f.Due.To.IsZero() {
		cond("t.due <= ?::date", f.Due.To.String())
	}
	return b.String(), args
}

// strs converts a list of typed strings.
func strs[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

// ListCustomers returns the customers with tasks matching f, in ID order:
// a DISTINCT over the customer index.
func (ts taskStore) ListCustomers(ctx context.Context, dealer crm.DealerID, f lifecycle.TaskFilter) (crm.Page[crm.CustomerID], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[crm.CustomerID]{}, err
	}
	size := f.Size()
	var ids []string
	where, args := taskConds(dealer, f)
	q := ts.s.db.NewSelect().ModelTableExpr(ts.from()).ColumnExpr("DISTINCT t.customer_id").Where(where, args...).
		Where("t.customer_id > ?", after)
	if err := q.OrderExpr("t.customer_id").Limit(int64(size+1)).Scan(ctx, &ids); err != nil {
		return crm.Page[crm.CustomerID]{}, translate("list lifecycle task customers", err)
	}
	out := make([]crm.CustomerID, len(ids))
	for i, id := range ids {
		out[i] = crm.CustomerID(id)
	}
	return crm.NewPage(out, size, func(id crm.CustomerID) string { return string(id) }), nil
}

// applyBatch is the number of rows per UPDATE statement of Apply.
const applyBatch = 1000

// taskCodec encodes the tasks Apply creates as one array per column, as
// Upsert sends records (encodeArrays): bun's VALUES list of 1,000 rows
// cost Postgres and the formatter more per task.
var taskCodec = newRowCodec[taskRow]()

// Apply creates and replaces tasks in one transaction, without a failing
// statement for a normal conflict: creations are inserted with ON
// CONFLICT DO NOTHING and the IDs RETURNING gives are the ones written;
// replacements are locked in ID order (concurrent runs then never
// deadlock: creations, too, go in key order) and updated WHERE the
// version is still the one read, RETURNING the IDs written.
func (ts taskStore) Apply(ctx context.Context, dealer crm.DealerID, create, replace []lifecycle.Task) (_ []lifecycle.Task, err error) {
	ctx, span := startOp(ctx, "lifecycle_tasks", "Apply", dealer)
	defer func() { endOp(span, err) }()
	rows := func(in []lifecycle.Task) ([]taskRow, error) {
		out := make([]taskRow, len(in))
		for i := range in {
			t := in[i]
			if t.DealerID == "" {
				t.DealerID = dealer
			}
			if t.DealerID != dealer {
				return nil, fmt.Errorf("task %s belongs to dealer %s, not %s: %w", t.ID, t.DealerID, dealer, crm.ErrConflict)
			}
			if err := t.Validate(); err != nil {
				return nil, err
			}
			out[i] = fromTask(&t)
		}
		return out, nil
	}
	cr, err := rows(create)
	if err != nil {
		return nil, err
	}
	rp, err := rows(replace)
	if err != nil {
		return nil, err
	}
	if len(cr) == 0 && len(rp) == 0 {
		return nil, nil
	}
	for i := range cr {
		cr[i].Version = 1
	}
	slices.SortFunc(cr, func(a, b taskRow) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(rp, func(a, b taskRow) int { return strings.Compare(a.ID, b.ID) })
	table := ts.s.cfg.table(TableLifecycleTasks)
	written := make(map[string]bool, len(cr)+len(rp))
	// The events of the tasks written (lifecycle.TaskEvents), unless the
	// store drops them: a replacement's need the due date and status it
	// replaces, which the row lock taken before the UPDATE reads.
	events := !ts.s.cfg.noEvents
	var byID map[lifecycle.TaskID]*lifecycle.Task
	if events {
		byID = make(map[lifecycle.TaskID]*lifecycle.Task, len(create)+len(replace))
		for _, in := range [][]lifecycle.Task{create, replace} {
			for i := range in {
				byID[in[i].ID] = &in[i]
			}
		}
	}
	taskOf := func(id string) lifecycle.Task {
		t := *byID[lifecycle.TaskID(id)]
		t.DealerID = dealer
		return t
	}
	err = ts.s.writeEvents(ctx, func(ctx context.Context, db bun.IDB) ([]crm.Event, error) {
		clear(written)
		var evs []crm.Event
		buf := getBuf()
		defer func() { putBuf(buf) }()
		for i := 0; i < len(cr); i += upsertChunk {
			chunk := cr[i:min(i+upsertChunk, len(cr))]
			args, single, b, err := encodeArrays(taskCodec, buf, chunk, i)
			buf = b
			if err != nil {
				return nil, dealercrm.Errorf(dealercrm.Invalid, "lifecycle tasks: cannot be stored: %v", err)
			}
			err = eachRow(ctx, db, "INSERT INTO "+table+" ("+taskCodec.names()+") "+taskCodec.selectFrom(single)+" ON CONFLICT DO NOTHING RETURNING id",
				args, func(rows rowScanner) error {
					var id string
					if err := rows.Scan(&id); err != nil {
						return err
					}
					written[id] = true
					if events {
						evs = append(evs, lifecycle.TaskEvents(nil, taskOf(id), time.Time{})...)
					}
					return nil
				})
			if err != nil {
				return nil, translate("create lifecycle tasks", err)
			}
		}
		for i := 0; i < len(rp); i += applyBatch {
			chunk := rp[i:min(i+applyBatch, len(rp))]
			ids := make([]string, len(chunk))
			for j := range chunk {
				ids[j] = chunk[j].ID
			}
			// The stored due date and status of each task, as of the lock
			// that holds them until COMMIT.
			old := make(map[string]lifecycle.Task, len(chunk))
			rows, err := db.NewSelect().ModelTableExpr(ts.from()).ColumnExpr("t.id, t.due, t.status").Where("t.dealer_id = ?", string(dealer)).
				Where("t.id IN (?)", bun.List(ids)).OrderExpr("t.id").For("UPDATE").Rows(ctx)
			if err != nil {
				return nil, translate("lock lifecycle tasks", err)
			}
			for rows.Next() {
				var id, status string
				var due sqlDate
				if err := rows.Scan(&id, &due, &status); err != nil {
					rows.Close()
					return nil, translate("lock lifecycle tasks", err)
				}
				old[id] = lifecycle.Task{Due: dealercrm.Date(due), Status: lifecycle.Status(status)}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, translate("lock lifecycle tasks", err)
			}
			ids = ids[:0]
			if _, err := db.NewUpdate().With("_data", db.NewValues(&chunk)).Model(&chunk).ModelTableExpr(table+" AS t").
				TableExpr("_data").
				Set(taskColumnsSet).
				Set("version = t.version + 1").
				Where("t.dealer_id = ?", string(dealer)).
				Where("t.dealer_id = _data.dealer_id AND t.id = _data.id AND t.task_key = _data.task_key AND t.version = _data.version").
				Returning("t.id").Exec(ctx, &ids); err != nil {
				return nil, translate("replace lifecycle tasks", err)
			}
			for _, id := range ids {
				written[id] = true
				if events {
					o := old[id]
					evs = append(evs, lifecycle.TaskEvents(&o, taskOf(id), time.Time{})...)
				}
			}
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	var lost []lifecycle.Task
	for _, in := range [][]lifecycle.Task{create, replace} {
		for _, t := range in {
			if !written[string(t.ID)] {
				lost = append(lost, t)
			}
		}
	}
	return lost, nil
}

// Update applies fn to a task locked with SELECT … FOR UPDATE.
func (ts taskStore) Update(ctx context.Context, dealer crm.DealerID, id lifecycle.TaskID, fn func(*lifecycle.Task) error) (lifecycle.Task, error) {
	var out lifecycle.Task
	err := ts.s.writeEvents(ctx, func(ctx context.Context, db bun.IDB) ([]crm.Event, error) {
		old, err := ts.get(ctx, db, dealer, "t.id = ?", string(id), true)
		if err != nil {
			return nil, err
		}
		v := old
		if err := fn(&v); err != nil {
			return nil, err
		}
		v.ID, v.DealerID, v.Key, v.CreatedAt, v.Version = old.ID, old.DealerID, old.Key, old.CreatedAt, old.Version+1
		if err := v.Validate(); err != nil {
			return nil, err
		}
		evs := lifecycle.TaskEvents(&old, v, v.UpdatedAt)
		row := fromTask(&v)
		if _, err := db.NewUpdate().Model(&row).ModelTableExpr(ts.s.cfg.table(TableLifecycleTasks) + " AS t").WherePK().Exec(ctx); err != nil {
			return nil, translate("update lifecycle task", err)
		}
		out = v
		return evs, nil
	})
	return out, err
}

// UpdateMany applies fn to several tasks in one transaction, all or
// nothing: it locks them in ID order with one SELECT … FOR UPDATE (as
// Apply does, so concurrent bulk changes never deadlock) and writes each
// back.
func (ts taskStore) UpdateMany(ctx context.Context, dealer crm.DealerID, ids []lifecycle.TaskID, fn func(*lifecycle.Task) error) (_ []lifecycle.Task, err error) {
	ctx, span := startOp(ctx, "lifecycle_tasks", "UpdateMany", dealer)
	defer func() { endOp(span, err) }()
	if err := lifecycle.CheckTaskIDs(ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	table := ts.s.cfg.table(TableLifecycleTasks)
	var out []lifecycle.Task
	err = ts.s.writeEvents(ctx, func(ctx context.Context, db bun.IDB) ([]crm.Event, error) {
		var rows []taskRow
		if err := db.NewSelect().Model(&rows).ModelTableExpr(ts.from()).Where("t.dealer_id = ?", string(dealer)).
			Where("t.id IN (?)", bun.List(strs(ids))).OrderExpr("t.id").For("UPDATE").Scan(ctx); err != nil {
			return nil, translate("lock lifecycle tasks", err)
		}
		byID := make(map[lifecycle.TaskID]lifecycle.Task, len(rows))
		for i := range rows {
			t := toTask(&rows[i])
			byID[t.ID] = t
		}
		out = make([]lifecycle.Task, len(ids))
		changed := make([]taskRow, len(ids))
		var evs []crm.Event
		for i, id := range ids {
			old, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("task %s: %w", id, lifecycle.ErrTaskNotFound)
			}
			v := old
			if err := fn(&v); err != nil {
				return nil, fmt.Errorf("task %s: %w", id, err)
			}
			v.ID, v.DealerID, v.Key, v.CreatedAt, v.Version = old.ID, old.DealerID, old.Key, old.CreatedAt, old.Version+1
			if err := v.Validate(); err != nil {
				return nil, fmt.Errorf("task %s: %w", id, err)
			}
			out[i], changed[i] = v, fromTask(&v)
			evs = append(evs, lifecycle.TaskEvents(&old, v, v.UpdatedAt)...)
		}
		if _, err := db.NewUpdate().With("_data", db.NewValues(&changed)).Model(&changed).ModelTableExpr(table+" AS t").
			TableExpr("_data").
			Set(taskColumnsSet).
			Set("version = _data.version").
			Where("t.dealer_id = ?", string(dealer)).
			Where("t.dealer_id = _data.dealer_id AND t.id = _data.id").
			Exec(ctx); err != nil {
			return nil, translate("update lifecycle tasks", err)
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EraseCustomer erases the customer's tasks in one transaction: it locks
// them in ID order (as Apply does), applies lifecycle.Task.Erase in Go
// and writes back the tasks it changed, their version one up; then it
// counts the erasure with an upsert of its lifecycle_erasures row. No
// statement fails on a normal conflict, and none carries personal data.
func (ts taskStore) EraseCustomer(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, vehicles []crm.VehicleID, at time.Time) (int, error) {
	if customer == "" {
		return 0, dealercrm.Errorf(dealercrm.Invalid, "erase tasks: a customer is required")
	}
	var vs []string
	for _, v := range vehicles {
		if v != "" {
			vs = append(vs, string(v))
		}
	}
	at = at.UTC()
	table := ts.s.cfg.table(TableLifecycleTasks)
	cancelled := 0
	err := ts.s.writeEvents(ctx, func(ctx context.Context, db bun.IDB) ([]crm.Event, error) {
		cancelled = 0
		var evs []crm.Event
		var rows []taskRow
		q := db.NewSelect().Model(&rows).ModelTableExpr(ts.from()).Where("t.dealer_id = ?", string(dealer))
		if len(vs) > 0 {
			q = q.Where("(t.customer_id = ? OR (t.customer_id = '' AND t.vehicle_id IN (?)))", string(customer), bun.List(vs))
		} else {
			q = q.Where("t.customer_id = ?", string(customer))
		}
		if err := q.OrderExpr("t.id").For("UPDATE").Scan(ctx); err != nil {
			return nil, translate("erase lifecycle tasks", err)
		}
		var changed []taskRow
		var deleted []string
		for i := range rows {
			t := toTask(&rows[i])
			active := t.Status.Active()
			if t.DatesArePersonal() {
				if active {
					cancelled++
				}
				deleted = append(deleted, string(t.ID))
				evs = append(evs, lifecycle.DeletedTaskEvents(t, at)...)
				continue
			}
			old := t
			if t.Erase(at) {
				if active {
					cancelled++
				}
				changed = append(changed, fromTask(&t))
				evs = append(evs, lifecycle.TaskEvents(&old, t, at)...)
			}
		}
		for i := 0; i < len(changed); i += applyBatch {
			chunk := changed[i:min(i+applyBatch, len(changed))]
			if _, err := db.NewUpdate().With("_data", db.NewValues(&chunk)).Model(&chunk).ModelTableExpr(table+" AS t").
				TableExpr("_data").
				Set("reason = _data.reason, status = _data.status, status_reason = _data.status_reason, note = _data.note").
				Set("reason_code = _data.reason_code, reason_params = _data.reason_params::jsonb").
				Set("status_reason_code = _data.status_reason_code, status_reason_params = _data.status_reason_params::jsonb").
				Set("updated_at = _data.updated_at, version = t.version + 1").
				Where("t.dealer_id = ?", string(dealer)).
				Where("t.dealer_id = _data.dealer_id AND t.id = _data.id").
				Exec(ctx); err != nil {
				return nil, translate("erase lifecycle tasks", err)
			}
		}
		if len(deleted) > 0 {
			if _, err := db.NewDelete().ModelTableExpr(table+" AS t").
				Where("t.dealer_id = ?", string(dealer)).Where("t.id IN (?)", bun.List(deleted)).
				Exec(ctx); err != nil {
				return nil, translate("erase lifecycle tasks", err)
			}
		}
		erasures := ts.s.cfg.table(TableLifecycleErasures)
		if _, err := db.ExecContext(ctx, "INSERT INTO "+erasures+" AS e (dealer_id, customer_id, erasures, erased_at) VALUES (?, ?, 1, ?)"+
			" ON CONFLICT (dealer_id, customer_id) DO UPDATE SET erasures = e.erasures + 1, erased_at = EXCLUDED.erased_at",
			string(dealer), string(customer), at); err != nil {
			return nil, translate("record lifecycle erasure", err)
		}
		return evs, nil
	})
	if err != nil {
		return 0, err
	}
	return cancelled, nil
}

// Erasures returns the dealer's erasures in customer ID order.
func (ts taskStore) Erasures(ctx context.Context, dealer crm.DealerID) (_ []lifecycle.Erasure, err error) {
	ctx, span := startOp(ctx, "lifecycle_tasks", "Erasures", dealer)
	defer func() { endOp(span, err) }()
	rows, err := ts.s.db.QueryContext(ctx, "SELECT customer_id, erasures, erased_at FROM "+ts.s.cfg.table(TableLifecycleErasures)+
		" WHERE dealer_id = ? ORDER BY customer_id", string(dealer))
	if err != nil {
		return nil, translate("lifecycle erasures", err)
	}
	defer rows.Close()
	var out []lifecycle.Erasure
	for rows.Next() {
		var e lifecycle.Erasure
		var c string
		if err := rows.Scan(&c, &e.Count, &e.At); err != nil {
			return nil, translate("lifecycle erasures", err)
		}
		e.CustomerID, e.At = crm.CustomerID(c), e.At.UTC()
		out = append(out, e)
	}
	return out, translate("lifecycle erasures", rows.Err())
}

// paramsDoc returns message parameters as a jsonb object; "{}" for none.
func paramsDoc(p map[string]string) jsonDoc {
	if len(p) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(p) // a map of strings always marshals
	return jsonDoc(b)
}

// toParams returns the message parameters of a jsonb object; nil for
// none. The column holds what paramsDoc wrote: an object of strings.
// Postgres prints it as {"k": "v", …}; such text without escapes is split
// by plainParams, the rest decoded by encoding/json (which, by
// reflection, was a seventh of a call-list page's CPU: every task has
// its reason's parameters).
func toParams(d jsonDoc) map[string]string {
	if d == "" || d == "{}" {
		return nil
	}
	p, ok := plainParams(string(d))
	if !ok {
		p = nil
		if err := json.Unmarshal([]byte(d), &p); err != nil {
			return nil
		}
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// plainParams parses a JSON object whose keys and values are strings
// without escapes, control characters or invalid UTF-8, as encoding/json
// would; ok is false for any other text (FuzzPlainParams).
func plainParams(s string) (p map[string]string, ok bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' || strings.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	s = s[1 : len(s)-1]
	p = make(map[string]string, strings.Count(s, ",")+1)
	for {
		k, rest, ok := plainString(s)
		if !ok {
			return nil, false
		}
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" || rest[0] != ':' {
			return nil, false
		}
		v, rest, ok := plainString(rest[1:])
		if !ok {
			return nil, false
		}
		p[k] = v
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			return p, true
		}
		if rest[0] != ',' {
			return nil, false
		}
		s = rest[1:]
	}
}

// plainString reads a JSON string without escapes after optional white
// space: its text and what follows it.
func plainString(s string) (v, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	if s == "" || s[0] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", "", false
	}
	v = s[1 : 1+end]
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 {
			return "", "", false
		}
	}
	if !utf8.ValidString(v) {
		return "", "", false
	}
	return v, s[2+end:], true
}
