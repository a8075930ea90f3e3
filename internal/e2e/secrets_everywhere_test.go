package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/secret"
	"github.com/rampartsec/rampart/internal/testenv"
)

// planted is one secret of a built-in rule, in the forms the test plants it.
type planted struct {
	rule string
	// values are what must never be printed or stored in full: the secret, or for keys the lines
	// of their base64 body.
	values []string
	// text holds the secret in the rule's format, on one line or a few.
	text string
	// file is where the rule looks ("root/.netrc"); empty: any file.
	file string
	// token is set when the secret identifies itself without a context (ghp_…, AKIA…): it is
	// also planted as a file name, an environment variable's name and a label's key.
	token string
}

// secretGen makes synthetic values, the same on every run.
type secretGen struct{ r *rand.Rand }

const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b64chr = alnum + "+"
)

func (g secretGen) s(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g secretGen) jwt(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"`+g.s(alnum, 12)+`"}`)) + "." + enc([]byte(payload)) + "." + g.s(alnum+"-_", 86)
}

// plantAll returns one secret of every built-in rule.
func plantAll(t *testing.T) []planted {
	g := secretGen{rand.New(rand.NewPCG(7, 11))}
	keyLines := []string{g.s(b64chr, 64), g.s(b64chr, 64), g.s(b64chr, 64), g.s(b64chr, 40) + "=="}
	pemKey := func(kind, nl string) string {
		return "-----BEGIN " + kind + "PRIVATE KEY-----" + nl + strings.Join(keyLines, nl) + nl + "-----END " + kind + "PRIVATE KEY-----"
	}
	gcpLines := []string{g.s(b64chr, 64), g.s(b64chr, 64), g.s(b64chr, 64), g.s(b64chr, 24) + "="}
	gcpKey := "-----BEGIN PRIVATE KEY-----\\n" + strings.Join(gcpLines, "\\n") + "\\n-----END PRIVATE KEY-----\\n"
	v := map[string]string{
		"aws":    "AKIA" + g.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
		"awssec": g.s(b64chr, 40),
		"gapi":   "AIza" + g.s(alnum+"_-", 35),
		"azsto":  g.s(b64chr, 86) + "==",
		"azcon":  g.s(b64chr, 43) + "=",
		"gh":     "ghp_" + g.s(alnum, 36),
		"ghfg":   "github_pat_" + g.s(alnum+"_", 82),
		"gl":     "glpat-" + g.s(alnum, 20),
		"slack":  "xoxb-" + g.s("0123456789", 12) + "-" + g.s("0123456789", 13) + "-" + g.s(alnum, 24),
		"hook":   "https://hooks.slack.com/services/T" + g.s(alnum, 8) + "/B" + g.s(alnum, 8) + "/" + g.s(alnum, 24),
		"stripe": "sk_live_" + g.s(alnum, 24),
		"twilio": "SK" + g.s("0123456789abcdef", 32),
		"sg":     "SG." + g.s(alnum+"_-", 22) + "." + g.s(alnum+"_-", 43),
		"npm":    "npm_" + g.s(alnum, 36),
		"npmrc":  g.s(alnum, 24),
		"pypi":   "pypi-AgEIcHlwaS5vcmc" + g.s(alnum+"_-", 60),
		"dauth":  base64.StdEncoding.EncodeToString([]byte("deploy:" + g.s(alnum, 16))),
		"kcd":    g.s(b64chr, 64) + "==",
		"ktok":   g.s(alnum, 32),
		"sat": g.jwt(`{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"default",` +
			`"kubernetes.io/serviceaccount/service-account.name":"deployer","sub":"system:serviceaccount:default:deployer"}`),
		"jwt":   g.jwt(`{"sub":"` + g.s(alnum, 10) + `","name":"build bot","iat":1716239022}`),
		"dbpw":  g.s(alnum, 18),
		"netrc": g.s(alnum, 20),
		"gen":   g.s(alnum+"!#%", 24),
	}
	return []planted{
		{rule: "aws-access-key-id", values: []string{v["aws"]}, text: "AWS_ACCESS_KEY_ID=" + v["aws"], token: v["aws"]},
		{rule: "aws-secret-access-key", values: []string{v["awssec"]}, text: "aws_secret_access_key=" + v["awssec"]},
		{rule: "gcp-service-account", values: gcpLines, text: `{"type": "service_account", "project_id": "build", "private_key_id": "` +
			g.s("0123456789abcdef", 40) + `", "private_key": "` + gcpKey + `", "client_email": "ci@build.iam.gserviceaccount.com"}`},
		{rule: "gcp-api-key", values: []string{v["gapi"]}, text: "MAPS_KEY=" + v["gapi"], token: v["gapi"]},
		{rule: "azure-storage-key", values: []string{v["azsto"]}, text: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + v["azsto"] + ";EndpointSuffix=core.windows.net"},
		{rule: "azure-connection-string", values: []string{v["azcon"]}, text: "Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=" + v["azcon"]},
		{rule: "github-token", values: []string{v["gh"]}, text: "GITHUB_TOKEN=" + v["gh"], token: v["gh"]},
		{rule: "github-fine-grained-token", values: []string{v["ghfg"]}, text: "GH_PAT=" + v["ghfg"], token: v["ghfg"]},
		{rule: "gitlab-token", values: []string{v["gl"]}, text: "GITLAB_TOKEN=" + v["gl"], token: v["gl"]},
		{rule: "slack-token", values: []string{v["slack"]}, text: "SLACK_BOT=" + v["slack"], token: v["slack"]},
		{rule: "slack-webhook", values: []string{v["hook"]}, text: "WEBHOOK=" + v["hook"]},
		{rule: "stripe-key", values: []string{v["stripe"]}, text: "STRIPE=" + v["stripe"], token: v["stripe"]},
		{rule: "twilio-api-key", values: []string{v["twilio"]}, text: "TWILIO_API_KEY=" + v["twilio"]},
		{rule: "sendgrid-api-key", values: []string{v["sg"]}, text: "SENDGRID=" + v["sg"], token: v["sg"]},
		{rule: "npm-token", values: []string{v["npm"]}, text: "NPM_TOKEN=" + v["npm"], token: v["npm"]},
		{rule: "npmrc-auth", values: []string{v["npmrc"]}, text: "//registry.npmjs.org/:_authToken=" + v["npmrc"], file: "root/.npmrc"},
		{rule: "pypi-token", values: []string{v["pypi"]}, text: "TWINE_PASSWORD=" + v["pypi"], token: v["pypi"]},
		{rule: "docker-config-auth", values: []string{v["dauth"]}, text: `{"auths": {"registry.example.com": {"auth": "` + v["dauth"] + `"}}}`},
		{rule: "kubeconfig-client-key", values: []string{v["kcd"]}, text: "    client-key-data: " + v["kcd"]},
		{rule: "kubeconfig-token", values: []string{v["ktok"]}, text: "users:\n- name: ci\n  user:\n    token: " + v["ktok"], file: "root/.kube/config"},
		{rule: "k8s-service-account-token", values: []string{v["sat"]}, text: "SA_TOKEN=" + v["sat"], token: v["sat"]},
		{rule: "jwt", values: []string{v["jwt"]}, text: "SESSION=" + v["jwt"], token: v["jwt"]},
		{rule: "private-key", values: keyLines, text: pemKey("RSA ", "\n")},
		{rule: "database-url-password", values: []string{v["dbpw"]}, text: "DATABASE_URL=postgres://app:" + v["dbpw"] + "@db.internal:5432/app"},
		{rule: "netrc-password", values: []string{v["netrc"]}, text: "machine git.example.com\n  login ci\n  password " + v["netrc"], file: "root/.netrc"},
		{rule: "generic-secret-assignment", values: []string{v["gen"]}, text: "db_password = " + v["gen"]},
	}
}

