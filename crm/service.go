package crm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
)

// Service is the entry point of the crm package: it validates input, enforces
// the business rules (references exist, state transitions, lead conversion)
// and writes through a Store. It is safe for concurrent use.
type Service struct {
	store  Store
	now    func() time.Time
	newID  func() string
	limits Limits
	// maxImport caps the records of one Import; 0 means DefaultMaxImportRecords.
	maxImport int
	// privacy are the other packages' parts of exports and erasures.
	privacyMu sync.Mutex
	privacy   []PersonalData
	// watchers are told of the leads written (AddLeadWatchers), under
	// privacyMu; log gets their errors.
	watchers []LeadWatcher
	log      *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (time.Now by default). Tests inject a fixed one.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDGenerator sets the generator of new record IDs (dealercrm.NewID by
// default).
func WithIDGenerator(newID func() string) Option { return func(s *Service) { s.newID = newID } }

// WithLimits sets the bounds of plausible input (DefaultLimits by default;
// unset fields take their defaults): how far after the dealer's today a
// date of a past event may lie, and the ceilings of amounts and odometer
// readings. See Limits and the package documentation for which fields
// they bound.
func WithLimits(l Limits) Option { return func(s *Service) { s.limits = l.OrDefault() } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now, newID: dealercrm.NewID, limits: DefaultLimits()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Limits returns the bounds of plausible input the service applies.
func (s *Service) Limits() Limits { return s.limits }

// Store returns the store the service writes through.
func (s *Service) Store() Store { return s.store }

// Now returns the service clock's current time, truncated to microseconds
// (the precision of every store) and in UTC.
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// entity is the constraint of the generic helpers: a pointer to an entity
// that embeds Record, validates itself and checks its plausibility against
// the limits and the dealer's today (see plausible.go).
type entity[T any] interface {
	*T
	Meta() *Record
	Validate() error
	plausible(c *checker)
}

// kind describes one entity kind to the generic helpers.
type kind[T any, ID ~string, F any, P entity[T]] struct {
	name string
	repo func(Store) Repository[T, ID, F]
	id   func(P) *ID
	// normalize cleans input; may be nil.
	normalize func(P)
	// refs checks the references of v in tx; may be nil.
	refs func(ctx context.Context, tx Store, v P, c *checker) error
	// guard rejects an update from old to new that bypasses a state
	// machine; may be nil.
	guard func(old, new P) error
	// onCreate completes or rejects a new record given its dealer; may be nil.
	onCreate func(d *Dealer, now time.Time, v P) error
	// onUpdate completes or rejects a changed record given its dealer,
	// after the guard and every check; may be nil.
	onUpdate func(d *Dealer, now time.Time, old, new P) error
	// normalizeFilter puts filter values in stored form; may be nil.
	normalizeFilter func(*F)
	// inUse names a record that still refers to v, "" when none does; may be nil.
	inUse func(ctx context.Context, tx Store, dealer DealerID, id ID) (string, error)
	// events returns the events of a change from old (nil for a
	// creation) to new at at, written in the change's transaction; may
	// be nil. clone copies a record deeply, for events to compare with
	// what fn changed in place; set with events.
	events func(old, new P, at time.Time) []Event
	clone  func(P) T
}

// create validates v, checks its dealer and references, and stores it with
// a new ID (unless it brings one) and the clock's times.
func create[T any, ID ~string, F any, P entity[T]](ctx context.Context, s *Service, k kind[T, ID, F, P], dealer DealerID, v P) (T, error) {
	m := v.Meta()
	m.DealerID = dealer
	m.CreatedAt = s.Now()
	m.UpdatedAt = m.CreatedAt
	if *k.id(v) == "" {
		*k.id(v) = ID(s.newID())
	}
	if k.normalize != nil {
		k.normalize(v)
	}
	if err := validate(k.name, v); err != nil {
		return *new(T), err
	}
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		d, err := checkStored(ctx, s, tx, k, dealer, v)
		if err != nil {
			return err
		}
		if k.onCreate != nil {
			if err := k.onCreate(&d, m.CreatedAt, v); err != nil {
				return err
			}
		}
		NoteAudit(ctx, string(*k.id(v)))
		if err := k.repo(tx).Create(ctx, v); err != nil {
			return err
		}
		if k.events == nil {
			return nil
		}
		return tx.Events().Add(ctx, k.events(nil, v, m.CreatedAt)...)
	})
	if err != nil {
		return *new(T), fmt.Errorf("crm: create %s: %w", k.name, err)
	}
	return *v, nil
}

// checkStored runs the checks of v that need the store: its plausibility
// against the limits and the dealer's today (so the dealer must exist) and
// its references. It returns the dealer.
func checkStored[T any, ID ~string, F any, P entity[T]](ctx context.Context, s *Service, tx Store, k kind[T, ID, F, P], dealer DealerID, v P) (Dealer, error) {
	d, err := tx.Dealers().Get(ctx, dealer)
	if err != nil {
		return d, fmt.Errorf("dealer %s: %w", dealer, err)
	}
	c := s.checker(&d)
	plausible(&c, v)
	if k.refs != nil {
		if err := k.refs(ctx, tx, v, &c); err != nil {
			return d, err
		}
	}
	return d, c.err(k.name)
}

func get[T any, ID ~string, F any, P entity[T]](ctx context.Context, s *Service, k kind[T, ID, F, P], dealer DealerID, id ID) (T, error) {
	v, err := k.repo(s.store).Get(ctx, dealer, id)
	if err != nil {
		return v, fmt.Errorf("crm: get %s %s: %w", k.name, id, err)
	}
	return v, nil
}

// update applies fn to the stored record, keeps the fields a caller may not
// change (ID, dealer, creation time), re-validates and writes it back.
func update[T any, ID ~string, F any, P entity[T]](ctx context.Context, s *Service, k kind[T, ID, F, P], dealer DealerID, id ID, fn func(P) error) (T, error) {
	var out T
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		var (
			err    error
			before T
		)
		out, err = k.repo(tx).Update(ctx, dealer, id, func(v *T) error {
			p := P(v)
			old := *v
			if k.clone != nil {
				before = k.clone(p)
			}
			oldMeta := *p.Meta()
			if err := fn(p); err != nil {
				return err
			}
			*k.id(p) = id
			m := p.Meta()
			m.DealerID, m.CreatedAt, m.UpdatedAt = oldMeta.DealerID, oldMeta.CreatedAt, s.Now()
			if k.normalize != nil {
				k.normalize(p)
			}
			if k.guard != nil {
				if err := k.guard(&old, p); err != nil {
					return err
				}
			}
			if err := validate(k.name, p); err != nil {
				return err
			}
			d, err := checkStored(ctx, s, tx, k, dealer, p)
			if err != nil || k.onUpdate == nil {
				return err
			}
			return k.onUpdate(&d, m.UpdatedAt, &old, p)
		})
		if err != nil || k.events == nil {
			return err
		}
		return tx.Events().Add(ctx, k.events(&before, &out, P(&out).Meta().UpdatedAt)...)
	})
	if err != nil {
		return out, fmt.Errorf("crm: update %s %s: %w", k.name, id, err)
	}
	return out, nil
}

