// Package openwaba holds the domain of the openwaba gateway: accounts, API
// keys, sender numbers, templates, messages and their statuses, and the
// interfaces (Store, Upstream) that the technology packages under internal/
// implement. It imports nothing from the rest of the module, so every other
// package can depend on it.
package openwaba
