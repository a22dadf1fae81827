// Package app wires every dealercrm service on one backend the way the
// programs of this repository run them: the example server
// (examples/server) and the command-line tool (cmd/dealercrm). It is the
// one place that knows which service reads which (the plan reads grades
// and memberships, campaigns read grades, stages and tiers, a PIPL export
// reaches every package), and how to open the Postgres pool and River's.
//
// Hosts that embed the SDK wire the same services themselves (the
// backend package's doc shows how); this package is internal so that its
// choices can change with the programs.
package app
