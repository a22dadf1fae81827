package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
)

// The Store loads the lifecycle plan's records in bulk (the
// lifecycle.FactSource capability): one COPY per table (copyOut), only
// the columns the plan reads. Paging through the generic repositories
// spent 11.6 s of a 12.3 s daily run of 100,000 vehicles decoding whole
// rows (docs/lifecycle.md); reading the same columns as rows through
// database/sql still spent 59% of the Go CPU of the all-dealers run on a
// conversion and an allocation per field (docs/benchmarks.md).
var _ lifecycle.FactSource = (*Store)(nil)

// LifecycleFacts implements lifecycle.FactSource. The records hold the
// fields lifecycle.FactsOf reads: vehicles their ID, VIN, brand, model,
// owner, delivery and registration dates and odometer readings;
// customers their ID, name, birthday, consents and staff; service orders,
// policies and complaints what FactsOf copies. Each list is in ID order,
// as the repositories list them.
func (s *Store) LifecycleFacts(ctx context.Context, dealer crm.DealerID) (_ lifecycle.Facts, err error) {
	ctx, span := startOp(ctx, "Store", "LifecycleFacts", dealer)
	defer func() { endOp(span, err) }()
	var f lifecycle.Facts
	t := s.cfg.table
	d := string(dealer)
	// The lists are sized first: appending 100,000 service orders one by
	// one spent an eighth of a daily run copying them as the slice grew.
	var nv, nc, no, np int
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM `+t(TableVehicles)+` WHERE dealer_id = ?0),
		(SELECT count(*) FROM `+t(TableCustomers)+` WHERE dealer_id = ?0),
		(SELECT count(*) FROM `+t(TableServiceOrders)+` WHERE dealer_id = ?0 AND vehicle_id IS NOT NULL),
		(SELECT count(*) FROM `+t(TablePolicies)+` WHERE dealer_id = ?0 AND vehicle_id IS NOT NULL)`, d).Scan(&nv, &nc, &no, &np)
	if err != nil {
		return f, translate("lifecycle facts: counts", err)
	}
	f.Vehicles, f.Customers = make([]crm.Vehicle, 0, nv), make([]crm.Customer, 0, nc)
	f.Orders, f.Policies = make([]crm.ServiceOrder, 0, no), make([]crm.InsurancePolicy, 0, np)
	// Each row of the tables of factInputs comes with its xmin, summed
	// into the stamp of what the run read (Facts.Stamp, InputStamp).
	sums := make([]xminSum, len(factInputs))
	sum := func(tb Table) *xminSum {
		return &sums[slices.IndexFunc(factInputs, func(in factInput) bool { return in.table == tb })]
	}
	vehicles, customers, orders, policies, sales := sum(TableVehicles), sum(TableCustomers), sum(TableServiceOrders), sum(TablePolicies), sum(TableSales)
	err = s.copyOut(ctx, `SELECT id, vin, brand, model, owner_id, delivery_date - `+epoch+`, registration_date - `+epoch+`, odometer, xmin
		FROM `+t(TableVehicles)+` WHERE dealer_id = $1 ORDER BY id`, d, 9, func(r *copyRow) error {
		vehicles.add(r, 8)
		v := crm.Vehicle{Record: crm.Record{DealerID: dealer}, ID: crm.VehicleID(r.text(0)), VIN: r.text(1), Brand: r.text(2), Model: r.text(3),
			OwnerID: crm.CustomerID(r.text(4)), DeliveryDate: r.day(5), RegistrationDate: r.day(6)}
		var err error
		v.Odometer, err = unmarshalList(jsonDoc(r.text(7)), toOdometer)
		f.Vehicles = append(f.Vehicles, v)
		return err
	})
	if err != nil {
		return f, translate("lifecycle facts: vehicles", err)
	}
	err = s.copyOut(ctx, `SELECT id, name, birthday - `+epoch+`, birthday_calendar, consents, consultant_id, advisor_id, xmin
		FROM `+t(TableCustomers)+` WHERE dealer_id = $1 ORDER BY id`, d, 8, func(r *copyRow) error {
		customers.add(r, 7)
		c := crm.Customer{Record: crm.Record{DealerID: dealer}, ID: crm.CustomerID(r.text(0)), Name: r.text(1), Birthday: r.day(2),
			BirthdayCalendar: crm.BirthdayCalendar(r.text(3)), ConsultantID: crm.StaffID(r.text(5)), AdvisorID: crm.StaffID(r.text(6))}
		var err error
		c.Consents, err = parseConsents(jsonDoc(r.text(4)))
		f.Customers = append(f.Customers, c)
		return err
	})
	if err != nil {
		return f, translate("lifecycle facts: customers", err)
	}
	err = s.copyOut(ctx, `SELECT id, vehicle_id, "date" - `+epoch+`, closed_date - `+epoch+`, odometer_km, kind, labour, parts, payer, advisor_id, complaint,
		xmin FROM `+t(TableServiceOrders)+` WHERE dealer_id = $1 AND vehicle_id IS NOT NULL ORDER BY id`, d, 12, func(r *copyRow) error {
		orders.add(r, 11)
		o := crm.ServiceOrder{Record: crm.Record{DealerID: dealer}, ID: crm.ServiceOrderID(r.text(0)), VehicleID: crm.VehicleID(r.text(1)),
			Date: r.day(2), ClosedDate: r.day(3), OdometerKM: r.int(4), Kind: crm.ServiceKind(r.text(5)), Payer: crm.Payer(r.text(8)),
			AdvisorID: crm.StaffID(r.text(9)), Complaint: r.boolean(10)}
		var err error
		if o.Labour, err = decimal.NewFromString(r.text(6)); err != nil {
			return err
		}
		if o.Parts, err = decimal.NewFromString(r.text(7)); err != nil {
			return err
		}
		f.Orders = append(f.Orders, o)
		return nil
	})
	if err != nil {
		return f, translate("lifecycle facts: service orders", err)
	}
	err = s.copyOut(ctx, `SELECT id, vehicle_id, kind, start_date - `+epoch+`, end_date - `+epoch+`, (extract(epoch FROM created_at) * 1000000)::bigint,
		xmin FROM `+t(TablePolicies)+` WHERE dealer_id = $1 AND vehicle_id IS NOT NULL ORDER BY id`, d, 7, func(r *copyRow) error {
		policies.add(r, 6)
		f.Policies = append(f.Policies, crm.InsurancePolicy{Record: crm.Record{DealerID: dealer, CreatedAt: time.UnixMicro(r.int(5)).UTC()},
			ID: crm.PolicyID(r.text(0)), VehicleID: crm.VehicleID(r.text(1)), Kind: crm.InsuranceKind(r.text(2)), Start: r.day(3), End: r.day(4)})
		return nil
	})
	if err != nil {
		return f, translate("lifecycle facts: policies", err)
	}
	err = s.copyOut(ctx, `SELECT id, customer_id, vehicle_id, opened - `+epoch+`, resolved - `+epoch+`
		FROM `+t(TableComplaints)+` WHERE dealer_id = $1 AND customer_id IS NOT NULL ORDER BY id`, d, 5, func(r *copyRow) error {
		f.Complaints = append(f.Complaints, crm.Complaint{Record: crm.Record{DealerID: dealer}, ID: crm.ComplaintID(r.text(0)),
			CustomerID: crm.CustomerID(r.text(1)), VehicleID: crm.VehicleID(r.text(2)), Opened: r.day(3), Resolved: r.day(4)})
		return nil
	})
	if err != nil {
		return f, translate("lifecycle facts: complaints", err)
	}
	err = s.copyOut(ctx, `SELECT DISTINCT customer_id FROM `+t(TableLeads)+`
		WHERE dealer_id = $1 AND status = '`+string(crm.LeadOpen)+`' AND customer_id IS NOT NULL
		AND purchase IN ('`+string(crm.AddPurchase)+`', '`+string(crm.ReplacementPurchase)+`') ORDER BY 1`, d, 1, func(r *copyRow) error {
		f.Repurchase = append(f.Repurchase, crm.CustomerID(r.text(0)))
		return nil
	})
	if err != nil {
		return f, translate("lifecycle facts: leads", err)
	}
	// Every sale, for its xmin; a vehicle sold twice is one of Sold.
	err = s.copyOut(ctx, `SELECT vehicle_id, xmin FROM `+t(TableSales)+` WHERE dealer_id = $1 AND vehicle_id IS NOT NULL ORDER BY 1`, d, 2,
		func(r *copyRow) error {
			sales.add(r, 1)
			if v := crm.VehicleID(r.text(0)); len(f.Sold) == 0 || f.Sold[len(f.Sold)-1] != v {
				f.Sold = append(f.Sold, v)
			}
			return nil
		})
	if err != nil {
		return f, translate("lifecycle facts: sales", err)
	}
	parts := make([]string, len(sums))
	for i, x := range sums {
		parts[i] = tableStamp(x.n, x.xmins)
	}
	f.Stamp = strings.Join(parts, " ")
	return f, nil
}

// epoch is the day number 0 (dealercrm.DateOfDay): a date minus it is
// its day number.
const epoch = "DATE '1970-01-01'"
