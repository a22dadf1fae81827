package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/jobs/jobstest"
)

func TestRunStoreConformance(t *testing.T) {
	jobstest.RunStoreTests(t, func(*testing.T) jobs.RunStore { return memory.NewRunStore() })
}
