package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
)

func TestLifecycleTaskStore(t *testing.T) {
	lifecycletest.RunStoreTests(t, func(t *testing.T) lifecycle.TaskStore { return pgtest.NewStore(t).LifecycleTasks() })
}
