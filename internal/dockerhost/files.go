package dockerhost

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rampartsec/rampart/internal/result"
)

// ids maps numeric user and group IDs to names, from the host's /etc/passwd and /etc/group.
type ids struct {
	users, groups map[uint32]string
	groupByName   map[string]uint32
	members       map[string][]string // group name → listed members
	primary       map[uint32][]string // group ID → users whose primary group it is
}

func readIDs(root string) *ids {
	x := &ids{users: map[uint32]string{}, groups: map[uint32]string{}, groupByName: map[string]uint32{}, members: map[string][]string{}, primary: map[uint32][]string{}}
	eachLine(filepath.Join(root, "etc/passwd"), func(f []string) {
		if len(f) >= 3 {
			if id, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				x.users[uint32(id)] = f[0]
			}
		}
		if len(f) >= 4 {
			if gid, err := strconv.ParseUint(f[3], 10, 32); err == nil {
				x.primary[uint32(gid)] = append(x.primary[uint32(gid)], f[0])
			}
		}
	})
	eachLine(filepath.Join(root, "etc/group"), func(f []string) {
		if len(f) >= 3 {
			if id, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				x.groups[uint32(id)] = f[0]
				x.groupByName[f[0]] = uint32(id)
			}
		}
		if len(f) >= 4 && f[3] != "" {
			x.members[f[0]] = strings.Split(f[3], ",")
		}
	})
	return x
}

// eachLine calls fn with the colon-separated fields of each line of a passwd-style file.
func eachLine(path string, fn func([]string)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
}

func (x *ids) user(id uint32) string {
	if n, ok := x.users[id]; ok {
		return n
	}
	return strconv.FormatUint(uint64(id), 10)
}

func (x *ids) group(id uint32) string {
	if n, ok := x.groups[id]; ok {
		return n
	}
	return strconv.FormatUint(uint64(id), 10)
}

// fileCheck is an ownership control and a permissions control on one file.
type fileCheck struct {
	own, perm string // control IDs; either may be empty
	owner     string // "root:root" or "root:docker"
	mode      fs.FileMode
}

// statFile assesses c on the host file at path (already under the root); shown is the path
// reported. A missing file is not assessed, with the reason.
func (a *auditor) statFile(c fileCheck, path, shown string, x *ids) {
	fi, err := os.Stat(path)
	if err != nil {
		why := fmt.Sprintf("stat %s: %v", shown, errors.Unwrap(err))
		if errors.Is(err, fs.ErrNotExist) {
			why = fmt.Sprintf("not applicable: %s does not exist", shown)
		}
		for _, id := range []string{c.own, c.perm} {
			if id != "" {
				a.add(id, shown, result.StatusNotAssessed, why)
			}
		}
		return
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if c.own != "" {
		switch {
		case !ok:
			a.add(c.own, shown, result.StatusNotAssessed, "no ownership information")
		default:
			got := x.user(st.Uid) + ":" + x.group(st.Gid)
			want := st.Uid == 0 && (st.Gid == 0 || c.owner == "root:docker" && x.group(st.Gid) == "docker")
			ev := fmt.Sprintf("owner %s (%d:%d), want %s", got, st.Uid, st.Gid, c.owner)
			if want {
				a.add(c.own, shown, result.StatusPass, ev)
			} else {
				a.add(c.own, shown, result.StatusFail, ev)
			}
		}
	}
	if c.perm != "" {
		perm := fi.Mode().Perm()
		ev := fmt.Sprintf("mode %04o, want %04o or more restrictive", perm, c.mode)
		if perm&^c.mode == 0 {
			a.add(c.perm, shown, result.StatusPass, ev)
		} else {
			a.add(c.perm, shown, result.StatusFail, ev)
		}
	}
}

// unitDirs are where systemd unit files of the docker package live.
var unitDirs = []string{"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

// firstExisting returns the first of paths that exists under root, else the first path.
func (a *auditor) firstExisting(paths ...string) string {
	for _, p := range paths {
		if _, err := os.Lstat(a.path(p)); err == nil {
			return p
		}
	}
	return paths[0]
}

func (a *auditor) unitFile(name string) string {
	ps := make([]string, len(unitDirs))
	for i, d := range unitDirs {
		ps[i] = d + "/" + name
	}
	return a.firstExisting(ps...)
}

func (a *auditor) containerdSocket() string {
	return a.firstExisting("/run/containerd/containerd.sock", "/var/run/docker/containerd/containerd.sock")
}

// fileChecks assesses section 3.
func (a *auditor) fileChecks() {
	x := readIDs(a.root)
	host := func(c fileCheck, p string) { a.statFile(c, a.path(p), p, x) }
	host(fileCheck{"3.1", "3.2", "root:root", 0o644}, a.unitFile("docker.service"))
	host(fileCheck{"3.3", "3.4", "root:root", 0o644}, a.unitFile("docker.socket"))
	host(fileCheck{"3.5", "3.6", "root:root", 0o755}, "/etc/docker")
	a.registryCerts(x)
	for _, t := range []struct {
		c    fileCheck
		flag string
	}{
		{fileCheck{"3.9", "3.10", "root:root", 0o444}, "tlscacert"},
		{fileCheck{"3.11", "3.12", "root:root", 0o444}, "tlscert"},
		{fileCheck{"3.13", "3.14", "root:root", 0o400}, "tlskey"},
	} {
		s := a.d.get(t.flag, "", t.flag)
		switch {
		case s.unknown != "":
			a.add(t.c.own, "daemon", result.StatusNotAssessed, s.unknown)
			a.add(t.c.perm, "daemon", result.StatusNotAssessed, s.unknown)
		case !s.set():
			why := fmt.Sprintf("not applicable: the daemon is not configured with --%s", t.flag)
			a.add(t.c.own, "daemon", result.StatusNotAssessed, why)
			a.add(t.c.perm, "daemon", result.StatusNotAssessed, why)
		default:
			host(t.c, s.last())
		}
	}
	// The socket is the one we talk to, so it is not under the root.
	a.statFile(fileCheck{"3.15", "3.16", "root:docker", 0o660}, a.socket, a.socket, x)
	host(fileCheck{"3.17", "3.18", "root:root", 0o644}, a.d.jsonPath)
	host(fileCheck{"3.19", "3.20", "root:root", 0o644}, "/etc/default/docker")
	host(fileCheck{"3.22", "3.21", "root:root", 0o644}, "/etc/sysconfig/docker")
	host(fileCheck{"3.23", "3.24", "root:root", 0o660}, a.containerdSocket())
}

// registryCerts assesses 3.7 and 3.8 on every file under /etc/docker/certs.d.
func (a *auditor) registryCerts(x *ids) {
	const dir = "/etc/docker/certs.d"
	var files []string
	err := filepath.WalkDir(a.path(dir), func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.Type().IsRegular() {
			rel, _ := filepath.Rel(a.root, p)
			files = append(files, "/"+rel)
		}
		return nil
	})
	if len(files) == 0 {
		why := "not applicable: no registry certificates under " + dir
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			why = fmt.Sprintf("list %s: %v", dir, err)
		}
		a.add("3.7", dir, result.StatusNotAssessed, why)
		a.add("3.8", dir, result.StatusNotAssessed, why)
		return
	}
	for _, f := range files {
		a.statFile(fileCheck{"3.7", "3.8", "root:root", 0o444}, a.path(f), f, x)
	}
}
