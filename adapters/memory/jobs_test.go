package memory_test

import (
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/jobs/jobstest"
)

func TestRunStoreConformance(t *testing.T) {
	jobstest.RunStoreTests(t, func(_ *testing.T, lease time.Duration) jobs.RunStore {
		return memory.NewRunStore(memory.WithRunLease(lease))
	})
}
