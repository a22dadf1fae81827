package crm

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm"
)

// Paging limits of List.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// PageRequest asks for one page of a listing, in ascending ID order.
type PageRequest struct {
	// After is the cursor of the previous page (Page.Next); empty for the first.
	After string `json:"after,omitempty"`
	// Limit is the page size: 0 means DefaultLimit, more than MaxLimit is capped.
	Limit int `json:"limit,omitempty"`
}

// Size returns the effective page size.
func (p PageRequest) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// AfterID decodes the cursor into the ID listing resumes after ("" for the
// first page). A cursor that no listing returns — not unpadded URL-safe
// base64, empty once decoded, or decoding to text CheckText refuses (a NUL,
// invalid UTF-8: no stored ID holds either) — is a *ValidationError on field
// "after", the same on every store.
func (p PageRequest) AfterID() (string, error) {
	if p.After == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.After)
	if _, bad := CheckText("after", string(b)); err != nil || len(b) == 0 || bad {
		return "", &ValidationError{Entity: "page", Fields: []FieldError{{Field: "after", Rule: RuleFormat, Message: "is not a cursor returned by a previous page"}}}
	}
	return string(b), nil
}

// Page is one page of a listing. Next is the cursor of the following page,
// empty on the last one.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// NewPage builds a page from up to size+1 items fetched in ID order: when
// there are more than size, the extra one is dropped and Next points past the
// last kept item. Store implementations use it so that cursors agree.
func NewPage[T any](items []T, size int, id func(T) string) Page[T] {
	if len(items) <= size {
		if items == nil {
			items = []T{}
		}
		return Page[T]{Items: items}
	}
	items = items[:size]
	return Page[T]{Items: items, Next: base64.RawURLEncoding.EncodeToString([]byte(id(items[size-1])))}
}

// UpsertOutcome says what a bulk upsert did with one item.
type UpsertOutcome string

// The upsert outcomes.
const (
	Created   UpsertOutcome = "created"
	Updated   UpsertOutcome = "updated"
	Unchanged UpsertOutcome = "unchanged"
)

// UpsertResult reports one item of a bulk upsert: its external ID, the ID it
// has in dealercrm, and what happened.
type UpsertResult struct {
	ExternalID string        `json:"external_id"`
	ID         string        `json:"id"`
	Outcome    UpsertOutcome `json:"outcome"`
}

// ConflictError is the error of a write that would take a unique key (the
// ID, the external ID, a vehicle's VIN) another record of the dealer holds.
// Its code is dealercrm.Conflict: errors.Is(err, ErrConflict) is true. It
// names the field, never the value nor how the store keeps the key.
type ConflictError struct {
	// Entity names the kind of record ("vehicle").
	Entity string
	// Field is the key's JSON name ("vin"), or its path in a batch
	// ("items[2].external_id").
	Field string
}

// Error implements error: "vin is already registered to another vehicle of
// this dealer".
func (e *ConflictError) Error() string {
	msg := e.Field + " is already registered to another " + e.Entity
	if e.Entity != "dealer" {
		msg += " of this dealer"
	}
	return msg
}

// ErrorCode implements dealercrm.Coder.
func (e *ConflictError) ErrorCode() dealercrm.Code { return dealercrm.Conflict }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == dealercrm.ErrConflict }

// CheckArgs returns a *ValidationError of entity naming every identifying
// argument (field, value pairs: "id", id, "external_id", ext) that CheckText
// refuses, or nil. No record can hold such a value, and PostgreSQL cannot
// even receive a NUL, so stores refuse it before a lookup, all alike.
func CheckArgs(entity string, pairs ...string) error {
	var fields []FieldError
	for i := 0; i+1 < len(pairs); i += 2 {
		if fe, bad := CheckText(pairs[i], pairs[i+1]); bad {
			fields = append(fields, fe)
		}
	}
	if fields != nil {
		return &ValidationError{Entity: entity, Fields: fields}
	}
	return nil
}

