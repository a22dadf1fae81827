package postgres

import (
	"context"
	"database/sql"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/uptrace/bun"
)

// The Store reads the records of a page of the call list in one query
// (the lifecycle.CallFactSource capability) instead of a Get per task:
// GET /v1/tasks shows 50 tasks a page with their customers and vehicles
// (docs/benchmarks.md, issue 14).
var _ lifecycle.CallFactSource = (*Store)(nil)

// CallFacts implements lifecycle.CallFactSource: the customers (ID, name,
// mobile) and the vehicles (ID, VIN, plate, brand, model, owner), each list
// in ID order. Unknown IDs are left out.
//
// It is one statement, one round trip: the customers' rows (part 0) and
// the vehicles' (part 1) as a UNION ALL of one column list. Round trips
// dominate the call list's time on a loaded machine (BenchmarkCallList).
// No service order is read: the stage and the last visit are the task's
// (lifecycle.Task.Stage, Task.LastVisit, kept by the daily run).
func (s *Store) CallFacts(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID, vehicles []crm.VehicleID) (lifecycle.Facts, error) {
	var f lifecycle.Facts
	t := s.cfg.table
	d := string(dealer)
	var parts []string
	var args []any
	if len(customers) > 0 {
		parts = append(parts, `SELECT 0 AS part, c.id, c.name, c.mobile, NULL::text AS vin, NULL::text AS plate, NULL::text AS brand,
			NULL::text AS model, NULL::text AS owner_id
			FROM `+t(TableCustomers)+` c WHERE c.dealer_id = ? AND c.id IN (?)`)
		args = append(args, d, bun.List(strs(customers)))
	}
	if len(vehicles) > 0 {
		parts = append(parts, `SELECT 1 AS part, v.id, NULL, NULL, v.vin, v.plate, v.brand, v.model, coalesce(v.owner_id, '')
			FROM `+t(TableVehicles)+` v WHERE v.dealer_id = ? AND v.id IN (?)`)
		args = append(args, d, bun.List(strs(vehicles)))
	}
	if len(parts) == 0 {
		return f, nil
	}
	q := strings.Join(parts, "\nUNION ALL\n") + "\nORDER BY part, id"
	err := s.eachOf(ctx, q, func(rows *sql.Rows) error {
		var part int
		var id string
		var name, mobile, vin, plate, brand, model, owner sql.NullString
		if err := rows.Scan(&part, &id, &name, &mobile, &vin, &plate, &brand, &model, &owner); err != nil {
			return err
		}
		if part == 0 {
			f.Customers = append(f.Customers, crm.Customer{ID: crm.CustomerID(id), Record: crm.Record{DealerID: dealer}, Name: name.String, Mobile: mobile.String})
			return nil
		}
		f.Vehicles = append(f.Vehicles, crm.Vehicle{ID: crm.VehicleID(id), Record: crm.Record{DealerID: dealer}, VIN: vin.String, Plate: plate.String,
			Brand: brand.String, Model: model.String, OwnerID: crm.CustomerID(owner.String)})
		return nil
	}, args...)
	if err != nil {
		return f, translate("call list: facts", err)
	}
	return f, nil
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
