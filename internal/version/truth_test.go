package version

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "regenerate testdata/truth/*.truth with the real tools")

// A truth is an independent implementation of one ordering that runs on this machine: dpkg, rpm,
// node-semver, Python's packaging, RubyGems, Maven, Composer. testdata/truth/NAME.versions lists
// versions; NAME.truth holds the tool's verdict on every pair of them, written with -update. The
// test always holds Rampart to the recorded verdicts, so it needs no tool to run; with -update,
// or when the tool is present, it asks the tool again.
//
// The tools, on Debian: dpkg; rpm (apt-get install rpm); node with node-semver (npm install
// --prefix ~/.cache/rampart semver, or NODE_PATH); /usr/bin/python3 with python3-packaging;
// ruby; java with maven (for maven-artifact); php-cli with php-composer-semver. Then:
//
//	go test ./internal/version -run 'TestTruth|TestComposerNormalize' -update
type truth struct {
	name      string
	ecosystem string
	// setup reports why the tool cannot run here, or nil.
	setup func(t *testing.T) error
	// compare returns the tool's -1/0/+1 for each pair.
	compare func(ctx context.Context, t *testing.T, pairs [][2]string) ([]int, error)
	// live re-runs the tool on every test run when it is present (cheap batch tools only).
	live bool
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// allPairs pairs every version with every later one in the list.
func allPairs(vs []string) [][2]string {
	var ps [][2]string
	for i := range vs {
		for j := i + 1; j < len(vs); j++ {
			ps = append(ps, [2]string{vs[i], vs[j]})
		}
	}
	return ps
}

func runTruth(t *testing.T, tr truth) {
	t.Helper()
	versions := readLines(t, filepath.Join("testdata", "truth", tr.name+".versions"))
	pairs := allPairs(versions)
	golden := filepath.Join("testdata", "truth", tr.name+".truth")

	toolErr := tr.setup(t)
	if *update {
		if toolErr != nil {
			t.Fatalf("-update needs %s: %v", tr.name, toolErr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		got, err := tr.compare(ctx, t, pairs)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "# %s's verdict on every pair of %s.versions: a, b, sign(a-b). Rewrite with -update.\n", tr.name, tr.name)
		for i, p := range pairs {
			fmt.Fprintf(&b, "%s\t%s\t%d\n", p[0], p[1], got[i])
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	recorded := readLines(t, golden)
	if len(recorded) != len(pairs) {
		t.Fatalf("%s has %d verdicts for %d pairs: run go test -update", golden, len(recorded), len(pairs))
	}
	want := make([]int, len(pairs))
	for i, l := range recorded {
		f := strings.Split(l, "\t")
		if len(f) != 3 || f[0] != pairs[i][0] || f[1] != pairs[i][1] {
			t.Fatalf("%s line %d (%q) does not match pair %q: run go test -update", golden, i+1, l, pairs[i])
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("%s line %d: %v", golden, i+1, err)
		}
		want[i] = n
	}

	if tr.live && !*update && toolErr == nil && !testing.Short() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		got, err := tr.compare(ctx, t, pairs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range pairs {
			if got[i] != want[i] {
				t.Errorf("%s now says %q vs %q = %d, recorded %d: run go test -update", tr.name, pairs[i][0], pairs[i][1], got[i], want[i])
			}
		}
	}

	bad := 0
	for i, p := range pairs {
		got, err := Compare(tr.ecosystem, p[0], p[1])
		if err != nil {
			t.Errorf("Compare(%q, %q, %q): %v", tr.ecosystem, p[0], p[1], err)
			bad++
		} else if got != want[i] {
			t.Errorf("Compare(%q, %q, %q) = %d, %s says %d", tr.ecosystem, p[0], p[1], got, tr.name, want[i])
			bad++
		}
		if bad > 50 {
			t.Fatal("too many differences")
		}
	}
	t.Logf("%d versions, %d pairs checked against %s", len(versions), len(pairs), tr.name)
}

// batch runs a tool that reads one "a<TAB>b" pair a line on stdin and writes -1, 0 or 1 a line.
func batch(ctx context.Context, pairs [][2]string, name string, args ...string) ([]int, error) {
	var in bytes.Buffer
	for _, p := range pairs {
		fmt.Fprintf(&in, "%s\t%s\n", p[0], p[1])
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, err, stderr.Bytes())
	}
	return parseVerdicts(out, len(pairs))
}

func parseVerdicts(out []byte, n int) ([]int, error) {
	var res []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		v, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil {
			return nil, fmt.Errorf("verdict %q: %w", sc.Text(), err)
		}
		res = append(res, max(-1, min(1, v)))
	}
	if len(res) != n {
		return nil, fmt.Errorf("%d verdicts for %d pairs", len(res), n)
	}
	return res, nil
}

func lookPath(names ...string) error {
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			return err
		}
	}
	return nil
}

