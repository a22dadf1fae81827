package satisfaction

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Limits and defaults of the AHP engine.
const (
	// MaxSize is the largest matrix the engine accepts: people cannot make
	// more than about fifteen comparisons per criterion consistently, and
	// the random index tables end there.
	MaxSize = 15
	// DefaultThreshold is the consistency ratio from which a matrix is
	// rejected (Saaty's 10% rule).
	DefaultThreshold = 0.10
	// DefaultReciprocalTolerance is how far a[i][j]·a[j][i] may be from 1
	// (relative), so that "0.33" passes as the reciprocal of 3.
	DefaultReciprocalTolerance = 0.02
	// DefaultEpsilon is the convergence bound of power iteration: it stops
	// when no weight moves by more than this between two steps.
	DefaultEpsilon = 1e-12
	// DefaultMaxIterations caps power iteration.
	DefaultMaxIterations = 1000
	// MaxIterationsLimit is the largest MaxIterations a Config may ask for:
	// power iteration on a 15×15 matrix converges in far fewer steps, and
	// a larger cap only lets untrusted input burn CPU.
	MaxIterationsLimit = 10000
)

// NoThreshold disables the consistency check when set as Config.Threshold.
const NoThreshold = math.MaxFloat64

// Method is how a priority vector is derived from a comparison matrix.
type Method string

// The priority methods.
const (
	// Eigenvector is Saaty's principal right eigenvector, found by power
	// iteration (the default).
	Eigenvector Method = "eigenvector"
	// GeometricMean is the normalised geometric mean of each row
	// (Crawford and Williams' logarithmic least squares).
	GeometricMean Method = "geometric_mean"
)

// Methods returns the priority methods, the default first.
func Methods() []Method { return []Method{Eigenvector, GeometricMean} }

// Valid reports whether m is a known method.
func (m Method) Valid() bool { return m == Eigenvector || m == GeometricMean }

// Config sets how matrices are weighed. The zero Config is the default:
// eigenvector method, RISaaty, threshold 0.10, incomplete matrices allowed.
type Config struct {
	// Method derives the weights; "" is Eigenvector. The consistency
	// ratio always uses the principal eigenvalue.
	Method Method `json:"method,omitempty"`
	// RandomIndex is the RI table; "" is RISaaty.
	RandomIndex RandomIndex `json:"random_index,omitempty"`
	// Threshold is the consistency ratio from which a matrix is rejected
	// with an *InconsistentError; 0 is DefaultThreshold and NoThreshold
	// turns the check off.
	Threshold float64 `json:"threshold,omitempty"`
	// ReciprocalTolerance is the relative tolerance of a[i][j]·a[j][i] = 1
	// and of a unit diagonal; 0 is DefaultReciprocalTolerance.
	ReciprocalTolerance float64 `json:"reciprocal_tolerance,omitempty"`
	// Epsilon and MaxIterations bound power iteration; 0 means
	// DefaultEpsilon and DefaultMaxIterations.
	Epsilon       float64 `json:"epsilon,omitempty"`
	MaxIterations int     `json:"max_iterations,omitempty"`
	// AnyScale accepts judgments outside Saaty's 1/9..9 (ratios of
	// measured values, say).
	AnyScale bool `json:"any_scale,omitempty"`
	// Complete rejects incomplete matrices (skipped comparisons) instead
	// of completing them by Harker's method.
	Complete bool `json:"complete,omitempty"`
}

