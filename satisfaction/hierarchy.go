package satisfaction

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// MaxDepth bounds the depth of a hierarchy (goal at depth 0).
const MaxDepth = 8

// Node is one element of an AHP hierarchy: the goal at the root, criteria
// and sub-criteria inside, indicators at the leaves. An inner node says how
// its children weigh against each other in exactly one of three ways:
//
//   - Comparisons: one pairwise comparison matrix, row i for Children[i];
//   - Experts: several experts' matrices, aggregated by the geometric mean
//     of their judgments (weighted by ExpertWeights when given);
//   - Weights: given weights (published survey weights, say), normalised.
//
// A node with a single child needs none of them.
//
// In JSON:
//
//	{"id": "goal", "name": "CSI",
//	 "comparisons": [[1, 3], ["1/3", 1]],
//	 "children": [{"id": "speed"}, {"id": "price"}]}
type Node struct {
	// ID names the node; IDs are unique in a hierarchy. Questionnaire
	// items refer to leaves by ID.
	ID string `json:"id"`
	// Name is the display name.
	Name string `json:"name,omitempty"`
	// Comparisons is the pairwise comparison matrix of the children.
	Comparisons Matrix `json:"comparisons,omitempty"`
	// Experts are several experts' comparison matrices of the children.
	Experts []Matrix `json:"experts,omitempty"`
	// ExpertWeights optionally weigh the experts (same length as Experts).
	ExpertWeights []float64 `json:"expert_weights,omitempty"`
	// Weights are given weights of the children, normalised to sum 1.
	Weights []float64 `json:"weights,omitempty"`
	// Children are the sub-criteria or indicators; none for an indicator.
	Children []Node `json:"children,omitempty"`
}

// Leaf reports whether n is an indicator.
func (n *Node) Leaf() bool { return len(n.Children) == 0 }

// Clone returns a deep copy of n.
func (n Node) Clone() Node {
	c := n
	c.Comparisons = n.Comparisons.Clone()
	if n.Experts != nil {
		c.Experts = make([]Matrix, len(n.Experts))
		for i, m := range n.Experts {
			c.Experts[i] = m.Clone()
		}
	}
	c.ExpertWeights = slices.Clone(n.ExpertWeights)
	c.Weights = slices.Clone(n.Weights)
	if n.Children != nil {
		c.Children = make([]Node, len(n.Children))
		for i := range n.Children {
			c.Children[i] = n.Children[i].Clone()
		}
	}
	return c
}

// NodeWeight is the weight of one node of a weighed hierarchy.
type NodeWeight struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Parent string `json:"parent,omitempty"`
	// Level is the depth: 0 for the goal, 1 for the criteria, …
	Level int `json:"level"`
	// Local is the weight among its siblings; Global is the product of the
	// local weights from the goal down (the goal's is 1).
	Local  float64 `json:"local"`
	Global float64 `json:"global"`
	// Leaf marks an indicator; Rank is its 1-based place among the
	// indicators by global weight (0 for inner nodes).
	Leaf bool `json:"leaf"`
	Rank int  `json:"rank,omitempty"`
	// Criterion is the ID of the level-1 ancestor (the node itself at
	// level 1; "" for the goal).
	Criterion string `json:"criterion,omitempty"`
	// Consistency is the result of weighing the node's children (inner
	// nodes with a comparison matrix or expert judgments only).
	Consistency *Result `json:"consistency,omitempty"`
}

// Weights is a weighed hierarchy.
type Weights struct {
	// Nodes are every node in pre-order (the goal first).
	Nodes []NodeWeight `json:"nodes"`
	// Indicators are the leaves, ranked by global weight (highest first;
	// ties in pre-order). Their global weights sum to 1.
	Indicators []NodeWeight `json:"indicators"`
}

// Node returns the weight of the node with id.
func (w Weights) Node(id string) (NodeWeight, bool) {
	for _, n := range w.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return NodeWeight{}, false
}

// WeighHierarchy weighs root with the default Config.
func WeighHierarchy(root Node) (Weights, error) { return Config{}.WeighHierarchy(root) }

