package postgres

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// copyText encodes one field as Postgres's COPY … TO STDOUT does in text
// format (CopyAttributeOutText): a backslash and the control characters
// \b \f \n \r \t \v escaped, everything else as it is.
func copyText(s string) string {
	var b strings.Builder
	for i := range len(s) {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// readCopy feeds out to a copyReader of cols fields in pieces of size
// bytes (all at once when size is 0) and returns the rows' fields,
// "<NULL>" for NULL.
func readCopy(t *testing.T, out string, cols, size int) ([][]string, error) {
	t.Helper()
	var rows [][]string
	rd := &copyReader{cols: cols, row: func(r *copyRow) error {
		var row []string
		for i, f := range r.f {
			if f.null {
				row = append(row, "<NULL>")
			} else {
				row = append(row, r.text(i))
			}
		}
		rows = append(rows, row)
		return nil
	}}
	for p := out; p != ""; {
		n := len(p)
		if size > 0 && size < n {
			n = size
		}
		if k, err := rd.Write([]byte(p[:n])); k != n || err != nil {
			t.Fatalf("Write: %d, %v", k, err)
		}
		p = p[n:]
	}
	return rows, rd.close()
}

func TestCopyReader(t *testing.T) {
	out := "a\t\\N\t\n" + // a NULL and an empty field
		"tab\\there\t\\\\N\tnew\\nline\\r\\b\\f\\v\n" + // escapes; \\N is the text \N
		"\\101\\x42\\x4a\\7\\xZ\\q\t\t中文\n" // octal, hex, \x without digits, any other character
	want := [][]string{{"a", "<NULL>", ""}, {"tab\there", `\N`, "new\nline\r\b\f\v"}, {"ABJ\axZq", "", "中文"}}
	for _, size := range []int{0, 1, 2, 3, 7, 40} {
		got, err := readCopy(t, out, 3, size)
		if err != nil {
			t.Fatalf("pieces of %d: %v", size, err)
		}
		if len(got) != len(want) {
			t.Fatalf("pieces of %d: %q", size, got)
		}
		for i := range want {
			if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
				t.Errorf("pieces of %d, row %d: %q, want %q", size, i, got[i], want[i])
			}
		}
	}
	for _, bad := range []string{"a\tb\n", "a\tb\tc\td\n", "a\tb\tc", "a\tb\tc\\\n"} {
		if _, err := readCopy(t, bad, 3, 0); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// A long output crosses several chunks.
	var b strings.Builder
	for range 3 * copyChunk / 16 {
		b.WriteString("0123\t\\\\\t56789\n")
	}
	rows, err := readCopy(t, b.String(), 3, 1000)
	if err != nil || len(rows) != 3*copyChunk/16 || rows[len(rows)-1][1] != `\` {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	// Long rows, written one at a time, between short ones.
	long := strings.Repeat(`x\\`, copyLong) // x and an escaped backslash
	n := 0
	rd := &copyReader{cols: 2, row: func(r *copyRow) error {
		if r.text(1) != strings.Repeat(`x\`, copyLong) && r.text(1) != "s" {
			t.Errorf("field %.20q…", r.text(1))
		}
		n++
		return nil
	}}
	for _, w := range []string{"a\t" + long + "\n", "b\ts\n", "c\t" + long + "\n", "d\t" + long + "\n", "e\ts\n"} {
		_, _ = rd.Write([]byte(w))
	}
	if err := rd.close(); err != nil || n != 5 {
		t.Fatalf("%d rows, %v", n, err)
	}
}

// FuzzCopyReader: fields encoded as Postgres encodes them come back as
// they were, whatever the pieces the output arrives in; any input is an
// error or rows, never a panic.
func FuzzCopyReader(f *testing.F) {
	for _, s := range []string{"", "plain", "tab\there", "\\N", "back\\slash", "new\nline\r\n", "\b\f\v\x01\x7f", "中文\t😀", "\\", "\\\\N\t"} {
		f.Add(s, "x", 3)
	}
	f.Fuzz(func(t *testing.T, a, b string, size int) {
		if size < 0 {
			size = -size
		}
		size %= 64
		_, _ = readCopy(t, a+"\n"+b, 2, size) // no panic
		if !utf8.ValidString(a) || !utf8.ValidString(b) || strings.IndexByte(a+b, 0) >= 0 {
			return // Postgres text holds neither
		}
		out := copyText(a) + "\t" + copyText(b) + "\n" + "\\N\t" + copyText(a+b) + "\n"
		rows, err := readCopy(t, out, 2, size)
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		if len(rows) != 2 || rows[0][0] != a || rows[0][1] != b || rows[1][0] != "<NULL>" || rows[1][1] != a+b {
			t.Fatalf("%q: %q", out, rows)
		}
	})
}
