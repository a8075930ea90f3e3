package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	present := filepath.Join(dir, "present")
	if err := os.WriteFile(present, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"registry": {"plain": "127.0.0.1:5000", "ca_cert": "` + present + `"},
		"fixtures": {"rootfs": "` + present + `", "app": {"docker_archive": "` + present + `", "diff_ids": ["sha256:aa"]}}}`
	tests := []struct {
		name    string
		file    string // value of RAMPART_TEST_ENV
		wantEnv bool
		wantWhy string // substring of the reason there is no environment
		wantErr string // substring of the error
	}{
		{name: "unset", file: "", wantWhy: "is not set"},
		{name: "no such file", file: filepath.Join(dir, "nope.json"), wantWhy: "no such file"},
		{name: "not JSON", file: write("bad.json", "{"), wantErr: "parse"},
		{name: "no fixture paths", file: write("empty.json", "{}"), wantErr: "lacks a fixture path"},
		{name: "wiped cache", file: write("wiped.json", strings.ReplaceAll(good, `"rootfs": "`+present, `"rootfs": "`+dir+`/gone`)), wantWhy: "missing file"},
		{name: "good", file: write("good.json", good), wantEnv: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvFile, tt.file)
			env, why, err := read()
			if (env != nil) != tt.wantEnv {
				t.Errorf("read() env = %v, want present: %v", env, tt.wantEnv)
			}
			if !strings.Contains(why, tt.wantWhy) || (tt.wantWhy == "" && why != "") {
				t.Errorf("read() why = %q, want it to contain %q", why, tt.wantWhy)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("read() err = %v, want one containing %q", err, tt.wantErr)
			}
			if env != nil && (env.Registry.Plain != "127.0.0.1:5000" || len(env.Fixtures.App.DiffIDs) != 1) {
				t.Errorf("read() = %+v, fields not decoded", env)
			}
		})
	}
}

func TestRampartBuildsAndRuns(t *testing.T) {
	res := Run(t, nil, "version")
	if res.Code != 0 || !strings.HasPrefix(string(res.Stdout), "rampart ") {
		t.Fatalf("%v\nstdout: %s", res, res.Stdout)
	}
	if res := Run(t, nil, "--no-such-flag"); res.Code != 2 {
		t.Errorf("unknown flag: %v, want exit 2", res)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}
