//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package limit

// openFileLimit is unknown here; DefaultMaxConnections assumes 1024.
func openFileLimit() (int, bool) { return 0, false }