func (c Config) withDefaults() Config {
	if c.Method == "" {
		c.Method = Eigenvector
	}
	if c.RandomIndex == "" {
		c.RandomIndex = RISaaty
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.ReciprocalTolerance == 0 {
		c.ReciprocalTolerance = DefaultReciprocalTolerance
	}
	if c.Epsilon == 0 {
		c.Epsilon = DefaultEpsilon
	}
	if c.MaxIterations == 0 {
		c.MaxIterations = DefaultMaxIterations
	}
	return c
}

// Validate checks the settings themselves.
func (c Config) Validate() error {
	switch {
	case c.Method != "" && !c.Method.Valid():
		return invalid("config.method", RuleEnum, "method %q is not eigenvector or geometric_mean", c.Method)
	case c.RandomIndex != "" && !c.RandomIndex.Valid():
		return invalid("config.random_index", RuleEnum, "random index %q is not one of saaty, saaty2005, alonso_lamata, donegan_dodd", c.RandomIndex)
	case c.Threshold < 0 || math.IsNaN(c.Threshold):
		return invalid("config.threshold", RuleRange, "threshold %v must be positive", c.Threshold)
	case c.ReciprocalTolerance < 0 || c.ReciprocalTolerance >= 1 || math.IsNaN(c.ReciprocalTolerance):
		return invalid("config.reciprocal_tolerance", RuleRange, "reciprocal tolerance %v must be in [0, 1)", c.ReciprocalTolerance)
	case c.Epsilon < 0 || math.IsNaN(c.Epsilon):
		return invalid("config.epsilon", RuleRange, "epsilon %v must not be negative", c.Epsilon)
	case c.MaxIterations < 0:
		return invalid("config.max_iterations", RuleRange, "max iterations %d must not be negative", c.MaxIterations)
	case c.MaxIterations > MaxIterationsLimit:
		return invalid("config.max_iterations", RuleRange, "max iterations %d is above the limit of %d", c.MaxIterations, MaxIterationsLimit)
	}
	return nil
}

// Cell is one cell of a matrix and its value.
type Cell struct {
	Row   int     `json:"row"`
	Col   int     `json:"col"`
	Value float64 `json:"value"`
}

// Result is the outcome of weighing one comparison matrix.
type Result struct {
	// Labels are the criteria, when given.
	Labels []string `json:"labels,omitempty"`
	// Weights is the priority vector: positive, summing to 1, in the order
	// of the matrix's rows.
	Weights []float64 `json:"weights"`
	// Method derived the weights.
	Method Method `json:"method"`
	// LambdaMax is the principal eigenvalue λmax (n for a consistent matrix).
	LambdaMax float64 `json:"lambda_max"`
	// CI = (λmax − n)/(n − 1), 0 for n ≤ 2.
	CI float64 `json:"ci"`
	// RI is the random index of the table RandomIndex for n.
	RI          float64     `json:"ri"`
	RandomIndex RandomIndex `json:"random_index"`
	// CR = CI/RI, 0 for n ≤ 2.
	CR float64 `json:"cr"`
	// Threshold is the limit CR was checked against (NoThreshold when off).
	Threshold float64 `json:"threshold"`
	// Consistent reports CR < Threshold.
	Consistent bool `json:"consistent"`
	// Iterations is the number of power-iteration steps.
	Iterations int `json:"iterations"`
	// Incomplete reports that comparisons were skipped and the matrix was
	// completed by Harker's method; Filled lists the values put in the
	// skipped cells above the diagonal (w[i]/w[j]).
	Incomplete bool   `json:"incomplete"`
	Filled     []Cell `json:"filled,omitempty"`
}

// Weigh weighs m with the default Config.
func Weigh(m Matrix, labels ...string) (Result, error) { return Config{}.Weigh(m, labels...) }

// Weigh validates m, completes it by Harker's method when comparisons were
// skipped (unless c.Complete), and returns its priority vector, λmax, CI and
// CR. labels, when given, name the criteria in errors and the result.
//
// Errors: a *MatrixError naming the cell and rule for a malformed matrix
// (size, positive, scale, diagonal, reciprocal, missing, connected); an
// *InconsistentError (errors.Is ErrInconsistent) when CR ≥ c.Threshold,
// naming the judgment to revise; ErrNotConverged when power iteration hits
// its cap. All have code dealercrm.Invalid.
func (c Config) Weigh(m Matrix, labels ...string) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	c = c.withDefaults()
	n := len(m)
	if len(labels) > 0 && len(labels) != n {
		return Result{}, invalid("labels", RuleSize, "%d labels for a %d×%d matrix", len(labels), n, n)
	}
	a, missing, err := c.prepare(m, labels)
	if err != nil {
		return Result{}, err
	}
	res := Result{Labels: slices.Clone(labels), Method: c.Method, RandomIndex: c.RandomIndex, Threshold: c.Threshold}
	if len(missing) > 0 {
		res.Incomplete = true
		if err := harker(a, n, missing, c, &res); err != nil {
			return Result{}, err
		}
	}
	w := make([]float64, n)
	lambda, iters, ok := principal(a, n, w, c.Epsilon, c.MaxIterations)
	res.Iterations = iters
	if !ok {
		return Result{}, notConverged(c.MaxIterations)
	}
	if c.Method == GeometricMean {
		geometricMean(a, n, w)
	}
	res.Weights = w
	res.LambdaMax = lambda
	res.CI, res.RI, res.CR = consistency(lambda, n, c.RandomIndex)
	res.Consistent = res.CR < c.Threshold
	if !res.Consistent {
		return res, c.inconsistency(a, n, missing, labels, res)
	}
	return res, nil
}

