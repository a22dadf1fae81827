package apikey_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
)

// A dealer's admin gives the CR specialist 王芳 a key: the token is shown
// once; the store keeps only its HMAC. Authenticate turns the token into
// whom it acts as; once revoked, it is refused.
func Example() {
	ctx := context.Background()
	svc, err := apikey.NewService(memory.NewKeyStore(), []byte("a server secret of at least 32 bytes, kept outside the database"))
	if err != nil {
		panic(err)
	}
	k, token, err := svc.Create(ctx, "SH01", "", apikey.CreateRequest{Name: "王芳的回访", Roles: []crm.Role{crm.RoleCR}, StaffID: "S07"})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(token, "dcrm_"+string(k.ID)+"_"))
	p, err := svc.Authenticate(ctx, token)
	fmt.Println(p.Dealer, p.Staff, p.Roles, err)
	if _, err := svc.Revoke(ctx, "SH01", k.ID); err != nil {
		panic(err)
	}
	_, err = svc.Authenticate(ctx, token)
	fmt.Println(err)
	// Output:
	// true
	// SH01 S07 [cr] <nil>
	// missing, unknown, revoked or expired API key
}
