package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Row is one row of a spreadsheet: its number as the spreadsheet shows it
// (the header is usually row 1) and its cells as text.
type Row struct {
	Line  int      // 1-based, as the spreadsheet numbers it
	Cells []string // the cells as text, raw (see OpenXLSX)
}

// Source reads a spreadsheet row by row, keeping one row in memory.
type Source interface {
	// Header returns the header row, the first row that is not blank.
	Header() []string
	// HeaderLine returns the row number of the header.
	HeaderLine() int
	// Next returns the next row after the header, io.EOF after the last.
	Next() (Row, error)
	// Close releases the file.
	Close() error
}

// blank reports whether every cell is empty or spaces.
func blank(cells []string) bool {
	for _, c := range cells {
		if CleanText(c) != "" {
			return false
		}
	}
	return true
}

// csvSource reads CSV.
type csvSource struct {
	r      *csv.Reader
	header []string
	hline  int
	line   int
	closer io.Closer
}

// NewCSV reads CSV from r: comma-separated, quotes as RFC 4180, a UTF-8
// byte-order mark skipped. A file that is not UTF-8 is read as GB18030
// (which covers GBK and GB2312), the encoding Excel on a Chinese Windows
// saves CSV in. Rows may have fewer cells than the header.
func NewCSV(r io.Reader) (Source, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	var in io.Reader = br
	if len(head) >= 3 && string(head[:3]) == "\ufeff" {
		_, _ = br.Discard(3)
	} else if !validUTF8Prefix(head) {
		in = simplifiedchinese.GB18030.NewDecoder().Reader(br)
	}
	s := &csvSource{r: csv.NewReader(in)}
	if c, ok := r.(io.Closer); ok {
		s.closer = c
	}
	s.r.FieldsPerRecord = -1
	s.r.LazyQuotes = true
	row, err := s.Next() // blank rows are skipped: the first row read is the header
	if err == io.EOF {
		return nil, errors.New("importer: the CSV has no header row")
	}
	if err != nil {
		return nil, err
	}
	s.header, s.hline = row.Cells, row.Line
	return s, nil
}

// validUTF8Prefix reports whether b is UTF-8, forgiving a rune cut at its end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

func (s *csvSource) Header() []string { return s.header }
func (s *csvSource) HeaderLine() int  { return s.hline }

func (s *csvSource) Next() (Row, error) {
	for {
		rec, err := s.r.Read()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		s.line++
		if err != nil {
			return Row{}, fmt.Errorf("importer: CSV row %d: %w", s.line, err)
		}
		if blank(rec) {
			continue
		}
		return Row{Line: s.line, Cells: rec}, nil
	}
}

func (s *csvSource) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}
