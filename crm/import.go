package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Batch is a set of records from a host DMS to upsert in one go (see
// Service.Import). Every record must carry its ExternalID (the DMS's own
// identifier), and every reference between records — Vehicle.OwnerID,
// Sale.VehicleID, ServiceOrder.CustomerID, … — holds the referenced record's
// ExternalID, not a dealercrm ID: the DMS only knows its own numbering.
// A reference may point to a record of the same batch or to one imported
// before. IDs, dealer and UpdatedAt in the batch are ignored; CreatedAt,
// when set, is the DMS's creation time of a new record. Lead.SaleID is
// ignored too: the link is Sale.LeadID.
type Batch struct {
	Customers      []Customer           `json:"customers,omitempty"`
	Vehicles       []Vehicle            `json:"vehicles,omitempty"`
	Leads          []Lead               `json:"leads,omitempty"`
	Sales          []Sale               `json:"sales,omitempty"`
	ServiceOrders  []ServiceOrder       `json:"service_orders,omitempty"`
	Policies       []InsurancePolicy    `json:"policies,omitempty"`
	Interactions   []Interaction        `json:"interactions,omitempty"`
	Complaints     []Complaint          `json:"complaints,omitempty"`
	Participations []EventParticipation `json:"participations,omitempty"`
}

// DefaultMaxImportRecords is how many records one Import takes, all kinds
// together, unless WithMaxImportRecords says otherwise. Ten thousand
// typical records are about 7 MB of JSON; a DMS sends more as several
// batches.
const DefaultMaxImportRecords = 10_000

// MaxImportErrors is how many field errors a rejected Import lists; the
// *ValidationError's Total counts them all.
const MaxImportErrors = 100

// WithMaxImportRecords caps the records of one Import, all kinds together
// (DefaultMaxImportRecords). A larger batch is rejected whole with a
// *ValidationError naming the Batch field at which the count passes the
// cap, rule RuleMax. n ≤ 0 keeps the default.
func WithMaxImportRecords(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.maxImport = n
		}
	}
}

// MaxImportRecords returns the most records one Import takes.
func (s *Service) MaxImportRecords() int {
	if s.maxImport > 0 {
		return s.maxImport
	}
	return DefaultMaxImportRecords
}

// Len returns the number of records in the batch.
func (b *Batch) Len() int {
	return len(b.Customers) + len(b.Vehicles) + len(b.Leads) + len(b.Sales) + len(b.ServiceOrders) +
		len(b.Policies) + len(b.Interactions) + len(b.Complaints) + len(b.Participations)
}

// ImportResult reports what Import did with each record, per kind, in batch order.
type ImportResult struct {
	Customers      []UpsertResult `json:"customers,omitempty"`
	Vehicles       []UpsertResult `json:"vehicles,omitempty"`
	Leads          []UpsertResult `json:"leads,omitempty"`
	Sales          []UpsertResult `json:"sales,omitempty"`
	ServiceOrders  []UpsertResult `json:"service_orders,omitempty"`
	Policies       []UpsertResult `json:"policies,omitempty"`
	Interactions   []UpsertResult `json:"interactions,omitempty"`
	Complaints     []UpsertResult `json:"complaints,omitempty"`
	Participations []UpsertResult `json:"participations,omitempty"`
}

// Counts returns how many records were created, updated and left unchanged.
func (r *ImportResult) Counts() map[UpsertOutcome]int {
	n := map[UpsertOutcome]int{Created: 0, Updated: 0, Unchanged: 0}
	for _, rs := range [][]UpsertResult{r.Customers, r.Vehicles, r.Leads, r.Sales, r.ServiceOrders,
		r.Policies, r.Interactions, r.Complaints, r.Participations} {
		for _, x := range rs {
			n[x.Outcome]++
		}
	}
	return n
}

// target names the kind a reference points to.
type target int

const (
	toCustomer target = iota
	toVehicle
	toLead
	toServiceOrder
	numTargets
)

