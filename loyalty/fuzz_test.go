package loyalty_test

import (
	"encoding/json"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/shopspring/decimal"
)

// FuzzProgramJSON: any JSON either fails to decode, fails validation with
// a *crm.ValidationError, or is a program whose rules run without panics
// and never earn negative points.
func FuzzProgramJSON(f *testing.F) {
	def, _ := json.Marshal(loyalty.DefaultProgram())
	f.Add(def)
	f.Add([]byte(`{"tiers":[{"tier":"a","multiplier":"1"}],"validity_months":12,"on_expiry":"lapse","upgrade":{"insurance_years":1},"points":{"points_per_cny":1,"expiry":"none"}}`))
	f.Add([]byte(`{"tiers":[],"earning":[{"rate":"-1"}]}`))
	f.Add([]byte(`{"tiers":[{"tier":"a","multiplier":"1e300"}],"points":{"expiry":"rolling","months":0}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p loyalty.Program
		if json.Unmarshal(b, &p) != nil {
			return
		}
		if err := p.Validate(); err != nil {
			if _, ok := err.(*crm.ValidationError); !ok {
				t.Fatalf("Validate returned %T, want *crm.ValidationError", err)
			}
			return
		}
		o := crm.ServiceOrder{Date: loyaltytest.Day, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: decimal.RequireFromString("1234.56")}
		for _, ts := range p.Tiers {
			if e := p.Earn(&o, ts.Tier); e.Points < 0 {
				t.Fatalf("negative points %d", e.Points)
			}
			m := loyalty.Membership{Tier: ts.Tier, Status: loyalty.StatusActive, TierSince: loyaltytest.Day}
			_ = p.UpgradeChecks(&m, loyalty.Balances{Cumulative: 99999, Available: 99999}, &loyalty.Facts{}, loyaltytest.Day)
			_ = p.RenewalChecks(&m, loyalty.Balances{}, decimal.NewFromInt(500), &loyalty.Facts{}, loyaltytest.Day)
			_, _ = p.ApplyBenefits(&m, decimal.NewFromInt(100), decimal.NewFromInt(100), nil)
		}
		half := decimal.RequireFromString("0.5")
		_, _ = p.InitialTier(loyalty.JoinFee, decimal.NewFromInt(1000), &half)
		_ = p.ExpiresOn(loyaltytest.Day)
	})
}

// FuzzEarnFastPath checks the int64 fast path of earning against decimal
// arithmetic: floor(amount × rate × tier × campaign) either way.
func FuzzEarnFastPath(f *testing.F) {
	f.Add("1280.50", "1", "1.2", "2")
	f.Add("0.01", "0.5", "1", "1")
	f.Add("99999999.99", "3", "2", "1.5")
	f.Fuzz(func(t *testing.T, amount, rate, tier, campaign string) {
		a, err1 := decimal.NewFromString(amount)
		r, err2 := decimal.NewFromString(rate)
		tm, err3 := decimal.NewFromString(tier)
		cm, err4 := decimal.NewFromString(campaign)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || a.IsNegative() || r.IsNegative() || !tm.IsPositive() || !cm.IsPositive() ||
			a.GreaterThan(decimal.NewFromInt(1e9)) || r.GreaterThan(decimal.NewFromInt(1000)) || tm.GreaterThan(decimal.NewFromInt(100)) ||
			cm.GreaterThan(decimal.NewFromInt(100)) || cm.LessThanOrEqual(decimal.NewFromInt(1)) {
			return
		}
		p := loyalty.DefaultProgram()
		p.Earning = []loyalty.EarnRule{{Rate: r}}
		p.Tiers[0].Multiplier = tm
		p.Campaigns = []loyalty.CampaignMultiplier{{Name: "x", From: loyaltytest.Day, To: loyaltytest.Day, Multiplier: cm}}
		got := p.Earn(&crm.ServiceOrder{Date: loyaltytest.Day, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: a}, loyalty.Silver).Points
		want := a.Mul(r).Mul(tm).Mul(cm).Floor()
		if want.GreaterThan(decimal.NewFromInt(1 << 40)) {
			want = decimal.NewFromInt(1 << 40)
		}
		if want.IntPart() != got {
			t.Fatalf("%s × %s × %s × %s: got %d, want %s", a, r, tm, cm, got, want)
		}
	})
}
