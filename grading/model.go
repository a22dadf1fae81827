package grading

import (
	"fmt"
	"math"
	"slices"

	"github.com/dealercrm/dealercrm/crm"
)

// Method is how a metric's value is normalised to [0, 1].
type Method string

// The normalisation methods.
const (
	// MinMax maps [Min, Max] linearly onto [0, 1] and clamps:
	// n = (x − min) / (max − min). Min and Max are the spec's when set,
	// else the population's; when max = min every customer gets 0.
	MinMax Method = "min_max"
	// PercentileRank is the share of the other customers of the population
	// whose value is strictly lower: n = #{y < x} / (N − 1); 1 when N = 1.
	// Ties get the same rank, so a population of zeros scores 0.
	PercentileRank Method = "percentile_rank"
	// Banded gives the points (0–100) of the highest band whose From the
	// value reaches, divided by 100; below the first band it gives 0.
	Banded Method = "banded"
)

var allMethods = []Method{MinMax, PercentileRank, Banded}

// Methods returns every Method, in order.
func Methods() []Method { return slices.Clone(allMethods) }

// Valid reports whether m is a known Method.
func (m Method) Valid() bool { return slices.Contains(allMethods, m) }

// Band is one band of the Banded method: values ≥ From score Points.
type Band struct {
	From   float64 `json:"from"`
	Points float64 `json:"points"`
}

// MetricSpec says how one metric enters the score.
type MetricSpec struct {
	Metric Metric `json:"metric"`
	// Weight is the metric's share of the score; the weights of a model
	// are non-negative and sum to 1.
	Weight float64 `json:"weight"`
	Method Method  `json:"method"`
	// Min and Max fix the range of MinMax; nil takes the population's.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Bands are the bands of Banded, in ascending From.
	Bands []Band `json:"bands,omitempty"`
}

// TierMode is how scores become grades.
type TierMode string

// The tier modes.
const (
	// ByScore gives each customer the first tier whose MinScore its score reaches.
	ByScore TierMode = "score"
	// ByShare ranks customers by score and gives the top Share of the
	// population the first tier, the next Share the second, and so on; the
	// last tier takes the rest (the 80/20 rule: top 20% = A).
	ByShare TierMode = "share"
)

// Valid reports whether m is a known TierMode.
func (m TierMode) Valid() bool { return m == ByScore || m == ByShare }

// Grade is a customer grade, the label of a tier ("A", "B", "C" by default).
// Tiers are ordered best first; the order of a model's tiers decides which
// grade is higher.
type Grade string

// The default grades (seed 002: high, middle and low value customers).
const (
	GradeA Grade = "A"
	GradeB Grade = "B"
	GradeC Grade = "C"
)

// Tier is one grade of a model.
type Tier struct {
	Grade Grade `json:"grade"`
	// MinScore is the lowest score of the tier in ByScore mode; the last
	// tier's must be 0.
	MinScore float64 `json:"min_score,omitempty"`
	// Share is the tier's share of the population in ByShare mode (0.2 =
	// top 20%); the last tier's is ignored (it takes the rest).
	Share float64 `json:"share,omitempty"`
}

// Hysteresis keeps customers from flapping between grades: a customer whose
// score falls below its grade's lower bound keeps the grade until the score
// falls below the bound minus Margin, or stays below the bound for Runs
// consecutive periods (runs with distinct as-of dates). Upgrades are immediate.
type Hysteresis struct {
	Margin float64 `json:"margin"`
	Runs   int     `json:"runs"`
}

// Model is a scoring and grading model: plain, JSON-serialisable data,
// versioned, checked with Validate.
type Model struct {
	// Name and Version identify the model; a changed model gets a new version.
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Params are the parameters of the metric formulas.
	Params  Params       `json:"params"`
	Metrics []MetricSpec `json:"metrics"`
	Mode    TierMode     `json:"mode"`
	// Tiers are the grades, best first.
	Tiers      []Tier     `json:"tiers"`
	Hysteresis Hysteresis `json:"hysteresis"`
	// Explain is how many top contributing metrics a result lists; default 3.
	Explain int `json:"explain,omitempty"`
}

// weightTolerance is how far the weights may sum from 1 (rounding in JSON).
const weightTolerance = 1e-6

