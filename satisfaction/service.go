package satisfaction

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// DefaultFollowUpThreshold is the response score (0–100) below which a
// follow-up is opened: on a 5-point scale, an average answer under 3.4.
const DefaultFollowUpThreshold = 60

// Service runs a dealer's satisfaction surveys: it stores hierarchies,
// questionnaires and responses, scores responses, opens follow-ups for
// dissatisfied customers and computes CSI reports and improvement
// priorities.
type Service struct {
	store     Store
	records   Records
	followUps FollowUps
	threshold float64
	limits    crm.Limits
	now       func() time.Time
	newID     func() string
}

// Records is the read access to crm records the Service checks responses
// against: that the customer, service order and sale a response names
// exist for the response's dealer, and whose they are; and the dealer's
// time zone, for its today. *crm.Service satisfies it.
type Records interface {
	// GetDealer returns the dealer, or an error with code NotFound.
	GetDealer(ctx context.Context, id crm.DealerID) (crm.Dealer, error)
	// GetCustomer, GetServiceOrder and GetSale return the dealer's record,
	// or an error with code NotFound when the dealer has no such record.
	GetCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) (crm.Customer, error)
	GetServiceOrder(ctx context.Context, dealer crm.DealerID, id crm.ServiceOrderID) (crm.ServiceOrder, error)
	GetSale(ctx context.Context, dealer crm.DealerID, id crm.SaleID) (crm.Sale, error)
}

var _ Records = (*crm.Service)(nil)

// ServiceOption configures a Service.
type ServiceOption func(*Service)

// WithRecords sets the crm records responses are checked against (a
// *crm.Service). Without it the Service cannot check a response's
// customer, service order or sale, so it refuses every response that
// names one, and takes the dealer's today in dealercrm.DefaultTimeZone.
func WithRecords(r Records) ServiceOption { return func(s *Service) { s.records = r } }

// WithLimits sets the bounds of plausible input (crm.DefaultLimits by
// default): a response may not be dated after the dealer's today plus
// l.FutureDays.
func WithLimits(l crm.Limits) ServiceOption { return func(s *Service) { s.limits = l.OrDefault() } }

// WithFollowUps sets where follow-ups for dissatisfied responses go; without
// it none are opened.
func WithFollowUps(f FollowUps) ServiceOption { return func(s *Service) { s.followUps = f } }

// WithFollowUpThreshold sets the response score (0–100) below which a
// follow-up is opened (DefaultFollowUpThreshold); a questionnaire's own
// FollowUpThreshold takes precedence.
func WithFollowUpThreshold(t float64) ServiceOption { return func(s *Service) { s.threshold = t } }

// WithClock sets the clock of CreatedAt and UpdatedAt.
func WithClock(now func() time.Time) ServiceOption { return func(s *Service) { s.now = now } }

// WithIDs sets the generator of new IDs (dealercrm.NewID by default).
func WithIDs(newID func() string) ServiceOption { return func(s *Service) { s.newID = newID } }

// NewService returns a Service on store. It fails with code Invalid when an
// option is out of range.
func NewService(store Store, opts ...ServiceOption) (*Service, error) {
	s := &Service{store: store, threshold: DefaultFollowUpThreshold, limits: crm.DefaultLimits(), now: time.Now, newID: dealercrm.NewID}
	for _, o := range opts {
		o(s)
	}
	if store == nil {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "satisfaction: NewService needs a Store")
	}
	if !(s.threshold >= 0 && s.threshold <= 100) {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "satisfaction: follow-up threshold %v is not in 0..100", s.threshold)
	}
	return s, nil
}

func (s *Service) stamp() time.Time { return s.now().UTC() }

// CreateHierarchy checks that h weighs (valid and consistent under its
// Config) and stores it for dealer; an empty ID gets a new one.
//
// Errors: a *crm.ValidationError for a missing name; a *MatrixError or
// *InconsistentError (each also a *crm.ValidationError to errors.As) when
// it does not weigh; ErrConflict when the ID is taken.
func (s *Service) CreateHierarchy(ctx context.Context, dealer crm.DealerID, h Hierarchy) (Hierarchy, error) {
	h = h.Clone()
	if strings.TrimSpace(h.Name) == "" {
		return Hierarchy{}, &crm.ValidationError{Entity: "hierarchy", Fields: []crm.FieldError{{Field: "name", Rule: crm.RuleRequired, Message: "is required"}}}
	}
	if _, err := h.Weigh(); err != nil {
		return Hierarchy{}, fmt.Errorf("satisfaction: hierarchy %s: %w", h.Name, err)
	}
	if h.ID == "" {
		h.ID = HierarchyID(s.newID())
	}
	crm.NoteAudit(ctx, string(h.ID))
	h.DealerID = dealer
	h.CreatedAt = s.stamp()
	h.UpdatedAt = h.CreatedAt
	if err := s.store.CreateHierarchy(ctx, &h); err != nil {
		return Hierarchy{}, err
	}
	return h, nil
}

