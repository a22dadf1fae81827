package satisfaction

import (
	"fmt"
	"math"
	"sort"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Granularity is the length of the periods of a report's breakdown.
type Granularity string

// The period lengths.
const (
	Month   Granularity = "month"   // "2025-03"
	Quarter Granularity = "quarter" // "2025-Q1"
)

// Valid reports whether g is a known granularity.
func (g Granularity) Valid() bool { return g == Month || g == Quarter }

// Score is the CSI of one group of responses.
type Score struct {
	// Key names the group: a criterion ID, a staff ID, a department or a
	// period ("2025-03", "2025-Q1").
	Key  string `json:"key"`
	Name string `json:"name,omitempty"`
	// CSI is the weighted indicator score 0–100 of the group.
	CSI float64 `json:"csi"`
	// Responses is the number of responses in the group (for criteria:
	// the answers to its indicators).
	Responses int `json:"responses"`
}

// IndicatorScore is the result of one indicator.
type IndicatorScore struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	Criterion string `json:"criterion,omitempty"`
	// Weight is the indicator's global weight renormalised over the
	// indicators the questionnaire asks about (they sum to 1).
	Weight float64 `json:"weight"`
	// Score is the mean answer on 0–100; Answers how many there were.
	Score   float64 `json:"score"`
	Answers int     `json:"answers"`
}

// Report is the CSI of a questionnaire over a set of responses.
type Report struct {
	QuestionnaireID QuestionnaireID `json:"questionnaire_id"`
	From            dealercrm.Date  `json:"from"`
	To              dealercrm.Date  `json:"to"`
	// CSI = Σ weight × indicator score over the indicators with answers,
	// divided by the sum of their weights: 0–100.
	CSI       float64 `json:"csi"`
	Responses int     `json:"responses"`
	// Criteria breaks the CSI down by every inner node of the hierarchy
	// below the goal that has asked indicators, in pre-order.
	Criteria   []Score          `json:"criteria"`
	Indicators []IndicatorScore `json:"indicators"`
	// ByStaff, ByDepartment and ByPeriod are the CSI per staff member
	// (advisor or consultant), department and period, in key order.
	ByStaff      []Score `json:"by_staff"`
	ByDepartment []Score `json:"by_department"`
	ByPeriod     []Score `json:"by_period"`
}

type group struct {
	sum []float64
	cnt []int64
	n   int
}

func newGroup(k int) *group { return &group{sum: make([]float64, k), cnt: make([]int64, k)} }

// Aggregator computes a Report from responses fed one at a time, in
// constant memory per group; it is what Service.Report streams responses
// into, and it can be used on its own. It is not safe for concurrent use.
type Aggregator struct {
	q        Questionnaire
	nodes    []NodeWeight
	inds     []NodeWeight // asked indicators
	weight   []float64    // renormalised, by indicator index
	itemInd  []int        // item position → indicator index
	itemPos  map[string]int
	scores   []float64 // answer − lo → 0..100
	lo       int
	period   Granularity
	from, to dealercrm.Date
	total    *group
	staff    map[crm.StaffID]*group
	dept     map[Department]*group
	byPeriod map[int]*group
}

// NewAggregator returns an aggregator of q's responses weighed by w (the
// weights of q's hierarchy), with periods of length period ("" is Month).
// Responses dated outside [from, to] (zero bounds are open) are skipped.
// It fails with a *crm.ValidationError naming items[i].indicator_id when
// an item's indicator is not a leaf of w.
func NewAggregator(q Questionnaire, w Weights, period Granularity, from, to dealercrm.Date) (*Aggregator, error) {
	if period == "" {
		period = Month
	}
	if !period.Valid() {
		return nil, &crm.ValidationError{Entity: "report", Fields: []crm.FieldError{{Field: "period", Rule: crm.RuleEnum,
			Message: fmt.Sprintf("%q is not month or quarter", period)}}}
	}
	a := &Aggregator{q: q, nodes: w.Nodes, period: period, from: from, to: to, itemPos: map[string]int{},
		staff: map[crm.StaffID]*group{}, dept: map[Department]*group{}, byPeriod: map[int]*group{}}
	leaf := map[string]NodeWeight{}
	for _, n := range w.Nodes {
		if n.Leaf {
			leaf[n.ID] = n
		}
	}
	idx := map[string]int{}
	var fs crm.Checker
	for i, it := range q.Items {
		if _, ok := leaf[it.IndicatorID]; !ok {
			fs.Add(fmt.Sprintf("items[%d].indicator_id", i), crm.RuleReference, "%q is not an indicator (a leaf) of hierarchy %s", it.IndicatorID, q.HierarchyID)
		}
	}
	if err := fs.Err("questionnaire"); err != nil {
		return nil, err
	}
	for i, it := range q.Items {
		n := leaf[it.IndicatorID]
		j, ok := idx[n.ID]
		if !ok {
			j = len(a.inds)
			idx[n.ID] = j
			a.inds = append(a.inds, n)
		}
		a.itemInd = append(a.itemInd, j)
		a.itemPos[it.ID] = i
	}
	sum := 0.0
	for _, n := range a.inds {
		sum += n.Global
	}
	a.weight = make([]float64, len(a.inds))
	for j, n := range a.inds {
		a.weight[j] = n.Global / sum
	}
	lo, hi := q.Scale.Range()
	a.lo = lo
	for v := lo; v <= hi; v++ {
		a.scores = append(a.scores, q.Scale.Score(v))
	}
	a.total = newGroup(len(a.inds))
	return a, nil
}

