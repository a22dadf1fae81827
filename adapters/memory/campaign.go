package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
)

// CampaignStore is an in-memory campaign.Store. It is safe for concurrent
// use and copies values in and out. Segments are evaluated with
// campaign.Cond.Matcher over a slice of profiles kept in customer ID order.
type CampaignStore struct {
	mu        sync.RWMutex
	campaigns map[crm.DealerID]map[campaign.ID]campaign.Campaign
	profiles  map[crm.DealerID][]campaign.Profile
	members   map[crm.DealerID]map[campaign.ID][]campaign.Member
	targets   map[crm.DealerID][]campaign.AccessoryTarget
}

var _ campaign.Store = (*CampaignStore)(nil)

// NewCampaignStore returns an empty CampaignStore.
func NewCampaignStore() *CampaignStore {
	return &CampaignStore{
		campaigns: map[crm.DealerID]map[campaign.ID]campaign.Campaign{},
		profiles:  map[crm.DealerID][]campaign.Profile{},
		members:   map[crm.DealerID]map[campaign.ID][]campaign.Member{},
		targets:   map[crm.DealerID][]campaign.AccessoryTarget{},
	}
}

func copyCampaign(c *campaign.Campaign) campaign.Campaign {
	out := c.Clone()
	out.CreatedAt, out.UpdatedAt = out.CreatedAt.UTC(), out.UpdatedAt.UTC()
	if !out.FrozenAt.IsZero() {
		out.FrozenAt = out.FrozenAt.UTC()
	}
	return out
}

func campaignNotFound(id campaign.ID) error {
	return dealercrm.Errorf(dealercrm.NotFound, "memory: campaign %s not found", id)
}

// CreateCampaign implements campaign.Store.
func (s *CampaignStore) CreateCampaign(_ context.Context, c *campaign.Campaign) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.campaigns[c.DealerID]
	if m == nil {
		m = map[campaign.ID]campaign.Campaign{}
		s.campaigns[c.DealerID] = m
	}
	if _, ok := m[c.ID]; ok {
		return dealercrm.Errorf(dealercrm.Conflict, "memory: campaign %s exists", c.ID)
	}
	m[c.ID] = copyCampaign(c)
	return nil
}

// GetCampaign implements campaign.Store.
func (s *CampaignStore) GetCampaign(_ context.Context, dealer crm.DealerID, id campaign.ID) (campaign.Campaign, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.campaigns[dealer][id]
	if !ok {
		return campaign.Campaign{}, campaignNotFound(id)
	}
	return copyCampaign(&c), nil
}

// UpdateCampaign implements campaign.Store.
func (s *CampaignStore) UpdateCampaign(_ context.Context, dealer crm.DealerID, id campaign.ID, fn func(*campaign.Campaign) error) (campaign.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.campaigns[dealer][id]
	if !ok {
		return campaign.Campaign{}, campaignNotFound(id)
	}
	work := copyCampaign(&c)
	if err := fn(&work); err != nil {
		return campaign.Campaign{}, err
	}
	work.ID, work.DealerID = id, dealer
	s.campaigns[dealer][id] = copyCampaign(&work)
	return copyCampaign(&work), nil
}

// DeleteCampaign implements campaign.Store.
func (s *CampaignStore) DeleteCampaign(_ context.Context, dealer crm.DealerID, id campaign.ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.campaigns[dealer][id]; !ok {
		return campaignNotFound(id)
	}
	delete(s.campaigns[dealer], id)
	delete(s.members[dealer], id)
	return nil
}

// ListCampaigns implements campaign.Store.
func (s *CampaignStore) ListCampaigns(_ context.Context, dealer crm.DealerID, f campaign.Filter) (crm.Page[campaign.Campaign], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[campaign.Campaign]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []campaign.Campaign
	for _, c := range s.campaigns[dealer] {
		if string(c.ID) > after && f.Matches(&c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b campaign.Campaign) int { return strings.Compare(string(a.ID), string(b.ID)) })
	size := f.Size()
	if len(out) > size+1 {
		out = out[:size+1]
	}
	for i := range out {
		out[i] = copyCampaign(&out[i])
	}
	return crm.NewPage(out, size, func(c campaign.Campaign) string { return string(c.ID) }), nil
}

