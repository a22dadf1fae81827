package importer

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// The XLSX reader reads a worksheet straight from the workbook's zip with
// encoding/xml's tokenizer instead of through excelize, which still writes
// the error workbooks (cmd/dealercrm) and the test files. Two things
// excelize's streaming reader cannot do made it worth its 300 lines
// (measured in docs/import.md):
//
//   - Memory. A workbook as Excel saves it keeps every text in a shared
//     strings table, and excelize holds the whole table as Go strings (or,
//     when it is large, a slice per string of its offsets in a temporary
//     file): 612 MiB for a 1,000,000-row sheet of 86 MB. Here the strings
//     go end to end into a temporary file, and memory holds where each
//     ends, four bytes a string.
//   - Time. excelize decodes each row into structs through reflection,
//     about 90 µs of CPU a row; reading tokens is a fraction of that.
//
// It reads what a spreadsheet of customers holds: shared, inline and
// formula strings, numbers raw (a date is its serial number, which
// ParseDate reads), booleans as 1 and 0, ISO dates and error values as their text.
// Rich text is read as its plain text, without phonetic runs; Excel's
// _xHHHH_ escapes are decoded.

// Limits of the shared strings table: a workbook beyond them is refused
// rather than read into memory.
const (
	maxSharedStrings     = 1 << 26 // 67 million strings
	maxSharedStringBytes = 1 << 30 // 1 GiB of text
	maxCellBytes         = 1 << 20 // one cell; Excel allows 32,767 characters
	maxColumns           = 16384   // XFD, the last column of a sheet
)

// sharedStrings is a workbook's shared strings table, kept in a
// temporary file: string i is the file's bytes ends[i-1]:ends[i]. Held in
// the heap, the text of a large table counted twice against the garbage
// collector's goal (682 MiB for a 102 MB workbook, docs/import.md); the
// file costs page cache, which the kernel reclaims, and a read per cell,
// which recent strings spare.
type sharedStrings struct {
	file *os.File
	ends []uint32
	buf  []byte
	// recent holds strings read before, by index modulo its size: the
	// values that repeat down a column (男, 大众) are read once.
	recent [1024]struct {
		i int
		s string
	}
}

func (s *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", false
	}
	slot := &s.recent[i%len(s.recent)]
	if slot.i == i+1 {
		return slot.s, true
	}
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	n := int(s.ends[i] - start)
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	if _, err := s.file.ReadAt(s.buf[:n], int64(start)); err != nil {
		return "", false
	}
	slot.i, slot.s = i+1, string(s.buf[:n])
	return slot.s, true
}

func (s *sharedStrings) close() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	if rerr := os.Remove(s.file.Name()); err == nil {
		err = rerr
	}
	return err
}

// xlsxSource reads one worksheet of an XLSX workbook, a row at a time.
type xlsxSource struct {
	zip    io.Closer // the workbook's file
	sheet  io.ReadCloser
	dec    *xml.Decoder
	sst    sharedStrings
	header []string
	hline  int
	line   int // the last row read
	text   []byte
}

// OpenXLSX opens sheet of the workbook at path (the first sheet when sheet
// is empty). Cells are read raw, without their number format: a date cell
// is its Excel serial number (45356), which ParseDate reads, so that a
// format such as "mm-dd-yy" cannot garble it. The sheet is read as a
// stream; the shared strings table is held in memory, compactly.
func OpenXLSX(name, sheet string) (Source, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, fmt.Errorf("importer: %s is not an XLSX workbook: %w", name, err)
	}
	s, err := openXLSX(&zr.Reader, sheet)
	if err != nil {
		zr.Close()
		return nil, err
	}
	s.zip = zr
	return s, nil
}

