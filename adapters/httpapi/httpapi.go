package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dealercrm/dealercrm/i18n"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
)

// Request body limits. A body larger than its limit is answered with 413.
const (
	// DefaultMaxBodyBytes limits the body of every request but the bulk
	// import (1 MiB); change it with WithMaxBodyBytes.
	DefaultMaxBodyBytes int64 = 1 << 20
	// DefaultMaxImportBytes limits the body of POST /v1/import (64 MiB, about
	// 100,000 typical records); change it with WithMaxImportBytes.
	DefaultMaxImportBytes int64 = 64 << 20
)

// Resource limits: a deadline on every request and a cap on the heavy ones,
// so that a burst of reports from one client cannot take every database
// connection. A request that meets a limit is answered 503 with
// Retry-After (see retryAfter), and the cause is logged.
const (
	// DefaultRequestTimeout is the deadline of every request's context
	// (WithRequestTimeout). A request still working when it passes is
	// answered 503: the stores stop at the deadline.
	DefaultRequestTimeout = 60 * time.Second
	// DefaultMaxHeavyRequests is how many heavy requests — reports,
	// grading runs, imports, segment previews, audience freezes, exports —
	// run at once (WithHeavyRequests); the rest wait.
	DefaultMaxHeavyRequests = 4
	// DefaultHeavyWait is how long a heavy request waits for its turn
	// before it is answered 503 (WithHeavyRequests).
	DefaultHeavyWait = time.Second
)

// retryAfter is the Retry-After of every 503: long enough for a burst of
// heavy requests to drain or a restarted database to accept connections,
// short enough that a client's retry comes soon.
const retryAfter = 2 * time.Second

// config is what the options set.
type config struct {
	keys *keyring
	auth Authenticator
	// roles gives the permissions of each role (WithRoles).
	roles crm.RoleTable
	// managed authenticates and serves the managed API keys (WithKeys).
	managed       *apikey.Service
	logger        *slog.Logger
	maxBody       int64
	maxImportBody int64
	timeout       time.Duration
	maxHeavy      int
	heavyWait     time.Duration
	// maxInFlight caps the other requests running at once
	// (WithMaxInFlight); 0 for no cap.
	maxInFlight int
	// The abuse limits (ratelimit.go).
	keyRate        float64
	keyBurst       int
	heavyPerDealer int
	// catalog renders the words of answers (WithCatalog).
	catalog *i18n.Catalog
	// audit keeps the audit trail (WithAudit); nil for none.
	audit crm.AuditStore
	// modules add the routes of other dealercrm packages (grading,
	// satisfaction, …); each is enabled by its own Option, declared in that
	// module's file, so the crm routes stay the same without them.
	modules []module
}

// module is what a dealercrm package other than crm adds to the handler:
// its routes, and the enumerations, names and descriptions of its types
// for the OpenAPI document.
type module struct {
	routes  func() []route
	schemas func(*schemaRegistry)
}

// Option configures the handler built by NewHandler.
type Option func(*config)

// WithAPIKeys adds API keys, each scoped to one dealer, in the form kept
// from before keys had roles: each key gets LegacyRoles (admin and
// group_admin: everything the default role table allows) and no staff
// member, so it names the acting staff member in bodies where one is
// needed (decided_by). WithPrincipals gives keys roles and staff. Only the
// SHA-256 hash of each key is kept, and a presented key is compared with
// every stored hash in constant time. Empty keys are ignored; a key mapped
// to an empty dealer ID makes NewHandler panic, since every request with
// it would fail. It may be given more than once, and with WithPrincipals;
// later keys are added to earlier ones. WithAuthenticator replaces the
// keys.
func WithAPIKeys(keys map[string]crm.DealerID) Option {
	return func(c *config) {
		for k, d := range keys {
			c.keys.add(k, crm.Principal{Dealer: d, Roles: LegacyRoles})
		}
	}
}

// WithPrincipals adds API keys, each with its principal: dealer, roles
// (required), staff member, group and key ID (crm.Principal; Permissions
// is ignored: the role table gives them). Keys are kept as WithAPIKeys
// keeps them. A principal without a dealer or roles makes NewHandler
// panic.
func WithPrincipals(keys map[string]crm.Principal) Option {
	return func(c *config) {
		for k, p := range keys {
			c.keys.add(k, p)
		}
	}
}

