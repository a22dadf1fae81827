package satisfaction

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Matrix is a pairwise comparison matrix: Matrix[i][j] says how much more
// important criterion i is than criterion j on Saaty's 1–9 scale (1 equal,
// 3 moderate, 5 strong, 7 very strong, 9 extreme; 2, 4, 6, 8 between),
// and Matrix[j][i] is its reciprocal.
//
// A zero cell is a skipped comparison. When only one of a[i][j] and a[j][i]
// is given, the other is taken as its reciprocal, so an upper triangle is
// enough; a diagonal left at zero is 1. When both cells of a pair are
// skipped the matrix is incomplete and is completed by Harker's method
// (see Config.Weigh).
//
// In JSON a Matrix is an array of rows; a judgment is a number (3, 0.5), a
// string holding a number or a fraction ("3", "1/3", "0.5") or null for a
// skipped comparison. It is written back with reciprocals of whole numbers
// as "1/k" strings.
type Matrix [][]float64

// ParseJudgment parses one judgment: a number ("3", "0.25") or a fraction
// "p/q" ("1/3"). An empty string or "-" is a skipped comparison (0). It
// does not check the range: Config.Weigh does.
func ParseJudgment(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, nil
	}
	if p, q, ok := strings.Cut(s, "/"); ok {
		num, err1 := strconv.ParseFloat(strings.TrimSpace(p), 64)
		den, err2 := strconv.ParseFloat(strings.TrimSpace(q), 64)
		if err1 != nil || err2 != nil || den == 0 {
			return 0, fmt.Errorf("%q is not a fraction p/q", s)
		}
		return checkFinite(s, num/den)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number nor a fraction like 1/3", s)
	}
	return checkFinite(s, v)
}

func checkFinite(s string, v float64) (float64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	if v <= 0 {
		return 0, fmt.Errorf("%q is not positive (use null for a skipped comparison)", s)
	}
	return v, nil
}

// FormatJudgment writes a judgment the way people write them: whole
// numbers as "3", reciprocals of whole numbers as "1/3", other values with
// up to four decimals, a skipped comparison as "-".
func FormatJudgment(v float64) string {
	switch {
	case v == 0:
		return "-"
	case isWhole(v):
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case v < 1 && isWhole(1/v):
		return "1/" + strconv.FormatFloat(math.Round(1/v), 'f', -1, 64)
	}
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 4, 64), "0"), ".")
}

func isWhole(v float64) bool { return math.Abs(v-math.Round(v)) < 1e-9 && math.Round(v) >= 1 }

// UnmarshalJSON reads an array of rows of judgments (numbers, "p/q"
// strings or null). A malformed judgment is a *MatrixError naming its cell.
func (m *Matrix) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*m = nil
		return nil
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(b, &rows); err != nil {
		return invalid("matrix", RuleFormat, "a matrix must be an array of rows")
	}
	out := make(Matrix, len(rows))
	for i, raw := range rows {
		var cells []json.RawMessage
		if err := json.Unmarshal(raw, &cells); err != nil {
			return &MatrixError{Field: "matrix" + cellPath(i, -1), Row: i, Col: -1, Rule: RuleFormat, Message: "a row must be an array of judgments"}
		}
		out[i] = make([]float64, len(cells))
		for j, c := range cells {
			v, err := parseJSONJudgment(c)
			if err != nil {
				return cellErr(i, j, nil, RuleFormat, "%v", err)
			}
			out[i][j] = v
		}
	}
	*m = out
	return nil
}

func parseJSONJudgment(c json.RawMessage) (float64, error) {
	c = bytes.TrimSpace(c)
	switch {
	case len(c) == 0 || bytes.Equal(c, []byte("null")):
		return 0, nil
	case c[0] == '"':
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return 0, fmt.Errorf("malformed string")
		}
		return ParseJudgment(s)
	case c[0] == '-' || c[0] >= '0' && c[0] <= '9':
		v, err := strconv.ParseFloat(string(c), 64)
		if err != nil {
			return 0, fmt.Errorf("%s is not a number", c)
		}
		return checkFinite(string(c), v)
	}
	return 0, fmt.Errorf("a judgment must be a number, a string like \"1/3\" or null")
}

// MarshalJSON writes the rows, with reciprocals of whole numbers as "1/k"
// and skipped comparisons as null.
func (m Matrix) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, row := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for j, v := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			switch {
			case v == 0:
				b.WriteString("null")
			case math.IsNaN(v) || math.IsInf(v, 0):
				return nil, fmt.Errorf("satisfaction: matrix cell [%d][%d] is not finite", i, j)
			case v < 1 && isWhole(1/v) && !isWhole(v):
				b.WriteString(`"` + FormatJudgment(v) + `"`)
			default:
				b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// Clone returns a deep copy of m.
func (m Matrix) Clone() Matrix {
	if m == nil {
		return nil
	}
	out := make(Matrix, len(m))
	for i, r := range m {
		out[i] = append([]float64(nil), r...)
	}
	return out
}

// MatrixFromWeights returns the perfectly consistent matrix of weights w:
// a[i][j] = w[i]/w[j]. Its priority vector is w normalised and its
// consistency ratio 0.
func MatrixFromWeights(w []float64) Matrix {
	m := make(Matrix, len(w))
	for i := range w {
		m[i] = make([]float64, len(w))
		for j := range w {
			m[i][j] = w[i] / w[j]
		}
	}
	return m
}

// MatrixFromUpper builds an n×n matrix from the judgments above the
// diagonal, row by row: a[0][1], a[0][2], …, a[0][n-1], a[1][2], … (the
// order of itertools.combinations, used by many AHP texts). A zero is a
// skipped comparison. It panics when len(upper) is not n(n−1)/2.
func MatrixFromUpper(n int, upper ...float64) Matrix {
	if len(upper) != n*(n-1)/2 {
		panic(fmt.Sprintf("satisfaction: MatrixFromUpper(%d) needs %d judgments, got %d", n, n*(n-1)/2, len(upper)))
	}
	m := make(Matrix, n)
	for i := range m {
		m[i] = make([]float64, n)
		m[i][i] = 1
	}
	k := 0
	for i := range n {
		for j := i + 1; j < n; j++ {
			m[i][j] = upper[k]
			k++
		}
	}
	return m
}
