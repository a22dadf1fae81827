package postgres_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
)

// FuzzCopyOut: text that Postgres holds (valid UTF-8 without NUL) comes
// back through COPY … TO STDOUT and the store's COPY reader exactly as
// it was, next to a NULL and a field with a tab in it. The seed corpus
// runs in every go test.
func FuzzCopyOut(f *testing.F) {
	for _, s := range []string{"", "plain", "tab\there", `\N`, `back\slash`, "new\nline\r\n", "\b\f\v\x01\x7f", "中文\t😀", `\`, "\\\\N\t", "'; --", "$1"} {
		f.Add(s)
	}
	ctx := context.Background()
	store := pgtest.NewStore(f)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return
		}
		got, err := postgres.CopyOut(ctx, store, s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if len(got) != 3 || got[0] != s || got[1] != "<NULL>" || got[2] != s+"\t"+s {
			t.Fatalf("%q: %q", s, got)
		}
	})
}