// ref is one reference field of an imported record.
type ref[P any] struct {
	field string
	to    target
	get   func(P) string
	set   func(P, string)
}

// importer imports the records of one kind.
type importer[T any, ID ~string, F any, P entity[T]] struct {
	k    kind[T, ID, F, P]
	json string // the Batch field, for error paths
	self target // what others call this kind; numTargets when nobody refers to it
	refs []ref[P]
}

// importState carries the external → internal ID maps of one Import.
type importState struct {
	dealer DealerID
	now    time.Time
	// inBatch holds the external IDs of each referable kind in the batch.
	inBatch [numTargets]map[string]bool
	// ids maps external IDs to IDs, from upsert results and store lookups.
	ids [numTargets]map[string]string
	// omitted counts the field errors beyond the first MaxImportErrors,
	// which are not kept.
	omitted int
}

// trim keeps the first MaxImportErrors field errors of c and counts the
// rest, so that a batch broken everywhere costs no more memory than one
// broken a hundred times.
func (st *importState) trim(c *checker) {
	if n := len(c.Fields); n > MaxImportErrors {
		st.omitted += n - MaxImportErrors
		c.Fields = c.Fields[:MaxImportErrors]
	}
}

// err returns the *ValidationError of the import, nil when nothing broke a
// rule: the first MaxImportErrors field errors and, when there are more,
// their Total.
func (st *importState) err(c *checker) error {
	st.trim(c)
	err := c.err("import")
	if ve, ok := err.(*ValidationError); ok && st.omitted > 0 {
		ve.Total = len(ve.Fields) + st.omitted
	}
	return err
}

// checkSize rejects a batch of more than limit records, naming the Batch
// field at which the count passes limit.
func (b *Batch) checkSize(limit int) error {
	total := b.Len()
	if total <= limit {
		return nil
	}
	n := 0
	for _, sec := range []struct {
		field string
		n     int
	}{
		{"customers", len(b.Customers)}, {"vehicles", len(b.Vehicles)}, {"leads", len(b.Leads)}, {"sales", len(b.Sales)},
		{"service_orders", len(b.ServiceOrders)}, {"policies", len(b.Policies)}, {"interactions", len(b.Interactions)},
		{"complaints", len(b.Complaints)}, {"participations", len(b.Participations)},
	} {
		if n += sec.n; n > limit {
			return &ValidationError{Entity: "import", Fields: []FieldError{{Field: sec.field, Rule: RuleMax,
				Message: fmt.Sprintf("the batch holds %d records; at most %d are allowed in one batch", total, limit)}}}
		}
	}
	return nil
}

// prepare normalises and validates items (cloned) and collects the
// references that are not in the batch, per target.
func (im importer[T, ID, F, P]) prepare(s *Service, st *importState, items []T, c *checker, missing *[numTargets]map[string][]string) []T {
	out := make([]T, len(items))
	for i := range items {
		v := P(&out[i])
		*v = items[i]
		path := im.json + "[" + strconv.Itoa(i) + "]"
		m := v.Meta()
		// The DMS's own creation time is kept (a lead's age matters); the
		// store keeps the stored one for records that exist already.
		m.DealerID, m.UpdatedAt = st.dealer, st.now
		if m.CreatedAt.IsZero() {
			m.CreatedAt = st.now
		}
		m.CreatedAt = m.CreatedAt.UTC().Truncate(time.Microsecond)
		*im.k.id(v) = ID(s.newID())
		if im.k.normalize != nil {
			im.k.normalize(v)
		}
		if m.ExternalID == "" {
			c.add(path+".external_id", RuleRequired, "is required in an import")
		} else if im.self != numTargets {
			st.inBatch[im.self][m.ExternalID] = true
		}
		// References hold external IDs: check them later, validate the rest.
		for _, r := range im.refs {
			ext := r.get(v)
			if _, bad := CheckText("", ext); ext == "" || bad {
				continue // bad text is named by validate, and never looked up
			}
			if missing[r.to] == nil {
				missing[r.to] = map[string][]string{}
			}
			missing[r.to][ext] = append(missing[r.to][ext], path+"."+r.field)
		}
		collect(c, path+".", validate(im.k.name, v))
		c.Prefix = path + "."
		plausible(c, v)
		c.Prefix = ""
		st.trim(c)
	}
	return out
}

