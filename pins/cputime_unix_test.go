//go:build unix

package pins

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time this process has used, so the
// concurrency benchmark can report how many cores it actually got on a
// shared machine.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
