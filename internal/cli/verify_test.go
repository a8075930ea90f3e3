package cli

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/rampartsec/rampart/internal/signature"
	"github.com/rampartsec/rampart/internal/testenv"
)

// cosignVersion is the cosign scripts/peers.sh installs. Keep in step.
const cosignVersion = "v2.6.5"

// cosignBinary returns $RAMPART_COSIGN, else the cosign scripts/peers.sh installed, else ends
// the test through testenv.Missing.
func cosignBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("RAMPART_COSIGN"); b != "" {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("RAMPART_COSIGN: %v", err)
		}
		return b
	}
	cache := os.Getenv("RAMPART_TEST_CACHE")
	if cache == "" {
		cache = "/var/cache/rampart-test"
	}
	b := filepath.Join(cache, "peers", "cosign-"+cosignVersion, "cosign")
	if _, err := os.Stat(b); err != nil {
		testenv.Missing(t, fmt.Sprintf("cosign %s is not installed (%v): run scripts/peers.sh, or set RAMPART_COSIGN", cosignVersion, err))
	}
	return b
}

// cosign runs the real cosign offline: no transparency log, a throwaway home.
type cosign struct {
	bin, dir string
}

const cosignPassword = "rampart-test"

func (c *cosign) run(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+cosignPassword, "HOME="+c.dir, "TUF_ROOT="+filepath.Join(c.dir, "tuf"),
		"COSIGN_EXPERIMENTAL=0", "SIGSTORE_NO_CACHE=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// importKey writes priv as PEM and makes cosign import it as NAME.key and NAME.pub; it
// returns the public key's path.
func (c *cosign) importKey(t *testing.T, name string, priv crypto.Signer) string {
	t.Helper()
	var block *pem.Block
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	src := filepath.Join(c.dir, name+".pem")
	if err := os.WriteFile(src, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	c.run(t, "import-key-pair", "--key", src, "--output-key-prefix", name, "--yes")
	return filepath.Join(c.dir, name+".pub")
}

// keyPair makes cosign write NAME.key and NAME.pub and returns the public key's path.
func (c *cosign) keyPair(t *testing.T, name string) string {
	t.Helper()
	c.run(t, "generate-key-pair", "--output-key-prefix", name)
	return filepath.Join(c.dir, name+".pub")
}

// sign signs ref (host/repo@digest) with NAME.key, annotations given as key=value.
func (c *cosign) sign(t *testing.T, key, ref string, annotations ...string) {
	t.Helper()
	args := []string{"sign", "--key", key + ".key", "--tlog-upload=false", "--yes", "--allow-insecure-registry"}
	for _, a := range annotations {
		args = append(args, "-a", a)
	}
	c.run(t, append(args, ref)...)
}

func runVerify(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"verify", "-q"}, args...), strings.NewReader(""), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

func decodeVerify(t *testing.T, res runResult) VerifyReport {
	t.Helper()
	var doc VerifyReport
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("decode verify report: %v\nstdout: %.500s\nstderr: %s", err, res.stdout, res.stderr)
	}
	return doc
}

