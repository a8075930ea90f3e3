package dockerhost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/rampartsec/rampart/internal/result"
)

// maxDaemonJSON bounds the daemon.json read; real ones are a few hundred bytes.
const maxDaemonJSON = 1 << 20

// daemonConfig is the daemon's configuration as two sources give it: the dockerd command line
// and daemon.json. Each source may be missing, and why is kept.
type daemonConfig struct {
	pid      int
	args     []string // command line without argv[0]
	argsErr  error    // why there is no command line
	jsonPath string   // host path, without the root prefix
	json     map[string]json.RawMessage
	jsonErr  error // unreadable or malformed; nil when absent
}

// readDaemon finds the dockerd process under root/proc and reads its command line and the
// daemon.json it uses.
func readDaemon(root string, info *Info) *daemonConfig {
	d := &daemonConfig{jsonPath: "/etc/docker/daemon.json"}
	d.pid, d.args, d.argsErr = findDockerd(filepath.Join(root, "proc"))
	if vs := d.flag("config-file", ""); len(vs) > 0 {
		d.jsonPath = vs[len(vs)-1]
	}
	b, err := readBounded(filepath.Join(root, d.jsonPath), maxDaemonJSON)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		d.jsonErr = err
	default:
		d.json, d.jsonErr = parseDaemonJSON(b)
		if d.jsonErr != nil {
			d.jsonErr = fmt.Errorf("%s: %w", d.jsonPath, d.jsonErr)
		}
	}
	return d
}

// parseDaemonJSON parses daemon.json: one JSON object.
func parseDaemonJSON(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse daemon.json: %w", err)
	}
	if m == nil {
		return nil, errors.New("parse daemon.json: not a JSON object")
	}
	return m, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, limit)
	}
	return b, nil
}

// findDockerd returns the lowest-numbered process whose comm is dockerd and its arguments.
func findDockerd(proc string) (int, []string, error) {
	ents, err := os.ReadDir(proc)
	if err != nil {
		return 0, nil, fmt.Errorf("list processes: %w", err)
	}
	pids := []int{}
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	for _, pid := range pids {
		dir := filepath.Join(proc, strconv.Itoa(pid))
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "dockerd" {
			continue
		}
		cl, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			return pid, nil, fmt.Errorf("read dockerd command line: %w", err)
		}
		return pid, splitCmdline(cl), nil
	}
	return 0, nil, fmt.Errorf("no dockerd process in %s (another PID namespace or host?)", proc)
}

// splitCmdline splits a NUL-separated /proc/PID/cmdline and drops argv[0].
func splitCmdline(b []byte) []string {
	parts := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if len(parts) <= 1 {
		return []string{}
	}
	return parts[1:]
}

// dockerd's boolean flags: they take a value only as --flag=value.
var boolFlags = map[string]bool{
	"icc": true, "iptables": true, "ip6tables": true, "userland-proxy": true, "live-restore": true,
	"experimental": true, "no-new-privileges": true, "tls": true, "tlsverify": true,
	"selinux-enabled": true, "debug": true, "D": true, "ip-forward": true, "ip-masq": true,
}

// flag returns the values of the command-line flag --name (or -short) in order. A boolean flag
// given alone reads as "true".
func (d *daemonConfig) flag(name, short string) []string {
	var out []string
	isBool := boolFlags[name]
	for i := 0; i < len(d.args); i++ {
		a := d.args[i]
		var key string
		switch {
		case strings.HasPrefix(a, "--"):
			key = a[2:]
		case short != "" && strings.HasPrefix(a, "-") && len(a) > 1:
			key = a[1:]
		default:
			continue
		}
		k, v, hasV := strings.Cut(key, "=")
		if k != name && (short == "" || k != short) {
			continue
		}
		switch {
		case hasV:
			out = append(out, v)
		case isBool:
			out = append(out, "true")
		case i+1 < len(d.args):
			i++
			out = append(out, d.args[i])
		}
	}
	return out
}

