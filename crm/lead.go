package crm

import (
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
)

// LevelWindow maps an expected closing window to an intent level: a lead
// expected to close within MaxDays days (and beyond the previous window) has
// Level.
type LevelWindow struct {
	Level   IntentLevel `json:"level"`
	MaxDays int         `json:"max_days"`
}

// LeadPolicy is a dealer's configuration of lead handling (SPEC §1.1). The
// zero value is not useful; start from DefaultLeadPolicy.
type LeadPolicy struct {
	// Windows are the closing windows of the open levels, shortest first.
	// A lead beyond the last window, or with no expected date, is N.
	Windows []LevelWindow `json:"windows"`
	// CadenceDays is the follow-up interval per open level, in days.
	CadenceDays map[IntentLevel]int `json:"cadence_days"`
	// FirstCallHours is the time within which a showroom visit gets its first call.
	FirstCallHours int `json:"first_call_hours"`
	// StaleAfterDays flags an open lead untouched this long for the manager.
	StaleAfterDays int `json:"stale_after_days"`
}

// DefaultLeadPolicy returns the defaults of SPEC §1.1: H 0–7 days, A 7–15,
// B 15–30, C 30–90, N beyond; follow up H every 2 days, A every 4, B weekly,
// C every 15 days, N every 30; first call within 24 hours of a showroom
// visit; stale after 90 days untouched.
func DefaultLeadPolicy() LeadPolicy {
	return LeadPolicy{
		Windows: []LevelWindow{{LevelH, 7}, {LevelA, 15}, {LevelB, 30}, {LevelC, 90}},
		CadenceDays: map[IntentLevel]int{
			LevelH: 2, LevelA: 4, LevelB: 7, LevelC: 15, LevelN: 30,
		},
		FirstCallHours: 24,
		StaleAfterDays: 90,
	}
}

func (p *LeadPolicy) check(c *checker) {
	prev := -1
	for i, w := range p.Windows {
		f := indexed("windows", i)
		if !openLevel(w.Level) || w.Level == LevelN {
			c.add(f+".level", RuleEnum, "must be one of H, A, B, C")
		}
		if w.MaxDays <= prev {
			c.add(f+".max_days", RuleOrder, "must be greater than the previous window's")
		}
		prev = w.MaxDays
	}
	for _, l := range []IntentLevel{LevelH, LevelA, LevelB, LevelC, LevelN} {
		if p.CadenceDays[l] <= 0 {
			c.add("cadence_days."+string(l), RuleRequired, "must be a positive number of days")
		}
	}
	for l := range p.CadenceDays {
		if !openLevel(l) {
			c.add("cadence_days."+string(l), RuleEnum, "only open levels H, A, B, C, N have a cadence")
		}
	}
	if p.FirstCallHours <= 0 {
		c.add("first_call_hours", RuleRequired, "must be positive")
	}
	if p.StaleAfterDays <= 0 {
		c.add("stale_after_days", RuleRequired, "must be positive")
	}
}

// Validate checks the policy.
func (p LeadPolicy) Validate() error {
	var c checker
	p.check(&c)
	return c.err("lead policy")
}

// LevelFor returns the intent level of a lead expected to close on expected,
// seen on today: the first window that holds the number of days between
// them, or N when none does or expected is not set.
func (p LeadPolicy) LevelFor(today, expected dealercrm.Date) IntentLevel {
	if expected.IsZero() {
		return LevelN
	}
	days := expected.DaysSince(today)
	for _, w := range p.Windows {
		if days <= w.MaxDays {
			return w.Level
		}
	}
	return LevelN
}

// WindowLevel returns the level p's windows give the lead on today from its
// expected close date (SPEC §1.1: 20 days out is B with the defaults), and
// false when the windows do not decide the lead's level: it has no expected
// close date, or it is not open at H, A, B, C or N (an ordered lead stays
// at O, a closed one at D or F).
func (l *Lead) WindowLevel(p LeadPolicy, today dealercrm.Date) (IntentLevel, bool) {
	if l.ExpectedClose.IsZero() || l.Status != LeadOpen || !openLevel(l.Level) {
		return "", false
	}
	return p.LevelFor(today, l.ExpectedClose), true
}

// applyWindow moves an open lead at H, A, B, C or N to the level its
// expected close date gives (N when it has none: "not yet known") and
// reschedules its next follow-up when the level changes.
func (l *Lead) applyWindow(p LeadPolicy, today dealercrm.Date, now time.Time) {
	if l.Status != LeadOpen || !openLevel(l.Level) {
		return
	}
	if w := p.LevelFor(today, l.ExpectedClose); w != l.Level {
		l.Level = w
		l.reschedule(p, now)
	}
}