// sigManifest reads the signature manifest cosign wrote for digest in repo.
func sigManifest(t *testing.T, repo, digest string) *v1.Manifest {
	t.Helper()
	tag, err := signature.SignatureTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(ref)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rawManifest is a manifest pushed as written.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// putSigManifest writes m as the signature manifest of digest in repo.
func putSigManifest(t *testing.T, repo, digest string, m *v1.Manifest) {
	t.Helper()
	tag, err := signature.SignatureTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(ref, rawManifest{b, m.MediaType}); err != nil {
		t.Fatalf("put %s: %v", ref, err)
	}
}

// readBlob reads a blob of repo.
func readBlob(t *testing.T, repo string, d v1.Hash) []byte {
	t.Helper()
	ref, err := name.NewDigest(repo + "@" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	l, err := remote.Layer(ref)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerifyWithCosign(t *testing.T) {
	bin := cosignBinary(t)
	r := startRegistry(t)
	c := &cosign{bin: bin, dir: t.TempDir()}
	pubA := c.keyPair(t, "a")
	pubB := c.keyPair(t, "b")
	repo := r.host + "/team/app"

	push := func(tag string) string {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		return r.push(t, "team/app:"+tag, img)
	}
	signed, unsigned, copied, tampered, forged, twice := push("signed"), push("unsigned"), push("copied"), push("tampered"), push("forged"), push("twice")
	odd, corrupt := push("odd"), push("corrupt")
	idx, err := random.Index(256, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	index := r.push(t, "team/app:multi", idx)
	if got := r.manifestDigest(t, "team/app", "signed"); got != signed {
		t.Fatalf("registry says %s, pushed %s", got, signed)
	}
	c.sign(t, "a", repo+"@"+signed, "env=prod", "team=payments")
	c.sign(t, "a", repo+"@"+tampered)
	c.sign(t, "a", repo+"@"+forged, "env=dev")
	c.sign(t, "b", repo+"@"+twice)
	c.sign(t, "a", repo+"@"+twice)
	c.sign(t, "a", repo+"@"+odd)
	c.sign(t, "a", repo+"@"+corrupt)
	c.sign(t, "a", repo+"@"+index)

	// What cosign wrote, read with ggcr: the truth the report is compared with.
	m := sigManifest(t, repo, signed)
	if len(m.Layers) != 1 || string(m.Layers[0].MediaType) != signature.PayloadMediaType {
		t.Fatalf("cosign wrote an unexpected signature manifest: %+v", m)
	}
	var cosignPayload struct {
		Critical struct {
			Identity struct {
				DockerReference string `json:"docker-reference"`
			} `json:"identity"`
			Image struct {
				Digest string `json:"docker-manifest-digest"`
			} `json:"image"`
		} `json:"critical"`
		Optional map[string]any `json:"optional"`
	}
	if err := json.Unmarshal(readBlob(t, repo, m.Layers[0].Digest), &cosignPayload); err != nil {
		t.Fatal(err)
	}
	if cosignPayload.Critical.Image.Digest != signed {
		t.Fatalf("cosign signed %s, want %s", cosignPayload.Critical.Image.Digest, signed)
	}

	// The signature of one image copied to another's signature tag.
	putSigManifest(t, repo, copied, m)

	// A signature whose annotation was changed: one bit of the signature flipped.
	tm := sigManifest(t, repo, tampered)
	sig, err := base64.StdEncoding.DecodeString(tm.Layers[0].Annotations[signature.SignatureAnnotation])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 0x01
	tm.Layers[0].Annotations[signature.SignatureAnnotation] = base64.StdEncoding.EncodeToString(sig)
	putSigManifest(t, repo, tampered, tm)

	// A payload rewritten to claim env=prod, beside the signature cosign made over env=dev.
	fm := sigManifest(t, repo, forged)
	orig := readBlob(t, repo, fm.Layers[0].Digest)
	forgedPayload := bytes.Replace(orig, []byte(`"env":"dev"`), []byte(`"env":"prod"`), 1)
	if bytes.Equal(forgedPayload, orig) {
		t.Fatalf("payload has no env=dev: %s", orig)
	}
	fl := static.NewLayer(forgedPayload, types.MediaType(signature.PayloadMediaType))
	repoRef, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteLayer(repoRef, fl); err != nil {
		t.Fatal(err)
	}
	fd, err := fl.Digest()
	if err != nil {
		t.Fatal(err)
	}
	fm.Layers[0].Digest, fm.Layers[0].Size = fd, int64(len(forgedPayload))
	putSigManifest(t, repo, forged, fm)

	// Beside a good signature, layers that are not signatures or cannot be read: each gets its
	// reason and none stops the others from being checked.
	om := sigManifest(t, repo, odd)
	good := om.Layers[0]
	variant := func(f func(*v1.Descriptor)) v1.Descriptor {
		d := good
		d.Annotations = map[string]string{}
		for k, v := range good.Annotations {
			d.Annotations[k] = v
		}
		f(&d)
		return d
	}
	om.Layers = append(om.Layers,
		variant(func(d *v1.Descriptor) { d.MediaType = "application/octet-stream" }),
		variant(func(d *v1.Descriptor) { delete(d.Annotations, signature.SignatureAnnotation) }),
		variant(func(d *v1.Descriptor) { d.Annotations[signature.SignatureAnnotation] = "not base64!" }),
		variant(func(d *v1.Descriptor) { d.Size = 2 << 20 }),
	)
	putSigManifest(t, repo, odd, om)

	// A payload blob damaged in the registry's storage: same length, one byte changed.
	cm := sigManifest(t, repo, corrupt)
	corruptLayer := cm.Layers[0].Digest.String()
	blob := r.blobPath(cm.Layers[0].Digest)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}

	// The signed image and its signature copied to another repository, as a mirror does.
	mirror := r.host + "/mirror/app"
	for _, d := range []string{signed} {
		src, err := name.NewDigest(repo + "@" + d)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(src)
		if err != nil {
			t.Fatal(err)
		}
		r.push(t, "mirror/app:signed", img)
		tag, _ := signature.SignatureTag(d)
		sigSrc, _ := name.NewTag(repo + ":" + tag)
		sigImg, err := remote.Image(sigSrc)
		if err != nil {
			t.Fatal(err)
		}
		r.push(t, "mirror/app:"+tag, sigImg)
	}

	type sigRow struct {
		Verified bool
		Reason   string
		Ref      string
		Warn     bool
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []sigRow // nil for an error without a report
		wantErr  string   // in stderr
	}{
		{name: "right key by tag", args: []string{repo + ":signed", "--key", pubA}, want: []sigRow{{Verified: true, Ref: repo}}},
		{name: "right key by digest", args: []string{repo + "@" + signed, "--key", pubA}, want: []sigRow{{Verified: true, Ref: repo}}},
		{name: "other key", args: []string{repo + ":signed", "--key", pubB}, wantCode: ExitGate,
			want: []sigRow{{Reason: "signature does not verify with the key", Ref: repo}}, wantErr: "none of 1 signatures verified"},
		{name: "annotations hold", args: []string{repo + ":signed", "--key", pubA, "-a", "env=prod", "--annotation", "team=payments"}, want: []sigRow{{Verified: true, Ref: repo}}},
		{name: "annotation differs", args: []string{repo + ":signed", "--key", pubA, "-a", "env=dev"}, wantCode: ExitGate,
			want: []sigRow{{Reason: "annotations not as required: env", Ref: repo}}},
		{name: "annotation absent", args: []string{repo + ":twice", "--key", pubA, "-a", "env=prod"}, wantCode: ExitGate,
			want: []sigRow{{Reason: "signature does not verify with the key", Ref: repo}, {Reason: "annotations not as required: env", Ref: repo}}},
		{name: "copied from another image", args: []string{repo + ":copied", "--key", pubA}, wantCode: ExitGate,
			want: []sigRow{{Reason: "signs " + signed + ", not this image", Ref: repo}}},
		{name: "tampered signature", args: []string{repo + ":tampered", "--key", pubA}, wantCode: ExitGate,
			want: []sigRow{{Reason: "signature does not verify with the key", Ref: repo}}},
		{name: "forged payload", args: []string{repo + ":forged", "--key", pubA, "-a", "env=prod"}, wantCode: ExitGate,
			want: []sigRow{{Reason: "signature does not verify with the key", Ref: repo}}},
		{name: "two signers", args: []string{repo + ":twice", "--key", pubA},
			want: []sigRow{{Reason: "signature does not verify with the key", Ref: repo}, {Verified: true, Ref: repo}}},
		{name: "odd layers", args: []string{repo + ":odd", "--key", pubA}, want: []sigRow{
			{Verified: true, Ref: repo},
			{Reason: `layer media type "application/octet-stream" is not a cosign payload`},
			{Reason: "no dev.cosignproject.cosign/signature annotation"},
			{Reason: "signature annotation is not base64"},
			{Reason: "payload of 2097152 bytes is larger than 1048576"},
		}},
		{name: "corrupt payload blob", args: []string{repo + ":corrupt", "--key", pubA}, wantCode: ExitGate,
			want: []sigRow{{Reason: "payload blob: blob " + corruptLayer}}},
		// A multi-platform image is signed, and verified, as its index's digest.
		{name: "index", args: []string{repo + ":multi", "--key", pubA}, want: []sigRow{{Verified: true, Ref: repo}}},
		{name: "mirror warns", args: []string{mirror + ":signed", "--key", pubA}, want: []sigRow{{Verified: true, Ref: repo, Warn: true}}},
		{name: "unsigned", args: []string{repo + "@" + unsigned, "--key", pubA}, wantCode: ExitNotFound, wantErr: "no signatures"},
		{name: "no such image", args: []string{repo + ":missing", "--key", pubA}, wantCode: ExitNotFound, wantErr: "rampart: "},
		{name: "no key", args: []string{repo + ":signed"}, wantCode: ExitUsage, wantErr: "--key is required"},
		{name: "key is not a public key", args: []string{repo + ":signed", "--key", filepath.Join(c.dir, "a.key")}, wantCode: ExitUsage, wantErr: "PUBLIC KEY"},
		{name: "bad annotation", args: []string{repo + ":signed", "--key", pubA, "-a", "env"}, wantCode: ExitUsage, wantErr: "key=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runVerify(t, append(tt.args, "-f", "json")...)
			if res.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", res.code, tt.wantCode, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("stderr %q does not say %q", res.stderr, tt.wantErr)
			}
			if tt.want == nil {
				return
			}
			doc := decodeVerify(t, res)
			var got []sigRow
			for _, s := range doc.Signatures {
				// What follows the damaged blob's digest is go-containerregistry's wording.
				reason := s.Reason
				if i := strings.Index(reason, corruptLayer); i >= 0 {
					reason = reason[:i+len(corruptLayer)]
				}
				got = append(got, sigRow{Verified: s.Verified, Reason: reason, Ref: s.DockerReference, Warn: len(s.Warnings) > 0})
			}
			// The two signers' order is the order cosign appended them: b, then a.
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("signatures mismatch (-want +got):\n%s", diff)
			}
			verified := 0
			for _, w := range tt.want {
				if w.Verified {
					verified++
				}
			}
			if doc.Verified != verified {
				t.Errorf("verified = %d, want %d", doc.Verified, verified)
			}
		})
	}

	// What the report says of the signed image, against what cosign wrote.
	doc := decodeVerify(t, runVerify(t, repo+":signed", "--key", pubA, "-f", "json"))
	want := VerifyReport{Image: repo + ":signed", Key: pubA, KeyType: "ecdsa-P-256", Verified: 1}
	want.Repository, want.Digest = repo, signed
	want.SignatureRef = repo + ":sha256-" + strings.TrimPrefix(signed, "sha256:") + ".sig"
	want.Signatures = []signature.Signature{{Layer: m.Layers[0].Digest.String(), Verified: true,
		DockerReference: cosignPayload.Critical.Identity.DockerReference, Digest: signed, Annotations: cosignPayload.Optional}}
	doc.Tool = want.Tool
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("report mismatch (-want +got):\n%s", diff)
	}

	// The table says the same.
	res := runVerify(t, repo+":twice", "--key", pubA)
	for _, s := range []string{"NOT verified: signature does not verify with the key", "verified", "1 of 2 signatures verified", twice} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("table does not say %q:\n%s", s, res.stdout)
		}
	}
}

