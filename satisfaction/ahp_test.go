package satisfaction_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tol3 = 0.0005 // "to 3 decimals": within half a unit of the third decimal

func assertWeights(t *testing.T, want []float64, got []float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		assert.InDelta(t, want[i], got[i], tol3, "%s: weight %d", msg, i)
	}
}

// Saaty, T. L. (1990), "How to make a decision: The analytic hierarchy
// process", European Journal of Operational Research 48, 9–26, the choice
// of a house: eight criteria, λmax = 9.669, CI = 0.238, CR = 0.169 (RI
// 1.41) and the priority vector below. The CR is above 0.10, so the
// default configuration rejects the matrix.
func TestWeighSaatyHouse(t *testing.T) {
	m := satisfaction.Matrix{
		{1, 5, 3, 7, 6, 6, 1.0 / 3, 1.0 / 4},
		{1.0 / 5, 1, 1.0 / 3, 5, 3, 3, 1.0 / 5, 1.0 / 7},
		{1.0 / 3, 3, 1, 6, 3, 4, 6, 1.0 / 5},
		{1.0 / 7, 1.0 / 5, 1.0 / 6, 1, 1.0 / 3, 1.0 / 4, 1.0 / 7, 1.0 / 8},
		{1.0 / 6, 1.0 / 3, 1.0 / 3, 3, 1, 1.0 / 2, 1.0 / 5, 1.0 / 6},
		{1.0 / 6, 1.0 / 3, 1.0 / 4, 4, 2, 1, 1.0 / 5, 1.0 / 6},
		{3, 5, 1.0 / 6, 7, 5, 5, 1, 1.0 / 2},
		{4, 7, 5, 8, 6, 6, 2, 1},
	}
	labels := []string{"size", "transportation", "neighborhood", "age", "yard", "facilities", "condition", "financing"}
	r, err := satisfaction.Config{Threshold: satisfaction.NoThreshold}.Weigh(m, labels...)
	require.NoError(t, err)
	assertWeights(t, []float64{0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333}, r.Weights, "Saaty 1990 house")
	assert.InDelta(t, 9.669, r.LambdaMax, tol3)
	assert.InDelta(t, 0.238, r.CI, tol3)
	assert.InDelta(t, 1.41, r.RI, 1e-9)
	assert.InDelta(t, 0.169, r.CR, tol3)

	_, err = satisfaction.Weigh(m, labels...)
	require.ErrorIs(t, err, satisfaction.ErrInconsistent, "CR 0.169 ≥ 0.10 is rejected by default")
	require.ErrorIs(t, err, dealercrm.ErrInvalid)
	assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err))
	var ie *satisfaction.InconsistentError
	require.True(t, errors.As(err, &ie))
	assert.Equal(t, [2]int{2, 6}, [2]int{ie.Row, ie.Col}, "neighborhood vs condition (6) is the judgment to revise")
	assert.Equal(t, "neighborhood", ie.RowLabel)
	assert.Equal(t, 6.0, ie.Current)
	assert.Less(t, ie.CRAfter, 0.10, "the suggested value fixes the matrix")
	fixed := m.Clone()
	fixed[2][6], fixed[6][2] = ie.Suggested, 1/ie.Suggested
	r2, err := satisfaction.Weigh(fixed, labels...)
	require.NoError(t, err, "applying the suggestion gives a consistent matrix")
	assert.InDelta(t, ie.CRAfter, r2.CR, 1e-6)
	assert.Contains(t, err2s(satisfaction.Weigh(m, labels...)), "revise judgment [2][6] (neighborhood vs condition) from 6 to")
}

func err2s(_ satisfaction.Result, err error) string { return err.Error() }

