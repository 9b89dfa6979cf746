package main

import (
	"context"
	"fmt"
	"strings"
)

// The completion scripts are written from the command table, like the
// help: each one works out the path of command words typed so far (flags
// and their values aside) and offers the words that may follow it, the
// subcommands of a group or the flags of a command that runs. Where no
// word fits (a flag's value, a file) the shell completes file names.

// completionRun makes the Run of `tipline completion SHELL`.
func completionRun(shell string, script func([]*command) string) func(*Main, context.Context, []string) error {
	return func(m *Main, _ context.Context, args []string) error {
		if err := m.noOperands("completion "+shell, "Prints the completion script for "+shell+"; see COMMANDS in tipline help.", args); err != nil {
			return err
		}
		_, err := fmt.Fprint(m.Stdout, script(commandTable()))
		return err
	}
}

// completionCase is one branch of a script: the command path it answers
// for, whether it also answers below it (a command that runs: its flags
// still follow operands and flag values), and what it offers.
type completionCase struct {
	path  string
	leaf  bool
	words []string // subcommands of a group, or the flags of a leaf
	short []string // the words' one-line descriptions (fish shows them)
}

// completionCases lists the branches, the root first.
func completionCases(cmds []*command) []completionCase {
	root := completionCase{}
	var cases []completionCase
	for _, c := range cmds {
		root.words = append(root.words, c.Name)
		root.short = append(root.short, c.Short)
		if c.Run != nil {
			cases = append(cases, leafCase(c.Name, c))
			continue
		}
		group := completionCase{path: c.Name}
		for _, s := range c.Sub {
			group.words = append(group.words, s.Name)
			group.short = append(group.short, s.Short)
			cases = append(cases, leafCase(c.Name+" "+s.Name, s))
		}
		cases = append(cases, group)
	}
	return append([]completionCase{root}, cases...)
}

func leafCase(path string, c *command) completionCase {
	names := flagNames(c.Args)
	return completionCase{path: path, leaf: true, words: names, short: make([]string, len(names))}
}

// bashCompletion is `tipline completion bash`.
func bashCompletion(cmds []*command) string {
	var b strings.Builder
	b.WriteString(`# bash completion for tipline, written by 'tipline completion bash'.
# Load it with: eval "$(tipline completion bash)"
_tipline() {
	local cur=${COMP_WORDS[COMP_CWORD]} path= words= flags= i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) path+=${path:+ }${COMP_WORDS[i]} ;;
		esac
	done
	case $path in
`)
	for _, c := range completionCases(cmds) {
		list := strings.Join(c.words, " ")
		if c.leaf {
			fmt.Fprintf(&b, "\t'%s' | '%s '*) flags='%s' ;;\n", c.path, c.path, list)
		} else {
			fmt.Fprintf(&b, "\t'%s') words='%s' ;;\n", c.path, list)
		}
	}
	b.WriteString(`	esac
	if [[ $cur == -* ]]; then words=$flags; fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _tipline tipline
`)
	return b.String()
}

// zshCompletion is `tipline completion zsh`.
func zshCompletion(cmds []*command) string {
	var b strings.Builder
	b.WriteString(`#compdef tipline
# zsh completion for tipline, written by 'tipline completion zsh'.
# Load it with: eval "$(tipline completion zsh)" (after compinit), or save
# it as _tipline in a directory of $fpath.
_tipline() {
	local cmdpath= w
	local -a list
	for w in "${(@)words[2,CURRENT-1]}"; do
		[[ $w == -* ]] || cmdpath+=${cmdpath:+ }$w
	done
	case $cmdpath in
`)
	for _, c := range completionCases(cmds) {
		list := strings.Join(c.words, " ")
		if c.leaf {
			fmt.Fprintf(&b, "\t('%s'|'%s '*)\n\t\tif [[ $PREFIX == -* ]]; then list=(%s); compadd -a list; else _files; fi ;;\n", c.path, c.path, list)
		} else {
			fmt.Fprintf(&b, "\t('%s') list=(%s); compadd -a list ;;\n", c.path, list)
		}
	}
	b.WriteString(`	esac
}
if [[ $funcstack[1] == _tipline ]]; then
	_tipline "$@"
else
	compdef _tipline tipline
fi
`)
	return b.String()
}

// fishCompletion is `tipline completion fish`.
func fishCompletion(cmds []*command) string {
	var b strings.Builder
	b.WriteString(`# fish completion for tipline, written by 'tipline completion fish'.
# Load it with: tipline completion fish | source
function __tipline_path
	set -l path
	for w in (commandline -opc)[2..-1]
		string match -q -- '-*' $w; or set -a path $w
	end
	echo "$path"
end
function __tipline_at
	test "$(__tipline_path)" = "$argv[1]"
end
function __tipline_in
	set -l p "$(__tipline_path)"
	test "$p" = "$argv[1]"; or string match -q -- "$argv[1] *" "$p"
end
complete -c tipline -f
`)
	for _, c := range completionCases(cmds) {
		if c.leaf {
			fmt.Fprintf(&b, "complete -c tipline -n %s -F\n", fishQuote("__tipline_in "+fishQuote(c.path)))
			for _, f := range c.words {
				fmt.Fprintf(&b, "complete -c tipline -n %s -l %s\n", fishQuote("__tipline_in "+fishQuote(c.path)), strings.TrimPrefix(f, "--"))
			}
			continue
		}
		for i, w := range c.words {
			fmt.Fprintf(&b, "complete -c tipline -n %s -a %s -d %s\n", fishQuote("__tipline_at "+fishQuote(c.path)), w, fishQuote(c.short[i]))
		}
	}
	return b.String()
}

// fishQuote quotes s for fish: single quotes, with \ and ' escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