// UpdateHierarchy applies fn to the stored hierarchy and saves it when it
// still weighs.
func (s *Service) UpdateHierarchy(ctx context.Context, dealer crm.DealerID, id HierarchyID, fn func(*Hierarchy) error) (Hierarchy, error) {
	return s.store.UpdateHierarchy(ctx, dealer, id, func(h *Hierarchy) error {
		created := h.CreatedAt
		if err := fn(h); err != nil {
			return err
		}
		if _, err := h.Weigh(); err != nil {
			return fmt.Errorf("satisfaction: hierarchy %s: %w", id, err)
		}
		h.ID, h.DealerID, h.CreatedAt, h.UpdatedAt = id, dealer, created, s.stamp()
		return nil
	})
}

// GetHierarchy returns the hierarchy, or ErrNotFound.
func (s *Service) GetHierarchy(ctx context.Context, dealer crm.DealerID, id HierarchyID) (Hierarchy, error) {
	return s.store.GetHierarchy(ctx, dealer, id)
}

// ListHierarchies returns one page of the dealer's hierarchies.
func (s *Service) ListHierarchies(ctx context.Context, dealer crm.DealerID, p crm.PageRequest) (crm.Page[Hierarchy], error) {
	return s.store.ListHierarchies(ctx, dealer, p)
}

// HierarchyWeights weighs the stored hierarchy.
func (s *Service) HierarchyWeights(ctx context.Context, dealer crm.DealerID, id HierarchyID) (Weights, error) {
	h, err := s.store.GetHierarchy(ctx, dealer, id)
	if err != nil {
		return Weights{}, err
	}
	return h.Weigh()
}

// CreateQuestionnaire validates q (its items must score indicators of its
// hierarchy, which must exist for dealer) and stores it; an empty ID gets a
// new one.
//
// Errors: a *crm.ValidationError naming each bad field (hierarchy_id and
// items[i].indicator_id with rule reference when they name nothing);
// ErrConflict when the ID is taken.
func (s *Service) CreateQuestionnaire(ctx context.Context, dealer crm.DealerID, q Questionnaire) (Questionnaire, error) {
	q = q.Clone()
	if err := q.Validate(); err != nil {
		return Questionnaire{}, err
	}
	if _, err := s.weigh(ctx, dealer, &q); err != nil {
		return Questionnaire{}, err
	}
	if q.ID == "" {
		q.ID = QuestionnaireID(s.newID())
	}
	crm.NoteAudit(ctx, string(q.ID))
	q.DealerID = dealer
	q.CreatedAt = s.stamp()
	q.UpdatedAt = q.CreatedAt
	if err := s.store.CreateQuestionnaire(ctx, &q); err != nil {
		return Questionnaire{}, err
	}
	return q, nil
}

// weigh returns the aggregator of q on its hierarchy.
func (s *Service) weigh(ctx context.Context, dealer crm.DealerID, q *Questionnaire) (*Aggregator, error) {
	h, err := s.store.GetHierarchy(ctx, dealer, q.HierarchyID)
	if errors.Is(err, dealercrm.ErrNotFound) {
		return nil, &crm.ValidationError{Entity: "questionnaire", Fields: []crm.FieldError{{Field: "hierarchy_id", Rule: crm.RuleReference,
			Message: fmt.Sprintf("hierarchy %q does not exist", q.HierarchyID)}}}
	}
	if err != nil {
		return nil, err
	}
	w, err := h.Weigh()
	if err != nil {
		return nil, fmt.Errorf("satisfaction: hierarchy %s: %w", h.ID, err)
	}
	return NewAggregator(*q, w, Month, dealercrm.Date{}, dealercrm.Date{})
}

// GetQuestionnaire returns the questionnaire, or ErrNotFound.
func (s *Service) GetQuestionnaire(ctx context.Context, dealer crm.DealerID, id QuestionnaireID) (Questionnaire, error) {
	return s.store.GetQuestionnaire(ctx, dealer, id)
}

