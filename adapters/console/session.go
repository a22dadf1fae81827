package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"golang.org/x/text/language"
)

// The console's cookies, all HttpOnly (no script reads them), SameSite=Lax
// and Secure (unless WithInsecureCookies), scoped to the prefix. The
// session cookie holds the API key sealed (see seal): whoever reads the
// cookie jar does not learn the key, and the session ends after
// sessionLife whatever the browser keeps. The key is authenticated again
// on every request, so a revoked key ends the session at once.
const (
	sessionCookie = "dcrm_session"
	sessionLife   = 12 * time.Hour
	// preCookie is a random value of a browser not signed in yet: the
	// sign-in form's CSRF token is derived from it.
	preCookie   = "dcrm_pre"
	flashCookie = "dcrm_flash"
	langCookie  = "dcrm_lang"
	// csrfField is the hidden form field of the CSRF token.
	csrfField = "csrf"
)

// req is one request to a page or action, signed in.
type req struct {
	h *handler
	w http.ResponseWriter
	r *http.Request
	// p is the principal, with its permissions resolved.
	p    crm.Principal
	lang language.Tag
	// session is the session cookie's value (the key): the CSRF token is
	// derived from it.
	session string
	// words renders and remembers the words of q's language (T).
	words *view
}

// token returns the CSRF token of a session value: an HMAC-SHA256 of it
// under the handler's secret, so that a page from another site can
// neither read nor compute it.
func (h *handler) token(session string) string {
	m := hmac.New(sha256.New, h.cfg.secret)
	m.Write([]byte("dealercrm console csrf\x00"))
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkToken reports whether the form of r carries the CSRF token of
// session. It reads at most 64 KiB of body: no console form is larger.
func (h *handler) checkToken(w http.ResponseWriter, r *http.Request, session string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	got := r.PostFormValue(csrfField)
	return session != "" && got != "" && hmac.Equal([]byte(got), []byte(h.token(session)))
}

// language returns the language of r: the lang cookie when it names a
// language of the catalog, else the best match of Accept-Language (the
// catalog's default, Chinese, without one).
func (h *handler) language(r *http.Request) language.Tag {
	if c, err := r.Cookie(langCookie); err == nil && c.Value != "" {
		if t, err := language.Parse(c.Value); err == nil {
			for _, l := range h.cat.Languages() {
				if l == t {
					return l
				}
			}
		}
	}
	return h.cat.Match(r.Header.Get("Accept-Language"))
}

// authenticate returns the principal of r's session cookie and the
// cookie's value; an error matching httpapi.ErrUnauthenticated when r has
// no session, its session is over or was not sealed by this handler's
// secret, or its key no longer works. The CSRF token is derived from the
// cookie's value, which is each session's own (seal's nonce), even for
// two sessions of one key.
func (h *handler) authenticate(r *http.Request) (crm.Principal, string, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return crm.Principal{}, "", httpapi.ErrUnauthenticated
	}
	key, ok := h.open(c.Value)
	if !ok {
		return crm.Principal{}, c.Value, httpapi.ErrUnauthenticated
	}
	p, err := h.authKey(r, key)
	return p, c.Value, err
}

// seal returns the session cookie's value for key: AES-256-GCM under a
// key derived from the handler's secret, of the session's end (Unix
// seconds, sessionLife from now) and the API key, with a random nonce,
// base64url. Every replica given the same secret (WithSecret) opens it.
func (h *handler) seal(key string) string {
	gcm := h.sealer
	out := make([]byte, gcm.NonceSize(), gcm.NonceSize()+8+len(key)+gcm.Overhead())
	_, _ = rand.Read(out) // never fails (crypto/rand)
	plain := binary.BigEndian.AppendUint64(nil, uint64(h.cfg.now().Add(sessionLife).Unix()))
	plain = append(plain, key...)
	return base64.RawURLEncoding.EncodeToString(gcm.Seal(out, out, plain, []byte(sessionCookie)))
}

// open returns the API key of a session cookie's value that seal made
// with this handler's secret and whose session is not over.
func (h *handler) open(value string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(value)
	gcm := h.sealer
	if err != nil || len(b) < gcm.NonceSize()+8+gcm.Overhead() {
		return "", false
	}
	plain, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], []byte(sessionCookie))
	if err != nil || len(plain) < 8 {
		return "", false
	}
	end := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0)
	if !h.cfg.now().Before(end) {
		return "", false
	}
	return string(plain[8:]), true
}

