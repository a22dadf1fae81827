package postgres

import (
	"context"
	"database/sql"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
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
// lead, each list in ID order (the orders by vehicle, then ID). Unknown
// IDs are left out.
func (s *Store) CallFacts(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID, vehicles []crm.VehicleID) (lifecycle.Facts, error) {
	var f lifecycle.Facts
	d := string(dealer)
	cs, vs := bun.List(strs(customers)), bun.List(strs(vehicles))
	// Two statements, one after the other: reading them at once on the
	// pool only queued them for its connections under load (BenchmarkCallList).
	people, err := s.callCustomers(ctx, dealer, d, cs, len(customers))
	if err != nil {
		return f, err
	}
	cars, err := s.callVehicles(ctx, dealer, d, vs, len(vehicles))
	if err != nil {
		return f, err
	}
	f.Customers, f.Repurchase, f.Vehicles, f.Orders = people.Customers, people.Repurchase, cars.Vehicles, cars.Orders
	return f, nil
}

// callCustomers reads the customers of CallFacts and their open
// repurchase leads.
func (s *Store) callCustomers(ctx context.Context, dealer crm.DealerID, d string, cs schema.QueryAppender, n int) (lifecycle.Facts, error) {
	var f lifecycle.Facts
	t := s.cfg.table
	if n > 0 {
		// The open add or replacement lead rides along as an EXISTS on the
		// leads' customer index: one round trip fewer per page.
		err := s.eachOf(ctx, `SELECT c.id, c.name, c.mobile, EXISTS (SELECT 1 FROM `+t(TableLeads)+` l
			WHERE l.dealer_id = c.dealer_id AND l.customer_id = c.id AND l.status = '`+string(crm.LeadOpen)+`'
			AND l.purchase IN ('`+string(crm.AddPurchase)+`', '`+string(crm.ReplacementPurchase)+`'))
			FROM `+t(TableCustomers)+` c WHERE c.dealer_id = ? AND c.id IN (?) ORDER BY c.id`,
			func(rows *sql.Rows) error {
				c := crm.Customer{Record: crm.Record{DealerID: dealer}}
				var repurchase bool
				if err := rows.Scan(&c.ID, &c.Name, &c.Mobile, &repurchase); err != nil {
					return err
				}
				f.Customers = append(f.Customers, c)
				if repurchase {
					f.Repurchase = append(f.Repurchase, c.ID)
				}
				return nil
			}, d, cs)
		if err != nil {
			return f, translate("call list: customers", err)
		}
	}
	return f, nil
}

// callVehicles reads the vehicles of CallFacts and their service orders.
func (s *Store) callVehicles(ctx context.Context, dealer crm.DealerID, d string, vs schema.QueryAppender, n int) (lifecycle.Facts, error) {
	var f lifecycle.Facts
	t := s.cfg.table
	if n == 0 {
		return f, nil
	}
	// One round trip for the vehicles and their orders: a row per order
	// (a vehicle without one has a row of NULLs), the vehicle's columns
	// read on its first row, which alone carries the odometer readings;
	// they are decoded once the rows are closed, so that the connection
	// goes back to the pool sooner.
	var odometers []jsonDoc
	err := s.eachOf(ctx, `SELECT v.id, v.vin, v.plate, v.brand, v.model, coalesce(v.owner_id, ''), v.delivery_date, v.registration_date,
		CASE WHEN o.id IS NULL OR o.id = min(o.id) OVER (PARTITION BY v.id) THEN v.odometer::text ELSE '' END,
		o.id, o."date", o.closed_date, o.odometer_km, o.kind, o.payer
		FROM `+t(TableVehicles)+` v LEFT JOIN `+t(TableServiceOrders)+` o ON o.dealer_id = v.dealer_id AND o.vehicle_id = v.id
		WHERE v.dealer_id = ? AND v.id IN (?) ORDER BY v.id, o.id`, func(rows *sql.Rows) error {
		v := crm.Vehicle{Record: crm.Record{DealerID: dealer}}
		var delivery, registration, date, closed sqlDate
		var odometer jsonDoc
		var oid, kind, payer sql.NullString
		var km sql.NullInt64
		if err := rows.Scan(&v.ID, &v.VIN, &v.Plate, &v.Brand, &v.Model, &v.OwnerID, &delivery, &registration, &odometer,
			&oid, &date, &closed, &km, &kind, &payer); err != nil {
			return err
		}
		if n := len(f.Vehicles); n == 0 || f.Vehicles[n-1].ID != v.ID {
			v.DeliveryDate, v.RegistrationDate = delivery.date(), registration.date()
			f.Vehicles = append(f.Vehicles, v)
			odometers = append(odometers, odometer)
		}
		if oid.Valid {
			f.Orders = append(f.Orders, crm.ServiceOrder{ID: crm.ServiceOrderID(oid.String), Record: crm.Record{DealerID: dealer}, VehicleID: v.ID,
				Date: date.date(), ClosedDate: closed.date(), OdometerKM: km.Int64, Kind: crm.ServiceKind(kind.String), Payer: crm.Payer(payer.String)})
		}
		return nil
	}, d, vs)
	if err != nil {
		return f, translate("call list: vehicles", err)
	}
	for i := range f.Vehicles {
		if f.Vehicles[i].Odometer, err = unmarshalList(odometers[i], toOdometer); err != nil {
			return f, translate("call list: vehicles", err)
		}
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
