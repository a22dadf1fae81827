package satisfaction

import (
	"context"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// ResponseFilter filters responses; empty fields match everything.
type ResponseFilter struct {
	QuestionnaireID QuestionnaireID `json:"questionnaire_id,omitempty"`
	StaffID         crm.StaffID     `json:"staff_id,omitempty"`
	CustomerID      crm.CustomerID  `json:"customer_id,omitempty"`
	// Dates bounds Response.Date (inclusive).
	Dates crm.DateRange `json:"dates"`
	crm.PageRequest
}

// Store is the storage the satisfaction Service needs: hierarchies,
// questionnaires and responses, each owned by a dealer. Every method is
// scoped to one dealer and never reads another's records. Values are
// copied in and out; times come back in UTC. Stores do not validate
// business rules; the Service does.
type Store interface {
	// CreateHierarchy stores a new hierarchy; ErrConflict when its ID is
	// taken for the dealer.
	CreateHierarchy(ctx context.Context, h *Hierarchy) error
	// GetHierarchy returns the hierarchy, or ErrNotFound.
	GetHierarchy(ctx context.Context, dealer crm.DealerID, id HierarchyID) (Hierarchy, error)
	// UpdateHierarchy reads the hierarchy, lets fn change it and writes it
	// back atomically; an error from fn is returned as it is and nothing is
	// written. ErrNotFound when it does not exist.
	UpdateHierarchy(ctx context.Context, dealer crm.DealerID, id HierarchyID, fn func(*Hierarchy) error) (Hierarchy, error)
	// ListHierarchies returns the dealer's hierarchies in ID order, one page
	// at a time. A malformed cursor is a *crm.ValidationError.
	ListHierarchies(ctx context.Context, dealer crm.DealerID, p crm.PageRequest) (crm.Page[Hierarchy], error)

	// CreateQuestionnaire stores a new questionnaire; ErrConflict when its
	// ID is taken for the dealer.
	CreateQuestionnaire(ctx context.Context, q *Questionnaire) error
	// GetQuestionnaire returns the questionnaire, or ErrNotFound.
	GetQuestionnaire(ctx context.Context, dealer crm.DealerID, id QuestionnaireID) (Questionnaire, error)
	// UpdateQuestionnaire changes a questionnaire atomically (see
	// UpdateHierarchy).
	UpdateQuestionnaire(ctx context.Context, dealer crm.DealerID, id QuestionnaireID, fn func(*Questionnaire) error) (Questionnaire, error)
	// ListQuestionnaires returns the dealer's questionnaires in ID order.
	ListQuestionnaires(ctx context.Context, dealer crm.DealerID, p crm.PageRequest) (crm.Page[Questionnaire], error)

	// CreateResponse stores a new response and writes evs, the events of
	// recording it (DissatisfiedEvents), with it, atomically: in its
	// transaction, or under the lock of the change. ErrConflict when its
	// ID or its (non-empty) ExternalID is taken for the dealer, and then
	// no event is written; an event that fails crm.CheckEvent is an error
	// with code Invalid, and nothing is written.
	CreateResponse(ctx context.Context, r *Response, evs ...crm.Event) error
	// GetResponse returns the response, or ErrNotFound.
	GetResponse(ctx context.Context, dealer crm.DealerID, id ResponseID) (Response, error)
	// GetResponseByExternalID returns the response with external ID ext,
	// or ErrNotFound (always for "").
	GetResponseByExternalID(ctx context.Context, dealer crm.DealerID, ext string) (Response, error)
	// UpdateResponse changes a response atomically (see UpdateHierarchy).
	UpdateResponse(ctx context.Context, dealer crm.DealerID, id ResponseID, fn func(*Response) error) (Response, error)
	// ListResponses returns the dealer's responses matching f in ID order,
	// one page at a time.
	ListResponses(ctx context.Context, dealer crm.DealerID, f ResponseFilter) (crm.Page[Response], error)
	// EraseComments clears the Comment of every response of the dealer's
	// customer that has one and sets their UpdatedAt to at, atomically; it
	// returns how many it changed. Every other field stays; an empty
	// customer ID matches no response (not the anonymous ones).
	EraseComments(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, at time.Time) (int, error)
}

// MatchResponse reports whether r matches f (ignoring paging); stores
// without a query language use it so that filters agree.
func MatchResponse(r *Response, f *ResponseFilter) bool {
	return (f.QuestionnaireID == "" || r.QuestionnaireID == f.QuestionnaireID) &&
		(f.StaffID == "" || r.StaffID == f.StaffID) &&
		(f.CustomerID == "" || r.CustomerID == f.CustomerID) &&
		f.Dates.Contains(r.Date)
}

// ResponseScanner is an optional capability of a Store: visiting every
// matching response without paging (an in-memory store, say). Service.Report
// uses it when the Store has it and pages through ListResponses otherwise.
type ResponseScanner interface {
	// ScanResponses calls fn with each of the dealer's responses matching f
	// (its paging ignored), in any order. fn must not keep r.
	ScanResponses(ctx context.Context, dealer crm.DealerID, f ResponseFilter, fn func(r *Response)) error
}

// FollowUps opens a follow-up for a dissatisfied response: a complaint
// follow-up task (SPEC §2.2). LifecycleTasks opens it in the lifecycle
// scheduler; CRMComplaints records a crm.Complaint instead.
type FollowUps interface {
	// OpenFollowUp opens the follow-up and returns its reference (a task or
	// complaint ID). It must be idempotent on FollowUpRequest.ResponseID.
	OpenFollowUp(ctx context.Context, req FollowUpRequest) (string, error)
}

// FollowUpRequest describes a dissatisfied response.
type FollowUpRequest struct {
	DealerID        crm.DealerID    `json:"dealer_id"`
	ResponseID      ResponseID      `json:"response_id"`
	QuestionnaireID QuestionnaireID `json:"questionnaire_id"`
	// QuestionnaireName is the questionnaire's name, which the follow-up's
	// reason quotes (a clerk knows a survey by its name, not its ID).
	QuestionnaireName string             `json:"questionnaire_name,omitempty"`
	CustomerID        crm.CustomerID     `json:"customer_id,omitempty"`
	SaleID            crm.SaleID         `json:"sale_id,omitempty"`
	ServiceOrderID    crm.ServiceOrderID `json:"service_order_id,omitempty"`
	StaffID           crm.StaffID        `json:"staff_id,omitempty"`
	Department        Department         `json:"department"`
	Date              dealercrm.Date     `json:"date"`
	// Score is the response's score and Threshold the limit it fell under.
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	// Low lists the items answered at or below the middle of the scale,
	// each as its text and the answer out of the scale's top
	// ("结算费用是否清楚明白? 1/5").
	Low     []string `json:"low,omitempty"`
	Comment string   `json:"comment,omitempty"`
}