// windowError is the *ValidationError of an explicit level that disagrees
// with the level want the windows give the lead's expected close date.
func (l *Lead) windowError(field string, level, want IntentLevel, today dealercrm.Date) error {
	return &ValidationError{Entity: "lead", Fields: []FieldError{{Field: field, Rule: RuleWindow,
		Message: fmt.Sprintf("%s disagrees with expected_close %s, %d days after %s, which the dealer's windows make %s; change expected_close to move the level",
			level, l.ExpectedClose, l.ExpectedClose.DaysSince(today), today, want)}}}
}

// openLevel reports whether l is one of the open levels H, A, B, C, N.
func openLevel(l IntentLevel) bool {
	switch l {
	case LevelH, LevelA, LevelB, LevelC, LevelN:
		return true
	}
	return false
}

// levelTransitions lists the level changes a caller may make directly. D is
// reached only by conversion (Convert), F only by an approved lost request.
var levelTransitions = map[IntentLevel][]IntentLevel{
	LevelH: {LevelH, LevelA, LevelB, LevelC, LevelN, LevelO},
	LevelA: {LevelH, LevelA, LevelB, LevelC, LevelN, LevelO},
	LevelB: {LevelH, LevelA, LevelB, LevelC, LevelN, LevelO},
	LevelC: {LevelH, LevelA, LevelB, LevelC, LevelN, LevelO},
	LevelN: {LevelH, LevelA, LevelB, LevelC, LevelN, LevelO},
	LevelO: {LevelH, LevelA, LevelB, LevelC, LevelN, LevelO}, // an order cancelled goes back to an open level
	LevelD: {},
	LevelF: {},
}

// CanMove reports whether a lead at level from may be set to level to
// directly (SetLevel). D and F are never reached this way.
func (from IntentLevel) CanMove(to IntentLevel) bool {
	return contains(levelTransitions[from], to)
}

// FollowUp is one entry of a lead's follow-up log.
type FollowUp struct {
	At      time.Time `json:"at"`
	StaffID StaffID   `json:"staff_id,omitempty"`
	Channel Channel   `json:"channel"`
	Note    string    `json:"note,omitempty"`
	// Level is the level after this contact, empty when unchanged.
	Level IntentLevel `json:"level,omitempty"`
	// ExpectedClose is the expected close date learnt at this contact,
	// zero when unchanged; it becomes the lead's.
	ExpectedClose dealercrm.Date `json:"expected_close,omitzero"`
	// Visit marks a showroom visit.
	Visit bool `json:"visit,omitempty"`
}

// LostRequest is a consultant's request to mark a lead lost (战败) and the
// manager's decision on it. Requests are kept after the decision.
type LostRequest struct {
	Reason       LostReason `json:"reason"`
	Note         string     `json:"note,omitempty"`
	RequestedBy  StaffID    `json:"requested_by"`
	RequestedAt  time.Time  `json:"requested_at"`
	Decision     Decision   `json:"decision"`
	DecidedBy    StaffID    `json:"decided_by,omitempty"`
	DecidedAt    time.Time  `json:"decided_at,omitzero"`
	DecisionNote string     `json:"decision_note,omitempty"`
}

// Lead is a prospect card (A卡). It stays open while the consultant follows
// it up and is closed by conversion — it becomes a customer with a vehicle
// and a sale (C卡) — or by an approved lost request (战败).
type Lead struct {
	ID LeadID `json:"id"`
	Record
	Name   string `json:"name"`
	Mobile string `json:"mobile,omitempty"`
	// Level is the intent level; change it with SetLevel.
	Level IntentLevel `json:"level"`
	// Status follows Level: open for H…O, converted for D, lost for F.
	Status          LeadStatus     `json:"status"`
	ModelOfInterest string         `json:"model_of_interest,omitempty"`
	Source          Source         `json:"source"`
	VisitTrigger    string         `json:"visit_trigger,omitempty"` // 来店契机
	Purchase        PurchaseKind   `json:"purchase"`
	ExpectedClose   dealercrm.Date `json:"expected_close,omitempty"`
	ConsultantID    StaffID        `json:"consultant_id,omitempty"`
	// CustomerID is the existing customer buying again (add or replacement
	// purchase), or the customer the lead became on conversion.
	CustomerID CustomerID `json:"customer_id,omitempty"`
	// ReferrerID is the customer who introduced this prospect (介绍客).
	ReferrerID CustomerID `json:"referrer_id,omitempty"`
	// SaleID is the sale the lead was converted into.
	SaleID SaleID `json:"sale_id,omitempty"`
	// FollowUps is the follow-up log; append with LogFollowUp.
	FollowUps []FollowUp `json:"follow_ups,omitempty"`
	// LastContactAt is the time of the latest follow-up.
	LastContactAt time.Time `json:"last_contact_at,omitzero"`
	// NextFollowUpAt is when the next follow-up is due, from the level's
	// cadence or the first-call rule after a showroom visit.
	NextFollowUpAt time.Time     `json:"next_follow_up_at,omitzero"`
	LostRequests   []LostRequest `json:"lost_requests,omitempty"`
	// LostReason is set when a lost request is approved.
	LostReason LostReason `json:"lost_reason,omitempty"`
}

