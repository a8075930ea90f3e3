package analysis_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/catalogers"
	"github.com/rampartsec/rampart/internal/secret"
	"github.com/rampartsec/rampart/internal/testenv"
)

// benchArchive is the docker-save archive scripts/fixtures.sh lays out for benchmarks.
func benchArchive(tb testing.TB) string {
	tb.Helper()
	env := testenv.Load(tb)
	p := filepath.Join(env.Fixtures.Dir, "bench", "app.tar")
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(tb, "no benchmark archive: "+err.Error())
	}
	return p
}

// byteCounter is a Progress that only adds up the bytes it is told about.
type byteCounter struct{ n atomic.Int64 }

func (*byteCounter) LayerStart(string, int64, bool) {}
func (c *byteCounter) LayerBytes(_ string, n int64) { c.n.Add(n) }
func (*byteCounter) LayerDone(string)               {}

// heapPeak samples the heap the runtime holds from the OS (in use, unused in spans and free but
// not yet returned: MemStats' HeapSys-HeapReleased) every millisecond, without stopping the world.
type heapPeak struct {
	stop chan struct{}
	wg   sync.WaitGroup
	max  uint64
}

func startHeapPeak() *heapPeak {
	hp := &heapPeak{stop: make(chan struct{})}
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	hp.wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			var sum uint64
			for _, s := range samples {
				sum += s.Value.Uint64()
			}
			hp.max = max(hp.max, sum)
			select {
			case <-hp.stop:
				return
			case <-t.C:
			}
		}
	})
	return hp
}

func (hp *heapPeak) end() uint64 {
	close(hp.stop)
	hp.wg.Wait()
	return hp.max
}

// BenchmarkAnalyzeArchive reads the benchmark app image from its docker-save archive as the CLI
// does with --no-cache (every layer read, hashed and walked): with the package analyzers only,
// as `rampart sbom`, and with the secret scanner too, as `rampart image` by default (it wants
// nearly every file up to 10 MiB). peak-heap-MiB is the largest heap held during one scan,
// started from a collected heap.
func BenchmarkAnalyzeArchive(b *testing.B) {
	p := benchArchive(b)
	s, err := secret.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	withSecrets := append(catalogers.Analyzers(), secret.NewAnalyzer(s, secret.AnalyzerOptions{}))
	b.Run("sbom", func(b *testing.B) { benchAnalyze(b, p, catalogers.Analyzers()) })
	b.Run("image", func(b *testing.B) { benchAnalyze(b, p, withSecrets) })
}

func benchAnalyze(b *testing.B, p string, analyzers []inventory.Analyzer) {
	ctx := context.Background()
	ref, err := image.ParseRef("docker-archive:"+p, "")
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	var peak, rss uint64
	cpu0 := cpuTime()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		hp := startHeapPeak()
		b.StartTimer()
		art, err := image.Open(ctx, ref)
		if err != nil {
			b.Fatal(err)
		}
		prog := &byteCounter{}
		res, err := analysis.New(analyzers, analysis.Config{Progress: prog}).Analyze(ctx, art)
		if err != nil {
			b.Fatal(err)
		}
		art.Close()
		b.StopTimer()
		peak = max(peak, hp.end())
		rss = max(rss, peakRSS())
		if len(res.Inventory.Packages) == 0 {
			b.Fatal("no packages found")
		}
		total = prog.n.Load()
		b.StartTimer()
	}
	b.SetBytes(total)
	// CPU time counts the untimed GCs too, but it is steadier than wall time on a busy machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	}
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the kernel's resident-set high-water mark of this process (Linux 4.0+), so
// peakRSS measures one scan. Where that is not allowed peakRSS is the process's lifetime peak.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM from /proc/self/status, or 0 where there is none.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
