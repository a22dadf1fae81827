package i18n

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The languages of the built-in messages. Chinese comes first: it is the
// default of Default, for Chinese dealers.
var (
	// Chinese is simplified Chinese as written in mainland China, zh-CN.
	Chinese = language.MustParse("zh-CN")
	// English is English, en.
	English = language.English
)

// Catalog holds the message templates of codes in a set of languages and
// renders them. The first language is the default: what a request without
// a usable Accept-Language gets, and what a code missing in the chosen
// language falls back to. A Catalog is safe for concurrent use; Set may
// be called while others render.
type Catalog struct {
	mu    sync.RWMutex
	langs []language.Tag
	texts map[string]map[language.Tag]string // code → language → template
	built *built                             // nil after a Set, rebuilt on the next render
}

// built is the x/text form of a Catalog's templates, rebuilt after a change.
type built struct {
	matcher  language.Matcher
	printers map[language.Tag]*message.Printer
	// args lists, per code, the placeholders of its templates (in any
	// language) in a fixed order: the positional arguments of the
	// compiled x/text messages.
	args map[string][]placeholder
}

// placeholder is "{name}" or "{name:prefix}" in a template. The value of
// a prefixed one is itself rendered: as the message of code prefix.value
// when the catalog has one, as the raw value otherwise (enumeration
// values: "{kind:insurance_kind}" of "compulsory" renders 交强险).
type placeholder struct{ name, prefix string }

// New returns an empty Catalog of the languages given; the first is the
// default. It panics without a language.
func New(langs ...language.Tag) *Catalog {
	if len(langs) == 0 {
		panic("i18n: a catalog needs at least one language")
	}
	return &Catalog{langs: slices.Clone(langs), texts: map[string]map[language.Tag]string{}}
}

// Default returns a new Catalog of Chinese (the default) and English
// holding the built-in messages of every code dealercrm produces. Each
// call returns a new catalog: overriding a message in one (Set) leaves
// the others alone.
func Default() *Catalog {
	c := New(Chinese, English)
	for _, m := range slices.Concat(builtin, console) {
		c.texts[m.code] = map[language.Tag]string{Chinese: m.zh, English: m.en}
	}
	return c
}

// Set adds or replaces the template of code in language tag, adding the
// language to the catalog when it is new (after the others: the default
// stays). A template is text with placeholders "{name}" for the message's
// parameters, or "{name:prefix}" for a parameter whose value is rendered
// as the message of code "prefix.value" when there is one (enumeration
// values). "{{" and "}}" stand for literal braces. A malformed template
// is an error, and then nothing changes.
func (c *Catalog) Set(tag language.Tag, code, template string) error {
	if code == "" {
		return fmt.Errorf("i18n: set: an empty code")
	}
	if _, err := parse(template); err != nil {
		return fmt.Errorf("i18n: set %s in %s: %w", code, tag, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.langs, tag) {
		c.langs = append(c.langs, tag)
	}
	if c.texts[code] == nil {
		c.texts[code] = map[language.Tag]string{}
	}
	c.texts[code][tag] = template
	c.built = nil
	return nil
}

// Languages returns the catalog's languages, the default first.
func (c *Catalog) Languages() []language.Tag {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.langs)
}

// Codes returns the codes the catalog has a template of, in any
// language, sorted.
func (c *Catalog) Codes() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.texts))
}

// Template returns the template of code in language tag exactly (no
// fallback), and whether there is one.
func (c *Catalog) Template(tag language.Tag, code string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.texts[code][tag]
	return t, ok
}

// Match returns the catalog language that best serves an Accept-Language
// header value ("en-US,en;q=0.9", "zh-CN"): the default language when the
// header is empty, malformed or asks for nothing the catalog has. It
// never fails.
func (c *Catalog) Match(acceptLanguage string) language.Tag {
	b := c.build()
	def := c.Languages()[0]
	if strings.TrimSpace(acceptLanguage) == "" {
		return def
	}
	want, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(want) == 0 {
		return def
	}
	_, i, conf := b.matcher.Match(want...)
	if conf == language.No {
		return def
	}
	return c.Languages()[i]
}