// everyValue lists the full values of all planted secrets, plus extra ones.
func everyValue(ps []planted, extra ...string) []string {
	out := slices.Clone(extra)
	for _, p := range ps {
		out = append(out, p.values...)
	}
	return out
}

// oneLine joins a planted text's lines with spaces, for places that hold one line.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// plantFiles returns the files that hold the secrets: one file per rule, at the path the rule
// needs; one line holding two secrets and a copy of one; files named after the tokens; an image
// entry named after one that ends in a report warning.
func plantFiles(ps []planted) map[string]string {
	files := map[string]string{}
	byRule := map[string]planted{}
	for _, p := range ps {
		byRule[p.rule] = p
		f := p.file
		if f == "" {
			f = "srv/secrets/" + p.rule + ".txt"
		}
		files[f] = "# " + p.rule + "\n" + p.text + "\n"
	}
	aws, gh, sec := byRule["aws-access-key-id"].token, byRule["github-token"].token, byRule["aws-secret-access-key"].values[0]
	files["srv/app/.env"] = "AWS_ACCESS_KEY_ID=" + aws + " GITHUB_TOKEN=" + gh + "\n" +
		"aws_secret_access_key=" + sec + " # the same again: " + sec + "\n"
	// A layer entry that climbs out of the root is read anyway, with a report warning naming it.
	files["../../escape/"+gh+".env"] = "x\n"
	for _, p := range ps {
		if p.token != "" && len(p.token) < 250 { // a file name has at most 255 bytes
			files["srv/names/"+p.token+".env"] = "GITHUB_TOKEN=" + gh + "\n"
		}
	}
	return files
}