// setting is one daemon option as configured.
type setting struct {
	values  []string // the configured values, empty when unset
	source  string   // "command line" or the daemon.json path
	unknown string   // non-empty: the option cannot be known, and why
}

func (s setting) set() bool { return len(s.values) > 0 }

// last returns the value in force: the last given.
func (s setting) last() string {
	if len(s.values) == 0 {
		return ""
	}
	return s.values[len(s.values)-1]
}

// describe renders the setting for evidence.
func (s setting) describe(name string) string {
	if !s.set() {
		return name + " not set"
	}
	return fmt.Sprintf("%s=%s (%s)", name, strings.Join(s.values, ","), s.source)
}

// get returns option name from the command line (--flag, -short) or, when absent there, from
// daemon.json key. dockerd refuses an option given in both, so the first found is in force.
func (d *daemonConfig) get(flag, short, key string) setting {
	if d.argsErr == nil {
		if vs := d.flag(flag, short); len(vs) > 0 {
			return setting{values: vs, source: "command line"}
		}
	}
	if raw, ok := d.json[key]; ok {
		return setting{values: jsonValues(raw), source: d.jsonPath}
	}
	switch {
	case d.argsErr != nil && d.jsonErr != nil:
		return setting{unknown: fmt.Sprintf("dockerd command line not read: %v; and %v", d.argsErr, d.jsonErr)}
	case d.argsErr != nil:
		return setting{unknown: fmt.Sprintf("dockerd command line not read: %v", d.argsErr)}
	case d.jsonErr != nil:
		return setting{unknown: fmt.Sprintf("not on the command line, and %v", d.jsonErr)}
	}
	return setting{}
}

// jsonValues renders a daemon.json value as strings: a string or scalar is one value, an array
// one per element, an object one "key=value" per member.
func jsonValues(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil {
		out := []string{}
		for _, e := range arr {
			out = append(out, jsonValues(e)...)
		}
		return out
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := []string{}
		for _, k := range keys {
			out = append(out, k+"="+strings.Join(jsonValues(obj[k]), ","))
		}
		return out
	}
	return []string{string(bytes.TrimSpace(raw))}
}

