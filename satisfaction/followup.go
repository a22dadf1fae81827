package satisfaction

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// CRMComplaints is a FollowUps that records a dissatisfied response as a
// crm.Complaint (category "satisfaction survey") through the crm Service,
// for the complaint process; LifecycleTasks opens the CR department's
// follow-up task instead. A response without a customer opens nothing. The complaint's external ID is
// "satisfaction:" + the response ID, so a retried follow-up finds the
// complaint it made before instead of making a second one.
type CRMComplaints struct {
	// CRM is the crm Service the complaints are written through.
	CRM *crm.Service
	// Category is the complaint category; "" is "satisfaction survey".
	Category string
}

var _ FollowUps = CRMComplaints{}

// OpenFollowUp implements FollowUps.
func (c CRMComplaints) OpenFollowUp(ctx context.Context, req FollowUpRequest) (string, error) {
	if req.CustomerID == "" {
		return "", nil
	}
	ext := "satisfaction:" + string(req.ResponseID)
	if cp, err := c.CRM.Store().Complaints().GetByExternalID(ctx, req.DealerID, ext); err == nil {
		return string(cp.ID), nil
	} else if !errors.Is(err, crm.ErrNotFound) {
		return "", err
	}
	severity := crm.SeverityMedium
	if req.Score < req.Threshold/2 {
		severity = crm.SeverityHigh
	}
	desc := describe(req)
	cat := c.Category
	if cat == "" {
		cat = "satisfaction survey"
	}
	v := crm.Complaint{CustomerID: req.CustomerID, ServiceOrderID: req.ServiceOrderID, Category: cat,
		Severity: severity, Description: truncate(desc, 4000), Opened: req.Date}
	v.ExternalID = ext
	cp, err := c.CRM.CreateComplaint(ctx, req.DealerID, v)
	if err != nil {
		return "", err
	}
	return string(cp.ID), nil
}

// LifecycleTasks is the FollowUps of SPEC §6: a dissatisfied answer opens
// a complaint follow-up task (§2.2) for the CR department, due the day of
// the response, by phone, never done by the staff member the customer
// rated (lifecycle.KindSurveyFollowUp, key "survey_follow_up|ref:survey:"
// + the response ID, so a retried follow-up finds its task). A response
// without a customer opens nothing.
type LifecycleTasks struct {
	// Tasks is the lifecycle Service the tasks are opened through.
	Tasks *lifecycle.Service
	// WindowDays is the task's due window (default 2 days).
	WindowDays int
}

var _ FollowUps = LifecycleTasks{}

// OpenFollowUp implements FollowUps; the reference is the task ID.
func (l LifecycleTasks) OpenFollowUp(ctx context.Context, req FollowUpRequest) (string, error) {
	if req.CustomerID == "" {
		return "", nil
	}
	f := lifecycle.FollowUp{
		Kind: lifecycle.KindSurveyFollowUp, Ref: "survey:" + string(req.ResponseID), CustomerID: req.CustomerID,
		Due: req.Date, WindowDays: l.WindowDays, OwnerRole: lifecycle.RoleCR, ExcludedStaffID: req.StaffID,
		Reason: truncate(describe(req), 4000),
	}
	f.ReasonCode, f.ReasonParams = describeCode(req)
	t, err := l.Tasks.OpenFollowUp(ctx, req.DealerID, f)
	if err != nil {
		return "", err
	}
	return string(t.ID), nil
}

// FollowUpCodes returns the reason codes of the follow-up tasks
// LifecycleTasks opens: CodeFollowUp, with ".low" when answers were low,
// then ".comment" when the customer commented. Parameters: name (the
// questionnaire's), score, threshold, low (the low items joined by "; ")
// and comment, which the text shows, and questionnaire and response (their
// IDs), which it does not: a clerk acts on the survey's name and answers.
func FollowUpCodes() []string {
	return []string{CodeFollowUp, CodeFollowUp + ".low", CodeFollowUp + ".comment", CodeFollowUp + ".low.comment"}
}

// CodeFollowUp starts the reason codes of FollowUpCodes.
const CodeFollowUp = "satisfaction.follow_up"

// describeCode is describe as a message code with parameters.
func describeCode(req FollowUpRequest) (string, map[string]string) {
	code := CodeFollowUp
	p := map[string]string{"name": surveyName(req), "score": strconv.FormatFloat(req.Score, 'f', 1, 64),
		"threshold":     strconv.FormatFloat(req.Threshold, 'f', 0, 64),
		"questionnaire": string(req.QuestionnaireID), "response": string(req.ResponseID)}
	if len(req.Low) > 0 {
		code, p["low"] = code+".low", truncate(strings.Join(req.Low, "; "), 1000)
	}
	if req.Comment != "" {
		code, p["comment"] = code+".comment", truncate(req.Comment, 3000)
	}
	return code, p
}

// describe says in English why a response needs a follow-up (the text
// of a task without a catalog, and of a complaint).
func describe(req FollowUpRequest) string {
	desc := fmt.Sprintf("Return-visit survey %q scored %.1f, below %.0f.", surveyName(req), req.Score, req.Threshold)
	if len(req.Low) > 0 {
		desc += " Low answers: " + strings.Join(req.Low, "; ") + "."
	}
	if req.Comment != "" {
		desc += " Customer: " + req.Comment
	}
	return desc
}

// surveyName is the name a follow-up shows of its questionnaire: its
// name, or its ID when the request has none.
func surveyName(req FollowUpRequest) string {
	if req.QuestionnaireName != "" {
		return truncate(req.QuestionnaireName, 200)
	}
	return string(req.QuestionnaireID)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
