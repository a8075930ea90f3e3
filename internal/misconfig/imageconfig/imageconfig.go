// Package imageconfig checks a built image: its configuration (user, exposed ports, health
// check, environment) and what its layers add (setuid and setgid files, world-writable
// directories, shells and package managers in images meant to be minimal).
//
// # Usage
//
// The layer checks need one pass over every layer; the [Analyzer] joins the other analyzers of a
// scan, and [Check] then turns what it recorded into findings, together with the configuration
// checks:
//
//	res, _ := analysis.New(append(analyzers, imageconfig.Analyzer{}), cfg).Analyze(ctx, art)
//	findings := imageconfig.Check(imageconfig.Image{Config: art.Config, Layers: diffIDs}, res.Findings, secrets)
//
// # Base layers
//
// Setuid files and world-writable directories are reported only when a layer of the image's own
// build added them, not its base image. The base is the leading layers whose history entries do
// not carry BuildKit's Dockerfile marker when the last ones do (docker build with BuildKit on a
// base built otherwise); in every other case, only the first layer counts as the base. A file
// that a lower layer already had with the same special bits is inherited, not added.
//
// # Minimal images
//
// An image is taken as meant to be minimal when its inventory found a distroless package
// database, when a label key or value contains "distroless" or "minimal", or when one of its names
// does. In such an image every shell and package manager is reported.
package imageconfig

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/mask"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/secret"
)

// The image checks.
var (
	RootUser = &misconfig.Check{
		ID: "IC001", Title: "Image runs as root", Severity: finding.SeverityHigh, CIS: "4.1",
		Rationale:   "The image's default user is root (or unset, which means root): every container started from it runs as root unless told otherwise.",
		Remediation: "Rebuild with a USER instruction naming an unprivileged user (e.g. USER 10001).",
	}
	ExposeSSH = &misconfig.Check{
		ID: "IC002", Title: "SSH port 22 exposed", Severity: finding.SeverityMedium, CIS: "5.6",
		Rationale:   "Exposing 22 means the image expects an SSH server in the container: an extra entry point with its own credentials to manage.",
		Remediation: "Remove the SSH server and EXPOSE 22; use docker exec or kubectl exec.",
	}
	NoHealthcheck = &misconfig.Check{
		ID: "IC003", Title: "No HEALTHCHECK in the image", Severity: finding.SeverityLow, CIS: "4.6",
		Rationale:   "Without a health check the engine cannot tell a hung container from a working one.",
		Remediation: "Rebuild with HEALTHCHECK CMD … that fails when the service is unhealthy.",
	}
	SecretEnv = &misconfig.Check{
		ID: "IC004", Title: "Secret in the image environment", Severity: finding.SeverityHigh, CIS: "4.10",
		Rationale:   "Environment variables are part of the image configuration: anyone who can pull the image can read them.",
		Remediation: "Remove the variable from the image, provide it at run time from a secret store, and rotate the exposed value.",
	}
	SetuidAdded = &misconfig.Check{
		ID: "IC005", Title: "setuid or setgid file added by the image's own layers", Severity: finding.SeverityMedium, CIS: "4.8",
		Rationale:   "A setuid or setgid program runs with its owner's or group's rights whoever starts it: a bug in it is a privilege escalation.",
		Remediation: "Remove the special bits in the Dockerfile (RUN chmod u-s,g-s FILE) or do not install the program.",
	}
	WorldWritableDir = &misconfig.Check{
		ID: "IC006", Title: "World-writable directory without the sticky bit", Severity: finding.SeverityMedium,
		Rationale:   "Any user in the container can replace or delete other users' files there, including programs and configuration.",
		Remediation: "chmod o-w the directory, or chmod +t it if it must be shared like /tmp.",
	}
	ToolInMinimal = &misconfig.Check{
		ID: "IC007", Title: "Shell or package manager in a minimal image", Severity: finding.SeverityMedium, CIS: "4.3",
		Rationale:   "The image presents itself as minimal (distroless), yet ships a shell or package manager: tools an attacker uses after getting in.",
		Remediation: "Build the final stage FROM a base without a shell (distroless, scratch) and copy only the application into it.",
	}
)

// Checks returns every image check, in ID order.
func Checks() []*misconfig.Check {
	return []*misconfig.Check{RootUser, ExposeSSH, NoHealthcheck, SecretEnv, SetuidAdded, WorldWritableDir, ToolInMinimal}
}