// layerTar writes files as a layer tar, directories first, in a stable order.
func layerTar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	paths := slices.Sorted(maps.Keys(files))
	for _, p := range paths {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range paths {
		body := files[p]
		if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeSecretImage writes a docker-archive of a one-layer image holding the files, whose
// configuration plants every secret in an environment variable's value, a label's value and the
// build history, and every token as a variable's name and a label's key.
func writeSecretImage(t *testing.T, ps []planted, files map[string]string) string {
	t.Helper()
	b := layerTar(t, files)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Labels = map[string]string{}
	cf.History = []v1.History{{CreatedBy: "/bin/sh -c #(nop) ADD dir:0123 in / "}}
	var gh string
	for i, p := range ps {
		cf.Config.Env = append(cf.Config.Env, fmt.Sprintf("PLANTED_%d=%s", i, p.text))
		cf.Config.Labels[fmt.Sprintf("org.example.planted-%d", i)] = p.text
		cf.History = append(cf.History,
			v1.History{CreatedBy: "|1 BUILD_SECRET=" + oneLine(p.text) + " /bin/sh -c ./build.sh", EmptyLayer: true},
			v1.History{CreatedBy: "/bin/sh -c #(nop)  ENV " + oneLine(p.text), EmptyLayer: true})
		if p.token != "" {
			cf.Config.Env = append(cf.Config.Env, p.token+"=1")
			cf.Config.Labels[p.token] = "1"
		}
		if p.rule == "github-token" {
			gh = p.token
		}
	}
	cf.Config.Cmd = []string{"/bin/sh", "-c", "curl -H 'Authorization: token " + gh + "' https://api.github.com/"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("rampart-test/secrets-everywhere:1")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "secrets.tar")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeConfigTree writes what `rampart config` reads, with every secret in it: a Dockerfile
// (ENV, ARG, RUN), one whose line is a bare secret (a syntax error: a warning in a directory),
// Kubernetes manifests (environment variables' names and values, a Secret, annotations), a
// Helm chart whose values hold them, and one whose error quotes a value (a warning).
func writeConfigTree(t *testing.T, dir string, ps []planted) {
	t.Helper()
	var df, env, values, chartEnv, ann strings.Builder
	df.WriteString("FROM debian:12\n")
	env.WriteString("        env:\n")
	values.WriteString("secrets:\n")
	chartEnv.WriteString("        env:\n")
	var gh, aws string
	for i, p := range ps {
		q, _ := json.Marshal(p.text)
		fmt.Fprintf(&df, "ENV PLANTED_%d=%s\n", i, q)
		fmt.Fprintf(&env, "        - name: PLANTED_%d\n          value: %s\n", i, q)
		fmt.Fprintf(&values, "  planted%d: %s\n", i, q)
		fmt.Fprintf(&chartEnv, "        - name: PLANTED_%d\n          value: {{ .Values.secrets.planted%d | quote }}\n", i, i)
		fmt.Fprintf(&ann, "    planted-%d: %s\n", i, q)
		if p.token != "" {
			fmt.Fprintf(&df, "ARG %s=1\n", p.token)
			fmt.Fprintf(&env, "        - name: %s\n          valueFrom:\n            secretKeyRef: {name: app, key: k}\n", p.token)
		}
		switch p.rule {
		case "github-token":
			gh = p.token
		case "aws-access-key-id":
			aws = p.token
		}
	}
	fmt.Fprintf(&df, "RUN sudo curl -H 'Authorization: token %s' https://api.github.com/ && echo %s\n", gh, aws)
	deploy := func(name, envs string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  annotations:\n" + ann.String() +
			"spec:\n  selector:\n    matchLabels: {app: " + name + "}\n  template:\n    metadata:\n      labels: {app: " + name + "}\n" +
			"    spec:\n      containers:\n      - name: app\n        image: debian:12\n" + envs
	}
	var secretData strings.Builder
	for i, p := range ps {
		q, _ := json.Marshal(p.text)
		fmt.Fprintf(&secretData, "  planted-%d: %s\n", i, q)
	}
	files := map[string]string{
		"Dockerfile":             df.String(),
		"bad/Dockerfile":         "FROM debian:12\n" + aws + "\n",
		"k8s/deploy.yaml":        deploy("app", env.String()),
		"k8s/secret.yaml":        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n" + secretData.String(),
		"k8s/broken.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata: [" + gh + "\n",
		"chart/Chart.yaml":       "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"chart/values.yaml":      values.String(),
		"chart/templates/d.yaml": deploy("chart", chartEnv.String()),
		// A chart that does not render, with an error quoting a value: a report warning.
		"badchart/Chart.yaml":        "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
		"badchart/values.yaml":       "token: " + gh + "\n",
		"badchart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ fail (printf \"bad token %s\" .Values.token) }}\n",
	}
	writeTree(t, dir, files)
}

// writeTree writes files under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// noSecretIn fails the test for each full value out holds.
func noSecretIn(t *testing.T, what string, out []byte, values []string) {
	t.Helper()
	for _, v := range values {
		if bytes.Contains(out, []byte(v)) {
			i := bytes.Index(out, []byte(v))
			ctx := out[max(0, i-80):min(len(out), i+len(v)+20)]
			t.Errorf("%s holds a secret in full (%.12s…): …%s…", what, v, ctx)
		}
	}
}

// cacheContents returns every file under dir, gzip'd files uncompressed.
func cacheContents(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			if u, err := io.ReadAll(zr); err == nil {
				b = u
			}
		}
		out[p] = b
		return nil
	})
	return out
}

