package main

import (
	"reflect"
	"strings"

	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/webhook"
)

// pathIDs gives the Go type of each path wildcard, by the path up to and
// including it: the route table names a wildcard only, and the service
// its routes call takes the record's ID type. A route with a wildcard not
// listed stops the generator; TestPathIDs checks each entry whose record
// the table can read against the record's ID field.
var pathIDs = map[string]reflect.Type{
	"/v1/customers/{id}":                    reflect.TypeFor[crm.CustomerID](),
	"/v1/leads/{id}":                        reflect.TypeFor[crm.LeadID](),
	"/v1/vehicles/{id}":                     reflect.TypeFor[crm.VehicleID](),
	"/v1/sales/{id}":                        reflect.TypeFor[crm.SaleID](),
	"/v1/service-orders/{id}":               reflect.TypeFor[crm.ServiceOrderID](),
	"/v1/insurance-policies/{id}":           reflect.TypeFor[crm.PolicyID](),
	"/v1/interactions/{id}":                 reflect.TypeFor[crm.InteractionID](),
	"/v1/complaints/{id}":                   reflect.TypeFor[crm.ComplaintID](),
	"/v1/event-participations/{id}":         reflect.TypeFor[crm.ParticipationID](),
	"/v1/campaigns/{id}":                    reflect.TypeFor[campaign.ID](),
	"/v1/campaigns/{id}/members/{customer}": reflect.TypeFor[crm.CustomerID](),
	"/v1/grading/runs/{id}":                 reflect.TypeFor[grading.RunID](),
	"/v1/grading/customers/{id}":            reflect.TypeFor[crm.CustomerID](),
	"/v1/tasks/{id}":                        reflect.TypeFor[lifecycle.TaskID](),
	"/v1/loyalty/members/{id}":              reflect.TypeFor[crm.CustomerID](),
	"/v1/loyalty/entries/{id}":              reflect.TypeFor[loyalty.EntryID](),
	"/v1/hierarchies/{id}":                  reflect.TypeFor[satisfaction.HierarchyID](),
	"/v1/questionnaires/{id}":               reflect.TypeFor[satisfaction.QuestionnaireID](),
	"/v1/survey-responses/{id}":             reflect.TypeFor[satisfaction.ResponseID](),
	"/v1/api-keys/{id}":                     reflect.TypeFor[apikey.ID](),
	"/v1/webhooks/{id}":                     reflect.TypeFor[webhook.ID](),
}

// pathWildcards returns the wildcards of a route's path with the path up
// to each.
func pathWildcards(p string) (names, prefixes []string) {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
			prefixes = append(prefixes, strings.Join(segs[:i+1], "/"))
		}
	}
	return names, prefixes
}