// daemonChecks assesses section 2.
func (a *auditor) daemonChecks() {
	const res = "daemon"
	d, info := a.d, a.info

	if slices.ContainsFunc(info.SecurityOptions, func(s string) bool { return s == "name=rootless" }) {
		a.add("2.1", res, result.StatusPass, "daemon runs in rootless mode (GET /info SecurityOptions)")
	} else {
		a.add("2.1", res, result.StatusManual, "daemon runs as root (no name=rootless in GET /info SecurityOptions); decide whether rootless mode fits")
	}

	// 2.2: icc only matters on the default bridge; without one there is nothing to restrict.
	if br := d.get("bridge", "b", "bridge"); br.unknown == "" && br.last() == "none" {
		a.add("2.2", res, result.StatusPass, "no default bridge network: "+br.describe("bridge"))
	} else if icc := d.get("icc", "", "icc"); icc.unknown != "" {
		a.add("2.2", res, result.StatusNotAssessed, icc.unknown)
	} else if icc.last() == "false" {
		a.add("2.2", res, result.StatusPass, icc.describe("icc"))
	} else {
		a.add("2.2", res, result.StatusFail, icc.describe("icc")+": inter-container traffic on the default bridge is allowed (default icc=true)")
	}

	debug, level := d.get("debug", "D", "debug"), d.get("log-level", "l", "log-level")
	switch {
	case debug.last() == "true":
		a.add("2.3", res, result.StatusFail, debug.describe("debug")+": logs at debug level")
	case level.unknown != "":
		a.add("2.3", res, result.StatusNotAssessed, level.unknown)
	case !level.set() || level.last() == "info":
		a.add("2.3", res, result.StatusPass, level.describe("log-level")+" (default info)")
	default:
		a.add("2.3", res, result.StatusFail, level.describe("log-level"))
	}

	switch ipt := d.get("iptables", "", "iptables"); {
	case ipt.unknown != "":
		a.add("2.4", res, result.StatusNotAssessed, ipt.unknown)
	case ipt.last() == "false":
		a.add("2.4", res, result.StatusFail, ipt.describe("iptables")+": docker does not manage firewall rules")
	default:
		a.add("2.4", res, result.StatusPass, ipt.describe("iptables")+" (default true)")
	}

	a.insecureRegistries(res)

	if info.Driver == "aufs" {
		a.add("2.6", res, result.StatusFail, "storage driver aufs (GET /info Driver)")
	} else {
		a.addf("2.6", res, result.StatusPass, "storage driver %s (GET /info Driver)", info.Driver)
	}

	a.tlsCheck(res)

	if ul := d.get("default-ulimit", "", "default-ulimits"); ul.unknown != "" {
		a.add("2.8", res, result.StatusNotAssessed, ul.unknown)
	} else {
		a.add("2.8", res, result.StatusManual, ul.describe("default-ulimit")+"; check it suits the workload")
	}

	userns := d.get("userns-remap", "", "userns-remap")
	if slices.ContainsFunc(info.SecurityOptions, func(s string) bool { return s == "name=userns" }) {
		a.add("2.9", res, result.StatusPass, "name=userns in GET /info SecurityOptions; "+userns.describe("userns-remap"))
	} else {
		a.add("2.9", res, result.StatusFail, "no name=userns in GET /info SecurityOptions: user namespace remapping is off")
	}

	switch cg := d.get("cgroup-parent", "", "cgroup-parent"); {
	case cg.unknown != "":
		a.add("2.10", res, result.StatusNotAssessed, cg.unknown)
	case cg.set():
		a.add("2.10", res, result.StatusManual, cg.describe("cgroup-parent")+"; confirm the custom parent is intended")
	default:
		a.add("2.10", res, result.StatusPass, "cgroup-parent not set (default)")
	}

	switch so := d.get("storage-opt", "", "storage-opts"); {
	case so.unknown != "":
		a.add("2.11", res, result.StatusNotAssessed, so.unknown)
	case slices.ContainsFunc(so.values, func(v string) bool { return strings.Contains(v, "dm.basesize") }):
		a.add("2.11", res, result.StatusManual, so.describe("storage-opt")+"; confirm the base device size change is needed")
	default:
		a.add("2.11", res, result.StatusPass, so.describe("storage-opt")+": no dm.basesize")
	}

	if p := info.Plugins.Authorization; len(p) > 0 {
		a.add("2.12", res, result.StatusPass, "authorization plugins: "+strings.Join(p, ", "))
	} else {
		a.add("2.12", res, result.StatusFail, "no authorization plugin (GET /info Plugins.Authorization is empty)")
	}

	switch info.LoggingDriver {
	case "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "gcplogs", "logentries", "etwlogs":
		a.addf("2.13", res, result.StatusPass, "logging driver %s (GET /info LoggingDriver)", info.LoggingDriver)
	default:
		a.addf("2.13", res, result.StatusFail, "logging driver %q keeps logs on the host only (GET /info LoggingDriver)", info.LoggingDriver)
	}

	switch nnp := d.get("no-new-privileges", "", "no-new-privileges"); {
	case nnp.unknown != "":
		a.add("2.14", res, result.StatusNotAssessed, nnp.unknown)
	case nnp.last() == "true":
		a.add("2.14", res, result.StatusPass, nnp.describe("no-new-privileges"))
	default:
		a.add("2.14", res, result.StatusFail, nnp.describe("no-new-privileges")+" (default false)")
	}

	if info.LiveRestoreEnabled {
		a.add("2.15", res, result.StatusPass, "LiveRestoreEnabled true (GET /info)")
	} else {
		a.add("2.15", res, result.StatusFail, "LiveRestoreEnabled false (GET /info)")
	}

	switch up := d.get("userland-proxy", "", "userland-proxy"); {
	case up.unknown != "":
		a.add("2.16", res, result.StatusNotAssessed, up.unknown)
	case up.last() == "false":
		a.add("2.16", res, result.StatusPass, up.describe("userland-proxy"))
	default:
		a.add("2.16", res, result.StatusFail, up.describe("userland-proxy")+" (default true)")
	}

	seccomp := ""
	for _, s := range info.SecurityOptions {
		if strings.HasPrefix(s, "name=seccomp") {
			seccomp = s
		}
	}
	switch {
	case seccomp == "":
		a.add("2.17", res, result.StatusFail, "no seccomp in GET /info SecurityOptions: containers run without a seccomp profile")
	case strings.Contains(seccomp, "profile=unconfined"):
		a.add("2.17", res, result.StatusFail, seccomp+" (GET /info SecurityOptions)")
	default:
		a.add("2.17", res, result.StatusManual, seccomp+" (GET /info SecurityOptions); decide whether a custom profile is appropriate")
	}

	if info.ExperimentalBuild {
		a.add("2.18", res, result.StatusFail, "ExperimentalBuild true (GET /info)")
	} else {
		a.add("2.18", res, result.StatusPass, "ExperimentalBuild false (GET /info)")
	}
}