// TestSecretsEverywhere plants one secret of every built-in rule in every place Rampart reads —
// file contents, file names, environment variables' names and values, labels' keys and values,
// the build history, the command, Dockerfiles, Kubernetes manifests, Helm values, paths that end
// in an error — and checks that no output of the real binaries holds one in full: every format
// on stdout, stderr at -v, the final error line, and the layer cache on disk.
func TestSecretsEverywhere(t *testing.T) {
	ps := plantAll(t)
	s, err := secret.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Rules() {
		if !slices.ContainsFunc(ps, func(p planted) bool { return p.rule == r.ID }) {
			t.Errorf("built-in rule %s has no planted secret: add one to plantAll", r.ID)
		}
	}
	values := everyValue(ps)
	files := plantFiles(ps)
	archive := writeSecretImage(t, ps, files)
	root := t.TempDir()
	// The directory has the same files but the one outside the root.
	writeTree(t, filepath.Join(root, "fs"), maps.Collect(func(yield func(string, string) bool) {
		for p, body := range files {
			if !strings.HasPrefix(p, "../") && !yield(p, body) {
				return
			}
		}
	}))
	cfgDir := filepath.Join(root, "config")
	writeConfigTree(t, cfgDir, ps)
	cache := t.TempDir()

	var imageJSON result.Report
	for _, target := range []struct{ cmd, ref string }{{"image", "docker-archive:" + archive}, {"fs", filepath.Join(root, "fs")}} {
		for _, format := range []string{"json", "table", "sarif", "cyclonedx-json", "spdx-json"} {
			res := testenv.Run(t, nil, target.cmd, "-v", "--scanners", "pkg,secret,misconfig", "--cache-dir", cache, "-f", format, target.ref)
			if res.Code != 0 {
				t.Fatalf("%v", res)
			}
			what := "rampart " + target.cmd + " -f " + format
			noSecretIn(t, what+" stdout", res.Stdout, values)
			noSecretIn(t, what+" stderr", res.Stderr, values)
			if target.cmd == "image" && format == "json" {
				if err := json.Unmarshal(res.Stdout, &imageJSON); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// The scan must have read what was planted: a test that reads nothing finds no leak either.
	found := map[string]bool{}
	for _, f := range imageJSON.Findings {
		found[f.ID+" "+f.Location.Path+f.Location.Field] = true
		found[f.ID] = true
	}
	for _, p := range ps {
		f := p.file
		if f == "" {
			f = "srv/secrets/" + p.rule + ".txt"
		}
		if !found[p.rule+" "+f] {
			t.Errorf("rampart image found no %s in %s", p.rule, f)
		}
	}
	for _, want := range []string{"env:ghp_********************************", "label:ghp_********************************", "history:1", "cmd"} {
		if !slices.ContainsFunc(imageJSON.Findings, func(f finding.Finding) bool { return f.Location.Field == want }) {
			t.Errorf("rampart image reported nothing at %s", want)
		}
	}
	if !slices.ContainsFunc(imageJSON.Warnings, func(w string) bool { return strings.Contains(w, "escape/ghp_****") }) {
		t.Errorf("rampart image: no warning about the entry outside the root, masked: %q", imageJSON.Warnings)
	}
	for p, b := range cacheContents(t, cache) {
		noSecretIn(t, "layer cache file "+filepath.Base(p), b, values)
	}

	for _, format := range []string{"table", "json", "sarif"} {
		res := testenv.Run(t, nil, "config", "-v", "-f", format, cfgDir)
		if res.Code != 0 {
			t.Fatalf("%v", res)
		}
		noSecretIn(t, "rampart config -f "+format+" stdout", res.Stdout, values)
		noSecretIn(t, "rampart config -f "+format+" stderr", res.Stderr, values)
		if format != "json" {
			continue
		}
		// What was read: the Dockerfile, the manifests, the chart, and the bad Dockerfile said
		// in a warning with its secret masked.
		for _, want := range []string{`"DF010"`, `"KW007"`, `"name": "chart"`, `unknown instruction AKIA****************`, `bad token ghp_****`} {
			if !bytes.Contains(res.Stdout, []byte(want)) {
				t.Errorf("rampart config -f json: no %s in\n%s", want, res.Stdout)
			}
		}
	}

	// Errors: one line, masked, control characters escaped — rampart and rampart-kube alike.
	byRule := map[string]planted{}
	for _, p := range ps {
		byRule[p.rule] = p
	}
	gh, aws := byRule["github-token"].token, byRule["aws-access-key-id"].token
	kube := filepath.Join(filepath.Dir(testenv.Rampart(t)), "rampart-kube")
	errRuns := []struct {
		bin  string
		args []string
	}{
		{"", []string{"fs", filepath.Join(root, "missing", gh)}},
		{"", []string{"image", "docker-archive:" + filepath.Join(root, aws+".tar")}},
		{"", []string{"config", filepath.Join(cfgDir, "bad", "Dockerfile")}},
		{kube, []string{"config", filepath.Join(cfgDir, "bad", "Dockerfile")}},
		{kube, []string{"config", filepath.Join(root, "missing", gh, "Dockerfile")}},
		{"", []string{"fs", filepath.Join(root, "x\x1b]0;TITLE\a"+gh)}},
	}
	for _, r := range errRuns {
		var res testenv.Result
		if r.bin == "" {
			res = testenv.Run(t, nil, append(r.args, "-v")...)
		} else {
			res = testenv.RunBinary(t, r.bin, nil, append(r.args, "-v")...)
		}
		if res.Code == 0 {
			t.Errorf("%v: want an error", res)
			continue
		}
		what := strings.Join(res.Args, " ")
		noSecretIn(t, what+" stderr", res.Stderr, values)
		noSecretIn(t, what+" stdout", res.Stdout, values)
		last := string(res.Stderr)
		last = last[strings.LastIndex(strings.TrimSuffix(last, "\n"), "\n")+1:]
		if !strings.HasPrefix(last, "rampart: ") || strings.ContainsAny(last, "\x1b\a") {
			t.Errorf("%s: final line %q: want one \"rampart: \" line with control characters escaped", what, last)
		}
		if strings.Contains(what, "TITLE") && !strings.Contains(last, `\x1b]0;TITLE\x07`) {
			t.Errorf("%s: final line %q does not show the escape sequence escaped", what, last)
		}
	}

	// The user's rules mask too, and a misspelt key in their file is said, with file and line.
	acme := "acme_" + secretGen{rand.New(rand.NewPCG(1, 2))}.s("abcdefghijklmnopqrstuvwxyz0123456789", 24)
	rules := filepath.Join(root, "rules.yaml")
	os.WriteFile(rules, []byte("rules:\n  - id: acme\n    title: ACME token\n    severity: HIGH\n    keywords: [acme_]\n    regex: '\\b(?P<secret>acme_[a-z0-9]{24})\\b'\n"), 0o644)
	res := testenv.Run(t, nil, "fs", "-v", "--scanners", "secret", "--secret-config", rules, filepath.Join(root, "missing", acme))
	if res.Code == 0 {
		t.Errorf("%v: want an error", res)
	}
	noSecretIn(t, "rampart fs --secret-config stderr", res.Stderr, []string{acme})
	os.WriteFile(rules, []byte("rules: []\ndisabled: [jwt]\n"), 0o644)
	res = testenv.Run(t, nil, "fs", "--scanners", "secret", "--secret-config", rules, filepath.Join(root, "fs"))
	if line := errorLine(t, res); res.Code != 2 || !strings.Contains(line, rules+`:2: unknown key "disabled"`) {
		t.Errorf("%v\nwant exit 2 naming %s:2 and the unknown key", res, rules)
	}
}
