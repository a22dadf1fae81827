package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/lifecycle"
	"golang.org/x/text/language"
)

// Words people read — task reasons and status reasons, the gone reasons of
// a plan, problem details — are rendered here, at the boundary, in the
// language of the request's Accept-Language (package i18n: Chinese by
// default, English when asked for). The machine members stay as they are:
// reason_code and reason_params next to reason, and a problem's type,
// code, and each error's field and rule. Every answer says its language in
// Content-Language and varies by Accept-Language.

// WithCatalog renders the words of the answers from cat: a host's own
// wording or languages (i18n.Catalog.Set). Without it the handler uses
// i18n.Default().
func WithCatalog(cat *i18n.Catalog) Option { return func(c *config) { c.catalog = cat } }

// language returns the catalog language of the request, matched once.
func (c *call) language() language.Tag {
	if !c.langSet {
		c.lang, c.langSet = c.cat.Match(c.r.Header.Get("Accept-Language")), true
	}
	return c.lang
}

// say renders code with params in the request's language; text (the
// domain's English) when there is no code, as on a record stored before
// codes existed.
func (c *call) say(code string, params map[string]string, text string) string {
	if code == "" {
		return text
	}
	return c.cat.Render(c.language(), code, params)
}

// setLanguageHeaders says which language an answer is in.
func setLanguageHeaders(h http.Header, lang language.Tag) {
	h.Set("Content-Language", lang.String())
	h.Add("Vary", "Accept-Language")
}

// renderTask renders the reason and status reason of t.
func (c *call) renderTask(t *lifecycle.Task) {
	t.Reason = c.say(t.ReasonCode, t.ReasonParams, t.Reason)
	t.StatusReason = c.say(t.StatusReasonCode, t.StatusReasonParams, t.StatusReason)
}

// renderAbnormal renders the reasons of the abnormal classes of r's vehicles.
func (c *call) renderAbnormal(r *lifecycle.AbnormalReport) {
	for i := range r.Items {
		for j := range r.Items[i].Abnormal {
			a := &r.Items[i].Abnormal[j]
			a.Reason = c.say(a.ReasonCode, a.ReasonParams, a.Reason)
		}
	}
}

// renderComebacks renders the reasons of r's comebacks.
func (c *call) renderComebacks(r *lifecycle.ComebackReport) {
	for i := range r.Items {
		cb := &r.Items[i]
		cb.Reason = c.say(cb.ReasonCode, cb.ReasonParams, cb.Reason)
	}
}

// renderPlan renders the stage explanation of p, its rows' reasons and
// its gone reasons.
func (c *call) renderPlan(p *lifecycle.Plan) {
	p.Stage.Reason = c.say(p.Stage.ReasonCode, p.Stage.ReasonParams, p.Stage.Reason)
	for i := range p.Tasks {
		t := &p.Tasks[i]
		t.Reason = c.say(t.ReasonCode, t.ReasonParams, t.Reason)
	}
	for k, m := range p.GoneCodes {
		p.Gone[k] = c.say(m.Code, m.Params, p.Gone[k])
	}
}

// localizeProblem renders the detail of p and the messages of its errors
// in lang. English keeps the domain's own text, the most specific there
// is; another language renders the problem's code ("problem." + code,
// with what the error carries as parameters: entity, field, machine,
// from, to, allowed, limit and the English detail) and each error's rule
// ("rule." + rule), keeping the English message of a rule the catalog
// does not know. Title stays the HTTP status text.
func localizeProblem(cat *i18n.Catalog, lang language.Tag, p *problem, err error) {
	if lang == i18n.English {
		return
	}
	params := map[string]string{"detail": p.Detail}
	code := "problem." + p.Code
	var ve *crm.ValidationError
	var ce *crm.ConflictError
	var te *dealercrm.TransitionError
	var tooLarge *http.MaxBytesError
	switch {
	case p.Code == string(dealercrm.Internal):
	case errors.As(err, &tooLarge):
		params["limit"] = strconv.FormatInt(tooLarge.Limit, 10)
	case errors.As(err, &ve):
		params["entity"] = ve.Entity
	case errors.As(err, &ce):
		params["field"] = ce.Field
	case p.Permission != "":
		code = "problem.permission_missing"
		params["permission"] = string(p.Permission)
	case errors.As(err, &te):
		from := te.From
		if from == "" {
			from = "none"
		}
		code = "problem.transition"
		params["machine"], params["from"], params["to"], params["allowed"] = te.Machine, from, te.To, strings.Join(te.Allowed, ", ")
	}
	if _, ok := cat.Template(lang, code); ok || hasDefault(cat, code) {
		p.Detail = cat.Render(lang, code, params)
	}
	if len(p.Errors) == 0 {
		return
	}
	errs := make([]crm.FieldError, len(p.Errors))
	for i, fe := range p.Errors {
		if hasDefault(cat, "rule."+fe.Rule) {
			fe.Message = cat.Render(lang, "rule."+fe.Rule, map[string]string{"field": fe.Field, "message": fe.Message})
		}
		errs[i] = fe
	}
	p.Errors = errs
}

// hasDefault reports whether cat has a template of code in its default
// language (which every other language falls back to).
func hasDefault(cat *i18n.Catalog, code string) bool {
	_, ok := cat.Template(cat.Languages()[0], code)
	return ok
}
