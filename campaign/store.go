package campaign

import (
	"context"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Store keeps campaigns, the profile snapshots segments are evaluated on,
// frozen audiences and accessory targets. Every method is scoped to one
// dealer; values are copied in and out. adapters/memory and
// adapters/postgres implement it; campaign/campaigntest is the conformance
// suite both run.
type Store interface {
	// CreateCampaign stores a new campaign; ErrConflict when the ID is taken.
	CreateCampaign(ctx context.Context, c *Campaign) error
	// GetCampaign returns a campaign, or ErrNotFound.
	GetCampaign(ctx context.Context, dealer crm.DealerID, id ID) (Campaign, error)
	// UpdateCampaign reads the campaign, lets fn change it and writes it
	// back atomically (concurrent updates are serialised). An error from fn
	// is returned as it is and nothing is written; ErrNotFound when missing.
	UpdateCampaign(ctx context.Context, dealer crm.DealerID, id ID, fn func(*Campaign) error) (Campaign, error)
	// DeleteCampaign removes a campaign that has no frozen audience (the
	// service allows it for drafts only); ErrNotFound when missing.
	DeleteCampaign(ctx context.Context, dealer crm.DealerID, id ID) error
	// ListCampaigns returns the dealer's campaigns matching f in ascending
	// ID order, one page at a time; a bad cursor is a *crm.ValidationError.
	ListCampaigns(ctx context.Context, dealer crm.DealerID, f Filter) (crm.Page[Campaign], error)

	// ReplaceProfiles replaces the dealer's profile snapshot with profiles
	// atomically. A customer given twice is ErrConflict, and nothing changes.
	ReplaceProfiles(ctx context.Context, dealer crm.DealerID, profiles []Profile) error
	// CountProfiles returns how many of the dealer's profiles match cond.
	CountProfiles(ctx context.Context, dealer crm.DealerID, cond Cond) (int, error)
	// GetProfile returns the customer's profile, or ErrNotFound.
	GetProfile(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (Profile, error)
	// DeleteProfile removes the customer's profile; there being none is
	// no error.
	DeleteProfile(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) error
	// EachProfile calls fn with the dealer's profiles matching cond in
	// ascending customer ID order, at most limit of them (all when limit is
	// 0); an error from fn stops it and is returned. fn must not call the
	// store.
	EachProfile(ctx context.Context, dealer crm.DealerID, cond Cond, limit int, fn func(*Profile) error) error

	// FreezeAudience stores the audience of a campaign and sets its
	// FrozenAt, atomically. It returns ErrAudienceFrozen when the audience
	// was frozen before and ErrNotFound when the campaign is missing.
	FreezeAudience(ctx context.Context, dealer crm.DealerID, id ID, at time.Time, members []Member) error
	// Members returns a campaign's members in ascending customer ID order
	// (empty before the freeze).
	Members(ctx context.Context, dealer crm.DealerID, id ID) ([]Member, error)
	// ListMembers returns one page of a campaign's members in ascending
	// customer ID order (an empty page before the freeze); a bad cursor is
	// a *crm.ValidationError.
	ListMembers(ctx context.Context, dealer crm.DealerID, id ID, f MemberFilter) (crm.Page[Member], error)
	// CustomerMembers returns the customer's memberships of every frozen
	// audience of the dealer, in ascending campaign ID order (empty when
	// none).
	CustomerMembers(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) ([]Member, error)
	// UpdateMember changes one member atomically (see UpdateCampaign);
	// ErrNotFound when the customer is not a member.
	UpdateMember(ctx context.Context, dealer crm.DealerID, id ID, customer crm.CustomerID, fn func(*Member) error) (Member, error)
	// SetOutcomes writes the conversion fields (Converted, ConversionKind,
	// Revenue) of the given members, which must exist; others are untouched.
	SetOutcomes(ctx context.Context, dealer crm.DealerID, id ID, members []Member) error

	// PutAccessoryTargets inserts or replaces targets, keyed by dealer,
	// month, dimension and key.
	PutAccessoryTargets(ctx context.Context, dealer crm.DealerID, targets []AccessoryTarget) error
	// AccessoryTargets returns the dealer's targets of a month (its first
	// day), ordered by dimension and key.
	AccessoryTargets(ctx context.Context, dealer crm.DealerID, month dealercrm.Date) ([]AccessoryTarget, error)
}