// TestVerifyImportedKeys: cosign generates only ECDSA P-256 keys, but signs with the RSA,
// ECDSA and Ed25519 keys it imports; each must verify with its own public key only.
func TestVerifyImportedKeys(t *testing.T) {
	bin := cosignBinary(t)
	r := startRegistry(t)
	c := &cosign{bin: bin, dir: t.TempDir()}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := []struct {
		name, keyType string
		priv          crypto.Signer
	}{
		{"rsa", "rsa-3072", rsaKey},
		{"p384", "ecdsa-P-384", p384},
		{"p521", "ecdsa-P-521", p521},
		{"ed", "ed25519", edKey},
	}
	pubs := map[string]string{}
	for _, k := range keys {
		pubs[k.name] = c.importKey(t, k.name, k.priv)
	}
	for i, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			img, err := random.Image(256, 1)
			if err != nil {
				t.Fatal(err)
			}
			d := r.push(t, "imported/"+k.name+":1", img)
			ref := r.host + "/imported/" + k.name + "@" + d
			c.sign(t, k.name, ref)
			res := runVerify(t, ref, "--key", pubs[k.name], "-f", "json")
			if res.code != ExitOK {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
			}
			if doc := decodeVerify(t, res); doc.KeyType != k.keyType || doc.Verified != 1 {
				t.Errorf("key type %q, %d verified; want %q, 1", doc.KeyType, doc.Verified, k.keyType)
			}
			other := keys[(i+1)%len(keys)].name
			if res := runVerify(t, ref, "--key", pubs[other]); res.code != ExitGate {
				t.Errorf("with the %s key: exit %d, want %d\n%s", other, res.code, ExitGate, res.stdout)
			}
		})
	}
}

