package posture

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/rampartsec/rampart/internal/finding"
)

// Pod Security Standards profiles.
const (
	ProfileBaseline   = "baseline"
	ProfileRestricted = "restricted"
	ProfilePrivileged = "privileged"
)

// pssCheck describes how Rampart reports one check of the reference implementation
// (k8s.io/pod-security-admission/policy): our ID, the Pod Security Standards control it
// implements, where its field lives, and the CIS/NSA controls it also covers.
type pssCheck struct {
	psa      policy.CheckID
	level    string // ProfileBaseline or ProfileRestricted, from the reference implementation
	id       string
	control  string // the control's name in the Pod Security Standards
	title    string
	severity finding.Severity
	// podField and containerField are the paths, relative to the pod spec (or a container), of
	// the field a violation is about. podField may start with "metadata." for annotations.
	podField, containerField string
	cis                      []string
	nsa                      []string
	remediation              string
}

// pssChecks lists every check of the reference implementation, in its order: baseline first.
var pssChecks = []pssCheck{
	{psa: "allowPrivilegeEscalation", id: "PS012", control: "Privilege Escalation", severity: finding.SeverityMedium,
		title:          "Container allows privilege escalation",
		containerField: "securityContext.allowPrivilegeEscalation", cis: []string{"5.2.6"}, nsa: []string{nsaPrivilege},
		remediation: "Set securityContext.allowPrivilegeEscalation: false on every container."},
	{psa: "appArmorProfile", id: "PS007", control: "AppArmor", severity: finding.SeverityMedium,
		title:    "AppArmor profile is unconfined or custom-disallowed",
		podField: "securityContext.appArmorProfile.type", containerField: "securityContext.appArmorProfile.type",
		remediation: "Leave the AppArmor profile unset or use RuntimeDefault or Localhost; never Unconfined."},
	{psa: "capabilities_baseline", id: "PS004", control: "Capabilities", severity: finding.SeverityHigh,
		title:          "Container adds capabilities beyond the default set",
		containerField: "securityContext.capabilities.add", cis: []string{"5.2.9"}, nsa: []string{nsaPrivilege},
		remediation: "Remove capabilities outside the runtime's default set from securityContext.capabilities.add."},
	{psa: "hostNamespaces", id: "PS002", control: "Host Namespaces", severity: finding.SeverityHigh,
		title:    "Pod shares the host's network, PID or IPC namespace",
		podField: "hostNetwork", nsa: []string{nsaHostIsolation},
		remediation: "Remove hostNetwork, hostPID and hostIPC (or set them to false)."},
	{psa: "hostPathVolumes", id: "PS005", control: "HostPath Volumes", severity: finding.SeverityHigh,
		title:    "Pod mounts a hostPath volume",
		podField: "volumes", cis: []string{"5.2.12"}, nsa: []string{nsaHostIsolation},
		remediation: "Replace hostPath volumes with emptyDir, configMap, secret or persistent volume claims."},
	{psa: "hostPorts", id: "PS006", control: "Host Ports", severity: finding.SeverityMedium,
		title:          "Container binds a host port",
		containerField: "ports", cis: []string{"5.2.13"}, nsa: []string{nsaHostIsolation},
		remediation: "Remove hostPort from container ports; expose the pod through a Service instead."},
	{psa: "privileged", id: "PS003", control: "Privileged Containers", severity: finding.SeverityCritical,
		title:          "Container runs privileged",
		containerField: "securityContext.privileged", cis: []string{"5.2.2"}, nsa: []string{nsaPrivilege},
		remediation: "Set securityContext.privileged: false (or remove it); grant only the capabilities needed."},
	{psa: "procMount", id: "PS009", control: "/proc Mount Type", severity: finding.SeverityMedium,
		title:          "Container unmasks /proc",
		containerField: "securityContext.procMount",
		remediation:    "Remove securityContext.procMount or set it to Default."},
	{psa: "restrictedVolumes", id: "PS013", control: "Volume Types", severity: finding.SeverityMedium,
		title:    "Pod uses a volume type outside the restricted set",
		podField: "volumes", nsa: []string{nsaHostIsolation},
		remediation: "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes."},
	{psa: "runAsNonRoot", id: "PS014", control: "Running as Non-root", severity: finding.SeverityMedium,
		title:    "Containers may run as root (runAsNonRoot is not true)",
		podField: "securityContext.runAsNonRoot", containerField: "securityContext.runAsNonRoot", cis: []string{"5.2.7"}, nsa: []string{nsaNonRoot},
		remediation: "Set securityContext.runAsNonRoot: true on the pod (or on every container) and run as a non-zero UID."},
	{psa: "runAsUser", id: "PS015", control: "Running as Non-root user", severity: finding.SeverityMedium,
		title:    "Container runs as UID 0",
		podField: "securityContext.runAsUser", containerField: "securityContext.runAsUser", cis: []string{"5.2.7"}, nsa: []string{nsaNonRoot},
		remediation: "Set securityContext.runAsUser to a non-zero UID, or leave it unset and rely on runAsNonRoot."},
	{psa: "seLinuxOptions", id: "PS008", control: "SELinux", severity: finding.SeverityMedium,
		title:    "SELinux options set a custom user, role or type",
		podField: "securityContext.seLinuxOptions", containerField: "securityContext.seLinuxOptions",
		remediation: "Leave seLinuxOptions.user and role unset and use only the container_t, container_init_t, container_kvm_t or container_engine_t types."},
	{psa: "seccompProfile_baseline", id: "PS010", control: "Seccomp", severity: finding.SeverityHigh,
		title:    "Seccomp profile is Unconfined",
		podField: "securityContext.seccompProfile.type", containerField: "securityContext.seccompProfile.type", cis: []string{"5.7.2"},
		remediation: "Do not set the seccomp profile to Unconfined; use RuntimeDefault or Localhost."},
	{psa: "seccompProfile_restricted", id: "PS016", control: "Seccomp", severity: finding.SeverityMedium,
		title:    "Seccomp profile is not set to RuntimeDefault or Localhost",
		podField: "securityContext.seccompProfile.type", containerField: "securityContext.seccompProfile.type", cis: []string{"5.7.2"},
		remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a profile)."},
	{psa: "sysctls", id: "PS011", control: "Sysctls", severity: finding.SeverityHigh,
		title:       "Pod sets an unsafe sysctl",
		podField:    "securityContext.sysctls",
		remediation: "Set only the safe namespaced sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_rmem, net.ipv4.tcp_wmem)."},
	{psa: "capabilities_restricted", id: "PS017", control: "Capabilities", severity: finding.SeverityMedium,
		title:          "Container does not drop ALL capabilities or adds one other than NET_BIND_SERVICE",
		containerField: "securityContext.capabilities", cis: []string{"5.2.8", "5.2.10"}, nsa: []string{nsaPrivilege},
		remediation: "Set securityContext.capabilities.drop: [ALL] and add back at most NET_BIND_SERVICE."},
	{psa: "windowsHostProcess", id: "PS001", control: "HostProcess", severity: finding.SeverityCritical,
		title:    "Windows HostProcess container",
		podField: "securityContext.windowsOptions.hostProcess", containerField: "securityContext.windowsOptions.hostProcess", cis: []string{"5.2.11"}, nsa: []string{nsaPrivilege},
		remediation: "Remove securityContext.windowsOptions.hostProcess."},
}