// ListQuestionnaires returns one page of the dealer's questionnaires.
func (s *Service) ListQuestionnaires(ctx context.Context, dealer crm.DealerID, p crm.PageRequest) (crm.Page[Questionnaire], error) {
	return s.store.ListQuestionnaires(ctx, dealer, p)
}

// RecordResponse validates r against its questionnaire and the dealer's
// crm records, scores it and stores it. When the score is below the
// follow-up threshold and a FollowUps is set, it opens a follow-up and
// records its reference in r.FollowUp. A response whose ExternalID is
// already recorded is not stored again: the first one comes back, so a
// replayed call log opens no second follow-up.
//
// The records a response names must be the dealer's (see Records): the
// customer, the service order and the sale. A response names a service
// order or a sale, not both; it is about that record's customer (taken
// when CustomerID is empty) and its staff member, the order's advisor or
// the sale's consultant (taken when StaffID is empty). The staff member is
// who the CSI by staff counts the response for and who the follow-up call
// is kept from. Its date may not lie after the dealer's today (plus
// crm.Limits.FutureDays).
//
// Errors: a *crm.ValidationError naming each bad field: questionnaire_id,
// customer_id, service_order_id and sale_id with rule reference when they
// name nothing of the dealer's (or, without WithRecords, when they are
// set at all); service_order_id, sale_id or staff_id with RuleMismatch
// when they contradict each other; date with crm.RuleFuture; answers and
// comment. Nothing is stored then and no follow-up opened. ErrNotFound
// when the Records have no such dealer; the store's errors; the follow-up
// opener's (the response is then stored without a follow-up reference,
// and recording it again retries the follow-up).
func (s *Service) RecordResponse(ctx context.Context, dealer crm.DealerID, r Response) (Response, error) {
	r = r.Clone()
	if r.ExternalID != "" {
		prev, err := s.store.GetResponseByExternalID(ctx, dealer, r.ExternalID)
		if err == nil {
			return s.followUp(ctx, prev)
		}
		if !errors.Is(err, dealercrm.ErrNotFound) {
			return Response{}, err
		}
	}
	q, err := s.store.GetQuestionnaire(ctx, dealer, r.QuestionnaireID)
	if errors.Is(err, dealercrm.ErrNotFound) {
		return Response{}, &crm.ValidationError{Entity: "response", Fields: []crm.FieldError{{Field: "questionnaire_id", Rule: crm.RuleReference,
			Message: fmt.Sprintf("questionnaire %q does not exist", r.QuestionnaireID)}}}
	}
	if err != nil {
		return Response{}, err
	}
	today, err := s.today(ctx, dealer)
	if err != nil {
		return Response{}, err
	}
	var fs crm.Checker
	r.validate(&q, s.limits.Latest(today), &fs)
	if err := s.resolve(ctx, dealer, &r, &fs); err != nil {
		return Response{}, err
	}
	if err := fs.Err("response"); err != nil {
		return Response{}, err
	}
	agg, err := s.weigh(ctx, dealer, &q)
	if err != nil {
		return Response{}, err
	}
	r.Score = round2(agg.Score(&r))
	r.Department = q.Department
	if r.ID == "" {
		r.ID = ResponseID(s.newID())
	}
	crm.NoteAudit(ctx, string(r.ID))
	r.DealerID = dealer
	r.FollowUp = ""
	r.CreatedAt = s.stamp()
	r.UpdatedAt = r.CreatedAt
	if err := s.store.CreateResponse(ctx, &r, DissatisfiedEvents(&r, &q, s.thresholdOf(&q))...); err != nil {
		if r.ExternalID != "" && errors.Is(err, dealercrm.ErrConflict) {
			// Recorded concurrently under the same external ID: the first
			// one stands, as for a replay.
			if prev, gerr := s.store.GetResponseByExternalID(ctx, dealer, r.ExternalID); gerr == nil {
				return s.followUp(ctx, prev)
			}
		}
		return Response{}, err
	}
	return s.followUp(ctx, r)
}

// today returns the dealer's today: in its own time zone when the Service
// has Records, else in dealercrm.DefaultTimeZone.
func (s *Service) today(ctx context.Context, dealer crm.DealerID) (dealercrm.Date, error) {
	var d crm.Dealer
	if s.records != nil {
		var err error
		if d, err = s.records.GetDealer(ctx, dealer); err != nil {
			return dealercrm.Date{}, fmt.Errorf("satisfaction: dealer %s: %w", dealer, err)
		}
	}
	return d.Today(s.now()), nil
}