// Saaty, T. L. (2008), "Decision making with the analytic hierarchy
// process", Int. J. Services Sciences 1(1), 83–98, relative consumption of
// drinks in the United States, as reproduced in the README of AHPy
// (github.com/PhilipGriffith/AHPy, "Relative consumption of drinks"):
// weights 0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327 and CR 0.022
// with Saaty's 2005 random index.
func TestWeighSaatyDrinks(t *testing.T) {
	m := satisfaction.MatrixFromUpper(7,
		9, 5, 2, 1, 1, 1.0/2,
		1.0/3, 1.0/9, 1.0/9, 1.0/9, 1.0/9,
		1.0/3, 1.0/4, 1.0/3, 1.0/9,
		1.0/2, 1, 1.0/3,
		2, 1.0/2,
		1.0/3)
	r, err := satisfaction.Config{RandomIndex: satisfaction.RISaaty2005}.Weigh(m, "coffee", "wine", "tea", "beer", "soda", "milk", "water")
	require.NoError(t, err)
	assertWeights(t, []float64{0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327}, r.Weights, "drinks")
	assert.InDelta(t, 0.022, r.CR, tol3)
	assert.InDelta(t, r.CI, (r.LambdaMax-7)/6, 1e-12)
}

// The leader example of AHPy's README ("Choosing a leader", after the
// Wikipedia AHP leader example), Saaty 2005 random index.
func TestWeighAHPyLeader(t *testing.T) {
	cfg := satisfaction.Config{RandomIndex: satisfaction.RISaaty2005}
	crit, err := cfg.Weigh(satisfaction.MatrixFromUpper(4, 4, 3, 7, 1.0/3, 3, 5), "experience", "education", "charisma", "age")
	require.NoError(t, err)
	assertWeights(t, []float64{0.548, 0.127, 0.270, 0.056}, crit.Weights, "criteria")
	assert.InDelta(t, 0.044, crit.CR, tol3)

	alts := map[string][]float64{ // Moll, Nell, Sue
		"experience": {1.0 / 4, 4, 9}, "education": {3, 1.0 / 5, 1.0 / 7},
		"charisma": {5, 9, 4}, "age": {1.0 / 3, 5, 9},
	}
	local := map[string]satisfaction.Result{}
	for k, v := range alts {
		r, err := cfg.Weigh(satisfaction.MatrixFromUpper(3, v...))
		require.NoError(t, err, k)
		local[k] = r
	}
	assertWeights(t, []float64{0.217, 0.717, 0.066}, local["experience"].Weights, "experience")
	assert.InDelta(t, 0.035, local["experience"].CR, tol3)
	assert.InDelta(t, 0.062, local["education"].CR, tol3)
	target := make([]float64, 3)
	for i, k := range []string{"experience", "education", "charisma", "age"} {
		for a := range 3 {
			target[a] += crit.Weights[i] * local[k].Weights[a]
		}
	}
	// AHPy rounds every weight to 3 decimals before composing, so its
	// synthesis is matched to within one unit of the third decimal.
	for i, want := range []float64{0.358, 0.493, 0.150} {
		assert.InDelta(t, want, target[i], 0.001, "synthesised weight %d (Moll, Nell, Sue)", i)
	}
}

