package httpapi

import (
	"context"
	"net/http"
	"reflect"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
)

// WithLoyalty adds the routes of package loyalty (the membership club),
// served by svc:
//
//	POST /v1/loyalty/members                         join the club
//	GET  /v1/loyalty/members                         memberships, by status and tier
//	GET  /v1/loyalty/members/{id}                    a membership with benefits, balances and history
//	POST /v1/loyalty/members/{id}/renew              renew (fee, points or insurance)
//	POST /v1/loyalty/members/{id}/upgrade            upgrade (cumulative, points, repair or insurance)
//	POST /v1/loyalty/members/{id}/cancel             cancel a membership
//	POST /v1/loyalty/members/{id}/quote              apply the tier's benefits to a workshop quote
//	POST /v1/loyalty/members/{id}/redemptions        redeem points
//	GET  /v1/loyalty/members/{id}/entries            the ledger entries
//	GET  /v1/loyalty/members/{id}/balances           balances, lots and tier, as of a date
//	POST /v1/loyalty/earnings                        post the points of a service order
//	POST /v1/loyalty/entries/{id}/reverse            reverse an entry
//	GET  /v1/loyalty/program                         the club's program
//	GET  /v1/loyalty/liability                       outstanding points per store
//
// Every POST honours the Idempotency-Key header: a repeat with the same key
// returns the first response with Idempotent-Replayed: true; the same key
// with another body is a 409 conflict. The POSTs that move points or money
// (earnings, reversals, redemptions, renewals, upgrades and quotes, which
// may use free services) require it: without it they answer 400 naming the
// header. Independently of keys, an order earns once and an entry is
// reversed once: posting one again under a new key answers the first
// receipt as a replay (Idempotent-Replayed: true). A store acts only on
// its own customers: another store's customer is a 404, also in a group
// programme whose accounts the home store keeps.
func WithLoyalty(svc *loyalty.Service) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return loyaltyRoutes(svc) }, schemas: loyaltySchemas})
	}
}

// loyaltySchemas registers the enumerations, names and descriptions of the
// loyalty types.
func loyaltySchemas(r *schemaRegistry) {
	addEnum(r, loyalty.Silver, loyalty.Gold, loyalty.Diamond)
	addEnum(r, loyalty.StatusActive, loyalty.StatusLapsed, loyalty.StatusCancelled)
	addEnum(r, loyalty.JoinMethods()...)
	addEnum(r, loyalty.EventJoin, loyalty.EventRenew, loyalty.EventUpgrade, loyalty.EventDowngrade, loyalty.EventLapse, loyalty.EventCancel)
	addEnum(r, loyalty.EntryEarn, loyalty.EntryBonus, loyalty.EntryRedeem, loyalty.EntryReverse, loyalty.EntryExpire)
	addEnum(r, loyalty.RenewByFee, loyalty.RenewByPoints, loyalty.RenewByInsurance)
	addEnum(r, loyalty.UpgradeByCumulative, loyalty.UpgradeByPoints, loyalty.UpgradeByRepair, loyalty.UpgradeByInsurance)
	addEnum(r, loyalty.ExpireDowngrade, loyalty.ExpireLapse)
	addEnum(r, loyalty.NoExpiry, loyalty.RollingExpiry, loyalty.YearAfterExpiry)
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[loyalty.Tier]():               "LoyaltyTier",
		reflect.TypeFor[loyalty.Status]():             "MembershipStatus",
		reflect.TypeFor[loyalty.JoinMethod]():         "LoyaltyJoinMethod",
		reflect.TypeFor[loyalty.Event]():              "MembershipEventKind",
		reflect.TypeFor[loyalty.EntryKind]():          "LedgerEntryKind",
		reflect.TypeFor[loyalty.EntryID]():            "LedgerEntryID",
		reflect.TypeFor[loyalty.Entry]():              "LedgerEntry",
		reflect.TypeFor[loyalty.Source]():             "LedgerSource",
		reflect.TypeFor[loyalty.LotMove]():            "LedgerLotMove",
		reflect.TypeFor[loyalty.Lot]():                "PointsLot",
		reflect.TypeFor[loyalty.Balances]():           "PointsBalances",
		reflect.TypeFor[loyalty.Membership]():         "Membership",
		reflect.TypeFor[loyalty.MembershipEvent]():    "MembershipEvent",
		reflect.TypeFor[loyalty.Receipt]():            "LoyaltyReceipt",
		reflect.TypeFor[loyalty.Earning]():            "PointsEarning",
		reflect.TypeFor[loyalty.Quote]():              "MemberQuote",
		reflect.TypeFor[loyalty.FreeServiceUse]():     "FreeServiceUse",
		reflect.TypeFor[loyalty.MemberView]():         "MemberView",
		reflect.TypeFor[loyalty.Benefits]():           "TierBenefits",
		reflect.TypeFor[loyalty.FreeService]():        "FreeService",
		reflect.TypeFor[loyalty.Statement]():          "PointsStatement",
		reflect.TypeFor[loyalty.Program]():            "LoyaltyProgram",
		reflect.TypeFor[loyalty.TierSpec]():           "LoyaltyTierSpec",
		reflect.TypeFor[loyalty.SpendTier]():          "LoyaltySpendTier",
		reflect.TypeFor[loyalty.RenewalRules]():       "LoyaltyRenewalRules",
		reflect.TypeFor[loyalty.UpgradeRules]():       "LoyaltyUpgradeRules",
		reflect.TypeFor[loyalty.EarnRule]():           "LoyaltyEarnRule",
		reflect.TypeFor[loyalty.CampaignMultiplier](): "LoyaltyCampaignMultiplier",
		reflect.TypeFor[loyalty.Bonus]():              "LoyaltyBonus",
		reflect.TypeFor[loyalty.PointsRules]():        "LoyaltyPointsRules",
		reflect.TypeFor[loyalty.Group]():              "LoyaltyGroup",
		reflect.TypeFor[loyalty.Liability]():          "PointsLiability",
		reflect.TypeFor[loyalty.StoreLiability]():     "StorePointsLiability",
		reflect.TypeFor[loyalty.RenewMethod]():        "LoyaltyRenewMethod",
		reflect.TypeFor[loyalty.UpgradeMethod]():      "LoyaltyUpgradeMethod",
		reflect.TypeFor[loyalty.ExpiryAction]():       "LoyaltyExpiryAction",
		reflect.TypeFor[loyalty.PointsExpiry]():       "LoyaltyPointsExpiry",
	})
	r.docs["LoyaltyReceipt"] = "The outcome of a loyalty command: the ledger entries posted and the membership after it with the event (rule that fired)."
	r.docs["LedgerEntry"] = "One append-only line of a points ledger: signed changes of redeemable and cumulative points, source and idempotency key."
	r.docs["MemberView"] = "A membership with the tier's benefits, the free services left, the balances and the history."
	r.docs["PointsStatement"] = "A customer's balances, lots and tier as of a date, replayed from the ledger."
}

