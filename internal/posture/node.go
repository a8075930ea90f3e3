package posture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/rampartsec/rampart/internal/finding"
)

// maxNodeFile bounds what is read of one node file.
const maxNodeFile = 1 << 20

// Paths under the node root.
const (
	manifestsDir  = "etc/kubernetes/manifests"
	kubeletConfig = "var/lib/kubelet/config.yaml"
)

// component is a control plane or node component and where its configuration lives.
type component struct {
	in   input
	file string // relative to the node root
}

var components = []component{
	{inAPIServer, manifestsDir + "/kube-apiserver.yaml"},
	{inControllerManager, manifestsDir + "/kube-controller-manager.yaml"},
	{inScheduler, manifestsDir + "/kube-scheduler.yaml"},
	{inEtcd, manifestsDir + "/etcd.yaml"},
	{inKubelet, kubeletConfig},
}

// nodeConfig is what was read of one component: its flags (static pods) or its configuration
// document (kubelet), and the file's mode and owner.
type nodeConfig struct {
	file  string
	flags map[string]string
	// flagIndex says where each flag is: "spec.containers[0].command[3]".
	flagIndex map[string]string
	doc       map[string]any
	mode      fs.FileMode
	uid, gid  int
	haveOwner bool
}

// nodeRule is one CIS sections 1–4 check over one component's configuration.
type nodeRule struct {
	rule
	comp input
	// check returns ok, the field the verdict is about, and evidence.
	check func(n *nodeConfig) (ok bool, field, evidence string)
}

func nodeRulePtrs() []*rule {
	out := make([]*rule, 0, len(nodeRules))
	for i := range nodeRules {
		out = append(out, &nodeRules[i].rule)
	}
	return out
}

// node reads the node files under root and runs the node rules. It returns the state of each
// node input: missing ones make their controls not assessed.
func (c *checker) node(ctx context.Context, root string) (map[input]inputState, error) {
	states := map[input]inputState{}
	configs := map[input]*nodeConfig{}
	for _, comp := range components {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if root == "" {
			states[comp.in] = inputState{reason: "no --node-root given"}
			continue
		}
		nc, err := readNodeConfig(root, comp)
		if err != nil {
			states[comp.in] = inputState{reason: err.Error()}
			if !errors.Is(err, fs.ErrNotExist) {
				c.res.Warnings = append(c.res.Warnings, err.Error())
			}
			continue
		}
		states[comp.in] = inputState{ok: true}
		configs[comp.in] = nc
	}
	for i := range nodeRules {
		r := &nodeRules[i]
		nc := configs[r.comp]
		if nc == nil {
			continue
		}
		ok, field, ev := r.check(nc)
		if ok {
			continue
		}
		res := finding.Resource{Kind: "Pod", Namespace: "kube-system", Name: string(r.comp)}
		if r.comp == inKubelet {
			res = finding.Resource{Kind: "KubeletConfiguration", Name: "kubelet"}
		}
		c.res.Findings = append(c.res.Findings, r.finding(res, finding.Location{Path: nc.file, Field: field}, ev))
	}
	return states, nil
}

func readNodeConfig(root string, comp component) (*nodeConfig, error) {
	p := filepath.Join(root, filepath.FromSlash(comp.file))
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		// No absolute path: the reason is the same wherever the node root is.
		return nil, fmt.Errorf("no %s under the node root: %w", comp.file, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", comp.file, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", comp.file, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxNodeFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", comp.file, err)
	}
	if len(b) > maxNodeFile {
		return nil, fmt.Errorf("read %s: larger than %d bytes", comp.file, maxNodeFile)
	}
	nc := &nodeConfig{file: comp.file, mode: st.Mode().Perm()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		nc.uid, nc.gid, nc.haveOwner = int(sys.Uid), int(sys.Gid), true
	}
	if comp.in == inKubelet {
		if err := yaml.Unmarshal(b, &nc.doc); err != nil {
			return nil, fmt.Errorf("parse %s: %w", comp.file, err)
		}
		if nc.doc == nil {
			nc.doc = map[string]any{}
		}
		return nc, nil
	}
	var pod corev1.Pod
	if err := yaml.Unmarshal(b, &pod); err != nil {
		return nil, fmt.Errorf("parse %s: %w", comp.file, err)
	}
	idx := -1
	for i, ctr := range pod.Spec.Containers {
		if ctr.Name == string(comp.in) || len(ctr.Command) > 0 && filepath.Base(ctr.Command[0]) == string(comp.in) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("parse %s: no %s container", comp.file, comp.in)
	}
	nc.flags, nc.flagIndex = parseFlags(pod.Spec.Containers[idx], idx)
	return nc, nil
}

