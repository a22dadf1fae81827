package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"
)

// CampaignStore is the campaign.Store on PostgreSQL, in the tables of
// migration 0006. Segments are translated to SQL over campaign_profiles
// (see segmentSQL): values travel as bound parameters only, and column
// names come from a fixed whitelist. Get it with Store.Campaigns; inside
// InTx it works in the transaction.
//
// Every statement names one dealer_id, so that it runs on one Citus
// shard, and conflicts are found without an SQL error (insert or
// detect): a taken campaign ID by INSERT … ON CONFLICT DO NOTHING
// RETURNING, a customer or member given twice by the input check before
// any statement (and a count of the rows written after). A unique
// violation would make Postgres log the statement with its values, which
// may be personal data, and Citus reports it as XX000.
type CampaignStore struct{ s *Store }

var _ campaign.Store = CampaignStore{}

// Campaigns returns the campaign store of s.
func (s *Store) Campaigns() CampaignStore { return CampaignStore{s: s} }

// campaignChunk is how many profiles or members one statement writes.
const campaignChunk = 5000

// CreateCampaign implements campaign.Store. The plan is kept as a JSON
// document of the campaign; status and kind are columns of their own.
func (cs CampaignStore) CreateCampaign(ctx context.Context, c *campaign.Campaign) error {
	doc, err := campaignDoc(c)
	if err != nil {
		return err
	}
	return cs.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.ExecContext(ctx, "INSERT INTO "+cs.s.cfg.table(TableCampaigns)+
			" (dealer_id, id, status, kind, doc, updated_at) VALUES (?, ?, ?, ?, ?::json, ?) ON CONFLICT (dealer_id, id) DO NOTHING",
			string(c.DealerID), string(c.ID), string(c.Status), string(c.Kind), doc, dbTime(c.UpdatedAt))
		if err != nil {
			return translate("campaign "+string(c.ID), err)
		}
		return wroteAll(res, 1, func() error { return dealercrm.Errorf(dealercrm.Conflict, "campaign %s exists", c.ID) })
	})
}

func campaignDoc(c *campaign.Campaign) (string, error) {
	x := c.Clone()
	x.CreatedAt, x.UpdatedAt, x.FrozenAt = dbTime(x.CreatedAt), dbTime(x.UpdatedAt), dbTime(x.FrozenAt)
	b, err := json.Marshal(x)
	if err != nil {
		return "", fmt.Errorf("postgres: campaign %s: %w", c.ID, err)
	}
	return string(b), nil
}

func readCampaign(doc string) (campaign.Campaign, error) {
	var c campaign.Campaign
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return c, fmt.Errorf("postgres: campaign document: %w", err)
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if !c.FrozenAt.IsZero() {
		c.FrozenAt = c.FrozenAt.UTC()
	}
	return c, nil
}

func (cs CampaignStore) get(ctx context.Context, db bun.IDB, dealer crm.DealerID, id campaign.ID, lock bool) (campaign.Campaign, error) {
	q := "SELECT doc::text FROM " + cs.s.cfg.table(TableCampaigns) + " WHERE dealer_id = ? AND id = ?"
	if lock {
		q += " FOR UPDATE"
	}
	var doc string
	if err := db.QueryRowContext(ctx, q, string(dealer), string(id)).Scan(&doc); err != nil {
		return campaign.Campaign{}, translate("campaign "+string(id), err)
	}
	return readCampaign(doc)
}

func (cs CampaignStore) put(ctx context.Context, db bun.IDB, c *campaign.Campaign) error {
	doc, err := campaignDoc(c)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "UPDATE "+cs.s.cfg.table(TableCampaigns)+
		" SET status = ?, kind = ?, doc = ?::json, updated_at = ? WHERE dealer_id = ? AND id = ?",
		string(c.Status), string(c.Kind), doc, dbTime(c.UpdatedAt), string(c.DealerID), string(c.ID))
	return translate("campaign "+string(c.ID), err)
}

// GetCampaign implements campaign.Store.
func (cs CampaignStore) GetCampaign(ctx context.Context, dealer crm.DealerID, id campaign.ID) (campaign.Campaign, error) {
	return cs.get(ctx, cs.s.db, dealer, id, false)
}

