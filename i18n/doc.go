// Package i18n renders the words people read — task reasons, status
// reasons, HTTP problem details — from message codes with parameters, in
// Chinese or English.
//
// The domain packages keep codes, never text in a reader's language: a
// lifecycle.Task carries ReasonCode "lifecycle.reason.insurance_renewal"
// with ReasonParams {"insurance_kind": "compulsory", "policy": "P1",
// "end": "2026-05-01", "n": "1"}, and the HTTP API renders it by the
// request's Accept-Language:
//
//	交强险将于2026-05-01到期，第1次续保提醒
//	compulsory insurance ends on 2026-05-01: renewal reminder 1
//
// A Catalog holds one template per code and language. Templates name
// their parameters in braces, "{end}"; "{insurance_kind:insurance_kind}"
// renders the parameter's value through the code
// "insurance_kind.compulsory" (交强险), so enumeration values read as
// words too. Default returns the built-in catalog: simplified Chinese
// (zh-CN, the default language, for Chinese dealers) and English, with a
// template of every code dealercrm produces — its test fails for a code
// without both. A host overrides wording or adds a language with Set:
//
//	cat := i18n.Default()
//	_ = cat.Set(i18n.Chinese, "lifecycle.reason.delivery_3dc", "新车交付第{days}天关怀电话（{delivered}交车）")
//	_ = cat.Set(language.Japanese, "kind.birthday_care", "誕生日のお祝い")
//	h := httpapi.NewHandler(svc, httpapi.WithCatalog(cat))
//
// Match chooses the catalog language for an Accept-Language header
// (q-values, regional variants: "en-GB" is English, "zh-Hans" and
// "zh-TW" Chinese); an empty, malformed or unmatched header gets the
// default language, never an error. A code missing in the chosen
// language falls back to the default language; a code the catalog does
// not know renders as itself.
//
// Rendering goes through golang.org/x/text: language.Matcher for the
// choice of language, and a message catalog with message.Printer for
// the text (a template's named parameters become positional arguments).
package i18n