func remove[T any, ID ~string, F any, P entity[T]](ctx context.Context, s *Service, k kind[T, ID, F, P], dealer DealerID, id ID) error {
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		if k.inUse != nil {
			if _, err := k.repo(tx).Get(ctx, dealer, id); err != nil {
				return err
			}
			by, err := k.inUse(ctx, tx, dealer, id)
			if err != nil {
				return err
			}
			if by != "" {
				return fmt.Errorf("%w by %s", ErrInUse, by)
			}
		}
		return k.repo(tx).Delete(ctx, dealer, id)
	})
	if err != nil {
		return fmt.Errorf("crm: delete %s %s: %w", k.name, id, err)
	}
	return nil
}

func list[T any, ID ~string, F any, P entity[T]](ctx context.Context, s *Service, k kind[T, ID, F, P], dealer DealerID, f F) (Page[T], error) {
	if k.normalizeFilter != nil {
		k.normalizeFilter(&f)
	}
	p, err := k.repo(s.store).List(ctx, dealer, f)
	if err != nil {
		return p, fmt.Errorf("crm: list %s: %w", k.name, err)
	}
	return p, nil
}

// exists adds a reference error to c when id is set and not found.
func exists[T any, ID ~string, F any](ctx context.Context, repo Repository[T, ID, F], dealer DealerID, id ID, field string, c *checker) error {
	if id == "" {
		return nil
	}
	_, err := repo.Get(ctx, dealer, id)
	if errors.Is(err, ErrNotFound) {
		c.add(field, RuleReference, "%s does not exist", id)
		return nil
	}
	return err
}