// UpdateCampaign implements campaign.Store with SELECT … FOR UPDATE.
func (cs CampaignStore) UpdateCampaign(ctx context.Context, dealer crm.DealerID, id campaign.ID, fn func(*campaign.Campaign) error) (campaign.Campaign, error) {
	var out campaign.Campaign
	err := cs.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		c, err := cs.get(ctx, db, dealer, id, true)
		if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.DealerID = id, dealer
		if err := cs.put(ctx, db, &c); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return campaign.Campaign{}, err
	}
	doc, err := campaignDoc(&out)
	if err != nil {
		return campaign.Campaign{}, err
	}
	return readCampaign(doc)
}

// DeleteCampaign implements campaign.Store: the campaign and its members,
// in one transaction.
func (cs CampaignStore) DeleteCampaign(ctx context.Context, dealer crm.DealerID, id campaign.ID) error {
	return cs.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.ExecContext(ctx, "DELETE FROM "+cs.s.cfg.table(TableCampaigns)+" WHERE dealer_id = ? AND id = ?", string(dealer), string(id))
		if err != nil {
			return translate("campaign "+string(id), err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return dealercrm.Errorf(dealercrm.NotFound, "campaign %s: not found", id)
		}
		_, err = db.ExecContext(ctx, "DELETE FROM "+cs.s.cfg.table(TableCampaignMembers)+" WHERE dealer_id = ? AND campaign_id = ?", string(dealer), string(id))
		return translate("campaign members", err)
	})
}

// ListCampaigns implements campaign.Store.
func (cs CampaignStore) ListCampaigns(ctx context.Context, dealer crm.DealerID, f campaign.Filter) (crm.Page[campaign.Campaign], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[campaign.Campaign]{}, err
	}
	size := f.Size()
	q := "SELECT doc::text FROM " + cs.s.cfg.table(TableCampaigns) + " WHERE dealer_id = ? AND id > ?"
	args := []any{string(dealer), after}
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, string(f.Status))
	}
	if f.Kind != "" {
		q += " AND kind = ?"
		args = append(args, string(f.Kind))
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, size+1)
	rows, err := cs.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return crm.Page[campaign.Campaign]{}, translate("campaigns", err)
	}
	defer rows.Close()
	var out []campaign.Campaign
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return crm.Page[campaign.Campaign]{}, translate("campaigns", err)
		}
		c, err := readCampaign(doc)
		if err != nil {
			return crm.Page[campaign.Campaign]{}, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return crm.Page[campaign.Campaign]{}, translate("campaigns", err)
	}
	return crm.NewPage(out, size, func(c campaign.Campaign) string { return string(c.ID) }), nil
}

// profileColumns are the campaign_profiles columns a segment may read: the
// whitelist of segmentSQL. Nothing else is ever spliced into a query.
var profileColumns = map[campaign.Column]string{
	campaign.ColGender: "gender", campaign.ColBirthday: "birthday", campaign.ColFamilyStage: "family_stage",
	campaign.ColHobbies: "hobbies", campaign.ColProvince: "province", campaign.ColCity: "city",
	campaign.ColDistrict: "district", campaign.ColOccupation: "occupation", campaign.ColVehicleModel: "vehicle_model",
	campaign.ColVehicleDate: "vehicle_date", campaign.ColOdometer: "odometer_km", campaign.ColStage: "stage",
	campaign.ColGrade: "grade", campaign.ColTier: "tier", campaign.ColAbnormal: "abnormal", campaign.ColTags: "tags",
	campaign.ColLastVisit: "last_visit", campaign.ColConsents: "consents",
}

