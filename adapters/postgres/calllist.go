package postgres

import (
	"context"
	"database/sql"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
)

// The task store reads a page of the call list with the customers' names
// and mobiles and the vehicles' plates and models in one statement (the
// lifecycle.CallPageSource capability): GET /v1/tasks shows 50 tasks a
// page (docs/benchmarks.md, issue 14).
var (
	_ lifecycle.CallPageSource       = taskStore{}
	_ lifecycle.CallPageLookupSource = taskStore{}
)

// CallPage implements lifecycle.CallPageSource: List's page of tasks, each
// row joined with its customer and its vehicle. It joins only the crm
// tables of its own Store: for any other crm store it reports false.
func (ts taskStore) CallPage(ctx context.Context, st crm.Store, dealer crm.DealerID, f lifecycle.TaskFilter) (crm.Page[lifecycle.CallItem], bool, error) {
	return ts.callPage(ctx, st, dealer, f, false)
}

// CallPageWithLookups implements lifecycle.CallPageLookupSource: CallPage
// with each row joined also with the customer's grading state (its grade,
// as GradingStore.GradesOf reads it) and active club membership (its
// tier, as loyalty.Service.MembershipsOf reads it), so that a page of the
// call list is one statement (docs/benchmarks.md, issue 14).
func (ts taskStore) CallPageWithLookups(ctx context.Context, st crm.Store, dealer crm.DealerID, f lifecycle.TaskFilter) (crm.Page[lifecycle.CallItem], bool, error) {
	return ts.callPage(ctx, st, dealer, f, true)
}

// callPage is CallPage, with the grades and tiers when lookups is set.
func (ts taskStore) callPage(ctx context.Context, st crm.Store, dealer crm.DealerID, f lifecycle.TaskFilter, lookups bool) (_ crm.Page[lifecycle.CallItem], _ bool, err error) {
	if own, ok := st.(*Store); !ok || own != ts.s {
		return crm.Page[lifecycle.CallItem]{}, false, nil
	}
	ctx, span := startOp(ctx, "lifecycle_tasks", "CallPage", dealer)
	defer func() { endOp(span, err) }()
	// Each joined record is a LATERAL subquery behind OFFSET 0, which
	// the planner cannot flatten into a join: a probe of its primary key
	// (or unique index) per task of the page, whatever the statistics
	// say. As plain joins, on analyzed tables, the planner spent 2 ms
	// choosing among their indexes and join orders (0.4 ms so), and the
	// generic plan of the prepared statement this page used to be hashed
	// whole tables (docs/benchmarks.md, "The call list, sixth pass").
	t := ts.s.cfg.table
	cols := taskListColumns + ", c.name, c.mobile, v.plate, v.model"
	joins := " LEFT JOIN LATERAL (SELECT name, mobile FROM " + t(TableCustomers) + " AS c" +
		" WHERE c.dealer_id = t.dealer_id AND c.id = t.customer_id OFFSET 0) AS c ON true" +
		" LEFT JOIN LATERAL (SELECT plate, model FROM " + t(TableVehicles) + " AS v" +
		" WHERE v.dealer_id = t.dealer_id AND v.id = t.vehicle_id OFFSET 0) AS v ON true"
	var name, mobile, plate, model, grade, tier sql.NullString
	extra := []any{&name, &mobile, &plate, &model}
	if lookups {
		cols += ", g.grade, m.tier"
		joins += " LEFT JOIN LATERAL (SELECT grade FROM " + t(TableGradingStates) + " AS g" +
			" WHERE g.dealer_id = t.dealer_id AND g.customer_id = t.customer_id OFFSET 0) AS g ON true" +
			" LEFT JOIN LATERAL (SELECT tier FROM " + t(TableLoyaltyMemberships) + " AS m" +
			" WHERE m.dealer_id = t.dealer_id AND m.customer_id = t.customer_id AND m.status = " +
			string(appendLiteral(nil, loyalty.StatusActive)) + " OFFSET 0) AS m ON true"
		extra = append(extra, &grade, &tier)
	}
	scanner := newTaskScanner(extra...)
	p, err := listTasks(ctx, ts, cols, joins, dealer, f, func(rows *sql.Rows) (lifecycle.CallItem, error) {
		name, mobile, plate, model, grade, tier = sql.NullString{}, sql.NullString{}, sql.NullString{}, sql.NullString{}, sql.NullString{}, sql.NullString{}
		task, err := scanner.scan(rows)
		return lifecycle.CallItem{Task: task, CustomerName: name.String, Mobile: mobile.String, Plate: plate.String, Model: model.String,
			Grade: grade.String, Tier: tier.String}, err
	}, func(it lifecycle.CallItem) string { return string(it.ID) })
	return p, err == nil, err
}
