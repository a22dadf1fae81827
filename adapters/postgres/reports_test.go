package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
)

func TestLifecycleReportStore(t *testing.T) {
	lifecycletest.RunReportStoreTests(t, func(t *testing.T) lifecycle.ReportStore {
		rs, ok := pgtest.NewStore(t).LifecycleTasks().(lifecycle.ReportStore)
		if !ok {
			t.Fatal("the Postgres task store keeps report snapshots")
		}
		return rs
	})
}

func TestLifecycleReportService(t *testing.T) {
	lifecycletest.RunReportServiceTests(t, func(t *testing.T) (crm.Store, lifecycle.TaskStore) {
		s := pgtest.NewStore(t)
		return s, s.LifecycleTasks()
	})
}