// WithRoles replaces the role table — which permissions each role holds —
// by t (crm.DefaultRoles by default). The permission each operation needs
// is fixed (the x-permission of each operation in the OpenAPI document);
// the roles that hold it are the host's choice.
func WithRoles(t crm.RoleTable) Option { return func(c *config) { c.roles = t } }

// WithAuthenticator replaces the API keys of WithAPIKeys and
// WithPrincipals by a for deciding whom a request acts for (keys kept in
// the host's own database, say).
func WithAuthenticator(a Authenticator) Option { return func(c *config) { c.auth = a } }

// WithLogger sets the logger of request logs (one line per request with
// method, route pattern, status, duration and dealer — never the API key,
// the URL or a body) and of internal errors, whose text is masked with
// the same rules as MaskAttr. Without it nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithMaxBodyBytes sets the body limit of every request but the bulk import
// (DefaultMaxBodyBytes). n ≤ 0 keeps the default.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// WithMaxImportBytes sets the body limit of POST /v1/import
// (DefaultMaxImportBytes). n ≤ 0 keeps the default.
func WithMaxImportBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxImportBody = n
		}
	}
}

// WithRequestTimeout sets the deadline of every request's context
// (DefaultRequestTimeout): stores stop working for a request past it, and
// the request is answered 503 with Retry-After. Keep it below the server's
// WriteTimeout (NewServer: 120s) and above the database's statement
// timeout, so that a slow statement ends as a clear 503. d ≤ 0 keeps the
// default.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithHeavyRequests caps the heavy requests that run at once — reports,
// grading runs, imports, segment previews, audience freezes, exports: each
// holds a database connection (and an import its records in memory) for
// long. A heavy request beyond n waits up to wait for a turn, then is
// answered 503 with Retry-After. Other requests are not held up. The
// defaults are DefaultMaxHeavyRequests and DefaultHeavyWait; n ≤ 0 keeps
// the default cap, wait < 0 the default wait (0 does not wait). Size n
// well below the database pool, so that heavy requests always leave
// connections to the rest.
func WithHeavyRequests(n int, wait time.Duration) Option {
	return func(c *config) {
		if n > 0 {
			c.maxHeavy = n
		}
		if wait >= 0 {
			c.heavyWait = wait
		}
	}
}

// WithMaxInFlight caps the requests that run at once at n, heavy ones
// apart (they have their own cap, WithHeavyRequests) and the public routes
// (GET /healthz, the OpenAPI document) never held. A request beyond n
// waits for a turn, in the order requests came, as long as its deadline
// allows (WithRequestTimeout), then is answered 503 with Retry-After.
// n ≤ 0, the default, sets no cap.
//
// When Postgres runs on the server's own cores, a cap near their number
// keeps latency even under load: the requests past it wait in line
// instead of every one of them, and its Postgres backend, competing for
// the CPU (docs/benchmarks.md: the call list at 16 clients on 2 cores).
// With Postgres on its own host, a request spends much of its time waiting
// for it, and the cap belongs near the pool's size, or off.
func WithMaxInFlight(n int) Option {
	return func(c *config) { c.maxInFlight = max(n, 0) }
}

// handler is the http.Handler of NewHandler.
type handler struct {
	svc    *crm.Service
	auth   Authenticator
	log    *slog.Logger
	cfg    config
	mux    *http.ServeMux
	routes []route
	// patterns are the patterns registered on mux, in order.
	patterns []string
	// openapi is the OpenAPI document, built once from routes and
	// schemas.
	openapi []byte
	schemas *schemaRegistry
	// heavy holds a token per heavy request running, turns one per other
	// request when they are capped (WithMaxInFlight; nil otherwise).
	heavy, turns chan struct{}
	// limits are the per-key rates and the per-dealer heavy turns.
	limits *limits
	// resolved says the Authenticator is the keyring, whose principals
	// carry their permissions already.
	resolved bool
}

