package satisfaction

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// IDs of the satisfaction records.
type (
	// HierarchyID identifies a stored hierarchy.
	HierarchyID string
	// QuestionnaireID identifies a questionnaire.
	QuestionnaireID string
	// ResponseID identifies a survey response.
	ResponseID string
)

// Hierarchy is a stored, named AHP hierarchy of a dealer, with the Config
// it is weighed with.
type Hierarchy struct {
	ID          HierarchyID  `json:"id"`
	DealerID    crm.DealerID `json:"dealer_id"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	// Config sets how the hierarchy's matrices are weighed.
	Config Config `json:"config"`
	// Root is the goal.
	Root      Node      `json:"root"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Weigh weighs the hierarchy with its own Config.
func (h Hierarchy) Weigh() (Weights, error) { return h.Config.WeighHierarchy(h.Root) }

// Clone returns a deep copy of h.
func (h Hierarchy) Clone() Hierarchy {
	h.Root = h.Root.Clone()
	return h
}

// Scale is the answer scale of a questionnaire.
type Scale string

// The answer scales.
const (
	Likert5  Scale = "likert5"  // 1 (very dissatisfied) … 5 (very satisfied)
	Likert10 Scale = "likert10" // 1 … 10
	NPS      Scale = "nps"      // 0 … 10, "how likely to recommend"
)

// Scales returns the answer scales.
func Scales() []Scale { return []Scale{Likert5, Likert10, NPS} }

// Valid reports whether s is a known scale.
func (s Scale) Valid() bool { return s == Likert5 || s == Likert10 || s == NPS }

// Range returns the lowest and highest answer of the scale.
func (s Scale) Range() (lo, hi int) {
	switch s {
	case Likert10:
		return 1, 10
	case NPS:
		return 0, 10
	}
	return 1, 5
}

// Score maps an answer to 0–100: the lowest answer is 0, the highest 100.
func (s Scale) Score(v int) float64 {
	lo, hi := s.Range()
	return float64(v-lo) * 100 / float64(hi-lo)
}

// Department is the part of the store a questionnaire is about.
type Department string

// The departments.
const (
	DepartmentSales   Department = "sales"
	DepartmentService Department = "service"
)

// Departments returns the departments.
func Departments() []Department { return []Department{DepartmentSales, DepartmentService} }

// Valid reports whether d is a known department.
func (d Department) Valid() bool { return d == DepartmentSales || d == DepartmentService }

// Item is one question of a questionnaire, scoring one indicator (a leaf
// of the questionnaire's hierarchy). Several items may score the same
// indicator; their answers are averaged.
type Item struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	IndicatorID string `json:"indicator_id"`
}

