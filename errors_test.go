package dealercrm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/stretchr/testify/assert"
)

func TestErrorCode(t *testing.T) {
	errBusy := &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "pkg: busy"}
	wrapped := fmt.Errorf("op: %w", errBusy)

	assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(wrapped))
	assert.True(t, errors.Is(wrapped, errBusy), "the sentinel itself")
	assert.True(t, errors.Is(wrapped, dealercrm.ErrFailedPrecondition), "any error of the code")
	assert.False(t, errors.Is(wrapped, dealercrm.ErrNotFound))
	assert.False(t, errors.Is(wrapped, &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "pkg: other"}))

	assert.Equal(t, dealercrm.Internal, dealercrm.ErrorCode(errors.New("boom")))
	assert.Equal(t, dealercrm.Code(""), dealercrm.ErrorCode(nil))
	assert.Equal(t, "internal error", dealercrm.ErrorMessage(errors.New("secret detail")), "internal details are not shown")
	assert.Equal(t, "pkg: busy", dealercrm.ErrorMessage(wrapped))

	// A caller that gave up is Unavailable on every backend (the memory
	// stores return ctx.Err() as it is; it was a 500 there, a 503 on
	// Postgres).
	gaveUp := fmt.Errorf("satisfaction: get response r1: %w", context.Canceled)
	assert.Equal(t, dealercrm.Unavailable, dealercrm.ErrorCode(gaveUp))
	assert.Equal(t, dealercrm.Unavailable, dealercrm.ErrorCode(context.DeadlineExceeded))
	assert.NotContains(t, dealercrm.ErrorMessage(gaveUp), "satisfaction", "no internal detail")
}

// TestTransitionError: the one error of a forbidden state change says
// machine, from, to and what is allowed, carries FailedPrecondition and
// matches the package sentinel it carries (issue 12: one mechanism for the
// four copies in crm, campaign, lifecycle and loyalty).
func TestTransitionError(t *testing.T) {
	type level string
	type status string
	type event string
	errLeadInvalid := &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "crm: invalid state transition"}
	errTaskClosed := &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "lifecycle: task is closed"}
	cases := []struct {
		name string
		err  *dealercrm.TransitionError
		want dealercrm.TransitionError
		msg  string
	}{
		{"a lead level skipping to delivered (SPEC §1.1: D only by a conversion)",
			dealercrm.NewTransitionError("lead level", level("N"), level("D"), []level{"H", "A", "B", "C", "N", "O"}, errLeadInvalid),
			dealercrm.TransitionError{Machine: "lead level", From: "N", To: "D", Allowed: []string{"H", "A", "B", "C", "N", "O"}, Sentinel: errLeadInvalid},
			"invalid lead level transition N → D (allowed from N: H, A, B, C, N, O)"},
		{"a final state allows nothing",
			dealercrm.NewTransitionError("task status", status("done"), status("open"), nil, errTaskClosed),
			dealercrm.TransitionError{Machine: "task status", From: "done", To: "open", Sentinel: errTaskClosed},
			"invalid task status transition done → open (allowed from done: none, done is final)"},
		{"an event-driven machine: To and Allowed are events, no state yet reads none",
			dealercrm.NewTransitionError("membership", status(""), event("renew"), []event{"join"}, nil),
			dealercrm.TransitionError{Machine: "membership", To: "renew", Allowed: []string{"join"}},
			"invalid membership transition none → renew (allowed from none: join)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, *tc.err)
			wrapped := fmt.Errorf("pkg: op: %w", tc.err)
			assert.EqualError(t, tc.err, tc.msg)
			assert.Equal(t, "pkg: op: "+tc.msg, dealercrm.ErrorMessage(wrapped), "the message a caller is shown names from, to and allowed")
			assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(wrapped))
			assert.ErrorIs(t, wrapped, dealercrm.ErrFailedPrecondition, "any error of the code")
			assert.NotErrorIs(t, wrapped, dealercrm.ErrConflict)
			var te *dealercrm.TransitionError
			assert.ErrorAs(t, wrapped, &te)
		})
	}

	lead := cases[0].err
	assert.ErrorIs(t, lead, errLeadInvalid, "the package sentinel it carries")
	assert.NotErrorIs(t, lead, errTaskClosed, "not another package's sentinel")
	assert.NotErrorIs(t, lead, &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "campaign: invalid status transition"},
		"not a sentinel of the same code with another message")
	open := dealercrm.NewTransitionError("task status", status("open"), status("lost"), []status{"open", "done"}, nil)
	assert.NotErrorIs(t, open, errTaskClosed, "no sentinel: only the code matches")
	assert.ErrorIs(t, open, dealercrm.ErrFailedPrecondition)

	allowed := []level{"H", "A"}
	e := dealercrm.NewTransitionError("lead level", level("N"), level("D"), allowed, nil)
	allowed[0] = "X"
	assert.Equal(t, []string{"H", "A"}, e.Allowed, "the error keeps its own copy of the allowed targets")
}
