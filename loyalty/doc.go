// Package loyalty implements the membership club of a dealership (会员俱乐部,
// SPEC §4; seed 003 会员俱乐部业务管理建议方案, book 001 ch.10): tiers with
// benefit packages, joining, renewal and upgrade rules, and a dual-track
// points ledger.
//
// # Program
//
// A [Program] is plain, validated data ([Program.Validate] returns a
// *crm.ValidationError naming each broken field). [DefaultProgram] holds
// the seed's defaults: tiers silver, gold, diamond with thresholds, point
// multipliers and [Benefits] (labour and parts discount %, free services
// with yearly quotas, priority); the five [JoinMethod]s with the initial
// tier by fee paid or by past spend (top 20% → gold); a one-year validity;
// renewal by fee, by deducting 500 redeemable points, or by an insurance
// renewal ≥ 3,000 CNY; upgrade by cumulative points reaching the next
// threshold, by deducting 2,000 points, by one normal repair ≥ 5,000 CNY
// since the tier began, or by insurance renewals ≥ 7,000 CNY in two
// consecutive years; on expiry, downgrade one tier (or lapse). Earning
// rules per service kind and payer (customer-paid work 1 CNY = 1 point,
// rounded down; insurer-paid and warranty work 0), tier and campaign
// multipliers, flat bonuses, the redemption value (10 points = 1 CNY),
// optional points expiry, a notice period, a lock period and group
// programmes are configuration too.
//
// # Membership
//
// A [Membership] moves through an explicit transition table (join, renew,
// upgrade, downgrade, lapse, cancel); every change is a [MembershipEvent]
// with the rule that fired; a forbidden change is a
// [*dealercrm.TransitionError] naming the state, the event and the events
// allowed (errors.Is(err, [ErrInvalidTransition])). [Program.ApplyBenefits] prices
// a quote with the tier's discounts and free-service quota.
//
// # Points
//
// Points are dual-track: cumulative points (累计积分, lowered only by the
// reversal of what earned them) drive upgrades; redeemable points (可兑换积分)
// are spent. Every change is an append-only [Entry] of an [Account] with a
// source reference and an idempotency key: a command repeated with the same
// key returns the first [Receipt]; with other input it is
// [ErrIdempotencyConflict]. "Other input" is decided in one place,
// requestHash in idempotency.go: the hash of the command's name and the
// canonical encoding of its whole request, every field. The key makes a request safe to retry; the
// source makes the business event count once: a service order earns, a
// bonus event's record pays and an entry is reversed at most once per
// account, whatever keys callers send — posting one again answers the first
// receipt as a replay ([Entry.SourceKey], [Command.Source]). Commands that
// spend points or benefits (Redeem, Renew, Upgrade, a consuming Quote)
// need a key. Postings may not be dated after the dealer's today, and
// points and amounts have ceilings ([WithLimits]); a store acts only on
// customers it has in the crm records. Earned points form lots ([Lot])
// that are spent soonest-expiring first, may be pending for a lock period,
// and expire by an idempotent job ([Service.ExpirePoints]) after a notice
// ([Service.ExpiryNotices]). Balances always equal the sum of the entries
// and never go below zero ([ErrInsufficientPoints]) nor past the largest
// int64. [Service.Statement] replays
// the ledger to any past date. In a group programme the accounts are kept by
// the group's home store, points earned at one store are spent at another,
// and [Service.Liability] reports the outstanding points per store.
//
// # Personal data (PIPL)
//
// *[Service] implements crm.PersonalData, so that a host registers it with
// crm.Service.AddPersonalData: the "loyalty" section of a customer's
// export is its [CustomerData] (membership or null, membership events, the
// whole points ledger), as the store sees it (the group's account in a
// group programme). Erasure keeps the ledger, a financial record, with
// every amount, date, lot, source and key, so balances and the liability
// do not change; it clears the free text callers wrote that could quote
// the person ([Entry.EraseText]: reasons of redemptions and reversals,
// redemption labels; [MembershipEvent.EraseText]: reasons), in the
// ledger, the events and the receipts kept with idempotency keys
// ([Store.EraseText]). An active or lapsed membership is cancelled with
// reason [ErasedReason]; the points stay, and the anonymised customer may
// join again. Idempotency keys stay (they guard retries) and must be
// opaque: never put personal data in a key, a bonus's Ref or a
// redemption's Purpose.
//
// # Events
//
// Every change is an event (SPEC §8) written atomically with it:
// [EventsOf] decides, from what a command changed, one points event per
// ledger entry ([PointsEvent]: points.earned, redeemed, reversed, expired,
// with the balance after) and one membership event per change
// ([MembershipChange]: joined, renewed, upgraded, downgraded, lapsed,
// cancelled); both stores call it in [Store.Do] after Apply succeeded
// (never for a replay) and write the events with the command's changes.
// The daily jobs add keyed notices, once each: points.expiring
// ([PointsExpiringEvent], [PointsRules].NoticeDays before a lot expires)
// from [Service.ExpirePoints] and membership.expiring
// ([WithMembershipNotice], default 30 days) from
// [Service.ProcessExpiries], through [WithEvents]. Payloads carry IDs,
// amounts, tiers and dates, never names, phones or free text.
//
// # Storage
//
// [Store] is the port: [Store.Do] runs one [Command] atomically on a
// customer's account and membership. adapters/memory and adapters/postgres
// implement it (Postgres: one transaction per command with the account row
// locked; memory: a lock per account, a map of accounts);
// loyalty/loyaltytest is their shared conformance suite. The package
// imports no database and no HTTP.
//
// # Example
//
//	svc, err := loyalty.NewService(crmStore, memory.NewLoyaltyStore())
//	if err != nil { … }
//	_, err = svc.Join(ctx, loyalty.JoinRequest{DealerID: "SH01", CustomerID: "c1", Method: loyalty.JoinSale})
//	rec, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: "SH01", Order: order})
//	fmt.Println(rec.Entries[0].Points) // 1,280.50 CNY of customer-paid repair → 1280
//	_, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: "SH01", CustomerID: "c1", Points: 500, Purpose: "voucher", IdempotencyKey: "v-1"})
package loyalty
