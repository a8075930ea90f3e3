package dockerhost

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/rampartsec/rampart/internal/result"
)

// swarmAndOps assesses the daemon-wide controls of sections 5 and 6.
func (a *auditor) swarmAndOps(list []ContainerSummary, all bool) {
	switch st := a.info.Swarm.LocalNodeState; st {
	case "", "inactive":
		a.addf("5.1", "daemon", result.StatusPass, "swarm LocalNodeState %q (GET /info)", st)
	default:
		a.addf("5.1", "daemon", result.StatusFail, "swarm LocalNodeState %q (GET /info): confirm swarm is needed", st)
	}
	a.add("5.23", "daemon", result.StatusManual, "the engine keeps no record of exec options; review the daemon's audit log")
	a.add("5.24", "daemon", result.StatusManual, "the engine keeps no record of exec options; review the daemon's audit log")
	a.add("6.1", "daemon", result.StatusManual, "review `docker images` against the images in use")
	if all {
		stopped := 0
		for _, c := range list {
			if c.State != "running" {
				stopped++
			}
		}
		a.addf("6.2", "daemon", result.StatusManual, "%d containers, %d not running: review them", len(list), stopped)
	} else {
		a.addf("6.2", "daemon", result.StatusManual, "%d running containers (use --all to count stopped ones): review them", len(list))
	}
}

