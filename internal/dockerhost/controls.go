package dockerhost

import (
	"github.com/rampartsec/rampart/internal/finding"
)

// Assessment says how `rampart docker` assesses a control.
type Assessment string

// Ways of assessing a control.
const (
	// Automated controls are decided from evidence: pass, fail, or not_assessed with the reason.
	Automated Assessment = "automated"
	// Manual controls need a person's judgement; the result carries the evidence to judge.
	Manual Assessment = "manual"
	// Elsewhere marks the image and Dockerfile controls of section 4, which `rampart image`
	// checks; `rampart docker` reports no result for them.
	Elsewhere Assessment = "image"
)

// Control is one control of the CIS Docker Benchmark v1.6.0.
type Control struct {
	ID       string // "5.5"
	Rule     string // Rampart's stable rule ID, "DH505", used as the finding ID
	Title    string
	Severity finding.Severity // of the finding a failure becomes
	How      Assessment
	// Reads says what evidence the audit reads, for docs/cis-docker.md.
	Reads       string
	Remediation string
}

// Sections names the benchmark's sections.
var Sections = []struct{ ID, Title string }{
	{"1", "Host Configuration"},
	{"2", "Docker daemon configuration"},
	{"3", "Docker daemon configuration files"},
	{"4", "Container Images and Build File"},
	{"5", "Container Runtime"},
	{"6", "Docker Security Operations"},
}

const (
	low    = finding.SeverityLow
	medium = finding.SeverityMedium
	high   = finding.SeverityHigh
	crit   = finding.SeverityCritical
)

// auditFile builds the 1.1.x auditd controls.
func auditFile(id, rule, path string) Control {
	return Control{ID: id, Rule: rule, Title: "Ensure auditing is configured for " + path, Severity: low, How: Automated,
		Reads:       "`auditctl -l`, else /etc/audit/audit.rules and /etc/audit/rules.d/*.rules; not assessed without auditd or when the path is absent",
		Remediation: "add an audit rule such as `-w " + path + " -k docker` to /etc/audit/rules.d/docker.rules and reload auditd"}
}

func ownership(id, rule, what, owner, paths string) Control {
	return Control{ID: id, Rule: rule, Title: "Ensure that " + what + " ownership is set to " + owner, Severity: medium, How: Automated,
		Reads:       "stat of " + paths + "; not assessed when absent",
		Remediation: "chown " + owner + " " + what}
}

func perms(id, rule, what, mode, paths string) Control {
	return Control{ID: id, Rule: rule, Title: "Ensure that " + what + " permissions are set to " + mode + " or more restrictive", Severity: medium, How: Automated,
		Reads:       "stat of " + paths + "; not assessed when absent",
		Remediation: "chmod " + mode + " " + what}
}

const (
	svcPaths  = "/lib/systemd/system, /usr/lib/systemd/system or /etc/systemd/system"
	certPaths = "every file under /etc/docker/certs.d/"
	tlsFlag   = "the file named by --tlscacert, --tlscert or --tlskey (command line or daemon.json)"
)