// write resolves the references of items to IDs and upserts them.
func (im importer[T, ID, F, P]) write(ctx context.Context, tx Store, st *importState, items []T) ([]UpsertResult, error) {
	if len(items) == 0 {
		return nil, nil
	}
	for i := range items {
		v := P(&items[i])
		for _, r := range im.refs {
			if ext := r.get(v); ext != "" {
				r.set(v, st.ids[r.to][ext])
			}
		}
	}
	res, err := im.k.repo(tx).Upsert(ctx, st.dealer, items)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", im.json, inSection(err, im.json))
	}
	if im.self != numTargets {
		for _, r := range res {
			st.ids[im.self][r.ExternalID] = r.ID
		}
	}
	if im.k.events != nil {
		// The events of the records the batch created (a new customer's
		// consents). An update's are not known without reading every
		// record first: the send-time consent check covers them.
		var evs []Event
		for i, r := range res {
			if r.Outcome == Created && i < len(items) {
				v := items[i]
				*im.k.id(P(&v)) = ID(r.ID)
				evs = append(evs, im.k.events(nil, P(&v), st.now)...)
			}
		}
		if err := tx.Events().Add(ctx, evs...); err != nil {
			return nil, fmt.Errorf("%s: %w", im.json, err)
		}
	}
	return res, nil
}

// inSection names the fields of a store's error after the batch section
// (vehicles[3].vin) rather than the store's items (items[3].vin), so that
// the caller finds the record in what it sent.
func inSection(err error, section string) error {
	rename := func(field string) string {
		if rest, ok := strings.CutPrefix(field, "items["); ok {
			return section + "[" + rest
		}
		return field
	}
	if ce, ok := errors.AsType[*ConflictError](err); ok {
		c := *ce
		c.Field = rename(c.Field)
		return &c
	}
	if ve, ok := errors.AsType[*ValidationError](err); ok {
		v := *ve
		v.Fields = slices.Clone(v.Fields)
		for i := range v.Fields {
			v.Fields[i].Field = rename(v.Fields[i].Field)
		}
		return &v
	}
	return err
}

func customerRef[P any](field string, get func(P) CustomerID, set func(P, CustomerID)) ref[P] {
	return ref[P]{field, toCustomer, func(p P) string { return string(get(p)) }, func(p P, s string) { set(p, CustomerID(s)) }}
}

func vehicleRef[P any](field string, get func(P) VehicleID, set func(P, VehicleID)) ref[P] {
	return ref[P]{field, toVehicle, func(p P) string { return string(get(p)) }, func(p P, s string) { set(p, VehicleID(s)) }}
}

