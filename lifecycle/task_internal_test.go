package lifecycle

import (
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/stretchr/testify/assert"
)

// TestStatusMove: a refused move says from, to and what is allowed, and
// matches ErrTaskClosed only from a closed status (no service call refuses
// a move from an active status, so the table is checked here).
func TestStatusMove(t *testing.T) {
	cases := []struct {
		from, to Status
		msg      string
		closed   bool
	}{
		{StatusOpen, "lost", "invalid task status transition open → lost (allowed from open: open, overdue, done, skipped, cancelled)", false},
		{StatusSkipped, StatusOpen, "invalid task status transition skipped → open (allowed from skipped: none, skipped is final)", true},
		{StatusCancelled, StatusDone, "invalid task status transition cancelled → done (allowed from cancelled: none, cancelled is final)", true},
	}
	for _, tc := range cases {
		t.Run(string(tc.from)+"→"+string(tc.to), func(t *testing.T) {
			err := tc.from.move(tc.to)
			assert.EqualError(t, err, tc.msg)
			assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition)
			if tc.closed {
				assert.ErrorIs(t, err, ErrTaskClosed, "%s is closed", tc.from)
			} else {
				assert.NotErrorIs(t, err, ErrTaskClosed, "an %s task is not closed", tc.from)
			}
		})
	}
	assert.NoError(t, StatusOverdue.move(StatusDone))
}
