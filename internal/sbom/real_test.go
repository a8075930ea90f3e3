package sbom

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/dpkg"
	"github.com/rampartsec/rampart/internal/inventory/osrelease"
	"github.com/rampartsec/rampart/internal/inventory/python"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// copyFile copies a file of this machine to the same path under root.
func copyFile(t *testing.T, root, p string) {
	t.Helper()
	src, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// realScan builds a root filesystem from this machine's real package databases — dpkg's status
// and file lists, os-release, the Python distributions Debian installed — runs Rampart's real
// analyzers over it and returns the report the CLI would build.
func realScan(t *testing.T) (root string, r *result.Report) {
	t.Helper()
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		testenv.Missing(t, "no dpkg database on this machine")
	}
	root = t.TempDir()
	copyFile(t, root, "/var/lib/dpkg/status")
	copyFile(t, root, "/etc/os-release")
	lists, _ := filepath.Glob("/var/lib/dpkg/info/*.list")
	for _, l := range lists {
		copyFile(t, root, l)
	}
	for _, pattern := range []string{"*.dist-info/METADATA", "*.egg-info/PKG-INFO"} {
		files, _ := filepath.Glob(filepath.Join("/usr/lib/python3/dist-packages", pattern))
		for _, f := range files {
			copyFile(t, root, f)
		}
	}

	analyzers := []inventory.Analyzer{osrelease.Analyzer{}, dpkg.Analyzer{}, python.Analyzer{}}
	res, err := analysis.New(analyzers, analysis.Config{}).Analyze(context.Background(), &image.Artifact{Root: root})
	if err != nil {
		t.Fatalf("analyze %s: %v", root, err)
	}
	r = &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "rampart", Version: "test"},
		CreatedAt:     time.Now().UTC().Truncate(time.Second),
		Artifact:      result.Artifact{Name: "dir:" + root, Source: "dir", OS: res.Inventory.OS},
		Packages:      res.Inventory.Packages,
		Findings:      res.Findings,
		Warnings:      res.Warnings,
	}
	return root, r
}

// TestRealScan encodes the inventory of real package databases in both formats, validates the
// documents against the official schemas, and checks their Debian packages against dpkg-query's
// own reading of the same database, and the Python packages' owners against dpkg -S.
func TestRealScan(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		testenv.Missing(t, "dpkg-query not installed")
	}
	root, r := realScan(t)
	if len(r.Packages) == 0 {
		t.Fatal("the real scan found no packages")
	}
	for _, format := range Formats {
		if err := validate(t, format, encode(t, format, r)); err != nil {
			t.Errorf("%s of a real scan does not validate:\n%v", format, err)
		}
	}

	bom := decodeCycloneDX(t, encode(t, FormatCycloneDXJSON, r))
	var debs, pythonOwners []string
	for _, c := range *bom.Components {
		pr := props(c)
		switch {
		case c.Type == cdx.ComponentTypeOS:
			if c.Name != r.Artifact.OS.Family || c.Name == "" {
				t.Errorf("OS component %q, report says %q", c.Name, r.Artifact.OS.Family)
			}
		case slices.Equal(pr[propPkgType], []string{"deb"}):
			debs = append(debs, c.Name+" "+c.Version)
			if !strings.HasPrefix(c.PackageURL, "pkg:deb/") {
				t.Errorf("%s: purl %q", c.Name, c.PackageURL)
			}
		case slices.Equal(pr[propPkgType], []string{"pypi"}):
			owner := ""
			if o := pr[propOwnedBy]; len(o) == 1 {
				owner = strings.TrimPrefix(o[0], "deb:")
			}
			pythonOwners = append(pythonOwners, path.Dir(pr[propEvidencePath][0])+" "+owner)
		}
	}

	// dpkg's own tool, reading the copied database. Packages whose files are gone (config-files,
	// not-installed) are not in an inventory.
	out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-W",
		"-f=${db:Status-Status} ${Package} ${Version}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		status, pkg, _ := strings.Cut(line, " ")
		if status != "config-files" && status != "not-installed" {
			want = append(want, pkg)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want) // multi-arch packages appear once per architecture
	slices.Sort(debs)
	debs = slices.Compact(debs)
	if diff := cmp.Diff(want, debs); diff != "" {
		t.Errorf("Debian packages in the SBOM differ from dpkg-query (-dpkg +sbom):\n%s", diff)
	}

	// Each Python distribution Debian installed is owned, per dpkg -S, by the package the SBOM names.
	if len(pythonOwners) == 0 {
		t.Skip("no Debian-installed Python distributions on this machine")
	}
	owners := map[string]string{} // evidence directory → SBOM's owner
	args := []string{"-S"}
	for _, po := range pythonOwners {
		dir, owner, _ := strings.Cut(po, " ")
		owners["/"+dir] = owner
		args = append(args, "/"+dir)
	}
	// dpkg-query exits 1 when some path is not dpkg's; the lines for the others are still printed.
	out, _ = exec.Command("dpkg-query", args...).Output()
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkgs, dir, ok := strings.Cut(line, ": ")
		if !ok || strings.Contains(pkgs, ",") {
			continue // diversions and shared directories name several packages
		}
		got, ok := owners[dir]
		if !ok {
			continue
		}
		checked++
		if wantOwner, _, _ := strings.Cut(pkgs, ":"); got != wantOwner {
			t.Errorf("%s: SBOM says owned by %q, dpkg -S says %q", dir, got, wantOwner)
		}
	}
	t.Logf("%d Debian packages match dpkg-query; %d of %d Python owners checked against dpkg -S", len(debs), checked, len(pythonOwners))
	if checked == 0 {
		t.Error("dpkg -S owns none of the Python distributions the scan found")
	}
}
