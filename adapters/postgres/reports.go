package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/uptrace/bun"
)

var _ lifecycle.ReportStore = taskStore{}

// SaveReports stores snap as its dealer's latest snapshot, one row per
// dealer, unless the stored one is of a later day. The reports are kept
// as json, not jsonb: they are only ever read whole, and parsing a
// dealer's 7 MB of reports into jsonb cost Postgres more than the rest of
// the write. A snapshot whose reports are those stored (a re-run of the
// day over unchanged records) only moves computed_at: the digest of the
// encoded reports says so without sending them (migration 0023).
func (ts taskStore) SaveReports(ctx context.Context, snap lifecycle.ReportSnapshot) error {
	var parts [3][]byte
	h := sha256.New()
	for i, v := range []any{snap.KPIs, snap.Comebacks, snap.Abnormal} {
		b, err := json.Marshal(v)
		if err != nil {
			return dealercrm.Errorf(dealercrm.Internal, "postgres: encode a report: %v", err)
		}
		parts[i] = b
		h.Write(binary.AppendUvarint(nil, uint64(len(b))))
		h.Write(b)
	}
	digest := h.Sum(nil)
	t := ts.s.cfg.table(TableLifecycleReports)
	res, err := ts.s.db.ExecContext(ctx, `UPDATE `+t+` SET computed_at = ?, stamp = ?, subjects = ?
		WHERE dealer_id = ? AND day = ? AND starts_at = ? AND ends_at = ? AND digest = ?`,
		snap.ComputedAt.UTC(), snap.Stamp, snap.Subjects, string(snap.DealerID), snap.Day.Time(time.UTC), snap.Start.UTC(), snap.End.UTC(), digest)
	if err != nil {
		return translate("lifecycle reports", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	// The reports go as literals of their own (bun.Safe): bun's quoting
	// of a string argument went rune by rune through megabytes.
	_, err = ts.s.db.ExecContext(ctx, `INSERT INTO `+t+` AS r (dealer_id, day, computed_at, starts_at, ends_at, stamp, subjects, digest, kpis, comebacks, abnormal)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::json, ?::json, ?::json)
		ON CONFLICT (dealer_id) DO UPDATE SET day = EXCLUDED.day, computed_at = EXCLUDED.computed_at,
			starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, stamp = EXCLUDED.stamp, subjects = EXCLUDED.subjects,
			digest = EXCLUDED.digest, kpis = EXCLUDED.kpis, comebacks = EXCLUDED.comebacks, abnormal = EXCLUDED.abnormal
		WHERE r.day <= EXCLUDED.day`,
		string(snap.DealerID), snap.Day.Time(time.UTC), snap.ComputedAt.UTC(), snap.Start.UTC(), snap.End.UTC(), snap.Stamp, snap.Subjects, digest,
		bun.Safe(appendLiteral(nil, parts[0])), bun.Safe(appendLiteral(nil, parts[1])), bun.Safe(appendLiteral(nil, parts[2])))
	return translate("lifecycle reports", err)
}

// LatestReports returns the dealer's latest snapshot with the report of
// kind only: it reads that report's column alone.
func (ts taskStore) LatestReports(ctx context.Context, dealer crm.DealerID, kind lifecycle.ReportKind) (lifecycle.ReportSnapshot, error) {
	if !kind.Valid() {
		return lifecycle.ReportSnapshot{}, dealercrm.Errorf(dealercrm.Invalid, "postgres: unknown report %q", kind)
	}
	// kind is one of the three column names (checked above).
	var day string
	var at, start, end time.Time
	var body []byte
	err := ts.s.db.QueryRowContext(ctx, "SELECT to_char(day, 'YYYY-MM-DD'), computed_at, starts_at, ends_at, "+string(kind)+"::text FROM "+
		ts.s.cfg.table(TableLifecycleReports)+" WHERE dealer_id = ?", string(dealer)).Scan(&day, &at, &start, &end, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return lifecycle.ReportSnapshot{}, fmt.Errorf("reports of %s: %w", dealer, lifecycle.ErrNoReports)
	}
	if err != nil {
		return lifecycle.ReportSnapshot{}, translate("lifecycle reports", err)
	}
	d, err := dealercrm.ParseDate(day)
	if err != nil {
		return lifecycle.ReportSnapshot{}, dealercrm.Errorf(dealercrm.Internal, "postgres: the day of a report: %v", err)
	}
	snap := lifecycle.ReportSnapshot{DealerID: dealer, Day: d, ComputedAt: at.UTC(), Start: start.UTC(), End: end.UTC()}
	switch kind {
	case lifecycle.ReportKPIs:
		err = json.Unmarshal(body, &snap.KPIs)
	case lifecycle.ReportComebacks:
		err = json.Unmarshal(body, &snap.Comebacks)
	case lifecycle.ReportAbnormal:
		err = json.Unmarshal(body, &snap.Abnormal)
	}
	if err != nil {
		return lifecycle.ReportSnapshot{}, dealercrm.Errorf(dealercrm.Internal, "postgres: decode the %s report: %v", kind, err)
	}
	return snap, nil
}

// DropReports deletes the dealer's snapshot.
func (ts taskStore) DropReports(ctx context.Context, dealer crm.DealerID) error {
	_, err := ts.s.db.ExecContext(ctx, "DELETE FROM "+ts.s.cfg.table(TableLifecycleReports)+" WHERE dealer_id = ?", string(dealer))
	return translate("lifecycle reports", err)
}