// NewHandler returns the HTTP API over svc (see the package documentation
// for the routes). It never owns a listener: serve it with NewServer or
// mount it in the host's own server, at the root (its paths start with
// /v1). Every route but GET /healthz and GET /v1/openapi.json needs an API
// key (WithAPIKeys, WithPrincipals), the dealer is always the key's, and
// the key's roles must hold the operation's permission (WithRoles).
func NewHandler(svc *crm.Service, opts ...Option) http.Handler {
	cfg := config{keys: &keyring{}, maxBody: DefaultMaxBodyBytes, maxImportBody: DefaultMaxImportBytes,
		timeout: DefaultRequestTimeout, maxHeavy: DefaultMaxHeavyRequests, heavyWait: DefaultHeavyWait,
		keyRate: DefaultKeyRate, keyBurst: DefaultKeyBurst, heavyPerDealer: DefaultHeavyPerDealer}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.catalog == nil {
		cfg.catalog = i18n.Default()
	}
	if cfg.roles == nil {
		cfg.roles = crm.DefaultRoles()
	}
	h := &handler{svc: svc, cfg: cfg, log: cfg.logger, auth: cfg.auth, mux: http.NewServeMux(),
		heavy: make(chan struct{}, cfg.maxHeavy), limits: newLimits(cfg)}
	if cfg.maxInFlight > 0 {
		h.turns = make(chan struct{}, cfg.maxInFlight)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.auth == nil {
		// The keyring's principals are resolved now, once; another
		// Authenticator's on every request (endpoint).
		cfg.keys.resolve(cfg.roles)
		h.auth, h.resolved = cfg.keys, true
	}
	if cfg.managed != nil {
		h.auth = &managedKeys{svc: cfg.managed, roles: cfg.roles, next: h.auth, nextResolved: h.resolved}
		h.resolved = true
	}
	h.routes = allRoutes(svc)
	h.schemas = newSchemaRegistry()
	for _, m := range cfg.modules {
		h.routes = append(h.routes, m.routes()...)
		m.schemas(h.schemas)
	}
	for i := range h.routes {
		rt := &h.routes[i]
		rt.perm = permissionOf(*rt)
		rt.wildcards = pathParams(rt.path)
		rt.auditOK = !rt.public && (rt.method != http.MethodGet || auditsReads(*rt))
	}
	for _, rt := range h.routes {
		h.mux.Handle(rt.pattern(), h.endpoint(rt))
		h.patterns = append(h.patterns, rt.pattern())
	}
	doc, err := json.Marshal(openAPI(h.routes, h.schemas, cfg.roles))
	if err != nil {
		panic(fmt.Sprintf("httpapi: OpenAPI document: %v", err))
	}
	h.openapi = doc
	return h
}

// ServeHTTP routes r, answers unknown routes and methods with problem
// details, turns a panic into a 500 and logs the request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, requestID: requestID(r)}
	w.Header().Set(requestIDHeader, sw.requestID)
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.LogAttrs(r.Context(), slog.LevelError, "httpapi: panic",
				slog.String("route", sw.route), slog.String("panic", maskString(fmt.Sprint(p))),
				slog.String("stack", maskString(string(debug.Stack()))))
			if !sw.wrote {
				h.writeProblem(sw, r, fmt.Errorf("panic: %v", p))
			}
		}
		h.logRequest(r, sw, time.Since(start))
	}()
	if fallback, pattern := h.mux.Handler(r); pattern == "" {
		h.noRoute(sw, r, fallback)
		return
	}
	h.mux.ServeHTTP(sw, r)
}

// acquireHeavy waits for a turn of a heavy request, up to the configured
// wait, and returns the function that ends it; a 503 when none comes.
func (h *handler) acquireHeavy(ctx context.Context) (release func(), err error) {
	if take(ctx, h.heavy, h.cfg.heavyWait) {
		return func() { <-h.heavy }, nil
	}
	busy := &unavailableError{
		public: dealercrm.Errorf(dealercrm.Unavailable, "the server is running as many heavy requests (reports, runs, imports, exports) as it may; retry later"),
		cause:  strconv.Itoa(cap(h.heavy)) + " heavy requests running, none ended within " + h.cfg.heavyWait.String(),
	}
	if err := ctx.Err(); err != nil {
		busy.cause = "gave up waiting for a heavy request's turn: " + err.Error()
	}
	return nil, busy
}