// DefaultModel returns the default model: seed 000's four value components
// plus seed 002's potential and loyalty, weighted 20% new car, 25%
// after-sales revenue, 10% visits, 10% add purchases, 5% each for
// referrals, referral value and events, 10% potential, 5% tenure and 5%
// renewals; tiers A ≥ 80, B ≥ 50, C below; a downgrade needs the score 5
// points under the bound or 2 consecutive periods below it.
func DefaultModel() Model {
	pct := func(m Metric, w float64) MetricSpec { return MetricSpec{Metric: m, Weight: w, Method: PercentileRank} }
	return Model{
		Name: "default", Version: 1, Params: DefaultParams(),
		Metrics: []MetricSpec{
			pct(NewCarValue, 0.20),
			pct(AfterSalesRevenue, 0.30),
			{Metric: AfterSalesVisits, Weight: 0.15, Method: Banded, Bands: []Band{{1, 40}, {2, 70}, {4, 100}}},
			pct(AddPurchaseValue, 0.10),
			{Metric: Referrals, Weight: 0.05, Method: Banded, Bands: []Band{{1, 70}, {2, 100}}},
			{Metric: Events, Weight: 0.05, Method: Banded, Bands: []Band{{1, 100}}},
			{Metric: Potential, Weight: 0.05, Method: MinMax, Min: ptr(0.0), Max: ptr(100.0)},
			{Metric: Tenure, Weight: 0.05, Method: MinMax, Min: ptr(0.0), Max: ptr(5.0)},
			{Metric: Renewals, Weight: 0.05, Method: Banded, Bands: []Band{{1, 60}, {2, 85}, {3, 100}}},
		},
		Mode:       ByScore,
		Tiers:      []Tier{{Grade: GradeA, MinScore: 80}, {Grade: GradeB, MinScore: 50}, {Grade: GradeC}},
		Hysteresis: Hysteresis{Margin: 5, Runs: 2},
		Explain:    3,
	}
}

func ptr[T any](v T) *T { return &v }

// SetWeights sets the weights of the model's metrics from a priority vector,
// such as the principal eigenvector of an AHP pairwise comparison matrix
// (§6): weights[i] is the weight of metrics[i]. The vector must be
// non-negative and sum to 1 within 0.001 (AHP output is rounded); it is
// rescaled to sum to exactly 1. Metrics of the model not named get weight 0;
// a named metric the model lacks is added with the PercentileRank method.
func (m *Model) SetWeights(metrics []Metric, weights []float64) error {
	var c crm.Checker
	if len(metrics) != len(weights) {
		c.Add("weights", "length", "has %d entries for %d metrics", len(weights), len(metrics))
		return c.Err("grading model")
	}
	sum := 0.0
	for i, w := range weights {
		if !metrics[i].Valid() {
			c.Add(fmt.Sprintf("metrics[%d]", i), "enum", "%q is not a known metric", metrics[i])
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			c.Add(fmt.Sprintf("weights[%d]", i), crm.RuleNonNegative, "%v is not a non-negative number", w)
		}
		sum += w
	}
	if len(c.Fields) == 0 && math.Abs(sum-1) > 1e-3 {
		c.Add("weights", "sum", "sum to %.4g, want 1", sum)
	}
	if err := c.Err("grading model"); err != nil {
		return err
	}
	for i := range m.Metrics {
		m.Metrics[i].Weight = 0
	}
	for i, mt := range metrics {
		j := slices.IndexFunc(m.Metrics, func(s MetricSpec) bool { return s.Metric == mt })
		if j < 0 {
			m.Metrics = append(m.Metrics, MetricSpec{Metric: mt, Method: PercentileRank})
			j = len(m.Metrics) - 1
		}
		m.Metrics[j].Weight = weights[i] / sum
	}
	return nil
}