var (
	importCustomers = importer[Customer, CustomerID, CustomerFilter, *Customer]{k: customerKind, json: "customers", self: toCustomer}
	importVehicles  = importer[Vehicle, VehicleID, VehicleFilter, *Vehicle]{k: vehicleKind, json: "vehicles", self: toVehicle, refs: []ref[*Vehicle]{
		customerRef("owner_id", func(v *Vehicle) CustomerID { return v.OwnerID }, func(v *Vehicle, id CustomerID) { v.OwnerID = id }),
	}}
	importLeads = importer[Lead, LeadID, LeadFilter, *Lead]{k: leadKind, json: "leads", self: toLead, refs: []ref[*Lead]{
		customerRef("customer_id", func(v *Lead) CustomerID { return v.CustomerID }, func(v *Lead, id CustomerID) { v.CustomerID = id }),
		customerRef("referrer_id", func(v *Lead) CustomerID { return v.ReferrerID }, func(v *Lead, id CustomerID) { v.ReferrerID = id }),
	}}
	importSales = importer[Sale, SaleID, SaleFilter, *Sale]{k: saleKind, json: "sales", self: numTargets, refs: []ref[*Sale]{
		vehicleRef("vehicle_id", func(v *Sale) VehicleID { return v.VehicleID }, func(v *Sale, id VehicleID) { v.VehicleID = id }),
		customerRef("customer_id", func(v *Sale) CustomerID { return v.CustomerID }, func(v *Sale, id CustomerID) { v.CustomerID = id }),
		{"lead_id", toLead, func(v *Sale) string { return string(v.LeadID) }, func(v *Sale, s string) { v.LeadID = LeadID(s) }},
	}}
	importServiceOrders = importer[ServiceOrder, ServiceOrderID, ServiceOrderFilter, *ServiceOrder]{k: serviceOrderKind, json: "service_orders", self: toServiceOrder, refs: []ref[*ServiceOrder]{
		vehicleRef("vehicle_id", func(v *ServiceOrder) VehicleID { return v.VehicleID }, func(v *ServiceOrder, id VehicleID) { v.VehicleID = id }),
		customerRef("customer_id", func(v *ServiceOrder) CustomerID { return v.CustomerID }, func(v *ServiceOrder, id CustomerID) { v.CustomerID = id }),
	}}
	importPolicies = importer[InsurancePolicy, PolicyID, PolicyFilter, *InsurancePolicy]{k: policyKind, json: "policies", self: numTargets, refs: []ref[*InsurancePolicy]{
		vehicleRef("vehicle_id", func(v *InsurancePolicy) VehicleID { return v.VehicleID }, func(v *InsurancePolicy, id VehicleID) { v.VehicleID = id }),
		customerRef("customer_id", func(v *InsurancePolicy) CustomerID { return v.CustomerID }, func(v *InsurancePolicy, id CustomerID) { v.CustomerID = id }),
	}}
	importInteractions = importer[Interaction, InteractionID, InteractionFilter, *Interaction]{k: interactionKind, json: "interactions", self: numTargets, refs: []ref[*Interaction]{
		customerRef("customer_id", func(v *Interaction) CustomerID { return v.CustomerID }, func(v *Interaction, id CustomerID) { v.CustomerID = id }),
		vehicleRef("vehicle_id", func(v *Interaction) VehicleID { return v.VehicleID }, func(v *Interaction, id VehicleID) { v.VehicleID = id }),
		{"lead_id", toLead, func(v *Interaction) string { return string(v.LeadID) }, func(v *Interaction, s string) { v.LeadID = LeadID(s) }},
	}}
	importComplaints = importer[Complaint, ComplaintID, ComplaintFilter, *Complaint]{k: complaintKind, json: "complaints", self: numTargets, refs: []ref[*Complaint]{
		customerRef("customer_id", func(v *Complaint) CustomerID { return v.CustomerID }, func(v *Complaint, id CustomerID) { v.CustomerID = id }),
		vehicleRef("vehicle_id", func(v *Complaint) VehicleID { return v.VehicleID }, func(v *Complaint, id VehicleID) { v.VehicleID = id }),
		{"service_order_id", toServiceOrder, func(v *Complaint) string { return string(v.ServiceOrderID) }, func(v *Complaint, s string) { v.ServiceOrderID = ServiceOrderID(s) }},
	}}
	importParticipations = importer[EventParticipation, ParticipationID, ParticipationFilter, *EventParticipation]{k: participationKind, json: "participations", self: numTargets, refs: []ref[*EventParticipation]{
		customerRef("customer_id", func(v *EventParticipation) CustomerID { return v.CustomerID }, func(v *EventParticipation, id CustomerID) { v.CustomerID = id }),
	}}
)

