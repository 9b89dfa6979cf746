package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tipline/tipline/storage/storagetest"
)

// runQuiet runs one command of the real program with no settings at all
// and returns what it wrote on standard output and standard error.
func runQuiet(args ...string) (stdout, stderr string, err error) {
	var out, errs bytes.Buffer
	m := &Main{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errs}
	err = m.Run(context.Background(), args)
	return out.String(), errs.String(), err
}

// TestEveryCommandInHelpAndUsage: `tipline -h` and `tipline help` (the
// man page) name every command and subcommand the program runs, the
// operator's dead-letter and reassign commands among them.
func TestEveryCommandInHelpAndUsage(t *testing.T) {
	usage, _, err := runQuiet("-h")
	if err != nil {
		t.Fatalf("tipline -h: %v", err)
	}
	man, _, err := runQuiet("help")
	if err != nil {
		t.Fatalf("tipline help: %v", err)
	}
	synopsis, commands := section(man, "SYNOPSIS"), section(man, "COMMANDS")
	for _, want := range []string{"tipline inbox dead", "tipline inbox retry UPDATE-ID", "tipline cases reassign CASE-REF --to REVIEWER-ID"} {
		if !strings.Contains(synopsis, want) {
			t.Errorf("tipline help's SYNOPSIS lacks %q", want)
		}
	}
	for _, l := range leaves() {
		if !regexp.MustCompile(`(?m)^  tipline ` + regexp.QuoteMeta(l.Path) + `\s`).MatchString(usage) {
			t.Errorf("tipline -h does not list tipline %s", l.Path)
		}
		if !regexp.MustCompile(`(?m)^    tipline ` + regexp.QuoteMeta(l.Path) + `( |$)`).MatchString(synopsis) {
			t.Errorf("tipline help's SYNOPSIS does not list tipline %s", l.Path)
		}
	}
	for _, c := range commandTable() {
		if !regexp.MustCompile(`(?m)^    ` + c.Name + `\s`).MatchString(commands) {
			t.Errorf("tipline help's COMMANDS does not describe %s", c.Name)
		}
		for _, s := range c.Sub {
			if !regexp.MustCompile(`(?m)^\s+` + s.Name + `\s+` + regexp.QuoteMeta(s.Short) + `$`).MatchString(commands) {
				t.Errorf("tipline help's COMMANDS does not describe %s %s", c.Name, s.Name)
			}
		}
	}
	if man2, _, err := runQuiet("man"); err != nil || man2 != man {
		t.Errorf("tipline man is not tipline help: %v", err)
	}
	if _, _, err := runQuiet("nonsense"); err == nil {
		t.Error("an unknown command was accepted")
	}
}

// section returns the lines of a man page section, up to the next heading.
func section(man, name string) string {
	_, rest, ok := strings.Cut(man, "\n"+name+"\n")
	if !ok {
		return ""
	}
	if i := regexp.MustCompile(`(?m)^[A-Z]`).FindStringIndex(rest); i != nil {
		rest = rest[:i[0]]
	}
	return rest
}

// defaultsFlag is a flag's line in flag.PrintDefaults.
var defaultsFlag = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)

// TestEachCommandHasHelp runs every command with -h, with no settings at
// all: it shows the command's synopsis from the table and touches
// nothing, and the synopsis names exactly the flags the command defines
// (the completions offer the flags the synopsis names).
func TestEachCommandHasHelp(t *testing.T) {
	for _, l := range leaves() {
		t.Run(l.Path, func(t *testing.T) {
			_, stderr, err := runQuiet(append(strings.Fields(l.Path), "-h")...)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("tipline %s -h: %v, want the help\n%s", l.Path, err, stderr)
			}
			if want := "Usage: " + synopsis(l.Path, l.command) + "\n"; !strings.HasPrefix(stderr, want) {
				t.Errorf("tipline %s -h begins %q, want %q", l.Path, firstLine(stderr), want)
			}
			var defined []string
			for _, m := range defaultsFlag.FindAllStringSubmatch(stderr, -1) {
				defined = append(defined, "--"+m[1])
			}
			named := flagNames(l.Args)
			slices.Sort(defined)
			slices.Sort(named)
			if !slices.Equal(defined, named) {
				t.Errorf("tipline %s defines the flags %v, its synopsis %q names %v", l.Path, defined, l.Args, named)
			}
		})
	}
	// A group shows its subcommands.
	if _, stderr, err := runQuiet("inbox", "-h"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "tipline inbox retry UPDATE-ID") {
		t.Errorf("tipline inbox -h: %v\n%s", err, stderr)
	}
	if _, _, err := runQuiet("inbox"); err == nil || !strings.Contains(err.Error(), "dead|retry") {
		t.Errorf("tipline inbox alone: %v, want a usage naming dead|retry", err)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// completionCheck is what a shell should offer after words (the last one
// being completed).
type completionCheck struct {
	words []string
	want  []string
}

// completionChecks covers the whole table: the commands at the start,
// each group's subcommands, and each command's flags, also after an
// operand or a flag's value.
func completionChecks() []completionCheck {
	var checks []completionCheck
	var top []string
	for _, c := range commandTable() {
		top = append(top, c.Name)
		if c.Sub != nil {
			var subs []string
			for _, s := range c.Sub {
				subs = append(subs, s.Name)
			}
			checks = append(checks, completionCheck{[]string{"tipline", c.Name, ""}, subs})
		}
	}
	checks = append(checks, completionCheck{[]string{"tipline", ""}, top})
	for _, l := range leaves() {
		flags := flagNames(l.Args)
		if len(flags) == 0 {
			continue
		}
		path := append([]string{"tipline"}, strings.Fields(l.Path)...)
		checks = append(checks,
			completionCheck{append(slices.Clone(path), "--"), flags},
			completionCheck{append(slices.Clone(path), "--x", "VALUE", "--"), flags})
	}
	return checks
}

// TestCompletions runs each shell's script, as written by `tipline
// completion SHELL`, and asks it what follows each command path. A shell
// that is not installed fails the test (./scripts/test installs them);
// under -short it is skipped, with its name.
func TestCompletions(t *testing.T) {
	checks := completionChecks()
	shells := []struct {
		name   string
		driver func(script string, checks []completionCheck) []string
	}{
		{"bash", bashDriver},
		{"zsh", zshDriver},
		{"fish", fishDriver},
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			script, _, err := runQuiet("completion", sh.name)
			if err != nil {
				t.Fatalf("tipline completion %s: %v", sh.name, err)
			}
			bin, err := exec.LookPath(sh.name)
			if err != nil {
				storagetest.SkipShort(t, sh.name)
				t.Fatalf("%s is not installed, so its completion script cannot be run: ./scripts/test installs it (Debian package %s)", sh.name, sh.name)
			}
			args := sh.driver(script, checks)
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", sh.name, err, out)
			}
			got := strings.Split(string(out), "##\n")
			if len(got) != len(checks)+1 {
				t.Fatalf("%s answered %d checks, want %d:\n%s", sh.name, len(got)-1, len(checks), out)
			}
			for i, c := range checks {
				offered := strings.Fields(got[i+1])
				slices.Sort(offered)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(offered, want) {
					t.Errorf("%s completes %q with %v, want %v", sh.name, strings.Join(c.words, " "), offered, want)
				}
			}
		})
	}
}

