package grading

import (
	"context"
	"iter"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// RunID identifies a grading run.
type RunID string

// State is a customer's current grade: the outcome of the latest run that
// graded it, with the explanation and the hysteresis counter.
type State struct {
	DealerID   crm.DealerID   `json:"dealer_id"`
	CustomerID crm.CustomerID `json:"customer_id"`
	// Grade is the customer's grade after hysteresis; RawGrade the tier its
	// score alone falls in.
	Grade    Grade   `json:"grade"`
	RawGrade Grade   `json:"raw_grade"`
	Score    float64 `json:"score"`
	// Pending counts the consecutive periods the score has been below the
	// grade's bound (within the margin); a downgrade resets it.
	Pending int `json:"pending"`
	// Period is the as-of date of the run that computed the state.
	Period dealercrm.Date `json:"period"`
	// Model and ModelVersion identify the model that computed the state.
	Model        string `json:"model"`
	ModelVersion int    `json:"model_version"`
	// Top are the top contributing metrics, largest first.
	Top []Contribution `json:"top"`
	// RunID is the run that last changed the state; UpdatedAt when.
	RunID     RunID     `json:"run_id"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Same reports whether s and t hold the same outcome (everything but RunID
// and UpdatedAt): a run writes a state only when it is not the Same.
func (s *State) Same(t *State) bool {
	if s.DealerID != t.DealerID || s.CustomerID != t.CustomerID || s.Grade != t.Grade || s.RawGrade != t.RawGrade ||
		s.Score != t.Score || s.Pending != t.Pending || s.Period != t.Period || s.Model != t.Model ||
		s.ModelVersion != t.ModelVersion || len(s.Top) != len(t.Top) {
		return false
	}
	for i := range s.Top {
		if s.Top[i] != t.Top[i] {
			return false
		}
	}
	return true
}

// Change is one grade change of a customer, recorded by the run that made it.
type Change struct {
	DealerID   crm.DealerID   `json:"dealer_id"`
	CustomerID crm.CustomerID `json:"customer_id"`
	RunID      RunID          `json:"run_id"`
	// Old is empty on the first grading.
	Old    Grade   `json:"old"`
	New    Grade   `json:"new"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
	// ReasonCode and ReasonParams are Reason as a message code with
	// parameters (ChangeCodes), for rendering in the reader's language.
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
	// Top are the top contributing metrics at the change (SPEC §3: each
	// change is explained).
	Top    []Contribution `json:"top"`
	Period dealercrm.Date `json:"period"`
	At     time.Time      `json:"at"`
}

// GradeCount is the number of customers of one grade.
type GradeCount struct {
	Grade Grade `json:"grade"`
	Count int   `json:"count"`
}

// Run is the record of one grading run, kept by every dealer it graded.
type Run struct {
	ID RunID `json:"id"`
	// DealerID is the dealer the record belongs to; Dealers are every dealer
	// the run graded together (the group, for a group run).
	DealerID     crm.DealerID   `json:"dealer_id"`
	Dealers      []crm.DealerID `json:"dealers"`
	AsOf         dealercrm.Date `json:"as_of"`
	Model        string         `json:"model"`
	ModelVersion int            `json:"model_version"`
	// Customers is the number of the dealer's customers graded, Changed
	// how many changed grade, Written how many states were written.
	Customers int          `json:"customers"`
	Changed   int          `json:"changed"`
	Written   int          `json:"written"`
	Counts    []GradeCount `json:"counts"`
	StartedAt time.Time    `json:"started_at"`
	// Aggregation says how facts were gathered: "pushdown" (the store's
	// SQL) or "scan" (crm records page by page).
	Aggregation string `json:"aggregation"`
}

// StateFilter filters states; an empty Grade matches every grade.
type StateFilter struct {
	Grade Grade `json:"grade,omitempty"`
	// CustomerIDs selects the states of some customers (the call list
	// reads the grades of a page's customers with it); empty: all.
	CustomerIDs []crm.CustomerID `json:"customer_ids,omitempty"`
	crm.PageRequest
}

// GradeReader is an optional capability of a Store: the grades alone of
// some customers, without reading whole states (adapters/postgres has
// it). Service.GradesOf uses it when the store has it.
type GradeReader interface {
	// GradesOf returns the grade of each of customers that is graded.
	GradesOf(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID) (map[crm.CustomerID]Grade, error)
}

// Store keeps grading runs, states and changes. Every method is scoped to
// one dealer. Values are copied in and out.
//
// A dealer has at most one run per as-of date (the run that took effect
// for that date) and one run per ID. SaveRun enforces both atomically, also
// among concurrent calls, and answers a run that lost with the stored one
// instead of an error, so that concurrent runs of one date all return the
// same result.
type Store interface {
	// SaveRun stores the outcome of one dealer's run atomically: the run
	// record, the states (inserted or replaced, keyed by dealer and
	// customer) and the changes (appended; a change with the same dealer,
	// customer and run ID as a stored one is ignored); every state and
	// change belongs to run.DealerID. States and changes are streamed, so
	// a store may write them in chunks within its transaction. It returns
	// the run as stored.
	//
	// When the dealer already has a run as of run.AsOf, or one with
	// run.ID, SaveRun stores nothing and returns that stored run (the one
	// of the same date when both exist); the caller compares its AsOf to
	// tell a taken ID from a run of the same date.
	SaveRun(ctx context.Context, run Run, states iter.Seq[State], changes iter.Seq[Change]) (Run, error)
	// GetRun returns a run record, or ErrNotFound.
	GetRun(ctx context.Context, dealer crm.DealerID, id RunID) (Run, error)
	// GetRunAsOf returns the dealer's run as of a date (the one that took
	// effect for that date), or ErrNotFound.
	GetRunAsOf(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (Run, error)
	// GetState returns a customer's state, or ErrNotFound when it was never graded.
	GetState(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (State, error)
	// ListStates returns the dealer's states matching f in ascending
	// customer ID order, one page at a time; a malformed cursor is a
	// *crm.ValidationError.
	ListStates(ctx context.Context, dealer crm.DealerID, f StateFilter) (crm.Page[State], error)
	// EachState calls fn with every state of the dealer, in ascending
	// customer ID order, streaming; an error from fn stops it and is
	// returned. fn must not call the store (a store may hold a connection
	// or a lock while it streams).
	EachState(ctx context.Context, dealer crm.DealerID, fn func(State) error) error
	// History returns a customer's changes, oldest first (empty, not an
	// error, for a customer never graded).
	History(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) ([]Change, error)
	// DeleteCustomer deletes the customer's state and history of changes
	// atomically, for an erasure under PIPL (a grade is a profile of the
	// person). Run records, which only count customers, stay. Deleting a
	// customer without a state or history does nothing.
	DeleteCustomer(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) error
}

// Errors of the package.
var (
	// ErrNotFound: no such run or state for this dealer.
	ErrNotFound = dealercrm.ErrNotFound
	// ErrConflict: the run ID is taken by a run of another as-of date.
	ErrConflict = dealercrm.ErrConflict
)
