package campaign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Segment is a composable, JSON-serialisable predicate over customer
// profiles. A node is exactly one of: And (all children match), Or (any
// matches), Not (the child does not match), or a leaf {Field, Op, Value}.
// The zero Segment, at the root only, matches every customer.
//
//	{"and": [
//	  {"field": "gender", "op": "eq", "value": "female"},
//	  {"field": "age", "op": "between", "value": [30, 45]},
//	  {"not": {"field": "abnormal", "op": "has", "value": "complained"}}
//	]}
type Segment struct {
	And []Segment `json:"and,omitempty"`
	Or  []Segment `json:"or,omitempty"`
	Not *Segment  `json:"not,omitempty"`
	// Field, Op and Value make a leaf; see Fields for the whitelist and the
	// operators and value types of each field.
	Field Field           `json:"field,omitempty"`
	Op    Op              `json:"op,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// IsZero reports whether s is the empty segment (every customer).
func (s *Segment) IsZero() bool {
	return s.And == nil && s.Or == nil && s.Not == nil && s.Field == "" && s.Op == "" && len(s.Value) == 0
}

// Clone returns a deep copy of s.
func (s Segment) Clone() Segment {
	if s.And != nil {
		and := make([]Segment, len(s.And))
		for i := range s.And {
			and[i] = s.And[i].Clone()
		}
		s.And = and
	}
	if s.Or != nil {
		or := make([]Segment, len(s.Or))
		for i := range s.Or {
			or[i] = s.Or[i].Clone()
		}
		s.Or = or
	}
	if s.Not != nil {
		n := s.Not.Clone()
		s.Not = &n
	}
	s.Value = bytes.Clone(s.Value)
	return s
}

// Field is a segment field: a profile attribute.
type Field string

// The segment fields. Ages are whole years and last_visit whole days as of
// the evaluation date; a customer without the underlying date (no birthday,
// no vehicle, no visit, no odometer reading) matches no condition on it,
// negated or not.
const (
	FieldGender       Field = "gender"           // text: crm.Gender
	FieldAge          Field = "age"              // number: years since the birthday
	FieldFamilyStage  Field = "family_stage"     // text: crm.FamilyStage
	FieldHobby        Field = "hobby"            // set of hobby tags
	FieldProvince     Field = "region.province"  // text
	FieldCity         Field = "region.city"      // text
	FieldDistrict     Field = "region.district"  // text
	FieldOccupation   Field = "occupation"       // text
	FieldVehicleModel Field = "vehicle.model"    // text: the model of the customer's main vehicle
	FieldVehicleAge   Field = "vehicle.age"      // number: years since the main vehicle was bought
	FieldOdometer     Field = "vehicle.odometer" // number: km at the latest reading
	FieldStage        Field = "stage"            // text: lifecycle stage
	FieldGrade        Field = "grade"            // text: value grade (A, B, C)
	FieldTier         Field = "tier"             // text: loyalty tier
	FieldAbnormal     Field = "abnormal"         // set of abnormal classes (seed 004)
	FieldTag          Field = "tag"              // set of free tags from the host
	FieldLastVisit    Field = "last_visit"       // number: days since the latest service visit
	FieldConsent      Field = "consent"          // set of "purpose:channel" consents granted
)

// Op is a segment operator.
type Op string

// The operators. Text fields take eq, ne (a string) and in, not_in (a
// list); number fields eq, ne, lt, lte, gt, gte (an integer) and between
// (two integers, inclusive); set fields has (a string), has_any, has_all
// and has_none (a list).
const (
	OpEq      Op = "eq"
	OpNe      Op = "ne"
	OpIn      Op = "in"
	OpNotIn   Op = "not_in"
	OpLt      Op = "lt"
	OpLte     Op = "lte"
	OpGt      Op = "gt"
	OpGte     Op = "gte"
	OpBetween Op = "between"
	OpHas     Op = "has"
	OpHasAny  Op = "has_any"
	OpHasAll  Op = "has_all"
	OpHasNone Op = "has_none"
)

// Type is the value type of a field.
type Type string

// The field types.
const (
	TypeText   Type = "text"
	TypeNumber Type = "number"
	TypeSet    Type = "set"
)

// Column is a profile column a normalised condition reads. Adapters map
// each to their own storage (a whitelist: nothing else reaches SQL).
type Column string

// The profile columns.
const (
	ColGender       Column = "gender"
	ColBirthday     Column = "birthday"
	ColFamilyStage  Column = "family_stage"
	ColHobbies      Column = "hobbies"
	ColProvince     Column = "province"
	ColCity         Column = "city"
	ColDistrict     Column = "district"
	ColOccupation   Column = "occupation"
	ColVehicleModel Column = "vehicle_model"
	ColVehicleDate  Column = "vehicle_date"
	ColOdometer     Column = "odometer_km"
	ColStage        Column = "stage"
	ColGrade        Column = "grade"
	ColTier         Column = "tier"
	ColAbnormal     Column = "abnormal"
	ColTags         Column = "tags"
	ColLastVisit    Column = "last_visit"
	ColConsents     Column = "consents"
)

// FieldSpec describes a field: its type, the column it reads and its limits.
type FieldSpec struct {
	Field  Field  `json:"field"`
	Type   Type   `json:"type"`
	Column Column `json:"-"`
	// Unit says how a number field counts ("years", "days", "km").
	Unit string `json:"unit,omitempty"`
	// Max bounds number values (0 … Max).
	Max int64 `json:"max,omitempty"`
	// Values lists the allowed values of an enumerated text field.
	Values []string `json:"values,omitempty"`
	// date: the number counts years (or days) back from the evaluation
	// date to a date column.
	years, days bool
}

var fieldSpecs = []FieldSpec{
	{Field: FieldGender, Type: TypeText, Column: ColGender, Values: strs(crm.Genders())},
	{Field: FieldAge, Type: TypeNumber, Column: ColBirthday, Unit: "years", Max: 150, years: true},
	{Field: FieldFamilyStage, Type: TypeText, Column: ColFamilyStage, Values: strs(crm.FamilyStages())},
	{Field: FieldHobby, Type: TypeSet, Column: ColHobbies},
	{Field: FieldProvince, Type: TypeText, Column: ColProvince},
	{Field: FieldCity, Type: TypeText, Column: ColCity},
	{Field: FieldDistrict, Type: TypeText, Column: ColDistrict},
	{Field: FieldOccupation, Type: TypeText, Column: ColOccupation},
	{Field: FieldVehicleModel, Type: TypeText, Column: ColVehicleModel},
	{Field: FieldVehicleAge, Type: TypeNumber, Column: ColVehicleDate, Unit: "years", Max: 100, years: true},
	{Field: FieldOdometer, Type: TypeNumber, Column: ColOdometer, Unit: "km", Max: 10_000_000},
	{Field: FieldStage, Type: TypeText, Column: ColStage},
	{Field: FieldGrade, Type: TypeText, Column: ColGrade},
	{Field: FieldTier, Type: TypeText, Column: ColTier},
	{Field: FieldAbnormal, Type: TypeSet, Column: ColAbnormal},
	{Field: FieldTag, Type: TypeSet, Column: ColTags},
	{Field: FieldLastVisit, Type: TypeNumber, Column: ColLastVisit, Unit: "days", Max: 36_600, days: true},
	{Field: FieldConsent, Type: TypeSet, Column: ColConsents},
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Fields returns the whitelist of segment fields.
func Fields() []FieldSpec {
	out := slices.Clone(fieldSpecs)
	for i := range out {
		out[i].Values = slices.Clone(out[i].Values)
	}
	return out
}

func specOf(f Field) (FieldSpec, bool) {
	for _, s := range fieldSpecs {
		if s.Field == f {
			return s, true
		}
	}
	return FieldSpec{}, false
}

var opsByType = map[Type][]Op{
	TypeText:   {OpEq, OpNe, OpIn, OpNotIn},
	TypeNumber: {OpEq, OpNe, OpLt, OpLte, OpGt, OpGte, OpBetween},
	TypeSet:    {OpHas, OpHasAny, OpHasAll, OpHasNone},
}

// Limits of a segment, so that a request cannot make evaluation costly.
const (
	MaxDepth      = 16
	MaxNodes      = 256
	MaxListValues = 1000
	MaxTextLength = 200
)

// CondKind is the kind of a normalised condition.
type CondKind string

// The condition kinds.
const (
	CondTrue  CondKind = "true"  // matches everyone (the empty segment)
	CondAnd   CondKind = "and"   // every Conds matches
	CondOr    CondKind = "or"    // any Conds matches
	CondNot   CondKind = "not"   // Conds[0] does not match
	CondText  CondKind = "text"  // Column is one of Values (Negate: none of them)
	CondSet   CondKind = "set"   // Column holds Values per Mode
	CondRange CondKind = "range" // Column (a number) lies in [Min, Max]
	CondDates CondKind = "dates" // Column (a date) lies in [From, To]
)

// SetMode says how a set condition compares.
type SetMode string

// The set modes.
const (
	SetAny  SetMode = "any"  // at least one of Values
	SetAll  SetMode = "all"  // every one of Values
	SetNone SetMode = "none" // none of Values
)

// Cond is a validated, normalised segment as of a date: number leaves are
// inclusive ranges, and ages and days-since are turned into date ranges on
// the underlying date column, so that the memory evaluator and an SQL
// translation compare the very same bounds. Range and date conditions are
// false for a customer without the value, whether Negate is set or not.
type Cond struct {
	Kind   CondKind `json:"kind"`
	Conds  []Cond   `json:"conds,omitempty"`
	Column Column   `json:"column,omitempty"`
	Values []string `json:"values,omitempty"`
	Mode   SetMode  `json:"mode,omitempty"`
	// Negate inverts a text, range or dates condition (a missing value
	// still does not match).
	Negate bool `json:"negate,omitempty"`
	// Min and Max bound a range condition; HasMin and HasMax say which are set.
	Min, Max       int64
	HasMin, HasMax bool
	// From and To bound a dates condition inclusively; a zero bound is open.
	From, To dealercrm.Date
}

// Compile validates s and returns its normalised condition as of asOf (the
// date ages and days are counted to). Errors are a *crm.ValidationError
// whose fields are JSON paths under "segment" ("segment.and[2].value").
func (s Segment) Compile(asOf dealercrm.Date) (Cond, error) { return s.compile("segment", asOf) }

func (s *Segment) compile(path string, asOf dealercrm.Date) (Cond, error) {
	if !asOf.Valid() {
		return Cond{}, &crm.ValidationError{Entity: "segment", Fields: []crm.FieldError{{Field: "as_of", Rule: crm.RuleFormat, Message: "is not a valid date"}}}
	}
	if s.IsZero() {
		return Cond{Kind: CondTrue}, nil
	}
	c := compiler{asOf: asOf}
	cond := c.node(path, s, 0)
	if err := c.k.Err("segment"); err != nil {
		return Cond{}, err
	}
	return cond, nil
}

type compiler struct {
	k     crm.Checker
	asOf  dealercrm.Date
	nodes int
}

func (c *compiler) node(path string, s *Segment, depth int) Cond {
	c.nodes++
	if c.nodes > MaxNodes {
		if c.nodes == MaxNodes+1 {
			c.k.Add(path, RuleTooLarge, "a segment has at most %d nodes", MaxNodes)
		}
		return Cond{}
	}
	if depth > MaxDepth {
		c.k.Add(path, RuleTooLarge, "a segment nests at most %d levels", MaxDepth)
		return Cond{}
	}
	shapes := 0
	for _, set := range []bool{s.And != nil, s.Or != nil, s.Not != nil, s.Field != "" || s.Op != "" || len(s.Value) > 0} {
		if set {
			shapes++
		}
	}
	if shapes != 1 {
		c.k.Add(path, RuleShape, "must be exactly one of and, or, not or a leaf {field, op, value}")
		return Cond{}
	}
	switch {
	case s.And != nil || s.Or != nil:
		kind, list, name := CondAnd, s.And, "and"
		if s.Or != nil {
			kind, list, name = CondOr, s.Or, "or"
		}
		if len(list) == 0 {
			c.k.Add(path+"."+name, crm.RuleRequired, "needs at least one condition")
			return Cond{}
		}
		out := Cond{Kind: kind, Conds: make([]Cond, len(list))}
		for i := range list {
			out.Conds[i] = c.node(fmt.Sprintf("%s.%s[%d]", path, name, i), &list[i], depth+1)
		}
		return out
	case s.Not != nil:
		return Cond{Kind: CondNot, Conds: []Cond{c.node(path+".not", s.Not, depth+1)}}
	}
	return c.leaf(path, s)
}

func (c *compiler) leaf(path string, s *Segment) Cond {
	spec, ok := specOf(s.Field)
	if !ok {
		if s.Field == "" {
			c.k.Add(path+".field", crm.RuleRequired, "is required")
		} else {
			c.k.Add(path+".field", RuleUnknownField, "%q is not a segment field", truncate(string(s.Field)))
		}
		return Cond{}
	}
	if !slices.Contains(opsByType[spec.Type], s.Op) {
		c.k.Add(path+".op", RuleOperator, "%s (%s) takes one of %v", spec.Field, spec.Type, opsByType[spec.Type])
		return Cond{}
	}
	vpath := path + ".value"
	if len(s.Value) == 0 {
		c.k.Add(vpath, crm.RuleRequired, "is required")
		return Cond{}
	}
	switch spec.Type {
	case TypeText:
		var vals []string
		if s.Op == OpEq || s.Op == OpNe {
			v, ok := c.str(vpath, s.Value, spec)
			if !ok {
				return Cond{}
			}
			vals = []string{v}
		} else if vals, ok = c.list(vpath, s.Value, spec); !ok {
			return Cond{}
		}
		return Cond{Kind: CondText, Column: spec.Column, Values: vals, Negate: s.Op == OpNe || s.Op == OpNotIn}
	case TypeSet:
		var vals []string
		if s.Op == OpHas {
			v, ok := c.str(vpath, s.Value, spec)
			if !ok {
				return Cond{}
			}
			vals = []string{v}
		} else if vals, ok = c.list(vpath, s.Value, spec); !ok {
			return Cond{}
		}
		mode := map[Op]SetMode{OpHas: SetAny, OpHasAny: SetAny, OpHasAll: SetAll, OpHasNone: SetNone}[s.Op]
		return Cond{Kind: CondSet, Column: spec.Column, Values: vals, Mode: mode}
	}
	// A number: normalise to an inclusive range, maybe negated.
	var lo, hi int64
	hasLo, hasHi, neg := false, false, false
	if s.Op == OpBetween {
		var pair []json.RawMessage
		if err := json.Unmarshal(s.Value, &pair); err != nil || len(pair) != 2 {
			c.k.Add(vpath, RuleValueType, "must be a list of two integers [from, to]")
			return Cond{}
		}
		a, ok1 := c.num(vpath+"[0]", pair[0], spec)
		b, ok2 := c.num(vpath+"[1]", pair[1], spec)
		if !ok1 || !ok2 {
			return Cond{}
		}
		if b < a {
			c.k.Add(vpath, crm.RuleOrder, "the upper bound %d is below the lower bound %d", b, a)
			return Cond{}
		}
		lo, hi, hasLo, hasHi = a, b, true, true
	} else {
		n, ok := c.num(vpath, s.Value, spec)
		if !ok {
			return Cond{}
		}
		switch s.Op {
		case OpEq:
			lo, hi, hasLo, hasHi = n, n, true, true
		case OpNe:
			lo, hi, hasLo, hasHi, neg = n, n, true, true, true
		case OpLt:
			hi, hasHi = n-1, true
		case OpLte:
			hi, hasHi = n, true
		case OpGt:
			lo, hasLo = n+1, true
		case OpGte:
			lo, hasLo = n, true
		}
	}
	if !spec.years && !spec.days {
		return Cond{Kind: CondRange, Column: spec.Column, Min: lo, Max: hi, HasMin: hasLo, HasMax: hasHi, Negate: neg}
	}
	// n years (days) ago: a value ≥ lo means the date is on or before
	// asOf − lo; a value ≤ hi means it is after asOf − (hi+1).
	back := func(n int64) dealercrm.Date {
		if spec.years {
			return c.asOf.AddYears(-int(n))
		}
		return c.asOf.AddDays(-int(n))
	}
	out := Cond{Kind: CondDates, Column: spec.Column, Negate: neg}
	if hasLo {
		out.To = back(lo)
	}
	if hasHi {
		out.From = back(hi + 1).AddDays(1)
	}
	return out
}

// isNull reports whether raw is JSON null, which decodes into a string or
// a number without an error but is not one.
func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (c *compiler) str(path string, raw json.RawMessage, spec FieldSpec) (string, bool) {
	var v string
	if isNull(raw) || json.Unmarshal(raw, &v) != nil {
		c.k.Add(path, RuleValueType, "must be a string")
		return "", false
	}
	return v, c.checkText(path, v, spec)
}

func (c *compiler) checkText(path, v string, spec FieldSpec) bool {
	switch {
	case strings.ContainsRune(v, 0):
		c.k.Add(path, crm.RuleFormat, "must not contain a NUL character")
	case len([]rune(v)) > MaxTextLength:
		c.k.Add(path, crm.RuleMaxLength, "is longer than %d characters", MaxTextLength)
	case spec.Values != nil && !slices.Contains(spec.Values, v):
		c.k.Add(path, crm.RuleEnum, "must be one of %v", spec.Values)
	case spec.Field == FieldConsent && !validConsent(v):
		c.k.Add(path, crm.RuleFormat, `must be "purpose:channel", e.g. "marketing:sms"`)
	case spec.Type == TypeSet && strings.TrimSpace(v) == "":
		c.k.Add(path, crm.RuleRequired, "must not be empty")
	default:
		return true
	}
	return false
}

func validConsent(v string) bool {
	p, ch, ok := strings.Cut(v, ":")
	return ok && crm.Purpose(p).Valid() && crm.Channel(ch).Valid()
}

// ConsentKey returns the set value of a consent ("marketing:sms").
func ConsentKey(p crm.Purpose, ch crm.Channel) string { return string(p) + ":" + string(ch) }

func (c *compiler) list(path string, raw json.RawMessage, spec FieldSpec) ([]string, bool) {
	var vs []string
	if err := json.Unmarshal(raw, &vs); err != nil {
		c.k.Add(path, RuleValueType, "must be a list of strings")
		return nil, false
	}
	if len(vs) == 0 || len(vs) > MaxListValues {
		c.k.Add(path, RuleRange, "must list from 1 to %d values", MaxListValues)
		return nil, false
	}
	ok := true
	for i, v := range vs {
		ok = c.checkText(fmt.Sprintf("%s[%d]", path, i), v, spec) && ok
	}
	return vs, ok
}

func (c *compiler) num(path string, raw json.RawMessage, spec FieldSpec) (int64, bool) {
	var f float64
	if isNull(raw) || json.Unmarshal(raw, &f) != nil {
		c.k.Add(path, RuleValueType, "must be an integer")
		return 0, false
	}
	if f != math.Trunc(f) {
		c.k.Add(path, RuleValueType, "must be a whole number of %s", spec.Unit)
		return 0, false
	}
	if f < 0 || f > float64(spec.Max) {
		c.k.Add(path, RuleRange, "must be from 0 to %d %s", spec.Max, spec.Unit)
		return 0, false
	}
	return int64(f), true
}