// Render returns the message of code in language tag with params filled
// in. A code without a template in tag falls back to the default
// language; a code the catalog does not know renders as the code itself,
// so a reader always gets some text. A placeholder without a parameter is
// left as it is ("{date}").
func (c *Catalog) Render(tag language.Tag, code string, params map[string]string) string {
	b := c.build()
	p := b.printers[tag]
	if p == nil {
		p = b.printers[c.Languages()[0]]
	}
	args := make([]any, len(b.args[code]))
	for i, ph := range b.args[code] {
		v, ok := params[ph.name]
		switch {
		case !ok:
			v = "{" + ph.name + "}"
		case ph.prefix != "":
			if ref := ph.prefix + "." + v; len(b.args[ref]) == 0 && c.known(ref) {
				v = p.Sprintf(ref)
			}
		}
		args[i] = v
	}
	if _, ok := b.args[code]; !ok && !c.known(code) {
		return code
	}
	return p.Sprintf(code, args...)
}

// known reports whether the catalog has a template of code.
func (c *Catalog) known(code string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.texts[code]
	return ok
}

// build returns the x/text form of the catalog, building it after a change.
func (c *Catalog) build() *built {
	c.mu.RLock()
	b := c.built
	c.mu.RUnlock()
	if b != nil {
		return b
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.built != nil {
		return c.built
	}
	b = &built{matcher: language.NewMatcher(c.langs), printers: map[language.Tag]*message.Printer{}, args: map[string][]placeholder{}}
	cat := catalog.NewBuilder(catalog.Fallback(c.langs[0]))
	for code, byLang := range c.texts {
		// The argument order is the placeholders' first appearance in the
		// templates taken in language order, so every language's format
		// addresses the same positional arguments.
		var order []placeholder
		parsed := map[language.Tag][]piece{}
		for _, tag := range c.langs {
			t, ok := byLang[tag]
			if !ok {
				continue
			}
			ps, _ := parse(t) // checked by Set; the built-ins by a test
			parsed[tag] = ps
			for _, p := range ps {
				if p.ph != nil && !slices.Contains(order, *p.ph) {
					order = append(order, *p.ph)
				}
			}
		}
		b.args[code] = order
		// A language without a template of code gets the first language's
		// that has one (the default's, when it has one).
		var fallback string
		for _, tag := range c.langs {
			if ps, ok := parsed[tag]; ok {
				f := format(ps, order)
				if fallback == "" {
					fallback = f
				}
				_ = cat.SetString(tag, code, f)
			}
		}
		for _, tag := range c.langs {
			if _, ok := parsed[tag]; !ok {
				_ = cat.SetString(tag, code, fallback)
			}
		}
	}
	for _, tag := range c.langs {
		b.printers[tag] = message.NewPrinter(tag, message.Catalog(cat))
	}
	c.built = b
	return b
}

// piece is literal text or a placeholder of a parsed template.
type piece struct {
	text string
	ph   *placeholder
}

// parse splits a template into text and placeholders.
func parse(t string) ([]piece, error) {
	var out []piece
	var lit strings.Builder
	for i := 0; i < len(t); i++ {
		switch ch := t[i]; {
		case ch == '{' && strings.HasPrefix(t[i:], "{{"), ch == '}' && strings.HasPrefix(t[i:], "}}"):
			lit.WriteByte(ch)
			i++
		case ch == '{':
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed placeholder at byte %d", i)
			}
			name, prefix, colon := strings.Cut(t[i+1:i+end], ":")
			if !isName(name) || (colon && !isName(prefix)) {
				return nil, fmt.Errorf("bad placeholder %q at byte %d: want {name} or {name:prefix} of a-z, 0-9 and _", t[i:i+end+1], i)
			}
			if lit.Len() > 0 {
				out = append(out, piece{text: lit.String()})
				lit.Reset()
			}
			out = append(out, piece{ph: &placeholder{name, prefix}})
			i += end
		case ch == '}':
			return nil, fmt.Errorf("lone '}' at byte %d (write }} for a brace)", i)
		default:
			lit.WriteByte(ch)
		}
	}
	if lit.Len() > 0 {
		out = append(out, piece{text: lit.String()})
	}
	return out, nil
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// format returns the x/text format string of a parsed template: literal
// percent signs doubled, placeholders as positional %[n]s.
func format(ps []piece, order []placeholder) string {
	var b strings.Builder
	for _, p := range ps {
		if p.ph == nil {
			b.WriteString(strings.ReplaceAll(p.text, "%", "%%"))
			continue
		}
		b.WriteString("%[" + strconv.Itoa(slices.Index(order, *p.ph)+1) + "]s")
	}
	return b.String()
}
