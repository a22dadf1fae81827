package grading_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func f64(x float64) *float64 { return &x }

// workedModel is the model of the worked examples: new-car value min–max
// over the population (50%), visits banded (30%), potential min–max on the
// fixed 0–100 scale (20%); default tiers A ≥ 80, B ≥ 50.
func workedModel() grading.Model {
	m := grading.DefaultModel()
	m.Metrics = []grading.MetricSpec{
		{Metric: grading.NewCarValue, Weight: 0.5, Method: grading.MinMax},
		{Metric: grading.AfterSalesVisits, Weight: 0.3, Method: grading.Banded, Bands: []grading.Band{{From: 1, Points: 30}, {From: 2, Points: 60}, {From: 4, Points: 100}}},
		{Metric: grading.Potential, Weight: 0.2, Method: grading.MinMax, Min: f64(0), Max: f64(100)},
	}
	return m
}

func values(ncv, visits, potential float64) *grading.Values {
	var v grading.Values
	v.Set(grading.NewCarValue, ncv)
	v.Set(grading.AfterSalesVisits, visits)
	v.Set(grading.Potential, potential)
	return &v
}

// TestWorkedScores checks hand-computed scores (SPEC §3: normalise, weight,
// 0–100; seed 000 components new-car value and visits, seed 002 potential):
//
//	c1: ncv 20000 → (20000−0)/20000 = 1;    4 visits → 100 pts; potential 90
//	    100 × (0.5×1 + 0.3×1 + 0.2×0.9)     = 98
//	c2: 10000 → 0.5;  1 visit → 30;  40     → 100 × (0.25 + 0.09 + 0.08) = 42
//	c3: 0 → 0;        0 visits → 0;  40     → 100 × (0 + 0 + 0.08)       = 8
//	c4: 15000 → 0.75; 2 visits → 60; 60     → 100 × (0.375 + 0.18 + 0.12) = 67.5
func TestWorkedScores(t *testing.T) {
	b, err := grading.NewBatch(workedModel(), 4)
	require.NoError(t, err)
	b.Add("d", "c1", values(20000, 4, 90))
	b.Add("d", "c2", values(10000, 1, 40))
	b.Add("d", "c3", values(0, 0, 40))
	b.Add("d", "c4", values(15000, 2, 60))
	s := b.Score()
	assert.Equal(t, []float64{98, 42, 8, 67.5}, s.Scores, "hand-computed scores")

	asOf := dealercrm.NewDate(2025, 6, 30)
	var grades []grading.Grade
	for i := range s.Len() {
		st, ch := s.Decide(i, nil, asOf)
		require.NotNil(t, ch, "a first grading is a change")
		assert.Equal(t, grading.Grade(""), ch.Old)
		grades = append(grades, st.Grade)
	}
	assert.Equal(t, []grading.Grade{"A", "C", "C", "B"}, grades, "score tiers A ≥ 80, B ≥ 50, C below")

	top := s.Explain(3)
	require.Len(t, top, 3)
	assert.Equal(t, []grading.Metric{grading.NewCarValue, grading.AfterSalesVisits, grading.Potential},
		[]grading.Metric{top[0].Metric, top[1].Metric, top[2].Metric}, "c4's contributions, largest first")
	assert.Equal(t, []float64{37.5, 18, 12}, []float64{top[0].Points, top[1].Points, top[2].Points})
	assert.Equal(t, 15000.0, top[0].Value)
}

