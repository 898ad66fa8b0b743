package sqlstore

import "regexp"

// PostgreSQL plans a prepared statement for its first five runs, then
// may keep one generic plan for as long as the connection lives, and pgx
// keeps every statement prepared per connection. The queue tables are
// empty whenever the gateway keeps up, and hold tens of thousands of rows
// (and as many dead ones) a minute into a burst: a generic plan made while
// one was empty reads it whole for every statement (the delete of a
// delivered group, `id = ANY(…)`, as a sequential scan), and pipeline runs
// fell to a fifth of their rate by the luck of when each connection's
// plans were made (docs/performance.md, "Generic plans"). So a statement
// that finds rows of a queue table is planned on every run
// (pgx.QueryExecModeCacheDescribe: the unnamed statement, still one round
// trip). The other statements keep their prepared plans: the accept's
// inserts, planned anew, cost a quarter of the accept rate.
// TestPlannedForTheTableAsItIs shows both plans.

// queueRows matches a statement that finds rows of a queue table: a table
// whose rows come and go (delivered, sent, expired) rather than stay.
// Inserts into them need no plan of their rows.
var queueRows = regexp.MustCompile(`(?i)\b(FROM|JOIN|UPDATE)\s+(webhook_outbox|dispatch_queue|early_statuses|early_template_reports|media_downloads|idempotency_keys|request_nonces)\b`)

// findsQueueRows reports whether query finds rows of a queue table.
func findsQueueRows(query string) bool { return queueRows.MatchString(query) }

// listRows matches a statement that joins the rows of a list argument
// (dialect.jsonRows): the planner cannot know how many there are (it
// takes 100), so whether it probes the other table per row or reads it
// whole depends on that table's size when planned. A status group's
// UPDATEs of messages over such a list, with a generic plan made while
// messages was small, read the whole table three times per group as it
// grew (TestListJoinsPlannedForTheTableAsItIs).
var listRows = regexp.MustCompile(`\bjson_array_elements\(`)

// plannedEachRun reports whether query is planned on every run: it finds
// rows of a queue table, or joins a list argument's rows.
func plannedEachRun(query string) bool { return findsQueueRows(query) || listRows.MatchString(query) }