// loyaltyJoinInput is the body of POST /v1/loyalty/members.
type loyaltyJoinInput struct {
	CustomerID crm.CustomerID     `json:"customer_id"`
	Method     loyalty.JoinMethod `json:"method"`
	// FeePaid is the membership fee paid (joining by fee).
	FeePaid decimal.Decimal `json:"fee_paid"`
	// SpendRank is the customer's rank by past spend as a share (0.05 = top 5%).
	SpendRank *decimal.Decimal `json:"spend_rank,omitempty"`
	// Date defaults to today in the dealer's zone.
	Date   dealercrm.Date `json:"date,omitzero"`
	Reason string         `json:"reason,omitempty"`
}

// loyaltyChangeInput is the body of renew, upgrade and cancel.
type loyaltyChangeInput struct {
	// Method names the renewal or upgrade method; empty tries the enabled
	// ones, those that cost no points first.
	Method  string          `json:"method,omitempty"`
	FeePaid decimal.Decimal `json:"fee_paid"`
	Date    dealercrm.Date  `json:"date,omitzero"`
	Reason  string          `json:"reason,omitempty"`
}

// loyaltyQuoteInput is the body of POST /v1/loyalty/members/{id}/quote.
type loyaltyQuoteInput struct {
	Labour       decimal.Decimal `json:"labour"`
	Parts        decimal.Decimal `json:"parts"`
	FreeServices []string        `json:"free_services,omitempty"`
	// Consume records the free-service uses against the yearly quota.
	Consume bool `json:"consume,omitempty"`
}

// loyaltyRedeemInput is the body of POST /v1/loyalty/members/{id}/redemptions.
type loyaltyRedeemInput struct {
	Points int64 `json:"points"`
	// Purpose is "voucher" (default), "gift" or the host's own.
	Purpose string         `json:"purpose,omitempty"`
	Ref     string         `json:"ref,omitempty"`
	Date    dealercrm.Date `json:"date,omitzero"`
	Reason  string         `json:"reason,omitempty"`
}

// loyaltyEarnInput is the body of POST /v1/loyalty/earnings.
type loyaltyEarnInput struct {
	ServiceOrderID crm.ServiceOrderID `json:"service_order_id"`
	// Date is the posting date (default today).
	Date dealercrm.Date `json:"date,omitzero"`
}

func (in *loyaltyEarnInput) validate() error {
	var c crm.Checker
	if in.ServiceOrderID == "" {
		c.Add("service_order_id", crm.RuleRequired, "is required")
	}
	return c.Err("request")
}