// WeighHierarchy validates the hierarchy under root and computes the local
// and global weight of every node, composing local weights from the goal
// down, and ranks the indicators.
//
// Errors are those of Config.Weigh with MatrixError.Node or
// InconsistentError.Node set to the node whose judgments failed, and
// *MatrixError with RuleStructure, RuleDuplicateID, RuleRequired or
// RuleExperts for a malformed tree.
func (c Config) WeighHierarchy(root Node) (Weights, error) {
	if err := c.Validate(); err != nil {
		return Weights{}, err
	}
	var w Weights
	seen := map[string]bool{}
	root.Name = cmpOr(root.Name, root.ID)
	if err := c.weighNode(&root, "root", "", "", 0, 1, 1, seen, &w); err != nil {
		return Weights{}, err
	}
	for _, n := range w.Nodes {
		if n.Leaf {
			w.Indicators = append(w.Indicators, n)
		}
	}
	sort.SliceStable(w.Indicators, func(i, j int) bool { return w.Indicators[i].Global > w.Indicators[j].Global })
	rank := map[string]int{}
	for i := range w.Indicators {
		w.Indicators[i].Rank = i + 1
		rank[w.Indicators[i].ID] = i + 1
	}
	for i := range w.Nodes {
		w.Nodes[i].Rank = rank[w.Nodes[i].ID]
	}
	return w, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// weighNode weighs the node at JSON path path ("root",
// "root.children[1]") and its subtree.
func (c Config) weighNode(n *Node, path, parent, criterion string, level int, local, global float64, seen map[string]bool, out *Weights) error {
	nodeErr := func(field, rule, format string, args ...any) error {
		e := invalid(field, rule, format, args...)
		e.Node = n.ID
		return e
	}
	switch {
	case n.ID == "":
		return &MatrixError{Node: parent, Field: path + ".id", Row: -1, Col: -1, Rule: RuleRequired, Message: "every node needs an id"}
	case seen[n.ID]:
		return nodeErr(path+".id", RuleDuplicateID, "id %q is used by two nodes", n.ID)
	case level > MaxDepth:
		return nodeErr(path, RuleStructure, "the hierarchy is deeper than %d levels", MaxDepth)
	}
	seen[n.ID] = true
	if level == 1 {
		criterion = n.ID
	}
	idx := len(out.Nodes)
	out.Nodes = append(out.Nodes, NodeWeight{ID: n.ID, Name: cmpOr(n.Name, n.ID), Parent: parent, Level: level,
		Local: local, Global: global, Leaf: n.Leaf(), Criterion: criterion})
	k := len(n.Children)
	if k == 0 {
		if n.Comparisons != nil || n.Experts != nil || n.Weights != nil {
			return nodeErr(path, RuleStructure, "an indicator (a node without children) has no judgments")
		}
		return nil
	}
	if k > MaxSize {
		return nodeErr(path+".children", RuleSize, "a node has at most %d children, got %d", MaxSize, k)
	}
	labels := make([]string, k)
	for i, ch := range n.Children {
		labels[i] = ch.ID
	}
	given := 0
	for _, b := range []bool{n.Comparisons != nil, n.Experts != nil, n.Weights != nil} {
		if b {
			given++
		}
	}
	var weights []float64
	switch {
	case given > 1:
		return nodeErr(path, RuleStructure, "give comparisons, experts or weights, not several")
	case given == 0 && k == 1:
		weights = []float64{1}
	case given == 0:
		return nodeErr(path, RuleStructure, "%d children need comparisons, experts or weights", k)
	case n.Weights != nil:
		if len(n.Weights) != k {
			return nodeErr(path+".weights", RuleStructure, "%d weights for %d children", len(n.Weights), k)
		}
		sum := 0.0
		for i, v := range n.Weights {
			if !(v > 0) || math.IsInf(v, 0) {
				return nodeErr(path+".weights"+cellPath(i, -1), RulePositive, "weight %d (%s) must be positive", i, labels[i])
			}
			sum += v
		}
		weights = make([]float64, k)
		for i, v := range n.Weights {
			weights[i] = v / sum
		}
	default:
		// A cell of the aggregate of group judgments is no cell of the
		// input: its errors name the node's experts.
		m, field, keepCell := n.Comparisons, path+".comparisons", true
		if n.Experts != nil {
			var err error
			if m, err = Aggregate(n.Experts, n.ExpertWeights); err != nil {
				err = rebase(rebase(err, "experts", path+".experts", true), "expert_weights", path+".expert_weights", true)
				return withNode(err, n.ID)
			}
			field, keepCell = path+".experts", false
		}
		if len(m) != k {
			return nodeErr(field, RuleStructure, "a %d×%d matrix for %d children", len(m), len(m), k)
		}
		res, err := c.Weigh(m, labels...)
		if err != nil {
			return withNode(rebase(err, "matrix", field, keepCell), n.ID)
		}
		weights = res.Weights
		out.Nodes[idx].Consistency = &res
	}
	for i := range n.Children {
		if err := c.weighNode(&n.Children[i], path+".children"+cellPath(i, -1), n.ID, criterion, level+1, weights[i], global*weights[i], seen, out); err != nil {
			return err
		}
	}
	return nil
}

func withNode(err error, node string) error {
	var me *MatrixError
	if errors.As(err, &me) {
		c := *me
		c.Node = node
		return &c
	}
	var ie *InconsistentError
	if errors.As(err, &ie) {
		c := *ie
		c.Node = node
		return &c
	}
	return err
}

// WeighExperts aggregates the experts' comparison matrices (Aggregate,
// weights may be nil) and weighs the result (Weigh). Its errors name the
// group judgments in the input ("experts[1]", "expert_weights[0]", and
// "experts" for a fault of the aggregate, such as its inconsistency).
func (c Config) WeighExperts(experts []Matrix, weights []float64, labels ...string) (Result, error) {
	m, err := Aggregate(experts, weights)
	if err != nil {
		return Result{}, err
	}
	r, err := c.Weigh(m, labels...)
	if err != nil {
		return r, rebase(err, "matrix", "experts", false)
	}
	return r, nil
}

// Aggregate combines several experts' comparison matrices of the same size
// into one by the weighted geometric mean of each judgment (Aczél and
// Saaty's aggregation of individual judgments, which keeps the result
// reciprocal). weights may be nil (equal weights). A comparison an expert
// skipped (zero in both cells) is left out of that cell's mean; a cell all
// experts skipped stays skipped. Each matrix must be positive; its other
// checks happen when the result is weighed. A *MatrixError names the
// value at fault as "experts[e][i][j]" or "expert_weights[e]".
func Aggregate(experts []Matrix, weights []float64) (Matrix, error) {
	if len(experts) == 0 {
		return nil, invalid("experts", RuleExperts, "no expert judgments")
	}
	if weights != nil && len(weights) != len(experts) {
		return nil, invalid("expert_weights", RuleExperts, "%d expert weights for %d experts", len(weights), len(experts))
	}
	n := len(experts[0])
	for e, m := range experts {
		if len(m) != n {
			return nil, invalid("experts"+cellPath(e, -1), RuleExperts, "expert %d gave a %d-row matrix, expert 0 a %d-row one", e, len(m), n)
		}
		for i, row := range m {
			if len(row) != n {
				return nil, &MatrixError{Field: fmt.Sprintf("experts[%d][%d]", e, i), Row: i, Col: -1, Rule: RuleSize, Message: fmt.Sprintf("expert %d: the matrix is not square", e)}
			}
			for j, v := range row {
				if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
					ce := cellErr(i, j, nil, RulePositive, "expert %d: judgment %v must be a positive number", e, v)
					ce.Field = fmt.Sprintf("experts[%d][%d][%d]", e, i, j)
					return nil, ce
				}
			}
		}
		if weights != nil && !(weights[e] > 0) {
			return nil, invalid("expert_weights"+cellPath(e, -1), RuleExperts, "expert weight %d must be positive", e)
		}
	}
	out := make(Matrix, n)
	for i := range n {
		out[i] = make([]float64, n)
		for j := range n {
			if i == j {
				out[i][j] = 1
				continue
			}
			logSum, wSum := 0.0, 0.0
			for e, m := range experts {
				v := m[i][j]
				if v == 0 && m[j][i] != 0 {
					v = 1 / m[j][i]
				}
				if v == 0 {
					continue
				}
				we := 1.0
				if weights != nil {
					we = weights[e]
				}
				logSum += we * math.Log(v)
				wSum += we
			}
			if wSum > 0 {
				out[i][j] = math.Exp(logSum / wSum)
			}
		}
	}
	return out, nil
}