// Import upserts a batch from a host DMS in one transaction, matching
// records on their external IDs (see Batch): importing the same batch twice
// leaves the same state, the second time with every record Unchanged. The
// whole batch is validated first, by the rules of create (Validate, text,
// and plausibility against the Service's Limits and the dealer's today,
// the DMS's created_at included); a *ValidationError names each bad field by
// its path ("vehicles[3].vin", "sales[0].customer_id" for a reference that
// resolves to nothing), the first MaxImportErrors of them with the Total
// when there are more, and nothing is written. A batch of more than
// MaxImportRecords records is rejected whole too (see WithMaxImportRecords).
// Lead state machines are not replayed: imported leads take the DMS's
// level and status as they are.
//
// Each import is a span crm.Service.Import, counted in the metrics
// dealercrm.import.records, .duration and .errors (docs/observability.md).
func (s *Service) Import(ctx context.Context, dealer DealerID, b Batch) (ImportResult, error) {
	ctx, span := startImport(ctx, dealer, &b)
	start := time.Now()
	res, err := s.importBatch(ctx, dealer, b, false)
	s.endImport(ctx, span, start, dealer, &b, &res, err)
	return res, err
}

// ImportDryRun does what Import does — the same validation, the same
// lookups and upserts with their outcomes, the same errors — in a
// transaction that it then rolls back, so nothing is written: the result
// says what Import would create, update and leave unchanged. A batch
// refers to records imported before as Import does; it cannot see what
// another dry run would have written. A dry run is not counted in the
// import metrics.
func (s *Service) ImportDryRun(ctx context.Context, dealer DealerID, b Batch) (ImportResult, error) {
	return s.importBatch(ctx, dealer, b, true)
}

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("crm: import: dry run")

// importBatch is Import without its telemetry; a dry run rolls back.
func (s *Service) importBatch(ctx context.Context, dealer DealerID, b Batch, dryRun bool) (ImportResult, error) {
	if err := b.checkSize(s.MaxImportRecords()); err != nil {
		return ImportResult{}, fmt.Errorf("crm: import: %w", err)
	}
	st := &importState{dealer: dealer, now: s.Now()}
	for t, n := range [numTargets]int{len(b.Customers), len(b.Vehicles), len(b.Leads), len(b.ServiceOrders)} {
		st.inBatch[t] = make(map[string]bool, n)
		st.ids[t] = make(map[string]string, n)
	}
	// Records are checked as create checks them, plausibility included,
	// which needs the dealer's today.
	d, err := s.store.Dealers().Get(ctx, dealer)
	if err != nil {
		return ImportResult{}, fmt.Errorf("crm: import: dealer %s: %w", dealer, err)
	}
	c := s.checker(&d)
	var missing [numTargets]map[string][]string
	// prepared copies; references still hold external IDs.
	customers := importCustomers.prepare(s, st, b.Customers, &c, &missing)
	vehicles := importVehicles.prepare(s, st, b.Vehicles, &c, &missing)
	leads := importLeads.prepare(s, st, b.Leads, &c, &missing)
	for i := range leads {
		leads[i].SaleID = ""
	}
	sales := importSales.prepare(s, st, b.Sales, &c, &missing)
	orders := importServiceOrders.prepare(s, st, b.ServiceOrders, &c, &missing)
	policies := importPolicies.prepare(s, st, b.Policies, &c, &missing)
	interactions := importInteractions.prepare(s, st, b.Interactions, &c, &missing)
	complaints := importComplaints.prepare(s, st, b.Complaints, &c, &missing)
	participations := importParticipations.prepare(s, st, b.Participations, &c, &missing)
	duplicates(&c, b)

	var res ImportResult
	err = s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		if _, err := tx.Dealers().Get(ctx, dealer); err != nil {
			return fmt.Errorf("dealer %s: %w", dealer, err)
		}
		if err := resolveMissing(ctx, tx, st, missing, &c); err != nil {
			return err
		}
		if err := st.err(&c); err != nil {
			return err
		}
		var err error
		if res.Customers, err = importCustomers.write(ctx, tx, st, customers); err != nil {
			return err
		}
		if res.Vehicles, err = importVehicles.write(ctx, tx, st, vehicles); err != nil {
			return err
		}
		if res.Leads, err = importLeads.write(ctx, tx, st, leads); err != nil {
			return err
		}
		if res.Sales, err = importSales.write(ctx, tx, st, sales); err != nil {
			return err
		}
		if res.ServiceOrders, err = importServiceOrders.write(ctx, tx, st, orders); err != nil {
			return err
		}
		if res.Policies, err = importPolicies.write(ctx, tx, st, policies); err != nil {
			return err
		}
		if res.Interactions, err = importInteractions.write(ctx, tx, st, interactions); err != nil {
			return err
		}
		if res.Complaints, err = importComplaints.write(ctx, tx, st, complaints); err != nil {
			return err
		}
		if res.Participations, err = importParticipations.write(ctx, tx, st, participations); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if dryRun && errors.Is(err, errDryRun) {
		return res, nil
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("crm: import: %w", err)
	}
	return res, nil
}

