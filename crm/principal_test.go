package crm_test

import (
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// principal returns a principal of dealer d1 with staff and roles,
// resolved against the default role table.
func principal(staff crm.StaffID, roles ...crm.Role) crm.Principal {
	p := crm.Principal{Dealer: "d1", Staff: staff, Roles: roles}
	crm.DefaultRoles().Resolve(&p)
	return p
}

// TestDefaultRoles checks the people rules of SPEC §9 in the default role
// table: who decides a lost request, who sees phone numbers in full, who
// may export and erase, who runs group views, what a DMS's system key may
// do.
func TestDefaultRoles(t *testing.T) {
	table := crm.DefaultRoles()
	for _, r := range crm.Roles() {
		require.Contains(t, table, r, "the default table has role %s", r)
		for _, perm := range table[r] {
			assert.Contains(t, crm.Permissions(), perm, "role %s: %s is a known permission", r, perm)
		}
	}
	holders := func(perm crm.Permission) []crm.Role {
		var out []crm.Role
		for _, r := range crm.Roles() {
			if principal("S1", r).Can(perm) {
				out = append(out, r)
			}
		}
		return out
	}
	for _, c := range []struct {
		perm crm.Permission
		want []crm.Role
		why  string
	}{
		{crm.PermDecideLost, []crm.Role{crm.RoleAdmin, crm.RoleManager}, "a manager decides a lost request"},
		{crm.PermPersonalData, []crm.Role{crm.RoleAdmin, crm.RoleManager, crm.RoleCR, crm.RoleConsultant, crm.RoleAdvisor},
			"phone numbers in full only for the roles that contact or manage customers"},
		{crm.PermPrivacy, []crm.Role{crm.RoleAdmin}, "export and erasure need the privacy permission"},
		{crm.PermGroup, []crm.Role{crm.RoleGroupAdmin}, "group views and runs need group_admin"},
		{crm.PermImport, []crm.Role{crm.RoleAdmin, crm.RoleIntegration}, "the DMS's system key imports"},
		{crm.PermPointsPost, []crm.Role{crm.RoleAdmin, crm.RoleManager, crm.RoleAdvisor, crm.RoleIntegration}, "the DMS's system key posts points"},
		{crm.PermCustomersRead, []crm.Role{crm.RoleAdmin, crm.RoleManager, crm.RoleCR, crm.RoleConsultant, crm.RoleAdvisor},
			"the integration reads no personal data unless granted"},
		{crm.PermAllTasks, []crm.Role{crm.RoleAdmin, crm.RoleManager}, "a manager sees all of the store"},
		{crm.PermCRTasks, []crm.Role{crm.RoleAdmin, crm.RoleManager, crm.RoleCR}, "cr the CR tasks (admin and manager too: all a cr key sees)"},
		{crm.PermKeys, []crm.Role{crm.RoleAdmin}, "the admin manages the store's API keys"},
	} {
		assert.Equal(t, c.want, holders(c.perm), "%s: %s", c.perm, c.why)
	}
}

func TestRoleTableResolve(t *testing.T) {
	table := crm.RoleTable{"reader": {crm.PermCustomersRead}, "writer": {crm.PermCustomersWrite, crm.PermCustomersRead}}
	p := crm.Principal{Roles: []crm.Role{"writer", "reader", "unknown"}, Permissions: []crm.Permission{crm.PermPrivacy}}
	table.Resolve(&p)
	assert.Equal(t, []crm.Permission{crm.PermCustomersRead, crm.PermCustomersWrite}, p.Permissions,
		"each permission once, in the order of Permissions(); what was set before is replaced; an unknown role allows nothing")
	assert.NoError(t, p.Need(crm.PermCustomersRead))
	err := p.Need(crm.PermPrivacy)
	var pe *crm.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, crm.PermPrivacy, pe.Permission)
	assert.True(t, errors.Is(err, dealercrm.ErrPermissionDenied))
	assert.Equal(t, dealercrm.PermissionDenied, dealercrm.ErrorCode(err))
}

// TestPrincipalActor: the member of staff acting is the key's own; a body
// naming another is refused naming the field; a system key without staff
// names the actor in the body, as before keys had staff.
func TestPrincipalActor(t *testing.T) {
	m := principal("M01", crm.RoleManager)
	for _, named := range []crm.StaffID{"", "M01", " M01 "} {
		got, err := m.Actor("decided_by", named)
		require.NoError(t, err, "%q", named)
		assert.Equal(t, crm.StaffID("M01"), got)
	}
	_, err := m.Actor("decided_by", "M02")
	var pe *crm.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "decided_by", pe.Field)
	assert.Equal(t, crm.RuleActor, pe.Rule)

	system := principal("", crm.RoleAdmin)
	got, err := system.Actor("decided_by", "M02")
	require.NoError(t, err)
	assert.Equal(t, crm.StaffID("M02"), got, "a system key names the actor in the body")
}

// TestScopeLeads: a consultant sees their own leads, a manager and CR all
// of the store's (SPEC §9).
func TestScopeLeads(t *testing.T) {
	mine := crm.Lead{ID: "L1", ConsultantID: "S07"}
	theirs := crm.Lead{ID: "L2", ConsultantID: "S08"}
	t.Run("consultant", func(t *testing.T) {
		p := principal("S07", crm.RoleConsultant)
		var f crm.LeadFilter
		require.NoError(t, p.ScopeLeads(&f))
		assert.Equal(t, crm.StaffID("S07"), f.ConsultantID, "the consultant's own leads")
		f = crm.LeadFilter{ConsultantID: "S07"}
		require.NoError(t, p.ScopeLeads(&f), "asking for one's own leads is fine")
		f = crm.LeadFilter{ConsultantID: "S08"}
		err := p.ScopeLeads(&f)
		var pe *crm.PermissionError
		require.ErrorAs(t, err, &pe, "another consultant's leads are refused")
		assert.Equal(t, "consultant_id", pe.Field)
		assert.True(t, p.SeesLead(&mine))
		assert.False(t, p.SeesLead(&theirs))
	})
	t.Run("consultant without staff", func(t *testing.T) {
		p := principal("", crm.RoleConsultant)
		var f crm.LeadFilter
		assert.ErrorIs(t, p.ScopeLeads(&f), dealercrm.ErrPermissionDenied)
		assert.False(t, p.SeesLead(&crm.Lead{}), "no staff, no leads, not even those without a consultant")
	})
	for _, r := range []crm.Role{crm.RoleManager, crm.RoleAdmin, crm.RoleCR} {
		t.Run(string(r), func(t *testing.T) {
			p := principal("M01", r)
			f := crm.LeadFilter{ConsultantID: "S08"}
			require.NoError(t, p.ScopeLeads(&f))
			assert.Equal(t, crm.StaffID("S08"), f.ConsultantID, "the filter is the caller's")
			assert.True(t, p.SeesLead(&theirs))
		})
	}
}
