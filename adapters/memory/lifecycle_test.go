package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
)

func TestLifecycleTaskStore(t *testing.T) {
	lifecycletest.RunStoreTests(t, func(*testing.T) lifecycle.TaskStore { return memory.NewTaskStore() })
}

func TestLifecycleRuns(t *testing.T) {
	lifecycletest.RunServiceTests(t, func(*testing.T) (crm.Store, lifecycle.TaskStore) { return memory.New(), memory.NewTaskStore() })
}

func TestReportStore(t *testing.T) {
	lifecycletest.RunReportStoreTests(t, func(*testing.T) lifecycle.ReportStore { return memory.NewTaskStore() })
}

func TestReportService(t *testing.T) {
	lifecycletest.RunReportServiceTests(t, func(*testing.T) (crm.Store, lifecycle.TaskStore) { return memory.New(), memory.NewTaskStore() })
}

func TestLifecycleEvents(t *testing.T) {
	lifecycletest.RunEventTests(t, func(*testing.T) (crm.Store, lifecycle.TaskStore, crm.EventStore) {
		s := memory.NewStores()
		return s.CRM, s.Tasks, s.Events
	})
}