// immutable returns a *ValidationError when a field differs between old and new.
func immutable(entity string, fields map[string][2]any) error {
	var c checker
	for _, name := range sortedKeys(fields) {
		v := fields[name]
		if !reflect.DeepEqual(v[0], v[1]) {
			c.add(name, RuleImmutable, "cannot be changed by an update; use its own operation")
		}
	}
	return c.err(entity)
}

// The entity kinds.
var (
	customerKind = kind[Customer, CustomerID, CustomerFilter, *Customer]{
		name:      "customer",
		repo:      func(s Store) Repository[Customer, CustomerID, CustomerFilter] { return s.Customers() },
		id:        func(v *Customer) *CustomerID { return &v.ID },
		normalize: (*Customer).Normalize,
		events:    func(old, c *Customer, _ time.Time) []Event { return ConsentEvents(old, c) },
		clone:     func(c *Customer) Customer { return c.Clone() },
		guard: func(old, c *Customer) error {
			if c.MergedInto != old.MergedInto {
				return &ValidationError{Entity: "customer", Fields: []FieldError{{Field: "merged_into", Rule: RuleImmutable, Message: "is set only by a merge"}}}
			}
			return nil
		},
		normalizeFilter: func(f *CustomerFilter) {
			if f.Mobile != "" {
				f.Mobile = NormalizeMobile(f.Mobile)
			}
		},
		inUse: func(ctx context.Context, tx Store, dealer DealerID, id CustomerID) (string, error) {
			page := PageRequest{Limit: 1}
			return firstUse(
				use(ctx, "vehicles", tx.Vehicles(), dealer, VehicleFilter{OwnerID: id, PageRequest: page}),
				use(ctx, "sales", tx.Sales(), dealer, SaleFilter{CustomerID: id, PageRequest: page}),
				use(ctx, "service orders", tx.ServiceOrders(), dealer, ServiceOrderFilter{CustomerID: id, PageRequest: page}),
				use(ctx, "insurance policies", tx.Policies(), dealer, PolicyFilter{CustomerID: id, PageRequest: page}),
				use(ctx, "leads", tx.Leads(), dealer, LeadFilter{CustomerID: id, PageRequest: page}),
				use(ctx, "complaints", tx.Complaints(), dealer, ComplaintFilter{CustomerID: id, PageRequest: page}),
				use(ctx, "interactions", tx.Interactions(), dealer, InteractionFilter{CustomerID: id, PageRequest: page}),
				use(ctx, "event participations", tx.Participations(), dealer, ParticipationFilter{CustomerID: id, PageRequest: page}),
			)
		},
	}
	leadKind = kind[Lead, LeadID, LeadFilter, *Lead]{
		name:      "lead",
		repo:      func(s Store) Repository[Lead, LeadID, LeadFilter] { return s.Leads() },
		id:        func(v *Lead) *LeadID { return &v.ID },
		normalize: (*Lead).Normalize,
		events:    LeadEvents,
		clone:     func(l *Lead) Lead { return l.Clone() },
		onCreate: func(d *Dealer, now time.Time, v *Lead) error {
			if v.Status != LeadOpen {
				return fmt.Errorf("%w; import closed leads with Import", dealercrm.NewTransitionError("lead status", "new", v.Status, []LeadStatus{LeadOpen}, ErrInvalidTransition))
			}
			if len(v.LostRequests) > 0 || v.LostReason != "" || v.SaleID != "" {
				return &ValidationError{Entity: "lead", Fields: []FieldError{{Field: "lost_requests", Rule: RuleImmutable, Message: "a new lead has no lost requests, lost reason or sale; use RequestLost and ConvertLead"}}}
			}
			// The windows decide the level of a lead with an expected close
			// date (SPEC §1.1). N, the default, yields to them; another
			// level that disagrees is refused rather than silently changed.
			p, today := d.Policy(), d.Today(now)
			if w, ok := v.WindowLevel(p, today); ok && w != v.Level {
				if v.Level != LevelN {
					return v.windowError("level", v.Level, w, today)
				}
				v.Level = w
			}
			if v.NextFollowUpAt.IsZero() {
				v.ScheduleFirst(p, now)
			}
			return nil
		},
		onUpdate: func(d *Dealer, now time.Time, old, new *Lead) error {
			if new.ExpectedClose != old.ExpectedClose {
				new.applyWindow(d.Policy(), d.Today(now), now)
			}
			return nil
		},
		refs: func(ctx context.Context, tx Store, v *Lead, c *checker) error {
			if err := exists(ctx, tx.Customers(), v.DealerID, v.CustomerID, "customer_id", c); err != nil {
				return err
			}
			if err := exists(ctx, tx.Customers(), v.DealerID, v.ReferrerID, "referrer_id", c); err != nil {
				return err
			}
			return exists(ctx, tx.Sales(), v.DealerID, v.SaleID, "sale_id", c)
		},
		guard: func(old, new *Lead) error {
			closed := [2]any{}
			if old.Status != LeadOpen {
				// A closed lead keeps the customer it was converted into.
				closed = [2]any{old.CustomerID, new.CustomerID}
			}
			return immutable("lead", map[string][2]any{
				"customer_id":       closed,
				"level":             {old.Level, new.Level},
				"status":            {old.Status, new.Status},
				"follow_ups":        {old.FollowUps, new.FollowUps},
				"lost_requests":     {old.LostRequests, new.LostRequests},
				"lost_reason":       {old.LostReason, new.LostReason},
				"sale_id":           {old.SaleID, new.SaleID},
				"last_contact_at":   {old.LastContactAt, new.LastContactAt},
				"next_follow_up_at": {old.NextFollowUpAt, new.NextFollowUpAt},
			})
		},
	}
	vehicleKind = kind[Vehicle, VehicleID, VehicleFilter, *Vehicle]{
		name:      "vehicle",
		repo:      func(s Store) Repository[Vehicle, VehicleID, VehicleFilter] { return s.Vehicles() },
		id:        func(v *Vehicle) *VehicleID { return &v.ID },
		normalize: (*Vehicle).Normalize,
		normalizeFilter: func(f *VehicleFilter) {
			f.VIN = NormalizeVIN(f.VIN)
		},
		inUse: func(ctx context.Context, tx Store, dealer DealerID, id VehicleID) (string, error) {
			page := PageRequest{Limit: 1}
			return firstUse(
				use(ctx, "sales", tx.Sales(), dealer, SaleFilter{VehicleID: id, PageRequest: page}),
				use(ctx, "service orders", tx.ServiceOrders(), dealer, ServiceOrderFilter{VehicleID: id, PageRequest: page}),
				use(ctx, "insurance policies", tx.Policies(), dealer, PolicyFilter{VehicleID: id, PageRequest: page}),
			)
		},
		refs: func(ctx context.Context, tx Store, v *Vehicle, c *checker) error {
			return exists(ctx, tx.Customers(), v.DealerID, v.OwnerID, "owner_id", c)
		},
	}
	saleKind = kind[Sale, SaleID, SaleFilter, *Sale]{
		name: "sale",
		repo: func(s Store) Repository[Sale, SaleID, SaleFilter] { return s.Sales() },
		id:   func(v *Sale) *SaleID { return &v.ID },
		refs: func(ctx context.Context, tx Store, v *Sale, c *checker) error {
			return firstErr(
				exists(ctx, tx.Vehicles(), v.DealerID, v.VehicleID, "vehicle_id", c),
				exists(ctx, tx.Customers(), v.DealerID, v.CustomerID, "customer_id", c),
				exists(ctx, tx.Leads(), v.DealerID, v.LeadID, "lead_id", c),
			)
		},
	}
	serviceOrderKind = kind[ServiceOrder, ServiceOrderID, ServiceOrderFilter, *ServiceOrder]{
		name: "service order",
		repo: func(s Store) Repository[ServiceOrder, ServiceOrderID, ServiceOrderFilter] { return s.ServiceOrders() },
		id:   func(v *ServiceOrder) *ServiceOrderID { return &v.ID },
		refs: func(ctx context.Context, tx Store, v *ServiceOrder, c *checker) error {
			return firstErr(
				exists(ctx, tx.Vehicles(), v.DealerID, v.VehicleID, "vehicle_id", c),
				exists(ctx, tx.Customers(), v.DealerID, v.CustomerID, "customer_id", c),
			)
		},
	}
	policyKind = kind[InsurancePolicy, PolicyID, PolicyFilter, *InsurancePolicy]{
		name: "insurance policy",
		repo: func(s Store) Repository[InsurancePolicy, PolicyID, PolicyFilter] { return s.Policies() },
		id:   func(v *InsurancePolicy) *PolicyID { return &v.ID },
		refs: func(ctx context.Context, tx Store, v *InsurancePolicy, c *checker) error {
			return firstErr(
				exists(ctx, tx.Vehicles(), v.DealerID, v.VehicleID, "vehicle_id", c),
				exists(ctx, tx.Customers(), v.DealerID, v.CustomerID, "customer_id", c),
			)
		},
	}
	interactionKind = kind[Interaction, InteractionID, InteractionFilter, *Interaction]{
		name: "interaction",
		repo: func(s Store) Repository[Interaction, InteractionID, InteractionFilter] { return s.Interactions() },
		id:   func(v *Interaction) *InteractionID { return &v.ID },
		normalize: func(v *Interaction) {
			v.At = v.At.UTC().Truncate(time.Microsecond)
		},
		refs: func(ctx context.Context, tx Store, v *Interaction, c *checker) error {
			return firstErr(
				exists(ctx, tx.Customers(), v.DealerID, v.CustomerID, "customer_id", c),
				exists(ctx, tx.Leads(), v.DealerID, v.LeadID, "lead_id", c),
				exists(ctx, tx.Vehicles(), v.DealerID, v.VehicleID, "vehicle_id", c),
			)
		},
	}
	complaintKind = kind[Complaint, ComplaintID, ComplaintFilter, *Complaint]{
		name: "complaint",
		repo: func(s Store) Repository[Complaint, ComplaintID, ComplaintFilter] { return s.Complaints() },
		id:   func(v *Complaint) *ComplaintID { return &v.ID },
		normalize: func(v *Complaint) {
			if v.Status == "" {
				v.Status = ComplaintOpen
			}
		},
		refs: func(ctx context.Context, tx Store, v *Complaint, c *checker) error {
			return firstErr(
				exists(ctx, tx.Customers(), v.DealerID, v.CustomerID, "customer_id", c),
				exists(ctx, tx.Vehicles(), v.DealerID, v.VehicleID, "vehicle_id", c),
				exists(ctx, tx.ServiceOrders(), v.DealerID, v.ServiceOrderID, "service_order_id", c),
			)
		},
		guard: func(old, new *Complaint) error {
			if !old.Status.CanMove(new.Status) {
				return dealercrm.NewTransitionError("complaint status", old.Status, new.Status, complaintTransitions[old.Status], ErrInvalidTransition)
			}
			return nil
		},
	}
	participationKind = kind[EventParticipation, ParticipationID, ParticipationFilter, *EventParticipation]{
		name: "event participation",
		repo: func(s Store) Repository[EventParticipation, ParticipationID, ParticipationFilter] {
			return s.Participations()
		},
		id: func(v *EventParticipation) *ParticipationID { return &v.ID },
		refs: func(ctx context.Context, tx Store, v *EventParticipation, c *checker) error {
			return exists(ctx, tx.Customers(), v.DealerID, v.CustomerID, "customer_id", c)
		},
	}
)

// usage is the answer of use: the name of a referring collection, or an error.
type usage struct {
	name string
	err  error
}

// use reports name when the filtered listing of repo is not empty.
func use[T any, ID ~string, F any](ctx context.Context, name string, repo Repository[T, ID, F], dealer DealerID, f F) usage {
	p, err := repo.List(ctx, dealer, f)
	if err != nil || len(p.Items) == 0 {
		return usage{err: err}
	}
	return usage{name: name}
}

func firstUse(us ...usage) (string, error) {
	for _, u := range us {
		if u.err != nil || u.name != "" {
			return u.name, u.err
		}
	}
	return "", nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
