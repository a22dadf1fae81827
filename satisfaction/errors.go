package satisfaction

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
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
	// eigenvalue is not dominant, or a cap set too low). The error in the
	// chain is a *MatrixError with RuleConverged naming
	// config.max_iterations.
	ErrNotConverged = &dealercrm.Error{Code: dealercrm.Invalid, Message: "satisfaction: power iteration did not converge"}
	// ErrNotFound: the record does not exist for this dealer.
	ErrNotFound = dealercrm.ErrNotFound
	// ErrConflict: an ID or external ID is already taken for this dealer.
	ErrConflict = dealercrm.ErrConflict
)

// Rules named in MatrixError.Rule and in the crm.FieldError of the
// package's validation errors.
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
	RuleConverged   = "converged"  // power iteration hit its cap (see ErrNotConverged)
	// RuleConsistency: a comparison matrix whose consistency ratio is at
	// or above the threshold (an *InconsistentError).
	RuleConsistency = "consistency"
	// RuleMismatch: a reference that contradicts another of the same
	// input: a service order or sale of another customer, a staff member
	// other than the order's advisor or the sale's consultant, a sale and
	// a service order in one response.
	RuleMismatch = "mismatch"
)

// MatrixError reports a comparison matrix (or a hierarchy node, or a
// Config) that breaks a rule. Row and Col name the offending cell
// (0-based, -1 when the error is not about one cell); Labels, when the
// matrix has them, name the criteria of the row and column; Field is where
// the value sits in the input. Its code is dealercrm.Invalid:
// errors.Is(err, dealercrm.ErrInvalid) is true, and errors.As finds a
// *crm.ValidationError with its one field (see Unwrap), so callers that
// handle validation errors in general need nothing else.
type MatrixError struct {
	// Node is the hierarchy node (its ID) the matrix belongs to, "" for a
	// lone matrix.
	Node string
	// Field is the JSON path of the value at fault in the input:
	// "matrix[0][1]" in a lone matrix, "experts[1]" or "expert_weights[1]"
	// in group judgments, "root.children[1].comparisons[0][1]" or
	// "root.children[1].id" in a hierarchy, "config.threshold" in a
	// Config.
	Field string
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

// Is makes errors.Is(err, dealercrm.ErrInvalid) true, and errors.Is(err,
// ErrNotConverged) for RuleConverged.
func (e *MatrixError) Is(target error) bool {
	return target == dealercrm.ErrInvalid || e.Rule == RuleConverged && target == ErrNotConverged
}

// FieldError returns the error as one crm.FieldError: its Field, Rule and
// Message (with the criteria of the cell when known).
func (e *MatrixError) FieldError() crm.FieldError {
	msg := e.Message
	if e.RowLabel != "" || e.ColLabel != "" {
		msg += fmt.Sprintf(" (%s vs %s)", e.RowLabel, e.ColLabel)
	}
	return crm.FieldError{Field: cmpOr(e.Field, "matrix"), Rule: e.Rule, Message: msg}
}

// Unwrap returns the error as a *crm.ValidationError with its one field,
// so that errors.As(err, &ve) sees it like every other validation error.
func (e *MatrixError) Unwrap() error {
	return &crm.ValidationError{Entity: entityOf(e.Node, e.Field), Fields: []crm.FieldError{e.FieldError()}}
}

// entityOf names what a MatrixError or InconsistentError is about.
func entityOf(node, field string) string {
	switch {
	case node != "" || strings.HasPrefix(field, "root"):
		return "hierarchy"
	case strings.HasPrefix(field, "config"):
		return "AHP configuration"
	}
	return "comparison matrix"
}

// InconsistentError reports a matrix whose consistency ratio is at or above
// the threshold, with the judgment whose revision most reduces the
// inconsistency: setting cell [Row][Col] to Suggested (and its reciprocal
// cell to 1/Suggested) gives consistency ratio CRAfter. errors.Is(err,
// ErrInconsistent) and errors.Is(err, dealercrm.ErrInvalid) are true.
//
// Like a MatrixError, it unwraps to a *crm.ValidationError naming Field
// with RuleConsistency.
type InconsistentError struct {
	// Node is the hierarchy node (its ID), "" for a lone matrix.
	Node string
	// Field is the JSON path of the judgment to revise, like
	// MatrixError.Field ("matrix[2][6]",
	// "root.children[0].comparisons[0][2]"; "experts" when the matrix is
	// the aggregate of group judgments).
	Field string
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
	return "satisfaction:" + where + " " + e.advice()
}

// advice says what is wrong and which judgment to revise.
func (e *InconsistentError) advice() string {
	if e.Row < 0 {
		return fmt.Sprintf("consistency ratio %.3f is not below %.2f", e.CR, e.Threshold)
	}
	cell := fmt.Sprintf("[%d][%d]", e.Row, e.Col)
	if e.RowLabel != "" || e.ColLabel != "" {
		cell += fmt.Sprintf(" (%s vs %s)", e.RowLabel, e.ColLabel)
	}
	return fmt.Sprintf("consistency ratio %.3f is not below %.2f; revise judgment %s from %s to %s (consistency ratio then %.3f)",
		e.CR, e.Threshold, cell, FormatJudgment(e.Current), FormatJudgment(e.Suggested), e.CRAfter)
}

// FieldError returns the error as one crm.FieldError with RuleConsistency;
// the message names the judgment to revise and the value that fixes it.
func (e *InconsistentError) FieldError() crm.FieldError {
	return crm.FieldError{Field: cmpOr(e.Field, "matrix"), Rule: RuleConsistency, Message: e.advice()}
}

// Unwrap returns the error as a *crm.ValidationError with its one field.
func (e *InconsistentError) Unwrap() error {
	return &crm.ValidationError{Entity: entityOf(e.Node, e.Field), Fields: []crm.FieldError{e.FieldError()}}
}

// ErrorCode implements dealercrm.Coder.
func (e *InconsistentError) ErrorCode() dealercrm.Code { return dealercrm.Invalid }

// Is makes errors.Is(err, ErrInconsistent) and errors.Is(err,
// dealercrm.ErrInvalid) true.
func (e *InconsistentError) Is(target error) bool {
	return target == ErrInconsistent || target == dealercrm.ErrInvalid
}

func cellErr(row, col int, labels []string, rule, format string, args ...any) *MatrixError {
	e := &MatrixError{Field: "matrix" + cellPath(row, col), Row: row, Col: col, Rule: rule, Message: fmt.Sprintf(format, args...)}
	if row >= 0 && row < len(labels) {
		e.RowLabel = labels[row]
	}
	if col >= 0 && col < len(labels) {
		e.ColLabel = labels[col]
	}
	return e
}

// invalid returns the MatrixError of the value at field.
func invalid(field, rule, format string, args ...any) *MatrixError {
	return &MatrixError{Field: field, Row: -1, Col: -1, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// cellPath is the JSON index path of a cell, "[row][col]" ("[row]" when
// col < 0, "" when row < 0).
func cellPath(row, col int) string {
	switch {
	case row < 0:
		return ""
	case col < 0:
		return fmt.Sprintf("[%d]", row)
	}
	return fmt.Sprintf("[%d][%d]", row, col)
}

// rebase moves the field of a MatrixError or InconsistentError in err
// from under path from to under path to ("matrix[0][1]" from "matrix" to
// "root.comparisons" is "root.comparisons[0][1]"); keepIndex false drops
// what follows from (a cell of an aggregated matrix is no cell of the
// input). Other errors and other fields pass unchanged.
func rebase(err error, from, to string, keepIndex bool) error {
	move := func(f string) (string, bool) {
		rest, ok := strings.CutPrefix(f, from)
		if !ok || rest != "" && rest[0] != '[' && rest[0] != '.' {
			return f, false
		}
		if !keepIndex {
			rest = ""
		}
		return to + rest, true
	}
	if me, ok := errors.AsType[*MatrixError](err); ok {
		if f, ok := move(cmpOr(me.Field, "matrix")); ok {
			c := *me
			c.Field = f
			return &c
		}
	}
	if ie, ok := errors.AsType[*InconsistentError](err); ok {
		if f, ok := move(cmpOr(ie.Field, "matrix")); ok {
			c := *ie
			c.Field = f
			return &c
		}
	}
	return err
}