// bashDriver sources the script and calls its function as bash's
// programmable completion would, once per check.
func bashDriver(script string, checks []completionCheck) []string {
	var b strings.Builder
	b.WriteString(script)
	for _, c := range checks {
		fmt.Fprintf(&b, "echo '##'\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\nCOMPREPLY=()\n_tipline\nprintf '%%s\\n' \"${COMPREPLY[@]}\"\n", shellWords(c.words), len(c.words)-1)
	}
	return []string{"--norc", "-c", b.String()}
}

// zshDriver stands in for the completion system (compadd, _files,
// compdef) and calls the script's function with words, CURRENT and
// PREFIX set as the system sets them.
func zshDriver(script string, checks []completionCheck) []string {
	var b strings.Builder
	b.WriteString("compdef() { :; }\ncompadd() { [[ $1 == -a ]] && print -l -- \"${(@P)2}\"; }\n_files() { :; }\n")
	b.WriteString(script)
	for _, c := range checks {
		fmt.Fprintf(&b, "print '##'\nwords=(%s)\nCURRENT=%d\nPREFIX=%s\n_tipline\n", shellWords(c.words), len(c.words), shellWords(c.words[len(c.words)-1:]))
	}
	return []string{"-f", "-c", b.String()}
}

// fishDriver loads the script and asks fish's own `complete -C`.
func fishDriver(script string, checks []completionCheck) []string {
	var b strings.Builder
	b.WriteString(script)
	for _, c := range checks {
		fmt.Fprintf(&b, "echo '##'\ncomplete -C %s | string replace -r '\\t.*' ''\n", fishQuote(strings.Join(c.words, " ")))
	}
	b.WriteString("true\n") // string replace fails when it replaced nothing
	return []string{"--no-config", "-c", b.String()}
}

// shellWords quotes words for bash and zsh.
func shellWords(words []string) string {
	var q []string
	for _, w := range words {
		q = append(q, "'"+strings.ReplaceAll(w, "'", `'\''`)+"'")
	}
	return strings.Join(q, " ")
}

// TestCommandTable: each entry either runs or has subcommands, says in a
// line what it does, and no two entries at one level share a word.
func TestCommandTable(t *testing.T) {
	var check func(prefix string, cmds []*command)
	check = func(prefix string, cmds []*command) {
		seen := map[string]bool{}
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			if (c.Run == nil) == (c.Sub == nil) {
				t.Errorf("%s: set exactly one of Run and Sub", path)
			}
			if c.Short == "" || strings.Contains(c.Short, "\n") {
				t.Errorf("%s: Short must be one line", path)
			}
			for _, w := range append([]string{c.Name}, c.Aliases...) {
				if seen[w] {
					t.Errorf("%s: %q selects two commands", path, w)
				}
				seen[w] = true
			}
			check(path, c.Sub)
		}
	}
	check("", commandTable())
}

// TestFlagNames: the completions read a synopsis's flags with flagNames.
func TestFlagNames(t *testing.T) {
	names := flagNames("--to AGE-KEY [--case REF | --since DATE] [--armor] --kind police|ngo")
	if want := []string{"--to", "--case", "--since", "--armor", "--kind"}; !slices.Equal(names, want) {
		t.Errorf("flags %v, want %v", names, want)
	}
}
