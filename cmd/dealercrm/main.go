package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // dealer time zones (Asia/Shanghai) also on hosts without tzdata

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now,
		terminal: isTerminal(os.Stderr)}
	code := e.main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// isTerminal tells whether f is a terminal (a character device), as
// opposed to a file or a pipe.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// env is what a command reads and writes besides its arguments, so that a
// test runs commands in process with its own streams, environment and
// clock.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	// terminal tells whether stderr is a terminal: progress is drawn as a
	// bar there and written as plain lines otherwise.
	terminal bool
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	// help is the long help printed by --help above the flags: what the
	// command does, with examples.
	help string
	// run runs the command with the arguments after its name; c is the
	// command itself, for its flag set (env.flags).
	run func(ctx context.Context, e *env, c *command, args []string) error
}

// commands are the subcommands, in the order --help lists them.
func commands() []*command {
	return []*command{migrateCommand, dealersCommand, importCommand, serveCommand, jobsCommand,
		duplicatesCommand, mergeCommand, exportCommand, eraseCommand, keysCommand, versionCommand}
}

// usageError reports a command line that is wrong; the message says how
// to put it right. The command ends with exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a *usageError.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

const mainHelp = `dealercrm — the customer-relationship work of a car dealership, run from
the command line: a Postgres schema, the HTTP API, spreadsheet imports, the
daily jobs and PIPL requests.

Usage:
  dealercrm <command> [flags] [arguments]

Commands:
%s
Every command that opens the database reads its flags' defaults from the
environment, so that a deployment sets them once:
  DEALERCRM_POSTGRES_DSN   Postgres DSN (--dsn)
  DEALERCRM_SCHEMA         schema of the tables (--schema, default %q)
  DEALERCRM_TABLE_PREFIX   prefix of every table name (--table-prefix)

A first run:
  export DEALERCRM_POSTGRES_DSN='postgres://user@host:5432/db?sslmode=disable'
  dealercrm migrate
  dealercrm dealers add --id sh01 --name '上海浦东店'
  dealercrm import --dealer sh01 --dry-run customers.xlsx
  dealercrm import --dealer sh01 --partial customers.xlsx
  dealercrm jobs run
  dealercrm serve

Run "dealercrm <command> --help" for a command's flags and examples.
`

// main runs the command line args and returns the exit status: 0 on
// success, 2 for a wrong command line, 1 for a failure.
func (e *env) main(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			args = []string{args[1], "--help"}
		} else {
			e.usage(e.stdout)
			if len(args) == 0 {
				return 2
			}
			return 0
		}
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(e.stderr, "dealercrm: unknown command %q\n\n", args[0])
		e.usage(e.stderr)
		return 2
	}
	err := cmd.run(ctx, e, cmd, args[1:])
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case isUsage(err):
		fmt.Fprintf(e.stderr, "dealercrm %s: %v\nRun \"dealercrm %s --help\" for its flags.\n", cmd.name, err, cmd.name)
		return 2
	default:
		fmt.Fprintf(e.stderr, "dealercrm %s: %v\n", cmd.name, err)
		return 1
	}
}

func isUsage(err error) bool {
	_, ok := errors.AsType[*usageError](err)
	return ok
}

func (e *env) usage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainHelp, b.String(), postgres.DefaultSchema)
}

// flags returns the flag set of cmd, which prints cmd's help and its
// flags on --help and on a wrong flag.
func (e *env) flags(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet("dealercrm "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n", strings.TrimSpace(cmd.help))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses args with fs; --help prints the help to stdout and ends
// the command with flag.ErrHelp (exit status 0), a wrong flag is a usage
// error (the flag package has printed why and the help).
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// database are the flags that name the database.
type database struct {
	dsn, schema, prefix string
	set                 app.DB
}

// flags registers the database flags on fs, their defaults from the
// environment.
func (d *database) flags(fs *flag.FlagSet, e *env) {
	fs.StringVar(&d.dsn, "dsn", e.getenv("DEALERCRM_POSTGRES_DSN"), "Postgres DSN, e.g. postgres://user@host:5432/db?sslmode=disable (env DEALERCRM_POSTGRES_DSN)")
	schema := e.getenv("DEALERCRM_SCHEMA")
	if schema == "" {
		schema = postgres.DefaultSchema
	}
	fs.StringVar(&d.schema, "schema", schema, "Postgres schema of the tables, created by migrate (env DEALERCRM_SCHEMA)")
	fs.StringVar(&d.prefix, "table-prefix", e.getenv("DEALERCRM_TABLE_PREFIX"), "prefix of every table name, e.g. crm_ (env DEALERCRM_TABLE_PREFIX)")
}

// open opens the store; unless migrating, the schema must be migrated
// already (see migrate).
func (d *database) open(ctx context.Context) (*postgres.Store, func(), error) {
	if d.dsn == "" {
		return nil, nil, usagef("no database: set --dsn or DEALERCRM_POSTGRES_DSN")
	}
	if d.set.Name == "" {
		d.set.Name = "dealercrm-cli"
	}
	opts := []postgres.Option{postgres.WithSchema(d.schema)}
	if d.prefix != "" {
		opts = append(opts, postgres.WithTablePrefix(d.prefix))
	}
	return app.OpenPostgres(ctx, d.dsn, d.set, opts...)
}

// openApp opens the store and wires every service on it. The services log
// warnings and errors to e.stderr; their progress and summaries stay out
// of the way of the command's own output (serve logs everything).
func (d *database) openApp(ctx context.Context, e *env) (*app.App, *postgres.Store, func(), error) {
	store, closeDB, err := d.open(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := app.New(store.Stores(), app.Options{Now: e.now, Logger: e.logger("text", slog.LevelWarn)})
	if err != nil {
		closeDB()
		return nil, nil, nil, err
	}
	return a, store, closeDB, nil
}

// logger logs to e.stderr in format text or json from level on, phone
// numbers masked.
func (e *env) logger(format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: httpapi.MaskAttr, Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

var versionCommand = &command{
	name:    "version",
	summary: "print the version of dealercrm",
	help:    "Usage: dealercrm version\n\nPrints the version of dealercrm (also the OpenAPI document's info.version).",
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		if err := e.parseFlags(c, args, nil, nil); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "dealercrm", dealercrm.Version)
		return nil
	},
}

var migrateCommand = &command{
	name:    "migrate",
	summary: "create or update the tables in a Postgres schema",
	help: `Usage: dealercrm migrate [flags]

Creates the schema when it is missing and applies the migrations not
applied yet. It is idempotent and safe to run from several machines at
once (an advisory lock serialises them); run it before serve, import or
jobs after every upgrade.

  dealercrm migrate --dsn 'postgres://user@host:5432/dms?sslmode=disable' --schema crm
  dealercrm migrate --table-prefix crm_     # tables crm_customers, … in the default schema
`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		if err := e.parseFlags(c, args, &d, nil); err != nil {
			return err
		}
		store, closeDB, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := store.Migrate(ctx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "schema %s is up to date (%d tables%s)\n", store.Schema(), len(postgres.Tables()), prefixNote(d.prefix))
		return nil
	},
}

func prefixNote(prefix string) string {
	if prefix == "" {
		return ""
	}
	return ", prefix " + prefix
}