// openXLSX opens sheet of the workbook zr.
func openXLSX(zr *zip.Reader, sheet string) (*xlsxSource, error) {
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		files[strings.TrimPrefix(f.Name, "/")] = f
	}
	book := "xl/workbook.xml"
	if rels, err := readRels(files, "_rels/.rels", ""); err == nil {
		if t, ok := rels.byType("/officeDocument"); ok {
			book = t
		}
	}
	sheets, err := readSheets(files, book)
	if err != nil {
		return nil, err
	}
	if len(sheets) == 0 {
		return nil, errors.New("importer: the workbook has no sheet")
	}
	want := sheets[0]
	if sheet != "" {
		found := false
		names := make([]string, len(sheets))
		for i, sh := range sheets {
			names[i] = sh.name
			if sh.name == sheet {
				want, found = sh, true
			}
		}
		if !found {
			return nil, fmt.Errorf("importer: the workbook has no sheet %q (sheets: %v)", sheet, names)
		}
	}
	dir, base := path.Split(book)
	rels, err := readRels(files, dir+"_rels/"+base+".rels", dir)
	if err != nil {
		return nil, err
	}
	target, ok := rels.byID[want.rel]
	if !ok || files[target] == nil {
		return nil, fmt.Errorf("importer: sheet %q: its part is missing from the workbook", want.name)
	}
	s := &xlsxSource{}
	if sst, ok := rels.byType("/sharedStrings"); ok && files[sst] != nil {
		if err := s.sst.read(files[sst]); err != nil {
			s.sst.close()
			return nil, err
		}
	}
	if s.sheet, err = files[target].Open(); err != nil {
		s.sst.close()
		return nil, fmt.Errorf("importer: sheet %q: %w", want.name, err)
	}
	s.dec = xml.NewDecoder(s.sheet)
	row, err := s.Next()
	if err != nil {
		s.sheet.Close()
		s.sst.close()
		if err == io.EOF {
			return nil, fmt.Errorf("importer: sheet %q has no header row", want.name)
		}
		return nil, err
	}
	s.header, s.hline = row.Cells, row.Line
	return s, nil
}

func (s *xlsxSource) Header() []string { return s.header }
func (s *xlsxSource) HeaderLine() int  { return s.hline }

// Next returns the next row that is not blank.
func (s *xlsxSource) Next() (Row, error) {
	for {
		row, err := s.next()
		if err != nil {
			return Row{}, err
		}
		if !blank(row.Cells) {
			return row, nil
		}
	}
}

// next reads the next <row> element of the sheet.
func (s *xlsxSource) next() (Row, error) {
	for {
		tok, err := s.dec.RawToken()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		if err != nil {
			return Row{}, s.fail(err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "row" {
			line := s.line + 1
			if r, ok := attr(el, "r"); ok {
				n, err := strconv.Atoi(r)
				if err != nil || n <= s.line || n > 1<<21 {
					return Row{}, fmt.Errorf("importer: row %d: bad row number %q", line, r)
				}
				line = n
			}
			s.line = line
			cells, err := s.cells()
			if err != nil {
				return Row{}, fmt.Errorf("importer: row %d: %w", line, err)
			}
			return Row{Line: line, Cells: cells}, nil
		}
	}
}

func (s *xlsxSource) fail(err error) error {
	return fmt.Errorf("importer: after row %d: the sheet is not well-formed: %w", s.line, err)
}

// cells reads the cells of a row, up to its end tag.
func (s *xlsxSource) cells() ([]string, error) {
	var cells []string
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			return nil, s.fail(unexpectedEOF(err))
		}
		switch el := tok.(type) {
		case xml.EndElement:
			if el.Name.Local == "row" {
				return cells, nil
			}
		case xml.StartElement:
			if el.Name.Local != "c" {
				if err := skip(s.dec); err != nil {
					return nil, s.fail(unexpectedEOF(err))
				}
				continue
			}
			col := len(cells)
			if ref, ok := attr(el, "r"); ok {
				c, ok := column(ref)
				if !ok || c < len(cells) {
					return nil, fmt.Errorf("bad cell reference %q", ref)
				}
				col = c
			}
			if col >= maxColumns {
				return nil, fmt.Errorf("more than %d columns", maxColumns)
			}
			kind, _ := attr(el, "t")
			v, err := s.cell(kind)
			if err != nil {
				return nil, fmt.Errorf("cell %s: %w", cellName(col, s.line), err)
			}
			for len(cells) < col {
				cells = append(cells, "")
			}
			cells = append(cells, v)
		}
	}
}

