package postgres

import (
	"context"
	"database/sql"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/uptrace/bun"
)

// The Store reads the records of a page of the call list in one query per
// table (the lifecycle.CallFactSource capability) instead of a Get per
// task: GET /v1/tasks shows 50 tasks a page with their customers,
// vehicles and service orders (docs/benchmarks.md, issue 14).
var _ lifecycle.CallFactSource = (*Store)(nil)

// CallFacts implements lifecycle.CallFactSource: the customers (ID, name,
// mobile), the vehicles (what LifecycleFacts reads, and the plate), the
// service orders of those vehicles (what a stage and a last visit read:
// dates, odometer, kind and payer — not the amounts, advisor or
// complaint flag) and the customers with an open add or replacement
// lead, each list in ID order. Unknown IDs are left out.
func (s *Store) CallFacts(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID, vehicles []crm.VehicleID) (lifecycle.Facts, error) {
	var f lifecycle.Facts
	t := s.cfg.table
	d := string(dealer)
	cs, vs := bun.In(strs(customers)), bun.In(strs(vehicles))
	if len(customers) > 0 {
		err := s.eachOf(ctx, `SELECT id, name, mobile FROM `+t(TableCustomers)+` WHERE dealer_id = ? AND id IN (?) ORDER BY id`,
			func(rows *sql.Rows) error {
				c := crm.Customer{Record: crm.Record{DealerID: dealer}}
				f.Customers = append(f.Customers, c)
				x := &f.Customers[len(f.Customers)-1]
				return rows.Scan(&x.ID, &x.Name, &x.Mobile)
			}, d, cs)
		if err != nil {
			return f, translate("call list: customers", err)
		}
		err = s.eachOf(ctx, `SELECT DISTINCT customer_id FROM `+t(TableLeads)+`
			WHERE dealer_id = ? AND customer_id IN (?) AND status = '`+string(crm.LeadOpen)+`'
			AND purchase IN ('`+string(crm.AddPurchase)+`', '`+string(crm.ReplacementPurchase)+`') ORDER BY 1`,
			func(rows *sql.Rows) error {
				var c crm.CustomerID
				err := rows.Scan(&c)
				f.Repurchase = append(f.Repurchase, c)
				return err
			}, d, cs)
		if err != nil {
			return f, translate("call list: leads", err)
		}
	}
	if len(vehicles) == 0 {
		return f, nil
	}
	err := s.eachOf(ctx, `SELECT id, vin, plate, brand, model, coalesce(owner_id, ''), delivery_date, registration_date, odometer::text
		FROM `+t(TableVehicles)+` WHERE dealer_id = ? AND id IN (?) ORDER BY id`, func(rows *sql.Rows) error {
		v := crm.Vehicle{Record: crm.Record{DealerID: dealer}}
		var delivery, registration sqlDate
		var odometer jsonDoc
		if err := rows.Scan(&v.ID, &v.VIN, &v.Plate, &v.Brand, &v.Model, &v.OwnerID, &delivery, &registration, &odometer); err != nil {
			return err
		}
		v.DeliveryDate, v.RegistrationDate = delivery.date(), registration.date()
		var err error
		v.Odometer, err = unmarshalList(odometer, toOdometer)
		f.Vehicles = append(f.Vehicles, v)
		return err
	}, d, vs)
	if err != nil {
		return f, translate("call list: vehicles", err)
	}
	err = s.eachOf(ctx, `SELECT id, vehicle_id, "date", closed_date, odometer_km, kind, payer
		FROM `+t(TableServiceOrders)+` WHERE dealer_id = ? AND vehicle_id IN (?) ORDER BY id`, func(rows *sql.Rows) error {
		o := crm.ServiceOrder{Record: crm.Record{DealerID: dealer}}
		var date, closed sqlDate
		if err := rows.Scan(&o.ID, &o.VehicleID, &date, &closed, &o.OdometerKM, &o.Kind, &o.Payer); err != nil {
			return err
		}
		o.Date, o.ClosedDate = date.date(), closed.date()
		f.Orders = append(f.Orders, o)
		return nil
	}, d, vs)
	if err != nil {
		return f, translate("call list: service orders", err)
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