// tools are the shells and package managers IC007 looks for, by path without a leading slash.
// Links are not followed by the layer walk, so the programs themselves are listed (Debian's
// /bin/sh is a link to dash, Alpine's to busybox).
var tools = toolPaths()

func toolPaths() map[string]string {
	t := map[string]string{"sbin/apk": "package manager"}
	for _, p := range []string{"bash", "dash", "sh", "ash", "zsh", "ksh", "mksh", "busybox"} {
		t["bin/"+p], t["usr/bin/"+p] = "shell", "shell"
	}
	for _, p := range []string{"apt", "apt-get", "dpkg", "yum", "dnf", "microdnf", "rpm", "zypper", "pip", "pip3"} {
		t["usr/bin/"+p], t["bin/"+p] = "package manager", "package manager"
	}
	return t
}

// Analyzer records, per layer, the setuid and setgid files, the world-writable directories
// without the sticky bit, and the shells and package managers, as candidate findings that
// [Check] keeps or drops. The zero value is ready; it is safe for concurrent use.
type Analyzer struct{}

// Name implements inventory.Analyzer.
func (Analyzer) Name() string { return "imageconfig" }

// Version implements inventory.Analyzer.
func (Analyzer) Version() int { return 1 }

// WantsDirectories asks the layer walk for directory entries too (see analysis.DirAnalyzer).
func (Analyzer) WantsDirectories() bool { return true }

// Required implements inventory.Analyzer; it looks at mode bits and a fixed path list only.
func (Analyzer) Required(p string, info fs.FileInfo) bool {
	m := info.Mode()
	if m.IsDir() {
		return worldWritable(m)
	}
	return m&(fs.ModeSetuid|fs.ModeSetgid) != 0 || tools[p] != ""
}

func worldWritable(m fs.FileMode) bool { return m.Perm()&0o002 != 0 && m&fs.ModeSticky == 0 }

// Analyze implements inventory.Analyzer. It reads no content.
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	m := f.Info.Mode()
	loc := finding.Location{Path: f.Path}
	res := &inventory.Result{}
	switch {
	case m.IsDir():
		if worldWritable(m) {
			res.Findings = append(res.Findings, WorldWritableDir.Finding(loc, fmt.Sprintf("%s/ mode %s", f.Path, m)))
		}
	default:
		if m&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			res.Findings = append(res.Findings, SetuidAdded.Finding(loc, fmt.Sprintf("%s mode %s (%s)", f.Path, m, specialBits(m))))
		}
		if kind := tools[f.Path]; kind != "" {
			fd := ToolInMinimal.Finding(loc, fmt.Sprintf("%s: %s", f.Path, kind))
			res.Findings = append(res.Findings, fd)
		}
	}
	if len(res.Findings) == 0 {
		return nil, nil
	}
	return res, nil
}

func specialBits(m fs.FileMode) string {
	var b []string
	if m&fs.ModeSetuid != 0 {
		b = append(b, "setuid")
	}
	if m&fs.ModeSetgid != 0 {
		b = append(b, "setgid")
	}
	return strings.Join(b, ", ")
}

// Image is what [Check] reads of an image.
type Image struct {
	// Config is the image configuration; nil (a directory) skips the configuration checks.
	Config *v1.ConfigFile
	// Layers are the diffIDs of the layers, base first. Empty for a directory: then every
	// candidate counts as added.
	Layers []string
	// Names are what the image is called: the reference scanned, its repository tags.
	Names []string
	// Distroless is set when the inventory found a distroless package database.
	Distroless bool
}

// Check runs the configuration checks on img and settles the [Analyzer]'s candidates in found:
// it returns found without them, plus the findings that stand. secrets recognises known
// credential formats in environment values (nil: variable names only).
func Check(img Image, found []finding.Finding, secrets *secret.Scanner) []finding.Finding {
	var out, cands []finding.Finding
	for _, f := range found {
		if f.Kind == finding.KindMisconfig && (f.ID == SetuidAdded.ID || f.ID == WorldWritableDir.ID || f.ID == ToolInMinimal.ID) {
			cands = append(cands, f)
			continue
		}
		out = append(out, f)
	}
	out = append(out, added(img, cands)...)
	if why, ok := minimal(img); ok {
		for _, f := range cands {
			if f.ID == ToolInMinimal.ID && f.RemovedInLayer == "" {
				f.Evidence = misconfig.Excerpt(f.Evidence + " in an image taken as minimal (" + why + ")")
				out = append(out, f)
			}
		}
	}
	if img.Config != nil {
		out = append(out, configChecks(img.Config.Config, found, secrets)...)
	}
	return out
}

