package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/uptrace/bun/driver/pgdriver"
)

// The bulk loads of whole tables (LifecycleFacts) read COPY (…) TO STDOUT
// in its text format instead of rows through database/sql: a row is one
// line, its fields separated by tabs, NULL written \N and a backslash,
// tab, newline and the other control characters of CopyAttributeOutText
// escaped with a backslash. Through database/sql and pgdriver every field
// of every row was a fresh allocation and a conversion (59% of the Go CPU
// of the all-dealers lifecycle run, docs/benchmarks.md); here the output
// is gathered into chunks of about copyChunk bytes, each chunk becomes one
// string, and a field is a substring of it unless it holds an escape.
// Dates travel as day numbers (date - DATE '1970-01-01'), which is also
// cheaper for Postgres to print than a date and does not depend on the
// session's DateStyle.

// copyChunk is how much COPY output copyReader gathers before it parses
// it; a write of whole rows of at least copyLong bytes (pgdriver writes a
// row at a time) that finds nothing gathered is parsed as it comes.
const copyChunk, copyLong = 64 << 10, 1 << 10

// copyOut runs COPY (query) TO STDOUT, query taking the dealer as $1, and
// calls row on each row, which must have cols fields. It runs on the
// store's transaction when it is bound to one (runTx keeps its
// connection), else on a connection of the pool. The connection must be
// pgdriver's.
func (s *Store) copyOut(ctx context.Context, query, dealer string, cols int, row func(r *copyRow) error) error {
	conn := s.conn
	if conn == nil {
		c, err := s.root.Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		conn = &c
	}
	if err := conn.Raw(func(dc any) error {
		if _, ok := dc.(*pgdriver.Conn); !ok {
			return fmt.Errorf("postgres: bulk reads need the pgdriver driver, got %T", dc)
		}
		return nil
	}); err != nil {
		return err
	}
	rd := &copyReader{cols: cols, row: row}
	if _, err := pgdriver.CopyTo(ctx, *conn, rd, "COPY ("+query+") TO STDOUT", dealer); err != nil {
		return err
	}
	return rd.close()
}

// copyReader is the io.Writer pgdriver.CopyTo writes COPY's text output
// to (in pieces of any size): it parses complete lines in chunks and
// calls row on each.
type copyReader struct {
	cols int
	row  func(r *copyRow) error
	buf  []byte
	r    copyRow
	// err is the first error; what follows it is dropped.
	err error
}

// Write never fails: pgdriver.CopyTo would leave the rest of a message it
// could not write unread (the connection out of step), so the first
// error is kept for close and the rest of the output is drained.
func (c *copyReader) Write(p []byte) (int, error) {
	switch {
	case c.err != nil:
	case len(c.buf) == 0 && len(p) >= copyLong && p[len(p)-1] == '\n':
		// Whole long rows (a customer with its consents): one copy
		// instead of two.
		c.lines(string(p))
	default:
		c.buf = append(c.buf, p...)
		if len(c.buf) >= copyChunk {
			c.parse()
		}
	}
	return len(p), nil
}

// parse calls row on each complete line buffered and keeps the rest.
func (c *copyReader) parse() {
	end := bytes.LastIndexByte(c.buf, '\n') + 1
	if end == 0 {
		return
	}
	chunk := string(c.buf[:end])
	c.buf = c.buf[:copy(c.buf, c.buf[end:])]
	c.lines(chunk)
}

// lines calls row on each line of s, which ends with a newline.
func (c *copyReader) lines(s string) {
	for s != "" && c.err == nil {
		i := strings.IndexByte(s, '\n')
		c.err = c.line(s[:i])
		s = s[i+1:]
	}
}

// line splits one line into c.r and calls row.
func (c *copyReader) line(s string) error {
	c.r.f, c.r.err = c.r.f[:0], nil
	for {
		i := strings.IndexByte(s, '\t')
		f := s
		if i >= 0 {
			f = s[:i]
		}
		v := copyField{s: f}
		switch {
		case f == `\N`:
			v = copyField{null: true}
		case strings.IndexByte(f, '\\') >= 0:
			var err error
			if v.s, err = unescapeCopy(f); err != nil {
				return fmt.Errorf("postgres: COPY field %d: %w", len(c.r.f), err)
			}
		}
		c.r.f = append(c.r.f, v)
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	if len(c.r.f) != c.cols {
		return fmt.Errorf("postgres: COPY row of %d fields, want %d", len(c.r.f), c.cols)
	}
	if err := c.row(&c.r); err != nil {
		return err
	}
	return c.r.err
}

// close parses what is left; an error when the output ends mid-line.
func (c *copyReader) close() error {
	if c.err == nil {
		c.parse()
	}
	if c.err == nil && len(c.buf) > 0 {
		c.err = errors.New("postgres: COPY output ends mid-row")
	}
	return c.err
}

// unescapeCopy decodes the backslash escapes of COPY's text format: \b,
// \f, \n, \r, \t, \v, one to three octal digits, x and one or two hex
// digits, and a backslash before any other character (\\ among them)
// standing for that character.
func unescapeCopy(s string) (string, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '\\' {
			b = append(b, ch)
			continue
		}
		if i++; i == len(s) {
			return "", errors.New("ends in a backslash")
		}
		switch ch = s[i]; ch {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'v':
			b = append(b, '\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := ch - '0'
			for n := 1; n < 3 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7'; n++ {
				i++
				v = v<<3 | (s[i] - '0')
			}
			b = append(b, v)
		case 'x':
			v, n := byte(0), 0
			for ; n < 2 && i+1 < len(s); n++ {
				d, ok := hexDigit(s[i+1])
				if !ok {
					break
				}
				i++
				v = v<<4 | d
			}
			if n == 0 {
				v = 'x'
			}
			b = append(b, v)
		default:
			b = append(b, ch)
		}
	}
	return string(b), nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// copyField is one field of a COPY row.
type copyField struct {
	s    string
	null bool
}

// copyRow is the row copyReader passes to its callback; valid only during
// the call (its strings stay valid). A field that does not parse records
// the row's first error, which copyReader returns after the callback.
type copyRow struct {
	f   []copyField
	err error
}

// text returns field i; "" for NULL.
func (r *copyRow) text(i int) string { return r.f[i].s }

// int returns integer field i; 0 for NULL.
func (r *copyRow) int(i int) int64 {
	if r.f[i].null {
		return 0
	}
	v, err := strconv.ParseInt(r.f[i].s, 10, 64)
	r.fail(i, err)
	return v
}

// day returns field i, a day number (date - DATE '1970-01-01'), as a
// date; the zero Date for NULL.
func (r *copyRow) day(i int) dealercrm.Date {
	if r.f[i].null {
		return dealercrm.Date{}
	}
	return dealercrm.DateOfDay(int(r.int(i)))
}

// boolean returns boolean field i (t or f); false for NULL.
func (r *copyRow) boolean(i int) bool {
	switch {
	case r.f[i].null || r.f[i].s == "f":
		return false
	case r.f[i].s == "t":
		return true
	}
	r.fail(i, fmt.Errorf("%q is not a boolean", r.f[i].s))
	return false
}

// fail records err, if any, as the row's error unless it has one.
func (r *copyRow) fail(i int, err error) {
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("postgres: COPY field %d: %w", i, err)
	}
}