// insecureRegistries assesses 2.5 from the configuration and the engine's registry view.
func (a *auditor) insecureRegistries(res string) {
	var bad []string
	ir := a.d.get("insecure-registry", "", "insecure-registries")
	bad = append(bad, ir.values...)
	if rc := a.info.RegistryConfig; rc != nil {
		for _, c := range rc.InsecureRegistryCIDRs {
			if c != "127.0.0.0/8" && c != "::1/128" {
				bad = append(bad, c)
			}
		}
		for name, ic := range rc.IndexConfigs {
			if !ic.Secure {
				bad = append(bad, name)
			}
		}
	}
	slices.Sort(bad)
	bad = slices.Compact(bad)
	if len(bad) > 0 {
		a.add("2.5", res, result.StatusFail, "insecure registries: "+strings.Join(bad, ", "))
		return
	}
	a.add("2.5", res, result.StatusPass, "no insecure registry beyond loopback (configuration and GET /info RegistryConfig)")
}

// tlsCheck assesses 2.7: every TCP socket must require client certificates.
func (a *auditor) tlsCheck(res string) {
	hosts := a.d.get("host", "H", "hosts")
	if hosts.unknown != "" {
		a.add("2.7", res, result.StatusNotAssessed, hosts.unknown)
		return
	}
	var tcp []string
	for _, h := range hosts.values {
		if strings.HasPrefix(h, "tcp://") {
			tcp = append(tcp, h)
		}
	}
	if len(tcp) == 0 {
		a.add("2.7", res, result.StatusPass, hosts.describe("hosts")+": the daemon listens on no TCP socket")
		return
	}
	verify := a.d.get("tlsverify", "", "tlsverify")
	var missing []string
	for _, f := range []string{"tlscacert", "tlscert", "tlskey"} {
		if !a.d.get(f, "", f).set() {
			missing = append(missing, f)
		}
	}
	if verify.last() != "true" || len(missing) > 0 {
		ev := fmt.Sprintf("TCP socket %s; %s", strings.Join(tcp, ", "), verify.describe("tlsverify"))
		if len(missing) > 0 {
			ev += "; missing " + strings.Join(missing, ", ")
		}
		a.add("2.7", res, result.StatusFail, ev)
		return
	}
	a.addf("2.7", res, result.StatusPass, "TCP socket %s with tlsverify and CA, certificate and key", strings.Join(tcp, ", "))
}
