// Command dealercrm runs dealercrm without writing Go: it migrates a
// Postgres schema, serves the HTTP API, imports a dealership's
// spreadsheets, runs the daily jobs and answers PIPL requests.
//
//	go run ./cmd/dealercrm --help
//	export DEALERCRM_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	dealercrm migrate
//	dealercrm dealers add --id sh01 --name '上海浦东店'
//	dealercrm import --dealer sh01 --mapping mapping.json customers.xlsx
//	dealercrm jobs run --date 2026-12-04
//	dealercrm export --dealer sh01 --customer <id>
//	dealercrm serve --addr :8080
//
// Every flag that names the database has an environment variable
// (DEALERCRM_POSTGRES_DSN, DEALERCRM_SCHEMA, DEALERCRM_TABLE_PREFIX), so
// that a deployment sets them once. Each subcommand's --help explains
// it with examples. The version is dealercrm.Version.
package main
