package postgres_test

import (
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/jobs/jobstest"
)

func TestRunStoreConformance(t *testing.T) {
	jobstest.RunStoreTests(t, func(t *testing.T, lease time.Duration) jobs.RunStore {
		var opts []postgres.Option
		if lease > 0 {
			opts = append(opts, postgres.WithRunLease(lease))
		}
		return pgtest.NewStore(t, opts...).Runs()
	})
}