// The vehicle example of AHPy's README ("Purchasing a vehicle"), with
// Donegan and Dodd's random index (AHPy's default): criteria weights and
// CR 0.08, the Cost sub-criteria (CR 0.016) and their global weights, and
// Capacity's Cargo (global 0.0358) — a three-level hierarchy.
func TestWeighAHPyVehicleHierarchy(t *testing.T) {
	root := satisfaction.Node{ID: "criteria", Comparisons: satisfaction.MatrixFromUpper(4, 3, 7, 3, 9, 1, 1.0/7),
		Children: []satisfaction.Node{
			{ID: "cost", Comparisons: satisfaction.MatrixFromUpper(4, 2, 5, 3, 2, 2, 1.0/2),
				Children: []satisfaction.Node{{ID: "price"}, {ID: "fuel"}, {ID: "maintenance"}, {ID: "resale"}}},
			{ID: "safety"}, {ID: "style"},
			{ID: "capacity", Comparisons: satisfaction.MatrixFromUpper(2, 1.0/5), Children: []satisfaction.Node{{ID: "cargo"}, {ID: "passenger"}}},
		}}
	w, err := satisfaction.Config{RandomIndex: satisfaction.RIDoneganDodd}.WeighHierarchy(root)
	require.NoError(t, err)
	get := func(id string) satisfaction.NodeWeight {
		n, ok := w.Node(id)
		require.True(t, ok, id)
		return n
	}
	for id, want := range map[string]float64{"cost": 0.510, "safety": 0.234, "style": 0.041, "capacity": 0.215} {
		assert.InDelta(t, want, get(id).Global, tol3, id)
	}
	assert.InDelta(t, 0.08, get("criteria").Consistency.CR, tol3)
	assert.InDelta(t, 0.016, get("cost").Consistency.CR, tol3)
	for id, want := range map[string][2]float64{"price": {0.488, 0.249}, "fuel": {0.252, 0.129}, "resale": {0.161, 0.082}, "maintenance": {0.100, 0.051}} {
		assert.InDelta(t, want[0], get(id).Local, tol3, id+" local")
		// AHPy composes weights already rounded to 3 decimals.
		assert.InDelta(t, want[1], round3(get("cost").Global)*round3(get(id).Local), tol3, id+" global as AHPy composes it")
		assert.InDelta(t, want[1], get(id).Global, 0.001, id+" global")
	}
	assert.InDelta(t, 0.0358, get("cargo").Global, 0.00005)
	sum := 0.0
	for _, ind := range w.Indicators {
		sum += ind.Global
	}
	assert.InDelta(t, 1, sum, 1e-9, "indicator global weights sum to 1")
	assert.Equal(t, "price", w.Indicators[0].ID, "ranked: price (0.249) first")
	assert.Equal(t, 1, w.Indicators[0].Rank)
	assert.Equal(t, "capacity", get("passenger").Criterion)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// AHPy README, Compare: the complete matrix gives b 0.3917, a 0.3742,
// d 0.1349, c 0.0991, CR 0.0372 (Donegan–Dodd); with (c, d) skipped AHPy's
// optimal completion (Bozóki et al. 2010) gives b 0.392, a 0.3738,
// d 0.1357, c 0.0985, CR 0.0372. Harker's method agrees to 3 decimals.
func TestWeighIncompleteHarker(t *testing.T) {
	cfg := satisfaction.Config{RandomIndex: satisfaction.RIDoneganDodd}
	full, err := cfg.Weigh(satisfaction.MatrixFromUpper(4, 1, 5, 2, 3, 4, 3.0/4))
	require.NoError(t, err)
	assertWeights(t, []float64{0.3742, 0.3917, 0.0991, 0.1349}, full.Weights, "complete")
	assert.InDelta(t, 0.0372, full.CR, 0.00005)
	assert.False(t, full.Incomplete)

	part, err := cfg.Weigh(satisfaction.MatrixFromUpper(4, 1, 5, 2, 3, 4, 0))
	require.NoError(t, err)
	assert.True(t, part.Incomplete, "the result says the matrix was completed")
	require.Len(t, part.Filled, 1)
	assert.Equal(t, [2]int{2, 3}, [2]int{part.Filled[0].Row, part.Filled[0].Col})
	assertWeights(t, []float64{0.3738, 0.392, 0.0985, 0.1357}, part.Weights, "Harker vs AHPy's optimal completion")
	assert.InDelta(t, 0.0372, part.CR, tol3)
	assert.InDelta(t, part.Weights[2]/part.Weights[3], part.Filled[0].Value, 1e-9, "filled with w[i]/w[j]")

	_, err = satisfaction.Config{Complete: true}.Weigh(satisfaction.MatrixFromUpper(4, 1, 5, 2, 3, 4, 0))
	var me *satisfaction.MatrixError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, satisfaction.RuleMissing, me.Rule)

	_, err = satisfaction.Weigh(satisfaction.MatrixFromUpper(4, 2, 0, 0, 0, 0, 3))
	require.ErrorAs(t, err, &me, "{0,1} and {2,3} are never linked")
	assert.Equal(t, satisfaction.RuleConnected, me.Rule)
}

