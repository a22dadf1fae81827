package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventPayloadsDocumented walks every event type: each has a payload
// schema in the OpenAPI document (x-event-payloads of the Event schema),
// and that schema has properties, so a new event type cannot be served
// undocumented.
func TestEventPayloadsDocumented(t *testing.T) {
	h := NewHandler(crm.NewService(memory.New()), WithEvents(memory.NewEventLog())).(*handler)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties    map[string]json.RawMessage `json:"properties"`
				EventPayloads map[string]struct {
					Ref string `json:"$ref"`
				} `json:"x-event-payloads"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(h.openapi, &doc))
	ev := doc.Components.Schemas["Event"]
	for _, typ := range crm.EventTypes() {
		ref := ev.EventPayloads[string(typ)].Ref
		if !assert.NotEmpty(t, ref, "event type %s has no payload schema (eventPayloads in events.go)", typ) {
			continue
		}
		name := ref[len("#/components/schemas/"):]
		assert.NotEmpty(t, doc.Components.Schemas[name].Properties, "%s's payload %s has properties", typ, name)
	}
	assert.Len(t, ev.EventPayloads, len(crm.EventTypes()), "no payload of an unknown type")
}
