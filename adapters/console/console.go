package console

import (
	"crypto/cipher"
	"crypto/rand"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/satisfaction"
)

//go:embed templates/*.html static/*
var files embed.FS

// Services are the services the console reads and works through: the
// console calls them directly, in process, never the HTTP API. CRM and
// Lifecycle are required; a page or section whose service is nil is not
// shown (no Loyalty: no 会员 page and no points on the 360 page).
type Services struct {
	CRM          *crm.Service
	Lifecycle    *lifecycle.Service
	Loyalty      *loyalty.Service
	Grading      *grading.Service
	Satisfaction *satisfaction.Service
	Campaigns    *campaign.Service
}

// Option configures the handler built by New.
type Option func(*config)

type config struct {
	prefix   string
	insecure bool
	roles    crm.RoleTable
	catalog  *i18n.Catalog
	logger   *slog.Logger
	audit    crm.AuditStore
	now      func() time.Time
	secret   []byte
	cacheTTL time.Duration
}

// WithPrefix sets the path the console is mounted at (DefaultPrefix when
// not given); it must start and end with "/". Mount the handler at the
// same path of the host's mux:
//
//	mux.Handle("/crm/", console.New(svc, auth, console.WithPrefix("/crm/")))
func WithPrefix(p string) Option {
	return func(c *config) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		c.prefix = p
	}
}

// WithInsecureCookies drops the Secure attribute of the console's cookies,
// so that they are sent over plain http: for a demo on localhost only.
// Behind TLS (every real deployment) leave it out.
func WithInsecureCookies() Option { return func(c *config) { c.insecure = true } }

// WithRoles replaces the role table (crm.DefaultRoles by default); give
// the console the table the host gives the HTTP API (httpapi.WithRoles).
func WithRoles(t crm.RoleTable) Option { return func(c *config) { c.roles = t } }

// WithCatalog renders the console's words and the domain's message codes
// from cat (i18n.Default by default): a host's own wording or languages.
func WithCatalog(cat *i18n.Catalog) Option { return func(c *config) { c.catalog = cat } }

// WithLogger logs internal errors (masked as httpapi.MaskAttr masks) to l;
// without it nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithAudit keeps the audit trail of the console's changes in store, as
// the HTTP API does (httpapi.WithAudit): recording an outcome, skipping
// and reassigning a task, deciding a lost request each write a record
// under the operation name the HTTP API uses (recordTaskOutcome, skipTask,
// assignTask, decideLeadLost), and every refusal a denied one.
func WithAudit(store crm.AuditStore) Option { return func(c *config) { c.audit = store } }

// WithClock sets the console's clock (time.Now by default): the age of
// the dashboard's cached figures, the end of sessions and the time of
// audit records. The day a
// page shows as today is the services' (their own clock options).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithSecret sets the secret the CSRF tokens and the sealed session
// cookies are keyed by (random per handler by default, so that a restart
// signs everyone out). Give every replica behind a load balancer the same
// secret of at least 32 bytes, so that a form rendered by one, and a
// session started on one, are accepted by another.
func WithSecret(secret []byte) Option {
	return func(c *config) {
		if len(secret) >= 32 {
			c.secret = append([]byte(nil), secret...)
		}
	}
}

// DefaultPrefix is the path the console is served at unless WithPrefix
// says otherwise.
const DefaultPrefix = "/console/"

// DashboardTTL is how long the dashboard's figures are kept per dealer
// before they are computed again: the dashboard reads every customer's
// history, and a CR department opening it all day must not redo that
// work on every view.
const DashboardTTL = 5 * time.Minute

// handler is the http.Handler of New.
type handler struct {
	svc   Services
	auth  httpapi.Authenticator
	cfg   config
	cat   *i18n.Catalog
	log   *slog.Logger
	mux   *http.ServeMux
	pages *pages
	cop   *http.CrossOriginProtection
	// sealer seals and opens the session cookies (sessionAEAD).
	sealer cipher.AEAD
	// dash caches the dashboard's figures per dealer; dashTurn, a
	// one-token semaphore, lets one request at a time compute them (a
	// request waiting for its turn gives up when its context ends).
	dashTurn chan struct{}
	dash     map[crm.DealerID]dashEntry
}

