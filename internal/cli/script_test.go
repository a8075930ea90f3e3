package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/rampartsec/rampart/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.Cleanup()
	os.Exit(code)
}

// TestScripts runs the command-line scripts in testdata/script: the real rampart and
// rampart-kube binaries (built once, side by side, by testenv.Rampart), offline, each script in
// its own work directory with its own cache and database directories.
//
// Besides testscript's commands, a script has:
//
//	rampart ARGS...       run rampart; as for exec, a leading ! expects a non-zero exit
//	rampart-kube ARGS...  the same for the companion
//	code N                the exit code of the last rampart or rampart-kube was N
//
// and these variables: $VULNDB, the bundled data/vulndb; $RAMPART_DB_DIR and $RAMPART_CACHE_DIR,
// empty directories under $WORK. Run one script with -run TestScripts/NAME; add -testwork to
// keep its directory.
func TestScripts(t *testing.T) {
	bin := testenv.Rampart(t)
	vulndb, err := filepath.Abs("../../data/vulndb")
	if err != nil {
		t.Fatal(err)
	}
	var codes sync.Map // *testscript.TestScript → exit code of its last rampart run
	run := func(name string) func(ts *testscript.TestScript, neg bool, args []string) {
		path := filepath.Join(filepath.Dir(bin), name)
		return func(ts *testscript.TestScript, neg bool, args []string) {
			err := ts.Exec(path, args...)
			code := 0
			var ee *exec.ExitError
			switch {
			case errors.As(err, &ee):
				code = ee.ExitCode()
			case err != nil:
				ts.Fatalf("%s: %v", name, err)
			}
			codes.Store(ts, code)
			if neg && code == 0 {
				ts.Fatalf("%s succeeded unexpectedly", name)
			}
			if !neg && code != 0 {
				ts.Fatalf("%s: exit code %d", name, code)
			}
		}
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("VULNDB", vulndb)
			for _, v := range []struct{ name, dir string }{{"RAMPART_DB_DIR", "db"}, {"RAMPART_CACHE_DIR", "cache"}, {"HOME", "home"}} {
				dir := filepath.Join(env.WorkDir, ".rampart", v.dir)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				env.Setenv(v.name, dir)
			}
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".rampart", "home", ".config"))
			env.Setenv("RAMPART_KUBE", "")
			env.Setenv("DOCKER_HOST", "unix://"+filepath.Join(env.WorkDir, ".rampart", "no-docker.sock"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"rampart":      run("rampart"),
			"rampart-kube": run(CompanionName),
			"code": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: code N")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("code %s: %v", args[0], err)
				}
				got, ok := codes.Load(ts)
				if !ok {
					ts.Fatalf("code: no rampart command ran before")
				}
				if got.(int) != want {
					ts.Fatalf("exit code %d, want %d", got, want)
				}
			},
		},
	})
}
