package main

import (
	"context"

	"flag"
	"fmt"
	"strings"
)

// group is a command made of subcommands (dealers add, keys revoke, …):
// its run picks the subcommand by the first argument.
func group(subs ...*command) func(ctx context.Context, e *env, c *command, args []string) error {
	return func(ctx context.Context, e *env, c *command, args []string) error {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
			fmt.Fprintln(e.stdout, strings.TrimSpace(c.help))
			fmt.Fprintln(e.stdout, "\nSubcommands:")
			for _, s := range subs {
				fmt.Fprintf(e.stdout, "  %-8s %s\n", s.name, s.summary)
			}
			if len(args) == 0 {
				return usagef("name a subcommand")
			}
			return flag.ErrHelp
		}
		for _, s := range subs {
			if s.name == args[0] {
				sub := *s
				sub.name = c.name + " " + s.name
				return s.run(ctx, e, &sub, args[1:])
			}
		}
		return usagef("unknown subcommand %q", args[0])
	}
}

// parseFlags parses the arguments of command c: the database flags into
// d (unless nil), then the flags add registers (unless nil). Arguments
// left after the flags are a usage error, and so is an empty value of a
// flag named in required.
func (e *env) parseFlags(c *command, args []string, d *database, add func(fs *flag.FlagSet), required ...string) error {
	fs := e.flags(c)
	if d != nil {
		d.flags(fs, e)
	}
	if add != nil {
		add(fs)
	}
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			return usagef("--%s is required", name)
		}
	}
	return nil
}
