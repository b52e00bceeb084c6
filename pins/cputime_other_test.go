//go:build !unix

package pins

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
