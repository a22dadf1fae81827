package postgres

import (
	"encoding/json"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// The jsonb documents of nested values. They are the adapter's stored
// format, decoupled from the domain types' JSON tags, and normalise what
// may be spelled in several ways (times in UTC, decimals in shortest form)
// so that equal values give equal documents.

type consentDoc struct {
	Purpose string    `json:"purpose"`
	Channel string    `json:"channel"`
	Granted bool      `json:"granted"`
	At      time.Time `json:"at"`
	Source  string    `json:"source"`
}

func fromConsent(c crm.Consent) consentDoc {
	return consentDoc{Purpose: string(c.Purpose), Channel: string(c.Channel), Granted: c.Granted, At: dbTime(c.At), Source: c.Source}
}

func toConsent(d consentDoc) (crm.Consent, error) {
	return crm.Consent{Purpose: crm.Purpose(d.Purpose), Channel: crm.Channel(d.Channel), Granted: d.Granted, At: utc(d.At), Source: d.Source}, nil
}

type odometerDoc struct {
	Date   string `json:"date"`
	KM     int64  `json:"km"`
	Source string `json:"source,omitempty"`
}

func fromOdometer(r crm.OdometerReading) odometerDoc {
	return odometerDoc{Date: jsonDate(r.Date), KM: r.KM, Source: string(r.Source)}
}

func toOdometer(d odometerDoc) (crm.OdometerReading, error) {
	date, err := parseDate(d.Date)
	return crm.OdometerReading{Date: date, KM: d.KM, Source: crm.OdometerSource(d.Source)}, err
}

type valueChainItemDoc struct {
	Kind        string      `json:"kind"`
	Description string      `json:"description,omitempty"`
	Amount      json.Number `json:"amount"`
	Profit      json.Number `json:"profit"`
}

func fromValueChainItem(it crm.ValueChainItem) valueChainItemDoc {
	return valueChainItemDoc{Kind: string(it.Kind), Description: it.Description, Amount: jsonDecimal(it.Amount), Profit: jsonDecimal(it.Profit)}
}

func toValueChainItem(d valueChainItemDoc) (crm.ValueChainItem, error) {
	amount, err := parseDecimal(d.Amount)
	if err != nil {
		return crm.ValueChainItem{}, err
	}
	profit, err := parseDecimal(d.Profit)
	return crm.ValueChainItem{Kind: crm.ValueChainKind(d.Kind), Description: d.Description, Amount: amount, Profit: profit}, err
}

type followUpDoc struct {
	At      time.Time `json:"at"`
	StaffID string    `json:"staff_id,omitempty"`
	Channel string    `json:"channel"`
	Note    string    `json:"note,omitempty"`
	Level   string    `json:"level,omitempty"`
	Visit   bool      `json:"visit,omitempty"`
	// ExpectedClose is absent from follow-ups written before it existed.
	ExpectedClose dealercrm.Date `json:"expected_close,omitzero"`
}

func fromFollowUp(f crm.FollowUp) followUpDoc {
	return followUpDoc{At: dbTime(f.At), StaffID: string(f.StaffID), Channel: string(f.Channel), Note: f.Note, Level: string(f.Level), Visit: f.Visit,
		ExpectedClose: f.ExpectedClose}
}

func toFollowUp(d followUpDoc) (crm.FollowUp, error) {
	return crm.FollowUp{At: utc(d.At), StaffID: crm.StaffID(d.StaffID), Channel: crm.Channel(d.Channel), Note: d.Note, Level: crm.IntentLevel(d.Level), Visit: d.Visit,
		ExpectedClose: d.ExpectedClose}, nil
}

type lostRequestDoc struct {
	Reason       string    `json:"reason"`
	Note         string    `json:"note,omitempty"`
	RequestedBy  string    `json:"requested_by"`
	RequestedAt  time.Time `json:"requested_at"`
	Decision     string    `json:"decision"`
	DecidedBy    string    `json:"decided_by,omitempty"`
	DecidedAt    time.Time `json:"decided_at,omitzero"`
	DecisionNote string    `json:"decision_note,omitempty"`
}

func fromLostRequest(r crm.LostRequest) lostRequestDoc {
	return lostRequestDoc{
		Reason: string(r.Reason), Note: r.Note, RequestedBy: string(r.RequestedBy), RequestedAt: dbTime(r.RequestedAt),
		Decision: string(r.Decision), DecidedBy: string(r.DecidedBy), DecidedAt: dbTime(r.DecidedAt), DecisionNote: r.DecisionNote,
	}
}

func toLostRequest(d lostRequestDoc) (crm.LostRequest, error) {
	return crm.LostRequest{
		Reason: crm.LostReason(d.Reason), Note: d.Note, RequestedBy: crm.StaffID(d.RequestedBy), RequestedAt: utc(d.RequestedAt),
		Decision: crm.Decision(d.Decision), DecidedBy: crm.StaffID(d.DecidedBy), DecidedAt: utc(d.DecidedAt), DecisionNote: d.DecisionNote,
	}, nil
}

type levelWindowDoc struct {
	Level   string `json:"level"`
	MaxDays int    `json:"max_days"`
}

type leadPolicyDoc struct {
	Windows        []levelWindowDoc `json:"windows"`
	CadenceDays    map[string]int   `json:"cadence_days"`
	FirstCallHours int              `json:"first_call_hours"`
	StaleAfterDays int              `json:"stale_after_days"`
}

// fromLeadPolicy encodes a dealer's lead policy; nil (the defaults) is NULL.
func fromLeadPolicy(p *crm.LeadPolicy) (*jsonDoc, error) {
	if p == nil {
		return nil, nil
	}
	d := leadPolicyDoc{
		Windows:        make([]levelWindowDoc, len(p.Windows)),
		CadenceDays:    make(map[string]int, len(p.CadenceDays)),
		FirstCallHours: p.FirstCallHours,
		StaleAfterDays: p.StaleAfterDays,
	}
	for i, w := range p.Windows {
		d.Windows[i] = levelWindowDoc{Level: string(w.Level), MaxDays: w.MaxDays}
	}
	for l, n := range p.CadenceDays {
		d.CadenceDays[string(l)] = n
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	doc := jsonDoc(b)
	return &doc, nil
}

func toLeadPolicy(s *jsonDoc) (*crm.LeadPolicy, error) {
	if s == nil || *s == "null" {
		return nil, nil
	}
	var d leadPolicyDoc
	if err := json.Unmarshal([]byte(*s), &d); err != nil {
		return nil, err
	}
	p := &crm.LeadPolicy{FirstCallHours: d.FirstCallHours, StaleAfterDays: d.StaleAfterDays}
	if len(d.Windows) > 0 {
		p.Windows = make([]crm.LevelWindow, len(d.Windows))
		for i, w := range d.Windows {
			p.Windows[i] = crm.LevelWindow{Level: crm.IntentLevel(w.Level), MaxDays: w.MaxDays}
		}
	}
	if d.CadenceDays != nil {
		p.CadenceDays = make(map[crm.IntentLevel]int, len(d.CadenceDays))
		for l, n := range d.CadenceDays {
			p.CadenceDays[crm.IntentLevel(l)] = n
		}
	}
	return p, nil
}