// containerControls are the section 5 controls assessed once per container.
var containerControls = func() []string {
	var ids []string
	for _, c := range Controls {
		if strings.HasPrefix(c.ID, "5.") && !slices.Contains([]string{"5.1", "5.23", "5.24"}, c.ID) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}()

// sensitiveDirs are the host directories 5.6 forbids mounting (and anything under them).
var sensitiveDirs = []string{"/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr"}

// containerChecks inspects one container once (and lists its processes once when it runs) and
// assesses every per-container control. warning is non-empty when the container changed
// under the audit.
func (a *auditor) containerChecks(ctx context.Context, eng *Engine, s ContainerSummary) (rs []Result, warning string) {
	ref := &ContainerRef{ID: s.ID, Name: summaryName(s), Image: s.Image, State: s.State}
	resource := func() string { return fmt.Sprintf("%s (%s)", ref.Name, shortID(ref.ID)) }
	add := func(id string, st result.Status, format string, args ...any) {
		r := newResult(id, resource(), st, fmt.Sprintf(format, args...))
		r.Container = ref
		rs = append(rs, r)
	}
	c, err := eng.Inspect(ctx, s.ID)
	if err != nil || c.HostConfig == nil {
		why := "container removed during the audit (listed, then inspect found none)"
		warning = "container removed during the audit"
		if err == nil {
			why, warning = "inspect returned no HostConfig", "inspect returned no HostConfig"
		} else if !errors.Is(err, ErrNoSuchContainer) {
			why, warning = fmt.Sprintf("inspect: %v", err), fmt.Sprintf("inspect: %v", err)
		}
		for _, id := range containerControls {
			add(id, result.StatusNotAssessed, "%s", why)
		}
		return rs, warning
	}
	ref.Name = strings.TrimPrefix(c.Name, "/")
	ref.State = c.State.Status
	if s.State == "running" && !c.State.Running {
		warning = fmt.Sprintf("container %s stopped during the audit (now %s)", ref.Name, c.State.Status)
	}
	a.assess(ctx, eng, c, add)
	return rs, warning
}

// topper lists a container's processes; [Engine] is one.
type topper interface {
	Top(ctx context.Context, id string) (*Top, error)
}

// addFunc records the result of one control for the container being assessed.
type addFunc func(id string, st result.Status, format string, args ...any)

// assess assesses every per-container control of an inspected container, one check group at a
// time. c.HostConfig must not be nil.
func (a *auditor) assess(ctx context.Context, eng topper, c *Container, add addFunc) {
	a.securityProfiles(c, add)
	privileges(c.HostConfig, add)
	a.mounts(c, add)
	a.sshd(ctx, eng, c, add)
	ports(c.HostConfig, add)
	namespaces(c.HostConfig, add)
	resources(c.HostConfig, add)
	lifecycle(c, add)
}

// securityProfiles assesses the kernel confinement: AppArmor (5.2), SELinux (5.3), seccomp
// (5.22) and no-new-privileges (5.26).
func (a *auditor) securityProfiles(c *Container, add addFunc) {
	hc := c.HostConfig
	if hasSecurityOpt(a.info.SecurityOptions, "name=apparmor") {
		switch p := c.AppArmorProfile; {
		case hc.Privileged:
			add("5.2", result.StatusFail, "privileged: AppArmor confinement is off (AppArmorProfile %q)", p)
		case p == "" || p == "unconfined":
			add("5.2", result.StatusFail, "AppArmorProfile %q", p)
		default:
			add("5.2", result.StatusPass, "AppArmorProfile %q", p)
		}
	} else {
		add("5.2", result.StatusNotAssessed, "not applicable: the daemon has no AppArmor support (GET /info SecurityOptions)")
	}

	if hasSecurityOpt(a.info.SecurityOptions, "name=selinux") {
		if opts := optsWith(hc.SecurityOpt, "label"); slices.ContainsFunc(opts, func(o string) bool { return strings.HasSuffix(o, "disable") }) {
			add("5.3", result.StatusFail, "SELinux labelling disabled: %s", strings.Join(opts, " "))
		} else {
			add("5.3", result.StatusPass, "SELinux enabled; label options: %s", orNone(opts))
		}
	} else {
		add("5.3", result.StatusNotAssessed, "not applicable: the daemon has no SELinux support (GET /info SecurityOptions)")
	}

	seccomp := optsWith(hc.SecurityOpt, "seccomp")
	if slices.ContainsFunc(seccomp, func(o string) bool { return strings.HasSuffix(o, "unconfined") }) {
		add("5.22", result.StatusFail, "SecurityOpt %s", strings.Join(seccomp, " "))
	} else {
		add("5.22", result.StatusPass, "seccomp options: %s", orNone(seccomp))
	}

	nnp := optsWith(hc.SecurityOpt, "no-new-privileges")
	daemonNNP := a.d.get("no-new-privileges", "", "no-new-privileges").last() == "true"
	switch {
	case slices.ContainsFunc(nnp, func(o string) bool { return strings.HasSuffix(o, "false") }):
		add("5.26", result.StatusFail, "SecurityOpt %s", strings.Join(nnp, " "))
	case len(nnp) > 0:
		add("5.26", result.StatusPass, "SecurityOpt %s", strings.Join(nnp, " "))
	case daemonNNP:
		add("5.26", result.StatusPass, "daemon default no-new-privileges=true")
	default:
		add("5.26", result.StatusFail, "no no-new-privileges in SecurityOpt, nor as daemon default")
	}
}

// privileges assesses what the container holds of the host's power: added capabilities (5.4),
// privileged mode (5.5) and host devices (5.18).
func privileges(hc *HostConfig, add addFunc) {
	if len(hc.CapAdd) > 0 {
		add("5.4", result.StatusFail, "CapAdd %s", strings.Join(hc.CapAdd, ","))
	} else {
		add("5.4", result.StatusPass, "no added capabilities")
	}

	if hc.Privileged {
		add("5.5", result.StatusFail, "HostConfig.Privileged true")
	} else {
		add("5.5", result.StatusPass, "HostConfig.Privileged false")
	}

	var devs []string
	for _, d := range hc.Devices {
		devs = append(devs, fmt.Sprintf("%s:%s:%s", d.PathOnHost, d.PathInContainer, d.CgroupPermissions))
	}
	failIf("5.18", add, devs, "host devices: ", "no host device")
}

// mounts assesses the container's filesystem: sensitive host directories (5.6), a read-only
// root filesystem (5.13), shared mount propagation (5.20) and the engine's socket (5.32).
func (a *auditor) mounts(c *Container, add addFunc) {
	var sens, prop, sock []string
	for _, m := range c.Mounts {
		if m.Type == "bind" && isSensitive(m.Source) {
			sens = append(sens, fmt.Sprintf("%s:%s (%s)", m.Source, m.Destination, rwMode(m)))
		}
		if m.Propagation == "shared" || m.Propagation == "rshared" {
			prop = append(prop, fmt.Sprintf("%s:%s %s", m.Source, m.Destination, m.Propagation))
		}
		if m.Source != "" && (m.Source == a.socket || path.Base(m.Source) == "docker.sock" || strings.HasSuffix(m.Source, "/docker.sock")) {
			sock = append(sock, fmt.Sprintf("%s:%s", m.Source, m.Destination))
		}
	}
	failIf("5.6", add, sens, "sensitive host directories mounted: ", "no sensitive host directory mounted")
	if c.HostConfig.ReadonlyRootfs {
		add("5.13", result.StatusPass, "ReadonlyRootfs true")
	} else {
		add("5.13", result.StatusFail, "ReadonlyRootfs false")
	}
	failIf("5.20", add, prop, "shared mount propagation: ", "no shared mount propagation")
	failIf("5.32", add, sock, "docker socket mounted: ", "docker socket not mounted")
}

// ports assesses the published ports: privileged host ports (5.8), every published port (5.9),
// ports bound to every interface (5.14), and the default bridge network (5.30).
func ports(hc *HostConfig, add addFunc) {
	var priv, all, wild []string
	for port, bs := range hc.PortBindings {
		for _, b := range bs {
			desc := fmt.Sprintf("%s:%s->%s", cmpOr(b.HostIP, "0.0.0.0"), cmpOr(b.HostPort, "(random)"), port)
			all = append(all, desc)
			if n, err := strconv.Atoi(b.HostPort); err == nil && n > 0 && n < 1024 {
				priv = append(priv, desc)
			}
			if b.HostIP == "" || b.HostIP == "0.0.0.0" || b.HostIP == "::" {
				wild = append(wild, desc)
			}
		}
	}
	slices.Sort(all)
	slices.Sort(priv)
	slices.Sort(wild)
	failIf("5.8", add, priv, "privileged host ports: ", "no host port below 1024")
	if len(all) == 0 {
		add("5.9", result.StatusPass, "no published ports")
	} else {
		add("5.9", result.StatusManual, "published ports: %s; confirm each is needed", strings.Join(all, ", "))
	}
	failIf("5.14", add, wild, "ports bound to every interface: ", "no port bound to every interface")

	switch hc.NetworkMode {
	case "default", "bridge":
		add("5.30", result.StatusFail, "NetworkMode %q: the default bridge", hc.NetworkMode)
	default:
		add("5.30", result.StatusPass, "NetworkMode %q", hc.NetworkMode)
	}
}

// namespaces assesses the host namespaces the container shares: network (5.10), PID (5.16),
// IPC (5.17), UTS (5.21) and user (5.31).
func namespaces(hc *HostConfig, add addFunc) {
	hostMode("5.10", add, "NetworkMode", hc.NetworkMode)
	hostMode("5.16", add, "PidMode", hc.PidMode)
	hostMode("5.17", add, "IpcMode", hc.IpcMode)
	hostMode("5.21", add, "UTSMode", hc.UTSMode)
	hostMode("5.31", add, "UsernsMode", hc.UsernsMode)
}

// resources assesses the resource limits: memory (5.11), CPU shares (5.12), ulimits (5.19),
// the cgroup parent (5.25) and the PIDs limit (5.29).
func resources(hc *HostConfig, add addFunc) {
	if hc.Memory > 0 {
		add("5.11", result.StatusPass, "Memory %d bytes", hc.Memory)
	} else {
		add("5.11", result.StatusFail, "no memory limit (HostConfig.Memory 0)")
	}
	if hc.CPUShares > 0 && hc.CPUShares != 1024 {
		add("5.12", result.StatusPass, "CpuShares %d", hc.CPUShares)
	} else {
		add("5.12", result.StatusFail, "CpuShares %d: the default priority", hc.CPUShares)
	}

	if len(hc.Ulimits) == 0 {
		add("5.19", result.StatusManual, "no per-container ulimits: the daemon default applies")
	} else {
		var us []string
		for _, u := range hc.Ulimits {
			us = append(us, fmt.Sprintf("%s=%d:%d", u.Name, u.Soft, u.Hard))
		}
		add("5.19", result.StatusManual, "ulimits overridden: %s; confirm they are needed", strings.Join(us, ", "))
	}

	if hc.CgroupParent != "" {
		add("5.25", result.StatusFail, "CgroupParent %q", hc.CgroupParent)
	} else {
		add("5.25", result.StatusPass, "default cgroup parent")
	}

	if hc.PidsLimit != nil && *hc.PidsLimit > 0 {
		add("5.29", result.StatusPass, "PidsLimit %d", *hc.PidsLimit)
	} else {
		add("5.29", result.StatusFail, "no PIDs limit")
	}
}

// lifecycle assesses how the container runs over time: its restart policy (5.15), its
// healthcheck (5.27) and its image (5.28).
func lifecycle(c *Container, add addFunc) {
	rp := c.HostConfig.RestartPolicy
	switch {
	case rp.Name == "" || rp.Name == "no":
		add("5.15", result.StatusPass, "restart policy %q", cmpOr(rp.Name, "no"))
	case rp.Name == "on-failure" && rp.MaximumRetryCount >= 1 && rp.MaximumRetryCount <= 5:
		add("5.15", result.StatusPass, "restart policy on-failure:%d", rp.MaximumRetryCount)
	case rp.Name == "on-failure":
		add("5.15", result.StatusFail, "restart policy on-failure:%d (0 is unlimited)", rp.MaximumRetryCount)
	default:
		add("5.15", result.StatusFail, "restart policy %q restarts without limit", rp.Name)
	}

	switch {
	case c.State.Health != nil:
		add("5.27", result.StatusPass, "health status %q", c.State.Health.Status)
	case c.Config != nil && c.Config.Healthcheck != nil && len(c.Config.Healthcheck.Test) > 0 && c.Config.Healthcheck.Test[0] != "NONE":
		add("5.27", result.StatusPass, "healthcheck %s", strings.Join(c.Config.Healthcheck.Test, " "))
	default:
		add("5.27", result.StatusFail, "no healthcheck")
	}

	img := c.Image
	if c.Config != nil && c.Config.Image != "" {
		img = c.Config.Image
	}
	add("5.28", result.StatusManual, "image %s (%s): confirm it was pulled fresh", img, shortID(strings.TrimPrefix(c.Image, "sha256:")))
}

// sshd assesses 5.7 from the container's process list.
func (a *auditor) sshd(ctx context.Context, eng topper, c *Container, add addFunc) {
	if !c.State.Running {
		add("5.7", result.StatusNotAssessed, "container is not running (%s): no process list", c.State.Status)
		return
	}
	top, err := eng.Top(ctx, c.ID)
	switch {
	case errors.Is(err, ErrNotRunning):
		add("5.7", result.StatusNotAssessed, "container stopped during the audit: no process list")
		return
	case errors.Is(err, ErrNoSuchContainer):
		add("5.7", result.StatusNotAssessed, "container removed during the audit: no process list")
		return
	case err != nil:
		add("5.7", result.StatusNotAssessed, "process list: %v", err)
		return
	}
	col := slices.IndexFunc(top.Titles, func(t string) bool { return t == "CMD" || t == "COMMAND" })
	if col < 0 {
		add("5.7", result.StatusNotAssessed, "process list has no command column (%s)", strings.Join(top.Titles, " "))
		return
	}
	for _, p := range top.Processes {
		if col >= len(p) {
			continue
		}
		f := strings.Fields(p[col])
		if len(f) > 0 && (path.Base(f[0]) == "sshd" || strings.HasPrefix(f[0], "sshd:")) {
			add("5.7", result.StatusFail, "process %q", p[col])
			return
		}
	}
	add("5.7", result.StatusPass, "no sshd among %d processes", len(top.Processes))
}

func failIf(id string, add addFunc, bad []string, failPrefix, passText string) {
	if len(bad) > 0 {
		add(id, result.StatusFail, "%s%s", failPrefix, strings.Join(bad, ", "))
		return
	}
	add(id, result.StatusPass, "%s", passText)
}

func hostMode(id string, add addFunc, field, v string) {
	if v == "host" {
		add(id, result.StatusFail, "%s %q", field, v)
		return
	}
	add(id, result.StatusPass, "%s %q", field, v)
}

func isSensitive(src string) bool {
	if src == "/" {
		return true
	}
	for _, d := range sensitiveDirs {
		if src == d || strings.HasPrefix(src, d+"/") {
			return true
		}
	}
	return false
}

func rwMode(m Mount) string {
	if m.RW {
		return "rw"
	}
	return "ro"
}

// optsWith returns the security options for key ("seccomp=…", "seccomp:…", or key alone).
func optsWith(opts []string, key string) []string {
	var out []string
	for _, o := range opts {
		if o == key || strings.HasPrefix(o, key+"=") || strings.HasPrefix(o, key+":") {
			out = append(out, o)
		}
	}
	return out
}

func hasSecurityOpt(opts []string, name string) bool {
	return slices.ContainsFunc(opts, func(o string) bool { return o == name || strings.HasPrefix(o, name+",") })
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func summaryName(s ContainerSummary) string {
	if len(s.Names) > 0 {
		return strings.TrimPrefix(s.Names[0], "/")
	}
	return shortID(s.ID)
}