// acquireLight waits for a turn of a request that is not heavy
// (WithMaxInFlight), as long as ctx allows, and returns the function that
// ends it; a 503 when none comes. Waiting senders on a channel are served
// in order, so requests wait in line.
func (h *handler) acquireLight(ctx context.Context) (release func(), err error) {
	if take(ctx, h.turns, h.cfg.timeout) {
		return func() { <-h.turns }, nil
	}
	return nil, &unavailableError{
		public: dealercrm.Errorf(dealercrm.Unavailable, "the server is answering as many requests as it may; retry later"),
		cause:  strconv.Itoa(cap(h.turns)) + " requests running, none ended before this one's deadline (" + h.cfg.timeout.String() + ")",
	}
}

// pastDeadline turns the error of a request that ran past its deadline
// into a 503: the store's error (a cancelled statement, an internal error
// of a driver cut short) is then only a symptom, logged as the cause.
// Errors with another meaning (a validation error) are kept.
func (h *handler) pastDeadline(ctx context.Context, err error) error {
	if ctx.Err() != context.DeadlineExceeded {
		return err
	}
	if _, ok := errors.AsType[*apiError](err); ok {
		return err // the request's own fault, whenever it was found
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return err
	}
	if code := dealercrm.ErrorCode(err); code != dealercrm.Unavailable && code != dealercrm.Internal {
		return err
	}
	return &unavailableError{
		public: dealercrm.Errorf(dealercrm.Unavailable, "the request did not finish within %s; retry later", h.cfg.timeout),
		cause:  err.Error(),
	}
}

// unavailableError is a 503 of the HTTP layer (the heavy requests are at
// their cap, a request ran past its deadline): its message is for the
// client, its cause for the log.
type unavailableError struct {
	public *dealercrm.Error
	cause  string
}

func (e *unavailableError) Error() string { return e.public.Message + ": " + e.cause }
func (e *unavailableError) Unwrap() error { return e.public }

// unavailable completes every 503 answer: it sets Retry-After, unless the
// answer has one, and logs the cause (masked), so that an operator can
// tell an overloaded server from an unreachable database.
func (h *handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	route, dealer := "", crm.DealerID("")
	if sw, ok := w.(*statusWriter); ok {
		route, dealer = sw.route, sw.dealer
	}
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "httpapi: unavailable",
		slog.String("method", r.Method), slog.String("route", route), slog.String("dealer", string(dealer)),
		slog.String("cause", maskString(err.Error())))
}

// noRoute answers a request that matches no pattern: 405 when the path
// exists with other methods, else 404. The mux's own fallback handler tells
// which, and its Allow header is kept.
func (h *handler) noRoute(w http.ResponseWriter, r *http.Request, fallback http.Handler) {
	probe := &headerRecorder{header: http.Header{}}
	fallback.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		h.writeProblem(w, r, &apiError{code: codeMethodNotAllowed,
			detail: fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, probe.header.Get("Allow")),
			header: http.Header{"Allow": probe.header.Values("Allow")}})
		return
	}
	h.writeProblem(w, r, &apiError{code: codeRouteNotFound, detail: "no route matches " + r.Method + " " + r.URL.Path})
}

// logRequest writes the request log line. It names the route pattern, not
// the URL: paths and query strings may carry personal data (a mobile
// filter).
func (h *handler) logRequest(r *http.Request, sw *statusWriter, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case sw.status == http.StatusServiceUnavailable:
		// Load or an outage, not a bug: its cause is logged as a warning.
		level = slog.LevelWarn
	case sw.status >= 500:
		level = slog.LevelError
	}
	h.log.LogAttrs(r.Context(), level, "http request",
		slog.String("method", r.Method),
		slog.String("route", sw.route),
		slog.Int("status", sw.status),
		slog.Duration("duration", d),
		slog.String("dealer", string(sw.dealer)),
		slog.String("request_id", sw.requestID))
}

// statusWriter records the status of a response, and the route and dealer
// of the request for its log line.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	route  string
	dealer crm.DealerID
	// requestID is the request's ID (X-Request-Id), reason the audit
	// reason of its problem answer (auditReason).
	requestID string
	reason    string
}

// WriteHeader implements http.ResponseWriter.
func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// headerRecorder captures the status and headers of the mux's fallback.
type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header { return r.header }

func (r *headerRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return len(b), nil
}

func (r *headerRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
