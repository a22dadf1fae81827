package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// The task store stamps the daily run's inputs, so that a re-run of a
// day that changes nothing is skipped (lifecycle.WithSharedDatabase).
var _ lifecycle.InputStamper = taskStore{}

// RunInputs are the tables whose rows of a dealer the daily lifecycle run
// reads besides its tasks: the crm records of lifecycle.Service.Load (the
// FactSource's statements), the grades and cadences, the club memberships,
// the erasures and the dealer. TestRunInputsAreStamped runs the daily run
// and fails when Postgres counts a read of a table that is neither here
// nor written by the run, so a new input cannot be left out.
var RunInputs = append(factTables(), TableDealers, TableLeads, TableComplaints, TableGradingStates,
	TableLoyaltyMemberships, TableLifecycleErasures)

// factInputs are the inputs LifecycleFacts reads whole, each with the
// condition of the rows it reads, in the order of the stamp: their part
// of the stamp comes with the facts (lifecycle.Facts.Stamp), summed from
// the xmin of the rows COPY sends, so that the first run of a day does
// not read the largest tables twice.
var factInputs = []factInput{
	{TableVehicles, ""},
	{TableCustomers, ""},
	{TableServiceOrders, " AND vehicle_id IS NOT NULL"},
	{TablePolicies, " AND vehicle_id IS NOT NULL"},
	{TableSales, " AND vehicle_id IS NOT NULL"},
}

// factInput is a table LifecycleFacts reads whole and the condition of
// the rows it reads.
type factInput struct {
	table Table
	rows  string
}

// xminSum is the stamp of one table of factInputs as LifecycleFacts
// reads it: the rows COPY sent and the sum of their xmin.
type xminSum struct{ n, xmins int64 }

// add counts the row r, whose column col is its xmin.
func (x *xminSum) add(r *copyRow, col int) {
	x.n++
	x.xmins += r.int(col)
}

// factTables returns the tables of factInputs.
func factTables() []Table {
	out := make([]Table, len(factInputs))
	for i, in := range factInputs {
		out[i] = in.table
	}
	return out
}

// tableStamp is the stamp of one table's rows: how many, and the sum of
// their xmin — the text Postgres gives for count(*) || ':' || sum.
func tableStamp(count, xmins int64) string {
	return strconv.FormatInt(count, 10) + ":" + strconv.FormatInt(xmins, 10)
}

// InputStamp implements lifecycle.InputStamper in one statement: for each
// table of RunInputs (those of factInputs only when facts is set), the
// dealer's rows counted with the sum of their xmin, the transaction that
// wrote each row version. An insert or update gives a row the xmin of a
// newer transaction and a delete drops it, so any committed write moves
// a count or raises a sum (a deletion matched by as many insertions
// raises the sum by their newer xmins); a transaction that rolled back or
// only locked rows moves nothing. The sum could only come back to a
// stored value after the 32-bit transaction counter wrapped around — four
// billion transactions between two runs of one day. It stamps the records
// of its own Store only.
func (ts taskStore) InputStamp(ctx context.Context, st crm.Store, dealer crm.DealerID, facts bool) (string, bool, error) {
	if own, ok := st.(*Store); !ok || own != ts.s {
		return "", false, nil
	}
	part := func(b *strings.Builder, t Table, rows string) {
		b.WriteString(", (SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM ")
		b.WriteString(ts.s.cfg.table(t))
		b.WriteString(" WHERE dealer_id = ?0" + rows + ")")
	}
	var b strings.Builder
	b.WriteString("SELECT concat_ws(' '")
	if facts {
		for _, in := range factInputs {
			part(&b, in.table, in.rows)
		}
		b.WriteString(", '|'")
	}
	for _, t := range RunInputs[len(factInputs):] {
		part(&b, t, "")
	}
	b.WriteString(")")
	var stamp string
	if err := ts.s.db.QueryRowContext(ctx, b.String(), string(dealer)).Scan(&stamp); err != nil {
		return "", false, translate("stamp the run's inputs", err)
	}
	return stamp, true, nil
}

// TaskStamp implements lifecycle.InputStamper.
func (ts taskStore) TaskStamp(ctx context.Context, dealer crm.DealerID) (lifecycle.TaskStamp, error) {
	var s lifecycle.TaskStamp
	err := ts.s.db.QueryRowContext(ctx, "SELECT count(*), coalesce(sum(version), 0) FROM "+ts.s.cfg.table(TableLifecycleTasks)+
		" WHERE dealer_id = ?", string(dealer)).Scan(&s.Count, &s.Versions)
	return s, translate("stamp the tasks", err)
}

// LastRun implements lifecycle.InputStamper from the dealer's report
// snapshot row.
func (ts taskStore) LastRun(ctx context.Context, dealer crm.DealerID) (dealercrm.Date, string, int, error) {
	var day sqlDate
	var stamp string
	var subjects int
	err := ts.s.db.QueryRowContext(ctx, "SELECT day, stamp, subjects FROM "+ts.s.cfg.table(TableLifecycleReports)+
		" WHERE dealer_id = ?", string(dealer)).Scan(&day, &stamp, &subjects)
	if errors.Is(err, sql.ErrNoRows) {
		return dealercrm.Date{}, "", 0, nil
	}
	if err != nil {
		return dealercrm.Date{}, "", 0, translate("the last lifecycle run", err)
	}
	return dealercrm.Date(day), stamp, subjects, nil
}