// loyaltyReverseInput is the body of POST /v1/loyalty/entries/{id}/reverse.
type loyaltyReverseInput struct {
	Reason string         `json:"reason"`
	Date   dealercrm.Date `json:"date,omitzero"`
}

// receipt is the work of a loyalty command: a replayed receipt says so in
// a header.
func receipt[In any](do work[In, loyalty.Receipt]) work[In, loyalty.Receipt] {
	return func(c *call, in In) (loyalty.Receipt, error) {
		rec, err := do(c, in)
		if err == nil {
			c.markReplayed(rec.Replayed)
		}
		return rec, err
	}
}

func loyaltyRoutes(svc *loyalty.Service) []route {
	const tag = "Loyalty"
	memberParams := paged(func(f *loyalty.MembershipFilter) *crm.PageRequest { return &f.PageRequest },
		textParam("status", "Membership status: active, lapsed or cancelled.", nil, func(f *loyalty.MembershipFilter) *loyalty.Status { return &f.Status }),
		textParam("tier", "Tier (silver, gold, diamond by default).", nil, func(f *loyalty.MembershipFilter) *loyalty.Tier { return &f.Tier }),
	)
	entryParams := paged(func(f *loyalty.EntryFilter) *crm.PageRequest { return &f.PageRequest },
		dateParam("until", "Only entries dated on or before this day.", func(f *loyalty.EntryFilter) *dealercrm.Date { return &f.Until }),
	)
	asOf := []filterParam[dealercrm.Date]{
		dateParam("as_of", "The day to read the ledger as of (default today): balances, lots and tier as they stood then.",
			func(d *dealercrm.Date) *dealercrm.Date { return d }),
	}
	customer := func(c *call) crm.CustomerID { return crm.CustomerID(c.r.PathValue("id")) }
	// change is the work of renew, upgrade and cancel.
	change := func(op func(context.Context, loyalty.ChangeRequest) (loyalty.Receipt, error)) work[loyaltyChangeInput, loyalty.Receipt] {
		return receipt(func(c *call, in loyaltyChangeInput) (loyalty.Receipt, error) {
			return op(c.r.Context(), loyalty.ChangeRequest{DealerID: c.dealer, CustomerID: customer(c), Method: in.Method, FeePaid: in.FeePaid,
				Date: in.Date, Reason: in.Reason, IdempotencyKey: c.key})
		})
	}
	return []route{
		// Joining may record a fee, but the state machine admits one join
		// per membership: a keyless retry is a 409 (already a member),
		// never a second membership or fee. The key is honoured, not
		// required.
		command(route{method: http.MethodPost, path: "/v1/loyalty/members", op: "joinLoyalty", tag: tag, idempotent: true,
			summary: "Make a customer a club member at the initial tier (by fee paid or past spend)",
			status:  http.StatusCreated, location: "the membership"},
			receipt(func(c *call, in loyaltyJoinInput) (loyalty.Receipt, error) {
				rec, err := svc.Join(c.r.Context(), loyalty.JoinRequest{DealerID: c.dealer, CustomerID: in.CustomerID, Method: in.Method,
					FeePaid: in.FeePaid, SpendRank: in.SpendRank, Date: in.Date, Reason: in.Reason, IdempotencyKey: c.key})
				return created(c, "loyalty/members", in.CustomerID, rec, err)
			})),
		query(route{method: http.MethodGet, path: "/v1/loyalty/members", op: "listMemberships", tag: tag,
			summary: "List memberships in customer ID order, by status and tier",
			status:  http.StatusOK, result: reflect.TypeFor[loyalty.Membership](), list: true},
			memberParams, forDealer(svc.ListMemberships)),
		byID(route{method: http.MethodGet, path: "/v1/loyalty/members/{id}", op: "getMember", tag: tag,
			summary: "Get a membership with its benefits, free services left, balances and history", status: http.StatusOK},
			svc.Member),
		// A renewal may deduct 500 points, and a retry would renew (and
		// deduct) again: the key is required.
		command(route{method: http.MethodPost, path: "/v1/loyalty/members/{id}/renew", op: "renewMembership", tag: tag, keyRequired: true,
			summary: "Renew a membership for one more period by fee, by deducting points or by insurance renewals", status: http.StatusOK},
			change(svc.Renew)),
		// An upgrade may deduct 2,000 points, and a retry would upgrade
		// (and deduct) again: the key is required.
		command(route{method: http.MethodPost, path: "/v1/loyalty/members/{id}/upgrade", op: "upgradeMembership", tag: tag, keyRequired: true,
			summary: "Move a member up one tier by cumulative points, deducting points, a large repair or insurance renewals", status: http.StatusOK},
			change(svc.Upgrade)),
		// A cancellation moves no points or money, and a keyless retry is a
		// 409 (already cancelled): the key is honoured, not required.
		command(route{method: http.MethodPost, path: "/v1/loyalty/members/{id}/cancel", op: "cancelMembership", tag: tag, idempotent: true,
			summary: "Cancel a membership; the points stay on the account", status: http.StatusOK},
			change(svc.Cancel)),
		// A quote with consume uses free services from the yearly quota
		// (worth money), and a retry would use them again. The route cannot
		// tell before reading the body, and one rule per route keeps the
		// OpenAPI document true: the key is required (a price-only quote
		// stores nothing under it).
		command(route{method: http.MethodPost, path: "/v1/loyalty/members/{id}/quote", op: "quoteForMember", tag: tag, keyRequired: true,
			summary: "Apply the member's tier benefits to a workshop quote (discounts, free services from the yearly quota)", status: http.StatusOK},
			receipt(func(c *call, in loyaltyQuoteInput) (loyalty.Receipt, error) {
				return svc.Quote(c.r.Context(), loyalty.QuoteRequest{DealerID: c.dealer, CustomerID: customer(c), Labour: in.Labour,
					Parts: in.Parts, FreeServices: in.FreeServices, Consume: in.Consume, IdempotencyKey: c.key})
			})),
		// A redemption spends points: the key is required, so that two
		// identical keyless requests (a retry) cannot both debit.
		command(route{method: http.MethodPost, path: "/v1/loyalty/members/{id}/redemptions", op: "redeemPoints", tag: tag, keyRequired: true,
			summary: "Redeem points (voucher, gift), soonest-expiring first; never below zero (409 insufficient points)", status: http.StatusCreated},
			receipt(func(c *call, in loyaltyRedeemInput) (loyalty.Receipt, error) {
				return svc.Redeem(c.r.Context(), loyalty.RedeemRequest{DealerID: c.dealer, CustomerID: customer(c), Points: in.Points,
					Purpose: in.Purpose, Ref: in.Ref, Date: in.Date, Reason: in.Reason, IdempotencyKey: c.key})
			})),
		query(route{method: http.MethodGet, path: "/v1/loyalty/members/{id}/entries", op: "listLedgerEntries", tag: tag,
			summary: "List a customer's ledger entries in posting order",
			status:  http.StatusOK, result: reflect.TypeFor[loyalty.Entry](), list: true},
			entryParams, forID(svc.Entries)),
		query(route{method: http.MethodGet, path: "/v1/loyalty/members/{id}/balances", op: "getPointsBalances", tag: tag,
			summary: "Get a customer's balances, lots and tier, now or as of a past date", status: http.StatusOK},
			asOf, forID(svc.Statement)),
		// An earning credits points: the key is required. The order earns
		// once whatever the keys (a new key answers the first receipt).
		command(route{method: http.MethodPost, path: "/v1/loyalty/earnings", op: "postEarning", tag: tag, keyRequired: true,
			summary: "Post the points of a service order (once per order, whatever the key; insurer-paid and warranty work earn 0)",
			status:  http.StatusCreated},
			receipt(func(c *call, in loyaltyEarnInput) (loyalty.Receipt, error) {
				return svc.EarnOrder(c.r.Context(), c.dealer, in.ServiceOrderID, in.Date, c.key)
			})),
		// A reversal moves points back: the key is required. An entry is
		// reversed once whatever the keys (a new key answers the first
		// reversal).
		command(route{method: http.MethodPost, path: "/v1/loyalty/entries/{id}/reverse", op: "reverseLedgerEntry", tag: tag, keyRequired: true,
			summary: "Reverse a ledger entry of this store (refunded or voided order, cancelled voucher); once, whatever the key",
			status:  http.StatusCreated},
			receipt(func(c *call, in loyaltyReverseInput) (loyalty.Receipt, error) {
				return svc.Reverse(c.r.Context(), loyalty.ReverseRequest{DealerID: c.dealer, EntryID: loyalty.EntryID(c.r.PathValue("id")),
					Reason: in.Reason, Date: in.Date, IdempotencyKey: c.key})
			})),
		fetch(route{method: http.MethodGet, path: "/v1/loyalty/program", op: "getLoyaltyProgram", tag: tag,
			summary: "Get the club's program: tiers, benefits, join, renewal, upgrade and earning rules", status: http.StatusOK},
			func(*call) (loyalty.Program, error) { return svc.Program(), nil }),
		fetch(route{method: http.MethodGet, path: "/v1/loyalty/liability", op: "getPointsLiability", tag: tag, heavy: true,
			summary: "Outstanding points per store where they were earned, valued at the redemption rate", status: http.StatusOK},
			func(c *call) (loyalty.Liability, error) { return svc.Liability(c.r.Context(), c.dealer) }),
	}
}
