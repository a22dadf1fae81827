package dealercrm_test

import (
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm"
)

// ExampleNewTransitionError shows the error a package returns for a state
// change its machine forbids, and how a caller reads it.
func ExampleNewTransitionError() {
	type Level string
	errInvalidTransition := &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "crm: invalid state transition"}
	allowed := map[Level][]Level{"N": {"H", "A", "B", "C", "N", "O"}}

	err := fmt.Errorf("crm: set level: %w",
		dealercrm.NewTransitionError("lead level", Level("N"), Level("D"), allowed["N"], errInvalidTransition))

	var te *dealercrm.TransitionError
	if errors.As(err, &te) {
		fmt.Println(te.From, "→", te.To, "allowed:", te.Allowed)
	}
	fmt.Println(errors.Is(err, errInvalidTransition), dealercrm.ErrorCode(err))
	fmt.Println(dealercrm.ErrorMessage(err))
	// Output:
	// N → D allowed: [H A B C N O]
	// true failed_precondition
	// crm: set level: invalid lead level transition N → D (allowed from N: H, A, B, C, N, O)
}
