// Package postgres keeps Tipline's durable state in PostgreSQL: the inbox
// of Telegram updates and the outbox of what to send, cases with their
// attachments, additions and audit trail, and the reviewers' side —
// invites, reviewers, the on-call rota, routing jobs, notification copies,
// notes and partners. Open connects, Migrate runs the embedded numbered
// migrations; one file holds each table or concern, with its queries next
// to the function that runs them.
//
// Everything a reporter says, their chat id and Telegram's file ids are
// sealed with the key ring before they reach the database, as are
// reviewers' Telegram ids and names, notes and the rota, each with
// additional data naming its row and column, so a ciphertext copied to
// another row does not open. Follow-up codes never reach it: only the hash
// the bot makes of them. A reporter who asks to be forgotten is unlinked
// from their cases (Forget), leaving nothing that names them. Error
// messages carry references and pseudonyms, never content or Telegram ids.
//
// Nothing is kept longer than needed: closed cases are deleted with
// everything attached to them once their retention period has passed
// (DeleteClosedCases), processed inbox rows and old audit events are purged
// (PurgeInbox, PurgeAudit). A reporter who abuses the tip line can be
// blocked by their pseudonym (BlockReporterFor). When the root key rotates,
// Rekey re-seals every sealed value under the new key and recomputes the
// keyed lookups that can be recomputed (see Rekey for what cannot).
//
// Reviewers' case work beyond taking and closing lives beside it: a
// classification (Classify), referral to a named partner (Refer, partners
// kept with AddPartner), duplicates (LinkDuplicate: what is added to the
// newer case goes to the older, AddToCaseTracked), look-ups for /find
// (FindCases) and the story of a case in time order (Timeline). A closed
// case is inert: closing it again, noting on it or writing to its reporter
// gives tipline.ErrClosed, while what its reporter adds is still kept and
// flagged.
//
// Comments cite the guarantees in docs/guarantees.md as G1–G13; that page
// names the tests that hold each one.
package postgres
