package satisfaction

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

// CRMComplaints is the default FollowUps: it records a dissatisfied
// response as a crm.Complaint (category "satisfaction survey") through the
// crm Service, so that the complaint process picks it up until the
// lifecycle package schedules follow-up tasks. A response without a
// customer opens nothing. The complaint's external ID is
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
	desc := fmt.Sprintf("Return-visit survey score %.1f below %.0f (questionnaire %s, response %s).", req.Score, req.Threshold, req.QuestionnaireID, req.ResponseID)
	if len(req.Low) > 0 {
		desc += " Low answers: " + strings.Join(req.Low, "; ") + "."
	}
	if req.Comment != "" {
		desc += " Customer: " + req.Comment
	}
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
