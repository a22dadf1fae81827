package loyalty

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Service runs the club: memberships, points and benefits, over a Store
// and (optionally) the crm records. It is safe for concurrent use.
type Service struct {
	records crm.Store
	store   Store
	program Program
	limits  crm.Limits
	now     func() time.Time
	loc     *time.Location
	// ruleNames are the names of the earning rules, made once.
	ruleNames []string
	// events takes the expiring notices (WithEvents); nil: none.
	events crm.EventWriter
	// membershipNotice is how many days before a membership's period
	// ends it is announced (WithMembershipNotice).
	membershipNotice int
}

// Option configures a Service.
type Option func(*Service)

// WithProgram sets the program (DefaultProgram by default); NewService
// validates it.
func WithProgram(p Program) Option { return func(s *Service) { s.program = p } }

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLimits sets the bounds of plausible input (crm.DefaultLimits by
// default; unset fields take their defaults): a posting may not be dated
// after the dealer's today (plus l.FutureDays), points of one posting may
// not exceed l.MaxPoints, and a fee or an amount may not exceed
// l.MaxAmount. A value outside them is a *crm.ValidationError naming the
// field (rules crm.RuleFuture, crm.RuleMax).
func WithLimits(l crm.Limits) Option { return func(s *Service) { s.limits = l } }

// WithEvents sets where the daily jobs write their expiring notices
// (points.expiring, membership.expiring): by default the Events of the
// crm records given to NewService, none without records. The events of
// the commands themselves are written by the Store, with their changes.
func WithEvents(w crm.EventWriter) Option { return func(s *Service) { s.events = w } }

// DefaultMembershipNoticeDays is how many days before a membership's
// period ends ProcessExpiries announces it (membership.expiring) by
// default.
const DefaultMembershipNoticeDays = 30

// WithMembershipNotice sets how many days before a membership's period
// ends ProcessExpiries announces it (DefaultMembershipNoticeDays by
// default; 0 or less: no notices). The points' notice is the program's
// (PointsRules.NoticeDays).
func WithMembershipNotice(days int) Option {
	return func(s *Service) { s.membershipNotice = max(days, 0) }
}

// NewService returns a Service keeping its data in store. records gives
// the dealers (their time zone decides "today"), the customers a store may
// act on, the service orders and insurance policies that renewal and
// upgrade rules look at and the orders EarnOrder reads; it may be nil, and
// then every date is in dealercrm.DefaultTimeZone, any customer ID is
// taken as it is and the rules see no records. It returns a
// *crm.ValidationError when the program is invalid or posts more points
// at once (a bonus, a renewal or upgrade deduction) than the limits allow.
func NewService(records crm.Store, store Store, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "loyalty: NewService needs a store")
	}
	s := &Service{records: records, store: store, program: DefaultProgram(), now: time.Now, membershipNotice: DefaultMembershipNoticeDays}
	if records != nil {
		s.events = records.Events()
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.program.Validate(); err != nil {
		return nil, fmt.Errorf("loyalty: %w", err)
	}
	s.limits = s.limits.OrDefault()
	if err := s.checkProgramPoints(); err != nil {
		return nil, fmt.Errorf("loyalty: %w", err)
	}
	loc, err := time.LoadLocation(dealercrm.DefaultTimeZone)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	s.loc = loc
	for i, r := range s.program.Earning {
		s.ruleNames = append(s.ruleNames, earnRuleName(i, r))
	}
	return s, nil
}

// Program returns the service's program.
func (s *Service) Program() Program { return s.program }

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