// ReplaceProfiles implements campaign.Store.
func (s *CampaignStore) ReplaceProfiles(_ context.Context, dealer crm.DealerID, profiles []campaign.Profile) error {
	out := make([]campaign.Profile, len(profiles))
	for i := range profiles {
		out[i] = profiles[i].Clone()
		out[i].DealerID = dealer
		out[i].UpdatedAt = out[i].UpdatedAt.UTC()
	}
	slices.SortFunc(out, func(a, b campaign.Profile) int { return strings.Compare(string(a.CustomerID), string(b.CustomerID)) })
	for i := 1; i < len(out); i++ {
		if out[i].CustomerID == out[i-1].CustomerID {
			return dealercrm.Errorf(dealercrm.Conflict, "memory: profile of customer %s given twice", out[i].CustomerID)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[dealer] = out
	return nil
}

// GetProfile implements campaign.Store.
func (s *CampaignStore) GetProfile(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) (campaign.Profile, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.profile(dealer, customer)
	if !ok {
		return campaign.Profile{}, dealercrm.Errorf(dealercrm.NotFound, "memory: no profile of customer %s", customer)
	}
	return s.profiles[dealer][i].Clone(), nil
}

// DeleteProfile implements campaign.Store.
func (s *CampaignStore) DeleteProfile(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.profile(dealer, customer); ok {
		s.profiles[dealer] = slices.Delete(s.profiles[dealer], i, i+1)
	}
	return nil
}

// profile finds the customer's profile in the dealer's sorted snapshot.
func (s *CampaignStore) profile(dealer crm.DealerID, customer crm.CustomerID) (int, bool) {
	return slices.BinarySearchFunc(s.profiles[dealer], customer, func(p campaign.Profile, c crm.CustomerID) int {
		return strings.Compare(string(p.CustomerID), string(c))
	})
}

// CountProfiles implements campaign.Store.
func (s *CampaignStore) CountProfiles(_ context.Context, dealer crm.DealerID, cond campaign.Cond) (int, error) {
	match := cond.Matcher()
	s.mu.RLock()
	defer s.mu.RUnlock()
	ps := s.profiles[dealer]
	n := 0
	for i := range ps {
		if match(&ps[i]) {
			n++
		}
	}
	return n, nil
}

// EachProfile implements campaign.Store. The matches are collected under
// the lock and passed to fn after it is released.
func (s *CampaignStore) EachProfile(ctx context.Context, dealer crm.DealerID, cond campaign.Cond, limit int, fn func(*campaign.Profile) error) error {
	match := cond.Matcher()
	var out []campaign.Profile
	s.mu.RLock()
	ps := s.profiles[dealer]
	for i := range ps {
		if match(&ps[i]) {
			out = append(out, ps[i].Clone())
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	s.mu.RUnlock()
	for i := range out {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&out[i]); err != nil {
			return err
		}
	}
	return nil
}

// FreezeAudience implements campaign.Store.
func (s *CampaignStore) FreezeAudience(_ context.Context, dealer crm.DealerID, id campaign.ID, at time.Time, members []campaign.Member) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.campaigns[dealer][id]
	if !ok {
		return campaignNotFound(id)
	}
	if !c.FrozenAt.IsZero() {
		return campaign.ErrAudienceFrozen
	}
	out := slices.Clone(members)
	for i := range out {
		out[i].DealerID, out[i].CampaignID = dealer, id
	}
	slices.SortFunc(out, func(a, b campaign.Member) int { return strings.Compare(string(a.CustomerID), string(b.CustomerID)) })
	for i := 1; i < len(out); i++ {
		if out[i].CustomerID == out[i-1].CustomerID {
			return dealercrm.Errorf(dealercrm.Conflict, "memory: member %s given twice", out[i].CustomerID)
		}
	}
	c.FrozenAt = at.UTC()
	s.campaigns[dealer][id] = c
	if s.members[dealer] == nil {
		s.members[dealer] = map[campaign.ID][]campaign.Member{}
	}
	s.members[dealer][id] = out
	return nil
}

// Members implements campaign.Store.
func (s *CampaignStore) Members(_ context.Context, dealer crm.DealerID, id campaign.ID) ([]campaign.Member, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := slices.Clone(s.members[dealer][id])
	if out == nil {
		out = []campaign.Member{}
	}
	return out, nil
}

// ListMembers implements campaign.Store.
func (s *CampaignStore) ListMembers(_ context.Context, dealer crm.DealerID, id campaign.ID, f campaign.MemberFilter) (crm.Page[campaign.Member], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[campaign.Member]{}, err
	}
	size := f.Size()
	s.mu.RLock()
	defer s.mu.RUnlock()
	ms := s.members[dealer][id]
	i, _ := slices.BinarySearchFunc(ms, after, func(m campaign.Member, c string) int { return strings.Compare(string(m.CustomerID), c) })
	if i < len(ms) && string(ms[i].CustomerID) == after {
		i++
	}
	out := slices.Clone(ms[i:min(i+size+1, len(ms))])
	return crm.NewPage(out, size, func(m campaign.Member) string { return string(m.CustomerID) }), nil
}

// CustomerMembers implements campaign.Store.
func (s *CampaignStore) CustomerMembers(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) ([]campaign.Member, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []campaign.Member{}
	for id := range s.members[dealer] {
		if i, ok := s.member(dealer, id, customer); ok {
			out = append(out, s.members[dealer][id][i])
		}
	}
	slices.SortFunc(out, func(a, b campaign.Member) int { return strings.Compare(string(a.CampaignID), string(b.CampaignID)) })
	return out, nil
}

func (s *CampaignStore) member(dealer crm.DealerID, id campaign.ID, customer crm.CustomerID) (int, bool) {
	return slices.BinarySearchFunc(s.members[dealer][id], customer, func(m campaign.Member, c crm.CustomerID) int {
		return strings.Compare(string(m.CustomerID), string(c))
	})
}

// UpdateMember implements campaign.Store.
func (s *CampaignStore) UpdateMember(_ context.Context, dealer crm.DealerID, id campaign.ID, customer crm.CustomerID, fn func(*campaign.Member) error) (campaign.Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.member(dealer, id, customer)
	if !ok {
		return campaign.Member{}, dealercrm.Errorf(dealercrm.NotFound, "memory: customer %s is not a member of campaign %s", customer, id)
	}
	work := s.members[dealer][id][i]
	if err := fn(&work); err != nil {
		return campaign.Member{}, err
	}
	work.DealerID, work.CampaignID, work.CustomerID = dealer, id, customer
	s.members[dealer][id][i] = work
	return work, nil
}

// SetOutcomes implements campaign.Store.
func (s *CampaignStore) SetOutcomes(_ context.Context, dealer crm.DealerID, id campaign.ID, members []campaign.Member) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := make([]int, len(members))
	for j, m := range members {
		i, ok := s.member(dealer, id, m.CustomerID)
		if !ok {
			return dealercrm.Errorf(dealercrm.NotFound, "memory: customer %s is not a member of campaign %s", m.CustomerID, id)
		}
		idx[j] = i
	}
	for j, m := range members {
		stored := &s.members[dealer][id][idx[j]]
		stored.Converted, stored.ConversionKind, stored.Revenue = m.Converted, m.ConversionKind, m.Revenue
	}
	return nil
}

// PutAccessoryTargets implements campaign.Store.
func (s *CampaignStore) PutAccessoryTargets(_ context.Context, dealer crm.DealerID, targets []campaign.AccessoryTarget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.targets[dealer]
	for _, t := range targets {
		t.DealerID = dealer
		i := slices.IndexFunc(list, func(x campaign.AccessoryTarget) bool {
			return x.Month == t.Month && x.Dimension == t.Dimension && x.Key == t.Key
		})
		if i >= 0 {
			list[i] = t
		} else {
			list = append(list, t)
		}
	}
	s.targets[dealer] = list
	return nil
}

// AccessoryTargets implements campaign.Store.
func (s *CampaignStore) AccessoryTargets(_ context.Context, dealer crm.DealerID, month dealercrm.Date) ([]campaign.AccessoryTarget, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []campaign.AccessoryTarget{}
	for _, t := range s.targets[dealer] {
		if t.Month == month {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b campaign.AccessoryTarget) int {
		return strings.Compare(string(a.Dimension)+"\x00"+a.Key, string(b.Dimension)+"\x00"+b.Key)
	})
	return out, nil
}