// TestShareTiers checks the population-share mode (SPEC §3, the 80/20 rule)
// on the worked scores 98, 42, 8, 67.5: top 50% = A (98, 67.5), next 25% = B
// (42), the rest C (8).
func TestShareTiers(t *testing.T) {
	m := workedModel()
	m.Mode = grading.ByShare
	m.Tiers = []grading.Tier{{Grade: "A", Share: 0.5}, {Grade: "B", Share: 0.25}, {Grade: "C"}}
	b, err := grading.NewBatch(m, 4)
	require.NoError(t, err)
	b.Add("d", "c1", values(20000, 4, 90))
	b.Add("d", "c2", values(10000, 1, 40))
	b.Add("d", "c3", values(0, 0, 40))
	b.Add("d", "c4", values(15000, 2, 60))
	s := b.Score()
	assert.Equal(t, []float64{67.5, 42, 0}, s.Bounds, "cut-offs are the scores of the 2nd and 3rd customer")
	var grades []grading.Grade
	for i := range s.Len() {
		st, _ := s.Decide(i, nil, dealercrm.NewDate(2025, 6, 30))
		grades = append(grades, st.Grade)
	}
	assert.Equal(t, []grading.Grade{"A", "B", "C", "A"}, grades)

	// Top 20% of ten customers with scores 10, 20, …, 100 is the top two.
	m.Tiers = []grading.Tier{{Grade: "A", Share: 0.2}, {Grade: "B", Share: 0.3}, {Grade: "C"}}
	m.Metrics = []grading.MetricSpec{{Metric: grading.Potential, Weight: 1, Method: grading.MinMax, Min: f64(0), Max: f64(100)}}
	b, err = grading.NewBatch(m, 10)
	require.NoError(t, err)
	for i := 1; i <= 10; i++ {
		var v grading.Values
		v.Set(grading.Potential, float64(10*i))
		b.Add("d", crm.CustomerID(fmt.Sprint(i)), &v)
	}
	s = b.Score()
	counts := map[grading.Grade]int{}
	for i := range s.Len() {
		st, _ := s.Decide(i, nil, dealercrm.NewDate(2025, 6, 30))
		counts[st.Grade]++
	}
	assert.Equal(t, map[grading.Grade]int{"A": 2, "B": 3, "C": 5}, counts, "20% A, 30% B, the rest C")
}

// TestNormalizations checks each method on small populations (SPEC §3).
func TestNormalizations(t *testing.T) {
	run := func(spec grading.MetricSpec, xs ...float64) []float64 {
		m := grading.DefaultModel()
		spec.Metric, spec.Weight = grading.Potential, 1
		m.Metrics = []grading.MetricSpec{spec}
		b, err := grading.NewBatch(m, len(xs))
		require.NoError(t, err)
		for i, x := range xs {
			var v grading.Values
			v.Set(grading.Potential, x)
			b.Add("d", crm.CustomerID(fmt.Sprint(i)), &v)
		}
		return b.Score().Scores
	}
	t.Run("MinMaxPopulation", func(t *testing.T) {
		assert.Equal(t, []float64{0, 25, 100}, run(grading.MetricSpec{Method: grading.MinMax}, 10, 20, 50), "(x−10)/(50−10)")
		assert.Equal(t, []float64{0, 0}, run(grading.MetricSpec{Method: grading.MinMax}, 7, 7), "max = min gives 0")
	})
	t.Run("MinMaxFixed", func(t *testing.T) {
		assert.Equal(t, []float64{0, 50, 100}, run(grading.MetricSpec{Method: grading.MinMax, Min: f64(100), Max: f64(300)}, 50, 200, 400), "clamped to [0, 1]")
	})
	t.Run("PercentileRank", func(t *testing.T) {
		// #{y < x} / (N − 1): 10 → 0/3, 20 → 1/3 (tied), 40 → 3/3.
		assert.Equal(t, []float64{0, 33.33, 33.33, 100}, run(grading.MetricSpec{Method: grading.PercentileRank}, 10, 20, 20, 40))
		assert.Equal(t, []float64{0, 0, 0}, run(grading.MetricSpec{Method: grading.PercentileRank}, 0, 0, 0), "a population of zeros scores 0")
	})
	t.Run("Banded", func(t *testing.T) {
		bands := []grading.Band{{From: 1, Points: 30}, {From: 2, Points: 60}, {From: 4, Points: 85}}
		assert.Equal(t, []float64{0, 30, 60, 60, 85, 85}, run(grading.MetricSpec{Method: grading.Banded, Bands: bands}, 0, 1, 2, 3, 4, 9))
	})
}

