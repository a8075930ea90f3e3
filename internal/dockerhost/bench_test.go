package dockerhost

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// fiftyContainers is a fake engine with 50 containers: 10 running, 40 created, from the recorded
// inspect answers. delay is added to each container request.
func fiftyContainers(tb testing.TB, delay time.Duration) *fakeEngine {
	rec := recordedContainers(tb)
	f := newFakeEngine(tb)
	f.delay = delay
	kinds := []string{"good", "sock", "priv", "sock", "priv"}
	for i := range 50 {
		k := kinds[i%len(kinds)]
		f.add(tb, rec[k], fmt.Sprintf("%020d", i), fmt.Sprintf("c%02d-%s", i, k), k == "good")
	}
	f.start(tb)
	return f
}

// TestFiftyContainers: a host with 50 containers costs one container list, one inspect per
// container and one process list per running one, whatever the engine's latency (20 ms per
// request here; a real, idle engine answers an inspect in about 1 ms). The time is
// BenchmarkAudit50Slow's to measure.
func TestFiftyContainers(t *testing.T) {
	f := fiftyContainers(t, 20*time.Millisecond)
	root := fakeRoot(t, dockerdFiles("--bridge=none"))
	rep, err := Audit(context.Background(), Config{Host: f.socket, Root: root, All: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count("/containers/json"); n != 1 {
		t.Errorf("%d container lists, want 1", n)
	}
	inspects, tops := 0, 0
	for _, c := range f.list {
		inspects += f.count("/containers/" + c.ID + "/json")
		tops += f.count("/containers/" + c.ID + "/top")
	}
	if inspects != 50 || tops != 10 {
		t.Errorf("%d inspects and %d tops, want 50 and 10", inspects, tops)
	}
	if got := len(rep.Results); got < 50*len(containerControls) {
		t.Errorf("%d results, want at least %d", got, 50*len(containerControls))
	}
}

// BenchmarkAudit50Slow audits 50 containers against an engine that takes 20 ms per container
// request, and holds it to the Docker issue's budget of 5 s: inspections must overlap.
func BenchmarkAudit50Slow(b *testing.B) {
	f := fiftyContainers(b, 20*time.Millisecond)
	root := fakeRoot(b, dockerdFiles("--bridge=none"))
	for b.Loop() {
		if _, err := Audit(context.Background(), Config{Host: f.socket, Root: root, All: true, Logger: quiet}); err != nil {
			b.Fatal(err)
		}
	}
	if per := b.Elapsed() / time.Duration(b.N); per > 5*time.Second {
		b.Errorf("50 containers took %v, budget 5s", per)
	}
}

// BenchmarkAudit50 measures a whole audit of 50 containers against the fake engine (no added
// latency): the cost of Rampart's own work, HTTP on a unix socket included.
func BenchmarkAudit50(b *testing.B) {
	f := fiftyContainers(b, 0)
	root := fakeRoot(b, dockerdFiles("--bridge=none"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Audit(context.Background(), Config{Host: f.socket, Root: root, All: true, Logger: quiet}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(50*float64(b.N)/b.Elapsed().Seconds(), "containers/s")
}
