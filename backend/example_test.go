package backend_test

import (
	"fmt"
	"log"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// services are the services of every package, wired on one backend.
type services struct {
	crm       *crm.Service
	grading   *grading.Service
	loyalty   *loyalty.Service
	lifecycle *lifecycle.Service
	sat       *satisfaction.Service
	campaigns *campaign.Service
}

// wire builds every service on stores, whichever backend they come from.
func wire(stores backend.Stores) (services, error) {
	var s services
	var err error
	s.crm = crm.NewService(stores.CRM)
	if s.grading, err = grading.NewService(stores.CRM, stores.Grading); err != nil {
		return s, err
	}
	if s.loyalty, err = loyalty.NewService(stores.CRM, stores.Loyalty); err != nil {
		return s, err
	}
	if s.lifecycle, err = lifecycle.NewService(s.crm, stores.Tasks, lifecycle.WithGrades(s.grading),
		lifecycle.WithMemberships(s.loyalty)); err != nil {
		return s, err
	}
	if s.sat, err = satisfaction.NewService(stores.Satisfaction, satisfaction.WithRecords(s.crm)); err != nil {
		return s, err
	}
	if s.campaigns, err = campaign.NewService(stores.CRM, stores.Campaigns,
		campaign.WithAttributes(campaign.Grades(s.grading), campaign.Tiers(s.loyalty))); err != nil {
		return s, err
	}
	// A customer's export and erasure reach every package.
	s.crm.AddPersonalData(s.loyalty, s.grading, s.sat, s.campaigns)
	return s, nil
}

// Example wires every service on the in-memory backend; with Postgres,
// wire(pg.Stores()) is the only change.
func Example() {
	s, err := wire(memory.NewStores())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.campaigns.Store() != nil)
	// Output:
	// true
}