func TestWeighValidationNamesTheCell(t *testing.T) {
	cases := []struct {
		name     string
		m        satisfaction.Matrix
		rule     string
		row, col int
	}{
		{"empty", satisfaction.Matrix{}, satisfaction.RuleSize, -1, -1},
		{"too big", satisfaction.MatrixFromWeights(make16()), satisfaction.RuleSize, -1, -1},
		{"not square", satisfaction.Matrix{{1, 2}, {0.5}}, satisfaction.RuleSize, 1, -1},
		{"negative", satisfaction.Matrix{{1, -2}, {0.5, 1}}, satisfaction.RulePositive, 0, 1},
		{"diagonal", satisfaction.Matrix{{1, 2}, {0.5, 2}}, satisfaction.RuleDiagonal, 1, 1},
		{"scale", satisfaction.Matrix{{1, 12}, {1.0 / 12, 1}}, satisfaction.RuleScale, 0, 1},
		{"reciprocal", satisfaction.Matrix{{1, 3, 1}, {0.5, 1, 1}, {1, 1, 1}}, satisfaction.RuleReciprocal, 1, 0},
		{"NaN", satisfaction.Matrix{{1, math.NaN()}, {1, 1}}, satisfaction.RulePositive, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := satisfaction.Weigh(c.m)
			var me *satisfaction.MatrixError
			require.ErrorAs(t, err, &me)
			assert.ErrorIs(t, err, dealercrm.ErrInvalid)
			assert.Equal(t, c.rule, me.Rule, err.Error())
			assert.Equal(t, [2]int{c.row, c.col}, [2]int{me.Row, me.Col}, err.Error())
		})
	}
	r, err := satisfaction.Weigh(satisfaction.Matrix{{1, 0.33}, {3, 1}})
	require.NoError(t, err, "0.33 passes as 1/3 within the tolerance")
	assert.Zero(t, r.CR, "n = 2 is always consistent")
	r, err = satisfaction.Weigh(satisfaction.Matrix{{0}})
	require.NoError(t, err)
	assert.Equal(t, []float64{1}, r.Weights, "n = 1")
	_, err = satisfaction.Config{AnyScale: true}.Weigh(satisfaction.Matrix{{1, 12}, {1.0 / 12, 1}})
	assert.NoError(t, err, "AnyScale accepts measured ratios")
	_, err = satisfaction.Config{MaxIterations: 1}.Weigh(satisfaction.MatrixFromUpper(3, 2, 5, 3))
	assert.ErrorIs(t, err, satisfaction.ErrNotConverged, "the iteration cap reports non-convergence")
}

func make16() []float64 {
	w := make([]float64, 16)
	for i := range w {
		w[i] = 1
	}
	return w
}

func TestMatrixJSON(t *testing.T) {
	var m satisfaction.Matrix
	require.NoError(t, json.Unmarshal([]byte(`[[1, "3", "1/5"], ["1/3", 1, null], [5, null, "1"]]`), &m))
	assert.Equal(t, satisfaction.Matrix{{1, 3, 0.2}, {1.0 / 3, 1, 0}, {5, 0, 1}}, m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, `[[1,3,"1/5"],["1/3",1,null],[5,null,1]]`, string(b))
	for _, bad := range []string{`[[1, "x"]]`, `[[1, 0]]`, `[[1, "-2"]]`, `[[1, true]]`, `[1]`, `{}`, `[[1, "1/0"]]`} {
		err := json.Unmarshal([]byte(bad), &m)
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, bad)
	}
	var me *satisfaction.MatrixError
	require.ErrorAs(t, json.Unmarshal([]byte(`[[1, "x"], [1, 1]]`), &m), &me)
	assert.Equal(t, [2]int{0, 1}, [2]int{me.Row, me.Col}, "the error names the cell")
}