// sessionAEAD returns the AEAD that seals sessions: AES-256-GCM keyed by
// an HMAC-SHA256 of a label under the handler's secret, so that the key
// of the CSRF tokens and the sealing key are not the same.
func sessionAEAD(secret []byte) cipher.AEAD {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("dealercrm console session seal"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

// nonce returns a random value for a cookie: 18 bytes, base64url (no dots).
func nonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authKey authenticates key with the handler's Authenticator, as if r
// carried it in an Authorization header, and resolves the principal's
// permissions with the role table.
func (h *handler) authKey(r *http.Request, key string) (crm.Principal, error) {
	ar := r.Clone(r.Context())
	ar.Header = http.Header{"Authorization": {"Bearer " + key}}
	p, err := h.auth.Authenticate(ar)
	if err != nil {
		return crm.Principal{}, err
	}
	if p.Dealer == "" {
		return crm.Principal{}, httpapi.ErrUnauthenticated
	}
	h.cfg.roles.Resolve(&p)
	return p, nil
}

func (h *handler) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: h.cfg.prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: !h.cfg.insecure, SameSite: http.SameSiteLaxMode})
}

// start authenticates r for a page or an action: a request without a
// working session is sent to the sign-in page (a revoked key's cookie is
// cleared), one whose roles lack perm is refused with 403.
func (h *handler) start(w http.ResponseWriter, r *http.Request, perm crm.Permission) (*req, bool) {
	p, session, err := h.authenticate(r)
	if err != nil {
		if !errors.Is(err, httpapi.ErrUnauthenticated) {
			h.logError(r, err)
			h.fail(w, r, nil, http.StatusServiceUnavailable, "console.error.unavailable", nil)
			return nil, false
		}
		if session != "" {
			h.setCookie(w, sessionCookie, "", -1)
		}
		target := h.cfg.prefix + "signin"
		if r.Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil, false
	}
	q := &req{h: h, w: w, r: r, p: p, lang: h.language(r), session: session}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Cookie")
	if !p.Can(perm) {
		h.fail(w, r, q, http.StatusForbidden, "console.error.forbidden", nil)
		return nil, false
	}
	return q, true
}

// page is a page that needs perm.
func (h *handler) page(perm crm.Permission, fn func(*req) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, ok := h.start(w, r, perm)
		if !ok {
			return
		}
		if err := fn(q); err != nil {
			status, code := statusOf(err)
			if status >= 500 {
				h.logError(r, err)
			}
			h.fail(w, r, q, status, code, map[string]string{"detail": q.detail(err)})
		}
	})
}

// flash is what an action says on the page it redirects to: a message
// code and its parameters.
type flash struct {
	Code   string            `json:"c"`
	Params map[string]string `json:"p,omitempty"`
	Error  bool              `json:"e,omitempty"`
}

// action is a form post that needs perm, audited as op: its CSRF token is
// checked first (403 without it), then fn runs; the browser is sent back
// (303) to the form's page with fn's flash message, or with the error's
// when it failed for a reason the user can mend (invalid input, a
// conflict); a refusal is a 403 page, an unknown record a 404.
func (h *handler) action(perm crm.Permission, op string, fn func(*req) (flash, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, ok := h.start(w, r, perm)
		if !ok {
			h.auditRefusal(r, op, perm)
			return
		}
		if !h.checkToken(w, r, q.session) {
			h.fail(w, r, q, http.StatusForbidden, "console.error.csrf", nil)
			return
		}
		pend := h.startAudit(q, op)
		f, err := fn(q)
		h.finishAudit(q, pend, err)
		if err != nil {
			status, code := statusOf(err)
			switch {
			case status == http.StatusUnprocessableEntity || status == http.StatusConflict:
				f = flash{Code: "console.flash.error", Params: map[string]string{"detail": q.T(code, "detail", q.detail(err))}, Error: true}
			default:
				if status >= 500 {
					h.logError(r, err)
				}
				h.fail(w, r, q, status, code, map[string]string{"detail": q.detail(err)})
				return
			}
		}
		h.setFlash(w, f)
		http.Redirect(w, r, h.back(r), http.StatusSeeOther)
	})
}

