package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
)

func TestLifecycleTaskStore(t *testing.T) {
	lifecycletest.RunStoreTests(t, func(*testing.T) lifecycle.TaskStore { return memory.NewTaskStore() })
}