// Property: a perfectly consistent matrix built from random weights gives
// those weights back with CR ≈ 0, by both methods.
func TestPropertyConsistentMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		n := 1 + rng.IntN(satisfaction.MaxSize)
		w := make([]float64, n)
		sum := 0.0
		for i := range w {
			w[i] = 0.2 + rng.Float64()
			sum += w[i]
		}
		for i := range w {
			w[i] /= sum
		}
		for _, method := range satisfaction.Methods() {
			r, err := satisfaction.Config{Method: method}.Weigh(satisfaction.MatrixFromWeights(w))
			require.NoError(t, err)
			for i := range w {
				require.InDelta(t, w[i], r.Weights[i], 1e-9, "n=%d %s", n, method)
			}
			require.InDelta(t, 0, r.CR, 1e-9)
			require.InDelta(t, float64(n), r.LambdaMax, 1e-9)
		}
	}
}

// Property: for n ≤ 3 the eigenvector and the geometric mean agree (they
// coincide for every 3×3 reciprocal matrix), and permuting the criteria
// permutes the weights.
func TestPropertyMethodsAgreeAndPermutation(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	scale := []float64{1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1, 2, 3, 5, 7, 9}
	random := func(n int) satisfaction.Matrix {
		m := make(satisfaction.Matrix, n)
		for i := range m {
			m[i] = make([]float64, n)
			m[i][i] = 1
		}
		for i := range n {
			for j := i + 1; j < n; j++ {
				v := scale[rng.IntN(len(scale))]
				m[i][j], m[j][i] = v, 1/v
			}
		}
		return m
	}
	off := satisfaction.Config{Threshold: satisfaction.NoThreshold}
	for range 300 {
		n := 1 + rng.IntN(3)
		m := random(n)
		ev, err := off.Weigh(m)
		require.NoError(t, err)
		gm, err := satisfaction.Config{Method: satisfaction.GeometricMean, Threshold: satisfaction.NoThreshold}.Weigh(m)
		require.NoError(t, err)
		for i := range n {
			require.InDelta(t, ev.Weights[i], gm.Weights[i], 1e-9, "n=%d", n)
		}
	}
	for range 200 {
		n := 2 + rng.IntN(9)
		m := random(n)
		perm := rng.Perm(n)
		pm := make(satisfaction.Matrix, n)
		for i := range n {
			pm[i] = make([]float64, n)
			for j := range n {
				pm[i][j] = m[perm[i]][perm[j]]
			}
		}
		a, err := off.Weigh(m)
		require.NoError(t, err)
		b, err := off.Weigh(pm)
		require.NoError(t, err)
		for i := range n {
			require.InDelta(t, a.Weights[perm[i]], b.Weights[i], 1e-9)
		}
		require.InDelta(t, a.CR, b.CR, 1e-9)
	}
}

func TestAggregateGroupJudgments(t *testing.T) {
	// Two experts: 2 and 8 aggregate to their geometric mean 4; a skipped
	// comparison is left out of the mean.
	g, err := satisfaction.Aggregate([]satisfaction.Matrix{{{1, 2}, {0.5, 1}}, {{1, 8}, {0, 1}}}, nil)
	require.NoError(t, err)
	assert.InDelta(t, 4, g[0][1], 1e-12)
	assert.InDelta(t, 0.25, g[1][0], 1e-12)
	g, err = satisfaction.Aggregate([]satisfaction.Matrix{{{1, 2}, {0.5, 1}}, {{1, 8}, {0.125, 1}}}, []float64{3, 1})
	require.NoError(t, err)
	assert.InDelta(t, math.Pow(2, 0.75)*math.Pow(8, 0.25), g[0][1], 1e-12, "weighted geometric mean")
	_, err = satisfaction.Aggregate([]satisfaction.Matrix{{{1}}, {{1, 2}, {0.5, 1}}}, nil)
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
}