// added keeps the setuid and world-writable candidates that a non-base layer introduced and that
// are still in the final filesystem.
func added(img Image, cands []finding.Finding) []finding.Finding {
	base := baseLayers(img)
	index := func(diffID string) int { return slices.Index(img.Layers, diffID) }
	var out []finding.Finding
	for _, f := range cands {
		if f.ID == ToolInMinimal.ID || f.RemovedInLayer != "" {
			continue
		}
		i := index(f.Location.Layer)
		if len(img.Layers) > 0 && i < base {
			continue
		}
		inherited := slices.ContainsFunc(cands, func(g finding.Finding) bool {
			return g.ID == f.ID && g.Location.Path == f.Location.Path && index(g.Location.Layer) < i
		})
		if inherited {
			continue
		}
		if i >= 0 && len(img.Layers) > 0 {
			f.Evidence = misconfig.Excerpt(fmt.Sprintf("%s, added in layer %d", f.Evidence, i))
		}
		out = append(out, f)
	}
	return out
}

// buildkitMarker is the history comment BuildKit's Dockerfile frontend writes.
const buildkitMarker = "buildkit.dockerfile.v0"

// baseLayers is how many leading layers belong to the base image (see the package doc).
func baseLayers(img Image) int {
	n := len(img.Layers)
	if n == 0 {
		return 0
	}
	var marked []bool
	if img.Config != nil {
		for _, h := range img.Config.History {
			if !h.EmptyLayer {
				marked = append(marked, h.Comment == buildkitMarker)
			}
		}
	}
	if len(marked) != n {
		return 1 // the history does not line up with the layers
	}
	i := n
	for i > 0 && marked[i-1] {
		i--
	}
	if i == n || i == 0 {
		return 1
	}
	return i
}

// minimal says whether the image presents itself as minimal, and why.
func minimal(img Image) (string, bool) {
	if img.Distroless {
		return "distroless package database", true
	}
	hint := func(s string) bool {
		s = strings.ToLower(s)
		return strings.Contains(s, "distroless") || strings.Contains(s, "minimal")
	}
	if img.Config != nil {
		keys := make([]string, 0, len(img.Config.Config.Labels))
		for k := range img.Config.Config.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v := img.Config.Config.Labels[k]; hint(k) || hint(v) {
				return fmt.Sprintf("label %s=%s", k, v), true
			}
		}
	}
	for _, n := range img.Names {
		if hint(path.Base(n)) || hint(n) {
			return "name " + n, true
		}
	}
	return "", false
}

// configChecks checks the image configuration; found are the findings the scan already has.
func configChecks(c v1.Config, found []finding.Finding, secrets *secret.Scanner) []finding.Finding {
	var out []finding.Finding
	user, _, _ := strings.Cut(c.User, ":")
	switch user {
	case "":
		out = append(out, RootUser.Finding(finding.Location{Field: "config.User"}, "User is not set: containers run as root"))
	case "root", "0":
		out = append(out, RootUser.Finding(finding.Location{Field: "config.User"}, "User is "+c.User))
	}
	for _, p := range []string{"22/tcp", "22"} {
		if _, ok := c.ExposedPorts[p]; ok {
			out = append(out, ExposeSSH.Finding(finding.Location{Field: "config.ExposedPorts"}, "ExposedPorts has "+p))
			break
		}
	}
	switch h := c.Healthcheck; {
	case h == nil || len(h.Test) == 0:
		out = append(out, NoHealthcheck.Finding(finding.Location{Field: "config.Healthcheck"}, "no Healthcheck in the image configuration"))
	case h.Test[0] == "NONE":
		out = append(out, NoHealthcheck.Finding(finding.Location{Field: "config.Healthcheck"}, "Healthcheck is NONE"))
	}
	// A variable the secret scanner already reported (a finding in found) is one secret, one finding.
	reported := map[string]bool{}
	for _, f := range found {
		if f.Kind == finding.KindSecret && f.Location.Field != "" {
			reported[f.Location.Field] = true
		}
	}
	masker := secrets
	if masker == nil {
		masker = mask.Scanner()
	}
	for _, e := range c.Env {
		k, v, _ := strings.Cut(e, "=")
		// Named as the secret scanner names it: "env:NAME", a NAME that is a token masked.
		field := masker.ConfigField("env", e, len(k))
		if reported[field] {
			continue
		}
		if ev, ok := misconfig.SecretVariable(secrets, k, v); ok {
			out = append(out, SecretEnv.Finding(finding.Location{Field: field}, ev))
		}
	}
	return out
}
