package console

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"golang.org/x/text/language"
)

// pages are the parsed templates: each page's file with the shared layout.
type pages struct {
	byName map[string]*template.Template
}

// pageNames are the page templates (templates/<name>.html).
var pageNames = []string{"signin", "error", "tasks", "customers", "customer", "leads", "members", "member", "dashboard"}

func mustParse() *pages {
	ps := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t := template.Must(template.New("layout.html").ParseFS(files, "templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
		ps.byName[name] = t
	}
	return ps
}

// view is what every page's template gets: the words of the chrome, the
// principal's navigation, the CSRF token for its forms, the flash message
// and the page's own data (Data).
type view struct {
	cat  *i18n.Catalog
	lang language.Tag
	// memo holds the labels rendered so far (T without parameters).
	memo map[string]string
	// Title is the page title, rendered.
	Title  string
	Prefix string
	Lang   string
	// Active is the nav item of the page.
	Active   string
	SignedIn bool
	Who      string
	Nav      []navItem
	CSRF     string
	// LangURL switches to the other language and back here; LangLabel
	// names it.
	LangURL   string
	LangLabel string
	Flash     string
	FlashErr  bool
	// Self is this page's path and query, where forms return.
	Self string
	Data any
}

type navItem struct {
	Label, URL string
	Active     bool
}

// T renders the message code with parameters given as name, value pairs
// in the page's language.
func (v *view) T(code string, kv ...string) string {
	if len(kv) == 0 {
		// A page asks for the same labels once per row: render each once.
		if s, ok := v.memo[code]; ok {
			return s
		}
		if v.memo == nil {
			v.memo = map[string]string{}
		}
		s := v.cat.Render(v.lang, code, nil)
		v.memo[code] = s
		return s
	}
	var params map[string]string
	if len(kv) > 1 {
		params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			params[kv[i]] = kv[i+1]
		}
	}
	return v.cat.Render(v.lang, code, params)
}

// With pairs the page's chrome with data, for a shared partial template
// ({{template "ledger" ($.With .Rows)}}): the partial reads the words
// through .V and its rows from .Data.
func (v *view) With(data any) partial { return partial{V: v, Data: data} }

type partial struct {
	V    *view
	Data any
}

// T renders code with parameters (name, value pairs) in q's language.
func (q *req) T(code string, kv ...string) string {
	if q.words == nil {
		q.words = &view{cat: q.h.cat, lang: q.lang}
	}
	return q.words.T(code, kv...)
}

// say renders a message code with its parameters, or text when there is
// no code (a record stored before codes existed).
func (q *req) say(code string, params map[string]string, text string) string {
	if code == "" {
		return text
	}
	return q.h.cat.Render(q.lang, code, params)
}

// word renders the enumeration value v under prefix ("outcome",
// "kind") as a word, or v itself when the catalog has none.
func (q *req) word(prefix, v string) string {
	if v == "" {
		return ""
	}
	code := prefix + "." + v
	if _, ok := q.h.cat.Template(q.lang, code); ok {
		return q.T(code)
	}
	return v
}

// phone is a phone number as the principal may see it: in full with
// crm.PermPersonalData, else masked as the HTTP API masks it.
func (q *req) phone(s string) string {
	if s == "" || q.p.Can(crm.PermPersonalData) {
		return s
	}
	return httpapi.MaskPhone(s)
}

// view returns the chrome of a page of q titled by code.
func (q *req) view(title, active string) *view {
	h := q.h
	v := &view{cat: h.cat, lang: q.lang, Prefix: h.cfg.prefix, Lang: q.lang.String(), Active: active, SignedIn: q.p.Dealer != ""}
	v.Title = v.T(title)
	other := h.cat.Languages()[0]
	if other == q.lang && len(h.cat.Languages()) > 1 {
		other = h.cat.Languages()[1]
	}
	self := q.r.URL.RequestURI()
	if !strings.HasPrefix(self, h.cfg.prefix) {
		self = h.cfg.prefix + "tasks"
	}
	v.Self = self
	v.LangURL = h.cfg.prefix + "lang?to=" + url.QueryEscape(other.String()) + "&back=" + url.QueryEscape(self)
	v.LangLabel = v.T("console.lang.switch")
	if !v.SignedIn {
		return v
	}
	v.CSRF = h.token(q.session)
	who := string(q.p.Staff)
	if who == "" {
		who = v.T("console.system_key")
	}
	roles := make([]string, len(q.p.Roles))
	for i, r := range q.p.Roles {
		roles[i] = string(r)
	}
	v.Who = v.T("console.signed_in_as", "who", who, "roles", strings.Join(roles, ", "))
	for _, it := range []struct {
		name string
		perm crm.Permission
		on   bool
	}{
		{"tasks", crm.PermTasksRead, true},
		{"customers", crm.PermCustomersRead, true},
		{"leads", crm.PermCustomersRead, true},
		{"members", crm.PermLoyaltyRead, h.svc.Loyalty != nil},
		{"dashboard", crm.PermReports, true},
	} {
		if it.on && q.p.Can(it.perm) {
			v.Nav = append(v.Nav, navItem{Label: v.T("console.nav." + it.name), URL: h.cfg.prefix + it.name, Active: it.name == active})
		}
	}
	if f, ok := q.takeFlash(); ok {
		v.Flash, v.FlashErr = v.T(f.Code, flatten(f.Params)...), f.Error
	}
	return v
}

func flatten(m map[string]string) []string {
	out := make([]string, 0, 2*len(m))
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

// show renders the page template name with the chrome v and data.
func (q *req) show(name string, v *view, data any) error {
	q.h.render(q.w, q.r, http.StatusOK, name, v, data)
	return nil
}

// render executes the page template name into a buffer first, so that a
// template error is a clean 500 and not half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view, data any) {
	v.Data = data
	var buf bytes.Buffer
	if err := h.pages.byName[name].Execute(&buf, v); err != nil {
		h.logError(r, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page with status and the message code (q is nil
// before sign-in).
func (h *handler) fail(w http.ResponseWriter, r *http.Request, q *req, status int, code string, params map[string]string) {
	if q == nil {
		q = &req{h: h, w: w, r: r, lang: h.language(r)}
	}
	w.Header().Set("Cache-Control", "no-store")
	v := q.view("console.error.title", "")
	if params["detail"] == "" {
		params = map[string]string{"detail": ""}
	}
	h.render(w, r, status, "error", v, v.T(code, flatten(params)...))
}
