package signature

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testDigest = "sha256:3f0b5c7e9a1d2b4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d"

func TestParsePayload(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *Payload
		wantErr bool
	}{
		{
			name: "testdata plain",
			in:   readTestdata(t, "plain.json"),
			want: &Payload{DockerReference: "127.0.0.1:5000/demo/app", Digest: testDigest},
		},
		{
			name: "testdata annotated",
			in:   readTestdata(t, "annotated.json"),
			want: &Payload{DockerReference: "registry.example.com/team/api", Digest: testDigest,
				Optional: map[string]any{"env": "prod", "build": json.Number("42"), "nested": map[string]any{"a": []any{json.Number("1"), json.Number("2")}}}},
		},
		{
			name: "no identity is still a payload",
			in:   `{"critical":{"image":{"docker-manifest-digest":"` + testDigest + `"},"type":"cosign container image signature"}}`,
			want: &Payload{Digest: testDigest},
		},
		{name: "empty", in: ``, wantErr: true},
		{name: "not an object", in: `[]`, wantErr: true},
		{name: "no critical", in: `{"optional":{}}`, wantErr: true},
		{name: "wrong type", in: `{"critical":{"image":{"docker-manifest-digest":"` + testDigest + `"},"type":"atomic container signature"}}`, wantErr: true},
		{name: "no image", in: `{"critical":{"type":"cosign container image signature"}}`, wantErr: true},
		{name: "bad digest", in: `{"critical":{"image":{"docker-manifest-digest":"sha256:abc"},"type":"cosign container image signature"}}`, wantErr: true},
		{name: "digest not a string", in: `{"critical":{"image":{"docker-manifest-digest":7},"type":"cosign container image signature"}}`, wantErr: true},
		{name: "trailing document", in: readTestdata(t, "plain.json") + `{}`, wantErr: true},
		{name: "truncated", in: readTestdata(t, "plain.json")[:40], wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePayload([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePayload() error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePayload() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMissingAnnotations(t *testing.T) {
	p, err := ParsePayload([]byte(readTestdata(t, "annotated.json")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want [][2]string
		miss []string
	}{
		{name: "none asked", want: nil},
		{name: "present", want: [][2]string{{"env", "prod"}}},
		{name: "other value", want: [][2]string{{"env", "dev"}}, miss: []string{"env"}},
		{name: "absent", want: [][2]string{{"team", "x"}, {"env", "prod"}}, miss: []string{"team"}},
		// Like cosign, a constraint is a string: a number in the payload never matches.
		{name: "number", want: [][2]string{{"build", "42"}}, miss: []string{"build"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.miss, p.MissingAnnotations(tt.want)); diff != "" {
				t.Errorf("MissingAnnotations() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAnnotation(t *testing.T) {
	tests := []struct {
		in      string
		k, v    string
		wantErr bool
	}{
		{in: "env=prod", k: "env", v: "prod"},
		{in: "a=b=c", k: "a", v: "b=c"},
		{in: "empty=", k: "empty", v: ""},
		{in: "novalue", wantErr: true},
		{in: "=x", wantErr: true},
	}
	for _, tt := range tests {
		k, v, err := ParseAnnotation(tt.in)
		if (err != nil) != tt.wantErr || k != tt.k || v != tt.v {
			t.Errorf("ParseAnnotation(%q) = %q, %q, %v", tt.in, k, v, err)
		}
	}
}

func TestSignatureTag(t *testing.T) {
	got, err := SignatureTag(testDigest)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256-" + testDigest[len("sha256:"):] + ".sig"; got != want {
		t.Errorf("SignatureTag() = %q, want %q", got, want)
	}
	if _, err := SignatureTag("latest"); err == nil {
		t.Error("SignatureTag(latest): no error")
	}
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzParsePayload feeds untrusted payload bytes (they are parsed before their signature is
// checked): no panic, and a payload accepted has a well-formed digest.
func FuzzParsePayload(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "payloads"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add([]byte(readTestdata(f, e.Name())), "env=prod")
	}
	f.Add([]byte(`{"critical":null}`), "=")
	f.Fuzz(func(t *testing.T, b []byte, annotation string) {
		if len(b) > MaxPayload {
			return
		}
		k, v, aerr := ParseAnnotation(annotation)
		p, err := ParsePayload(b)
		if err != nil {
			return
		}
		if _, herr := SignatureTag(p.Digest); herr != nil {
			t.Fatalf("accepted payload with digest %q: %v", p.Digest, herr)
		}
		if aerr == nil {
			miss := p.MissingAnnotations([][2]string{{k, v}})
			got, isString := p.Optional[k].(string)
			if (len(miss) == 0) != (isString && got == v) {
				t.Fatalf("MissingAnnotations(%q=%q) = %v with optional %v", k, v, miss, p.Optional)
			}
		}
	})
}
