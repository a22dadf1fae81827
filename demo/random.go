package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/shopspring/decimal"
)

// date is the calendar date type of the whole package.
type date = dealercrm.Date

// rnd wraps a PCG generator with the draws the generator needs. Each
// customer has its own stream (see stream), so that a customer's profile
// and history do not depend on how many draws earlier customers took.
type rnd struct{ r *rand.Rand }

// The kinds of random stream.
const (
	streamDealer   = 1 // dealer-level choices: leads, complaints, contacts, events
	streamCustomer = 2 // one customer and everything about their cars
	streamIncoming = 3 // a customer taken over from the sister store
)

func newRnd(seed uint64, dealer, kind, i int) rnd {
	return rnd{rand.New(rand.NewPCG(seed, uint64(dealer+1)<<40|uint64(kind)<<32|uint64(i)))}
}

// n returns a number in [0, k).
func (r rnd) n(k int) int { return r.r.IntN(k) }

// between returns a number in [lo, hi].
func (r rnd) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.r.IntN(hi-lo+1)
}

// pct is true with probability p percent.
func (r rnd) pct(p int) bool { return r.r.IntN(100) < p }

// weighted returns an index of w with probability proportional to its weight.
func (r rnd) weighted(w []int) int {
	sum := 0
	for _, x := range w {
		sum += x
	}
	if sum <= 0 {
		return 0
	}
	k := r.n(sum)
	for i, x := range w {
		if k < x {
			return i
		}
		k -= x
	}
	return len(w) - 1
}

func pick[T any](r rnd, xs []T) T { return xs[r.n(len(xs))] }

// pickSkewed favours the first elements of xs (the minimum of two draws).
func pickSkewed[T any](r rnd, xs []T) T { return xs[min(r.n(len(xs)), r.n(len(xs)))] }

// yuan returns a whole amount of CNY. Amounts are whole yuan so that they
// survive any decimal column and text round trip unchanged.
func yuan(v int64) decimal.Decimal { return decimal.NewFromInt(v) }

// roundTo rounds v to a multiple of step.
func roundTo(v, step int64) int64 { return (v + step/2) / step * step }

// earlier returns the earlier of two dates.
func earlier(a, b date) date {
	if b.Before(a) {
		return b
	}
	return a
}

// later returns the later of two dates.
func later(a, b date) date {
	if b.After(a) {
		return b
	}
	return a
}

// clock returns a working-hours time on d in the dealer's zone, in UTC.
func clock(d date, loc *time.Location, r rnd) time.Time {
	return time.Date(d.Year, d.Month, d.Day, r.between(9, 18), r.n(60), 0, 0, loc).UTC()
}

// spread returns up to k strictly increasing dates from first to last, both
// included (fewer when the span is too short).
func spread(r rnd, first, last date, k int) []date {
	span := last.DaysSince(first)
	if span <= 0 {
		return []date{first}
	}
	k = min(k, span+1)
	picked := map[int]bool{0: true, span: true}
	for len(picked) < k {
		picked[r.between(1, span-1)] = true
	}
	out := make([]date, 0, k)
	for d := 0; d <= span; d++ {
		if picked[d] {
			out = append(out, first.AddDays(d))
		}
	}
	return out
}

func extID(code, kind string, width, n int) string {
	return fmt.Sprintf("%s-%s-%0*d", code, kind, width, n)
}

// vinValues transliterates VIN characters (ISO 3779); I, O and Q are absent.
var vinValues = map[byte]int{
	'A': 1, 'B': 2, 'C': 3, 'D': 4, 'E': 5, 'F': 6, 'G': 7, 'H': 8,
	'J': 1, 'K': 2, 'L': 3, 'M': 4, 'N': 5, 'P': 7, 'R': 9,
	'S': 2, 'T': 3, 'U': 4, 'V': 5, 'W': 6, 'X': 7, 'Y': 8, 'Z': 9,
}

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinYearCodes is the model-year character of position 10, from 2010 on
// (30-year cycle).
const vinYearCodes = "ABCDEFGHJKLMNPRSTVWXY123456789"

// makeVIN builds a VIN of the demo brand ("LTL", a made-up Chinese WMI):
// model code, check digit, model year, plant "S" and a serial number.
func makeVIN(vds string, year, serial int) string {
	b := []byte(fmt.Sprintf("LTL%s0%cS%06d", vds, vinYearCodes[((year-2010)%30+30)%30], serial%1000000))
	sum := 0
	for i, c := range b {
		v, ok := vinValues[c]
		if !ok {
			v = int(c - '0')
		}
		sum += v * vinWeights[i]
	}
	b[8] = byte('0' + sum%11)
	if sum%11 == 10 {
		b[8] = 'X'
	}
	return string(b)
}
