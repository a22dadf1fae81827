package postgres

import (
	"context"
	"database/sql"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// The task store reads a page of the call list with the customers' names
// and mobiles and the vehicles' plates and models in one statement (the
// lifecycle.CallPageSource capability): GET /v1/tasks shows 50 tasks a
// page (docs/benchmarks.md, issue 14).
var _ lifecycle.CallPageSource = taskStore{}

// CallPage implements lifecycle.CallPageSource: List's page of tasks, each
// row joined with its customer and its vehicle. It joins only the crm
// tables of its own Store: for any other crm store it reports false.
func (ts taskStore) CallPage(ctx context.Context, st crm.Store, dealer crm.DealerID, f lifecycle.TaskFilter) (crm.Page[lifecycle.CallItem], bool, error) {
	if own, ok := st.(*Store); !ok || own != ts.s {
		return crm.Page[lifecycle.CallItem]{}, false, nil
	}
	t := ts.s.cfg.table
	q := ts.s.db.NewSelect().ColumnExpr(taskListColumns + ", c.name, c.mobile, v.plate, v.model").TableExpr(ts.from()).
		Join("LEFT JOIN " + t(TableCustomers) + " AS c ON c.dealer_id = t.dealer_id AND c.id = t.customer_id").
		Join("LEFT JOIN " + t(TableVehicles) + " AS v ON v.dealer_id = t.dealer_id AND v.id = t.vehicle_id")
	var name, mobile, plate, model sql.NullString
	scanner := newTaskScanner(&name, &mobile, &plate, &model)
	p, err := listTasks(ctx, ts, q, dealer, f, func(rows *sql.Rows) (lifecycle.CallItem, error) {
		name, mobile, plate, model = sql.NullString{}, sql.NullString{}, sql.NullString{}, sql.NullString{}
		task, err := scanner.scan(rows)
		return lifecycle.CallItem{Task: task, CustomerName: name.String, Mobile: mobile.String, Plate: plate.String, Model: model.String}, err
	}, func(it lifecycle.CallItem) string { return string(it.ID) })
	return p, err == nil, err
}