// segmentSQL translates a normalised segment into a boolean SQL
// expression with ? placeholders and its arguments, in order. Text
// columns are NOT NULL (empty when unknown) and set columns empty arrays,
// so the three-valued logic of SQL only concerns the nullable number and
// date columns: their conditions are wrapped in coalesce(…, false), which
// gives the memory evaluator's rule (a missing value matches nothing,
// negated or not) and keeps NOT exact.
func segmentSQL(c campaign.Cond) (string, []any, error) {
	var b strings.Builder
	var args []any
	var walk func(c campaign.Cond) error
	walk = func(c campaign.Cond) error {
		col := ""
		if c.Kind != campaign.CondTrue && c.Kind != campaign.CondAnd && c.Kind != campaign.CondOr && c.Kind != campaign.CondNot {
			var ok bool
			if col, ok = profileColumns[c.Column]; !ok {
				return invalidf("postgres: segment column %q is not in the whitelist", c.Column)
			}
		}
		switch c.Kind {
		case campaign.CondTrue:
			b.WriteString("TRUE")
		case campaign.CondAnd, campaign.CondOr:
			if len(c.Conds) == 0 {
				return invalidf("postgres: empty %s segment", c.Kind)
			}
			sep := " AND "
			if c.Kind == campaign.CondOr {
				sep = " OR "
			}
			b.WriteByte('(')
			for i, x := range c.Conds {
				if i > 0 {
					b.WriteString(sep)
				}
				if err := walk(x); err != nil {
					return err
				}
			}
			b.WriteByte(')')
		case campaign.CondNot:
			if len(c.Conds) != 1 {
				return invalidf("postgres: a not segment has one condition")
			}
			b.WriteString("(NOT ")
			if err := walk(c.Conds[0]); err != nil {
				return err
			}
			b.WriteByte(')')
		case campaign.CondText:
			if c.Negate {
				b.WriteString("NOT ")
			}
			if len(c.Values) == 1 {
				b.WriteString("(" + col + " = ?)")
				args = append(args, c.Values[0])
			} else {
				b.WriteString("(" + col + " = ANY(?::text[]))")
				args = append(args, textArray(c.Values))
			}
		case campaign.CondSet:
			switch c.Mode {
			case campaign.SetAll:
				b.WriteString("(" + col + " @> ?::text[])")
			case campaign.SetNone:
				b.WriteString("(NOT (" + col + " && ?::text[]))")
			default:
				b.WriteString("(" + col + " && ?::text[])")
			}
			args = append(args, textArray(c.Values))
		case campaign.CondRange, campaign.CondDates:
			var parts []string
			cast := ""
			if c.Kind == campaign.CondDates {
				cast = "::date"
				if !c.From.IsZero() {
					parts = append(parts, col+" >= ?"+cast)
					args = append(args, c.From.String())
				}
				if !c.To.IsZero() {
					parts = append(parts, col+" <= ?"+cast)
					args = append(args, c.To.String())
				}
			} else {
				if c.HasMin {
					parts = append(parts, col+" >= ?")
					args = append(args, c.Min)
				}
				if c.HasMax {
					parts = append(parts, col+" <= ?")
					args = append(args, c.Max)
				}
			}
			if len(parts) == 0 {
				parts = []string{col + " IS NOT NULL"}
			}
			expr := "(" + strings.Join(parts, " AND ") + ")"
			if c.Negate {
				expr = "(NOT " + expr + ")"
			}
			b.WriteString("coalesce(" + expr + ", false)")
		default:
			return invalidf("postgres: unknown segment condition %q", c.Kind)
		}
		return nil
	}
	if err := walk(c); err != nil {
		return "", nil, err
	}
	return b.String(), args, nil
}

type profileDoc struct {
	CustomerID   string   `json:"customer_id"`
	Gender       string   `json:"gender"`
	Birthday     *string  `json:"birthday"`
	FamilyStage  string   `json:"family_stage"`
	Hobbies      []string `json:"hobbies"`
	Province     string   `json:"province"`
	City         string   `json:"city"`
	District     string   `json:"district"`
	Occupation   string   `json:"occupation"`
	VehicleModel string   `json:"vehicle_model"`
	VehicleDate  *string  `json:"vehicle_date"`
	OdometerKM   *int64   `json:"odometer_km"`
	OdometerAt   *string  `json:"odometer_at"`
	LastVisit    *string  `json:"last_visit"`
	Stage        string   `json:"stage"`
	Grade        string   `json:"grade"`
	Tier         string   `json:"tier"`
	Abnormal     []string `json:"abnormal"`
	Tags         []string `json:"tags"`
	Consents     []string `json:"consents"`
	ConsultantID string   `json:"consultant_id"`
	UpdatedAt    string   `json:"updated_at"`
}

