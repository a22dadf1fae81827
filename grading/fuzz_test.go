package grading_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/grading"
)

// FuzzModelJSON: any JSON decoded into a model validates without panicking;
// a rejected model is an Invalid error, and an accepted one survives a JSON
// round trip still valid.
func FuzzModelJSON(f *testing.F) {
	def, err := json.Marshal(grading.DefaultModel())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(`{"name":"m","version":1,"metrics":[{"metric":"nope","weight":0.7}],"mode":"threshold","tiers":[{"grade":"A","min_score":80},{"grade":"B","min_score":80}]}`))
	f.Add([]byte(`{"metrics":null,"tiers":[{}],"hysteresis":{"margin":-1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m grading.Model
		if json.Unmarshal(b, &m) != nil {
			return
		}
		if err := m.Validate(); err != nil {
			if !errors.Is(err, dealercrm.ErrInvalid) {
				t.Fatalf("a rejected model must be Invalid, got %v", err)
			}
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back grading.Model
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("valid model invalid after a round trip: %v", err)
		}
	})
}
