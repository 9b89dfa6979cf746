package main

// manual is `tipline help`: the whole manual, in the shape of a man page,
// so an operator on the server has it without the README. The .deb
// installs the same text as tipline(1).
const manual = `NAME
    tipline - a confidential tip line on Telegram

SYNOPSIS
    tipline serve
    tipline migrate
    tipline doctor
    tipline reviewers invite --name NAME [--admin] | list | disable ID
    tipline partners add --name NAME --kind police|ngo|hotline --country KH|TH [--age-recipient AGE-KEY] | list | key ID AGE-KEY | disable ID
    tipline reporters blocked | unblock CASE-REF
    tipline oncall show | set --primary SPEC [--secondary SPEC]
    tipline audit CASE-REF
    tipline export --partner ID [--kind KIND] [--lang LANG] [--unreviewed] --out FILE.age
    tipline export --to AGE-KEY [--case REF | --since DATE --kind KIND --status STATUS] [--unreviewed] --out FILE.age
    tipline backup --to AGE-KEY --out FILE.age
    tipline report --from DATE --to DATE [--lang LANG] [--names] --out report.html
    tipline health [--ready]
    tipline rekey
    tipline sandbox [-addr HOST:PORT]
    tipline version
    tipline help

DESCRIPTION
    Tipline takes reports of children at risk of trafficking, and of missing
    children, from Telegram; keeps them encrypted in PostgreSQL; and routes
    each one to the reviewer on call, escalating when nobody takes it.
    Settings come from the environment (see ENVIRONMENT); the Debian package
    reads them from /etc/tipline/tipline.env. Every command has -h.

COMMANDS
    serve      Runs the bot: long polling, or a webhook when
               TIPLINE_WEBHOOK_URL is set. Brings the schema up to date
               first. Serves /metrics, /healthz and /readyz on
               TIPLINE_LISTEN_ADDR. SIGTERM or Ctrl+C stops taking updates,
               finishes those in hand, and exits.
    migrate    Brings the database schema up to date. Safe to run twice and
               from several machines at once.
    doctor     Checks the configuration, PostgreSQL, Redis, the schema,
               Telegram, the key, the clock, the queues, on-call coverage
               for the next 7 days and the disk, and prints each problem
               with its fix.
               Exits 1 when something must be fixed.
    reviewers  Invites (a one-time link), lists and disables reviewers.
    partners   Adds, lists and disables the partners (police units, NGOs,
               hotlines; in KH or TH) a reviewer can refer a case to, and
               keeps each partner's age public key for exports to it. A
               disabled partner is no longer offered; closed cases keep it.
    reporters  Lists blocked reporters (case, reason, date; never who) and
               lifts a block by the case it was made from.
    oncall     Shows or sets the on-call rota.
    audit      Prints every change to a case: who, what, when.
    export     Writes cases for a partner, encrypted to the partner's age
               public key (age1...): missing-child cases as PFIF 1.4 XML,
               tips as CSV (UTF-8 with a BOM, in --lang). With --partner,
               exactly the cases referred to it, to its stored key, what
               was added since its last export marked. Cases nobody
               reviewed need --unreviewed. Never writes a plaintext file.
               Each exported case gets an audit event naming the partner.
    backup     Writes a pg_dump of the database, encrypted to an age public
               key. Needs pg_dump (Debian: postgresql-client).
    report     Writes a self-contained HTML report for the board in
               --lang: counts, times and charts, no content; reviewers
               named only with --names. Never replaces a file.
    health     Asks the running bot on TIPLINE_LISTEN_ADDR for /healthz (or
               /readyz with --ready); exit 0 when it answers 200. For
               container health checks.
    rekey      Re-encrypts everything under the current TIPLINE_SECRET_KEY.
    sandbox    Runs the bot against an emulated Telegram with a chat page in
               the browser. Ctrl+C stops it. With DATABASE_URL it works in
               a schema of its own (tipline_sandbox), never a live
               service's tables.
    version    Prints the version.

ENVIRONMENT
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
    TIPLINE_LISTEN_ADDR           default :8080 (webhook, metrics, health)
    TIPLINE_LOG_FORMAT            text (default) or json
    TIPLINE_LOG_LEVEL             debug, info (default), warn, error
    TIPLINE_TIME_ZONE             default Asia/Phnom_Penh
    TIPLINE_ACK_URGENT            default 5m: urgent case escalates after this
    TIPLINE_ACK_NORMAL            default 30m
    TIPLINE_ACK_REPEAT            default 30m
    TIPLINE_ACK_REPEATS           default 12
    TIPLINE_RETENTION_DAYS        default 90: closed cases deleted after this
    TIPLINE_AUDIT_RETENTION_DAYS  default 730
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