// Controls lists every control of the CIS Docker Benchmark v1.6.0, in order. It is not modified.
var Controls = []Control{
	{ID: "1.1.1", Rule: "DH101", Title: "Ensure a separate partition for containers has been created", Severity: low, How: Automated,
		Reads: "/proc/mounts: a mount point at the engine's DockerRootDir", Remediation: "put /var/lib/docker on its own partition or logical volume"},
	{ID: "1.1.2", Rule: "DH102", Title: "Ensure only trusted users are allowed to control Docker daemon", Severity: medium, How: Automated,
		Reads: "members of the docker group in /etc/group, and users whose primary group it is in /etc/passwd: pass when there are none, manual review of the listed members otherwise", Remediation: "remove untrusted users from the docker group (gpasswd -d USER docker)"},
	auditFile("1.1.3", "DH103", "/usr/bin/dockerd"),
	auditFile("1.1.4", "DH104", "/run/containerd"),
	auditFile("1.1.5", "DH105", "/var/lib/docker"),
	auditFile("1.1.6", "DH106", "/etc/docker"),
	auditFile("1.1.7", "DH107", "docker.service"),
	auditFile("1.1.8", "DH108", "containerd.sock"),
	auditFile("1.1.9", "DH109", "docker.socket"),
	auditFile("1.1.10", "DH110", "/etc/default/docker"),
	auditFile("1.1.11", "DH111", "/etc/docker/daemon.json"),
	auditFile("1.1.12", "DH112", "/etc/containerd/config.toml"),
	auditFile("1.1.13", "DH113", "/etc/sysconfig/docker"),
	auditFile("1.1.14", "DH114", "/usr/bin/containerd"),
	auditFile("1.1.15", "DH115", "/usr/bin/containerd-shim"),
	auditFile("1.1.16", "DH116", "/usr/bin/containerd-shim-runc-v1"),
	auditFile("1.1.17", "DH117", "/usr/bin/containerd-shim-runc-v2"),
	auditFile("1.1.18", "DH118", "/usr/bin/runc"),
	{ID: "1.2.1", Rule: "DH121", Title: "Ensure the container host has been Hardened", Severity: low, How: Manual,
		Reads: "nothing: host hardening is outside what the engine shows", Remediation: "harden the host following the CIS benchmark for its distribution"},
	{ID: "1.2.2", Rule: "DH122", Title: "Ensure that the version of Docker is up to date", Severity: low, How: Manual,
		Reads: "GET /version: the engine, API, containerd and runc versions, for comparison with the latest release", Remediation: "upgrade the docker engine to a supported release"},

	{ID: "2.1", Rule: "DH201", Title: "Run the Docker daemon as a non-root user, if possible", Severity: low, How: Manual,
		Reads: "GET /info SecurityOptions: pass for rootless mode, manual otherwise", Remediation: "consider rootless mode (dockerd-rootless-setuptool.sh)"},
	{ID: "2.2", Rule: "DH202", Title: "Ensure network traffic is restricted between containers on the default bridge", Severity: medium, How: Automated,
		Reads: "--icc and --bridge on the dockerd command line, icc and bridge in daemon.json", Remediation: "set \"icc\": false in daemon.json, or run without the default bridge (--bridge=none)"},
	{ID: "2.3", Rule: "DH203", Title: "Ensure the logging level is set to 'info'", Severity: low, How: Automated,
		Reads: "--log-level/-l and --debug/-D on the command line, log-level and debug in daemon.json", Remediation: "set \"log-level\": \"info\" in daemon.json"},
	{ID: "2.4", Rule: "DH204", Title: "Ensure Docker is allowed to make changes to iptables", Severity: medium, How: Automated,
		Reads: "--iptables on the command line, iptables in daemon.json", Remediation: "remove --iptables=false / \"iptables\": false"},
	{ID: "2.5", Rule: "DH205", Title: "Ensure insecure registries are not used", Severity: high, How: Automated,
		Reads: "--insecure-registry, insecure-registries in daemon.json and GET /info RegistryConfig (registries not marked secure, beyond loopback)", Remediation: "remove insecure-registries; give registries TLS certificates"},
	{ID: "2.6", Rule: "DH206", Title: "Ensure aufs storage driver is not used", Severity: medium, How: Automated,
		Reads: "GET /info Driver", Remediation: "use the overlay2 storage driver"},
	{ID: "2.7", Rule: "DH207", Title: "Ensure TLS authentication for Docker daemon is configured", Severity: crit, How: Automated,
		Reads: "-H/--host and --tlsverify/--tlscacert/--tlscert/--tlskey on the command line, hosts and tls* in daemon.json", Remediation: "listen on TCP only with --tlsverify and --tlscacert, --tlscert, --tlskey"},
	{ID: "2.8", Rule: "DH208", Title: "Ensure the default ulimit is configured appropriately", Severity: low, How: Manual,
		Reads: "--default-ulimit and default-ulimits in daemon.json, shown for review", Remediation: "set default-ulimits for nofile and nproc suited to the workload"},
	{ID: "2.9", Rule: "DH209", Title: "Enable user namespace support", Severity: medium, How: Automated,
		Reads: "GET /info SecurityOptions (name=userns), --userns-remap, userns-remap in daemon.json", Remediation: "set \"userns-remap\": \"default\" in daemon.json"},
	{ID: "2.10", Rule: "DH210", Title: "Ensure the default cgroup usage has been confirmed", Severity: low, How: Automated,
		Reads: "--cgroup-parent and cgroup-parent in daemon.json: pass when unset, manual review of a custom parent", Remediation: "leave cgroup-parent at its default unless a custom parent is required"},
	{ID: "2.11", Rule: "DH211", Title: "Ensure base device size is not changed until needed", Severity: low, How: Automated,
		Reads: "--storage-opt and storage-opts in daemon.json: pass when no dm.basesize, manual review otherwise", Remediation: "remove dm.basesize unless needed"},
	{ID: "2.12", Rule: "DH212", Title: "Ensure that authorization for Docker client commands is enabled", Severity: medium, How: Automated,
		Reads: "GET /info Plugins.Authorization", Remediation: "install an authorization plugin and set --authorization-plugin"},
	{ID: "2.13", Rule: "DH213", Title: "Ensure centralized and remote logging is configured", Severity: low, How: Automated,
		Reads: "GET /info LoggingDriver (syslog, journald, gelf, fluentd, awslogs, splunk, gcplogs, logentries, etwlogs pass)", Remediation: "set log-driver to a remote driver such as syslog or fluentd"},
	{ID: "2.14", Rule: "DH214", Title: "Ensure containers are restricted from acquiring new privileges", Severity: medium, How: Automated,
		Reads: "--no-new-privileges and no-new-privileges in daemon.json", Remediation: "set \"no-new-privileges\": true in daemon.json"},
	{ID: "2.15", Rule: "DH215", Title: "Ensure live restore is enabled", Severity: low, How: Automated,
		Reads: "GET /info LiveRestoreEnabled", Remediation: "set \"live-restore\": true in daemon.json"},
	{ID: "2.16", Rule: "DH216", Title: "Ensure Userland Proxy is Disabled", Severity: low, How: Automated,
		Reads: "--userland-proxy and userland-proxy in daemon.json", Remediation: "set \"userland-proxy\": false in daemon.json"},
	{ID: "2.17", Rule: "DH217", Title: "Ensure that a daemon-wide custom seccomp profile is applied if appropriate", Severity: medium, How: Automated,
		Reads: "GET /info SecurityOptions (name=seccomp,profile=…): fail when unconfined or seccomp is absent, manual review of the default or custom profile", Remediation: "keep seccomp on; set seccomp-profile to a custom profile if the default is not suitable"},
	{ID: "2.18", Rule: "DH218", Title: "Ensure that experimental features are not implemented in production", Severity: low, How: Automated,
		Reads: "GET /info ExperimentalBuild", Remediation: "remove --experimental / \"experimental\": true"},

	ownership("3.1", "DH301", "the docker.service file", "root:root", svcPaths),
	perms("3.2", "DH302", "the docker.service file", "644", svcPaths),
	ownership("3.3", "DH303", "the docker.socket file", "root:root", svcPaths),
	perms("3.4", "DH304", "the docker.socket file", "644", svcPaths),
	ownership("3.5", "DH305", "the /etc/docker directory", "root:root", "/etc/docker"),
	perms("3.6", "DH306", "the /etc/docker directory", "755", "/etc/docker"),
	ownership("3.7", "DH307", "registry certificate file", "root:root", certPaths),
	perms("3.8", "DH308", "registry certificate file", "444", certPaths),
	ownership("3.9", "DH309", "TLS CA certificate file", "root:root", tlsFlag),
	perms("3.10", "DH310", "TLS CA certificate file", "444", tlsFlag),
	ownership("3.11", "DH311", "Docker server certificate file", "root:root", tlsFlag),
	perms("3.12", "DH312", "Docker server certificate file", "444", tlsFlag),
	ownership("3.13", "DH313", "Docker server certificate key file", "root:root", tlsFlag),
	perms("3.14", "DH314", "Docker server certificate key file", "400", tlsFlag),
	ownership("3.15", "DH315", "Docker socket file", "root:docker", "the engine's unix socket"),
	perms("3.16", "DH316", "Docker socket file", "660", "the engine's unix socket"),
	ownership("3.17", "DH317", "daemon.json file", "root:root", "the file named by --config-file, else /etc/docker/daemon.json"),
	perms("3.18", "DH318", "daemon.json file", "644", "the file named by --config-file, else /etc/docker/daemon.json"),
	ownership("3.19", "DH319", "/etc/default/docker file", "root:root", "/etc/default/docker"),
	perms("3.20", "DH320", "/etc/default/docker file", "644", "/etc/default/docker"),
	perms("3.21", "DH321", "/etc/sysconfig/docker file", "644", "/etc/sysconfig/docker"),
	ownership("3.22", "DH322", "/etc/sysconfig/docker file", "root:root", "/etc/sysconfig/docker"),
	ownership("3.23", "DH323", "Containerd socket file", "root:root", "/run/containerd/containerd.sock, else /var/run/docker/containerd/containerd.sock"),
	perms("3.24", "DH324", "Containerd socket file", "660", "/run/containerd/containerd.sock, else /var/run/docker/containerd/containerd.sock"),

	{ID: "4.1", Title: "Ensure that a user for the container has been created", How: Elsewhere},
	{ID: "4.2", Title: "Ensure that containers use only trusted base images", How: Elsewhere},
	{ID: "4.3", Title: "Ensure that unnecessary packages are not installed in the container", How: Elsewhere},
	{ID: "4.4", Title: "Ensure images are scanned and rebuilt to include security patches", How: Elsewhere},
	{ID: "4.5", Title: "Ensure Content trust for Docker is Enabled", How: Elsewhere},
	{ID: "4.6", Title: "Ensure that HEALTHCHECK instructions have been added to container images", How: Elsewhere},
	{ID: "4.7", Title: "Ensure update instructions are not used alone in Dockerfiles", How: Elsewhere},
	{ID: "4.8", Title: "Ensure setuid and setgid permissions are removed", How: Elsewhere},
	{ID: "4.9", Title: "Ensure that COPY is used instead of ADD in Dockerfiles", How: Elsewhere},
	{ID: "4.10", Title: "Ensure secrets are not stored in Dockerfiles", How: Elsewhere},
	{ID: "4.11", Title: "Ensure only verified packages are installed", How: Elsewhere},
	{ID: "4.12", Title: "Ensure all signed artifacts are validated", How: Elsewhere},

	{ID: "5.1", Rule: "DH501", Title: "Ensure swarm mode is not Enabled, if not needed", Severity: low, How: Automated,
		Reads: "GET /info Swarm.LocalNodeState", Remediation: "docker swarm leave, if swarm is not needed"},
	{ID: "5.2", Rule: "DH502", Title: "Ensure that, if applicable, an AppArmor Profile is enabled", Severity: medium, How: Automated,
		Reads: "inspect AppArmorProfile; not assessed when the daemon has no AppArmor (GET /info SecurityOptions)", Remediation: "run with --security-opt apparmor=PROFILE (docker-default at least)"},
	{ID: "5.3", Rule: "DH503", Title: "Ensure that, if applicable, SELinux security options are set", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.SecurityOpt label options; not assessed when the daemon has no SELinux support", Remediation: "run with --security-opt label=level:… and the daemon with --selinux-enabled"},
	{ID: "5.4", Rule: "DH504", Title: "Ensure that Linux kernel capabilities are restricted within containers", Severity: high, How: Automated,
		Reads: "inspect HostConfig.CapAdd", Remediation: "drop --cap-add; add only the capabilities the process needs after --cap-drop ALL"},
	{ID: "5.5", Rule: "DH505", Title: "Ensure that privileged containers are not used", Severity: crit, How: Automated,
		Reads: "inspect HostConfig.Privileged", Remediation: "run without --privileged"},
	{ID: "5.6", Rule: "DH506", Title: "Ensure sensitive host system directories are not mounted on containers", Severity: high, How: Automated,
		Reads: "inspect Mounts: bind sources /, /boot, /dev, /etc, /lib, /proc, /sys, /usr and paths under them", Remediation: "do not bind-mount host system directories"},
	{ID: "5.7", Rule: "DH507", Title: "Ensure sshd is not run within containers", Severity: medium, How: Automated,
		Reads: "GET /containers/{id}/top once per running container: a process named sshd; not assessed for stopped containers", Remediation: "remove sshd from the image; use docker exec"},
	{ID: "5.8", Rule: "DH508", Title: "Ensure privileged ports are not mapped within containers", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.PortBindings: a host port below 1024", Remediation: "publish on host ports 1024 and above"},
	{ID: "5.9", Rule: "DH509", Title: "Ensure that only needed ports are open on the container", Severity: low, How: Automated,
		Reads: "inspect HostConfig.PortBindings: pass when none is published, manual review of the published list otherwise", Remediation: "publish only the ports the service needs; avoid -P"},
	{ID: "5.10", Rule: "DH510", Title: "Ensure that the host's network namespace is not shared", Severity: high, How: Automated,
		Reads: "inspect HostConfig.NetworkMode", Remediation: "run without --network host"},
	{ID: "5.11", Rule: "DH511", Title: "Ensure that the memory usage for containers is limited", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.Memory", Remediation: "set --memory"},
	{ID: "5.12", Rule: "DH512", Title: "Ensure that CPU priority is set appropriately on containers", Severity: low, How: Automated,
		Reads: "inspect HostConfig.CpuShares (0 and 1024 are the default)", Remediation: "set --cpu-shares"},
	{ID: "5.13", Rule: "DH513", Title: "Ensure that the container's root filesystem is mounted as read only", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.ReadonlyRootfs", Remediation: "run with --read-only and writable volumes or tmpfs where needed"},
	{ID: "5.14", Rule: "DH514", Title: "Ensure that incoming container traffic is bound to a specific host interface", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.PortBindings: HostIp empty, 0.0.0.0 or ::", Remediation: "publish with -p IP:HOSTPORT:PORT"},
	{ID: "5.15", Rule: "DH515", Title: "Ensure that the 'on-failure' container restart policy is set to '5'", Severity: low, How: Automated,
		Reads: "inspect HostConfig.RestartPolicy: no, or on-failure with 1 to 5 retries, pass", Remediation: "use --restart on-failure:5"},
	{ID: "5.16", Rule: "DH516", Title: "Ensure that the host's process namespace is not shared", Severity: high, How: Automated,
		Reads: "inspect HostConfig.PidMode", Remediation: "run without --pid host"},
	{ID: "5.17", Rule: "DH517", Title: "Ensure that the host's IPC namespace is not shared", Severity: high, How: Automated,
		Reads: "inspect HostConfig.IpcMode", Remediation: "run without --ipc host"},
	{ID: "5.18", Rule: "DH518", Title: "Ensure that host devices are not directly exposed to containers", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.Devices", Remediation: "do not pass --device, or restrict it to the needed permissions"},
	{ID: "5.19", Rule: "DH519", Title: "Ensure that the default ulimit is overwritten at runtime if needed", Severity: low, How: Manual,
		Reads: "inspect HostConfig.Ulimits, shown for review", Remediation: "override ulimits per container only where needed"},
	{ID: "5.20", Rule: "DH520", Title: "Ensure mount propagation mode is not set to shared", Severity: medium, How: Automated,
		Reads: "inspect Mounts[].Propagation (shared, rshared)", Remediation: "mount volumes with private or slave propagation"},
	{ID: "5.21", Rule: "DH521", Title: "Ensure that the host's UTS namespace is not shared", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.UTSMode", Remediation: "run without --uts host"},
	{ID: "5.22", Rule: "DH522", Title: "Ensure the default seccomp profile is not Disabled", Severity: high, How: Automated,
		Reads: "inspect HostConfig.SecurityOpt (seccomp=unconfined)", Remediation: "remove --security-opt seccomp=unconfined"},
	{ID: "5.23", Rule: "DH523", Title: "Ensure that docker exec commands are not used with the privileged option", Severity: medium, How: Manual,
		Reads: "nothing the engine keeps: review the daemon's audit log for exec with --privileged", Remediation: "do not use docker exec --privileged"},
	{ID: "5.24", Rule: "DH524", Title: "Ensure that docker exec commands are not used with the user=root option", Severity: medium, How: Manual,
		Reads: "nothing the engine keeps: review the daemon's audit log for exec with --user root", Remediation: "do not use docker exec --user root"},
	{ID: "5.25", Rule: "DH525", Title: "Ensure that cgroup usage is confirmed", Severity: low, How: Automated,
		Reads: "inspect HostConfig.CgroupParent: fail when set", Remediation: "run without --cgroup-parent unless required"},
	{ID: "5.26", Rule: "DH526", Title: "Ensure that the container is restricted from acquiring additional privileges", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.SecurityOpt (no-new-privileges), or the daemon-wide default (2.14)", Remediation: "run with --security-opt no-new-privileges"},
	{ID: "5.27", Rule: "DH527", Title: "Ensure that container health is checked at runtime", Severity: low, How: Automated,
		Reads: "inspect Config.Healthcheck and State.Health", Remediation: "add a HEALTHCHECK to the image or --health-cmd"},
	{ID: "5.28", Rule: "DH528", Title: "Ensure that Docker commands always make use of the latest version of their image", Severity: low, How: Manual,
		Reads: "inspect Config.Image, shown for review", Remediation: "pull images before running them; pin by digest"},
	{ID: "5.29", Rule: "DH529", Title: "Ensure that the PIDs cgroup limit is used", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.PidsLimit", Remediation: "set --pids-limit"},
	{ID: "5.30", Rule: "DH530", Title: "Ensure that Docker's default bridge 'docker0' is not used", Severity: low, How: Automated,
		Reads: "inspect HostConfig.NetworkMode (default, bridge)", Remediation: "attach containers to user-defined networks"},
	{ID: "5.31", Rule: "DH531", Title: "Ensure that the host's user namespaces are not shared", Severity: medium, How: Automated,
		Reads: "inspect HostConfig.UsernsMode", Remediation: "run without --userns host"},
	{ID: "5.32", Rule: "DH532", Title: "Ensure that the Docker socket is not mounted inside any containers", Severity: crit, How: Automated,
		Reads: "inspect Mounts: a source that is the engine's socket or ends in docker.sock", Remediation: "do not mount the docker socket into containers"},

	{ID: "6.1", Rule: "DH601", Title: "Ensure that image sprawl is avoided", Severity: low, How: Manual,
		Reads: "nothing: review `docker images` against what runs", Remediation: "remove unused images (docker image prune)"},
	{ID: "6.2", Rule: "DH602", Title: "Ensure that container sprawl is avoided", Severity: low, How: Manual,
		Reads: "nothing: review `docker ps -a`", Remediation: "remove stopped containers (docker container prune)"},
}

var controlIndex = func() map[string]*Control {
	m := make(map[string]*Control, len(Controls))
	for i := range Controls {
		m[Controls[i].ID] = &Controls[i]
	}
	return m
}()

// ControlByID returns the control with the CIS number id, or nil.
func ControlByID(id string) *Control { return controlIndex[id] }