// TestHysteresis: with A ≥ 80, margin 5 and 3 consecutive runs, a customer
// oscillating around 80 keeps its A (SPEC §3: no flapping); a fall below
// 75 downgrades at once; three periods in a row below 80 downgrade too.
func TestHysteresis(t *testing.T) {
	m := grading.DefaultModel()
	m.Metrics = []grading.MetricSpec{{Metric: grading.Potential, Weight: 1, Method: grading.MinMax, Min: f64(0), Max: f64(100)}}
	m.Hysteresis = grading.Hysteresis{Margin: 5, Runs: 3}
	step := func(prior *grading.State, score float64, period dealercrm.Date) (grading.State, *grading.Change) {
		b, err := grading.NewBatch(m, 1)
		require.NoError(t, err)
		var v grading.Values
		v.Set(grading.Potential, score)
		b.Add("d", "c1", &v)
		return b.Score().Decide(0, prior, period)
	}
	day := dealercrm.NewDate(2025, 1, 1)
	st, ch := step(nil, 85, day)
	require.NotNil(t, ch)
	require.Equal(t, grading.GradeA, st.Grade)

	t.Run("Oscillating", func(t *testing.T) {
		cur := st
		for i, score := range []float64{79, 81, 78, 80, 76, 82, 79, 79.5, 83} {
			next, ch := step(&cur, score, day.AddMonths(i+1))
			assert.Nil(t, ch, "run %d (score %v) changes nothing", i, score)
			assert.Equal(t, grading.GradeA, next.Grade, "run %d keeps A", i)
			cur = next
		}
	})
	t.Run("BelowMargin", func(t *testing.T) {
		next, ch := step(&st, 74.99, day.AddMonths(1))
		require.NotNil(t, ch)
		assert.Equal(t, grading.GradeB, next.Grade)
		assert.Equal(t, grading.GradeA, ch.Old)
		assert.Contains(t, ch.Reason, "margin")
	})
	t.Run("ConsecutiveRuns", func(t *testing.T) {
		cur := st
		for i, score := range []float64{78, 77} {
			next, ch := step(&cur, score, day.AddMonths(i+1))
			assert.Nil(t, ch)
			assert.Equal(t, i+1, next.Pending)
			cur = next
		}
		// Re-running the same period does not count twice.
		again, ch := step(&cur, 77, day.AddMonths(2))
		assert.Nil(t, ch)
		assert.Equal(t, 2, again.Pending, "the same period counts once")
		next, ch := step(&cur, 76, day.AddMonths(3))
		require.NotNil(t, ch, "the third consecutive period below 80 downgrades")
		assert.Equal(t, grading.GradeB, next.Grade)
		assert.Contains(t, ch.Reason, "3 consecutive runs")
	})
	t.Run("UpgradeImmediate", func(t *testing.T) {
		low, _ := step(nil, 40, day)
		up, ch := step(&low, 80, day.AddMonths(1))
		require.NotNil(t, ch)
		assert.Equal(t, grading.GradeA, up.Grade, "C to A in one run")
	})
}