// CheckBatch checks an upsert batch on its own, before a store looks at
// what it holds: every item has an external ID (ext returns it), none
// repeats an earlier item's, and all its text can be stored (CheckTexts).
// Every store runs it, so each names the same fields in the same order
// ("items[3].external_id"); it returns a *ValidationError of kind.
func CheckBatch[T any](kind string, items []T, ext func(*T) string) error {
	var fields []FieldError
	seen := make(map[string]int, len(items))
	for i := range items {
		item := fmt.Sprintf("items[%d]", i)
		e := ext(&items[i])
		first, dup := seen[e]
		switch {
		case e == "":
			fields = append(fields, FieldError{Field: item + ".external_id", Rule: RuleRequired, Message: "is required"})
		case dup:
			fields = append(fields, FieldError{Field: item + ".external_id", Rule: RuleUnique,
				Message: fmt.Sprintf("repeats the external id of items[%d]", first)})
		default:
			seen[e] = i
		}
		fields = append(fields, CheckTexts(item+".", &items[i])...)
	}
	if fields != nil {
		return &ValidationError{Entity: kind, Fields: fields}
	}
	return nil
}

// CheckTexts returns the FieldErrors of every string in v that CheckText
// refuses (a NUL, invalid UTF-8), named by JSON path after prefix: with
// prefix "items[2].", a bad hobby of a customer is "items[2].hobbies[0]".
// v is a record, a filter or any other value; exported fields of structs
// (embedded ones promoted, as in JSON), pointers, slices, arrays and maps
// (keys too) are walked. It returns nil when all text is fine.
//
// Stores run it on every record they write and every filter they read,
// so that each backend refuses the same text with the same error:
// PostgreSQL cannot store a NUL at all.
func CheckTexts(prefix string, v any) []FieldError {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || !hasText(rv.Type()) || !badText(rv) {
		return nil // the common case, checked without building paths
	}
	var out []FieldError
	walkText(rv, &textPath{name: strings.TrimSuffix(prefix, ".")}, &out)
	return out
}

// badText reports whether v holds a string CheckText refuses.
func badText(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && badText(v.Elem())
	case reflect.Slice, reflect.Array:
		if hasText(v.Type().Elem()) {
			for i := range v.Len() {
				if badText(v.Index(i)) {
					return true
				}
			}
		}
	case reflect.Map:
		if hasText(v.Type().Key()) || hasText(v.Type().Elem()) {
			it := v.MapRange()
			for it.Next() {
				if badText(it.Key()) || badText(it.Value()) {
					return true
				}
			}
		}
	case reflect.Struct:
		for _, f := range textFields(v.Type()) {
			if badText(v.Field(f.index)) {
				return true
			}
		}
	}
	return false
}

// textPath is the JSON path of a value being walked, built into a string
// only for a value at fault.
type textPath struct {
	parent *textPath
	name   string // a field name, or "" for an element
	index  string // an element's index or map key
}

func (p *textPath) String() string {
	if p == nil {
		return ""
	}
	s := p.parent.String()
	switch {
	case p.name == "" && p.index == "":
		return s
	case p.name == "":
		return s + "[" + p.index + "]"
	case s == "":
		return p.name
	}
	return s + "." + p.name
}

func walkText(v reflect.Value, path *textPath, out *[]FieldError) {
	switch v.Kind() {
	case reflect.String:
		if fe, bad := CheckText("", v.String()); bad {
			fe.Field = path.String()
			*out = append(*out, fe)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkText(v.Elem(), path, out)
		}
	case reflect.Slice, reflect.Array:
		if !hasText(v.Type().Elem()) {
			return
		}
		for i := range v.Len() {
			walkText(v.Index(i), &textPath{parent: path, index: strconv.Itoa(i)}, out)
		}
	case reflect.Map:
		if !hasText(v.Type().Key()) && !hasText(v.Type().Elem()) {
			return
		}
		it := v.MapRange()
		for it.Next() {
			key := it.Key()
			walkText(key, path, out)
			index := "?"
			if key.Kind() == reflect.String {
				if _, bad := CheckText("", key.String()); !bad {
					index = key.String()
				}
			}
			walkText(it.Value(), &textPath{parent: path, index: index}, out)
		}
	case reflect.Struct:
		for _, f := range textFields(v.Type()) {
			walkText(v.Field(f.index), &textPath{parent: path, name: f.name}, out)
		}
	}
}

