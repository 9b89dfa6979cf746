package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
)

// command is one verb of the program, in the manner of cmd/go's
// base.Command: the table of them (commandTable) is the only list of what
// tipline can do, and `tipline -h`, `tipline help` (the man page), each
// command's -h and the shell completions are all written from it, so they
// cannot drift apart. Adding a subcommand is adding one entry.
type command struct {
	// Name is the word that selects it ("reviewers", or "invite" under it).
	Name string
	// Aliases are other words that select it ("man" for help).
	Aliases []string
	// Args is what follows the name in the synopsis, flags included: every
	// flag the command defines must appear here (a test checks), because
	// the completions offer the flags named here.
	Args string
	// Short is one line, lower case, for `tipline -h` and the completions.
	Short string
	// Long is the man page's paragraph for a top-level command, already
	// wrapped; empty means Short.
	Long string
	// Run runs a command that has no subcommands, with the arguments after
	// its name. Exactly one of Run and Sub is set.
	Run func(m *Main, ctx context.Context, args []string) error
	// Sub are the subcommands; the first argument names one.
	Sub []*command
}

// commandTable lists every command, in the order the help shows them. It
// is a function, not a variable, because help and completion are entries
// that read it.
func commandTable() []*command {
	return []*command{
		{Name: "serve", Run: (*Main).serve,
			Short: "run the bot (needs TELEGRAM_BOT_TOKEN, DATABASE_URL, REDIS_URL, TIPLINE_SECRET_KEY)",
			Long: `Runs the bot: long polling, or a webhook when
TIPLINE_WEBHOOK_URL is set. Brings the schema up to date
first. Serves /metrics, /healthz and /readyz on
TIPLINE_LISTEN_ADDR. SIGTERM or Ctrl+C stops taking updates,
finishes those in hand, and exits.`},
		{Name: "sandbox", Args: "[--addr HOST:PORT]", Run: (*Main).sandbox,
			Short: "run the bot with Telegram emulated and a chat page on 127.0.0.1",
			Long: `Runs the bot against an emulated Telegram with a chat page in
the browser. Storage is in memory unless DATABASE_URL and
REDIS_URL are set; then it works in a schema of its own
(tipline_sandbox), never a live service's. Ctrl+C stops it.`},
		{Name: "migrate", Run: (*Main).migrate,
			Short: "bring the database schema up to date (needs DATABASE_URL)",
			Long: `Brings the database schema up to date. Safe to run twice and
from several machines at once.`},
		{Name: "doctor", Args: "[--days N]", Run: (*Main).doctor,
			Short: "check the setup and say how to fix each problem",
			Long: `Checks the configuration, PostgreSQL, Redis, the schema,
Telegram, the key, the clock, the queues, on-call coverage
for the next 7 days and the disk, and prints each problem
with its fix.
Exits 1 when something must be fixed.`},
		{Name: "reviewers",
			Short: "invite, list and disable reviewers",
			Long: `Invites (a one-time link), lists and disables reviewers.
Disabling drops what is still queued to the reviewer.`,
			Sub: []*command{
				{Name: "invite", Args: "--name NAME [--admin] [--valid DURATION]", Run: (*Main).reviewersInvite,
					Short: "print a one-time link that registers a reviewer"},
				{Name: "list", Run: (*Main).reviewersList,
					Short: "list the reviewers: id, name, language, admin, active"},
				{Name: "disable", Args: "ID", Run: (*Main).reviewersDisable,
					Short: "disable a reviewer: their buttons stop working"},
			}},
		{Name: "partners",
			Short: "add, list and disable the partners a case can be referred to",
			Long: `Adds, lists and disables the partners (police units, NGOs,
hotlines; in KH or TH) a reviewer can refer a case to, and
keeps each partner's age public key for exports to it. A
disabled partner is no longer offered; closed cases keep it.`,
			Sub: []*command{
				{Name: "add", Args: "--name NAME --kind police|ngo|hotline --country KH|TH [--age-recipient AGE-KEY]", Run: (*Main).partnersAdd,
					Short: "add a partner that cases can be referred to"},
				{Name: "list", Run: (*Main).partnersList,
					Short: "list the partners: id, name, kind, country, active, export key"},
				{Name: "key", Args: "ID AGE-KEY", Run: (*Main).partnersKey,
					Short: "keep a partner's age public key, for tipline export --partner"},
				{Name: "disable", Args: "ID", Run: (*Main).partnersDisable,
					Short: "stop offering a partner; cases referred to it keep its name"},
			}},
		{Name: "reporters",
			Short: "blocks made by reviewers",
			Long: `Lists blocked reporters (case, reason, date; never who) and
lifts a block by the case it was made from.`,
			Sub: []*command{
				{Name: "blocked", Run: (*Main).reportersBlocked,
					Short: "list the blocks: case, reason, date (never who)"},
				{Name: "unblock", Args: "CASE-REF", Run: (*Main).reportersUnblock,
					Short: "lift the block made from a case"},
			}},
		{Name: "oncall",
			Short: "show or set the on-call rota",
			Long:  `Shows or sets the on-call rota.`,
			Sub: []*command{
				{Name: "show", Run: (*Main).oncallShow,
					Short: "show the rota and who is on call now"},
				{Name: "set", Args: "--primary SPEC [--secondary SPEC] [--time-zone ZONE]", Run: (*Main).oncallSet,
					Short: "set the rota"},
			}},
		{Name: "voices", Args: "[export DIR | import DIR]", Run: (*Main).voices,
			Short: "the team's recorded prompts: coverage per language, export, import",
			Long: `Lists per language how many prompts are recorded, stale (the
text changed since) or missing. "export DIR" writes every
recording and a manifest with the text hashes, "import DIR"
stores them here, so one team can share its voices.`},
		{Name: "audit", Args: "CASE-REF | --reviewer ID | --operator [--since 7d]", Run: (*Main).audit,
			Short: "every change to a case and every read of it; what one reviewer opened",
			Long: `Prints every change to a case and every read of it: who,
what, when. With --reviewer ID, everything one reviewer read
and did since --since (for the day their phone is lost); with
--operator, what operators did to no case. No content is shown.`},
		{Name: "cases",
			Short: "the operator's work on cases",
			Long: `Gives an open case to another reviewer, for example when the
one who has it is away. The audit trail records it as the
operator's; Tipline does not message the reviewers.`,
			Sub: []*command{
				{Name: "reassign", Args: "CASE-REF --to REVIEWER-ID", Run: (*Main).casesReassign,
					Short: "give an open case to another reviewer"},
			}},
		{Name: "inbox",
			Short: "updates set aside after failing again and again",
			Long: `Lists the updates set aside after failing again and again
(dead letters: their ids, how often and why they failed,
never what they say), puts one back in the inbox once the
cause is fixed, or deletes them now (they are deleted after
TIPLINE_DEAD_LETTER_TTL anyway).`,
			Sub: []*command{
				{Name: "dead", Run: (*Main).inboxDead,
					Short: "list the dead letters (no content is shown)"},
				{Name: "retry", Args: "UPDATE-ID", Run: (*Main).inboxRetry,
					Short: "put a dead letter back in the inbox, for the running bot"},
				{Name: "drop", Args: "UPDATE-ID | --all", Run: (*Main).inboxDrop,
					Short: "delete a dead letter, or all of them, now (recorded)"},
			}},
		{Name: "rekey", Args: "[--batch N]", Run: (*Main).rekey,
			Short: "re-encrypt everything under the current TIPLINE_SECRET_KEY",
			Long: `Re-encrypts everything under the current TIPLINE_SECRET_KEY.
Safe to stop and run again.`},
		{Name: "export", Args: "--partner ID | --to AGE-KEY [--case REF | --since DATE --kind KIND --status STATUS] [--unreviewed] [--lang LANG] --out FILE.age [--armor] [--domain DOMAIN] [--source NAME]",
			Run:   (*Main).export,
			Short: "cases for a partner, encrypted to their age key",
			Long: `Writes cases for a partner, encrypted to the partner's age
public key (age1...): missing-child cases as PFIF 1.4 XML,
tips as CSV (UTF-8 with a BOM, in --lang). With --partner,
exactly the cases referred to it, to its stored key, what
was added since its last export marked. Cases nobody
reviewed need --unreviewed. Never writes a plaintext file.
Each exported case gets an audit event naming the partner.`},
		{Name: "backup", Args: "--to AGE-KEY --out FILE.age [--armor]", Run: (*Main).backup,
			Short: "an encrypted pg_dump",
			Long: `Writes a pg_dump of the database, encrypted to an age public
key. Needs pg_dump (Debian: postgresql-client).`},
		{Name: "report", Args: "[--from DATE] [--to DATE] [--out report.html] [--title NAME] [--lang LANG] [--names]", Run: (*Main).report,
			Short: "an HTML report for the board (counts only)",
			Long: `Writes a self-contained HTML report for the board in
--lang: counts, times and charts, no content; reviewers
named only with --names. Never replaces a file.`},
		{Name: "health", Args: "[--ready]", Run: (*Main).probe,
			Short: "ask the running bot whether it is alive (for containers)",
			Long: `Asks the running bot on TIPLINE_LISTEN_ADDR for /healthz (or
/readyz with --ready); exit 0 when it answers 200. For
container health checks.`},
		{Name: "completion",
			Short: "shell completion for bash, zsh or fish",
			Long: `Prints the completion script for a shell. Load it for the
current shell with eval "$(tipline completion bash)" (or
zsh; fish: tipline completion fish | source), or install
it where the shell looks for completions.`,
			Sub: []*command{
				{Name: "bash", Run: completionRun("bash", bashCompletion), Short: "the completion script for bash"},
				{Name: "zsh", Run: completionRun("zsh", zshCompletion), Short: "the completion script for zsh"},
				{Name: "fish", Run: completionRun("fish", fishCompletion), Short: "the completion script for fish"},
			}},
		{Name: "version", Run: (*Main).printVersion,
			Short: "print the version",
			Long:  `Prints the version.`},
		{Name: "help", Aliases: []string{"man"}, Run: (*Main).help,
			Short: "the whole manual",
			Long:  `Prints this manual (also: tipline man).`},
	}
}

