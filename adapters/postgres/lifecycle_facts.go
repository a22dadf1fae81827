package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
)

// The Store loads the lifecycle plan's records in bulk (the
// lifecycle.FactSource capability): one query per table, only the
// columns the plan reads, scanned without reflection. Paging through the
// generic repositories spent 11.6 s of a 12.3 s daily run of 100,000
// vehicles decoding whole rows (docs/lifecycle.md).
var _ lifecycle.FactSource = (*Store)(nil)

// LifecycleFacts implements lifecycle.FactSource. The records hold the
// fields lifecycle.FactsOf reads: vehicles their ID, VIN, brand, model,
// owner, delivery and registration dates and odometer readings;
// customers their ID, name, birthday, consents and staff; service orders,
// policies and complaints what FactsOf copies. Each list is in ID order,
// as the repositories list them.
func (s *Store) LifecycleFacts(ctx context.Context, dealer crm.DealerID) (lifecycle.Facts, error) {
	var f lifecycle.Facts
	t := s.cfg.table
	d := string(dealer)
	// The lists are sized first: appending 100,000 service orders one by
	// one spent an eighth of a daily run copying them as the slice grew.
	var nv, nc, no int
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM `+t(TableVehicles)+` WHERE dealer_id = ?0),
		(SELECT count(*) FROM `+t(TableCustomers)+` WHERE dealer_id = ?0),
		(SELECT count(*) FROM `+t(TableServiceOrders)+` WHERE dealer_id = ?0 AND vehicle_id IS NOT NULL)`, d).Scan(&nv, &nc, &no)
	if err != nil {
		return f, translate("lifecycle facts: counts", err)
	}
	f.Vehicles, f.Customers, f.Orders = make([]crm.Vehicle, 0, nv), make([]crm.Customer, 0, nc), make([]crm.ServiceOrder, 0, no)
	err = s.each(ctx, `SELECT id, vin, brand, model, coalesce(owner_id, ''), delivery_date, registration_date, odometer::text
		FROM `+t(TableVehicles)+` WHERE dealer_id = ? ORDER BY id`, d, func(rows *sql.Rows) error {
		v := crm.Vehicle{Record: crm.Record{DealerID: dealer}}
		var delivery, registration sqlDate
		var odometer jsonDoc
		if err := rows.Scan(&v.ID, &v.VIN, &v.Brand, &v.Model, &v.OwnerID, &delivery, &registration, &odometer); err != nil {
			return err
		}
		v.DeliveryDate, v.RegistrationDate = delivery.date(), registration.date()
		var err error
		v.Odometer, err = unmarshalList(odometer, toOdometer)
		f.Vehicles = append(f.Vehicles, v)
		return err
	})
	if err != nil {
		return f, translate("lifecycle facts: vehicles", err)
	}
	err = s.each(ctx, `SELECT id, name, birthday, birthday_calendar, consents::text, coalesce(consultant_id, ''), coalesce(advisor_id, '')
		FROM `+t(TableCustomers)+` WHERE dealer_id = ? ORDER BY id`, d, func(rows *sql.Rows) error {
		c := crm.Customer{Record: crm.Record{DealerID: dealer}}
		var birthday sqlDate
		var consents jsonDoc
		if err := rows.Scan(&c.ID, &c.Name, &birthday, &c.BirthdayCalendar, &consents, &c.ConsultantID, &c.AdvisorID); err != nil {
			return err
		}
		c.Birthday = birthday.date()
		var err error
		c.Consents, err = parseConsents(consents)
		f.Customers = append(f.Customers, c)
		return err
	})
	if err != nil {
		return f, translate("lifecycle facts: customers", err)
	}
	err = s.each(ctx, `SELECT id, vehicle_id, "date", closed_date, odometer_km, kind, labour::text, parts::text, payer,
		coalesce(advisor_id, ''), complaint
		FROM `+t(TableServiceOrders)+` WHERE dealer_id = ? AND vehicle_id IS NOT NULL ORDER BY id`, d, func(rows *sql.Rows) error {
		o := crm.ServiceOrder{Record: crm.Record{DealerID: dealer}}
		var date, closed sqlDate
		var labour, parts string
		if err := rows.Scan(&o.ID, &o.VehicleID, &date, &closed, &o.OdometerKM, &o.Kind, &labour, &parts, &o.Payer, &o.AdvisorID, &o.Complaint); err != nil {
			return err
		}
		o.Date, o.ClosedDate = date.date(), closed.date()
		var err error
		if o.Labour, err = decimal.NewFromString(labour); err != nil {
			return err
		}
		if o.Parts, err = decimal.NewFromString(parts); err != nil {
			return err
		}
		f.Orders = append(f.Orders, o)
		return nil
	})
	if err != nil {
		return f, translate("lifecycle facts: service orders", err)
	}
	err = s.each(ctx, `SELECT id, vehicle_id, kind, start_date, end_date, created_at
		FROM `+t(TablePolicies)+` WHERE dealer_id = ? AND vehicle_id IS NOT NULL ORDER BY id`, d, func(rows *sql.Rows) error {
		p := crm.InsurancePolicy{Record: crm.Record{DealerID: dealer}}
		var start, end sqlDate
		var created time.Time
		if err := rows.Scan(&p.ID, &p.VehicleID, &p.Kind, &start, &end, &created); err != nil {
			return err
		}
		p.Start, p.End, p.CreatedAt = start.date(), end.date(), utc(created)
		f.Policies = append(f.Policies, p)
		return nil
	})
	if err != nil {
		return f, translate("lifecycle facts: policies", err)
	}
	err = s.each(ctx, `SELECT id, customer_id, coalesce(vehicle_id, ''), opened, resolved
		FROM `+t(TableComplaints)+` WHERE dealer_id = ? AND customer_id IS NOT NULL ORDER BY id`, d, func(rows *sql.Rows) error {
		c := crm.Complaint{Record: crm.Record{DealerID: dealer}}
		var opened, resolved sqlDate
		if err := rows.Scan(&c.ID, &c.CustomerID, &c.VehicleID, &opened, &resolved); err != nil {
			return err
		}
		c.Opened, c.Resolved = opened.date(), resolved.date()
		f.Complaints = append(f.Complaints, c)
		return nil
	})
	if err != nil {
		return f, translate("lifecycle facts: complaints", err)
	}
	err = s.each(ctx, `SELECT DISTINCT customer_id FROM `+t(TableLeads)+`
		WHERE dealer_id = ? AND status = '`+string(crm.LeadOpen)+`' AND customer_id IS NOT NULL
		AND purchase IN ('`+string(crm.AddPurchase)+`', '`+string(crm.ReplacementPurchase)+`') ORDER BY 1`, d, func(rows *sql.Rows) error {
		var c crm.CustomerID
		err := rows.Scan(&c)
		f.Repurchase = append(f.Repurchase, c)
		return err
	})
	if err != nil {
		return f, translate("lifecycle facts: leads", err)
	}
	err = s.each(ctx, `SELECT DISTINCT vehicle_id FROM `+t(TableSales)+` WHERE dealer_id = ? AND vehicle_id IS NOT NULL ORDER BY 1`, d,
		func(rows *sql.Rows) error {
			var v crm.VehicleID
			err := rows.Scan(&v)
			f.Sold = append(f.Sold, v)
			return err
		})
	if err != nil {
		return f, translate("lifecycle facts: sales", err)
	}
	return f, nil
}

// each runs query with its one argument and calls fn on each row
// (eachOf).
func (s *Store) each(ctx context.Context, query string, arg any, fn func(*sql.Rows) error) error {
	return s.eachOf(ctx, query, fn, arg)
}