// textField is a struct field that may hold text: its index and JSON name
// ("" for an embedded struct, whose fields are promoted).
type textField struct {
	index int
	name  string
}

// Per type, what the walks need to know; computed once.
var (
	textPlans  sync.Map // reflect.Type (struct) → []textField
	textInside sync.Map // reflect.Type → bool
)

// textFields returns the fields of struct type t that may hold text.
func textFields(t reflect.Type) []textField {
	if fs, ok := textPlans.Load(t); ok {
		return fs.([]textField)
	}
	fs := []textField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || !hasText(f.Type) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case f.Anonymous && name == "":
			// promoted, as encoding/json does
		case name == "":
			name = f.Name
		}
		fs = append(fs, textField{index: i, name: name})
	}
	textPlans.Store(t, fs)
	return fs
}

// hasText reports whether a value of type t may hold a string.
func hasText(t reflect.Type) bool {
	if has, ok := textInside.Load(t); ok {
		return has.(bool)
	}
	has := typeHasText(t, map[reflect.Type]bool{})
	textInside.Store(t, has)
	return has
}

func typeHasText(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false // a cycle adds nothing its first visit does not find
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return typeHasText(t.Elem(), seen)
	case reflect.Map:
		return typeHasText(t.Key(), seen) || typeHasText(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && typeHasText(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// Repository is the storage of one kind of dealer-owned entity T with ID type
// ID and list filter F. Every method is scoped to one dealer: no method reads
// or writes another dealer's records. Stores do not validate business rules;
// the Service does, before it writes.
//
// Values are copied in and out: a caller never shares memory with the store.
// Times come back in UTC.
//
// Text a store cannot keep exactly — a NUL character or invalid UTF-8, in a
// record, an ID, an external ID or a filter — is a *ValidationError with
// rule RuleText naming the field (see CheckTexts), on every method and every
// store alike: such a value is never written, so it never matches either.
type Repository[T any, ID ~string, F any] interface {
	// Create stores a new record. It returns a *ConflictError (code
	// Conflict, errors.Is(err, ErrConflict)) naming the first key taken for
	// this dealer, in the order id, external_id, then the entity's other
	// unique keys (a vehicle's vin), and a *ValidationError when the record
	// has no ID or dealer.
	Create(ctx context.Context, v *T) error
	// Get returns the record, or ErrNotFound.
	Get(ctx context.Context, dealer DealerID, id ID) (T, error)
	// GetByExternalID returns the record with the DMS's identifier ext, or ErrNotFound.
	GetByExternalID(ctx context.Context, dealer DealerID, ext string) (T, error)
	// Update reads the record, lets fn change it and writes it back
	// atomically: concurrent Updates of one record are serialised. An error
	// from fn is returned as it is and nothing is written. It returns
	// ErrNotFound, and a *ConflictError when the change takes a unique key
	// (external_id first, then the entity's other keys).
	Update(ctx context.Context, dealer DealerID, id ID, fn func(*T) error) (T, error)
	// Delete removes the record, or returns ErrNotFound.
	Delete(ctx context.Context, dealer DealerID, id ID) error
	// List returns the dealer's records that match f, in ascending ID order,
	// one page at a time. A malformed cursor is a *ValidationError.
	List(ctx context.Context, dealer DealerID, f F) (Page[T], error)
	// Upsert writes items keyed by their external IDs, which must be set and
	// distinct: an item whose external ID is new is created with the ID it
	// carries; one that exists keeps its ID and CreatedAt and takes every
	// other field, or is left untouched (UpdatedAt too) when nothing differs.
	// Results are in the order of items. It is all or nothing.
	//
	// A batch with an empty or repeated external ID, or text CheckTexts
	// refuses, is a *ValidationError naming items[i] before anything is
	// looked up; then a new item without an ID is one too. Items apply in
	// order, each seeing the ones before it: the first that would take a
	// key another record holds is a *ConflictError naming items[i].id or
	// items[i].vin, and nothing is written.
	Upsert(ctx context.Context, dealer DealerID, items []T) ([]UpsertResult, error)
	// ResolveExternalIDs maps external IDs to IDs; unknown ones and "" are
	// absent.
	ResolveExternalIDs(ctx context.Context, dealer DealerID, exts []string) (map[string]ID, error)
}

// DealerFilter filters dealers.
type DealerFilter struct {
	GroupID GroupID `json:"group_id,omitempty"`
	PageRequest
}

// DealerStore stores dealers, the tenants.
type DealerStore interface {
	// Create stores a new dealer; a *ConflictError naming "id" when the ID
	// is taken, a *ValidationError when it is empty.
	Create(ctx context.Context, d *Dealer) error
	// Get returns the dealer, or ErrNotFound.
	Get(ctx context.Context, id DealerID) (Dealer, error)
	// Update changes the dealer atomically (see Repository.Update).
	Update(ctx context.Context, id DealerID, fn func(*Dealer) error) (Dealer, error)
	// List returns dealers in ID order, one page at a time.
	List(ctx context.Context, f DealerFilter) (Page[Dealer], error)
}

// CustomerFilter filters customers; empty fields match everything.
type CustomerFilter struct {
	Kind   CustomerKind `json:"kind,omitempty"`
	Mobile string       `json:"mobile,omitempty"`
	// Name finds the customers whose name contains the text, character for
	// character but for the case of ASCII letters (马洁, 马 and 洁 all find
	// 马洁; zhang finds Zhang; see NameSearchKey). At most MaxSearchText
	// characters, no control characters (see Validate).
	Name string `json:"name,omitempty"`
	// IDNumber finds a customer by resident ID card number (normalised,
	// see NormalizeIDNumber).
	IDNumber     string  `json:"id_number,omitempty"`
	ConsultantID StaffID `json:"consultant_id,omitempty"`
	AdvisorID    StaffID `json:"advisor_id,omitempty"`
	PageRequest
}

// LeadFilter filters leads.
type LeadFilter struct {
	Status       LeadStatus    `json:"status,omitempty"`
	Levels       []IntentLevel `json:"levels,omitempty"`
	ConsultantID StaffID       `json:"consultant_id,omitempty"`
	// CustomerID matches the lead's customer or its referrer.
	CustomerID CustomerID `json:"customer_id,omitempty"`
	Source     Source     `json:"source,omitempty"`
	// IDs selects some leads by ID (the call list reads the leads of a
	// page's lead tasks at once); unknown IDs match nothing.
	IDs []LeadID `json:"ids,omitempty"`
	PageRequest
}

// VehicleFilter filters vehicles.
type VehicleFilter struct {
	OwnerID CustomerID `json:"owner_id,omitempty"`
	VIN     string     `json:"vin,omitempty"`
	Model   string     `json:"model,omitempty"`
	// Plate finds the vehicles whose plate contains the text, both compared
	// as PlateKey gives them (沪A·12345 is found by 沪a12345 and by 12345).
	// At most MaxSearchText characters, not only separators (see Validate).
	Plate string `json:"plate,omitempty"`
	PageRequest
}

// DateRange is an inclusive range of calendar dates; a zero bound is open.
type DateRange struct {
	From dealercrm.Date `json:"from,omitempty"`
	To   dealercrm.Date `json:"to,omitempty"`
}

// Contains reports whether d lies in the range.
func (r DateRange) Contains(d dealercrm.Date) bool {
	return (r.From.IsZero() || !d.Before(r.From)) && (r.To.IsZero() || !d.After(r.To))
}

// SaleFilter filters sales; Dates applies to Sale.Date.
type SaleFilter struct {
	CustomerID   CustomerID `json:"customer_id,omitempty"`
	VehicleID    VehicleID  `json:"vehicle_id,omitempty"`
	ConsultantID StaffID    `json:"consultant_id,omitempty"`
	Dates        DateRange  `json:"dates"`
	PageRequest
}

// ServiceOrderFilter filters service orders; Dates applies to ServiceOrder.Date.
type ServiceOrderFilter struct {
	CustomerID CustomerID  `json:"customer_id,omitempty"`
	VehicleID  VehicleID   `json:"vehicle_id,omitempty"`
	AdvisorID  StaffID     `json:"advisor_id,omitempty"`
	Kind       ServiceKind `json:"kind,omitempty"`
	Dates      DateRange   `json:"dates"`
	PageRequest
}

// PolicyFilter filters insurance policies; Ends applies to InsurancePolicy.End.
type PolicyFilter struct {
	CustomerID CustomerID `json:"customer_id,omitempty"`
	VehicleID  VehicleID  `json:"vehicle_id,omitempty"`
	Ends       DateRange  `json:"ends"`
	PageRequest
}

// InteractionFilter filters interactions; From and To bound At (From
// inclusive, To exclusive).
type InteractionFilter struct {
	CustomerID CustomerID `json:"customer_id,omitempty"`
	LeadID     LeadID     `json:"lead_id,omitempty"`
	StaffID    StaffID    `json:"staff_id,omitempty"`
	From       time.Time  `json:"from,omitzero"`
	To         time.Time  `json:"to,omitzero"`
	PageRequest
}

// ComplaintFilter filters complaints.
type ComplaintFilter struct {
	CustomerID CustomerID      `json:"customer_id,omitempty"`
	Status     ComplaintStatus `json:"status,omitempty"`
	PageRequest
}

// ParticipationFilter filters event participations.
type ParticipationFilter struct {
	CustomerID CustomerID `json:"customer_id,omitempty"`
	EventID    EventID    `json:"event_id,omitempty"`
	PageRequest
}

// The per-aggregate stores. Each is a Repository; VehicleStore also treats
// the VIN as a unique key per dealer (ErrConflict on a duplicate).
type (
	CustomerStore interface {
		Repository[Customer, CustomerID, CustomerFilter]
	}
	LeadStore interface {
		Repository[Lead, LeadID, LeadFilter]
	}
	VehicleStore interface {
		Repository[Vehicle, VehicleID, VehicleFilter]
	}
	SaleStore interface {
		Repository[Sale, SaleID, SaleFilter]
	}
	ServiceOrderStore interface {
		Repository[ServiceOrder, ServiceOrderID, ServiceOrderFilter]
	}
	PolicyStore interface {
		Repository[InsurancePolicy, PolicyID, PolicyFilter]
	}
	InteractionStore interface {
		Repository[Interaction, InteractionID, InteractionFilter]
	}
	ComplaintStore interface {
		Repository[Complaint, ComplaintID, ComplaintFilter]
	}
	ParticipationStore interface {
		Repository[EventParticipation, ParticipationID, ParticipationFilter]
	}
)

// Store gives access to every crm store and is the unit of work: InTx runs a
// function whose writes through tx all commit or all roll back.
type Store interface {
	Dealers() DealerStore
	Customers() CustomerStore
	Leads() LeadStore
	Vehicles() VehicleStore
	Sales() SaleStore
	ServiceOrders() ServiceOrderStore
	Policies() PolicyStore
	Interactions() InteractionStore
	Complaints() ComplaintStore
	Participations() ParticipationStore
	// Events takes the events of the changes made through the Store: on
	// the Store InTx passes to its function they commit or vanish with
	// the transaction.
	Events() EventWriter

	// InTx runs fn in a transaction. Everything fn does through tx commits
	// when fn returns nil and rolls back when it returns an error or panics;
	// InTx returns fn's error, or the commit's. Calling InTx on tx runs fn in
	// the same transaction. Use only tx inside fn: the outer Store may block
	// until the transaction ends.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error
}

// Each walks every page of a listing in order: list is called with the
// cursor of the page to fetch ("" for the first) and fn with each item. It
// stops at the first error from list or fn, or when ctx is done.
//
//	err := crm.Each(ctx, func(after string) (crm.Page[crm.Vehicle], error) {
//		return store.Vehicles().List(ctx, dealer, crm.VehicleFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
//	}, func(v *crm.Vehicle) error { … })
func Each[T any](ctx context.Context, list func(after string) (Page[T], error), fn func(*T) error) error {
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := list(after)
		if err != nil {
			return err
		}
		for i := range p.Items {
			if err := fn(&p.Items[i]); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		after = p.Next
	}
}

// All collects every item of a listing (see Each); nil when there is none.
func All[T any](ctx context.Context, list func(after string) (Page[T], error)) ([]T, error) {
	var out []T
	err := Each(ctx, list, func(v *T) error {
		out = append(out, *v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