// Validate checks the model and returns a *crm.ValidationError (code
// Invalid) that names every problem: an unknown or repeated metric, a
// negative weight, weights that do not sum to 1, a bad normalisation,
// overlapping bands or tier thresholds, shares outside (0, 1] or summing
// over 1, a negative margin.
func (m *Model) Validate() error {
	var c crm.Checker
	if m.Name == "" {
		c.Add("name", crm.RuleRequired, "is required")
	}
	if m.Version < 1 {
		c.Add("version", "min", "must be at least 1")
	}
	if m.Params.WindowMonths < 0 {
		c.Add("params.window_months", crm.RuleNonNegative, "must not be negative")
	}
	for p, w := range m.Params.PayerWeights {
		if !p.Valid() {
			c.Add("params.payer_weights", "enum", "%q is not a payer", p)
		}
		if w < 0 {
			c.Add("params.payer_weights."+string(p), crm.RuleNonNegative, "must not be negative")
		}
	}
	if len(m.Metrics) == 0 {
		c.Add("metrics", crm.RuleRequired, "at least one metric is required")
	}
	seen := map[Metric]bool{}
	sum := 0.0
	for i, s := range m.Metrics {
		f := fmt.Sprintf("metrics[%d]", i)
		switch {
		case !s.Metric.Valid():
			c.Add(f+".metric", "enum", "%q is not a known metric", s.Metric)
		case seen[s.Metric]:
			c.Add(f+".metric", crm.RuleUnique, "metric %q is listed twice", s.Metric)
		}
		seen[s.Metric] = true
		if s.Weight < 0 || math.IsNaN(s.Weight) || math.IsInf(s.Weight, 0) {
			c.Add(f+".weight", crm.RuleNonNegative, "%v is not a non-negative weight", s.Weight)
		} else {
			sum += s.Weight
		}
		switch s.Method {
		case MinMax:
			if s.Min != nil && s.Max != nil && *s.Max <= *s.Min {
				c.Add(f+".max", crm.RuleOrder, "max %v must be above min %v", *s.Max, *s.Min)
			}
		case PercentileRank:
		case Banded:
			if len(s.Bands) == 0 {
				c.Add(f+".bands", crm.RuleRequired, "the banded method needs at least one band")
			}
			for j, b := range s.Bands {
				if j > 0 && b.From <= s.Bands[j-1].From {
					c.Add(fmt.Sprintf("%s.bands[%d].from", f, j), "overlap", "band from %v overlaps the band from %v: bands must be in strictly ascending order", b.From, s.Bands[j-1].From)
				}
				if b.Points < 0 || b.Points > 100 {
					c.Add(fmt.Sprintf("%s.bands[%d].points", f, j), "range", "points %v are outside 0–100", b.Points)
				}
			}
		case "":
			c.Add(f+".method", crm.RuleRequired, "is required")
		default:
			c.Add(f+".method", "enum", "%q is not min_max, percentile_rank or banded", s.Method)
		}
	}
	if len(m.Metrics) > 0 && math.Abs(sum-1) > weightTolerance {
		c.Add("metrics.weight", "sum", "weights sum to %.4g, want 1", sum)
	}
	m.checkTiers(&c)
	if m.Hysteresis.Margin < 0 {
		c.Add("hysteresis.margin", crm.RuleNonNegative, "must not be negative")
	}
	if m.Hysteresis.Runs < 0 {
		c.Add("hysteresis.runs", crm.RuleNonNegative, "must not be negative")
	}
	if m.Explain < 0 {
		c.Add("explain", crm.RuleNonNegative, "must not be negative")
	}
	return c.Err("grading model")
}

func (m *Model) checkTiers(c *crm.Checker) {
	if !m.Mode.Valid() {
		c.Add("mode", "enum", "%q is not score or share", m.Mode)
	}
	if len(m.Tiers) < 2 {
		c.Add("tiers", "min", "at least two tiers are required")
		return
	}
	grades := map[Grade]bool{}
	shares := 0.0
	last := len(m.Tiers) - 1
	for i, t := range m.Tiers {
		f := fmt.Sprintf("tiers[%d]", i)
		if t.Grade == "" {
			c.Add(f+".grade", crm.RuleRequired, "is required")
		} else if grades[t.Grade] {
			c.Add(f+".grade", crm.RuleUnique, "grade %q is listed twice", t.Grade)
		}
		grades[t.Grade] = true
		switch m.Mode {
		case ByScore:
			if t.MinScore < 0 || t.MinScore > 100 {
				c.Add(f+".min_score", "range", "threshold %v is outside 0–100", t.MinScore)
			}
			if i > 0 && t.MinScore >= m.Tiers[i-1].MinScore {
				c.Add(f+".min_score", "overlap", "threshold %v of grade %s overlaps threshold %v of grade %s: thresholds must strictly decrease",
					t.MinScore, t.Grade, m.Tiers[i-1].MinScore, m.Tiers[i-1].Grade)
			}
			if i == last && t.MinScore != 0 {
				c.Add(f+".min_score", "range", "the last tier must start at 0 so every score has a grade")
			}
		case ByShare:
			if i == last {
				continue
			}
			if t.Share <= 0 || t.Share > 1 {
				c.Add(f+".share", "range", "share %v is outside (0, 1]", t.Share)
			}
			shares += t.Share
		}
	}
	if m.Mode == ByShare && shares > 1+weightTolerance {
		c.Add("tiers.share", "overlap", "the shares of the tiers above the last sum to %.4g, more than the whole population", shares)
	}
}

// rank returns the index of g among the model's tiers (0 = best), or
// len(Tiers) for a grade the model does not know (lowest).
func (m *Model) rank(g Grade) int {
	for i, t := range m.Tiers {
		if t.Grade == g {
			return i
		}
	}
	return len(m.Tiers)
}

// Grades returns the model's grades, best first.
func (m *Model) Grades() []Grade {
	out := make([]Grade, len(m.Tiers))
	for i, t := range m.Tiers {
		out[i] = t.Grade
	}
	return out
}

// invalid returns a one-field validation error.
func invalid(field, rule, format string, args ...any) error {
	var c crm.Checker
	c.Add(field, rule, format, args...)
	return c.Err("grading model")
}