func nullDate(d dealercrm.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

func orEmpty(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// wroteAll checks that a statement wrote want rows, and returns conflict()
// when it wrote fewer: the rest met a row with their key (ON CONFLICT DO
// NOTHING).
func wroteAll(res sql.Result, want int, conflict func() error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return translate("rows written", err)
	}
	if int(n) != want {
		return conflict()
	}
	return nil
}

// twice returns the first ID that ids holds twice, if any.
func twice[T ~string](ids []T) (T, bool) {
	seen := make(map[T]struct{}, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			return id, true
		}
		seen[id] = struct{}{}
	}
	return "", false
}

// ReplaceProfiles implements campaign.Store: one transaction deletes the
// dealer's snapshot and inserts the new one in chunks of 5,000, each a JSON
// document expanded by json_to_recordset. A customer given twice is found
// before any statement runs.
func (cs CampaignStore) ReplaceProfiles(ctx context.Context, dealer crm.DealerID, profiles []campaign.Profile) error {
	t := cs.s.cfg.table(TableCampaignProfiles)
	ids := make([]crm.CustomerID, len(profiles))
	for i := range profiles {
		ids[i] = profiles[i].CustomerID
	}
	if id, dup := twice(ids); dup {
		return dealercrm.Errorf(dealercrm.Conflict, "postgres: campaign profiles: customer %s is given twice", id)
	}
	return cs.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		if _, err := db.ExecContext(ctx, "DELETE FROM "+t+" WHERE dealer_id = ?", string(dealer)); err != nil {
			return translate("campaign profiles", err)
		}
		for start := 0; start < len(profiles); start += campaignChunk {
			chunk := profiles[start:min(start+campaignChunk, len(profiles))]
			docs := make([]profileDoc, len(chunk))
			for i := range chunk {
				p := &chunk[i]
				d := profileDoc{CustomerID: string(p.CustomerID), Gender: string(p.Gender), Birthday: nullDate(p.Birthday),
					FamilyStage: string(p.FamilyStage), Hobbies: orEmpty(p.Hobbies), Province: p.Province, City: p.City,
					District: p.District, Occupation: p.Occupation, VehicleModel: p.VehicleModel, VehicleDate: nullDate(p.VehicleDate),
					OdometerAt: nullDate(p.OdometerAt), LastVisit: nullDate(p.LastVisit), Stage: p.Stage, Grade: p.Grade, Tier: p.Tier,
					Abnormal: orEmpty(p.Abnormal), Tags: orEmpty(p.Tags), Consents: orEmpty(p.Consents),
					ConsultantID: string(p.ConsultantID), UpdatedAt: dbTime(p.UpdatedAt).Format(time.RFC3339Nano)}
				if !p.OdometerAt.IsZero() {
					km := p.OdometerKM
					d.OdometerKM = &km
				}
				docs[i] = d
			}
			b, err := json.Marshal(docs)
			if err != nil {
				return fmt.Errorf("postgres: campaign profiles: %w", err)
			}
			res, err := db.ExecContext(ctx, "INSERT INTO "+t+` (dealer_id, customer_id, gender, birthday, family_stage, hobbies,
				province, city, district, occupation, vehicle_model, vehicle_date, odometer_km, odometer_at, last_visit, stage,
				grade, tier, abnormal, tags, consents, consultant_id, updated_at)
				SELECT ?, customer_id, gender, birthday, family_stage, coalesce(array(SELECT json_array_elements_text(hobbies)), '{}'),
					province, city, district, occupation, vehicle_model, vehicle_date, odometer_km, odometer_at, last_visit, stage,
					grade, tier, array(SELECT json_array_elements_text(abnormal)), array(SELECT json_array_elements_text(tags)),
					array(SELECT json_array_elements_text(consents)), consultant_id, updated_at
				FROM json_to_recordset(?::json) AS x(customer_id text, gender text, birthday date, family_stage text, hobbies json,
					province text, city text, district text, occupation text, vehicle_model text, vehicle_date date,
					odometer_km bigint, odometer_at date, last_visit date, stage text, grade text, tier text, abnormal json,
					tags json, consents json, consultant_id text, updated_at timestamptz)
				ON CONFLICT (dealer_id, customer_id) DO NOTHING`, string(dealer), string(b))
			if err != nil {
				return translate("campaign profiles", err)
			}
			if err := wroteAll(res, len(chunk), func() error {
				return dealercrm.Errorf(dealercrm.Conflict, "postgres: campaign profiles: a customer is given twice")
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// CountProfiles implements campaign.Store.
func (cs CampaignStore) CountProfiles(ctx context.Context, dealer crm.DealerID, cond campaign.Cond) (int, error) {
	where, args, err := segmentSQL(cond)
	if err != nil {
		return 0, err
	}
	var n int
	err = cs.s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+cs.s.cfg.table(TableCampaignProfiles)+
		" WHERE dealer_id = ? AND "+where, append([]any{string(dealer)}, args...)...).Scan(&n)
	return n, translate("campaign segment", err)
}

const profileSelect = `customer_id, gender, birthday, family_stage, hobbies, province, city, district, occupation,
	vehicle_model, vehicle_date, coalesce(odometer_km, 0), odometer_at, last_visit, stage, grade, tier, abnormal, tags,
	consents, consultant_id, updated_at`

// EachProfile implements campaign.Store with one streamed query.
func (cs CampaignStore) EachProfile(ctx context.Context, dealer crm.DealerID, cond campaign.Cond, limit int, fn func(*campaign.Profile) error) error {
	where, args, err := segmentSQL(cond)
	if err != nil {
		return err
	}
	q := "SELECT " + profileSelect + " FROM " + cs.s.cfg.table(TableCampaignProfiles) + " WHERE dealer_id = ? AND " + where + " ORDER BY customer_id"
	args = append([]any{string(dealer)}, args...)
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := cs.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return translate("campaign segment", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanProfile(rows, dealer)
		if err != nil {
			return translate("campaign segment", err)
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
	return translate("campaign segment", rows.Err())
}

// scanProfile reads the profileSelect columns of a row.
func scanProfile(row rowScanner, dealer crm.DealerID) (campaign.Profile, error) {
	p := campaign.Profile{DealerID: dealer}
	var birthday, vdate, odoAt, last sqlDate
	var hobbies, abnormal, tags, consents textArray
	if err := row.Scan(&p.CustomerID, &p.Gender, &birthday, &p.FamilyStage, &hobbies, &p.Province, &p.City, &p.District,
		&p.Occupation, &p.VehicleModel, &vdate, &p.OdometerKM, &odoAt, &last, &p.Stage, &p.Grade, &p.Tier, &abnormal,
		&tags, &consents, &p.ConsultantID, &p.UpdatedAt); err != nil {
		return p, err
	}
	p.Birthday, p.VehicleDate, p.OdometerAt, p.LastVisit = birthday.date(), vdate.date(), odoAt.date(), last.date()
	p.Hobbies, p.Abnormal, p.Tags, p.Consents = nilIfEmpty([]string(hobbies)), nilIfEmpty([]string(abnormal)), nilIfEmpty([]string(tags)), nilIfEmpty([]string(consents))
	p.UpdatedAt = p.UpdatedAt.UTC()
	return p, nil
}

// GetProfile implements campaign.Store.
func (cs CampaignStore) GetProfile(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (campaign.Profile, error) {
	p, err := scanProfile(cs.s.db.QueryRowContext(ctx, "SELECT "+profileSelect+" FROM "+cs.s.cfg.table(TableCampaignProfiles)+
		" WHERE dealer_id = ? AND customer_id = ?", string(dealer), string(customer)), dealer)
	if err != nil {
		return campaign.Profile{}, translate("profile of customer "+string(customer), err)
	}
	return p, nil
}

// DeleteProfile implements campaign.Store.
func (cs CampaignStore) DeleteProfile(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) error {
	return cs.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		_, err := db.ExecContext(ctx, "DELETE FROM "+cs.s.cfg.table(TableCampaignProfiles)+" WHERE dealer_id = ? AND customer_id = ?",
			string(dealer), string(customer))
		return translate("campaign profile", err)
	})
}

type memberDoc struct {
	CustomerID     string  `json:"customer_id"`
	Segment        string  `json:"segment"`
	Channel        string  `json:"channel"`
	Excluded       string  `json:"excluded"`
	Holdout        bool    `json:"holdout"`
	Responded      *string `json:"responded"`
	Visited        *string `json:"visited"`
	Converted      *string `json:"converted"`
	ConversionKind string  `json:"conversion_kind"`
	Revenue        string  `json:"revenue"`
}

func docOfMember(m *campaign.Member) memberDoc {
	return memberDoc{CustomerID: string(m.CustomerID), Segment: m.Segment, Channel: string(m.Channel), Excluded: string(m.Excluded),
		Holdout: m.Holdout, Responded: nullDate(m.Responded), Visited: nullDate(m.Visited), Converted: nullDate(m.Converted),
		ConversionKind: string(m.ConversionKind), Revenue: m.Revenue.String()}
}

// FreezeAudience implements campaign.Store: in one transaction, the
// campaign row is locked, checked and stamped, and the members inserted.
// A member given twice is found before any statement runs.
func (cs CampaignStore) FreezeAudience(ctx context.Context, dealer crm.DealerID, id campaign.ID, at time.Time, members []campaign.Member) error {
	ids := make([]crm.CustomerID, len(members))
	for i := range members {
		ids[i] = members[i].CustomerID
	}
	if c, dup := twice(ids); dup {
		return dealercrm.Errorf(dealercrm.Conflict, "postgres: campaign %s: member %s is given twice", id, c)
	}
	return cs.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		c, err := cs.get(ctx, db, dealer, id, true)
		if err != nil {
			return err
		}
		if !c.FrozenAt.IsZero() {
			return campaign.ErrAudienceFrozen
		}
		c.FrozenAt = at
		if err := cs.put(ctx, db, &c); err != nil {
			return err
		}
		for start := 0; start < len(members); start += campaignChunk {
			chunk := members[start:min(start+campaignChunk, len(members))]
			b, err := membersJSON(chunk)
			if err != nil {
				return fmt.Errorf("postgres: campaign members: %w", err)
			}
			res, err := db.ExecContext(ctx, "INSERT INTO "+cs.s.cfg.table(TableCampaignMembers)+
				` (dealer_id, campaign_id, customer_id, segment, channel, excluded, holdout, responded, visited, converted, conversion_kind, revenue)
				SELECT ?, ?, customer_id, segment, channel, excluded, holdout, responded, visited, converted, conversion_kind, revenue
				FROM json_to_recordset(?::json) AS x(customer_id text, segment text, channel text, excluded text, holdout boolean,
					responded date, visited date, converted date, conversion_kind text, revenue numeric)
				ON CONFLICT (dealer_id, campaign_id, customer_id) DO NOTHING`,
				string(dealer), string(id), string(b))
			if err != nil {
				return translate("campaign members", err)
			}
			if err := wroteAll(res, len(chunk), func() error {
				return dealercrm.Errorf(dealercrm.Conflict, "postgres: campaign %s: a member is given twice", id)
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

const memberSelect = `campaign_id, customer_id, segment, channel, excluded, holdout, responded, visited, converted, conversion_kind, revenue::text`

func scanMember(row rowScanner, dealer crm.DealerID) (campaign.Member, error) {
	m := campaign.Member{DealerID: dealer}
	var resp, visit, conv sqlDate
	var revenue string
	if err := row.Scan(&m.CampaignID, &m.CustomerID, &m.Segment, &m.Channel, &m.Excluded, &m.Holdout, &resp, &visit, &conv, &m.ConversionKind, &revenue); err != nil {
		return m, err
	}
	m.Responded, m.Visited, m.Converted = resp.date(), visit.date(), conv.date()
	r, err := decimal.NewFromString(revenue)
	if err != nil {
		return m, fmt.Errorf("postgres: member %s revenue: %w", m.CustomerID, err)
	}
	m.Revenue = r
	return m, nil
}

// Members implements campaign.Store.
func (cs CampaignStore) Members(ctx context.Context, dealer crm.DealerID, id campaign.ID) ([]campaign.Member, error) {
	return cs.members(ctx, dealer, "SELECT "+memberSelect+" FROM "+cs.s.cfg.table(TableCampaignMembers)+
		" WHERE dealer_id = ? AND campaign_id = ? ORDER BY customer_id", string(dealer), string(id))
}

// ListMembers implements campaign.Store: a keyset page on the primary key.
func (cs CampaignStore) ListMembers(ctx context.Context, dealer crm.DealerID, id campaign.ID, f campaign.MemberFilter) (crm.Page[campaign.Member], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[campaign.Member]{}, err
	}
	size := f.Size()
	out, err := cs.members(ctx, dealer, "SELECT "+memberSelect+" FROM "+cs.s.cfg.table(TableCampaignMembers)+
		" WHERE dealer_id = ? AND campaign_id = ? AND customer_id > ? ORDER BY customer_id LIMIT ?", string(dealer), string(id), after, size+1)
	if err != nil {
		return crm.Page[campaign.Member]{}, err
	}
	return crm.NewPage(out, size, func(m campaign.Member) string { return string(m.CustomerID) }), nil
}

// CustomerMembers implements campaign.Store: one primary-key probe of
// campaign_members per campaign of the dealer (a lateral join), rather
// than a scan of every member of the dealer for the customer.
func (cs CampaignStore) CustomerMembers(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) ([]campaign.Member, error) {
	return cs.members(ctx, dealer, "SELECT m.* FROM "+cs.s.cfg.table(TableCampaigns)+" AS c CROSS JOIN LATERAL (SELECT "+memberSelect+
		" FROM "+cs.s.cfg.table(TableCampaignMembers)+" WHERE dealer_id = c.dealer_id AND campaign_id = c.id AND customer_id = ?) AS m"+
		" WHERE c.dealer_id = ? ORDER BY c.id", string(customer), string(dealer))
}

// members runs query, which selects memberSelect's columns, and scans its
// rows: never nil.
func (cs CampaignStore) members(ctx context.Context, dealer crm.DealerID, query string, args ...any) ([]campaign.Member, error) {
	rows, err := cs.s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate("campaign members", err)
	}
	defer rows.Close()
	out := []campaign.Member{}
	for rows.Next() {
		m, err := scanMember(rows, dealer)
		if err != nil {
			return nil, translate("campaign members", err)
		}
		out = append(out, m)
	}
	return out, translate("campaign members", rows.Err())
}

// UpdateMember implements campaign.Store with SELECT … FOR UPDATE.
func (cs CampaignStore) UpdateMember(ctx context.Context, dealer crm.DealerID, id campaign.ID, customer crm.CustomerID, fn func(*campaign.Member) error) (campaign.Member, error) {
	var out campaign.Member
	t := cs.s.cfg.table(TableCampaignMembers)
	err := cs.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		m, err := scanMember(db.QueryRowContext(ctx, "SELECT "+memberSelect+" FROM "+t+
			" WHERE dealer_id = ? AND campaign_id = ? AND customer_id = ? FOR UPDATE", string(dealer), string(id), string(customer)), dealer)
		if err != nil {
			return translate(fmt.Sprintf("member %s of campaign %s", customer, id), err)
		}
		if err := fn(&m); err != nil {
			return err
		}
		m.DealerID, m.CampaignID, m.CustomerID = dealer, id, customer
		if _, err := db.ExecContext(ctx, "UPDATE "+t+` SET segment = ?, channel = ?, excluded = ?, holdout = ?, responded = ?,
			visited = ?, converted = ?, conversion_kind = ?, revenue = ?::numeric WHERE dealer_id = ? AND campaign_id = ? AND customer_id = ?`,
			m.Segment, string(m.Channel), string(m.Excluded), m.Holdout, sqlDate(m.Responded), sqlDate(m.Visited), sqlDate(m.Converted),
			string(m.ConversionKind), m.Revenue.String(), string(dealer), string(id), string(customer)); err != nil {
			return translate("campaign member", err)
		}
		out = m
		return nil
	})
	return out, err
}

// membersJSON encodes members as the JSON array the member statements
// read with json_to_recordset.
func membersJSON(members []campaign.Member) ([]byte, error) {
	docs := make([]memberDoc, len(members))
	for i := range members {
		docs[i] = docOfMember(&members[i])
	}
	return json.Marshal(docs)
}

// SetOutcomes implements campaign.Store with one UPDATE … FROM
// json_to_recordset per chunk.
func (cs CampaignStore) SetOutcomes(ctx context.Context, dealer crm.DealerID, id campaign.ID, members []campaign.Member) error {
	return cs.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		for start := 0; start < len(members); start += campaignChunk {
			chunk := members[start:min(start+campaignChunk, len(members))]
			b, err := membersJSON(chunk)
			if err != nil {
				return fmt.Errorf("postgres: campaign outcomes: %w", err)
			}
			res, err := db.ExecContext(ctx, "UPDATE "+cs.s.cfg.table(TableCampaignMembers)+` AS m
				SET converted = x.converted, conversion_kind = x.conversion_kind, revenue = x.revenue
				FROM json_to_recordset(?::json) AS x(customer_id text, converted date, conversion_kind text, revenue numeric)
				WHERE m.dealer_id = ? AND m.campaign_id = ? AND m.customer_id = x.customer_id`, string(b), string(dealer), string(id))
			if err != nil {
				return translate("campaign outcomes", err)
			}
			if n, err := res.RowsAffected(); err == nil && int(n) != len(chunk) {
				return dealercrm.Errorf(dealercrm.NotFound, "postgres: campaign %s: %d of %d outcomes have no member", id, len(chunk)-int(n), len(chunk))
			}
		}
		return nil
	})
}

// PutAccessoryTargets implements campaign.Store.
func (cs CampaignStore) PutAccessoryTargets(ctx context.Context, dealer crm.DealerID, targets []campaign.AccessoryTarget) error {
	return cs.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		for _, t := range targets {
			if _, err := db.ExecContext(ctx, "INSERT INTO "+cs.s.cfg.table(TableCampaignAccessoryTargets)+
				` (dealer_id, month, dimension, key, amount) VALUES (?, ?::date, ?, ?, ?::numeric)
				ON CONFLICT (dealer_id, month, dimension, key) DO UPDATE SET amount = excluded.amount`,
				string(dealer), t.Month.String(), string(t.Dimension), t.Key, t.Amount.String()); err != nil {
				return translate("accessory targets", err)
			}
		}
		return nil
	})
}

// AccessoryTargets implements campaign.Store.
func (cs CampaignStore) AccessoryTargets(ctx context.Context, dealer crm.DealerID, month dealercrm.Date) ([]campaign.AccessoryTarget, error) {
	rows, err := cs.s.db.QueryContext(ctx, "SELECT dimension, key, amount::text FROM "+cs.s.cfg.table(TableCampaignAccessoryTargets)+
		" WHERE dealer_id = ? AND month = ?::date ORDER BY dimension, key", string(dealer), month.String())
	if err != nil {
		return nil, translate("accessory targets", err)
	}
	defer rows.Close()
	out := []campaign.AccessoryTarget{}
	for rows.Next() {
		t := campaign.AccessoryTarget{DealerID: dealer, Month: month}
		var amount string
		if err := rows.Scan(&t.Dimension, &t.Key, &amount); err != nil {
			return nil, translate("accessory targets", err)
		}
		if t.Amount, err = decimal.NewFromString(amount); err != nil {
			return nil, fmt.Errorf("postgres: accessory target amount: %w", err)
		}
		out = append(out, t)
	}
	return out, translate("accessory targets", rows.Err())
}