// pssEngine evaluates pods check by check, as the reference registry does, so that each
// violation keeps the ID of the check that found it.
type pssEngine struct {
	checks map[policy.CheckID]policy.Check
	info   map[policy.CheckID]*pssCheck
}

// defaultEngine is the engine over the reference checks, built once.
var defaultEngine = sync.OnceValues(newPSSEngine)

func newPSSEngine() (*pssEngine, error) {
	e := &pssEngine{checks: map[policy.CheckID]policy.Check{}, info: map[policy.CheckID]*pssCheck{}}
	for _, c := range policy.DefaultChecks() {
		e.checks[c.ID] = c
	}
	for i := range pssChecks {
		c := &pssChecks[i]
		if _, ok := e.checks[c.psa]; !ok {
			return nil, fmt.Errorf("pod security check %s: not in the reference implementation", c.psa)
		}
		c.level = string(e.checks[c.psa].Level)
		e.info[c.psa] = c
	}
	for id := range e.checks {
		if e.info[id] == nil {
			// A new check in a newer pod-security-admission: it must be mapped before use.
			return nil, fmt.Errorf("pod security check %s: not mapped to a Rampart check", id)
		}
	}
	return e, nil
}

// versioned returns the revision of c that applies at v, and false when none does.
func versioned(c policy.Check, v psaapi.Version) (policy.VersionedCheck, bool) {
	var out policy.VersionedCheck
	found := false
	for _, vc := range c.Versions {
		if v.Latest() || !v.Older(vc.MinimumVersion) {
			out, found = vc, true
		}
	}
	return out, found
}