// prepare validates m and returns it as a flat n×n slice with reciprocals
// filled in, and the skipped pairs (i < j, encoded i*n+j).
func (c Config) prepare(m Matrix, labels []string) ([]float64, []int, error) {
	n := len(m)
	if n < 1 || n > MaxSize {
		return nil, nil, invalid("matrix", RuleSize, "a comparison matrix has 1 to %d rows, got %d", MaxSize, n)
	}
	for i, row := range m {
		if len(row) != n {
			return nil, nil, &MatrixError{Field: "matrix" + cellPath(i, -1), Row: i, Col: -1, Rule: RuleSize, Message: fmt.Sprintf("the matrix is not square: row has %d cells, want %d", len(row), n)}
		}
	}
	lo, hi := 1/9.0*(1-1e-9), 9*(1+1e-9)
	tol := c.ReciprocalTolerance
	a := make([]float64, n*n)
	for i := range n {
		for j := range n {
			v := m[i][j]
			switch {
			case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
				return nil, nil, cellErr(i, j, labels, RulePositive, "judgment %v must be a positive number", v)
			case i == j && v != 0 && math.Abs(v-1) > tol:
				return nil, nil, cellErr(i, j, labels, RuleDiagonal, "a criterion compared with itself is 1, got %s", FormatJudgment(v))
			case i != j && v != 0 && !c.AnyScale && (v < lo || v > hi):
				return nil, nil, cellErr(i, j, labels, RuleScale, "judgment %s is outside Saaty's scale 1/9..9", FormatJudgment(v))
			}
			a[i*n+j] = v
		}
		a[i*n+i] = 1
	}
	var missing []int
	for i := range n {
		for j := i + 1; j < n; j++ {
			x, y := a[i*n+j], a[j*n+i]
			switch {
			case x == 0 && y == 0:
				missing = append(missing, i*n+j)
			case x == 0:
				a[i*n+j] = 1 / y
			case y == 0:
				a[j*n+i] = 1 / x
			case math.Abs(x*y-1) > tol:
				return nil, nil, cellErr(j, i, labels, RuleReciprocal, "judgment %s is not the reciprocal of [%d][%d] = %s", FormatJudgment(y), i, j, FormatJudgment(x))
			}
		}
	}
	if len(missing) > 0 {
		if c.Complete {
			p := missing[0]
			return nil, nil, cellErr(p/n, p%n, labels, RuleMissing, "the comparison is missing and the configuration wants complete matrices")
		}
		if err := connected(a, n, labels); err != nil {
			return nil, nil, err
		}
	}
	return a, missing, nil
}

// connected checks that the given comparisons link every criterion to every
// other, directly or through others; otherwise no completion is unique.
func connected(a []float64, n int, labels []string) error {
	seen := make([]bool, n)
	stack := []int{0}
	seen[0] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for j := range n {
			if !seen[j] && a[i*n+j] != 0 {
				seen[j] = true
				stack = append(stack, j)
			}
		}
	}
	for j, ok := range seen {
		if !ok {
			return cellErr(0, j, labels, RuleConnected, "too many comparisons skipped: criterion %d is not compared, directly or through others, with criterion 0", j)
		}
	}
	return nil
}

// harker completes the skipped pairs by Harker's method (Harker 1987,
// "Incomplete pairwise comparisons in the analytic hierarchy process",
// Mathematical Modelling 9(11), 837–848): the principal eigenvector w of
// the matrix with skipped cells 0 and each diagonal 1 + the number of
// skipped cells in its row is also the principal eigenvector of the matrix
// completed with a[i][j] = w[i]/w[j], which it then fills in.
func harker(a []float64, n int, missing []int, c Config, res *Result) error {
	h := slices.Clone(a)
	for _, p := range missing {
		i, j := p/n, p%n
		h[i*n+i]++
		h[j*n+j]++
	}
	w := make([]float64, n)
	if _, _, ok := principal(h, n, w, c.Epsilon, c.MaxIterations); !ok {
		return notConverged(c.MaxIterations)
	}
	for _, p := range missing {
		i, j := p/n, p%n
		a[i*n+j] = w[i] / w[j]
		a[j*n+i] = w[j] / w[i]
		res.Filled = append(res.Filled, Cell{Row: i, Col: j, Value: w[i] / w[j]})
	}
	return nil
}

// principal finds the principal eigenvector of the n×n matrix a by power
// iteration, writing it normalised to sum 1 into w, and returns λmax. It
// stops when no component moves by more than eps, and reports false after
// maxIter steps.
func principal(a []float64, n int, w []float64, eps float64, maxIter int) (float64, int, bool) {
	for i := range w {
		w[i] = 1 / float64(n)
	}
	var buf [MaxSize]float64
	v := buf[:n]
	for it := 1; it <= maxIter; it++ {
		sum := 0.0
		for i := range n {
			s := 0.0
			row := a[i*n : i*n+n]
			for j, x := range row {
				s += x * w[j]
			}
			v[i] = s
			sum += s
		}
		diff := 0.0
		for i := range n {
			x := v[i] / sum
			diff = max(diff, math.Abs(x-w[i]))
			w[i] = x
		}
		// With sum(w) = 1 before the step, sum(A·w) tends to λmax.
		if diff <= eps {
			return sum, it, true
		}
	}
	return 0, maxIter, false
}

