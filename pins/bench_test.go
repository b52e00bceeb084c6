package pins

import (
	"bufio"
	"context"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const benchPIN = "48291736"

func BenchmarkHash(b *testing.B) {
	p := DefaultParams()
	for b.Loop() {
		if _, err := Hash(benchPIN, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	encoded, err := Hash(benchPIN, DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("right", func(b *testing.B) {
		for b.Loop() {
			if ok, _, _ := Compare(encoded, benchPIN); !ok {
				b.Fatal("right PIN rejected")
			}
		}
	})
	b.Run("wrong", func(b *testing.B) {
		for b.Loop() {
			if ok, _, _ := Compare(encoded, "48291737"); ok {
				b.Fatal("wrong PIN accepted")
			}
		}
	})
	// An unknown support ID must cost what a wrong PIN costs.
	b.Run("dummy", func(b *testing.B) {
		for b.Loop() {
			DummyCompare(benchPIN, DefaultParams())
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(DefaultLength, "+1 (555) 012-3456", "SUP-00427381"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoolConcurrent50 has 50 callers verifying at once through a pool
// of GOMAXPROCS slots: the load of a busy line. Latency includes the wait for
// a slot, which is what a caller hears. peak-MiB is the most memory the Go
// runtime had mapped and not returned to the OS during the run, sampled every
// 2 ms; rss-hwm-MiB is the process's peak resident set (Linux), which also
// covers earlier benchmarks in the same binary. cpu-cores is the CPU time the
// process got per second of the run: on a shared machine it is below slots,
// and throughput should be compared with single-caller rate x cpu-cores.
func BenchmarkPoolConcurrent50(b *testing.B) {
	const callers = 50
	encoded, err := Hash(benchPIN, DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	pool := NewPool(0)
	lat := make([]time.Duration, b.N)
	var next atomic.Int64

	stop := make(chan struct{})
	peakc := make(chan uint64)
	go sampleMemory(stop, peakc)

	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				var ok bool
				if err := pool.Do(context.Background(), func() { ok, _, _ = Compare(encoded, benchPIN) }); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
				if !ok {
					b.Error("right PIN rejected")
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	b.StopTimer()
	close(stop)
	peak := <-peakc

	slices.Sort(lat)
	ms := func(q float64) float64 {
		i := int(q*float64(len(lat))+0.999999) - 1
		return float64(lat[max(i, 0)]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "verifications/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(pool.Slots()), "slots")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	if cpuOK {
		b.ReportMetric((cpu1-cpu0).Seconds()/elapsed.Seconds(), "cpu-cores")
	}
	if hwm, ok := rssHighWater(); ok {
		b.ReportMetric(float64(hwm)/(1<<20), "rss-hwm-MiB")
	}
}

// sampleMemory sends the peak of (mapped - released) runtime memory seen
// until stop is closed. runtime/metrics does not stop the world, unlike
// ReadMemStats, so sampling does not disturb the measured throughput.
func sampleMemory(stop <-chan struct{}, peak chan<- uint64) {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	var hi uint64
	read := func() {
		metrics.Read(s)
		hi = max(hi, s[0].Value.Uint64()-s[1].Value.Uint64())
	}
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		read()
		select {
		case <-stop:
			read()
			peak <- hi
			return
		case <-t.C:
		}
	}
}

// rssHighWater returns VmHWM from /proc/self/status.
func rssHighWater() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