// cell reads the content of a <c> element of type kind up to its end tag.
func (s *xlsxSource) cell(kind string) (string, error) {
	var v string
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			return "", s.fail(unexpectedEOF(err))
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch {
			case el.Name.Local == "v":
				if v, err = s.chars("v"); err != nil {
					return "", err
				}
			case el.Name.Local == "is":
				if v, err = readRichText(s.dec, "is", &s.text, s.fail); err != nil {
					return "", err
				}
			default: // <f>, <extLst>
				if err := skip(s.dec); err != nil {
					return "", s.fail(unexpectedEOF(err))
				}
			}
		case xml.EndElement:
			if el.Name.Local == "c" {
				return value(kind, v, &s.sst)
			}
		}
	}
}

// value is the text of a cell of type kind whose <v> (or inline string)
// is v.
func value(kind, v string, sst *sharedStrings) (string, error) {
	switch kind {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return "", fmt.Errorf("bad shared string index %q", v)
		}
		t, ok := sst.get(i)
		if !ok {
			return "", fmt.Errorf("shared string %d is not in the table of %d", i, len(sst.ends))
		}
		return t, nil
	}
	return v, nil
}

// chars returns the text of the element whose start tag was just read, up
// to its end tag.
func (s *xlsxSource) chars(name string) (string, error) {
	s.text = s.text[:0]
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			return "", s.fail(unexpectedEOF(err))
		}
		switch el := tok.(type) {
		case xml.CharData:
			if len(s.text)+len(el) > maxCellBytes {
				return "", fmt.Errorf("a cell holds more than %d bytes", maxCellBytes)
			}
			s.text = append(s.text, el...)
		case xml.StartElement:
			if err := skip(s.dec); err != nil {
				return "", s.fail(unexpectedEOF(err))
			}
		case xml.EndElement:
			if el.Name.Local == name {
				return unescapeX(string(s.text)), nil
			}
		}
	}
}

// readRichText returns the plain text of a string item (<si>, <is>) whose
// start tag was just read: its <t> or the <t> of its runs, without
// phonetic runs (<rPh>). buf is scratch space.
func readRichText(dec *xml.Decoder, name string, buf *[]byte, fail func(error) error) (string, error) {
	*buf = (*buf)[:0]
	inT := false
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return "", fail(unexpectedEOF(err))
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "t":
				inT = true
			case "r":
			default: // rPh, rPr, phoneticPr
				if err := skip(dec); err != nil {
					return "", fail(unexpectedEOF(err))
				}
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "t":
				inT = false
			case name:
				return unescapeX(string(*buf)), nil
			}
		case xml.CharData:
			if inT {
				if len(*buf)+len(el) > maxCellBytes {
					return "", fmt.Errorf("a string holds more than %d bytes", maxCellBytes)
				}
				*buf = append(*buf, el...)
			}
		}
	}
}

// read reads the shared strings table of part f into a temporary file.
func (s *sharedStrings) read(f *zip.File) (err error) {
	r, err := f.Open()
	if err != nil {
		return fmt.Errorf("importer: shared strings: %w", err)
	}
	defer r.Close()
	if s.file, err = os.CreateTemp("", "dealercrm-sst-"); err != nil {
		return fmt.Errorf("importer: shared strings: %w", err)
	}
	w := bufio.NewWriterSize(s.file, 64<<10)
	dec := xml.NewDecoder(r)
	fail := func(err error) error {
		return fmt.Errorf("importer: shared strings, after string %d: not well-formed: %w", len(s.ends), err)
	}
	var buf []byte
	size := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if el.Name.Local == "sst" && s.ends == nil {
			// The count Excel writes saves the index's regrowth; a
			// count beyond the limit is not trusted with memory.
			if n, err := strconv.Atoi(attrOr(el, "uniqueCount")); err == nil && n > 0 {
				s.ends = make([]uint32, 0, min(n, 1<<22))
			}
		}
		if el.Name.Local != "si" {
			continue
		}
		t, err := readRichText(dec, "si", &buf, fail)
		if err != nil {
			return err
		}
		if len(s.ends) >= maxSharedStrings || size+len(t) > maxSharedStringBytes {
			return fmt.Errorf("importer: the shared strings table holds more than %d strings or %d bytes", maxSharedStrings, maxSharedStringBytes)
		}
		if _, err := w.WriteString(t); err != nil {
			return fmt.Errorf("importer: shared strings: %w", err)
		}
		size += len(t)
		s.ends = append(s.ends, uint32(size))
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("importer: shared strings: %w", err)
	}
	return nil
}

