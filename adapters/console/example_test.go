package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"

	"github.com/dealercrm/dealercrm/adapters/console"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// ExampleNew mounts the console in a host's mux beside its own pages and
// signs in with a CR specialist's API key, as a browser does: the sign-in
// form's CSRF token, then the key, then today's call list.
func ExampleNew() {
	ctx := context.Background()
	stores := memory.NewStores()
	svc := crm.NewService(stores.CRM)
	lc, err := lifecycle.NewService(svc, stores.Tasks)
	if err != nil {
		panic(err)
	}
	dealer, _ := svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "上海4S店"})
	keys, err := apikey.NewService(stores.Keys, []byte("the server secret, 32 bytes or more"))
	if err != nil {
		panic(err)
	}
	_, key, _ := keys.Create(ctx, dealer.ID, "", apikey.CreateRequest{Name: "王芳", Roles: []crm.Role{crm.RoleCR}, StaffID: "CR01"})

	mux := http.NewServeMux()
	mux.Handle(console.DefaultPrefix, console.New(console.Services{CRM: svc, Lifecycle: lc}, console.Keys(keys),
		console.WithInsecureCookies())) // plain http in this example only
	srv := httptest.NewServer(mux)
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	res, _ := browser.Get(srv.URL + "/console/signin")
	form, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(form)[1]
	res, _ = browser.PostForm(srv.URL+"/console/signin", url.Values{"key": {key}, "csrf": {string(csrf)}})
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.Request.URL.Path, res.StatusCode)
	fmt.Println(string(regexp.MustCompile(`当前用户：[^<]*`).Find(page)))
	// Output:
	// /console/tasks 200
	// 当前用户：CR01（cr）
}
