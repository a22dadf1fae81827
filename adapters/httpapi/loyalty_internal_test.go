package httpapi

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoyaltyOpenAPIMatchesRoutes: every loyalty route is documented and
// routed to itself, and the POSTs document the Idempotency-Key header.
func TestLoyaltyOpenAPIMatchesRoutes(t *testing.T) {
	store := memory.New()
	lsvc, err := loyalty.NewService(store, memory.NewLoyaltyStore())
	require.NoError(t, err)
	base := newTestHandler(t)
	h, ok := NewHandler(crm.NewService(store), WithLoyalty(lsvc)).(*handler)
	require.True(t, ok)
	documented := requireRoutesDocumented(t, h)
	assert.Len(t, documented, len(base.patterns)+14, "loyalty adds 14 routes")
	assert.Contains(t, string(h.openapi), `"Idempotency-Key"`)
	assert.Contains(t, string(h.openapi), `"#/components/schemas/LedgerEntry"`)
	assert.Contains(t, string(h.openapi), `"diamond"`, "the tier enumeration is documented")
}