// parseFlags reads "--name=value" and "--name value" flags from a container's command and args.
// The last occurrence of a flag wins, as with the components' flag parsing.
func parseFlags(ctr corev1.Container, idx int) (map[string]string, map[string]string) {
	flags, where := map[string]string{}, map[string]string{}
	scan := func(list string, args []string) {
		for i := 0; i < len(args); i++ {
			a := args[i]
			if !strings.HasPrefix(a, "-") {
				continue
			}
			name := strings.TrimLeft(a, "-")
			val := "true"
			if k, v, ok := strings.Cut(name, "="); ok {
				name, val = k, v
			} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				val = args[i+1]
				i++
			}
			flags[name] = val
			where[name] = fmt.Sprintf("spec.containers[%d].%s[%d]", idx, list, i)
		}
	}
	scan("command", ctr.Command)
	scan("args", ctr.Args)
	return flags, where
}

// Helpers building node rule checks.

// flagIs passes when the flag's value (or its default when absent) equals want.
func flagIs(name, want, def string) func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		v, ok := n.flags[name]
		if !ok {
			v = def
		}
		return strings.EqualFold(v, want), n.field(name), flagEvidence(n, name, def)
	}
}

// flagSet passes when every named flag is set to a non-empty value.
func flagSet(names ...string) func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		for _, name := range names {
			if n.flags[name] == "" {
				return false, n.field(name), "--" + name + " is not set"
			}
		}
		return true, "", ""
	}
}

// flagUnset passes when the flag is absent.
func flagUnset(name string) func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		_, ok := n.flags[name]
		return !ok, n.field(name), flagEvidence(n, name, "")
	}
}

// flagList checks a comma-separated flag's values (def when absent).
func flagList(name, def string, ok func(vals []string) bool) func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		v, set := n.flags[name]
		if !set {
			v = def
		}
		return ok(strings.Split(v, ",")), n.field(name), flagEvidence(n, name, def)
	}
}

// flagAtLeast passes when the flag's integer value is at least min.
func flagAtLeast(name string, min int) func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		v, err := strconv.Atoi(n.flags[name])
		return err == nil && v >= min, n.field(name), flagEvidence(n, name, "")
	}
}

// pluginEnabled passes when an admission plugin is enabled: listed, or on by default and not
// disabled.
func pluginEnabled(plugin string, onByDefault bool) func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		enabled := contains(n.flags["enable-admission-plugins"], plugin)
		disabled := contains(n.flags["disable-admission-plugins"], plugin)
		ok := enabled || onByDefault && !disabled
		field := n.field("enable-admission-plugins")
		if disabled {
			field = n.field("disable-admission-plugins")
		}
		return ok, field, fmt.Sprintf("enable-admission-plugins=%q disable-admission-plugins=%q", n.flags["enable-admission-plugins"], n.flags["disable-admission-plugins"])
	}
}

func contains(list, v string) bool {
	for _, x := range strings.Split(list, ",") {
		if strings.TrimSpace(x) == v {
			return true
		}
	}
	return false
}

func (n *nodeConfig) field(flag string) string {
	if w, ok := n.flagIndex[flag]; ok {
		return w + " (--" + flag + ")"
	}
	return "spec.containers[0].command (--" + flag + " absent)"
}

func flagEvidence(n *nodeConfig, name, def string) string {
	if v, ok := n.flags[name]; ok {
		return "--" + name + "=" + v
	}
	if def != "" {
		return "--" + name + " not set (default " + def + ")"
	}
	return "--" + name + " not set"
}