// New returns the web console over svc. auth decides whom a request acts
// for, as it does for the HTTP API: the console signs in with an API key,
// keeps it sealed (encrypted and authenticated, with the session's end) in
// an HttpOnly cookie and hands it to auth as an "Authorization: Bearer"
// header on every request, so that a revoked key signs its holder out at
// once. Keys returns the Authenticator of managed
// API keys (package apikey). New panics without svc.CRM, svc.Lifecycle or
// auth.
func New(svc Services, auth httpapi.Authenticator, opts ...Option) http.Handler {
	if svc.CRM == nil || svc.Lifecycle == nil || auth == nil {
		panic("console: New needs Services.CRM, Services.Lifecycle and an Authenticator")
	}
	cfg := config{prefix: DefaultPrefix, now: time.Now, cacheTTL: DashboardTTL}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.roles == nil {
		cfg.roles = crm.DefaultRoles()
	}
	if cfg.catalog == nil {
		cfg.catalog = i18n.Default()
	}
	if cfg.secret == nil {
		cfg.secret = make([]byte, 32)
		_, _ = rand.Read(cfg.secret) // never fails (crypto/rand)
	}
	h := &handler{svc: svc, auth: auth, cfg: cfg, cat: cfg.catalog, log: cfg.logger, mux: http.NewServeMux(),
		pages: mustParse(), cop: http.NewCrossOriginProtection(), sealer: sessionAEAD(cfg.secret), dashTurn: make(chan struct{}, 1),
		dash: map[crm.DealerID]dashEntry{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.routes()
	return h
}

// routes registers every page and action under the prefix.
func (h *handler) routes() {
	p := h.cfg.prefix
	static, _ := fs.Sub(files, "static")
	h.mux.Handle("GET "+p+"static/", http.StripPrefix(p+"static/", staticFiles(static)))
	h.mux.HandleFunc("GET "+p+"{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p+"tasks", http.StatusSeeOther)
	})
	// Any other path under the prefix: the console's own 404 page.
	h.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, nil, http.StatusNotFound, "console.error.not_found", nil)
	})
	h.mux.HandleFunc("GET "+p+"signin", h.signinPage)
	h.mux.HandleFunc("POST "+p+"signin", h.signin)
	h.mux.HandleFunc("POST "+p+"signout", h.signout)
	h.mux.HandleFunc("GET "+p+"lang", h.switchLanguage)

	h.mux.Handle("GET "+p+"tasks", h.page(crm.PermTasksRead, h.tasksPage))
	h.mux.Handle("POST "+p+"tasks/{id}/outcome", h.action(crm.PermTasksWork, "recordTaskOutcome", h.recordOutcome))
	h.mux.Handle("POST "+p+"tasks/{id}/skip", h.action(crm.PermTasksWork, "skipTask", h.skipTask))
	h.mux.Handle("POST "+p+"tasks/{id}/assign", h.action(crm.PermTasksAssign, "assignTask", h.assignTask))

	h.mux.Handle("GET "+p+"customers", h.page(crm.PermCustomersRead, h.customersPage))
	h.mux.Handle("GET "+p+"customers/{id}", h.page(crm.PermCustomersRead, h.customerPage))

	h.mux.Handle("GET "+p+"leads", h.page(crm.PermCustomersRead, h.leadsPage))
	h.mux.Handle("POST "+p+"leads/{id}/lost-decision", h.action(crm.PermDecideLost, "decideLeadLost", h.decideLost))

	if h.svc.Loyalty != nil {
		h.mux.Handle("GET "+p+"members", h.page(crm.PermLoyaltyRead, h.membersPage))
		h.mux.Handle("GET "+p+"members/{id}", h.page(crm.PermLoyaltyRead, h.memberPage))
	}
	h.mux.Handle("GET "+p+"dashboard", h.page(crm.PermReports, h.dashboardPage))
}

// ServeHTTP sets the security headers of every answer, refuses
// cross-origin writes (http.CrossOriginProtection) and routes r.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	if err := h.cop.Check(r); err != nil {
		h.fail(w, r, nil, http.StatusForbidden, "console.error.csrf", nil)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// staticFiles serves the embedded assets, cacheable for an hour.
func staticFiles(fsys fs.FS) http.Handler {
	fh := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fh.ServeHTTP(w, r)
	})
}

// Keys returns the Authenticator of the managed API keys of svc (package
// apikey), for New: the key of the request's "Authorization: Bearer"
// header (httpapi.APIKey), an error matching httpapi.ErrUnauthenticated
// for a missing, unknown, expired or revoked one.
func Keys(svc *apikey.Service) httpapi.Authenticator { return managedKeys{svc} }

type managedKeys struct{ svc *apikey.Service }

func (m managedKeys) Authenticate(r *http.Request) (crm.Principal, error) {
	token := httpapi.APIKey(r)
	if token == "" {
		return crm.Principal{}, httpapi.ErrUnauthenticated
	}
	p, err := m.svc.Authenticate(r.Context(), token)
	if errors.Is(err, apikey.ErrUnauthenticated) {
		return crm.Principal{}, httpapi.ErrUnauthenticated
	}
	return p, err
}

// statusOf is the HTTP status of a service error, as the API answers it
// (httpapi.StatusOf), and the code of the console's message for it.
func statusOf(err error) (int, string) {
	status := httpapi.StatusOf(err)
	switch status {
	case http.StatusNotFound:
		return status, "console.error.not_found"
	case http.StatusForbidden:
		return status, "console.error.forbidden"
	case http.StatusUnprocessableEntity:
		return status, "console.error.invalid"
	case http.StatusConflict:
		if dealercrm.ErrorCode(err) == dealercrm.FailedPrecondition {
			return status, "console.error.failed_precondition"
		}
		return status, "console.error.conflict"
	case http.StatusServiceUnavailable:
		return status, "console.error.unavailable"
	}
	return http.StatusInternalServerError, "console.error.internal"
}
