package satisfaction

import (
	"fmt"

	"github.com/dealercrm/dealercrm"
)

// Sentinel errors of the satisfaction package. Each carries a dealercrm
// code, so errors.Is(err, dealercrm.ErrInvalid) holds for the invalid ones.
var (
	// ErrInconsistent: a comparison matrix has a consistency ratio at or
	// above the threshold. The error in the chain is an *InconsistentError
	// naming the judgment to revise.
	ErrInconsistent = &dealercrm.Error{Code: dealercrm.Invalid, Message: "satisfaction: comparison matrix is inconsistent"}
	// ErrNotConverged: power iteration did not converge within its
	// iteration cap (a matrix so far from reciprocal that its principal
	// eigenvalue is not dominant, or a cap set too low).
	ErrNotConverged = &dealercrm.Error{Code: dealercrm.Invalid, Message: "satisfaction: power iteration did not converge"}
	// ErrNotFound: the record does not exist for this dealer.
	ErrNotFound = dealercrm.ErrNotFound
	// ErrConflict: an ID or external ID is already taken for this dealer.
	ErrConflict = dealercrm.ErrConflict
)

// Rules named in MatrixError.Rule.
const (
	RuleSize        = "size"       // not square, or n outside 1..MaxSize
	RulePositive    = "positive"   // a judgment that is zero, negative, NaN or infinite
	RuleScale       = "scale"      // a judgment outside Saaty's 1/9..9
	RuleDiagonal    = "diagonal"   // a diagonal cell other than 1
	RuleReciprocal  = "reciprocal" // a[i][j]·a[j][i] is not 1 within the tolerance
	RuleFormat      = "format"     // a judgment that is not a number nor "p/q"
	RuleMissing     = "missing"    // a skipped comparison where none may be skipped
	RuleConnected   = "connected"  // skipped comparisons leave the criteria in unlinked groups
	RuleExperts     = "experts"    // group judgments of different sizes, or none
	RuleStructure   = "structure"  // a hierarchy node whose judgments do not fit its children
	RuleDuplicateID = "duplicate"  // a hierarchy or questionnaire ID used twice
	RuleRequired    = "required"   // a value must be given
	RuleRange       = "range"      // a number outside its allowed range
	RuleReference   = "reference"  // refers to something that does not exist
	RuleEnum        = "enum"       // not one of the allowed constants
)

// MatrixError reports a comparison matrix (or a hierarchy node, or a
// questionnaire) that breaks a rule. Row and Col name the offending cell
// (0-based, -1 when the error is not about one cell); Labels, when the
// matrix has them, name the criteria of the row and column. Its code is
// dealercrm.Invalid: errors.Is(err, dealercrm.ErrInvalid) is true.
type MatrixError struct {
	// Node is the hierarchy node (its ID) the matrix belongs to, "" for a
	// lone matrix.
	Node string
	// Row and Col are the 0-based cell, or -1.
	Row, Col int
	// RowLabel and ColLabel name the criteria of the cell when known.
	RowLabel, ColLabel string
	// Rule is one of the Rule constants.
	Rule string
	// Message says what is wrong, in words.
	Message string
}

// Error implements error.
func (e *MatrixError) Error() string {
	where := ""
	if e.Node != "" {
		where = " node " + e.Node
	}
	if e.Row >= 0 && e.Col >= 0 {
		where += fmt.Sprintf(" cell [%d][%d]", e.Row, e.Col)
		if e.RowLabel != "" || e.ColLabel != "" {
			where += fmt.Sprintf(" (%s vs %s)", e.RowLabel, e.ColLabel)
		}
	} else if e.Row >= 0 {
		where += fmt.Sprintf(" row %d", e.Row)
	}
	return "satisfaction: invalid" + where + ": " + e.Message + " [" + e.Rule + "]"
}

// ErrorCode implements dealercrm.Coder.
func (e *MatrixError) ErrorCode() dealercrm.Code { return dealercrm.Invalid }

// Is makes errors.Is(err, dealercrm.ErrInvalid) true.
func (e *MatrixError) Is(target error) bool { return target == dealercrm.ErrInvalid }

// InconsistentError reports a matrix whose consistency ratio is at or above
// the threshold, with the judgment whose revision most reduces the
// inconsistency: setting cell [Row][Col] to Suggested (and its reciprocal
// cell to 1/Suggested) gives consistency ratio CRAfter. errors.Is(err,
// ErrInconsistent) and errors.Is(err, dealercrm.ErrInvalid) are true.
type InconsistentError struct {
	// Node is the hierarchy node (its ID), "" for a lone matrix.
	Node string
	// CR is the matrix's consistency ratio and Threshold the limit it broke.
	CR, Threshold float64
	// Row and Col are the 0-based cell of the judgment to revise (Row < Col).
	Row, Col int
	// RowLabel and ColLabel name its criteria when known.
	RowLabel, ColLabel string
	// Current is the judgment as given.
	Current float64
	// Suggested is the value that fixes the matrix: the nearest value of
	// Saaty's scale that brings the ratio under the threshold, or when none
	// does, the value that minimises λmax.
	Suggested float64
	// CRAfter is the consistency ratio with Suggested in place.
	CRAfter float64
}

// Error implements error.
func (e *InconsistentError) Error() string {
	where := ""
	if e.Node != "" {
		where = " node " + e.Node + ":"
	}
	cell := fmt.Sprintf("[%d][%d]", e.Row, e.Col)
	if e.RowLabel != "" || e.ColLabel != "" {
		cell += fmt.Sprintf(" (%s vs %s)", e.RowLabel, e.ColLabel)
	}
	return fmt.Sprintf("satisfaction:%s consistency ratio %.3f is not below %.2f; revise judgment %s from %s to %s (consistency ratio then %.3f)",
		where, e.CR, e.Threshold, cell, FormatJudgment(e.Current), FormatJudgment(e.Suggested), e.CRAfter)
}

// ErrorCode implements dealercrm.Coder.
func (e *InconsistentError) ErrorCode() dealercrm.Code { return dealercrm.Invalid }

// Is makes errors.Is(err, ErrInconsistent) and errors.Is(err,
// dealercrm.ErrInvalid) true.
func (e *InconsistentError) Is(target error) bool {
	return target == ErrInconsistent || target == dealercrm.ErrInvalid
}

func cellErr(row, col int, labels []string, rule, format string, args ...any) *MatrixError {
	e := &MatrixError{Row: row, Col: col, Rule: rule, Message: fmt.Sprintf(format, args...)}
	if row >= 0 && row < len(labels) {
		e.RowLabel = labels[row]
	}
	if col >= 0 && col < len(labels) {
		e.ColLabel = labels[col]
	}
	return e
}

func invalid(rule, format string, args ...any) *MatrixError {
	return &MatrixError{Row: -1, Col: -1, Rule: rule, Message: fmt.Sprintf(format, args...)}
}