// resolve checks the records r names against the dealer's and completes
// r from them: the customer of its service order or sale, and their staff
// member. Broken rules go to fs; the error is a lookup's other than not
// found.
func (s *Service) resolve(ctx context.Context, dealer crm.DealerID, r *Response, fs *crm.Checker) error {
	if s.records == nil {
		for _, ref := range [][2]string{{"customer_id", string(r.CustomerID)}, {"service_order_id", string(r.ServiceOrderID)}, {"sale_id", string(r.SaleID)}} {
			if ref[1] != "" {
				fs.Add(ref[0], crm.RuleReference, "cannot be checked: the satisfaction service has no crm records (WithRecords)")
			}
		}
		return nil
	}
	// found reports whether a lookup found the record; not found is a
	// reference error on field.
	found := func(field, what, id string, err error) (bool, error) {
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, dealercrm.ErrNotFound):
			fs.Add(field, crm.RuleReference, "%s %q does not exist", what, id)
			return false, nil
		}
		return false, fmt.Errorf("satisfaction: %s %s: %w", what, id, err)
	}
	if r.CustomerID != "" {
		_, err := s.records.GetCustomer(ctx, dealer, r.CustomerID)
		if _, err := found("customer_id", "customer", string(r.CustomerID), err); err != nil {
			return err
		}
	}
	if r.ServiceOrderID != "" && r.SaleID != "" {
		fs.Add("sale_id", RuleMismatch, "a response is about a service order or a sale, not both")
		return nil
	}
	// The record the response is about: its customer and staff member.
	var field, what, staffRole string
	var customer crm.CustomerID
	var staff crm.StaffID
	switch {
	case r.ServiceOrderID != "":
		o, err := s.records.GetServiceOrder(ctx, dealer, r.ServiceOrderID)
		ok, err := found("service_order_id", "service order", string(r.ServiceOrderID), err)
		if !ok {
			return err
		}
		field, what, staffRole, customer, staff = "service_order_id", "service order", "advisor", o.CustomerID, o.AdvisorID
	case r.SaleID != "":
		sale, err := s.records.GetSale(ctx, dealer, r.SaleID)
		ok, err := found("sale_id", "sale", string(r.SaleID), err)
		if !ok {
			return err
		}
		field, what, staffRole, customer, staff = "sale_id", "sale", "consultant", sale.CustomerID, sale.ConsultantID
	default:
		return nil
	}
	switch {
	case customer == "":
	case r.CustomerID == "":
		r.CustomerID = customer
	case r.CustomerID != customer:
		fs.Add(field, RuleMismatch, "the %s is another customer's than customer_id %q", what, r.CustomerID)
	}
	switch {
	case staff == "":
	case r.StaffID == "":
		r.StaffID = staff
	case r.StaffID != staff:
		fs.Add("staff_id", RuleMismatch, "the %s's %s is %q: a response about it is about them", what, staffRole, staff)
	}
	return nil
}

// threshold returns the follow-up threshold of q.
func (s *Service) thresholdOf(q *Questionnaire) float64 {
	if q.FollowUpThreshold > 0 {
		return q.FollowUpThreshold
	}
	return s.threshold
}

// itemLabels returns what a follow-up calls each item of q: the name of
// its indicator in q's hierarchy (施工前说明, not the whole question the
// customer was asked), or the item's text where the indicator has no name,
// another item of q asks about it too, or the hierarchy is gone.
func (s *Service) itemLabels(ctx context.Context, dealer crm.DealerID, q *Questionnaire) (map[string]string, error) {
	names := map[string]string{}
	h, err := s.store.GetHierarchy(ctx, dealer, q.HierarchyID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, err
	default:
		var walk func(n *Node)
		walk = func(n *Node) {
			names[n.ID] = n.Name
			for i := range n.Children {
				walk(&n.Children[i])
			}
		}
		walk(&h.Root)
	}
	asked := map[string]int{}
	for _, it := range q.Items {
		asked[it.IndicatorID]++
	}
	out := make(map[string]string, len(q.Items))
	for _, it := range q.Items {
		out[it.ID] = it.Text
		if name := names[it.IndicatorID]; name != "" && asked[it.IndicatorID] == 1 {
			out[it.ID] = name
		}
	}
	return out, nil
}

