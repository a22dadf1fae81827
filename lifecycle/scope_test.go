package lifecycle_test

import (
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScopeTasks: a consultant and an advisor see and work their own
// tasks, CR the CR tasks, a manager all of the store (SPEC §9), worked on
// four tasks of one day.
func TestScopeTasks(t *testing.T) {
	tasks := []lifecycle.Task{
		{ID: "lead", OwnerRole: lifecycle.RoleConsultant, AssigneeID: "S07"},  // S07's lead follow-up
		{ID: "maint", OwnerRole: lifecycle.RoleAdvisor, AssigneeID: "A03"},    // A03's customer's maintenance reminder
		{ID: "pool", OwnerRole: lifecycle.RoleAdvisor},                        // an advisor task of nobody yet
		{ID: "survey", OwnerRole: lifecycle.RoleCR},                           // a CR callback
		{ID: "stale", OwnerRole: lifecycle.RoleManager, AssigneeID: "M01"},    // a stale lead for the manager
		{ID: "other", OwnerRole: lifecycle.RoleConsultant, AssigneeID: "S08"}, // another consultant's
		{ID: "cr-own", OwnerRole: lifecycle.RoleCR, AssigneeID: "C02"},        // assigned within CR
		{ID: "advisor", OwnerRole: lifecycle.RoleCR, AssigneeID: "A03"},       // a CR task handed to the advisor
	}
	for _, c := range []struct {
		name  string
		staff crm.StaffID
		role  crm.Role
		want  []lifecycle.TaskID
	}{
		{"consultant", "S07", crm.RoleConsultant, []lifecycle.TaskID{"lead"}},
		{"advisor", "A03", crm.RoleAdvisor, []lifecycle.TaskID{"maint", "advisor"}},
		{"cr", "C02", crm.RoleCR, []lifecycle.TaskID{"survey", "cr-own", "advisor"}},
		{"manager", "M01", crm.RoleManager, []lifecycle.TaskID{"lead", "maint", "pool", "survey", "stale", "other", "cr-own", "advisor"}},
		{"admin without staff", "", crm.RoleAdmin, []lifecycle.TaskID{"lead", "maint", "pool", "survey", "stale", "other", "cr-own", "advisor"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := crm.Principal{Dealer: "d1", Staff: c.staff, Roles: []crm.Role{c.role}}
			crm.DefaultRoles().Resolve(&p)
			var f lifecycle.TaskFilter
			require.NoError(t, lifecycle.ScopeTasks(p, &f))
			var got, in []lifecycle.TaskID
			for i := range tasks {
				if f.Match(&tasks[i]) {
					got = append(got, tasks[i].ID)
				}
				if lifecycle.InScope(p, &tasks[i]) {
					in = append(in, tasks[i].ID)
				}
			}
			assert.Equal(t, c.want, got, "the forced filter")
			assert.Equal(t, c.want, in, "InScope agrees with the filter")
		})
	}

	t.Run("refusals", func(t *testing.T) {
		resolve := func(staff crm.StaffID, r crm.Role) crm.Principal {
			p := crm.Principal{Staff: staff, Roles: []crm.Role{r}}
			crm.DefaultRoles().Resolve(&p)
			return p
		}
		f := lifecycle.TaskFilter{AssigneeID: "S08"}
		err := lifecycle.ScopeTasks(resolve("S07", crm.RoleConsultant), &f)
		var pe *crm.PermissionError
		require.ErrorAs(t, err, &pe, "a consultant asking for another's tasks")
		assert.Equal(t, "staff_id", pe.Field)

		f = lifecycle.TaskFilter{OwnerRole: lifecycle.RoleAdvisor}
		require.ErrorAs(t, lifecycle.ScopeTasks(resolve("C02", crm.RoleCR), &f), &pe, "CR asking for the advisors' tasks")
		assert.Equal(t, "owner_role", pe.Field)

		f = lifecycle.TaskFilter{}
		assert.ErrorIs(t, lifecycle.ScopeTasks(resolve("", crm.RoleAdvisor), &f), dealercrm.ErrPermissionDenied,
			"an advisor key without staff sees nothing")

		f = lifecycle.TaskFilter{OwnerRole: lifecycle.RoleConsultant}
		require.NoError(t, lifecycle.ScopeTasks(resolve("S07", crm.RoleConsultant), &f), "narrowing one's own tasks is fine")
		assert.Equal(t, crm.StaffID("S07"), f.AssigneeID)
	})
}