// active returns the checks a profile runs at version v: its own level's checks and, for
// restricted, the baseline checks no restricted check overrides.
func (e *pssEngine) active(level psaapi.Level, v psaapi.Version) map[policy.CheckID]policy.VersionedCheck {
	out := map[policy.CheckID]policy.VersionedCheck{}
	if level == psaapi.LevelPrivileged {
		return out
	}
	overridden := map[policy.CheckID]bool{}
	for id, c := range e.checks {
		if c.Level == psaapi.LevelRestricted && level != psaapi.LevelRestricted {
			continue
		}
		vc, ok := versioned(c, v)
		if !ok {
			continue
		}
		out[id] = vc
		for _, o := range vc.OverrideCheckIDs {
			overridden[o] = true
		}
	}
	for id := range overridden {
		delete(out, id)
	}
	return out
}

// violation is one failed check on one pod template, attributed to the pod or one container.
type violation struct {
	check     *pssCheck
	reason    string
	detail    string
	container string // "" for the pod
	field     string // relative to the pod template: "spec.containers[0].securityContext.privileged"
}

// evaluate runs every check of level at version v on a pod template and returns the
// violations, sorted by check ID then field.
func (e *pssEngine) evaluate(level psaapi.Level, v psaapi.Version, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []violation {
	var out []violation
	for id, vc := range e.active(level, v) {
		r := vc.CheckPod(meta, spec)
		if r.Allowed {
			continue
		}
		out = append(out, e.attribute(e.info[id], vc.CheckPod, r, meta, spec)...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].check.id != out[j].check.id {
			return out[i].check.id < out[j].check.id
		}
		return out[i].field < out[j].field
	})
	return out
}