// dpkgCompare asks dpkg itself, one process per question.
func dpkgCompare(ctx context.Context, a, b string) (int, error) {
	for _, q := range []struct {
		op  string
		res int
	}{{"lt", -1}, {"eq", 0}} {
		err := exec.CommandContext(ctx, "dpkg", "--compare-versions", a, q.op, b).Run()
		if err == nil {
			return q.res, nil
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			return 0, fmt.Errorf("dpkg --compare-versions %q %s %q: %w", a, q.op, b, err)
		}
	}
	return 1, nil
}

// nodeModules is where -update looks for node-semver: NODE_PATH, or the test cache that
// `npm install --prefix ~/.cache/rampart semver` fills.
func nodeModules() string {
	if p := os.Getenv("NODE_PATH"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "rampart", "node_modules")
}

// nodeSemver compares with node-semver's strict semver.compare.
const nodeSemver = `
const semver = require('semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
for (const l of lines) { const [a, b] = l.split('\t'); console.log(semver.compare(a, b)); }
`

func nodeSetup(*testing.T) error {
	if err := lookPath("node"); err != nil {
		return err
	}
	cmd := exec.Command("node", "-e", "require('semver')")
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules())
	return cmd.Run()
}

func nodeCompare(ctx context.Context, t *testing.T, pairs [][2]string) ([]int, error) {
	t.Setenv("NODE_PATH", nodeModules())
	return batch(ctx, pairs, "node", "-e", nodeSemver)
}

// pythonPackaging compares with the packaging library pip uses (Debian's python3-packaging).
const pythonPackaging = `
import sys
from packaging.version import Version
for line in sys.stdin.read().splitlines():
    a, b = (Version(x) for x in line.split("\t"))
    print(-1 if a < b else 1 if a > b else 0)
`

var truths = []truth{
	{
		name:      "dpkg",
		ecosystem: "Debian:12",
		setup:     func(*testing.T) error { return lookPath("dpkg") },
		compare: func(ctx context.Context, t *testing.T, pairs [][2]string) ([]int, error) {
			res := make([]int, len(pairs))
			for i, p := range pairs {
				c, err := dpkgCompare(ctx, p[0], p[1])
				if err != nil {
					return nil, err
				}
				res[i] = c
			}
			return res, nil
		},
	},
	{
		name:      "rpm",
		ecosystem: "Red Hat",
		setup:     func(*testing.T) error { return lookPath("rpm") },
		compare: func(ctx context.Context, t *testing.T, pairs [][2]string) ([]int, error) {
			// rpm.vercmp compares whole [epoch:]version[-release] strings, as rpm does.
			script := filepath.Join(t.TempDir(), "vercmp.lua")
			var b strings.Builder
			b.WriteString("local p = {\n")
			for _, p := range pairs {
				fmt.Fprintf(&b, "{%q, %q},\n", p[0], p[1])
			}
			b.WriteString("}\n" + `for _, x in ipairs(p) do print(rpm.vercmp(x[1], x[2]) .. "\n") end` + "\n")
			if err := os.WriteFile(script, []byte(b.String()), 0o644); err != nil {
				return nil, err
			}
			out, err := exec.CommandContext(ctx, "rpm", "--eval", fmt.Sprintf("%%{lua: dofile(%q)}", script)).Output()
			if err != nil {
				return nil, fmt.Errorf("rpm --eval: %w", err)
			}
			return parseVerdicts(bytes.TrimSpace(out), len(pairs))
		},
		live: true,
	},
	{
		name:      "npm",
		ecosystem: "npm",
		setup:     nodeSetup,
		compare:   nodeCompare,
		live:      true,
	},
	{
		// node-semver is also the reference for plain SemVer 2.0.0 precedence.
		name:      "semver",
		ecosystem: "crates.io",
		setup:     nodeSetup,
		compare:   nodeCompare,
		live:      true,
	},
	{
		name:      "pypi",
		ecosystem: "PyPI",
		setup: func(*testing.T) error {
			return exec.Command("/usr/bin/python3", "-c", "import packaging.version").Run()
		},
		compare: func(ctx context.Context, t *testing.T, pairs [][2]string) ([]int, error) {
			return batch(ctx, pairs, "/usr/bin/python3", "-c", pythonPackaging)
		},
		live: true,
	},
	{
		name:      "maven",
		ecosystem: "Maven",
		setup: func(*testing.T) error {
			if err := lookPath("java"); err != nil {
				return err
			}
			_, err := mavenArtifactJar()
			return err
		},
		compare: func(ctx context.Context, t *testing.T, pairs [][2]string) ([]int, error) {
			jar, err := mavenArtifactJar()
			if err != nil {
				return nil, err
			}
			return batch(ctx, pairs, "java", "-cp", jar, filepath.Join("testdata", "MavenCompare.java"))
		},
		live: false, // a JVM start and a compile: seconds
	},
	{
		name:      "rubygems",
		ecosystem: "RubyGems",
		setup:     func(*testing.T) error { return lookPath("ruby") },
		compare: func(ctx context.Context, t *testing.T, pairs [][2]string) ([]int, error) {
			return batch(ctx, pairs, "ruby", "-e", rubyGems)
		},
		live: true,
	},
	{
		name:      "composer",
		ecosystem: "Packagist",
		setup: func(*testing.T) error {
			if err := lookPath("php"); err != nil {
				return err
			}
			_, err := os.Stat("/usr/share/php/Composer/Semver/autoload.php")
			return err // apt-get install php-cli php-composer-semver
		},
		compare: func(ctx context.Context, t *testing.T, pairs [][2]string) ([]int, error) {
			return batch(ctx, pairs, "php", "-r", composer)
		},
		live: true,
	},
}

