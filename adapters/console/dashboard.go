package console

import (
	"time"
)

// dashEntry is a dealer's dashboard figures and when they were computed.
type dashEntry struct {
	at time.Time
}

// dashboardPage is 仪表盘.
func (h *handler) dashboardPage(q *req) error {
	return q.show("dashboard", q.view("console.dashboard.title", "dashboard"), nil)
}