// attribute finds what a failed check is about by running it again on reduced copies of the pod:
// with no containers (a pod-level setting), and with one container at a time.
func (e *pssEngine) attribute(c *pssCheck, fn policy.CheckPodFn, r policy.CheckResult, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []violation {
	base := violation{check: c, reason: r.ForbiddenReason, detail: r.ForbiddenDetail}
	podOnly := *spec
	podOnly.InitContainers, podOnly.Containers, podOnly.EphemeralContainers = nil, nil, nil
	if !fn(meta, &podOnly).Allowed {
		v := base
		v.field = podLevelField(c, fn, meta, &podOnly)
		return []violation{v}
	}
	var out []violation
	try := func(list string, i int, ctr *corev1.Container, one corev1.PodSpec) {
		if fn(meta, &one).Allowed {
			return
		}
		v := base
		v.container = ctr.Name
		v.field = fmt.Sprintf("spec.%s[%d]", list, i) + containerField(c, ctr)
		out = append(out, v)
	}
	for i := range spec.InitContainers {
		one := podOnly
		one.InitContainers = spec.InitContainers[i : i+1]
		try("initContainers", i, &spec.InitContainers[i], one)
	}
	for i := range spec.Containers {
		one := podOnly
		one.Containers = spec.Containers[i : i+1]
		try("containers", i, &spec.Containers[i], one)
	}
	for i := range spec.EphemeralContainers {
		one := podOnly
		one.EphemeralContainers = spec.EphemeralContainers[i : i+1]
		try("ephemeralContainers", i, (*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon), one)
	}
	if len(out) == 0 {
		// Only the combination fails: report it on the pod spec as a whole.
		base.field = "spec"
		out = append(out, base)
	}
	return out
}

// podLevelField names the pod-level field a failing check is about.
func podLevelField(c *pssCheck, fn policy.CheckPodFn, meta *metav1.ObjectMeta, podOnly *corev1.PodSpec) string {
	switch c.psa {
	case "hostNamespaces":
		switch {
		case podOnly.HostNetwork:
			return "spec.hostNetwork"
		case podOnly.HostPID:
			return "spec.hostPID"
		case podOnly.HostIPC:
			return "spec.hostIPC"
		}
	case "hostPathVolumes", "restrictedVolumes":
		// The first volume that fails on its own.
		for i := range podOnly.Volumes {
			one := *podOnly
			one.Volumes = podOnly.Volumes[i : i+1]
			if !fn(meta, &one).Allowed {
				return fmt.Sprintf("spec.volumes[%d]", i)
			}
		}
		return "spec.volumes"
	case "appArmorProfile":
		if sc := podOnly.SecurityContext; sc == nil || sc.AppArmorProfile == nil {
			// The legacy per-container annotation.
			keys := make([]string, 0, len(meta.Annotations))
			for k := range meta.Annotations {
				if strings.HasPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix) {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				m := *meta
				m.Annotations = map[string]string{k: meta.Annotations[k]}
				if !fn(&m, podOnly).Allowed {
					return "metadata.annotations[" + k + "]"
				}
			}
		}
	case "sysctls":
		if sc := podOnly.SecurityContext; sc != nil {
			for i := range sc.Sysctls {
				one := *podOnly
				s := *sc
				s.Sysctls = sc.Sysctls[i : i+1]
				one.SecurityContext = &s
				if !fn(meta, &one).Allowed {
					return fmt.Sprintf("spec.securityContext.sysctls[%d]", i)
				}
			}
		}
	}
	if c.podField == "" {
		return "spec"
	}
	return "spec." + c.podField
}

// containerField names the field of one container a failing check is about, with a leading dot.
func containerField(c *pssCheck, ctr *corev1.Container) string {
	sc := ctr.SecurityContext
	switch c.psa {
	case "hostPorts":
		for i, p := range ctr.Ports {
			if p.HostPort != 0 {
				return fmt.Sprintf(".ports[%d].hostPort", i)
			}
		}
	case "capabilities_restricted":
		if sc == nil || sc.Capabilities == nil || !hasCap(sc.Capabilities.Drop, "ALL") {
			return ".securityContext.capabilities.drop"
		}
		return ".securityContext.capabilities.add"
	}
	if c.containerField == "" {
		return ""
	}
	return "." + c.containerField
}

func hasCap(caps []corev1.Capability, name string) bool {
	for _, c := range caps {
		if string(c) == name {
			return true
		}
	}
	return false
}

// Allowed reports whether a pod template meets a Pod Security Standards profile at a policy
// version ("latest" or "v1.N"), exactly as the API server's PodSecurity admission decides it
// (the same reference checks), and the reasons when it does not.
func Allowed(profile, version string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (bool, []string, error) {
	lv, err := levelVersion(profile, version)
	if err != nil {
		return false, nil, err
	}
	e, err := defaultEngine()
	if err != nil {
		return false, nil, err
	}
	if meta == nil {
		meta = &metav1.ObjectMeta{}
	}
	var reasons []string
	for _, v := range e.evaluate(lv.Level, lv.Version, meta, spec) {
		reasons = append(reasons, string(v.check.psa)+": "+v.field)
	}
	return len(reasons) == 0, reasons, nil
}

func levelVersion(profile, version string) (psaapi.LevelVersion, error) {
	l, err := psaapi.ParseLevel(profile)
	if err != nil {
		return psaapi.LevelVersion{}, fmt.Errorf("pod security level %q: %w", profile, err)
	}
	if version == "" {
		version = psaapi.VersionLatest
	}
	v, err := psaapi.ParseVersion(version)
	if err != nil {
		return psaapi.LevelVersion{}, fmt.Errorf("pod security version %q: %w", version, err)
	}
	return psaapi.LevelVersion{Level: l, Version: v}, nil
}
