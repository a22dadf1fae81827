package lifecycle

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm"
)

// Words people read — why a task exists, why its status changed, why a
// rule plans nothing — are kept twice: as English prose (Task.Reason,
// Task.StatusReason, Plan.Gone), and as a message code with parameters
// (Task.ReasonCode and ReasonParams, StatusReasonCode and
// StatusReasonParams, Plan.GoneCodes) that a presentation layer renders in
// the reader's language (package i18n holds the Chinese and English
// templates of every code, and the HTTP API renders them by
// Accept-Language). Parameters are strings: dates as YYYY-MM-DD, numbers
// in decimal, enumeration values as their constants (a template renders
// them through codes such as "insurance_kind.compulsory").
//
// A planned task's reason code is ReasonCodePrefix + its kind when the
// kind's rule has its default anchor (the default plan's kinds, worded
// for a clerk: 交车后第3天感谢回访), else ReasonCodePrefix + "anchor." +
// the anchor (any kind a dealer adds). A new kind in the default plan
// needs a "kind.<kind>" name and a "lifecycle.reason.<kind>" template in
// package i18n; its test fails until both exist in every language.

// ReasonCodePrefix starts the reason code of every planned task.
const ReasonCodePrefix = "lifecycle.reason."

// The message codes of task status reasons (Task.StatusReasonCode), and
// of the follow-up reason. Their parameters follow each code.
const (
	// CodeRescheduled: the daily run moved the task (from, to: due dates).
	CodeRescheduled = "lifecycle.status.rescheduled"
	// CodeRescheduledByStaff: staff moved it (from, to, note).
	CodeRescheduledByStaff = "lifecycle.status.rescheduled_by_staff"
	// CodeSkipped: staff skipped it (note).
	CodeSkipped = "lifecycle.status.skipped"
	// CodeCancelledByStaff: staff cancelled it (note).
	CodeCancelledByStaff = "lifecycle.status.cancelled_by_staff"
	// CodeOutcome: an outcome was recorded (outcome).
	CodeOutcome = "lifecycle.status.outcome"
	// CodeNoLongerPlanned: the daily run of date cancelled it without a
	// particular reason (date).
	CodeNoLongerPlanned = "lifecycle.status.no_longer_planned"
	// CodeAppointment: an appointment was booked for date (date).
	CodeAppointment = "lifecycle.status.appointment"
	// CodeNoAnswerRetry: a call was not answered; the task is due again on
	// retry (attempt, max, retry).
	CodeNoAnswerRetry = "lifecycle.status.no_answer_retry"
	// CodeNoAnswerGaveUp: the last unanswered attempt skipped the task
	// (attempts).
	CodeNoAnswerGaveUp = "lifecycle.status.no_answer_gave_up"
	// CodeCovered: done by the call of another task of the customer
	// (outcome, task).
	CodeCovered = "lifecycle.status.covered"
	// CodeAssigned: staff assigned the task to someone (staff).
	CodeAssigned = "lifecycle.status.assigned"
	// CodeFollowUp is the reason of a follow-up opened with a reason in
	// words only (text).
	CodeFollowUp = "lifecycle.reason.follow_up"
)

// The message codes of why a rule plans nothing (Plan.GoneCodes), which
// are also the status reason of the tasks the daily run cancels for it.
const (
	CodeGoneNoConsent            = "lifecycle.gone.no_consent"             // purpose, channels
	CodeGoneStage                = "lifecycle.gone.stage"                  // stage, want
	CodeGoneGrade                = "lifecycle.gone.grade"                  // grade, want
	CodeGoneTier                 = "lifecycle.gone.tier"                   // tier, want
	CodeGoneNoDelivery           = "lifecycle.gone.no_delivery"            // none
	CodeGoneFirstMaintenanceDone = "lifecycle.gone.first_maintenance_done" // date
	CodeGoneFirstMaintenanceLost = "lifecycle.gone.first_maintenance_lost" // date, months
	CodeGoneNoMaintenance        = "lifecycle.gone.no_maintenance"         // none
	CodeGonePolicyRenewed        = "lifecycle.gone.policy_renewed"         // policy, by
	CodeGoneNoRegistration       = "lifecycle.gone.no_registration"        // none
	CodeGoneNoInspectionRule     = "lifecycle.gone.no_inspection_rule"     // date
	CodeGoneNoMembership         = "lifecycle.gone.no_membership"          // none
	CodeGoneNoBirthday           = "lifecycle.gone.no_birthday"            // none
	CodeGoneNoLunarDate          = "lifecycle.gone.no_lunar_date"          // date
	CodeGoneNoOwner              = "lifecycle.gone.no_owner"               // none
	CodeGoneNoCadence            = "lifecycle.gone.no_cadence"             // none
)

