package grading

import (
	"cmp"
	"iter"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Contribution is one metric's part of a score: its raw value, its
// normalised value in [0, 1] and the points it adds to the 0–100 score
// (weight × normalised × 100).
type Contribution struct {
	Metric     Metric  `json:"metric"`
	Value      float64 `json:"value"`
	Normalized float64 `json:"normalized"`
	Points     float64 `json:"points"`
}

// Batch is the population of one grading run: every customer's metric
// values, held column by column (one float64 per customer and metric of the
// model, plus its IDs), so that a million customers fit in a few hundred
// megabytes. Add customers, then call Score. A Batch is not safe for
// concurrent use.
type Batch struct {
	model   Model
	specs   []MetricSpec
	idx     []int // Values slot of each spec
	dealers []crm.DealerID
	dealer  []uint16 // index into dealers, per customer
	ids     []crm.CustomerID
	raw     [][]float64 // per spec, per customer
}

// NewBatch returns an empty batch for model m, which must be valid;
// sizeHint preallocates room for that many customers.
func NewBatch(m Model, sizeHint int) (*Batch, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b := &Batch{model: m}
	for _, s := range m.Metrics {
		if s.Weight == 0 {
			continue // weight 0: no part in the score, no column
		}
		b.specs = append(b.specs, s)
		b.idx = append(b.idx, s.Metric.Index())
		b.raw = append(b.raw, make([]float64, 0, sizeHint))
	}
	b.ids = make([]crm.CustomerID, 0, sizeHint)
	b.dealer = make([]uint16, 0, sizeHint)
	return b, nil
}

// Add adds a customer of dealer with metric values v.
func (b *Batch) Add(dealer crm.DealerID, customer crm.CustomerID, v *Values) {
	di := len(b.dealers) - 1
	if di < 0 || b.dealers[di] != dealer {
		di = slices.Index(b.dealers, dealer)
		if di < 0 {
			b.dealers = append(b.dealers, dealer)
			di = len(b.dealers) - 1
		}
	}
	b.dealer = append(b.dealer, uint16(di))
	b.ids = append(b.ids, customer)
	for k, i := range b.idx {
		x := v[i]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		b.raw[k] = append(b.raw[k], x)
	}
}

// Len returns the number of customers in the batch.
func (b *Batch) Len() int { return len(b.ids) }

// Scored is a scored batch: every customer's 0–100 score and the tier
// bounds of the run.
type Scored struct {
	b    *Batch
	norm [][]float64 // per spec, per customer, in [0, 1]
	// Scores holds each customer's score, rounded to 2 decimals, in the
	// order customers were added.
	Scores []float64
	// Bounds holds each tier's lowest score in this run: the model's
	// thresholds (ByScore) or the population's cut-offs (ByShare; +Inf for
	// a tier no one reaches). The last tier's bound is 0.
	Bounds []float64
	// slab is the block explanations are carved from (see Explain).
	slab []Contribution
}

// Score normalises every metric over the population and computes each
// customer's score: 100 × Σ weight × normalised value, rounded to 2
// decimals. Metrics are normalised in parallel. The batch's raw values are
// kept, so explanations can show them.
func (b *Batch) Score() *Scored {
	n := len(b.ids)
	s := &Scored{b: b, norm: make([][]float64, len(b.specs)), Scores: make([]float64, n)}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for k := range b.specs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.norm[k] = normalize(b.specs[k], b.raw[k])
		}()
	}
	wg.Wait()
	for k, spec := range b.specs {
		w := spec.Weight * 100
		col := s.norm[k]
		for i := range s.Scores {
			s.Scores[i] += w * col[i]
		}
	}
	for i, x := range s.Scores {
		s.Scores[i] = round2(x)
	}
	s.Bounds = bounds(&b.model, s.Scores)
	return s
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// num formats a score with 2 decimals.
func num(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// normalize returns the normalised values of one metric column.
func normalize(spec MetricSpec, xs []float64) []float64 {
	out := make([]float64, len(xs))
	switch spec.Method {
	case MinMax:
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range xs {
			lo, hi = min(lo, x), max(hi, x)
		}
		if spec.Min != nil {
			lo = *spec.Min
		}
		if spec.Max != nil {
			hi = *spec.Max
		}
		if !(hi > lo) {
			return out
		}
		for i, x := range xs {
			out[i] = min(max((x-lo)/(hi-lo), 0), 1)
		}
	case PercentileRank:
		n := len(xs)
		if n == 1 {
			out[0] = 1
			return out
		}
		// Sort (value, index) pairs once, then walk runs of equal values:
		// each value's rank is where its run starts. One sort and one pass
		// beat a binary search per customer on large populations.
		type pair struct {
			x float64
			i int32
		}
		ps := make([]pair, n)
		for i, x := range xs {
			ps[i] = pair{x, int32(i)}
		}
		slices.SortFunc(ps, func(a, b pair) int {
			switch {
			case a.x < b.x:
				return -1
			case a.x > b.x:
				return 1
			}
			return 0
		})
		start := 0
		for j, p := range ps {
			if p.x != ps[start].x {
				start = j
			}
			out[p.i] = float64(start) / float64(n-1)
		}
	case Banded:
		for i, x := range xs {
			out[i] = bandPoints(spec.Bands, x) / 100
		}
	}
	return out
}

// bandPoints returns the points of the highest band whose From x reaches.
func bandPoints(bands []Band, x float64) float64 {
	p := 0.0
	for _, b := range bands {
		if x < b.From {
			break
		}
		p = b.Points
	}
	return p
}

// bounds returns the lowest score of each tier (see Scored.Bounds).
func bounds(m *Model, scores []float64) []float64 {
	out := make([]float64, len(m.Tiers))
	if m.Mode == ByScore {
		for i, t := range m.Tiers {
			out[i] = t.MinScore
		}
		out[len(out)-1] = 0
		return out
	}
	sorted := slices.Clone(scores)
	slices.SortFunc(sorted, func(a, b float64) int { return cmp.Compare(b, a) })
	n := len(sorted)
	cum := 0.0
	for i, t := range m.Tiers[:len(m.Tiers)-1] {
		cum += t.Share
		k := int(math.Round(cum * float64(n)))
		if k <= 0 || n == 0 {
			out[i] = math.Inf(1)
			continue
		}
		// Customers tied with the last one in the share get the tier too.
		out[i] = sorted[min(k, n)-1]
	}
	// The last tier takes everyone else; bounds never increase down the tiers.
	out[len(out)-1] = 0
	for i := 1; i < len(out); i++ {
		out[i] = min(out[i], out[i-1])
	}
	return out
}

// tier returns the rank of the tier score falls in by the run's bounds.
func (s *Scored) tier(score float64) int {
	for i, b := range s.Bounds {
		if score >= b {
			return i
		}
	}
	return len(s.Bounds) - 1
}

// Len returns the number of customers.
func (s *Scored) Len() int { return len(s.Scores) }

// Customer returns the dealer and ID of the i-th customer added.
func (s *Scored) Customer(i int) (crm.DealerID, crm.CustomerID) {
	return s.b.dealers[s.b.dealer[i]], s.b.ids[i]
}

// Contributions returns the i-th customer's contributions, largest first
// (ties in the model's metric order).
func (s *Scored) Contributions(i int) []Contribution {
	out := make([]Contribution, len(s.b.specs))
	for k, spec := range s.b.specs {
		out[k] = Contribution{Metric: spec.Metric, Value: s.b.raw[k][i], Normalized: s.norm[k][i],
			Points: round2(spec.Weight * 100 * s.norm[k][i])}
	}
	slices.SortStableFunc(out, func(a, b Contribution) int { return cmp.Compare(b.Points, a.Points) })
	return out
}

// Explain returns the i-th customer's top contributions: the model's
// Explain (default 3) largest that add points, largest first (ties in the
// model's metric order). It is not safe for concurrent use.
func (s *Scored) Explain(i int) []Contribution {
	top := s.explainN()
	if len(s.slab) < top {
		// Explanations are carved from shared blocks: one allocation per
		// 4096 customers instead of one each.
		s.slab = make([]Contribution, top*4096)
	}
	out := s.explainInto(i, s.slab[:0:top])
	s.slab = s.slab[top:]
	return out
}

func (s *Scored) explainN() int {
	if s.b.model.Explain == 0 {
		return 3
	}
	return s.b.model.Explain
}

// explainInto appends the i-th customer's top contributions to out.
func (s *Scored) explainInto(i int, out []Contribution) []Contribution {
	top := s.explainN()
	var pts [NumMetrics]float64
	var used [NumMetrics]bool
	for k, spec := range s.b.specs {
		pts[k] = round2(spec.Weight * 100 * s.norm[k][i])
	}
	for n := 0; n < top; n++ {
		best := -1
		for k := range s.b.specs {
			if !used[k] && pts[k] > 0 && (best < 0 || pts[k] > pts[best]) {
				best = k
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		out = append(out, Contribution{Metric: s.b.specs[best].Metric, Value: s.b.raw[best][i], Normalized: s.norm[best][i], Points: pts[best]})
	}
	return out
}

// Decide grades the i-th customer of a run as of asOf, given its state
// before the run (nil for a customer never graded), applying hysteresis
// (see Hysteresis). It returns the new state (RunID and UpdatedAt left
// for the caller) and, when the grade changes, the change to record.
func (s *Scored) Decide(i int, prior *State, asOf dealercrm.Date) (State, *Change) {
	return s.materialize(i, s.decide(i, prior, asOf), prior, asOf)
}

// The kinds of grade change a decision records.
const (
	changeNone uint8 = iota
	changeFirst
	changeUp
	changeDownMargin
	changeDownRuns
)

// decision is the compact, pointer-free outcome of grading one customer;
// states and changes are built from it only when written.
type decision struct {
	grade   uint8 // tier index
	kind    uint8 // changeNone, …
	write   bool  // the state differs from the prior one
	pending int32
}

// decide grades the i-th customer without allocating.
func (s *Scored) decide(i int, prior *State, asOf dealercrm.Date) decision {
	m := &s.b.model
	raw := s.tier(s.Scores[i])
	d := decision{grade: uint8(raw), write: true}
	if prior == nil || m.rank(prior.Grade) >= len(m.Tiers) {
		d.kind = changeFirst
		return d
	}
	prev := m.rank(prior.Grade)
	switch {
	case raw < prev:
		d.kind = changeUp
		return d
	case raw > prev:
		bound := s.Bounds[prev]
		h := m.Hysteresis
		if s.Scores[i] < bound-h.Margin {
			d.kind = changeDownMargin
			return d
		}
		// Below the bound, within the margin: count the period once, so
		// that re-running the same period changes nothing.
		d.pending = int32(prior.Pending)
		if prior.Period != asOf || prior.Pending == 0 {
			d.pending++
		}
		if h.Runs > 0 && int(d.pending) >= h.Runs {
			d.kind, d.pending = changeDownRuns, 0
			return d
		}
		d.grade = uint8(prev)
	}
	d.write = !(prior.Score == s.Scores[i] && prior.Pending == int(d.pending) && prior.Period == asOf &&
		prior.Grade == m.Tiers[d.grade].Grade && prior.RawGrade == m.Tiers[raw].Grade &&
		prior.Model == m.Name && prior.ModelVersion == m.Version && s.sameTop(i, prior.Top))
	return d
}

// sameTop reports whether the i-th customer's explanation equals top,
// without allocating.
func (s *Scored) sameTop(i int, top []Contribution) bool {
	var buf [NumMetrics]Contribution
	return slices.Equal(s.explainInto(i, buf[:0]), top)
}

// materialize builds the state and change of decision d.
func (s *Scored) materialize(i int, d decision, prior *State, asOf dealercrm.Date) (State, *Change) {
	return s.stateOf(i, d, asOf), s.changeOf(i, d, prior, asOf)
}

// stateOf builds the state of decision d, with its explanation.
func (s *Scored) stateOf(i int, d decision, asOf dealercrm.Date) State {
	m := &s.b.model
	dealer, id := s.Customer(i)
	score := s.Scores[i]
	return State{DealerID: dealer, CustomerID: id, Grade: m.Tiers[d.grade].Grade, RawGrade: m.Tiers[s.tier(score)].Grade,
		Score: score, Pending: int(d.pending), Period: asOf, Model: m.Name, ModelVersion: m.Version, Top: s.Explain(i)}
}

// changeOf builds the change of decision d, or nil when it changes nothing.
func (s *Scored) changeOf(i int, d decision, prior *State, asOf dealercrm.Date) *Change {
	if d.kind == changeNone {
		return nil
	}
	m := &s.b.model
	dealer, id := s.Customer(i)
	score := s.Scores[i]
	ch := &Change{DealerID: dealer, CustomerID: id, New: m.Tiers[d.grade].Grade, Score: score, Period: asOf, Top: s.Explain(i)}
	if prior != nil {
		ch.Old = prior.Grade
	}
	switch d.kind {
	case changeFirst:
		ch.Reason = "first grading: score " + num(score)
		ch.ReasonCode, ch.ReasonParams = CodeFirst, map[string]string{"score": num(score), "grade": string(ch.New)}
	case changeUp:
		ch.Reason = "upgrade: score " + num(score) + " reached the " + string(ch.New) + " bound " + num(s.Bounds[d.grade])
		ch.ReasonCode, ch.ReasonParams = CodeUpgrade, map[string]string{"score": num(score), "grade": string(ch.New), "bound": num(s.Bounds[d.grade])}
	case changeDownMargin:
		ch.Reason = "downgrade: score " + num(score) + " below the " + string(prior.Grade) + " bound " +
			num(s.Bounds[m.rank(prior.Grade)]) + " minus margin " + num(m.Hysteresis.Margin)
		ch.ReasonCode, ch.ReasonParams = CodeDowngradeMargin, map[string]string{"score": num(score), "old": string(prior.Grade), "grade": string(ch.New),
			"bound": num(s.Bounds[m.rank(prior.Grade)]), "margin": num(m.Hysteresis.Margin)}
	case changeDownRuns:
		ch.Reason = "downgrade: score " + num(score) + " below the " + string(prior.Grade) + " bound " +
			num(s.Bounds[m.rank(prior.Grade)]) + " for " + strconv.Itoa(m.Hysteresis.Runs) + " consecutive runs"
		ch.ReasonCode, ch.ReasonParams = CodeDowngradeRuns, map[string]string{"score": num(score), "old": string(prior.Grade), "grade": string(ch.New),
			"bound": num(s.Bounds[m.rank(prior.Grade)]), "runs": strconv.Itoa(m.Hysteresis.Runs)}
	}
	return ch
}

// The reason codes of grade changes (Change.ReasonCode); parameters score,
// grade (the new one) and, by code, bound, old, margin, runs.
const (
	CodeFirst           = "grading.change.first"
	CodeUpgrade         = "grading.change.upgrade"
	CodeDowngradeMargin = "grading.change.downgrade_margin"
	CodeDowngradeRuns   = "grading.change.downgrade_runs"
)

// ChangeCodes returns every reason code of a grade change.
func ChangeCodes() []string {
	return []string{CodeFirst, CodeUpgrade, CodeDowngradeMargin, CodeDowngradeRuns}
}

// Outcome is what grading a whole batch decided, kept compact (a few bytes
// per customer, no pointers): per dealer the customers graded, their
// grades, the states to write (new, or different from the prior state in
// more than run ID and time) and the grade changes. States and Changes
// build the records to store on the fly.
type Outcome struct {
	Customers map[crm.DealerID]int
	Counts    map[crm.DealerID]map[Grade]int
	Written   map[crm.DealerID]int
	Changed   map[crm.DealerID]int

	s     *Scored
	asOf  dealercrm.Date
	prior func(crm.DealerID, crm.CustomerID) *State
	dec   []decision
}

// DecideAll grades every customer of the batch (see Decide) in parallel on
// GOMAXPROCS workers. prior returns a customer's state before the run, nil
// for none; it is called concurrently and must only read, and it is called
// again by States and Changes.
func (s *Scored) DecideAll(asOf dealercrm.Date, prior func(dealer crm.DealerID, id crm.CustomerID) *State) *Outcome {
	n := s.Len()
	o := &Outcome{s: s, asOf: asOf, prior: prior, dec: make([]decision, n),
		Customers: map[crm.DealerID]int{}, Counts: map[crm.DealerID]map[Grade]int{}, Written: map[crm.DealerID]int{}, Changed: map[crm.DealerID]int{}}
	workers := max(1, min(runtime.GOMAXPROCS(0), n/10000))
	nd, ng := len(s.b.dealers), len(s.b.model.Tiers)
	type tally struct{ grades, written, changed []int } // per dealer (× grade)
	tallies := make([]tally, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() {
			t := tally{grades: make([]int, nd*ng), written: make([]int, nd), changed: make([]int, nd)}
			for i := lo; i < hi; i++ {
				d, id := s.Customer(i)
				dec := s.decide(i, prior(d, id), asOf)
				o.dec[i] = dec
				di := int(s.b.dealer[i])
				t.grades[di*ng+int(dec.grade)]++
				if dec.write {
					t.written[di]++
				}
				if dec.kind != changeNone {
					t.changed[di]++
				}
			}
			tallies[w] = t
		})
	}
	wg.Wait()
	for di, d := range s.b.dealers {
		o.Counts[d] = map[Grade]int{}
		for _, t := range tallies {
			for g := range ng {
				o.Counts[d][s.b.model.Tiers[g].Grade] += t.grades[di*ng+g]
				o.Customers[d] += t.grades[di*ng+g]
			}
			o.Written[d] += t.written[di]
			o.Changed[d] += t.changed[di]
		}
	}
	return o
}

// States yields the states of dealer's customers to write, in the order
// customers were added, stamped with run and at. A run writes one dealer's
// records at a time: the other dealers of a group population are not
// yielded.
func (o *Outcome) States(dealer crm.DealerID, run RunID, at time.Time) iter.Seq[State] {
	return func(yield func(State) bool) {
		di := o.dealerIndex(dealer)
		view := &Scored{b: o.s.b, norm: o.s.norm, Scores: o.s.Scores, Bounds: o.s.Bounds}
		for i, d := range o.dec {
			if !d.write || int(o.s.b.dealer[i]) != di {
				continue
			}
			st := view.stateOf(i, d, o.asOf)
			st.RunID, st.UpdatedAt = run, at
			if !yield(st) {
				return
			}
		}
	}
}

// Changes yields the grade changes of dealer's customers, in the order
// customers were added, stamped with run and at.
func (o *Outcome) Changes(dealer crm.DealerID, run RunID, at time.Time) iter.Seq[Change] {
	return func(yield func(Change) bool) {
		di := o.dealerIndex(dealer)
		view := &Scored{b: o.s.b, norm: o.s.norm, Scores: o.s.Scores, Bounds: o.s.Bounds}
		for i, d := range o.dec {
			if d.kind == changeNone || int(o.s.b.dealer[i]) != di {
				continue
			}
			_, id := view.Customer(i)
			ch := view.changeOf(i, d, o.prior(dealer, id), o.asOf)
			ch.RunID, ch.At = run, at
			if !yield(*ch) {
				return
			}
		}
	}
}

// dealerIndex returns the index of dealer in the batch, or -1 (which
// matches no customer).
func (o *Outcome) dealerIndex(dealer crm.DealerID) int {
	return slices.Index(o.s.b.dealers, dealer)
}
