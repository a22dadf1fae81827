package lifecycle

import "github.com/dealercrm/dealercrm/crm"

// ScopeTasks restricts f to the tasks principal p sees (SPEC §9): every
// task of the store with crm.PermAllTasks (admin, manager); the CR
// department's — the tasks of owner role cr, assigned or not — with
// crm.PermCRTasks (cr); else their own: the tasks assigned to p's staff
// member (a consultant's lead follow-ups and the tasks of the customers
// whose consultant they are, an advisor's the same for the customers they
// serve). A task in a role's pool (assigned to nobody) is seen by those
// who see all tasks, and by CR when it is CR's. A filter asking for more
// than p sees — another owner role, another assignee — is a
// *crm.PermissionError naming the parameter (owner_role, staff_id); a
// principal limited to its own tasks without a staff member is refused.
func ScopeTasks(p crm.Principal, f *TaskFilter) error {
	switch {
	case p.Can(crm.PermAllTasks):
		return nil
	case p.Can(crm.PermCRTasks):
		if f.OwnerRole != "" && f.OwnerRole != RoleCR {
			return &crm.PermissionError{Field: "owner_role", Rule: crm.RuleScope,
				Message: "owner_role: the API key's roles see only the CR tasks"}
		}
		f.OwnerRole = RoleCR
		return nil
	case p.Staff == "":
		return &crm.PermissionError{Permission: crm.PermAllTasks,
			Message: "the API key names no staff member, and its roles lack permission " + string(crm.PermAllTasks)}
	case f.AssigneeID != "" && f.AssigneeID != p.Staff:
		return &crm.PermissionError{Field: "staff_id", Rule: crm.RuleScope,
			Message: "staff_id: the API key's roles see only the tasks of its own staff member"}
	}
	f.AssigneeID = p.Staff
	return nil
}

// InScope reports whether principal p sees task t: the rule of ScopeTasks
// for one task, which those who work a task (record an outcome, skip it)
// must see.
func InScope(p crm.Principal, t *Task) bool {
	switch {
	case p.Can(crm.PermAllTasks):
		return true
	case p.Can(crm.PermCRTasks):
		return t.OwnerRole == RoleCR
	}
	return p.Staff != "" && t.AssigneeID == p.Staff
}