// followUp opens the follow-up of a stored response that needs one and
// has none yet.
func (s *Service) followUp(ctx context.Context, r Response) (Response, error) {
	if s.followUps == nil || r.FollowUp != "" {
		return r, nil
	}
	q, err := s.store.GetQuestionnaire(ctx, r.DealerID, r.QuestionnaireID)
	if err != nil {
		return r, err
	}
	t := s.thresholdOf(&q)
	if r.Score >= t {
		return r, nil
	}
	labels, err := s.itemLabels(ctx, r.DealerID, &q)
	if err != nil {
		return r, fmt.Errorf("satisfaction: open follow-up for response %s: %w", r.ID, err)
	}
	var low []string
	_, top := q.Scale.Range()
	for _, a := range lowAnswers(&q, &r) {
		item := labels[a.ItemID]
		if item == "" {
			item = a.ItemID
		}
		low = append(low, item+" "+strconv.Itoa(a.Value)+"/"+strconv.Itoa(top))
	}
	ref, err := s.followUps.OpenFollowUp(ctx, FollowUpRequest{
		DealerID: r.DealerID, ResponseID: r.ID, QuestionnaireID: r.QuestionnaireID, QuestionnaireName: q.Name, CustomerID: r.CustomerID,
		SaleID: r.SaleID, ServiceOrderID: r.ServiceOrderID, StaffID: r.StaffID, Department: r.Department,
		Date: r.Date, Score: r.Score, Threshold: t, Low: low, Comment: r.Comment,
	})
	if err != nil {
		return r, fmt.Errorf("satisfaction: open follow-up for response %s: %w", r.ID, err)
	}
	return s.store.UpdateResponse(ctx, r.DealerID, r.ID, func(x *Response) error {
		x.FollowUp, x.UpdatedAt = ref, s.stamp()
		return nil
	})
}

// GetResponse returns the response, or ErrNotFound.
func (s *Service) GetResponse(ctx context.Context, dealer crm.DealerID, id ResponseID) (Response, error) {
	return s.store.GetResponse(ctx, dealer, id)
}

// ListResponses returns one page of the dealer's responses matching f.
func (s *Service) ListResponses(ctx context.Context, dealer crm.DealerID, f ResponseFilter) (crm.Page[Response], error) {
	return s.store.ListResponses(ctx, dealer, f)
}

// ReportRequest selects the responses of a report.
type ReportRequest struct {
	// From and To bound the response dates (inclusive; zero is open).
	From dealercrm.Date `json:"from"`
	To   dealercrm.Date `json:"to"`
	// Period is the length of ByPeriod's periods ("" is Month).
	Period Granularity `json:"period,omitempty"`
}

// Report computes the CSI report of questionnaire id over the dealer's
// responses in the request's dates, streaming them from the store page by
// page. ErrNotFound when the questionnaire does not exist.
func (s *Service) Report(ctx context.Context, dealer crm.DealerID, id QuestionnaireID, req ReportRequest) (Report, error) {
	q, err := s.store.GetQuestionnaire(ctx, dealer, id)
	if err != nil {
		return Report{}, err
	}
	h, err := s.store.GetHierarchy(ctx, dealer, q.HierarchyID)
	if err != nil {
		return Report{}, err
	}
	w, err := h.Weigh()
	if err != nil {
		return Report{}, err
	}
	agg, err := NewAggregator(q, w, req.Period, req.From, req.To)
	if err != nil {
		return Report{}, err
	}
	f := ResponseFilter{QuestionnaireID: id, Dates: crm.DateRange{From: req.From, To: req.To}, PageRequest: crm.PageRequest{Limit: crm.MaxLimit}}
	if sc, ok := s.store.(ResponseScanner); ok {
		if err := sc.ScanResponses(ctx, dealer, f, agg.Add); err != nil {
			return Report{}, err
		}
		return agg.Report(), nil
	}
	err = crm.Each(ctx, func(after string) (crm.Page[Response], error) {
		f.After = after
		return s.store.ListResponses(ctx, dealer, f)
	}, func(r *Response) error {
		agg.Add(r)
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	return agg.Report(), nil
}

// Priorities returns the improvement priorities of questionnaire id over
// the request's responses (see Report.Priorities), with target 0–100 (0 is
// DefaultTarget).
func (s *Service) Priorities(ctx context.Context, dealer crm.DealerID, id QuestionnaireID, req ReportRequest, target float64) ([]Priority, error) {
	r, err := s.Report(ctx, dealer, id, req)
	if err != nil {
		return nil, err
	}
	return r.Priorities(target), nil
}