// back is where an action returns: the form's "back" field when it is a
// path of the console (never another site), else the tasks page.
func (h *handler) back(r *http.Request) string {
	b := r.PostFormValue("back")
	if strings.HasPrefix(b, h.cfg.prefix) && !strings.HasPrefix(b, "//") && !strings.Contains(b, "\\") {
		return b
	}
	return h.cfg.prefix + "tasks"
}

func (h *handler) setFlash(w http.ResponseWriter, f flash) {
	b, err := json.Marshal(f)
	if err != nil {
		return
	}
	h.setCookie(w, flashCookie, base64.RawURLEncoding.EncodeToString(b), 60)
}

// takeFlash returns the flash message of r, clearing it.
func (q *req) takeFlash() (flash, bool) {
	c, err := q.r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return flash{}, false
	}
	q.h.setCookie(q.w, flashCookie, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	var f flash
	if err != nil || json.Unmarshal(b, &f) != nil || !strings.HasPrefix(f.Code, "console.flash.") {
		return flash{}, false
	}
	return f, true
}

// detail is the text of err shown to the user: the fields of a
// validation error, each with its rule in q's language as the HTTP API
// words it ("rule." + rule; English keeps the domain's own message), the
// message of a dealercrm error (never a driver's text: internal errors
// show none).
func (q *req) detail(err error) string {
	if ve, ok := errors.AsType[*crm.ValidationError](err); ok {
		var parts []string
		for _, f := range ve.Fields {
			msg := f.Message
			if _, known := q.h.cat.Template(q.h.cat.Languages()[0], "rule."+f.Rule); known && q.lang != i18n.English {
				msg = q.h.cat.Render(q.lang, "rule."+f.Rule, map[string]string{"field": f.Field, "message": f.Message})
			}
			parts = append(parts, f.Field+": "+msg)
		}
		return strings.Join(parts, "; ")
	}
	switch dealercrm.ErrorCode(err) {
	case dealercrm.Internal, dealercrm.Unavailable:
		return ""
	}
	if pe, ok := errors.AsType[*crm.PermissionError](err); ok {
		return pe.Message
	}
	if de, ok := errors.AsType[*dealercrm.Error](err); ok {
		return de.Message
	}
	return err.Error()
}