func TestHierarchyErrorsNameTheNode(t *testing.T) {
	root := satisfaction.Node{ID: "goal", Weights: []float64{1, 1}, Children: []satisfaction.Node{
		{ID: "a", Comparisons: satisfaction.MatrixFromUpper(3, 9, 1.0/9, 9), Children: []satisfaction.Node{{ID: "x"}, {ID: "y"}, {ID: "z"}}},
		{ID: "b"},
	}}
	_, err := satisfaction.WeighHierarchy(root)
	var ie *satisfaction.InconsistentError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "a", ie.Node)
	root.Children[0].Comparisons = satisfaction.MatrixFromUpper(3, 1, 1, 1)
	root.Children[1].ID = "x"
	_, err = satisfaction.WeighHierarchy(root)
	var me *satisfaction.MatrixError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, satisfaction.RuleDuplicateID, me.Rule)
	w, err := satisfaction.WeighHierarchy(satisfaction.DefaultHierarchy().Root)
	require.NoError(t, err, "the default hierarchy weighs")
	n, _ := w.Node("service.quality")
	assert.InDelta(t, 0.45*24.0/101, n.Global, 1e-9, "J.D. Power CSI 2014: service quality 24% of after-sales")
}

// Issue 12 #13: every error of the engine names the field at fault as a
// JSON path and is a *crm.ValidationError to errors.As, while the typed
// errors stay available.
func TestErrorsNameTheirField(t *testing.T) {
	inconsistent := satisfaction.MatrixFromUpper(3, 9, 1.0/9, 9)
	weigh := func(m satisfaction.Matrix) error { _, err := satisfaction.Weigh(m); return err }
	hierarchy := func(root satisfaction.Node) error { _, err := satisfaction.WeighHierarchy(root); return err }
	leaf := func(id string) satisfaction.Node { return satisfaction.Node{ID: id} }
	for _, c := range []struct {
		name        string
		err         error
		field, rule string
	}{
		{"cell", weigh(satisfaction.Matrix{{1, 12}, {1.0 / 12, 1}}), "matrix[0][1]", satisfaction.RuleScale},
		{"row", weigh(satisfaction.Matrix{{1, 2}, {0.5}}), "matrix[1]", satisfaction.RuleSize},
		{"inconsistent", weigh(inconsistent), "matrix[0][1]", satisfaction.RuleConsistency},
		{"labels", func() error { _, err := satisfaction.Weigh(inconsistent, "a"); return err }(), "labels", satisfaction.RuleSize},
		{"config", func() error { _, err := satisfaction.Config{Threshold: -1}.Weigh(inconsistent); return err }(), "config.threshold", satisfaction.RuleRange},
		{"not converged", func() error {
			_, err := satisfaction.Config{MaxIterations: 1}.Weigh(satisfaction.MatrixFromUpper(3, 2, 5, 3))
			return err
		}(), "config.max_iterations", satisfaction.RuleConverged},
		{"expert cell", func() error {
			_, err := satisfaction.Config{}.WeighExperts([]satisfaction.Matrix{{{1, 2}, {0.5, 1}}, {{1, -2}, {0.5, 1}}}, nil)
			return err
		}(), "experts[1][0][1]", satisfaction.RulePositive},
		{"experts inconsistent", func() error {
			_, err := satisfaction.Config{}.WeighExperts([]satisfaction.Matrix{inconsistent, inconsistent}, nil)
			return err
		}(), "experts", satisfaction.RuleConsistency},
		{"node matrix", hierarchy(satisfaction.Node{ID: "goal", Weights: []float64{1, 1}, Children: []satisfaction.Node{
			leaf("a"), {ID: "b", Comparisons: inconsistent, Children: []satisfaction.Node{leaf("x"), leaf("y"), leaf("z")}}}}),
			"root.children[1].comparisons[0][1]", satisfaction.RuleConsistency},
		{"node experts", hierarchy(satisfaction.Node{ID: "goal", Experts: []satisfaction.Matrix{{{1, 2}, {0.5, 1}}, {{1}}},
			Children: []satisfaction.Node{leaf("a"), leaf("b")}}), "root.experts[1]", satisfaction.RuleExperts},
		{"node weight", hierarchy(satisfaction.Node{ID: "goal", Weights: []float64{1, 0}, Children: []satisfaction.Node{leaf("a"), leaf("b")}}),
			"root.weights[1]", satisfaction.RulePositive},
		{"node id", hierarchy(satisfaction.Node{ID: "goal", Weights: []float64{1, 1}, Children: []satisfaction.Node{leaf("a"), leaf("")}}),
			"root.children[1].id", satisfaction.RuleRequired},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.ErrorIs(t, c.err, dealercrm.ErrInvalid)
			var ve *crm.ValidationError
			require.ErrorAs(t, c.err, &ve, "a validation error: %v", c.err)
			require.Len(t, ve.Fields, 1)
			assert.Equal(t, crm.FieldError{Field: c.field, Rule: c.rule, Message: ve.Fields[0].Message}, ve.Fields[0], "%v", c.err)
			assert.NotEmpty(t, ve.Fields[0].Message)
			var me *satisfaction.MatrixError
			var ie *satisfaction.InconsistentError
			assert.True(t, errors.As(c.err, &me) || errors.As(c.err, &ie), "the typed error is still there")
		})
	}
	_, err := satisfaction.Weigh(inconsistent, "A", "B", "C")
	var ie *satisfaction.InconsistentError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, ie.FieldError().Message, "revise judgment [0][1] (A vs B) from 9 to", "the message says which judgment to revise")
}

