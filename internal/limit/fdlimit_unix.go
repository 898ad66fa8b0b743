//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package limit

import (
	"math"
	"syscall"
)

// openFileLimit is the soft RLIMIT_NOFILE (Go raises it to the hard limit
// at start on these systems).
func openFileLimit() (int, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, false
	}
	if rl.Cur > math.MaxInt32 {
		return math.MaxInt32, true
	}
	return int(rl.Cur), true
}
