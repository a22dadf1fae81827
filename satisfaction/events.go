package satisfaction

import (
	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// DissatisfiedEvent is the payload (version 1) of the survey.dissatisfied
// event (SPEC §8): a response scored below its questionnaire's follow-up
// threshold — the same rule that opens a follow-up (WithFollowUps), made
// whether or not the Service opens one. It carries IDs, codes, the date
// and the numbers only: never the comment, which may quote the customer.
//
// Its subject is the response ({Kind: crm.SubjectResponse, ID: the
// response's ID}), not the customer: a response may be anonymous (no
// customer), and it is the record the event is about — one event per
// response, recorded once; CustomerID names the customer when there is
// one.
type DissatisfiedEvent struct {
	ResponseID      ResponseID         `json:"response_id"`
	QuestionnaireID QuestionnaireID    `json:"questionnaire_id"`
	CustomerID      crm.CustomerID     `json:"customer_id,omitempty"`
	ServiceOrderID  crm.ServiceOrderID `json:"service_order_id,omitempty"`
	SaleID          crm.SaleID         `json:"sale_id,omitempty"`
	StaffID         crm.StaffID        `json:"staff_id,omitempty"`
	Department      Department         `json:"department,omitempty"`
	// Date is the day of the call.
	Date dealercrm.Date `json:"date"`
	// Score is the response's score (0–100) and Threshold the one it fell
	// under.
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	// Low are the IDs (codes) of the items answered at or below the
	// middle of the scale, in the order of the answers.
	Low []string `json:"low"`
}

// lowAnswers returns the answers of r at or below the middle of q's
// scale, in r's order.
func lowAnswers(q *Questionnaire, r *Response) []Answer {
	lo, hi := q.Scale.Range()
	mid := float64(lo+hi) / 2
	var out []Answer
	for _, a := range r.Answers {
		if float64(a.Value) <= mid {
			out = append(out, a)
		}
	}
	return out
}

// DissatisfiedEvents returns the events of recording r, a scored response
// to q, when responses under threshold count as dissatisfied (the
// Service's threshold of q: the questionnaire's FollowUpThreshold, else
// WithFollowUpThreshold's): one survey.dissatisfied at r.CreatedAt when
// r.Score < threshold, else none. The Service hands them to the store
// with the response (Store.CreateResponse), which writes them in the same
// transaction.
func DissatisfiedEvents(r *Response, q *Questionnaire, threshold float64) []crm.Event {
	if r.Score >= threshold {
		return nil
	}
	low := []string{}
	for _, a := range lowAnswers(q, r) {
		low = append(low, a.ItemID)
	}
	p := DissatisfiedEvent{ResponseID: r.ID, QuestionnaireID: r.QuestionnaireID, CustomerID: r.CustomerID,
		ServiceOrderID: r.ServiceOrderID, SaleID: r.SaleID, StaffID: r.StaffID, Department: r.Department,
		Date: r.Date, Score: r.Score, Threshold: threshold, Low: low}
	return []crm.Event{crm.NewEvent(r.DealerID, crm.EventSurveyDissatisfied, crm.EventSubject{Kind: crm.SubjectResponse, ID: string(r.ID)}, r.CreatedAt, p)}
}