func FuzzMatrixJSON(f *testing.F) {
	for _, s := range []string{`[[1,3],["1/3",1]]`, `[[1,null,2],[null,1,3],["1/2","1/3",1]]`, `[[1,"9"],[1,1]]`, `[]`, `[[0]]`, `[[1,1e308],[1e-308,1]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m satisfaction.Matrix
		if err := json.Unmarshal(b, &m); err != nil {
			return
		}
		for _, cfg := range []satisfaction.Config{{}, {Method: satisfaction.GeometricMean, RandomIndex: satisfaction.RIDoneganDodd}} {
			r, err := cfg.Weigh(m)
			if err != nil {
				if dealercrm.ErrorCode(err) != dealercrm.Invalid {
					t.Fatalf("error without code Invalid: %v", err)
				}
				continue
			}
			sum := 0.0
			for _, w := range r.Weights {
				if !(w > 0) {
					t.Fatalf("non-positive weight %v for %s", w, b)
				}
				sum += w
			}
			if math.Abs(sum-1) > 1e-6 || math.IsNaN(r.CR) {
				t.Fatalf("weights sum %v, CR %v", sum, r.CR)
			}
		}
	})
}

func BenchmarkWeigh10(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	w := make([]float64, 10)
	for i := range w {
		w[i] = 0.5 + rng.Float64()
	}
	m := satisfaction.MatrixFromWeights(w)
	for i := range 10 {
		for j := i + 1; j < 10; j++ {
			m[i][j] *= 1 + 0.2*(rng.Float64()-0.5)
			m[j][i] = 1 / m[i][j]
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := satisfaction.Weigh(m); err != nil {
			b.Fatal(err)
		}
	}
}

func TestConfigBoundsIterations(t *testing.T) {
	// Untrusted input (the HTTP API) must not be able to ask for billions of
	// power-iteration steps.
	err := satisfaction.Config{MaxIterations: satisfaction.MaxIterationsLimit + 1}.Validate()
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
	assert.NoError(t, satisfaction.Config{MaxIterations: satisfaction.MaxIterationsLimit}.Validate())
}