// Normalize cleans input in place and fills defaults for a new lead: level
// N, status open, first purchase.
func (l *Lead) Normalize() {
	l.Mobile = NormalizeMobile(l.Mobile)
	if l.Level == "" {
		l.Level = LevelN
	}
	if l.Status == "" {
		l.Status = statusOf(l.Level)
	}
	if l.Purchase == "" {
		l.Purchase = FirstPurchase
	}
}

func statusOf(l IntentLevel) LeadStatus {
	switch l {
	case LevelD:
		return LeadConverted
	case LevelF:
		return LeadLost
	}
	return LeadOpen
}

// Validate checks the lead.
func (l *Lead) Validate() error {
	var k checker
	k.required("id", string(l.ID))
	l.check(&k)
	k.required("name", l.Name)
	k.maxLen("name", l.Name, 200)
	k.mobile("mobile", l.Mobile)
	CheckEnum(&k.Checker, "level", l.Level, IntentLevel.Valid, true)
	CheckEnum(&k.Checker, "status", l.Status, LeadStatus.Valid, true)
	if l.Level.Valid() && l.Status.Valid() && statusOf(l.Level) != l.Status {
		k.add("status", RuleEnum, "status %s does not match level %s", l.Status, l.Level)
	}
	CheckEnum(&k.Checker, "source", l.Source, Source.Valid, true)
	CheckEnum(&k.Checker, "purchase", l.Purchase, PurchaseKind.Valid, true)
	if (l.Purchase == AddPurchase || l.Purchase == ReplacementPurchase) && l.CustomerID == "" {
		k.add("customer_id", RuleRequired, "is required for an add or replacement purchase")
	}
	k.date("expected_close", l.ExpectedClose, false)
	CheckEnum(&k.Checker, "lost_reason", l.LostReason, LostReason.Valid, false)
	for i, f := range l.FollowUps {
		p := indexed("follow_ups", i)
		k.timeRequired(p+".at", f.At)
		CheckEnum(&k.Checker, p+".channel", f.Channel, Channel.Valid, true)
		CheckEnum(&k.Checker, p+".level", f.Level, IntentLevel.Valid, false)
		k.date(p+".expected_close", f.ExpectedClose, false)
	}
	for i, r := range l.LostRequests {
		p := indexed("lost_requests", i)
		CheckEnum(&k.Checker, p+".reason", r.Reason, LostReason.Valid, true)
		CheckEnum(&k.Checker, p+".decision", r.Decision, Decision.Valid, true)
	}
	return k.err("lead")
}

// PendingLostRequest returns the lost request awaiting a decision, if any.
func (l *Lead) PendingLostRequest() (*LostRequest, bool) {
	for i := range l.LostRequests {
		if l.LostRequests[i].Decision == Pending {
			return &l.LostRequests[i], true
		}
	}
	return nil, false
}

func (l *Lead) mustBeOpen() error {
	if l.Status != LeadOpen {
		return fmt.Errorf("%w: lead %s is %s", ErrLeadClosed, l.ID, l.Status)
	}
	return nil
}

// SetLevel moves an open lead to level to and reschedules its next
// follow-up from the last contact. It returns ErrLeadClosed for a converted
// or lost lead and ErrInvalidTransition for D or F, which are reached only
// through Convert and an approved lost request.
func (l *Lead) SetLevel(to IntentLevel, p LeadPolicy, now time.Time) error {
	if err := l.mustBeOpen(); err != nil {
		return err
	}
	if !l.Level.CanMove(to) {
		return dealercrm.NewTransitionError("lead level", l.Level, to, levelTransitions[l.Level], ErrInvalidTransition)
	}
	l.Level = to
	l.reschedule(p, now)
	return nil
}

// LogFollowUp appends a follow-up to an open lead, applies its level and
// expected close date changes and schedules the next follow-up: within
// FirstCallHours of a showroom visit, else after the level's cadence.
// Service.LogFollowUp also moves the level by the windows (SPEC §1.1).
func (l *Lead) LogFollowUp(f FollowUp, p LeadPolicy) error {
	if err := l.mustBeOpen(); err != nil {
		return err
	}
	if f.Level != "" && !l.Level.CanMove(f.Level) {
		return dealercrm.NewTransitionError("lead level", l.Level, f.Level, levelTransitions[l.Level], ErrInvalidTransition)
	}
	l.FollowUps = append(l.FollowUps, f)
	if f.Level != "" {
		l.Level = f.Level
	}
	if !f.ExpectedClose.IsZero() {
		l.ExpectedClose = f.ExpectedClose
	}
	if f.At.After(l.LastContactAt) {
		l.LastContactAt = f.At
	}
	if f.Visit && openLevel(l.Level) {
		l.NextFollowUpAt = f.At.Add(time.Duration(p.FirstCallHours) * time.Hour)
		return nil
	}
	l.reschedule(p, f.At)
	return nil
}