// rubyGems compares with RubyGems' own Gem::Version.
const rubyGems = `
STDIN.each_line do |l|
  a, b = l.chomp.split("\t", 2)
  puts(Gem::Version.new(a) <=> Gem::Version.new(b))
end
`

// composer normalises with Composer's VersionParser and compares with version_compare, as
// Composer's Comparator does.
const composer = `
require "/usr/share/php/Composer/Semver/autoload.php";
$p = new Composer\Semver\VersionParser();
while (($l = fgets(STDIN)) !== false) {
    [$a, $b] = explode("\t", rtrim($l, "\n"), 2);
    echo version_compare($p->normalize($a), $p->normalize($b)), "\n";
}
`

// mavenArtifactJar finds the maven-artifact jar of Debian's maven package, which holds
// ComparableVersion.
func mavenArtifactJar() (string, error) {
	m, _ := filepath.Glob("/usr/share/maven-repo/org/apache/maven/maven-artifact/3.*/maven-artifact-3.*.jar")
	if len(m) == 0 {
		return "", errors.New("no maven-artifact jar (apt-get install maven)")
	}
	return m[0], nil
}

func TestTruth(t *testing.T) {
	for _, tr := range truths {
		t.Run(tr.name, func(t *testing.T) { runTruth(t, tr) })
	}
}

// TestComposerNormalize holds composerNormalize to Composer's own VersionParser::normalize,
// recorded in testdata/truth/composer.normalize. Named branches, which Composer keeps as
// "dev-NAME", must be refused.
func TestComposerNormalize(t *testing.T) {
	path := filepath.Join("testdata", "truth", "composer.normalize")
	lines := readLines(t, path)
	if *update {
		var in bytes.Buffer
		for _, l := range lines {
			in.WriteString(strings.SplitN(l, "\t", 2)[0] + "\n")
		}
		cmd := exec.Command("php", "-r", `require "/usr/share/php/Composer/Semver/autoload.php";
$p = new Composer\Semver\VersionParser();
while (($l = fgets(STDIN)) !== false) {
    $l = rtrim($l, "\n");
    try { $n = $p->normalize($l); } catch (Exception $e) { $n = "!invalid"; }
    echo $l, "\t", $n, "\n";
}`)
		cmd.Stdin = &in
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("php: %v", err)
		}
		head := "# Composer's VersionParser::normalize of each input (\"!invalid\" where it throws). Rewrite with -update.\n"
		if err := os.WriteFile(path, append([]byte(head), out...), 0o644); err != nil {
			t.Fatal(err)
		}
		lines = readLines(t, path)
	}
	for _, l := range lines {
		in, want, _ := strings.Cut(l, "\t")
		got, err := composerNormalize(in)
		switch {
		case want == "!invalid" || strings.HasPrefix(want, "dev-"):
			if err == nil {
				t.Errorf("composerNormalize(%q) = %q, want an error (Composer: %s)", in, got, want)
			}
		case err != nil:
			t.Errorf("composerNormalize(%q): %v, want %q", in, err, want)
		case got != want:
			t.Errorf("composerNormalize(%q) = %q, want %q", in, got, want)
		}
	}
}
