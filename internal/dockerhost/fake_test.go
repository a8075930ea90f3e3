package dockerhost

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/result"
)

// fakeEngine serves Engine API answers recorded from a real engine (testdata/engine) on a unix
// socket, and counts the requests it gets.
type fakeEngine struct {
	socket string
	info   json.RawMessage
	ver    json.RawMessage
	list   []ContainerSummary
	// inspect maps a container ID to its recorded inspect answer; a listed container missing here
	// answers 404, as a container removed after the list does.
	inspect map[string]json.RawMessage
	top     map[string]json.RawMessage // missing: 409, as for a stopped container
	status  int                        // non-zero: every request answers this
	delay   time.Duration              // added to every container request, as a loaded engine

	mu    sync.Mutex
	calls map[string]int
}

func readTestdata(t testing.TB, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/engine", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recorded is one container recorded from the real engine.
type recorded struct {
	summary ContainerSummary
	inspect json.RawMessage
}

// recordedContainers returns the recorded containers by name: good, sock, priv.
func recordedContainers(t testing.TB) map[string]recorded {
	t.Helper()
	var list []ContainerSummary
	if err := json.Unmarshal(readTestdata(t, "list.json"), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]recorded{}
	for _, s := range list {
		name := strings.TrimPrefix(s.Names[0], "/cap-")
		out[name] = recorded{summary: s, inspect: readTestdata(t, "inspect-"+name+".json")}
	}
	return out
}

func newFakeEngine(t testing.TB) *fakeEngine {
	t.Helper()
	return &fakeEngine{
		info: readTestdata(t, "info.json"), ver: readTestdata(t, "version.json"),
		inspect: map[string]json.RawMessage{}, top: map[string]json.RawMessage{}, calls: map[string]int{},
	}
}

// add lists a recorded container under id and name, running or not.
func (f *fakeEngine) add(t testing.TB, r recorded, id, name string, running bool) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.inspect, &m); err != nil {
		t.Fatal(err)
	}
	m["Id"], m["Name"] = id, "/"+name
	st := m["State"].(map[string]any)
	st["Running"] = running
	state := "created"
	if running {
		state = "running"
	}
	st["Status"] = state
	b, _ := json.Marshal(m)
	f.inspect[id] = b
	f.list = append(f.list, ContainerSummary{ID: id, Names: []string{"/" + name}, Image: r.summary.Image, State: state})
	if running {
		f.top[id] = readTestdata(t, "top-good.json")
	}
}

// start serves the fake on a socket in a temporary directory until the test ends.
func (f *fakeEngine) start(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	f.socket = filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", f.socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return f.socket
}

func (f *fakeEngine) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	f.mu.Lock()
	f.calls[p]++
	f.mu.Unlock()
	if f.status != 0 {
		w.WriteHeader(f.status)
		w.Write([]byte(`{"message":"fake refusal"}`))
		return
	}
	if f.delay > 0 && strings.HasPrefix(p, "/containers/") {
		time.Sleep(f.delay)
	}
	answer := func(b []byte, ok bool, missing int) {
		if !ok {
			w.WriteHeader(missing)
			w.Write([]byte(`{"message":"fake: ` + http.StatusText(missing) + `"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}
	switch {
	case p == "/info":
		answer(f.info, true, 0)
	case p == "/version":
		answer(f.ver, true, 0)
	case p == "/containers/json":
		var list []ContainerSummary
		for _, c := range f.list {
			if r.URL.Query().Get("all") == "1" || c.State == "running" {
				list = append(list, c)
			}
		}
		b, _ := json.Marshal(list)
		answer(b, true, 0)
	case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/json"):
		b, ok := f.inspect[strings.TrimSuffix(strings.TrimPrefix(p, "/containers/"), "/json")]
		answer(b, ok, http.StatusNotFound)
	case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/top"):
		b, ok := f.top[strings.TrimSuffix(strings.TrimPrefix(p, "/containers/"), "/top")]
		answer(b, ok, http.StatusConflict)
	default:
		answer(nil, false, http.StatusNotFound)
	}
}

// fakeRoot lays out a host filesystem in a temporary directory: files maps a host path to its
// content. It returns the root.
func fakeRoot(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// dockerdFiles returns the /proc files of a dockerd process with args.
func dockerdFiles(args ...string) map[string]string {
	return map[string]string{
		"/proc/4242/comm":    "dockerd\n",
		"/proc/4242/cmdline": strings.Join(append([]string{"/usr/sbin/dockerd"}, args...), "\x00") + "\x00",
		"/proc/1/comm":       "init\n",
		"/proc/1/cmdline":    "/sbin/init\x00",
	}
}

// byKey indexes results by "control resource" → status.
func byKey(rs []Result) map[string]result.Status {
	m := map[string]result.Status{}
	for _, r := range rs {
		m[r.Control+" "+r.Resource] = r.Status
	}
	return m
}

var quiet = slog.New(slog.DiscardHandler)