// fileMode passes when the file's permissions are at most max (no bit outside it).
func fileMode(max fs.FileMode) func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		return n.mode&^max == 0, "", fmt.Sprintf("mode %04o", uint32(n.mode))
	}
}

// fileRootOwned passes when root:root owns the file.
func fileRootOwned() func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		return !n.haveOwner || n.uid == 0 && n.gid == 0, "", fmt.Sprintf("owner %d:%d", n.uid, n.gid)
	}
}

// docValue reads a dotted path of the kubelet configuration.
func docValue(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// kubeletIs passes when a kubelet configuration field (or its default) satisfies ok.
func kubeletIs(path string, def any, ok func(v any) bool) func(*nodeConfig) (bool, string, string) {
	return func(n *nodeConfig) (bool, string, string) {
		v, set := docValue(n.doc, path)
		ev := fmt.Sprintf("%s: %v", path, v)
		if !set {
			v = def
			ev = fmt.Sprintf("%s not set (default %v)", path, def)
		}
		return ok(v), path, ev
	}
}

func equals(want any) func(any) bool {
	return func(v any) bool { return fmt.Sprint(v) == fmt.Sprint(want) }
}

func notEquals(bad any) func(any) bool {
	return func(v any) bool { return fmt.Sprint(v) != fmt.Sprint(bad) }
}

func nonEmpty(v any) bool { return v != nil && fmt.Sprint(v) != "" }

func nr(comp input, id, cis, title string, sev finding.Severity, nsa, remediation string, check func(*nodeConfig) (bool, string, string)) nodeRule {
	r := nodeRule{comp: comp, check: check}
	r.rule = rule{id: id, title: title, severity: sev, cis: []string{cis}, cisTitle: title, needs: []input{comp}, remediation: remediation}
	if nsa != "" {
		r.nsa = []string{nsa}
	}
	return r
}

// nodeRules are the automatable CIS Kubernetes Benchmark v1.9.0 controls of sections 1–4 that
// a component's flags or configuration file settle. Defaults are the components' own when a
// flag is absent.
var nodeRules = []nodeRule{
	nr(inAPIServer, "KC001", "1.1.1", "Ensure that the API server pod specification file permissions are set to 600 or more restrictive", finding.SeverityMedium, "", "chmod 600 etc/kubernetes/manifests/kube-apiserver.yaml", fileMode(0o600)),
	nr(inAPIServer, "KC002", "1.1.2", "Ensure that the API server pod specification file ownership is set to root:root", finding.SeverityMedium, "", "chown root:root etc/kubernetes/manifests/kube-apiserver.yaml", fileRootOwned()),
	nr(inControllerManager, "KC003", "1.1.3", "Ensure that the controller manager pod specification file permissions are set to 600 or more restrictive", finding.SeverityMedium, "", "chmod 600 etc/kubernetes/manifests/kube-controller-manager.yaml", fileMode(0o600)),
	nr(inControllerManager, "KC004", "1.1.4", "Ensure that the controller manager pod specification file ownership is set to root:root", finding.SeverityMedium, "", "chown root:root etc/kubernetes/manifests/kube-controller-manager.yaml", fileRootOwned()),
	nr(inScheduler, "KC005", "1.1.5", "Ensure that the scheduler pod specification file permissions are set to 600 or more restrictive", finding.SeverityMedium, "", "chmod 600 etc/kubernetes/manifests/kube-scheduler.yaml", fileMode(0o600)),
	nr(inScheduler, "KC006", "1.1.6", "Ensure that the scheduler pod specification file ownership is set to root:root", finding.SeverityMedium, "", "chown root:root etc/kubernetes/manifests/kube-scheduler.yaml", fileRootOwned()),
	nr(inEtcd, "KC007", "1.1.7", "Ensure that the etcd pod specification file permissions are set to 600 or more restrictive", finding.SeverityMedium, "", "chmod 600 etc/kubernetes/manifests/etcd.yaml", fileMode(0o600)),
	nr(inEtcd, "KC008", "1.1.8", "Ensure that the etcd pod specification file ownership is set to root:root", finding.SeverityMedium, "", "chown root:root etc/kubernetes/manifests/etcd.yaml", fileRootOwned()),

	nr(inAPIServer, "KC101", "1.2.1", "Ensure that the --anonymous-auth argument is set to false", finding.SeverityHigh, nsaAuth, "Set --anonymous-auth=false on kube-apiserver.", flagIs("anonymous-auth", "false", "true")),
	nr(inAPIServer, "KC102", "1.2.2", "Ensure that the --token-auth-file parameter is not set", finding.SeverityHigh, nsaAuth, "Remove --token-auth-file; use certificates, OIDC or service account tokens.", flagUnset("token-auth-file")),
	nr(inAPIServer, "KC104", "1.2.4", "Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate", finding.SeverityHigh, nsaTLS, "Set --kubelet-client-certificate and --kubelet-client-key.", flagSet("kubelet-client-certificate", "kubelet-client-key")),
	nr(inAPIServer, "KC105", "1.2.5", "Ensure that the --kubelet-certificate-authority argument is set as appropriate", finding.SeverityHigh, nsaTLS, "Set --kubelet-certificate-authority to the CA of the kubelets' serving certificates.", flagSet("kubelet-certificate-authority")),
	nr(inAPIServer, "KC106", "1.2.6", "Ensure that the --authorization-mode argument is not set to AlwaysAllow", finding.SeverityCritical, nsaAuth, "Set --authorization-mode=Node,RBAC.", flagList("authorization-mode", "AlwaysAllow", func(v []string) bool { return !has(v, "AlwaysAllow") })),
	nr(inAPIServer, "KC107", "1.2.7", "Ensure that the --authorization-mode argument includes Node", finding.SeverityHigh, nsaAuth, "Add Node to --authorization-mode.", flagList("authorization-mode", "AlwaysAllow", func(v []string) bool { return has(v, "Node") })),
	nr(inAPIServer, "KC108", "1.2.8", "Ensure that the --authorization-mode argument includes RBAC", finding.SeverityHigh, nsaAuth, "Add RBAC to --authorization-mode.", flagList("authorization-mode", "AlwaysAllow", func(v []string) bool { return has(v, "RBAC") })),
	nr(inAPIServer, "KC110", "1.2.10", "Ensure that the admission control plugin AlwaysAdmit is not set", finding.SeverityHigh, "", "Remove AlwaysAdmit from --enable-admission-plugins.", func(n *nodeConfig) (bool, string, string) {
		return !contains(n.flags["enable-admission-plugins"], "AlwaysAdmit"), n.field("enable-admission-plugins"), flagEvidence(n, "enable-admission-plugins", "")
	}),
	nr(inAPIServer, "KC112", "1.2.12", "Ensure that the admission control plugin ServiceAccount is set", finding.SeverityMedium, "", "Do not list ServiceAccount in --disable-admission-plugins.", pluginEnabled("ServiceAccount", true)),
	nr(inAPIServer, "KC113", "1.2.13", "Ensure that the admission control plugin NamespaceLifecycle is set", finding.SeverityMedium, "", "Do not list NamespaceLifecycle in --disable-admission-plugins.", pluginEnabled("NamespaceLifecycle", true)),
	nr(inAPIServer, "KC114", "1.2.14", "Ensure that the admission control plugin NodeRestriction is set", finding.SeverityMedium, "", "Add NodeRestriction to --enable-admission-plugins.", pluginEnabled("NodeRestriction", false)),
	nr(inAPIServer, "KC115", "1.2.15", "Ensure that the --profiling argument is set to false", finding.SeverityLow, "", "Set --profiling=false on kube-apiserver.", flagIs("profiling", "false", "true")),
	nr(inAPIServer, "KC116", "1.2.16", "Ensure that the --audit-log-path argument is set", finding.SeverityMedium, nsaAudit, "Set --audit-log-path (and an --audit-policy-file).", flagSet("audit-log-path")),
	nr(inAPIServer, "KC117", "1.2.17", "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate", finding.SeverityLow, nsaAudit, "Set --audit-log-maxage=30.", flagAtLeast("audit-log-maxage", 30)),
	nr(inAPIServer, "KC118", "1.2.18", "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate", finding.SeverityLow, nsaAudit, "Set --audit-log-maxbackup=10.", flagAtLeast("audit-log-maxbackup", 10)),
	nr(inAPIServer, "KC119", "1.2.19", "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate", finding.SeverityLow, nsaAudit, "Set --audit-log-maxsize=100.", flagAtLeast("audit-log-maxsize", 100)),
	nr(inAPIServer, "KC121", "1.2.21", "Ensure that the --service-account-lookup argument is set to true", finding.SeverityMedium, "", "Set --service-account-lookup=true (or remove it: true is the default).", flagIs("service-account-lookup", "true", "true")),
	nr(inAPIServer, "KC122", "1.2.22", "Ensure that the --service-account-key-file argument is set as appropriate", finding.SeverityMedium, "", "Set --service-account-key-file.", flagSet("service-account-key-file")),
	nr(inAPIServer, "KC123", "1.2.23", "Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate", finding.SeverityHigh, nsaTLS, "Set --etcd-certfile and --etcd-keyfile.", flagSet("etcd-certfile", "etcd-keyfile")),
	nr(inAPIServer, "KC124", "1.2.24", "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate", finding.SeverityHigh, nsaTLS, "Set --tls-cert-file and --tls-private-key-file.", flagSet("tls-cert-file", "tls-private-key-file")),
	nr(inAPIServer, "KC125", "1.2.25", "Ensure that the --client-ca-file argument is set as appropriate", finding.SeverityHigh, nsaTLS, "Set --client-ca-file.", flagSet("client-ca-file")),
	nr(inAPIServer, "KC126", "1.2.26", "Ensure that the --etcd-cafile argument is set as appropriate", finding.SeverityHigh, nsaTLS, "Set --etcd-cafile.", flagSet("etcd-cafile")),
	nr(inAPIServer, "KC127", "1.2.27", "Ensure that the --encryption-provider-config argument is set as appropriate", finding.SeverityHigh, nsaEncryption, "Set --encryption-provider-config to an EncryptionConfiguration that encrypts secrets.", flagSet("encryption-provider-config")),

	nr(inControllerManager, "KC202", "1.3.2", "Ensure that the --profiling argument is set to false", finding.SeverityLow, "", "Set --profiling=false on kube-controller-manager.", flagIs("profiling", "false", "true")),
	nr(inControllerManager, "KC203", "1.3.3", "Ensure that the --use-service-account-credentials argument is set to true", finding.SeverityMedium, nsaAuth, "Set --use-service-account-credentials=true.", flagIs("use-service-account-credentials", "true", "false")),
	nr(inControllerManager, "KC204", "1.3.4", "Ensure that the --service-account-private-key-file argument is set as appropriate", finding.SeverityMedium, "", "Set --service-account-private-key-file.", flagSet("service-account-private-key-file")),
	nr(inControllerManager, "KC205", "1.3.5", "Ensure that the --root-ca-file argument is set as appropriate", finding.SeverityMedium, nsaTLS, "Set --root-ca-file.", flagSet("root-ca-file")),
	nr(inControllerManager, "KC207", "1.3.7", "Ensure that the --bind-address argument is set to 127.0.0.1", finding.SeverityMedium, "", "Set --bind-address=127.0.0.1.", flagIs("bind-address", "127.0.0.1", "0.0.0.0")),

	nr(inScheduler, "KC301", "1.4.1", "Ensure that the --profiling argument is set to false", finding.SeverityLow, "", "Set --profiling=false on kube-scheduler.", flagIs("profiling", "false", "true")),
	nr(inScheduler, "KC302", "1.4.2", "Ensure that the --bind-address argument is set to 127.0.0.1", finding.SeverityMedium, "", "Set --bind-address=127.0.0.1.", flagIs("bind-address", "127.0.0.1", "0.0.0.0")),

	nr(inEtcd, "KC401", "2.1", "Ensure that the --cert-file and --key-file arguments are set as appropriate", finding.SeverityHigh, nsaTLS, "Set --cert-file and --key-file on etcd.", flagSet("cert-file", "key-file")),
	nr(inEtcd, "KC402", "2.2", "Ensure that the --client-cert-auth argument is set to true", finding.SeverityHigh, nsaTLS, "Set --client-cert-auth=true on etcd.", flagIs("client-cert-auth", "true", "false")),
	nr(inEtcd, "KC403", "2.3", "Ensure that the --auto-tls argument is not set to true", finding.SeverityMedium, nsaTLS, "Remove --auto-tls or set it to false.", flagIs("auto-tls", "false", "false")),
	nr(inEtcd, "KC404", "2.4", "Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate", finding.SeverityHigh, nsaTLS, "Set --peer-cert-file and --peer-key-file on etcd.", flagSet("peer-cert-file", "peer-key-file")),
	nr(inEtcd, "KC405", "2.5", "Ensure that the --peer-client-cert-auth argument is set to true", finding.SeverityHigh, nsaTLS, "Set --peer-client-cert-auth=true on etcd.", flagIs("peer-client-cert-auth", "true", "false")),
	nr(inEtcd, "KC406", "2.6", "Ensure that the --peer-auto-tls argument is not set to true", finding.SeverityMedium, nsaTLS, "Remove --peer-auto-tls or set it to false.", flagIs("peer-auto-tls", "false", "false")),

	nr(inKubelet, "KC501", "4.1.9", "If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive", finding.SeverityMedium, "", "chmod 600 var/lib/kubelet/config.yaml", fileMode(0o600)),
	nr(inKubelet, "KC502", "4.1.10", "If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root", finding.SeverityMedium, "", "chown root:root var/lib/kubelet/config.yaml", fileRootOwned()),
	nr(inKubelet, "KC511", "4.2.1", "Ensure that the --anonymous-auth argument is set to false", finding.SeverityHigh, nsaAuth, "Set authentication.anonymous.enabled: false in the kubelet configuration.", kubeletIs("authentication.anonymous.enabled", false, equals(false))),
	nr(inKubelet, "KC512", "4.2.2", "Ensure that the --authorization-mode argument is not set to AlwaysAllow", finding.SeverityCritical, nsaAuth, "Set authorization.mode: Webhook in the kubelet configuration.", kubeletIs("authorization.mode", "Webhook", notEquals("AlwaysAllow"))),
	nr(inKubelet, "KC513", "4.2.3", "Ensure that the --client-ca-file argument is set as appropriate", finding.SeverityHigh, nsaTLS, "Set authentication.x509.clientCAFile in the kubelet configuration.", kubeletIs("authentication.x509.clientCAFile", "", nonEmpty)),
	nr(inKubelet, "KC514", "4.2.4", "Verify that the --read-only-port argument is set to 0", finding.SeverityMedium, nsaAuth, "Set readOnlyPort: 0 in the kubelet configuration.", kubeletIs("readOnlyPort", 0, equals(0))),
	nr(inKubelet, "KC515", "4.2.5", "Ensure that the --streaming-connection-idle-timeout argument is not set to 0", finding.SeverityLow, "", "Set streamingConnectionIdleTimeout to a non-zero duration (e.g. 5m).", kubeletIs("streamingConnectionIdleTimeout", "4h0m0s", func(v any) bool { s := fmt.Sprint(v); return s != "0" && s != "0s" })),
	nr(inKubelet, "KC516", "4.2.6", "Ensure that the --make-iptables-util-chains argument is set to true", finding.SeverityLow, "", "Set makeIPTablesUtilChains: true in the kubelet configuration.", kubeletIs("makeIPTablesUtilChains", true, equals(true))),
	nr(inKubelet, "KC520", "4.2.10", "Ensure that the --rotate-certificates argument is not set to false", finding.SeverityMedium, nsaTLS, "Set rotateCertificates: true in the kubelet configuration.", kubeletIs("rotateCertificates", true, equals(true))),
}

func has(vals []string, v string) bool {
	for _, x := range vals {
		if strings.TrimSpace(x) == v {
			return true
		}
	}
	return false
}
