package demo_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/stretchr/testify/require"
)

// TestMessageTemplates: every demo template registers (the marketing and
// care ones carry 退订回T).
func TestMessageTemplates(t *testing.T) {
	tpls, err := messages.NewTemplates(demo.MessageTemplates()...)
	require.NoError(t, err)
	require.Len(t, tpls.All(), 8+9, "8 reminder and care kinds, 9 campaign kinds")
}
