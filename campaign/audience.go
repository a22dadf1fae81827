package campaign

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Exclusion says why a member of the audience is not contacted.
type Exclusion string

// The exclusion reasons.
const (
	// NoConsent: the customer has not consented to the campaign's purpose
	// on any of its channels (PIPL).
	NoConsent Exclusion = "no_consent"
)

// ConversionKind says what converted a member.
type ConversionKind string

// The conversion kinds.
const (
	ConvertedBySale    ConversionKind = "sale"          // a new-car sale
	ConvertedByService ConversionKind = "service_order" // a service order
	ConvertedByRecord  ConversionKind = "recorded"      // recorded by staff
)

// Member is one customer of a frozen audience, with what happened to them.
type Member struct {
	DealerID   crm.DealerID   `json:"dealer_id"`
	CampaignID ID             `json:"campaign_id"`
	CustomerID crm.CustomerID `json:"customer_id"`
	// Segment is the name of the first target the customer matched.
	Segment string `json:"segment"`
	// Channel is the channel the member is contacted on: the first of the
	// campaign's channels they consented to; empty when excluded.
	Channel crm.Channel `json:"channel,omitempty"`
	// Excluded is why the member is not contacted; empty when they are
	// (or are in the holdout).
	Excluded Exclusion `json:"excluded,omitempty"`
	// Holdout marks a consenting member kept out of the contact on purpose,
	// so that uplift can be measured.
	Holdout bool `json:"holdout"`
	// Responded and Visited are the dates of the first response and visit
	// recorded; zero when none.
	Responded dealercrm.Date `json:"responded"`
	Visited   dealercrm.Date `json:"visited"`
	// Converted is the date of the first sale or service order in the
	// attribution window (or a recorded conversion), Revenue what it
	// brought.
	Converted      dealercrm.Date  `json:"converted"`
	ConversionKind ConversionKind  `json:"conversion_kind,omitempty"`
	Revenue        decimal.Decimal `json:"revenue"`
}

// MemberFilter asks for one page of a campaign's members, in customer ID
// order.
type MemberFilter struct {
	crm.PageRequest
}

// Contacted reports whether the member was invited (not excluded, not in
// the holdout).
func (m *Member) Contacted() bool { return m.Excluded == "" && !m.Holdout }

// InHoldout returns whether customer id falls in the holdout of share for
// seed: a 64-bit FNV-1a hash of the seed and the ID, mixed (SplitMix64
// finaliser) and scaled to [0, 1), is below share. The split is the same on
// every run and every backend, and close to share for large audiences.
func InHoldout(seed uint64, id crm.CustomerID, share float64) bool {
	if share <= 0 {
		return false
	}
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(id))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11)/(1<<53) < share
}

// assign labels profile p for campaign c: its target segment (first match;
// ok false when none), channel, exclusion and holdout.
func assign(c *Campaign, p *Profile, matchers []Matcher) (Member, bool) {
	m := Member{DealerID: c.DealerID, CampaignID: c.ID, CustomerID: p.CustomerID}
	i := slices.IndexFunc(matchers, func(f Matcher) bool { return f(p) })
	if i < 0 {
		return m, false
	}
	m.Segment = c.Targets[i].Name
	for _, ch := range c.Channels {
		if p.Allows(c.Purpose, ch) {
			m.Channel = ch
			break
		}
	}
	if m.Channel == "" {
		m.Excluded = NoConsent
		return m, true
	}
	m.Holdout = InHoldout(c.Seed, p.CustomerID, c.Holdout)
	return m, true
}

// Interval is a confidence interval.
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Uplift compares the conversion of contacted members with that of the
// holdout.
type Uplift struct {
	Contacted     int     `json:"contacted"`
	ContactedConv int     `json:"contacted_converted"`
	Holdout       int     `json:"holdout"`
	HoldoutConv   int     `json:"holdout_converted"`
	ContactedRate float64 `json:"contacted_rate"`
	HoldoutRate   float64 `json:"holdout_rate"`
	Difference    float64 `json:"difference"`
	// CI is the 95% interval of Difference by Newcombe's hybrid score
	// method (method 10 of Newcombe 1998, from two Wilson score intervals);
	// absent when either group is empty.
	CI *Interval `json:"ci,omitempty"`
	// Significant is true when the interval excludes zero.
	Significant bool `json:"significant"`
	// Method names the interval method.
	Method string `json:"method"`
}

// z95 is the two-sided 95% normal quantile.
const z95 = 1.959963984540054

// wilson returns the Wilson score interval of x successes in n.
func wilson(x, n int) (lo, hi float64) {
	p := float64(x) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nf
	mid := (p + z2/(2*nf)) / den
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / den
	return math.Max(0, mid-half), math.Min(1, mid+half)
}

// ComputeUplift returns the uplift of x1 conversions among n1 contacted
// over x0 among n0 in the holdout, with Newcombe's hybrid score interval:
// with Wilson intervals (l1, u1) and (l0, u0) and d = p1 − p0,
// low = d − √((p1−l1)² + (u0−p0)²), high = d + √((u1−p1)² + (p0−l0)²).
func ComputeUplift(x1, n1, x0, n0 int) Uplift {
	u := Uplift{Contacted: n1, ContactedConv: x1, Holdout: n0, HoldoutConv: x0, Method: "newcombe_hybrid_score_95"}
	if n1 > 0 {
		u.ContactedRate = float64(x1) / float64(n1)
	}
	if n0 > 0 {
		u.HoldoutRate = float64(x0) / float64(n0)
	}
	u.Difference = u.ContactedRate - u.HoldoutRate
	if n1 == 0 || n0 == 0 {
		return u
	}
	l1, h1 := wilson(x1, n1)
	l0, h0 := wilson(x0, n0)
	p1, p0 := u.ContactedRate, u.HoldoutRate
	u.CI = &Interval{
		Low:  u.Difference - math.Sqrt((p1-l1)*(p1-l1)+(h0-p0)*(h0-p0)),
		High: u.Difference + math.Sqrt((h1-p1)*(h1-p1)+(p0-l0)*(p0-l0)),
	}
	u.Significant = u.CI.Low > 0 || u.CI.High < 0
	return u
}
