// Package satisfaction implements AHP-weighted customer satisfaction for a
// 4S store (SPEC §6): an analytic hierarchy process (AHP) engine, survey
// questionnaires scored into a CSI, improvement priorities, and the closed
// loop that turns a dissatisfied answer into a complaint follow-up.
//
// # AHP engine
//
// A Matrix holds pairwise judgments on Saaty's 1–9 scale (in JSON numbers
// or "1/3" strings, null for a skipped comparison). Config.Weigh validates
// it (positive, unit diagonal, reciprocal within a tolerance, 1 ≤ n ≤
// MaxSize, on the scale) with a *MatrixError naming the cell; completes it
// by Harker's method when comparisons were skipped (Result.Incomplete,
// Result.Filled); derives the priority vector by the principal eigenvector
// (power iteration with a convergence bound and an iteration cap that
// returns ErrNotConverged) or the row geometric mean; and computes λmax,
// CI = (λmax − n)/(n − 1) and CR = CI/RI with a selectable random index
// table (RISaaty by default; RISaaty2005, RIAlonsoLamata, RIDoneganDodd).
// A CR at or above the threshold (0.10 by default) is an
// *InconsistentError naming the judgment whose revision lowers λmax most
// and a value that brings CR under the threshold. Both typed errors name
// the field at fault as a JSON path ("matrix[0][1]",
// "root.children[1].comparisons[0][2]") and unwrap to a
// *crm.ValidationError with that one field, like every other validation
// error of the SDK. The engine is pure and usable on its own, e.g. to
// weigh grading components.
//
// # Hierarchies
//
// A Node tree (goal → criteria → sub-criteria → indicators, any depth) says
// at each inner node how its children weigh: a comparison matrix, several
// experts' matrices (Aggregate: geometric mean of judgments) or given
// weights. Config.WeighHierarchy returns local and global weights and the
// indicators ranked. DefaultHierarchy is the J.D. Power China SSI 2015 /
// CSI 2014 hierarchy, a starting point a dealer edits.
//
// # Surveys, CSI and priorities
//
// A Questionnaire's items score indicators on a Likert5, Likert10 or NPS
// Scale. A Response (a return-visit call 回访, linked to a sale or service
// order and a staff member) scores 0–100. An Aggregator streams responses
// into a Report: CSI = Σ weight × indicator score, broken down by
// criterion, staff member, department and period. Report.Priorities ranks
// indicators by importance × gap and places each in an
// importance–performance quadrant (FixFirst, KeepUp, LowPriority,
// PossibleOverkill).
//
// # Service, storage and the closed loop
//
// Service stores hierarchies, questionnaires and responses in a Store
// (adapters/memory and adapters/postgres implement it; satisfactiontest is
// the shared conformance suite) and, when a response scores below the
// follow-up threshold, opens a follow-up through the FollowUps port.
// LifecycleTasks opens the CR department's follow-up task in the
// lifecycle scheduler (SPEC §6: a dissatisfied answer opens a complaint
// follow-up task), CRMComplaints records a crm.Complaint instead; without
// WithFollowUps no follow-up is opened.
//
// WithRecords gives the Service the dealer's crm records (a *crm.Service
// satisfies the Records port): a response may name only the dealer's own
// customer, service order or sale, and is about that record's customer
// and staff member (the order's advisor, the sale's consultant), who is
// kept off the follow-up call. Without it, responses naming records are
// refused. A response may not be dated after the dealer's today
// (WithLimits sets the tolerance). Validation errors are
// *crm.ValidationError values naming every bad field.
//
// Service is also the "survey_responses" part of a crm export and erasure
// (crm.PersonalData; register it with crm.Service.AddPersonalData): the
// export lists the customer's responses, the erasure clears their
// comments and keeps answers and scores, so the CSI still counts them.
//
// # Example
//
//	r, err := satisfaction.Weigh(satisfaction.Matrix{
//		{1, 3, 5},
//		{0, 1, 2},     // a zero takes the reciprocal of its mirror cell
//		{0, 0, 1},     // lower triangle: reciprocals of the upper one
//	}, "speed", "quality", "price")
//	// r.Weights, r.LambdaMax, r.CI, r.CR
package satisfaction