// signinPage shows the sign-in form.
func (h *handler) signinPage(w http.ResponseWriter, r *http.Request) {
	if _, _, err := h.authenticate(r); err == nil {
		http.Redirect(w, r, h.next(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.renderSignin(w, r, http.StatusOK, "", r.URL.Query().Get("next"))
}

func (h *handler) renderSignin(w http.ResponseWriter, r *http.Request, status int, errCode, next string) {
	pre := ""
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 16 {
		pre = c.Value
	} else {
		pre = nonce()
		h.setCookie(w, preCookie, pre, 3600)
	}
	w.Header().Set("Cache-Control", "no-store")
	q := &req{h: h, w: w, r: r, lang: h.language(r)}
	v := q.view("console.signin.title", "")
	v.CSRF = h.token("pre:" + pre)
	v.SignedIn = false
	h.render(w, r, status, "signin", v, signinData{Error: errCode, Next: next})
}

type signinData struct {
	Error string
	Next  string
}

// signin checks the key of the form and starts a session.
func (h *handler) signin(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(preCookie)
	if err != nil || !h.checkToken(w, r, "pre:"+c.Value) {
		h.fail(w, r, nil, http.StatusForbidden, "console.error.csrf", nil)
		return
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	next := r.PostFormValue("next")
	_, err = h.authKey(r, key)
	if err != nil || key == "" {
		if err != nil && !errors.Is(err, httpapi.ErrUnauthenticated) {
			h.logError(r, err)
			h.fail(w, r, nil, http.StatusServiceUnavailable, "console.error.unavailable", nil)
			return
		}
		h.renderSignin(w, r, http.StatusUnauthorized, "console.signin.bad_key", next)
		return
	}
	h.setCookie(w, preCookie, "", -1)
	h.setCookie(w, sessionCookie, h.seal(key), int(sessionLife.Seconds()))
	http.Redirect(w, r, h.next(next), http.StatusSeeOther)
}

// next is a local console path to go to after signing in.
func (h *handler) next(n string) string {
	if strings.HasPrefix(n, h.cfg.prefix) && !strings.HasPrefix(n, "//") && !strings.Contains(n, "\\") &&
		!strings.HasPrefix(n, h.cfg.prefix+"signin") {
		return n
	}
	return h.cfg.prefix + "tasks"
}

// signout ends the session: its cookie is cleared (the key itself stays
// valid; revoke it to end every session of it).
func (h *handler) signout(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || !h.checkToken(w, r, c.Value) {
		h.fail(w, r, nil, http.StatusForbidden, "console.error.csrf", nil)
		return
	}
	h.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, h.cfg.prefix+"signin", http.StatusSeeOther)
}

// switchLanguage sets the lang cookie to the language of "to" (one of the
// catalog's) and returns to "back".
func (h *handler) switchLanguage(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if t, err := language.Parse(to); err == nil {
		for _, l := range h.cat.Languages() {
			if l == t {
				http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l.String(), Path: h.cfg.prefix, MaxAge: 365 * 24 * 3600,
					HttpOnly: true, Secure: !h.cfg.insecure, SameSite: http.SameSiteLaxMode})
			}
		}
	}
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, h.cfg.prefix) || strings.HasPrefix(back, "//") || strings.Contains(back, "\\") {
		back = h.cfg.prefix + "tasks"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// logError logs an internal error, masked.
func (h *handler) logError(r *http.Request, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "console: error", slog.String("path", r.Pattern),
		httpapi.MaskAttr(nil, slog.String("error", err.Error())))
}

// startAudit returns the pending audit record of an action, carried to
// the stores in q's context so that they commit it with the change; nil
// without WithAudit.
func (h *handler) startAudit(q *req, op string) *crm.AuditPending {
	if h.cfg.audit == nil {
		return nil
	}
	rec := crm.AuditRecord{ID: dealercrm.NewID(), DealerID: q.p.Dealer, At: h.cfg.now().UTC().Truncate(time.Microsecond),
		KeyID: q.p.KeyID, StaffID: q.p.Staff, Operation: op, RequestID: "console"}
	if id := crm.AuditID(q.r.PathValue("id")); id != "" {
		rec.Records = []string{id}
	}
	pend := crm.NewAuditPending(rec, true)
	q.r = q.r.WithContext(crm.WithAudit(q.r.Context(), pend))
	return pend
}

// finishAudit appends the record of an action that no transaction
// committed: denied on a refusal, failed on another error.
func (h *handler) finishAudit(q *req, pend *crm.AuditPending, err error) {
	if pend == nil {
		return
	}
	outcome, reason := crm.AuditOK, ""
	if err != nil {
		outcome, reason = crm.AuditFailed, string(dealercrm.ErrorCode(err))
		if dealercrm.ErrorCode(err) == dealercrm.PermissionDenied {
			outcome = crm.AuditDenied
			if pe, ok := errors.AsType[*crm.PermissionError](err); ok && pe.Permission != "" {
				reason += ": " + string(pe.Permission)
			}
		}
	}
	rec, ok := pend.Finish(outcome, reason)
	if !ok {
		return
	}
	ctx := crm.WithAudit(q.r.Context(), nil)
	if aerr := h.cfg.audit.Append(ctx, rec); aerr != nil {
		h.logError(q.r, fmt.Errorf("audit record not written: %w", aerr))
	}
}

// auditRefusal records an action refused before it ran because the
// principal's roles lack perm (the session itself was fine).
func (h *handler) auditRefusal(r *http.Request, op string, perm crm.Permission) {
	if h.cfg.audit == nil {
		return
	}
	p, _, err := h.authenticate(r)
	if err != nil || p.Can(perm) {
		return
	}
	rec := crm.AuditRecord{ID: dealercrm.NewID(), DealerID: p.Dealer, At: h.cfg.now().UTC().Truncate(time.Microsecond),
		KeyID: p.KeyID, StaffID: p.Staff, Operation: op, RequestID: "console", Outcome: crm.AuditDenied,
		Reason: string(dealercrm.PermissionDenied) + ": " + string(perm)}
	if id := r.PathValue("id"); id != "" {
		rec.Records = []string{crm.AuditID(id)}
	}
	if err := h.cfg.audit.Append(r.Context(), rec); err != nil {
		h.logError(r, fmt.Errorf("audit record not written: %w", err))
	}
}