// indicator returns the indicator index and the score of answer i of r, or
// -1 for an answer to no item of the questionnaire or off the scale.
func (a *Aggregator) indicator(i int, ans *Answer) (int, float64) {
	p := i
	if p >= len(a.q.Items) || a.q.Items[p].ID != ans.ItemID {
		var ok bool
		if p, ok = a.itemPos[ans.ItemID]; !ok {
			return -1, 0
		}
	}
	v := ans.Value - a.lo
	if v < 0 || v >= len(a.scores) {
		return -1, 0
	}
	return a.itemInd[p], a.scores[v]
}

// Score returns the weighted score 0–100 of one response: Σ weight ×
// score over the indicators it answers, divided by their weights (answers
// to the same indicator averaged first). It does not add r.
func (a *Aggregator) Score(r *Response) float64 {
	k := len(a.inds)
	var sumBuf [64]float64
	var cntBuf [64]int
	var sum []float64
	var cnt []int
	if k <= 64 {
		sum, cnt = sumBuf[:k], cntBuf[:k]
	} else {
		sum, cnt = make([]float64, k), make([]int, k)
	}
	for i := range r.Answers {
		j, s := a.indicator(i, &r.Answers[i])
		if j >= 0 {
			sum[j] += s
			cnt[j]++
		}
	}
	num, den := 0.0, 0.0
	for j := range k {
		if cnt[j] > 0 {
			num += a.weight[j] * sum[j] / float64(cnt[j])
			den += a.weight[j]
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// Add adds one response (skipped when it is of another questionnaire or
// dated outside the range).
func (a *Aggregator) Add(r *Response) {
	if r.QuestionnaireID != a.q.ID || (!a.from.IsZero() && r.Date.Before(a.from)) || (!a.to.IsZero() && r.Date.After(a.to)) {
		return
	}
	gs := [4]*group{a.total, get(a, a.staff, r.StaffID), get(a, a.dept, r.Department), get(a, a.byPeriod, a.periodKey(r.Date))}
	for _, g := range gs {
		g.n++
	}
	for i := range r.Answers {
		j, s := a.indicator(i, &r.Answers[i])
		if j < 0 {
			continue
		}
		for _, g := range gs {
			g.sum[j] += s
			g.cnt[j]++
		}
	}
}

func (a *Aggregator) periodKey(d dealercrm.Date) int {
	if a.period == Quarter {
		return d.Year*4 + (int(d.Month)-1)/3
	}
	return d.Year*12 + int(d.Month) - 1
}

func (a *Aggregator) periodName(k int) string {
	if a.period == Quarter {
		return fmt.Sprintf("%04d-Q%d", k/4, k%4+1)
	}
	return fmt.Sprintf("%04d-%02d", k/12, k%12+1)
}

func get[K comparable](a *Aggregator, m map[K]*group, k K) *group {
	g, ok := m[k]
	if !ok {
		g = newGroup(len(a.inds))
		m[k] = g
	}
	return g
}

func (a *Aggregator) csi(g *group) float64 {
	num, den := 0.0, 0.0
	for j, c := range g.cnt {
		if c > 0 {
			num += a.weight[j] * g.sum[j] / float64(c)
			den += a.weight[j]
		}
	}
	if den == 0 {
		return 0
	}
	return round2(num / den)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Report returns the report of the responses added so far.
func (a *Aggregator) Report() Report {
	r := Report{QuestionnaireID: a.q.ID, From: a.from, To: a.to, CSI: a.csi(a.total), Responses: a.total.n,
		Criteria: []Score{}, Indicators: []IndicatorScore{}, ByStaff: []Score{}, ByDepartment: []Score{}, ByPeriod: []Score{}}
	for j, n := range a.inds {
		is := IndicatorScore{ID: n.ID, Name: n.Name, Criterion: n.Criterion, Weight: a.weight[j], Answers: int(a.total.cnt[j])}
		if c := a.total.cnt[j]; c > 0 {
			is.Score = round2(a.total.sum[j] / float64(c))
		}
		r.Indicators = append(r.Indicators, is)
	}
	// Criteria: every inner node below the goal, over its asked indicators.
	parent := map[string]string{}
	for _, n := range a.nodes {
		parent[n.ID] = n.Parent
	}
	for _, n := range a.nodes {
		if n.Leaf || n.Level == 0 {
			continue
		}
		sub := &group{sum: make([]float64, len(a.inds)), cnt: make([]int64, len(a.inds))}
		answers := 0
		for j, ind := range a.inds {
			for p := ind.Parent; p != ""; p = parent[p] {
				if p == n.ID {
					sub.sum[j], sub.cnt[j] = a.total.sum[j], a.total.cnt[j]
					answers += int(a.total.cnt[j])
					break
				}
			}
		}
		if answers > 0 {
			r.Criteria = append(r.Criteria, Score{Key: n.ID, Name: n.Name, CSI: a.csi(sub), Responses: answers})
		}
	}
	for k, g := range a.staff {
		if k != "" {
			r.ByStaff = append(r.ByStaff, Score{Key: string(k), CSI: a.csi(g), Responses: g.n})
		}
	}
	for k, g := range a.dept {
		r.ByDepartment = append(r.ByDepartment, Score{Key: string(k), CSI: a.csi(g), Responses: g.n})
	}
	keys := make([]int, 0, len(a.byPeriod))
	for k := range a.byPeriod {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		g := a.byPeriod[k]
		r.ByPeriod = append(r.ByPeriod, Score{Key: a.periodName(k), CSI: a.csi(g), Responses: g.n})
	}
	byKey := func(s []Score) { sort.Slice(s, func(i, j int) bool { return s[i].Key < s[j].Key }) }
	byKey(r.ByStaff)
	byKey(r.ByDepartment)
	return r
}

// Quadrant is an indicator's place in the importance–performance grid.
type Quadrant string

// The importance–performance quadrants (Martilla and James 1977).
const (
	// FixFirst: important and performing below average — concentrate here.
	FixFirst Quadrant = "fix_first"
	// KeepUp: important and performing above average — keep up the good work.
	KeepUp Quadrant = "keep_up"
	// LowPriority: less important and below average.
	LowPriority Quadrant = "low_priority"
	// PossibleOverkill: less important but above average — effort may be
	// better spent elsewhere.
	PossibleOverkill Quadrant = "possible_overkill"
)

// Quadrants returns the quadrants.
func Quadrants() []Quadrant { return []Quadrant{FixFirst, KeepUp, LowPriority, PossibleOverkill} }

// Valid reports whether q is a known quadrant.
func (q Quadrant) Valid() bool {
	return q == FixFirst || q == KeepUp || q == LowPriority || q == PossibleOverkill
}

// Priority is one indicator's improvement priority.
type Priority struct {
	Rank        int    `json:"rank"`
	IndicatorID string `json:"indicator_id"`
	Name        string `json:"name,omitempty"`
	Criterion   string `json:"criterion,omitempty"`
	// Importance is the indicator's weight (IndicatorScore.Weight);
	// Performance its score 0–100; Gap = target − performance (never
	// negative); Priority = importance × gap.
	Importance  float64  `json:"importance"`
	Performance float64  `json:"performance"`
	Gap         float64  `json:"gap"`
	Priority    float64  `json:"priority"`
	Quadrant    Quadrant `json:"quadrant"`
}

// DefaultTarget is the performance target of Priorities: full satisfaction.
const DefaultTarget = 100

// Priorities ranks the report's answered indicators for improvement by
// importance × gap (gap = target − score; target 0 means DefaultTarget),
// highest first, and places each in an importance–performance quadrant:
// importance is high when above the mean weight (1/k for k indicators) and
// performance high when at or above the mean indicator score.
func (r Report) Priorities(target float64) []Priority {
	if target <= 0 {
		target = DefaultTarget
	}
	var answered []IndicatorScore
	for _, is := range r.Indicators {
		if is.Answers > 0 {
			answered = append(answered, is)
		}
	}
	out := []Priority{}
	if len(answered) == 0 {
		return out
	}
	meanW, meanS := 0.0, 0.0
	for _, is := range answered {
		meanW += is.Weight
		meanS += is.Score
	}
	meanW /= float64(len(answered))
	meanS /= float64(len(answered))
	for _, is := range answered {
		p := Priority{IndicatorID: is.ID, Name: is.Name, Criterion: is.Criterion, Importance: is.Weight, Performance: is.Score}
		p.Gap = max(0, target-is.Score)
		p.Priority = math.Round(p.Importance*p.Gap*10000) / 10000
		important, good := is.Weight > meanW+1e-12, is.Score >= meanS
		switch {
		case important && !good:
			p.Quadrant = FixFirst
		case important:
			p.Quadrant = KeepUp
		case !good:
			p.Quadrant = LowPriority
		default:
			p.Quadrant = PossibleOverkill
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority > out[j].Priority })
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}