// checkProgramPoints refuses a program whose fixed postings exceed the
// points one posting may carry.
func (s *Service) checkProgramPoints() error {
	var c crm.Checker
	for i, b := range s.program.Bonuses {
		if fe, bad := s.limits.CheckPoints(fmt.Sprintf("bonuses[%d].points", i), b.Points); bad {
			c.Fields = append(c.Fields, fe)
		}
	}
	if fe, bad := s.limits.CheckPoints("renewal.points", s.program.Renewal.Points); bad {
		c.Fields = append(c.Fields, fe)
	}
	if fe, bad := s.limits.CheckPoints("upgrade.points", s.program.Upgrade.Points); bad {
		c.Fields = append(c.Fields, fe)
	}
	return c.Err("loyalty program")
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Today returns the dealer's today: the date in the dealer's time zone
// when the crm records know the dealer, else in the default zone
// (Asia/Shanghai).
func (s *Service) Today(ctx context.Context, dealer crm.DealerID) (dealercrm.Date, error) {
	if s.records != nil && dealer != "" {
		d, err := s.records.Dealers().Get(ctx, dealer)
		if err == nil {
			return d.Today(s.now()), nil
		}
		if !errors.Is(err, dealercrm.ErrNotFound) {
			return dealercrm.Date{}, fmt.Errorf("loyalty: dealer %s: %w", dealer, err)
		}
	}
	return dealercrm.DateIn(s.now(), s.loc), nil
}

// readDate returns d, or the store's today when d is zero, for a read
// (a statement, notices): any valid date may be asked about.
func (s *Service) readDate(ctx context.Context, store crm.DealerID, field string, d dealercrm.Date) (dealercrm.Date, error) {
	if d.IsZero() {
		return s.Today(ctx, store)
	}
	if !d.Valid() {
		return d, invalid(field, crm.RuleFormat, "is not a valid date")
	}
	return d, nil
}

// postingDate returns the date of a posting or a membership change at
// store: d, or the store's today when d is zero. A date after the store's
// today (plus the limits' FutureDays) is refused: the ledger is kept in
// date order, so one far-future posting would block every later one.
func (s *Service) postingDate(ctx context.Context, store crm.DealerID, field string, d dealercrm.Date) (dealercrm.Date, error) {
	today, err := s.Today(ctx, store)
	if err != nil {
		return d, err
	}
	if d.IsZero() {
		return today, nil
	}
	if !d.Valid() {
		return d, invalid(field, crm.RuleFormat, "is not a valid date")
	}
	if fe, bad := s.limits.CheckPast(field, d, today); bad {
		return d, &crm.ValidationError{Entity: "loyalty request", Fields: []crm.FieldError{fe}}
	}
	return d, nil
}

// checkLimit turns a FieldError of the limits into a validation error.
func checkLimit(fe crm.FieldError, bad bool) error {
	if !bad {
		return nil
	}
	return &crm.ValidationError{Entity: "loyalty request", Fields: []crm.FieldError{fe}}
}

// defaultKey is the idempotency key of a posting from source to
// customer's account when the caller sends none: keys are the dealer's,
// sources the account's.
func defaultKey(customer crm.CustomerID, source string) string {
	return strconv.Itoa(len(customer)) + ":" + string(customer) + " " + source
}

// requireKey refuses a command that may spend points or benefits without
// an idempotency key: a retry of it would spend them twice.
func requireKey(key string) error {
	if key == "" {
		return invalid("idempotency_key", crm.RuleRequired, "is required: the command spends points or benefits, and a retry without the key would spend them twice")
	}
	return nil
}

func invalid(field, rule, msg string) error {
	return &crm.ValidationError{Entity: "loyalty request", Fields: []crm.FieldError{{Field: field, Rule: rule, Message: msg}}}
}

// customerExists checks that store has the customer in its crm records (a
// store acts only on its own customers, also in a group programme whose
// accounts another store keeps): ErrNotFound otherwise. Without records
// any ID is taken as it is.
func (s *Service) customerExists(ctx context.Context, store crm.DealerID, id crm.CustomerID) error {
	if id == "" {
		return invalid("customer_id", crm.RuleRequired, "is required")
	}
	if s.records == nil {
		return nil
	}
	if _, err := s.records.Customers().Get(ctx, store, id); err != nil {
		return fmt.Errorf("loyalty: customer %s: %w", id, err)
	}
	return nil
}
