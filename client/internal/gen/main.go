// Command gen writes the typed methods of package client from the HTTP
// API's route table (httpapi.Operations): one method per operation, the
// query parameter structs, the request and answer types the API declares
// in its own package (mirrored field for field, without the fields only
// the server writes), and an All… iterator per listing. Run it with
//
//	go generate ./client
//
// whenever a route changes; TestGeneratedIsCurrent fails until then.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
)

func main() {
	out := flag.String("o", "zz_generated.go", "the file to write")
	flag.Parse()
	d, err := httpapiDocs()
	if err == nil {
		var src []byte
		if src, err = generate(httpapi.Operations(), d); err == nil {
			err = os.WriteFile(*out, src, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
