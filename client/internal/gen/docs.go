package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// docs are the comments of the API package's types, by type name, so that
// their copies in the client say what the API says.
type docs map[string]typeDoc

type typeDoc struct {
	doc    string
	fields map[string]string
}

// httpapiDocs reads the comments of the types of adapters/httpapi from
// its source, in the module that holds the working directory (go generate
// runs in client/, the tests in client/internal/gen).
func httpapiDocs() (docs, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return readDocs(filepath.Join(dir, "adapters", "httpapi"))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("no go.mod above the working directory: run in the module")
		}
		dir = parent
	}
}

// readDocs parses the non-test Go files of dir.
func readDocs(dir string) (docs, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := docs{}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				td := typeDoc{fields: map[string]string{}}
				switch {
				case ts.Doc != nil:
					td.doc = ts.Doc.Text()
				case len(gd.Specs) == 1 && gd.Doc != nil:
					td.doc = gd.Doc.Text()
				}
				if st, ok := ts.Type.(*ast.StructType); ok {
					for _, f := range st.Fields.List {
						text := ""
						if f.Doc != nil {
							text = f.Doc.Text()
						} else if f.Comment != nil {
							text = f.Comment.Text()
						}
						for _, n := range f.Names {
							td.fields[n.Name] = strings.TrimSpace(text)
						}
					}
				}
				out[ts.Name.Name] = td
			}
		}
	}
	return out, nil
}