// TestVerifyTableEscapes: the payload's text is the signer's, or an attacker's who pushed a
// .sig manifest; it must not forge rows or drive the terminal.
func TestVerifyTableEscapes(t *testing.T) {
	doc := &VerifyReport{Key: "cosign.pub", KeyType: "ecdsa-P-256"}
	doc.Repository, doc.Digest, doc.SignatureRef = "127.0.0.1:5000/app", "sha256:"+strings.Repeat("0", 64), "127.0.0.1:5000/app:sha256-x.sig"
	doc.Signatures = []signature.Signature{{
		Layer:           "sha256:" + strings.Repeat("1", 64),
		DockerReference: "evil\x1b[2J\nverified\tx",
		Reason:          "signs \x1b]0;title\x07, not this image",
	}}
	var buf bytes.Buffer
	if err := writeVerifyTable(&buf, doc); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07\t") {
		t.Errorf("table holds control characters: %q", out)
	}
	// Header block (3 lines), a blank line, the column header, one row, a blank line, the summary.
	if got := strings.Count(out, "\n"); got != 8 {
		t.Errorf("table has %d lines, want 8:\n%s", got, out)
	}
	for _, want := range []string{`evil\x1b[2J\x0averified\x09x`, "0 of 1 signatures verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("table does not say %q:\n%s", want, out)
		}
	}
}

