package messages

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/dealercrm/dealercrm/crm"
)

// OptOutHint is the opt-out hint every marketing and care template must
// carry (工信部 rules on commercial SMS: the recipient is told how to
// unsubscribe). A reply of "T", "TD" or "退订" withdraws the consent
// (Service.Inbound).
const OptOutHint = "退订回T"

// RuleOptOutHint names the FieldError of a marketing template without
// OptOutHint.
const RuleOptOutHint = "opt_out_hint"

// Template is a message template as registered with the host's gateway:
// its ID, the purpose it may be used for and its text with {name}
// placeholders (the gateway renders it; the text here serves the opt-out
// check and the LogSender).
type Template struct {
	ID      string  `json:"id"`
	Purpose Purpose `json:"purpose"`
	Text    string  `json:"text"`
}

// NeedsOptOut reports whether templates of purpose p must carry
// OptOutHint: those sent under marketing consent (marketing, care).
func (p Purpose) NeedsOptOut() bool { return p.Consent() == crm.PurposeMarketing }

// Validate returns a *crm.ValidationError naming each bad field; a
// marketing or care template whose text lacks OptOutHint is refused on
// field "text" with RuleOptOutHint.
func (t *Template) Validate() error {
	var c crm.Checker
	if t.ID == "" {
		c.Add("id", crm.RuleRequired, "is required")
	} else if len(t.ID) > 128 {
		c.Add("id", crm.RuleMaxLength, "is longer than 128 bytes")
	}
	crm.CheckEnum(&c, "purpose", t.Purpose, Purpose.Valid, true)
	switch {
	case t.Text == "":
		c.Add("text", crm.RuleRequired, "is required")
	case t.Purpose.Valid() && t.Purpose.NeedsOptOut() && !strings.Contains(t.Text, OptOutHint):
		c.Add("text", RuleOptOutHint, "a %s template must carry the opt-out hint %q", t.Purpose, OptOutHint)
	}
	for f, v := range map[string]string{"id": t.ID, "text": t.Text} {
		if fe, bad := crm.CheckText(f, v); bad {
			c.Append(fe)
		}
	}
	return c.Err("template")
}

// Render returns the text with each {name} replaced by params[name];
// unknown placeholders stay as they are.
func (t *Template) Render(params map[string]string) string {
	keys := slices.Sorted(maps.Keys(params))
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, "{"+k+"}", params[k])
	}
	return strings.NewReplacer(pairs...).Replace(t.Text)
}

// Templates is the registry of the host's templates. It is safe for
// concurrent use.
type Templates struct {
	mu sync.RWMutex
	m  map[string]Template
}

// NewTemplates returns a registry holding ts, or the first registration
// error.
func NewTemplates(ts ...Template) (*Templates, error) {
	r := &Templates{m: map[string]Template{}}
	for _, t := range ts {
		if err := r.Register(t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register adds or replaces a template after Template.Validate; an
// invalid one (a marketing template without OptOutHint) is a
// *crm.ValidationError and is not registered.
func (r *Templates) Register(t Template) error {
	if err := t.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]Template{}
	}
	r.m[t.ID] = t
	return nil
}

// Get returns the template with id and whether it is registered.
func (r *Templates) Get(id string) (Template, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.m[id]
	return t, ok
}

// All returns the registered templates in ID order.
func (r *Templates) All() []Template {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := slices.Collect(maps.Values(r.m))
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.ID, b.ID) })
	return out
}