// unescapeX decodes Excel's _xHHHH_ escapes (ECMA-376 ST_Xstring), which
// stand for characters XML cannot hold (_x000D_ is a carriage return) and
// for an underscore that would start one (_x005F_).
func unescapeX(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 || len(s) < i+7 {
			break
		}
		code, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
		if err != nil || s[i+6] != '_' {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(code))
		s = s[i+7:]
	}
	b.WriteString(s)
	return b.String()
}

// column returns the 0-based column of a cell reference such as "AB12".
func column(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref) && i < 3; i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		col = col*26 + int(c-'A'+1)
	}
	if i == 0 || (i < len(ref) && (ref[i] < '0' || ref[i] > '9')) {
		return 0, false
	}
	return col - 1, true
}

// cellName names column col (0-based) of row line, "B7".
func cellName(col, line int) string {
	var b []byte
	for col++; col > 0; col = (col - 1) / 26 {
		b = append([]byte{byte('A' + (col-1)%26)}, b...)
	}
	return string(b) + strconv.Itoa(line)
}

func attrOr(el xml.StartElement, name string) string {
	v, _ := attr(el, name)
	return v
}

func attr(el xml.StartElement, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// skip reads up to the end of the element whose start tag was just read.
// (Decoder.Skip cannot: it keeps the stack of Token, not of RawToken.)
func skip(dec *xml.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.RawToken()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (s *xlsxSource) Close() error {
	err := s.sheet.Close()
	if s.zip != nil {
		if cerr := s.zip.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := s.sst.close(); err == nil {
		err = cerr
	}
	return err
}

// sheetRef is a sheet of the workbook: its name and relationship ID.
type sheetRef struct{ name, rel string }

// readSheets lists the sheets of the workbook part book, in order.
func readSheets(files map[string]*zip.File, book string) ([]sheetRef, error) {
	f := files[book]
	if f == nil {
		return nil, errors.New("importer: not an XLSX workbook: it has no workbook part")
	}
	r, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("importer: workbook: %w", err)
	}
	defer r.Close()
	dec := xml.NewDecoder(r)
	var sheets []sheetRef
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return sheets, nil
		}
		if err != nil {
			return nil, fmt.Errorf("importer: workbook: %w", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "sheet" {
			var sh sheetRef
			for _, a := range el.Attr {
				switch {
				case a.Name.Local == "name":
					sh.name = a.Value
				case a.Name.Local == "id" && a.Name.Space != "":
					sh.rel = a.Value
				}
			}
			sheets = append(sheets, sh)
		}
	}
}

// relationships are the targets of a part's relationships, by ID, as
// paths in the zip.
type relationships struct {
	byID  map[string]string
	types map[string]string // type → target, the first of each
}

func (r relationships) byType(suffix string) (string, bool) {
	for t, target := range r.types {
		if strings.HasSuffix(t, suffix) {
			return target, true
		}
	}
	return "", false
}

// readRels reads the relationships part name, whose relative targets are
// relative to dir.
func readRels(files map[string]*zip.File, name, dir string) (relationships, error) {
	rels := relationships{byID: map[string]string{}, types: map[string]string{}}
	f := files[name]
	if f == nil {
		return rels, fmt.Errorf("importer: the workbook has no %s", name)
	}
	r, err := f.Open()
	if err != nil {
		return rels, fmt.Errorf("importer: %s: %w", name, err)
	}
	defer r.Close()
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return rels, nil
		}
		if err != nil {
			return rels, fmt.Errorf("importer: %s: %w", name, err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Local != "Relationship" {
			continue
		}
		id, _ := attr(el, "Id")
		target, _ := attr(el, "Target")
		typ, _ := attr(el, "Type")
		if strings.HasPrefix(target, "/") {
			target = target[1:]
		} else {
			target = path.Join(dir, target)
		}
		rels.byID[id] = target
		if _, ok := rels.types[typ]; !ok {
			rels.types[typ] = target
		}
	}
}