var goneCodes = []string{CodeGoneNoConsent, CodeGoneStage, CodeGoneGrade, CodeGoneTier, CodeGoneNoDelivery,
	CodeGoneFirstMaintenanceDone, CodeGoneFirstMaintenanceLost, CodeGoneNoMaintenance, CodeGonePolicyRenewed,
	CodeGoneNoRegistration, CodeGoneNoInspectionRule, CodeGoneNoMembership, CodeGoneNoBirthday, CodeGoneNoLunarDate,
	CodeGoneNoOwner, CodeGoneNoCadence}

// lunarSuffix ends the reason code of a lunar birthday's task.
const lunarSuffix = ".lunar"

// MessageCodes returns every message code the package produces, sorted:
// the reason codes of every kind of Kinds() with its default anchor and
// of every anchor, the status reason codes and the gone codes. A
// renderer's catalog must have each of them.
func MessageCodes() []string {
	codes := []string{CodeRescheduled, CodeRescheduledByStaff, CodeSkipped, CodeCancelledByStaff, CodeOutcome, CodeNoLongerPlanned, CodeFollowUp,
		CodeAppointment, CodeNoAnswerRetry, CodeNoAnswerGaveUp, CodeCovered, CodeAssigned}
	codes = append(codes, goneCodes...)
	codes = append(codes, leadCodes...)
	codes = append(codes, StageCodes()...)
	codes = append(codes, AbnormalCodes()...)
	codes = append(codes, CodeComeback, CodeComebackKM)
	for _, k := range Kinds() {
		if a, ok := defaultAnchor[k]; ok {
			codes = append(codes, ReasonCodePrefix+string(k))
			if a == AnchorBirthday {
				codes = append(codes, ReasonCodePrefix+string(k)+lunarSuffix)
			}
		}
	}
	for _, a := range allAnchors {
		codes = append(codes, ReasonCodePrefix+"anchor."+string(a))
		if a == AnchorBirthday {
			codes = append(codes, ReasonCodePrefix+"anchor."+string(a)+lunarSuffix)
		}
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// defaultAnchor is the anchor of each kind in the default plan.
var defaultAnchor = func() map[Kind]Anchor {
	m := map[Kind]Anchor{}
	for _, r := range DefaultRules() {
		m[r.Kind] = r.Anchor
	}
	return m
}()

// reasonCode returns the reason code of a task of kind k planned from anchor a.
func reasonCode(k Kind, a Anchor) string {
	if defaultAnchor[k] == a {
		return ReasonCodePrefix + string(k)
	}
	return ReasonCodePrefix + "anchor." + string(a)
}

// params returns key-value pairs as a parameter map; nil for none.
func params(kv ...string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// message is a code with parameters.
type message struct {
	code   string
	params map[string]string
}

// reasonMessage returns the reason of planned task p as a code with
// parameters: the anchor's own (anchorKind.params), the kind, the
// reminder number n and the offset counted from the anchor in days and
// months (days_before when it falls before it), or the repeat interval.
func (e *evaluator) reasonMessage(p *planned) message {
	r, o := p.rule, &e.occs[p.occ]
	// Eight entries fit most reasons in one map group: no growth.
	m := make(map[string]string, 8)
	m["kind"], m["n"] = string(r.Kind), strconv.Itoa(p.n)
	if p.off != nil {
		m["days"], m["months"] = strconv.Itoa(abs(p.off.Days)), strconv.Itoa(abs(p.off.Months))
		if p.off.negative() {
			m["days_before"] = strconv.Itoa(-p.off.Days)
		}
	} else {
		m["every_days"] = strconv.Itoa(r.Repeat.EveryDays)
	}
	code := reasonCode(r.Kind, r.Anchor)
	if r.anchor.params != nil {
		if r.anchor.params(e, o, m) {
			code += lunarSuffix
		}
	}
	return message{code: code, params: m}
}

func abs(n int) int { return max(n, -n) }

// dateParam formats d as a parameter: YYYY-MM-DD, empty when zero.
func dateParam(d dealercrm.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// listParam joins values as a parameter: "a, b".
func listParam[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