// TestVerifyRegistryErrors: the shared TLS registry with basic auth (read only here) and a
// closed port give the exit codes every registry command gives.
func TestVerifyRegistryErrors(t *testing.T) {
	env := testenv.Load(t)
	r := env.Registry
	dir := t.TempDir()
	pub := filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(pub, newPublicKeyPEM(t), 0o644); err != nil {
		t.Fatal(err)
	}
	app := r.TLS + "/" + r.AppRepository + ":" + r.AppTag
	tests := []struct {
		name     string
		password string
		args     []string
		wantCode int
		wantErr  string
	}{
		// Authenticated over TLS with the CA: the image is found, it has no signatures.
		{name: "unsigned over TLS", password: r.Password, args: []string{app, "--ca-cert", r.CACert}, wantCode: ExitNotFound,
			wantErr: "no signatures"},
		{name: "wrong password", password: "wrong-" + r.Password, args: []string{app, "--ca-cert", r.CACert}, wantCode: ExitUnauthorized},
		{name: "unknown CA", password: r.Password, args: []string{app}, wantCode: ExitUnreachable},
		{name: "closed port", password: r.Password, args: []string{fmt.Sprintf("127.0.0.1:%d/app:1", freePort(t)), "--timeout", "20s"}, wantCode: ExitUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DOCKER_CONFIG", dockerConfig(t, r.TLS, r.Username, tt.password))
			res := runVerify(t, append(tt.args, "--key", pub)...)
			if res.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", res.code, tt.wantCode, res.stdout, res.stderr)
			}
			if !strings.HasPrefix(res.stderr, "rampart: ") || !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("stderr %q: want one rampart: line saying %q", res.stderr, tt.wantErr)
			}
		})
	}
}

// newPublicKeyPEM is a fresh ECDSA P-256 public key in PEM.
func newPublicKeyPEM(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
