package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
)

// Store is an in-memory crm.Store. The zero value is not usable; call New.
//
// A Store is safe for concurrent use. The Store that InTx hands to its
// function is bound to that transaction and must not be used after InTx
// returns.
type Store struct {
	db *database
	// tx is the transaction the Store is bound to; nil for the Store New returns.
	tx *txn

	dealers        *repo[crm.Dealer, crm.DealerID, crm.DealerFilter]
	customers      *repo[crm.Customer, crm.CustomerID, crm.CustomerFilter]
	leads          *repo[crm.Lead, crm.LeadID, crm.LeadFilter]
	vehicles       *repo[crm.Vehicle, crm.VehicleID, crm.VehicleFilter]
	sales          *repo[crm.Sale, crm.SaleID, crm.SaleFilter]
	serviceOrders  *repo[crm.ServiceOrder, crm.ServiceOrderID, crm.ServiceOrderFilter]
	policies       *repo[crm.InsurancePolicy, crm.PolicyID, crm.PolicyFilter]
	interactions   *repo[crm.Interaction, crm.InteractionID, crm.InteractionFilter]
	complaints     *repo[crm.Complaint, crm.ComplaintID, crm.ComplaintFilter]
	participations *repo[crm.EventParticipation, crm.ParticipationID, crm.ParticipationFilter]
}

// Compile-time checks that Store and its repositories implement the ports.
var (
	_ crm.Store              = (*Store)(nil)
	_ crm.DealerStore        = dealerStore{}
	_ crm.CustomerStore      = (*repo[crm.Customer, crm.CustomerID, crm.CustomerFilter])(nil)
	_ crm.LeadStore          = (*repo[crm.Lead, crm.LeadID, crm.LeadFilter])(nil)
	_ crm.VehicleStore       = (*repo[crm.Vehicle, crm.VehicleID, crm.VehicleFilter])(nil)
	_ crm.SaleStore          = (*repo[crm.Sale, crm.SaleID, crm.SaleFilter])(nil)
	_ crm.ServiceOrderStore  = (*repo[crm.ServiceOrder, crm.ServiceOrderID, crm.ServiceOrderFilter])(nil)
	_ crm.PolicyStore        = (*repo[crm.InsurancePolicy, crm.PolicyID, crm.PolicyFilter])(nil)
	_ crm.InteractionStore   = (*repo[crm.Interaction, crm.InteractionID, crm.InteractionFilter])(nil)
	_ crm.ComplaintStore     = (*repo[crm.Complaint, crm.ComplaintID, crm.ComplaintFilter])(nil)
	_ crm.ParticipationStore = (*repo[crm.EventParticipation, crm.ParticipationID, crm.ParticipationFilter])(nil)
)

// database is the state shared by a Store and the Stores of its
// transactions. One lock guards every table, so that a transaction can span
// tables.
type database struct {
	mu             sync.RWMutex
	dealers        *table[crm.Dealer, crm.DealerID]
	customers      *table[crm.Customer, crm.CustomerID]
	leads          *table[crm.Lead, crm.LeadID]
	vehicles       *table[crm.Vehicle, crm.VehicleID]
	sales          *table[crm.Sale, crm.SaleID]
	serviceOrders  *table[crm.ServiceOrder, crm.ServiceOrderID]
	policies       *table[crm.InsurancePolicy, crm.PolicyID]
	interactions   *table[crm.Interaction, crm.InteractionID]
	complaints     *table[crm.Complaint, crm.ComplaintID]
	participations *table[crm.EventParticipation, crm.ParticipationID]
	// events is the log the store's events go to (shared by NewStores).
	events *EventLog
	// others are the other stores NewStores made, for MoveCustomer.
	others *others
}

// txn is a transaction in progress. The transaction holds the database's
// write lock from start to end; mu only keeps goroutines that share the
// transaction's Store from running operations at the same time.
type txn struct {
	mu   sync.Mutex
	undo undoLog
	done atomic.Bool
	// events are appended to the log when the transaction commits.
	events []crm.Event
}

// undoLog holds the inverse of every write, to be replayed in reverse order.
type undoLog []func()

func (u *undoLog) add(f func()) { *u = append(*u, f) }

func (u undoLog) rollback() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

// errTxDone is returned by a transaction's Store used after InTx returned.
var errTxDone = dealercrm.Errorf(dealercrm.FailedPrecondition, "the transaction has ended")

// New returns an empty Store.
func New() *Store {
	return newStore(&database{
		dealers:        newTable(dealerSchema),
		customers:      newTable(customerSchema),
		leads:          newTable(leadSchema),
		vehicles:       newTable(vehicleSchema),
		sales:          newTable(saleSchema),
		serviceOrders:  newTable(serviceOrderSchema),
		policies:       newTable(policySchema),
		interactions:   newTable(interactionSchema),
		complaints:     newTable(complaintSchema),
		participations: newTable(participationSchema),
		events:         NewEventLog(),
	}, nil)
}

