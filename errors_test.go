package dealercrm_test

import (
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
}