// reschedule sets the next follow-up from the last contact (or now) and the
// level's cadence; a lead at O or closed has none.
func (l *Lead) reschedule(p LeadPolicy, now time.Time) {
	days, ok := p.CadenceDays[l.Level]
	if !ok || !openLevel(l.Level) {
		l.NextFollowUpAt = time.Time{}
		return
	}
	from := l.LastContactAt
	if from.IsZero() {
		from = now
	}
	l.NextFollowUpAt = from.AddDate(0, 0, days)
}

// ScheduleFirst sets the first follow-up of a new lead: within
// FirstCallHours when it came from a showroom visit, else by cadence.
func (l *Lead) ScheduleFirst(p LeadPolicy, now time.Time) {
	if l.Source == SourceWalkIn {
		l.NextFollowUpAt = now.Add(time.Duration(p.FirstCallHours) * time.Hour)
		return
	}
	l.reschedule(p, now)
}

// RequestLost asks a manager to mark the open lead lost (战败); by, the
// member of staff asking, is required, since they may not decide it. Only
// one request may be pending at a time (ErrLostRequestPending).
func (l *Lead) RequestLost(reason LostReason, note string, by StaffID, at time.Time) error {
	if err := l.mustBeOpen(); err != nil {
		return err
	}
	var c checker
	if !reason.Valid() {
		c.add("reason", RuleEnum, "%q is not a lost reason", reason)
	}
	c.required("requested_by", string(by))
	if err := c.err("lost request"); err != nil {
		return err
	}
	if _, ok := l.PendingLostRequest(); ok {
		return ErrLostRequestPending
	}
	l.LostRequests = append(l.LostRequests, LostRequest{
		Reason: reason, Note: note, RequestedBy: by, RequestedAt: at, Decision: Pending,
	})
	return nil
}

// DecideLost records a manager's decision on the pending lost request. An
// approval closes the lead as lost (level F) with the request's reason; a
// rejection keeps it open at its level. Both are kept in LostRequests.
// by, who decides, is required and may not be who requested it
// (a *PermissionError naming decided_by, rule not_requester, that
// errors.Is ErrOwnLostRequest; code PermissionDenied; SPEC §9).
func (l *Lead) DecideLost(approve bool, by StaffID, note string, at time.Time) error {
	r, ok := l.PendingLostRequest()
	if !ok {
		return ErrNoLostRequest
	}
	if strings.TrimSpace(string(by)) == "" {
		return &ValidationError{Entity: "lost decision", Fields: []FieldError{{Field: "decided_by", Rule: RuleRequired, Message: "is required"}}}
	}
	if strings.TrimSpace(string(by)) == strings.TrimSpace(string(r.RequestedBy)) {
		return &PermissionError{Field: "decided_by", Rule: RuleNotRequester, Sentinel: ErrOwnLostRequest,
			Message: fmt.Sprintf("decided_by: %s requested it, and a manager other than the requester decides", by)}
	}
	r.DecidedBy, r.DecidedAt, r.DecisionNote = by, at, note
	if !approve {
		r.Decision = Rejected
		return nil
	}
	r.Decision = Approved
	l.Level, l.Status, l.LostReason = LevelF, LeadLost, r.Reason
	l.NextFollowUpAt = time.Time{}
	return nil
}

// markConverted closes the lead as delivered (D) for customer and sale.
func (l *Lead) markConverted(c CustomerID, s SaleID) error {
	if err := l.mustBeOpen(); err != nil {
		return err
	}
	if _, ok := l.PendingLostRequest(); ok {
		return ErrLostRequestPending
	}
	l.Level, l.Status, l.CustomerID, l.SaleID = LevelD, LeadConverted, c, s
	l.NextFollowUpAt = time.Time{}
	return nil
}

// Stale reports whether an open lead at H, A, B, C or N has had no contact
// (or, never contacted, was created) more than StaleAfterDays before now.
func (l *Lead) Stale(p LeadPolicy, now time.Time) bool {
	if l.Status != LeadOpen || !openLevel(l.Level) {
		return false
	}
	last := l.LastContactAt
	if last.IsZero() {
		last = l.CreatedAt
	}
	return now.Sub(last) > time.Duration(p.StaleAfterDays)*24*time.Hour
}
