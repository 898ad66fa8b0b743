package limit

// DefaultMaxConnections is the default cap of a listener's connections:
// three quarters of the process's open-file limit, leaving the rest to the
// database, webhook deliveries, the sandbox and log files; at least 64.
func DefaultMaxConnections() int {
	n, ok := openFileLimit()
	if !ok {
		n = 1024
	}
	return max(64, n/4*3)
}
