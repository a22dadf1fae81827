package postgres

import (
	"context"
	"database/sql"
	"strings"

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
// lead, each list in ID order (the orders by vehicle, then ID). Unknown
// IDs are left out.
//
// It is one statement, one round trip: the customers' rows (part 0) and
// the vehicles' rows joined with their orders (part 1) as a UNION ALL of
// one column list. Round trips dominate the call list's time on a loaded
// machine (BenchmarkCallList; two statements one after the other cost a
// round trip more, and at once they only queued for the pool's
// connections).
func (s *Store) CallFacts(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID, vehicles []crm.VehicleID) (lifecycle.Facts, error) {
	var f lifecycle.Facts
	t := s.cfg.table
	d := string(dealer)
	var parts []string
	var args []any
	if len(customers) > 0 {
		// The open add or replacement lead rides along as an EXISTS on the
		// leads' customer index.
		parts = append(parts, `SELECT 0 AS part, c.id, c.name, c.mobile, EXISTS (SELECT 1 FROM `+t(TableLeads)+` l
			WHERE l.dealer_id = c.dealer_id AND l.customer_id = c.id AND l.status = '`+string(crm.LeadOpen)+`'
			AND l.purchase IN ('`+string(crm.AddPurchase)+`', '`+string(crm.ReplacementPurchase)+`')) AS repurchase,
			NULL::text AS vin, NULL::text AS plate, NULL::text AS brand, NULL::text AS model, NULL::text AS owner_id,
			NULL::date AS delivery_date, NULL::date AS registration_date, NULL::text AS odometer,
			NULL::text COLLATE "C" AS order_id, NULL::date AS order_date, NULL::date AS closed_date, NULL::bigint AS odometer_km,
			NULL::text AS kind, NULL::text AS payer
			FROM `+t(TableCustomers)+` c WHERE c.dealer_id = ? AND c.id IN (?)`)
		args = append(args, d, bun.List(strs(customers)))
	}
	if len(vehicles) > 0 {
		// A row per order (a vehicle without one has a row of NULLs), the
		// vehicle's columns read on its first row, which alone carries the
		// odometer readings; they are decoded once the rows are closed, so
		// that the connection goes back to the pool sooner.
		parts = append(parts, `SELECT 1 AS part, v.id, NULL, NULL, false, v.vin, v.plate, v.brand, v.model, coalesce(v.owner_id, ''),
			v.delivery_date, v.registration_date,
			CASE WHEN o.id IS NULL OR o.id = min(o.id) OVER (PARTITION BY v.id) THEN v.odometer::text ELSE '' END,
			o.id AS order_id, o."date", o.closed_date, o.odometer_km, o.kind, o.payer
			FROM `+t(TableVehicles)+` v LEFT JOIN `+t(TableServiceOrders)+` o ON o.dealer_id = v.dealer_id AND o.vehicle_id = v.id
			WHERE v.dealer_id = ? AND v.id IN (?)`)
		args = append(args, d, bun.List(strs(vehicles)))
	}
	if len(parts) == 0 {
		return f, nil
	}
	q := strings.Join(parts, "\nUNION ALL\n") + "\nORDER BY part, id, order_id"
	var odometers []jsonDoc
	err := s.eachOf(ctx, q, func(rows *sql.Rows) error {
		var part int
		var id string
		var name, mobile, vin, plate, brand, model, owner, odometer, oid, kind, payer sql.NullString
		var repurchase bool
		var delivery, registration, date, closed sqlDate
		var km sql.NullInt64
		if err := rows.Scan(&part, &id, &name, &mobile, &repurchase, &vin, &plate, &brand, &model, &owner, &delivery, &registration, &odometer,
			&oid, &date, &closed, &km, &kind, &payer); err != nil {
			return err
		}
		if part == 0 {
			f.Customers = append(f.Customers, crm.Customer{ID: crm.CustomerID(id), Record: crm.Record{DealerID: dealer}, Name: name.String, Mobile: mobile.String})
			if repurchase {
				f.Repurchase = append(f.Repurchase, crm.CustomerID(id))
			}
			return nil
		}
		vid := crm.VehicleID(id)
		if n := len(f.Vehicles); n == 0 || f.Vehicles[n-1].ID != vid {
			f.Vehicles = append(f.Vehicles, crm.Vehicle{ID: vid, Record: crm.Record{DealerID: dealer}, VIN: vin.String, Plate: plate.String,
				Brand: brand.String, Model: model.String, OwnerID: crm.CustomerID(owner.String),
				DeliveryDate: delivery.date(), RegistrationDate: registration.date()})
			odometers = append(odometers, jsonDoc(odometer.String))
		}
		if oid.Valid {
			f.Orders = append(f.Orders, crm.ServiceOrder{ID: crm.ServiceOrderID(oid.String), Record: crm.Record{DealerID: dealer}, VehicleID: vid,
				Date: date.date(), ClosedDate: closed.date(), OdometerKM: km.Int64, Kind: crm.ServiceKind(kind.String), Payer: crm.Payer(payer.String)})
		}
		return nil
	}, args...)
	if err != nil {
		return f, translate("call list: facts", err)
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
