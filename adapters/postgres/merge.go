package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/uptrace/bun"
)

// The Store finds duplicate customers in SQL and merges customers across
// every package's tables in the caller's transaction.
var (
	_ crm.DuplicateFinder = (*Store)(nil)
	_ crm.CustomerMerger  = (*Store)(nil)
)

// FindDuplicates implements crm.DuplicateFinder: one statement groups the
// dealer's customers by mobile and by name and mobile, and the vehicles by
// the customers tied to them as owner, buyer or policy holder, and pairs
// the members of each group of 2 to crm.MaxDuplicateGroup customers. It
// agrees with crm.PairDuplicates. It needs no index of its own: it reads
// the dealer's customers and vehicles once (about 0.35 s for 100,000 of
// each, docs/benchmarks.md), since every one may have a twin.
func (s *Store) FindDuplicates(ctx context.Context, dealer crm.DealerID, reason crm.DuplicateReason, afterA, afterB crm.CustomerID, limit int) ([]crm.DuplicatePair, error) {
	q, args := s.duplicatesQuery(dealer, reason, afterA, afterB, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate("duplicates", err)
	}
	defer rows.Close()
	var out []crm.DuplicatePair
	for rows.Next() {
		var p crm.DuplicatePair
		var reasons, vals textArray
		if err := rows.Scan(&p.A, &p.B, &p.AName, &p.BName, &reasons, &vals); err != nil {
			return nil, translate("duplicates", err)
		}
		for i := range reasons {
			p.Matches = append(p.Matches, crm.DuplicateMatch{Reason: crm.DuplicateReason(reasons[i]), Value: vals[i]})
		}
		out = append(out, p)
	}
	return out, translate("duplicates", rows.Err())
}

// duplicatesQuery is the statement of FindDuplicates and its arguments.
func (s *Store) duplicatesQuery(dealer crm.DealerID, reason crm.DuplicateReason, afterA, afterB crm.CustomerID, limit int) (string, []any) {
	customers, vehicles := s.cfg.table(TableCustomers), s.cfg.table(TableVehicles)
	sales, policies := s.cfg.table(TableSales), s.cfg.table(TablePolicies)
	// Only the customers of a shared mobile or ID number and the vehicles
	// tied to two customers or more can pair: the statement narrows to
	// them first, so that the grouping and the name keys (crm.NameKey:
	// lower-cased, whitespace removed) cover a few thousand rows, not
	// every customer.
	q := `WITH live AS (
		SELECT id, mobile, name, id_number FROM ` + customers + ` WHERE dealer_id = ? AND merged_into IS NULL AND name <> ?
	), shared_ids AS (
		SELECT id_number FROM live WHERE id_number <> '' GROUP BY id_number HAVING count(*) >= 2
	), shared AS (
		SELECT mobile FROM live WHERE mobile <> '' GROUP BY mobile HAVING count(*) >= 2
	), c AS (
		SELECT id, mobile, lower(regexp_replace(name, '\s', '', 'g')) AS name_key FROM live JOIN shared USING (mobile)
	), links AS (
		SELECT id AS vehicle_id, owner_id AS customer_id FROM ` + vehicles + ` WHERE dealer_id = ? AND owner_id IS NOT NULL
		UNION ALL SELECT vehicle_id, customer_id FROM ` + sales + ` WHERE dealer_id = ?
		UNION ALL SELECT vehicle_id, customer_id FROM ` + policies + ` WHERE dealer_id = ? AND customer_id IS NOT NULL
	), tied AS (
		SELECT vehicle_id FROM links GROUP BY vehicle_id HAVING count(DISTINCT customer_id) >= 2
	), k AS (
		SELECT 'id_number' AS reason, id_number AS value, id FROM live JOIN shared_ids USING (id_number)
		UNION ALL SELECT 'mobile', mobile, id FROM c
		UNION ALL SELECT 'name_mobile', name_key || ' ' || mobile, id FROM c
		UNION ALL SELECT 'vin', v.vin, l.customer_id FROM tied
			JOIN links l USING (vehicle_id)
			JOIN ` + vehicles + ` v ON v.dealer_id = ? AND v.id = tied.vehicle_id
		WHERE l.customer_id IN (SELECT id FROM live)
	), g AS (
		SELECT reason, value, array_agg(DISTINCT id) AS ids FROM k GROUP BY reason, value
		HAVING count(DISTINCT id) BETWEEN 2 AND ?
	), p AS (
		SELECT a, b, g.reason, CASE WHEN g.reason = 'name_mobile' THEN split_part(g.value, ' ', 2) ELSE g.value END AS value
		FROM g, unnest(g.ids) a, unnest(g.ids) b WHERE a < b AND (a > ? OR (a = ? AND b > ?))
	), w AS (
		SELECT a, b, reason, value, bool_or(reason = 'name_mobile') OVER (PARTITION BY a, b) AS named FROM p
	), q AS (
		SELECT a, b, array_agg(reason ORDER BY array_position(ARRAY['id_number', 'name_mobile', 'mobile', 'vin'], reason), value) AS reasons,
			array_agg(value ORDER BY array_position(ARRAY['id_number', 'name_mobile', 'mobile', 'vin'], reason), value) AS vals
		FROM w WHERE NOT (reason = 'mobile' AND named)
		GROUP BY a, b
	), page AS (
		SELECT a, b, reasons, vals FROM q WHERE ? = '' OR ? = ANY(reasons) ORDER BY a, b LIMIT ?
	)
	SELECT page.a, page.b, ca.name, cb.name, page.reasons, page.vals FROM page
		JOIN ` + customers + ` ca ON ca.dealer_id = ? AND ca.id = page.a
		JOIN ` + customers + ` cb ON cb.dealer_id = ? AND cb.id = page.b
	ORDER BY page.a, page.b`
	d := string(dealer)
	return q, []any{d, crm.ErasedName, d, d, d, d, crm.MaxDuplicateGroup,
		string(afterA), string(afterA), string(afterB), string(reason), string(reason), limit, d, d}
}

