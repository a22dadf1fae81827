package crm_test

import (
	"encoding/json"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
)

// FuzzCheckVIN: any input is judged without panicking, and a VIN judged
// valid is 17 characters that survive normalisation unchanged.
func FuzzCheckVIN(f *testing.F) {
	for _, s := range []string{"1M8GDM9AXKP042788", "11111111111111111", "", "ÄÖÜ", "1M8GDM9AXKP04278\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vin := crm.NormalizeVIN(s)
		if crm.CheckVIN(vin) == "" {
			if len(vin) != 17 || crm.NormalizeVIN(vin) != vin {
				t.Fatalf("accepted %q", vin)
			}
		}
	})
}

// FuzzMobile: normalisation is idempotent and an accepted number is all
// digits after an optional plus.
func FuzzMobile(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138-0013-8000", "0086", "+", "()", "+4915112345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := crm.NormalizeMobile(s)
		if crm.NormalizeMobile(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, crm.NormalizeMobile(n))
		}
		if crm.CheckMobile(n) {
			_ = crm.MaskMobile(n)
		}
	})
}

// FuzzCustomerJSON: any JSON decoded into a customer validates without
// panicking, and a customer that validates survives a JSON round trip.
func FuzzCustomerJSON(f *testing.F) {
	f.Add([]byte(`{"id":"c1","dealer_id":"d1","name":"王伟","kind":"individual","mobile":"13800138000","birthday":"1990-02-29"}`))
	f.Add([]byte(`{"consents":[{"purpose":"marketing","channel":"sms","at":"2024-01-01T00:00:00Z","source":"x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c crm.Customer
		if json.Unmarshal(b, &c) != nil {
			return
		}
		c.Normalize()
		if c.Validate() != nil {
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back crm.Customer
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("round trip of %s: %v", out, err)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("valid customer invalid after round trip: %v", err)
		}
	})
}