// Questionnaire is a survey a dealer runs, typically on return-visit calls
// (回访): its items map to indicators of a hierarchy, whose global weights
// turn answers into a CSI.
type Questionnaire struct {
	ID          QuestionnaireID `json:"id"`
	DealerID    crm.DealerID    `json:"dealer_id"`
	Name        string          `json:"name"`
	Department  Department      `json:"department"`
	Scale       Scale           `json:"scale"`
	HierarchyID HierarchyID     `json:"hierarchy_id"`
	Items       []Item          `json:"items"`
	// FollowUpThreshold is the response score (0–100) below which a
	// follow-up is opened; 0 uses the Service's (DefaultFollowUpThreshold).
	FollowUpThreshold float64   `json:"follow_up_threshold,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Clone returns a deep copy of q.
func (q Questionnaire) Clone() Questionnaire {
	q.Items = append([]Item(nil), q.Items...)
	return q
}

// Validate checks the questionnaire on its own (not that its indicators
// exist: Service.CreateQuestionnaire checks them against the hierarchy).
// It returns a *crm.ValidationError listing every bad field.
func (q *Questionnaire) Validate() error {
	var fs crm.Checker
	if strings.TrimSpace(q.Name) == "" {
		fs.Add("name", crm.RuleRequired, "is required")
	}
	switch {
	case q.Department == "":
		fs.Add("department", crm.RuleRequired, "is required (sales or service)")
	case !q.Department.Valid():
		fs.Add("department", crm.RuleEnum, "%q is not sales or service", q.Department)
	}
	switch {
	case q.Scale == "":
		fs.Add("scale", crm.RuleRequired, "is required (likert5, likert10 or nps)")
	case !q.Scale.Valid():
		fs.Add("scale", crm.RuleEnum, "%q is not likert5, likert10 or nps", q.Scale)
	}
	if q.HierarchyID == "" {
		fs.Add("hierarchy_id", crm.RuleRequired, "is required")
	}
	if len(q.Items) == 0 {
		fs.Add("items", crm.RuleRequired, "at least one item is required")
	}
	if q.FollowUpThreshold < 0 || q.FollowUpThreshold > 100 || math.IsNaN(q.FollowUpThreshold) {
		fs.Add("follow_up_threshold", RuleRange, "%v is not in 0..100", q.FollowUpThreshold)
	}
	seen := map[string]bool{}
	for i, it := range q.Items {
		switch {
		case it.ID == "":
			fs.Add(fmt.Sprintf("items[%d].id", i), crm.RuleRequired, "is required")
		case seen[it.ID]:
			fs.Add(fmt.Sprintf("items[%d].id", i), crm.RuleUnique, "%q is used twice", it.ID)
		}
		seen[it.ID] = true
		if it.IndicatorID == "" {
			fs.Add(fmt.Sprintf("items[%d].indicator_id", i), crm.RuleRequired, "is required")
		}
	}
	return fs.Err("questionnaire")
}

// Answer is the answer to one item.
type Answer struct {
	ItemID string `json:"item_id"`
	Value  int    `json:"value"`
}

// Response is one customer's answers to a questionnaire, typically taken
// on a return-visit call (CS回访) after a sale or a service order, about
// the staff member who served the customer.
type Response struct {
	ID       ResponseID   `json:"id"`
	DealerID crm.DealerID `json:"dealer_id"`
	// ExternalID is the call centre's or DMS's identifier, unique per
	// dealer when set: recording a response with a known ExternalID again
	// returns the first one.
	ExternalID      string          `json:"external_id,omitempty"`
	QuestionnaireID QuestionnaireID `json:"questionnaire_id"`
	CustomerID      crm.CustomerID  `json:"customer_id,omitempty"`
	// SaleID or ServiceOrderID link the response to what it is about.
	SaleID         crm.SaleID         `json:"sale_id,omitempty"`
	ServiceOrderID crm.ServiceOrderID `json:"service_order_id,omitempty"`
	// StaffID is the consultant or advisor who served the customer.
	StaffID crm.StaffID `json:"staff_id,omitempty"`
	// Department is the questionnaire's, set by the Service.
	Department Department `json:"department"`
	// Date is the day of the call.
	Date    dealercrm.Date `json:"date"`
	Answers []Answer       `json:"answers"`
	Comment string         `json:"comment,omitempty"`
	// Score is the response's weighted score 0–100, set by the Service.
	Score float64 `json:"score"`
	// FollowUp is the reference of the follow-up opened for a low score
	// (a complaint ID with the default opener); "" when none.
	FollowUp  string    `json:"follow_up,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Clone returns a deep copy of r.
func (r Response) Clone() Response {
	r.Answers = append([]Answer(nil), r.Answers...)
	return r
}

// maxCommentBytes bounds Response.Comment.
const maxCommentBytes = 4000

// validate adds to fs what breaks in r on its own and against its
// questionnaire; latest is the latest date a call may carry (the dealer's
// today plus the tolerance of crm.Limits).
func (r *Response) validate(q *Questionnaire, latest dealercrm.Date, fs *crm.Checker) {
	switch {
	case !r.Date.Valid():
		fs.Add("date", crm.RuleRequired, "is required")
	case r.Date.After(latest):
		fs.Add("date", crm.RuleFuture, "must not be after %s (the dealer's today)", latest)
	}
	if len(r.Answers) == 0 {
		fs.Add("answers", crm.RuleRequired, "at least one answer is required")
	}
	lo, hi := q.Scale.Range()
	items := map[string]bool{}
	for _, it := range q.Items {
		items[it.ID] = true
	}
	seen := map[string]bool{}
	for i, a := range r.Answers {
		field := fmt.Sprintf("answers[%d]", i)
		switch {
		case !items[a.ItemID]:
			fs.Add(field+".item_id", crm.RuleReference, "%q is not an item of questionnaire %s", a.ItemID, q.ID)
		case seen[a.ItemID]:
			fs.Add(field+".item_id", crm.RuleUnique, "%q is answered twice", a.ItemID)
		}
		seen[a.ItemID] = true
		if a.Value < lo || a.Value > hi {
			fs.Add(field+".value", RuleRange, "%d is outside the scale %s (%d..%d)", a.Value, q.Scale, lo, hi)
		}
	}
	if len(r.Comment) > maxCommentBytes {
		fs.Add("comment", crm.RuleMaxLength, "is longer than %d bytes", maxCommentBytes)
	}
}