// MoveCustomer implements crm.CustomerMerger on every table of the
// adapter, in the Store's transaction (a transaction of its own when the
// Store is not bound to one): the records of crm, lifecycle,
// satisfaction and messages are re-pointed; a grade, a campaign profile,
// a campaign membership and a lifecycle erasure mark of the merged
// customer are dropped where the survivor has its own, moved otherwise;
// the points ledger and membership are folded by loyalty.MergeLedgers and
// loyalty.MergeMemberships, at the dealer and at the other dealers of its
// group (a group programme's home store keeps its stores' accounts). The
// audit log and the event outbox are
// history and keep the IDs they were written with.
func (s *Store) MoveCustomer(ctx context.Context, dealer crm.DealerID, to, from crm.CustomerID) (map[string]int64, error) {
	moved := map[string]int64{}
	err := s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		d, t, f := string(dealer), string(to), string(from)
		exec := func(kind, q string, args ...any) error {
			res, err := db.ExecContext(ctx, q, args...)
			if err != nil {
				return translate("merge "+kind, err)
			}
			if n, err := res.RowsAffected(); err == nil && n > 0 {
				moved[kind] += n
			}
			return nil
		}
		repoint := func(tb Table, col string) error {
			return exec(string(tb), `UPDATE `+s.cfg.table(tb)+` SET `+col+` = ? WHERE dealer_id = ? AND `+col+` = ?`, t, d, f)
		}
		// fold moves the merged customer's rows keyed by keyCols besides
		// the customer, dropping those whose key the survivor holds.
		fold := func(tb Table, keyCols ...string) error {
			same := ""
			for _, c := range keyCols {
				same += " AND o." + c + " = m." + c
			}
			name := s.cfg.table(tb)
			if err := exec("dropped_"+string(tb), `DELETE FROM `+name+` m WHERE m.dealer_id = ? AND m.customer_id = ? AND EXISTS (
				SELECT FROM `+name+` o WHERE o.dealer_id = m.dealer_id AND o.customer_id = ?`+same+`)`, d, f, t); err != nil {
				return err
			}
			return repoint(tb, "customer_id")
		}
		for _, step := range []func() error{
			func() error { return repoint(TableVehicles, "owner_id") },
			func() error { return repoint(TableLeads, "customer_id") },
			func() error {
				return exec("referrals", `UPDATE `+s.cfg.table(TableLeads)+` SET referrer_id = ? WHERE dealer_id = ? AND referrer_id = ?`, t, d, f)
			},
			func() error { return repoint(TableSales, "customer_id") },
			func() error { return repoint(TableServiceOrders, "customer_id") },
			func() error { return repoint(TablePolicies, "customer_id") },
			func() error { return repoint(TableInteractions, "customer_id") },
			func() error { return repoint(TableComplaints, "customer_id") },
			func() error { return repoint(TableParticipations, "customer_id") },
			func() error { return repoint(TableSatisfactionResponses, "customer_id") },
			func() error { return fold(TableGradingStates) },
			func() error { return fold(TableGradingChanges, "run_id") },
			func() error { return repoint(TableLifecycleTasks, "customer_id") },
			func() error { return fold(TableLifecycleErasures) },
			func() error { return fold(TableCampaignProfiles) },
			func() error { return fold(TableCampaignMembers, "campaign_id") },
			func() error { return repoint(TableMessageSends, "customer_id") },
			func() error {
				// A group programme keeps the accounts of its stores under
				// its home store: the dealer's group is searched.
				homes, err := s.groupDealers(ctx, db, dealer)
				if err != nil {
					return err
				}
				for _, h := range homes {
					if err := s.Loyalty().move(ctx, db, h, to, from, moved); err != nil {
						return err
					}
					if err := exec(string(TableLoyaltyIdempotency), `UPDATE `+s.cfg.table(TableLoyaltyIdempotency)+
						` SET customer_id = ? WHERE dealer_id = ? AND customer_id = ?`, t, string(h), f); err != nil {
						return err
					}
				}
				return nil
			},
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// groupDealers returns dealer and the other dealers of its group (none
// for an independent dealer), where the customer's points may be kept.
func (s *Store) groupDealers(ctx context.Context, db bun.IDB, dealer crm.DealerID) ([]crm.DealerID, error) {
	out := []crm.DealerID{dealer}
	err := eachRow(ctx, db, `SELECT d.dealer_id FROM `+s.cfg.table(TableDealers)+` d JOIN `+s.cfg.table(TableDealers)+` me
		ON me.dealer_id = ? AND me.group_id <> '' AND d.group_id = me.group_id WHERE d.dealer_id <> ? ORDER BY 1`,
		[]any{string(dealer), string(dealer)}, func(r rowScanner) error {
			var d crm.DealerID
			out = append(out, d)
			return r.Scan(&out[len(out)-1])
		})
	return out, translate("merge: dealer group", err)
}

// move folds the merged customer's points account, ledger and membership
// into the survivor's (loyalty.MergeLedgers, loyalty.MergeMemberships).
func (l LoyaltyStore) move(ctx context.Context, db bun.IDB, dealer crm.DealerID, to, from crm.CustomerID, moved map[string]int64) error {
	ls := LoyaltyStore{s: &Store{root: l.s.root, db: db, inTx: true, cfg: l.s.cfg, tables: l.s.tables}} // reads in db's transaction
	entries := func(c crm.CustomerID) ([]loyalty.Entry, error) {
		var out []loyalty.Entry
		err := eachRow(ctx, db, "SELECT "+entryColumns+" FROM "+l.t(TableLoyaltyEntries)+" WHERE dealer_id = ? AND customer_id = ? ORDER BY seq",
			[]any{string(dealer), string(c)}, func(r rowScanner) error {
				e, err := scanEntry(r, dealer)
				out = append(out, e)
				return err
			})
		return out, err
	}
	membership := func(c crm.CustomerID) (*loyalty.Membership, error) {
		m, err := ls.Membership(ctx, dealer, c)
		if errors.Is(err, dealercrm.ErrNotFound) {
			return nil, nil
		}
		return &m, err
	}
	fromEntries, err := entries(from)
	if err != nil {
		return err
	}
	fromEvents, err := ls.MembershipEvents(ctx, dealer, from)
	if err != nil {
		return err
	}
	fromMember, err := membership(from)
	if err != nil {
		return err
	}
	if len(fromEntries) == 0 && len(fromEvents) == 0 && fromMember == nil {
		_, err := db.ExecContext(ctx, "DELETE FROM "+l.t(TableLoyaltyAccounts)+" WHERE dealer_id = ? AND customer_id = ?", string(dealer), string(from))
		return translate("merge loyalty account", err)
	}
	toEntries, err := entries(to)
	if err != nil {
		return err
	}
	toEvents, err := ls.MembershipEvents(ctx, dealer, to)
	if err != nil {
		return err
	}
	toMember, err := membership(to)
	if err != nil {
		return err
	}
	m, err := loyalty.MergeLedgers(dealer, to, toEntries, fromEntries, toEvents, fromEvents)
	if err != nil {
		return err
	}
	member := loyalty.MergeMemberships(to, toMember, fromMember)
	d, t, f := string(dealer), string(to), string(from)
	var ctes []string
	var args []any
	for _, tb := range []Table{TableLoyaltyEntries, TableLoyaltyMembershipEvents, TableLoyaltyAccounts, TableLoyaltyMemberships} {
		ctes = append(ctes, "d_"+string(tb)+" AS (DELETE FROM "+l.t(tb)+" WHERE dealer_id = ? AND customer_id = ?)")
		args = append(args, d, f)
	}
	ctes = append(ctes, "lots AS (UPDATE "+l.t(TableLoyaltyLots)+" SET customer_id = ?, seq = seq + ? WHERE dealer_id = ? AND customer_id = ?)")
	args = append(args, t, m.Offset, d, f)
	if len(m.Moved) > 0 {
		type entryDoc struct {
			loyalty.Entry
			SourceKey string `json:"source_key"`
		}
		docs := make([]entryDoc, len(m.Moved))
		for i, e := range m.Moved {
			e.CreatedAt = dbTime(e.CreatedAt)
			docs[i] = entryDoc{Entry: e, SourceKey: e.SourceKey()}
		}
		b, err := json.Marshal(docs)
		if err != nil {
			return err
		}
		ctes = append(ctes, `e AS (INSERT INTO `+l.t(TableLoyaltyEntries)+` (dealer_id, customer_id, seq, kind, store_id, date, points, cumulative,
			available_on, expires_on, source_type, source_id, reverses, moves, shortfall, reason, idempotency_key, created_at, source_key)
			SELECT ?, ?, x.seq, x.kind, x.store, x.date, x.points, x.cumulative, x.available_on, x.expires_on, coalesce(x.source->>'type', ''),
				coalesce(x.source->>'id', ''), coalesce(x.reverses, ''), x.moves, coalesce(x.shortfall, 0), coalesce(x.reason, ''),
				coalesce(x.idempotency_key, ''), x.created_at, x.source_key
			FROM jsonb_to_recordset(?::jsonb) AS x(seq bigint, kind text, store text, date date, points bigint, cumulative bigint,
				available_on date, expires_on date, source jsonb, reverses text, moves jsonb, shortfall bigint, reason text, idempotency_key text,
				created_at timestamptz, source_key text))`)
		args = append(args, d, t, string(b))
	}
	if len(m.Events) > 0 {
		b, err := json.Marshal(m.Events)
		if err != nil {
			return err
		}
		ctes = append(ctes, `v AS (INSERT INTO `+l.t(TableLoyaltyMembershipEvents)+` (dealer_id, customer_id, seq, event, from_tier, to_tier,
			from_status, to_status, valid_until, method, rule, reason, entry_id, date, "at", idempotency_key)
			SELECT ?, ?, seq, event, coalesce(from_tier, ''), to_tier, coalesce(from_status, ''), to_status, valid_until, coalesce(method, ''),
				coalesce(rule, ''), coalesce(reason, ''), coalesce(entry, ''), date, "at", coalesce(idempotency_key, '')
			FROM json_to_recordset(?::json) AS x(seq bigint, event text, from_tier text, to_tier text, from_status text, to_status text,
				valid_until date, method text, rule text, reason text, entry text, date date, "at" timestamptz, idempotency_key text))`)
		args = append(args, d, t, string(b))
	}
	a := m.Account
	ctes = append(ctes, `a AS (INSERT INTO `+l.t(TableLoyaltyAccounts)+` (dealer_id, customer_id, seq, cumulative, points, last_date, membership_seq, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (dealer_id, customer_id) DO UPDATE SET seq = excluded.seq, cumulative = excluded.cumulative,
		points = excluded.points, last_date = excluded.last_date, membership_seq = excluded.membership_seq, version = `+l.t(TableLoyaltyAccounts)+`.version + 1)`)
	args = append(args, d, t, a.Seq, a.Cumulative, a.Points, sqlDate(a.LastDate), int64(len(toEvents)+len(m.Events)))
	if member != nil {
		cte, margs, err := l.membershipCTE(d, t, member, dbTime(time.Now()), "")
		if err != nil {
			return err
		}
		ctes, args = append(ctes, cte), append(args, margs...)
	}
	if _, err := db.ExecContext(ctx, "WITH "+strings.Join(ctes, ",\n")+" SELECT 1", args...); err != nil {
		return translate("merge loyalty", err)
	}
	moved["loyalty_entries"] += int64(len(m.Moved))
	moved["loyalty_membership_events"] += int64(len(m.Events))
	if fromMember != nil {
		moved["loyalty_memberships"]++
	}
	return nil
}