// find returns the command among cmds that word selects, or nil.
func find(cmds []*command, word string) *command {
	for _, c := range cmds {
		if c.Name == word {
			return c
		}
		for _, a := range c.Aliases {
			if a == word {
				return c
			}
		}
	}
	return nil
}

// lookup returns the command a path of names selects ("reviewers
// invite"), or nil.
func lookup(path string) *command {
	var c *command
	cmds := commandTable()
	for _, word := range strings.Fields(path) {
		if c = find(cmds, word); c == nil {
			return nil
		}
		cmds = c.Sub
	}
	return c
}

// leaf is a command that runs, with its whole path ("reviewers invite").
type leaf struct {
	Path string
	*command
}

// leaves lists every command that runs, in the table's order.
func leaves() []leaf {
	var all []leaf
	for _, c := range commandTable() {
		if c.Run != nil {
			all = append(all, leaf{c.Name, c})
		}
		for _, s := range c.Sub {
			all = append(all, leaf{c.Name + " " + s.Name, s})
		}
	}
	return all
}

// flagNames lists the flags named in args: "--name NAME [--admin]" gives
// --name and --admin.
func flagNames(args string) []string {
	var names []string
	for _, w := range strings.Fields(strings.NewReplacer("[", " ", "]", " ", "|", " ").Replace(args)) {
		if strings.HasPrefix(w, "--") {
			names = append(names, w)
		}
	}
	return names
}