// notConverged is the error of power iteration that hit its cap: a
// *MatrixError with RuleConverged, errors.Is ErrNotConverged.
func notConverged(maxIter int) error {
	return invalid("config.max_iterations", RuleConverged,
		"power iteration did not converge in %d iterations; raise max_iterations or epsilon", maxIter)
}

// geometricMean writes the normalised row geometric means of a into w.
func geometricMean(a []float64, n int, w []float64) {
	sum := 0.0
	for i := range n {
		s := 0.0
		for _, x := range a[i*n : i*n+n] {
			s += math.Log(x)
		}
		w[i] = math.Exp(s / float64(n))
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
}

// consistency returns CI, RI and CR for λmax of an n×n matrix.
func consistency(lambda float64, n int, table RandomIndex) (ci, ri, cr float64) {
	if n <= 2 {
		return 0, table.Of(n), 0
	}
	ci = max(0, (lambda-float64(n))/float64(n-1))
	ri = table.Of(n)
	return ci, ri, ci / ri
}

// saatyScale is Saaty's scale with reciprocals, in increasing order.
var saatyScale = []float64{1.0 / 9, 1.0 / 8, 1.0 / 7, 1.0 / 6, 1.0 / 5, 1.0 / 4, 1.0 / 3, 1.0 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9}

// inconsistency builds the *InconsistentError of a matrix with res.CR ≥
// threshold: for every given judgment above the diagonal it finds the value
// that minimises λmax with the others fixed (golden-section search on the
// log scale), picks the judgment whose best value lowers λmax most, and
// suggests the nearest scale value that brings CR under the threshold.
func (c Config) inconsistency(a []float64, n int, missing []int, labels []string, res Result) error {
	e := &InconsistentError{Field: "matrix", CR: res.CR, Threshold: c.Threshold, Row: -1, Col: -1}
	work := slices.Clone(a)
	w := make([]float64, n)
	lam := func(i, j int, x float64) float64 {
		work[i*n+j], work[j*n+i] = x, 1/x
		l, _, ok := principal(work, n, w, 1e-10, c.MaxIterations)
		if !ok {
			return math.Inf(1)
		}
		return l
	}
	lo, hi := math.Log(1.0/9), math.Log(9)
	if c.AnyScale {
		lo, hi = math.Log(1.0/81), math.Log(81)
	}
	bestL := math.Inf(1)
	var bestX float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			if slices.Contains(missing, i*n+j) {
				continue
			}
			x, l := goldenMin(func(t float64) float64 { return lam(i, j, math.Exp(t)) }, lo, hi)
			work[i*n+j], work[j*n+i] = a[i*n+j], a[j*n+i]
			if l < bestL-1e-12 {
				bestL, bestX, e.Row, e.Col = l, math.Exp(x), i, j
			}
		}
	}
	if e.Row < 0 {
		return e
	}
	i, j := e.Row, e.Col
	e.Field = "matrix" + cellPath(i, j)
	e.Current = a[i*n+j]
	if i < len(labels) {
		e.RowLabel, e.ColLabel = labels[i], labels[j]
	}
	e.Suggested = bestX
	_, _, e.CRAfter = consistency(bestL, n, c.RandomIndex)
	cands := slices.Clone(saatyScale)
	sort.Slice(cands, func(p, q int) bool {
		return math.Abs(math.Log(cands[p]/bestX)) < math.Abs(math.Log(cands[q]/bestX))
	})
	for _, v := range cands {
		_, _, cr := consistency(lam(i, j, v), n, c.RandomIndex)
		if cr < c.Threshold {
			e.Suggested, e.CRAfter = v, cr
			break
		}
	}
	return e
}

// goldenMin minimises f on [lo, hi] by golden-section search and returns
// the argument and the minimum.
func goldenMin(f func(float64) float64, lo, hi float64) (float64, float64) {
	const g = 0.6180339887498949
	x1, x2 := hi-g*(hi-lo), lo+g*(hi-lo)
	f1, f2 := f(x1), f(x2)
	for hi-lo > 1e-4 {
		if f1 < f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - g*(hi-lo)
			f1 = f(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + g*(hi-lo)
			f2 = f(x2)
		}
	}
	if f1 < f2 {
		return x1, f1
	}
	return x2, f2
}
