package dockerhost

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rampartsec/rampart/internal/result"
)

// hostChecks assesses section 1.
func (a *auditor) hostChecks(ctx context.Context, ver *Version) {
	dataRoot := cmp.Or(a.info.DockerRootDir, "/var/lib/docker")
	mounts, err := readBounded(a.path("/proc/mounts"), 16<<20)
	switch {
	case err != nil:
		a.addf("1.1.1", dataRoot, result.StatusNotAssessed, "read /proc/mounts: %v", err)
	case hasMountPoint(mounts, dataRoot):
		a.addf("1.1.1", dataRoot, result.StatusPass, "%s is a mount point (/proc/mounts)", dataRoot)
	default:
		a.addf("1.1.1", dataRoot, result.StatusFail, "%s is not a mount point of its own (/proc/mounts)", dataRoot)
	}

	x := readIDs(a.root)
	gid, ok := x.groupByName["docker"]
	m := slices.Concat(x.members["docker"], x.primary[gid])
	slices.Sort(m)
	m = slices.Compact(m)
	switch {
	case !ok:
		a.add("1.1.2", "/etc/group", result.StatusPass, "no docker group: only root reaches the socket")
	case len(m) == 0:
		a.add("1.1.2", "/etc/group", result.StatusPass, "the docker group has no members")
	default:
		a.add("1.1.2", "/etc/group", result.StatusManual, "docker group members (root-equivalent): "+strings.Join(m, ", "))
	}

	rules, src, err := a.auditRules(ctx)
	for _, c := range Controls {
		if !strings.HasPrefix(c.ID, "1.1.") || c.ID == "1.1.1" || c.ID == "1.1.2" {
			continue
		}
		p := a.auditPath(c.ID)
		switch {
		case err != nil:
			a.add(c.ID, p, result.StatusNotAssessed, err.Error())
		case !a.exists(p):
			a.addf(c.ID, p, result.StatusNotAssessed, "not applicable: %s does not exist", p)
		case watches(rules, p):
			a.addf(c.ID, p, result.StatusPass, "audit rule for %s in %s", p, src)
		default:
			a.addf(c.ID, p, result.StatusFail, "no audit rule for %s in %s", p, src)
		}
	}

	a.add("1.2.1", "host", result.StatusManual, "host hardening is not visible to the engine")
	if ver != nil {
		a.addf("1.2.2", "daemon", result.StatusManual, "engine %s, API %s: compare with the latest supported release", ver.Version, ver.APIVersion)
	} else {
		a.addf("1.2.2", "daemon", result.StatusManual, "engine %s: compare with the latest supported release", a.info.ServerVersion)
	}
}

func (a *auditor) exists(p string) bool {
	_, err := os.Stat(a.path(p))
	return err == nil
}

// auditPath is the path an auditd control is about, resolved on this host.
func (a *auditor) auditPath(id string) string {
	switch id {
	case "1.1.7":
		return a.unitFile("docker.service")
	case "1.1.8":
		return a.containerdSocket()
	case "1.1.9":
		return a.unitFile("docker.socket")
	}
	t := ControlByID(id).Title
	return t[strings.LastIndex(t, " ")+1:]
}

// hasMountPoint reports whether /proc/mounts content lists dir as a mount point.
func hasMountPoint(mounts []byte, dir string) bool {
	dir = filepath.Clean(dir)
	sc := bufio.NewScanner(bytes.NewReader(mounts))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// Mount points escape blanks as octal (\040).
		if len(f) >= 2 && strings.ReplaceAll(f[1], `\040`, " ") == dir {
			return true
		}
	}
	return false
}

// auditRules returns the loaded audit rules (`auditctl -l`) on the real host, else the rule
// files. The error says why neither is available.
func (a *auditor) auditRules(ctx context.Context) ([]string, string, error) {
	if a.root == "/" {
		if bin, err := exec.LookPath("auditctl"); err == nil {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, "-l").Output()
			if err == nil {
				return strings.Split(string(out), "\n"), "`auditctl -l`", nil
			}
			a.log.Debug("auditctl -l", "error", err)
		}
	}
	files := []string{"/etc/audit/audit.rules"}
	if ms, err := filepath.Glob(a.path("/etc/audit/rules.d/*.rules")); err == nil {
		for _, m := range ms {
			rel, _ := filepath.Rel(a.root, m)
			files = append(files, "/"+rel)
		}
	}
	var lines []string
	var read []string
	for _, f := range files {
		b, err := readBounded(a.path(f), 16<<20)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("read audit rules: %w", err)
		}
		read = append(read, f)
		lines = append(lines, strings.Split(string(b), "\n")...)
	}
	if len(read) == 0 {
		if _, err := os.Stat(a.path("/etc/audit")); err != nil {
			return nil, "", errors.New("auditd is not installed (no auditctl, no /etc/audit)")
		}
		return nil, "", errors.New("auditd has no rule files (/etc/audit/audit.rules, /etc/audit/rules.d/*.rules) and `auditctl -l` did not answer")
	}
	return lines, strings.Join(read, ", "), nil
}

// watches reports whether an audit rule watches path: "-w PATH" or "-F path=PATH"/"dir=PATH".
func watches(rules []string, path string) bool {
	for _, r := range rules {
		f := strings.Fields(r)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		for i, t := range f {
			if t == "-w" && i+1 < len(f) && f[i+1] == path || t == "path="+path || t == "dir="+path {
				return true
			}
		}
	}
	return false
}