// Run runs one command until it finishes or ctx ends.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage())
		return errors.New("no command given")
	}
	if isHelpFlag(args[0]) {
		fmt.Fprint(m.Stdout, usage())
		return nil
	}
	c := find(commandTable(), args[0])
	if c == nil {
		fmt.Fprint(m.Stderr, usage())
		return fmt.Errorf("unknown command %q", args[0])
	}
	if c.Run != nil {
		return c.Run(m, ctx, args[1:])
	}
	return m.runGroup(ctx, c, args[1:])
}

// runGroup runs a subcommand of c: the first argument names it.
func (m *Main) runGroup(ctx context.Context, c *command, args []string) error {
	var names []string
	for _, s := range c.Sub {
		names = append(names, s.Name)
	}
	if len(args) == 0 || isHelpFlag(args[0]) {
		fmt.Fprintf(m.Stderr, "%s\n\nUsage:\n", strings.ReplaceAll(c.long(), "\n", " "))
		for _, s := range c.Sub {
			fmt.Fprintf(m.Stderr, "  %s\n      %s\n", synopsis(c.Name+" "+s.Name, s), s.Short)
		}
		if len(args) > 0 {
			return flag.ErrHelp
		}
		return fmt.Errorf("usage: tipline %s %s (see -h of each)", c.Name, strings.Join(names, "|"))
	}
	s := find(c.Sub, args[0])
	if s == nil {
		return fmt.Errorf("unknown %s command %q (%s)", c.Name, args[0], strings.Join(names, ", "))
	}
	return s.Run(m, ctx, args[1:])
}

func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// long is the man page's paragraph of c.
func (c *command) long() string {
	if c.Long != "" {
		return c.Long
	}
	return c.Short
}

// synopsis is how a command is called: "tipline reviewers disable ID".
func synopsis(path string, c *command) string {
	return strings.TrimSpace("tipline " + path + " " + c.Args)
}

// flags makes the flag set of the command at path ("reviewers invite");
// its -h shows the command's synopsis from the table, then about and the
// flags.
func (m *Main) flags(path, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	line := "tipline " + path + " [flags]"
	if c := lookup(path); c != nil {
		line = synopsis(path, c)
	}
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: %s\n\n%s\n", line, about)
		fs.PrintDefaults()
	}
	return fs
}

// operands parses the arguments of a command that takes no flags, so
// that -h shows its usage and a stray flag is refused, and returns them.
func (m *Main) operands(path, about string, args []string) ([]string, error) {
	fs := m.flags(path, about)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

func (m *Main) printVersion(_ context.Context, args []string) error {
	if _, err := m.operands("version", "Prints the version.", args); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "tipline", version)
	return nil
}

func (m *Main) help(_ context.Context, args []string) error {
	if _, err := m.operands("help", "Prints the whole manual, the same text as man tipline.", args); err != nil {
		return err
	}
	_, err := fmt.Fprint(m.Stdout, manual())
	return err
}