// TestInvalidModels: invalid models are rejected with errors that name the
// problem (issue 4 done-when).
func TestInvalidModels(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*grading.Model)
		field string
		msg   string
	}{
		{"WeightsSumTo0.7", func(m *grading.Model) {
			m.Metrics = []grading.MetricSpec{{Metric: grading.NewCarValue, Weight: 0.4, Method: grading.PercentileRank},
				{Metric: grading.AfterSalesRevenue, Weight: 0.3, Method: grading.PercentileRank}}
		}, "metrics.weight", "weights sum to 0.7, want 1"},
		{"UnknownMetric", func(m *grading.Model) { m.Metrics[0].Metric = "horoscope" }, "metrics[0].metric", `"horoscope" is not a known metric`},
		{"OverlappingThresholds", func(m *grading.Model) { m.Tiers[1].MinScore = 80 }, "tiers[1].min_score", "overlaps threshold 80 of grade A"},
		{"OverlappingBands", func(m *grading.Model) { m.Metrics[2].Bands[1].From = 1 }, "metrics[2].bands[1].from", "overlaps"},
		{"NegativeWeight", func(m *grading.Model) { m.Metrics[0].Weight = -0.2; m.Metrics[1].Weight = 0.65 }, "metrics[0].weight", "non-negative"},
		{"SharesOverWhole", func(m *grading.Model) {
			m.Mode = grading.ByShare
			m.Tiers = []grading.Tier{{Grade: "A", Share: 0.7}, {Grade: "B", Share: 0.5}, {Grade: "C"}}
		}, "tiers.share", "more than the whole population"},
		{"DuplicateMetric", func(m *grading.Model) { m.Metrics[1].Metric = m.Metrics[0].Metric }, "metrics[1].metric", "listed twice"},
		{"UnknownMethod", func(m *grading.Model) { m.Metrics[0].Method = "zscore" }, "metrics[0].method", "zscore"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := grading.DefaultModel()
			c.edit(&m)
			err := m.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, dealercrm.ErrInvalid)
			var ve *crm.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.True(t, ve.Has(c.field, ""), "names field %s: %v", c.field, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
	m := grading.DefaultModel()
	require.NoError(t, m.Validate(), "the default model is valid")
}

// TestModelJSONAndAHPWeights: a model round-trips through JSON, and
// weights can come from an AHP priority vector (SPEC §3, §6).
func TestModelJSONAndAHPWeights(t *testing.T) {
	m := grading.DefaultModel()
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	var back grading.Model
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, m, back)

	// A rounded AHP vector summing to 0.9999 is rescaled to exactly 1.
	metrics := []grading.Metric{grading.NewCarValue, grading.AfterSalesRevenue, grading.Potential}
	require.NoError(t, m.SetWeights(metrics, []float64{0.5396, 0.2970, 0.1633}))
	require.NoError(t, m.Validate())
	assert.InDelta(t, 0.5396/0.9999, m.Metrics[0].Weight, 1e-12)
	assert.Zero(t, m.Metrics[2].Weight, "metrics not in the vector get 0")

	err = m.SetWeights(metrics, []float64{0.5, 0.1, 0.1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sum to 0.7, want 1")
	err = m.SetWeights(metrics, []float64{1.2, -0.1, -0.1})
	assert.Contains(t, err.Error(), "weights[1]")
}

// TestRFM scores a known dataset of five customers with distinct values:
// each quintile score is 1 + the number of customers worse on it.
func TestRFM(t *testing.T) {
	in := []grading.RFMInput{
		{CustomerID: "c1", Recency: 10, Frequency: 8, Monetary: 9000},
		{CustomerID: "c2", Recency: 30, Frequency: 6, Monetary: 4000},
		{CustomerID: "c3", Recency: 90, Frequency: 4, Monetary: 7000},
		{CustomerID: "c4", Recency: 200, Frequency: 2, Monetary: 1000},
		{CustomerID: "c5", Recency: 400, Frequency: 1, Monetary: 500},
	}
	out := grading.ComputeRFM(in)
	var got []string
	for _, s := range out {
		got = append(got, fmt.Sprintf("%s R%dF%dM%d %s", s.CustomerID, s.R, s.F, s.M, s.Segment))
	}
	assert.Equal(t, []string{
		"c1 R5F5M5 champions", "c2 R4F4M3 loyal", "c3 R3F3M4 need_attention", "c4 R2F2M2 hibernating", "c5 R1F1M1 hibernating",
	}, got)

	for _, c := range []struct {
		r, f int
		want grading.Segment
	}{{5, 1, grading.NewCustomers}, {1, 5, grading.CantLose}, {2, 3, grading.AtRisk}, {4, 1, grading.Promising},
		{4, 3, grading.PotentialLoyalists}, {3, 1, grading.AboutToSleep}, {3, 5, grading.Loyal}} {
		assert.Equal(t, c.want, grading.SegmentOf(c.r, c.f), "R%d F%d", c.r, c.f)
	}
}

// TestPareto: ten customers with revenues 40, 20, 15, 10, 5, 4, 3, 2, 1, 0
// (total 100): the top 20% (2 customers) bring 60%; 4 customers (40%)
// make up 80%.
func TestPareto(t *testing.T) {
	var revs []grading.Revenue
	for i, x := range []int64{3, 40, 0, 15, 2, 20, 1, 10, 5, 4} {
		revs = append(revs, grading.Revenue{CustomerID: crm.CustomerID(fmt.Sprintf("c%d", i)), Amount: decimalOf(x)})
	}
	rep := grading.ComputePareto(revs, 0.2, 0.8, 3)
	assert.Equal(t, 10, rep.Customers)
	assert.Equal(t, "100", rep.Total)
	assert.Equal(t, 2, rep.TopCustomers)
	assert.Equal(t, 0.6, rep.TopRevenueShare)
	assert.Equal(t, 4, rep.CoreCustomers)
	assert.Equal(t, 0.4, rep.CoreShare)
	require.Len(t, rep.Core, 3, "the core list is limited")
	assert.Equal(t, crm.CustomerID("c1"), rep.Core[0].CustomerID)
	assert.Equal(t, "40", rep.Core[0].Revenue)
}