// resolveMissing looks up references to records outside the batch and adds
// a reference error for each that does not exist.
func resolveMissing(ctx context.Context, tx Store, st *importState, missing [numTargets]map[string][]string, c *checker) error {
	for t := range numTargets {
		var exts []string
		for ext := range missing[t] {
			if !st.inBatch[t][ext] {
				exts = append(exts, ext)
			}
		}
		if len(exts) == 0 {
			continue
		}
		found, err := resolve(ctx, tx, st.dealer, t, exts)
		if err != nil {
			return err
		}
		for _, ext := range sortedKeys(missing[t]) {
			if st.inBatch[t][ext] {
				continue
			}
			if id, ok := found[ext]; ok {
				st.ids[t][ext] = id
				continue
			}
			for _, path := range missing[t][ext] {
				c.add(path, RuleReference, "no record with external id %q", ext)
			}
		}
	}
	return nil
}

func resolve(ctx context.Context, tx Store, dealer DealerID, t target, exts []string) (map[string]string, error) {
	switch t {
	case toCustomer:
		return stringMap(tx.Customers().ResolveExternalIDs(ctx, dealer, exts))
	case toVehicle:
		return stringMap(tx.Vehicles().ResolveExternalIDs(ctx, dealer, exts))
	case toLead:
		return stringMap(tx.Leads().ResolveExternalIDs(ctx, dealer, exts))
	default:
		return stringMap(tx.ServiceOrders().ResolveExternalIDs(ctx, dealer, exts))
	}
}

func stringMap[ID ~string](m map[string]ID, err error) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out, err
}

// duplicates flags external IDs (and VINs) given twice for one kind.
func duplicates(c *checker, b Batch) {
	dup(c, "customers", b.Customers, func(v Customer) string { return v.ExternalID })
	dup(c, "vehicles", b.Vehicles, func(v Vehicle) string { return v.ExternalID })
	dup(c, "vehicles", b.Vehicles, func(v Vehicle) string { return NormalizeVIN(v.VIN) })
	dup(c, "leads", b.Leads, func(v Lead) string { return v.ExternalID })
	dup(c, "sales", b.Sales, func(v Sale) string { return v.ExternalID })
	dup(c, "service_orders", b.ServiceOrders, func(v ServiceOrder) string { return v.ExternalID })
	dup(c, "policies", b.Policies, func(v InsurancePolicy) string { return v.ExternalID })
	dup(c, "interactions", b.Interactions, func(v Interaction) string { return v.ExternalID })
	dup(c, "complaints", b.Complaints, func(v Complaint) string { return v.ExternalID })
	dup(c, "participations", b.Participations, func(v EventParticipation) string { return v.ExternalID })
}

func dup[T any](c *checker, field string, items []T, key func(T) string) {
	seen := make(map[string]int, len(items))
	for i, v := range items {
		k := key(v)
		if k == "" {
			continue
		}
		if j, ok := seen[k]; ok {
			c.add(indexed(field, i), RuleUnique, "%q repeats %s", k, indexed(field, j))
			continue
		}
		seen[k] = i
	}
}
