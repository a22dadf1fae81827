package crm

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of d.
func (d Dealer) Clone() Dealer {
	d.Brands = slices.Clone(d.Brands)
	if d.LeadPolicy != nil {
		p := d.LeadPolicy.Clone()
		d.LeadPolicy = &p
	}
	return d
}

// Clone returns a deep copy of p.
func (p LeadPolicy) Clone() LeadPolicy {
	p.Windows = slices.Clone(p.Windows)
	p.CadenceDays = maps.Clone(p.CadenceDays)
	return p
}

// Clone returns a deep copy of c.
func (c Customer) Clone() Customer {
	c.Hobbies = slices.Clone(c.Hobbies)
	c.Consents = slices.Clone(c.Consents)
	return c
}

// Clone returns a deep copy of l.
func (l Lead) Clone() Lead {
	l.FollowUps = slices.Clone(l.FollowUps)
	l.LostRequests = slices.Clone(l.LostRequests)
	return l
}

// Clone returns a deep copy of v.
func (v Vehicle) Clone() Vehicle {
	v.Odometer = slices.Clone(v.Odometer)
	return v
}

// Clone returns a deep copy of s.
func (s Sale) Clone() Sale {
	s.Items = slices.Clone(s.Items)
	return s
}

// Clone returns a copy of o (it holds no references).
func (o ServiceOrder) Clone() ServiceOrder { return o }

// Clone returns a copy of p (it holds no references).
func (p InsurancePolicy) Clone() InsurancePolicy { return p }

// Clone returns a copy of i (it holds no references).
func (i Interaction) Clone() Interaction { return i }

// Clone returns a copy of c (it holds no references).
func (c Complaint) Clone() Complaint { return c }

// Clone returns a copy of e (it holds no references).
func (e EventParticipation) Clone() EventParticipation { return e }
