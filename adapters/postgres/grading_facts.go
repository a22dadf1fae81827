package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/shopspring/decimal"
)

// The Store computes grading facts in SQL (the grading.FactsAggregator
// capability), so a run reads one row per customer instead of every record.
var _ grading.FactsAggregator = (*Store)(nil)

// AggregateFacts implements grading.FactsAggregator with one query per
// dealer: each record kind is grouped by customer in a CTE (a service order
// or policy without a customer counts for the vehicle's owner, as in
// grading.ScanFacts) and joined to the customers, ordered by ID and
// streamed row by row.
func (s *Store) AggregateFacts(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, window crm.DateRange, fn func(*grading.Facts) error) (err error) {
	ctx, span := startOp(ctx, "Store", "AggregateFacts", dealer)
	defer func() { endOp(span, err) }()
	d, err := s.Dealers().Get(ctx, dealer)
	if err != nil {
		return err
	}
	t := s.cfg.table
	var payerCols, kindCols []string
	// The enum values are constants of package crm, safe to inline.
	for i, p := range crm.Payers() {
		payerCols = append(payerCols, fmt.Sprintf(`coalesce(sum(total) FILTER (WHERE "date" >= ?2 AND payer = '%s'), 0) AS p%d`, p, i))
	}
	for i, k := range crm.ServiceKinds() {
		kindCols = append(kindCols, fmt.Sprintf(`coalesce(sum(total) FILTER (WHERE "date" >= ?2 AND kind = '%s'), 0) AS k%d`, k, i))
	}
	q := `WITH
own AS (SELECT id, owner_id FROM ` + t(TableVehicles) + ` WHERE dealer_id = ?0 AND owner_id IS NOT NULL),
s AS (
	SELECT x.customer_id, x.id, x."date", x.price + coalesce(vc.amount, 0) AS revenue, x.gross_profit + coalesce(vc.profit, 0) AS value,
		row_number() OVER (PARTITION BY x.customer_id ORDER BY x."date", x.id) AS rn
	FROM ` + t(TableSales) + ` x
	LEFT JOIN LATERAL (SELECT sum((i->>'amount')::numeric) AS amount, sum((i->>'profit')::numeric) AS profit
		FROM jsonb_array_elements(x.items) i) vc ON true
	WHERE x.dealer_id = ?0 AND x."date" < ?1 AND x.customer_id IS NOT NULL),
sa AS (
	SELECT customer_id, min("date") FILTER (WHERE rn = 1) AS since, coalesce(sum(value) FILTER (WHERE rn = 1), 0) AS ncv,
		count(*) FILTER (WHERE rn > 1) AS addn, coalesce(sum(value) FILTER (WHERE rn > 1), 0) AS addv, sum(revenue) AS rev
	FROM s GROUP BY customer_id),
o AS (
	SELECT coalesce(o.customer_id, own.owner_id) AS customer_id, o."date", o.kind, o.payer, o.labour + o.parts AS total
	FROM ` + t(TableServiceOrders) + ` o LEFT JOIN own ON own.id = o.vehicle_id
	WHERE o.dealer_id = ?0 AND o."date" < ?1),
oa AS (
	SELECT customer_id, max("date") AS last_visit, count(*) FILTER (WHERE "date" >= ?2) AS visits,
		` + strings.Join(payerCols, ",\n\t\t") + `,
		` + strings.Join(kindCols, ",\n\t\t") + `
	FROM o WHERE customer_id IS NOT NULL GROUP BY customer_id),
pa AS (
	SELECT coalesce(p.customer_id, own.owner_id) AS customer_id, count(*) AS renewals
	FROM ` + t(TablePolicies) + ` p LEFT JOIN own ON own.id = p.vehicle_id
	WHERE p.dealer_id = ?0 AND p.renewal AND p.start_date < ?1 GROUP BY 1),
la AS (
	SELECT l.referrer_id AS customer_id, count(*) AS referrals, count(sv.id) AS converted, coalesce(sum(sv.value), 0) AS refvalue
	FROM ` + t(TableLeads) + ` l LEFT JOIN s sv ON l.status = 'converted' AND sv.id = l.sale_id
	WHERE l.dealer_id = ?0 AND l.referrer_id IS NOT NULL AND (l.created_at AT TIME ZONE ?3)::date < ?1 GROUP BY 1),
ea AS (
	SELECT customer_id, count(*) AS events FROM ` + t(TableParticipations) + `
	WHERE dealer_id = ?0 AND attended AND "date" >= ?2 AND "date" <= ?4 GROUP BY 1)
SELECT c.id, c.region_province, c.region_city, c.region_district, c.industry, c.occupation,
	coalesce(sa.since, (c.created_at AT TIME ZONE ?3)::date) AS since,
	coalesce(sa.ncv, 0), coalesce(sa.addn, 0), coalesce(sa.addv, 0), coalesce(sa.rev, 0),
	oa.last_visit, coalesce(oa.visits, 0),
	` + nulls("oa.", "p", len(payerCols)) + `,
	` + nulls("oa.", "k", len(kindCols)) + `,
	coalesce(pa.renewals, 0), coalesce(la.referrals, 0), coalesce(la.converted, 0), coalesce(la.refvalue, 0), coalesce(ea.events, 0)
FROM ` + t(TableCustomers) + ` c
LEFT JOIN sa ON sa.customer_id = c.id
LEFT JOIN oa ON oa.customer_id = c.id
LEFT JOIN pa ON pa.customer_id = c.id
LEFT JOIN la ON la.customer_id = c.id
LEFT JOIN ea ON ea.customer_id = c.id
WHERE c.dealer_id = ?0
ORDER BY c.id`
	rows, err := s.db.QueryContext(ctx, q, string(dealer), asOf.String(), window.From.String(), d.Location().String(), window.To.String())
	if err != nil {
		return translate("grading: aggregate facts", err)
	}
	defer rows.Close()
	for rows.Next() {
		f := grading.Facts{DealerID: dealer}
		var since, last sqlDate
		var renewals, referrals, converted, events, addn, visits int
		var ncv, addv, rev, refvalue decimal.Decimal
		dest := []any{&f.CustomerID, &f.Region.Province, &f.Region.City, &f.Region.District, &f.Industry, &f.Occupation, &since,
			&ncv, &addn, &addv, &rev, &last, &visits}
		for i := range f.ServiceByPayer {
			dest = append(dest, &f.ServiceByPayer[i])
		}
		for i := range f.ServiceByKind {
			dest = append(dest, &f.ServiceByKind[i])
		}
		dest = append(dest, &renewals, &referrals, &converted, &refvalue, &events)
		if err := rows.Scan(dest...); err != nil {
			return translate("grading: aggregate facts", err)
		}
		f.Since, f.LastVisit = since.date(), last.date()
		f.NewCarValue, f.AddPurchases, f.AddPurchaseValue, f.SalesRevenue = ncv, addn, addv, rev
		f.Visits, f.Renewals, f.Referrals, f.ReferralsConverted, f.ReferralValue, f.Events = visits, renewals, referrals, converted, refvalue, events
		if err := fn(&f); err != nil {
			return err
		}
	}
	return translate("grading: aggregate facts", rows.Err())
}

// nulls returns "coalesce(prefix+name+i, 0)" for i < n, comma-separated.
func nulls(prefix, name string, n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("coalesce(%s%s%d, 0)", prefix, name, i)
	}
	return strings.Join(out, ", ")
}