// NewStores returns new, empty in-memory stores of every package: the
// Store of New, NewTaskStore, NewLoyaltyStore, NewGradingStore,
// NewSatisfactionStore, NewCampaignStore, NewRunStore, NewKeyStore and
// NewAuditStore, with one EventLog that all of them write their events
// to. They share no other state: a crm transaction (InTx) covers the crm
// records only, except for a merge of customers (Store.MoveCustomer),
// which reaches the other stores and undoes its change in them when the
// transaction fails.
func NewStores() backend.Stores {
	log := NewEventLog()
	crmStore, tasks, points, answers := New(), NewTaskStore(), NewLoyaltyStore(), NewSatisfactionStore()
	crmStore.db.events, tasks.events, points.events, answers.events = log, log, log, log
	grades, campaigns, sends := NewGradingStore(), NewCampaignStore(), NewMessageStore()
	crmStore.db.others = &others{tasks: tasks, loyalty: points, grading: grades, answers: answers, campaigns: campaigns, messages: sends}
	return backend.Stores{
		CRM:          crmStore,
		Tasks:        tasks,
		Loyalty:      points,
		Grading:      grades,
		Satisfaction: answers,
		Campaigns:    campaigns,
		Jobs:         NewRunStore(),
		Keys:         NewKeyStore(),
		Audit:        NewAuditStore(),
		Events:       log,
		Webhooks:     &WebhookStore{events: log, subs: map[webhook.ID]*memSub{}},
		Messages:     sends,
	}
}

func newStore(db *database, tx *txn) *Store {
	s := &Store{db: db, tx: tx}
	s.dealers = newRepo(s, db.dealers, matchDealer)
	s.customers = newRepo(s, db.customers, matchCustomer)
	s.leads = newRepo(s, db.leads, matchLead)
	s.vehicles = newRepo(s, db.vehicles, matchVehicle)
	s.sales = newRepo(s, db.sales, matchSale)
	s.serviceOrders = newRepo(s, db.serviceOrders, matchServiceOrder)
	s.policies = newRepo(s, db.policies, matchPolicy)
	s.interactions = newRepo(s, db.interactions, matchInteraction)
	s.complaints = newRepo(s, db.complaints, matchComplaint)
	s.participations = newRepo(s, db.participations, matchParticipation)
	return s
}

// Dealers returns the dealer store.
func (s *Store) Dealers() crm.DealerStore { return dealerStore{s.dealers} }

// Customers returns the customer store.
func (s *Store) Customers() crm.CustomerStore { return s.customers }

// Leads returns the lead store.
func (s *Store) Leads() crm.LeadStore { return s.leads }

// Vehicles returns the vehicle store.
func (s *Store) Vehicles() crm.VehicleStore { return s.vehicles }

// Sales returns the sale store.
func (s *Store) Sales() crm.SaleStore { return s.sales }

// ServiceOrders returns the service order store.
func (s *Store) ServiceOrders() crm.ServiceOrderStore { return s.serviceOrders }

// Policies returns the insurance policy store.
func (s *Store) Policies() crm.PolicyStore { return s.policies }

// Interactions returns the interaction store.
func (s *Store) Interactions() crm.InteractionStore { return s.interactions }

// Complaints returns the complaint store.
func (s *Store) Complaints() crm.ComplaintStore { return s.complaints }

// Participations returns the event participation store.
func (s *Store) Participations() crm.ParticipationStore { return s.participations }

// InTx runs fn with a Store bound to a new transaction. The transaction
// holds the Store's write lock until fn returns, so transactions run one at
// a time and the Store that InTx was called on blocks meanwhile: inside fn,
// use only tx. When fn returns an error or panics, every write made through
// tx is undone in reverse order; InTx then returns the error as it is, or
// panics again with the same value. Called on a transaction's Store, InTx
// runs fn in that same transaction.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx crm.Store) error) (err error) {
	if s.tx != nil {
		if s.tx.done.Load() {
			return errTxDone
		}
		return fn(ctx, s)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: begin: %w", err)
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	t := &txn{}
	committed := false
	defer func() {
		// Wait for operations that goroutines of fn may still be running.
		t.mu.Lock()
		defer t.mu.Unlock()
		t.done.Store(true)
		if !committed {
			t.undo.rollback()
		}
	}()
	if err := fn(ctx, newStore(s.db, t)); err != nil {
		return err
	}
	t.mu.Lock()
	s.db.events.append(t.events)
	t.mu.Unlock()
	committed = true
	return nil
}

// read runs fn under the read lock (the transaction's lock for a
// transaction's Store).
func (s *Store) read(ctx context.Context, fn func()) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	if s.tx != nil {
		if s.tx.done.Load() {
			return errTxDone
		}
		s.tx.mu.Lock()
		defer s.tx.mu.Unlock()
	} else {
		s.db.mu.RLock()
		defer s.db.mu.RUnlock()
	}
	fn()
	return nil
}

// write runs fn under the write lock with an undo log of its own: when fn
// fails or panics, its writes are undone, so each operation is all or
// nothing; inside a transaction, the writes of an operation that succeeds
// join the transaction's log.
func (s *Store) write(ctx context.Context, fn func(u *undoLog) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	if s.tx != nil {
		if s.tx.done.Load() {
			return errTxDone
		}
		s.tx.mu.Lock()
		defer s.tx.mu.Unlock()
	} else {
		s.db.mu.Lock()
		defer s.db.mu.Unlock()
	}
	var u undoLog
	ok := false
	defer func() {
		switch {
		case !ok:
			u.rollback()
		case s.tx != nil:
			s.tx.undo = append(s.tx.undo, u...)
		}
	}()
	if err := fn(&u); err != nil {
		return err
	}
	ok = true
	return nil
}
