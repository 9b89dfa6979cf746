package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// manual is `tipline help`: the whole manual, in the shape of a man page,
// so an operator on the server has it without the README. The .deb
// installs the same text as tipline(1). Its SYNOPSIS and COMMANDS come
// from the command table; the rest is the text below.
func manual() string {
	var b strings.Builder
	b.WriteString(manualName)
	b.WriteString("SYNOPSIS\n")
	for _, l := range leaves() {
		b.WriteString(wrap(synopsis(l.Path, l.command), "    ", "        ", 76))
	}
	b.WriteString("\n")
	b.WriteString(manualDescription)
	b.WriteString("COMMANDS\n")
	cmds := commandTable()
	pad := 0
	for _, c := range cmds {
		pad = max(pad, len(c.Name)+1)
	}
	indent := strings.Repeat(" ", 4+pad)
	for _, c := range cmds {
		lines := strings.Split(c.long(), "\n")
		fmt.Fprintf(&b, "    %-*s%s\n", pad, c.Name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "%s%s\n", indent, l)
		}
		if len(c.Sub) > 0 {
			w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			for _, s := range c.Sub {
				fmt.Fprintf(w, "%s  %s\t%s\n", indent, s.Name, s.Short)
			}
			w.Flush()
		}
	}
	b.WriteString("\n")
	b.WriteString(manualRest)
	return b.String()
}

// usage is `tipline -h`, and what a mistyped command prints: every command
// and subcommand on a line.
func usage() string {
	var b strings.Builder
	b.WriteString("Tipline: a confidential tip line on Telegram.\n\nUsage:\n")
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, l := range leaves() {
		fmt.Fprintf(w, "  tipline %s\t%s\n", l.Path, l.Short)
	}
	w.Flush()
	b.WriteString(`
Run 'tipline COMMAND -h' for a command's flags. Settings come from the
environment; 'tipline help' and README.md list them.
`)
	return b.String()
}

// wrap breaks line at spaces so no line is longer than width (unless one
// piece is), the first line indented by first and the others by more. A
// flag stays with its value, and a bracketed group stays whole.
func wrap(line, first, more string, width int) string {
	var b strings.Builder
	cur := first
	for i, piece := range pieces(line) {
		if i > 0 && len(cur)+1+len(piece) > width {
			b.WriteString(cur + "\n")
			cur = more + piece
			continue
		}
		if i > 0 {
			cur += " "
		}
		cur += piece
	}
	b.WriteString(cur + "\n")
	return b.String()
}

// pieces cuts a synopsis into the parts wrap must not break: a bracketed
// group, a flag with its value, or a word.
func pieces(line string) []string {
	var out []string
	depth := 0
	for _, w := range strings.Fields(line) {
		joins := len(out) > 0 && (depth > 0 || (strings.HasPrefix(lastWord(out[len(out)-1]), "--") && !strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "[")))
		if joins {
			out[len(out)-1] += " " + w
		} else {
			out = append(out, w)
		}
		depth += strings.Count(w, "[") - strings.Count(w, "]")
	}
	return out
}

func lastWord(s string) string {
	f := strings.Fields(s)
	return strings.TrimLeft(f[len(f)-1], "[")
}

const manualName = `NAME
    tipline - a confidential tip line on Telegram

`

const manualDescription = `DESCRIPTION
    Tipline takes reports of children at risk of trafficking, and of missing
    children, from Telegram; keeps them encrypted in PostgreSQL; and routes
    each one to the reviewer on call, escalating when nobody takes it.
    Settings come from the environment (see ENVIRONMENT); the Debian package
    reads them from /etc/tipline/tipline.env. Every command has -h.

`

const manualRest = `ENVIRONMENT
    TELEGRAM_BOT_TOKEN            the bot's token, from @BotFather (serve)
    TELEGRAM_API_URL              default https://api.telegram.org
    DATABASE_URL                  postgres://user:password@host:5432/db
    REDIS_URL                     redis://host:6379/0 (serve)
    TIPLINE_SECRET_KEY            32 random bytes, base64
                                  (openssl rand -base64 32); without it no
                                  report, and no backup, can be read
    TIPLINE_PREVIOUS_SECRET_KEYS  older keys, comma-separated, after a rotation
    TIPLINE_WEBHOOK_URL           https URL: webhook mode when set
    TIPLINE_WEBHOOK_SECRET        required with the URL
    TIPLINE_LISTEN_ADDR           default 127.0.0.1:8080 (webhook, metrics,
                                  health)
    TIPLINE_METRICS_TOKEN         bearer token /metrics requires when set
                                  (at least 32 characters)
    TIPLINE_LOG_FORMAT            text (default) or json
    TIPLINE_LOG_LEVEL             debug, info (default), warn, error
    TIPLINE_TIME_ZONE             default Asia/Phnom_Penh
    TIPLINE_ACK_URGENT            default 5m: urgent case escalates after this
    TIPLINE_ACK_NORMAL            default 30m
    TIPLINE_ACK_REPEAT            default 30m
    TIPLINE_ACK_REPEATS           default 12
    TIPLINE_RETENTION_DAYS        default 90: closed cases deleted after this
    TIPLINE_AUDIT_RETENTION_DAYS  default 730
    TIPLINE_DEAD_LETTER_TTL       default 14d: updates set aside are deleted
                                  after this ('tipline inbox drop' deletes
                                  them at once)
    TIPLINE_WORKERS               default 8: chats processed at once
    TIPLINE_DATA_DIR              where doctor checks free disk; default
                                  /var/lib/postgresql (attachments are stored
                                  in PostgreSQL)
    The README lists every other setting (limits, pacing, workers).

FILES
    /usr/bin/tipline                         the program
    /etc/tipline/tipline.env                 settings (root only, 0600)
    /var/backups/tipline.env                 the copy of it (with the key)
                                             that removing the package keeps
    /usr/lib/systemd/system/tipline.service  the service
    /usr/share/doc/tipline/examples/alerts.yml  Prometheus alert rules

EXIT STATUS
    0 success; 1 failure (doctor: something must be fixed); 2 a setting
    is missing or malformed (the message names it).

EXAMPLES
    Install and start on Debian or Ubuntu:
        sudo apt install ./dist/tipline_VERSION_amd64.deb postgresql redis-server
        sudoedit /etc/tipline/tipline.env
        sudo systemctl enable --now tipline
        sudo sh -c 'set -a; . /etc/tipline/tipline.env; tipline doctor'

    Send a police unit (partner 2) the tips referred to it, in Khmer:
        tipline export --partner 2 --kind tip --lang km --out tips.age

    Back up every night (cron), to the key whose private half is offline:
        tipline backup --to age1... --out /var/backups/tipline-$(date +%F).age

SEE ALSO
    systemctl(1), journalctl(1), age(1), pg_dump(1), README.md, SECURITY.md
`
