package mask

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/secret"
)

var (
	ghToken = "ghp_" + "Zr8mQ2vX7pL4nT9kW1sY6bH3cJ5dF0gA2eR8"
	awsKey  = "AKIA" + "Q7RZ5WX2MB4KJ6TY"
	acme    = "acme_" + "q7rz5wx2mb4kj6tyq7rz5wx2"
)

func TestString(t *testing.T) {
	in := "open /srv/" + ghToken + "/x: no such file or directory (key " + awsKey + ")"
	want := "open /srv/ghp_********************************/x: no such file or directory (key AKIA****************)"
	if got := String(in); got != want {
		t.Errorf("String(%q)\n = %q\nwant %q", in, got, want)
	}
	if s := "nothing secret here"; String(s) != s {
		t.Errorf("String changed %q", s)
	}
}

// TestUse: the user's rules mask too once a command has read them, and only then.
func TestUse(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rules.yaml")
	os.WriteFile(p, []byte(`rules:
  - id: acme
    title: ACME token
    severity: HIGH
    keywords: [acme_]
    regex: '\b(?P<secret>acme_[a-z0-9]{24})\b'
`), 0o644)
	c, err := secret.LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := secret.New(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(String("t="+acme), "*") {
		t.Fatal("a user rule masks before Use")
	}
	Use(s)
	defer Use(nil)
	if got := String("t=" + acme + " " + ghToken); strings.Contains(got, acme) || strings.Contains(got, ghToken) {
		t.Errorf("String with the user's rules = %q", got)
	}
}

func TestError(t *testing.T) {
	base := &fs.PathError{Op: "open", Path: "/srv/" + ghToken, Err: fs.ErrNotExist}
	err := Error(fmt.Errorf("scan: %w", base))
	if strings.Contains(err.Error(), ghToken) {
		t.Errorf("Error() = %q", err)
	}
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
		t.Errorf("the masked error hides its chain")
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

// TestHandler: no part of a log record — message, attribute keys and values, errors, Stringers,
// groups, WithAttrs — reaches the output with a secret in it.
func TestHandler(t *testing.T) {
	for name, newH := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		"json": func(b *bytes.Buffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	} {
		var buf bytes.Buffer
		log := slog.New(Handler(newH(&buf))).With("ref", "docker-archive:/tmp/"+ghToken+".tar")
		log.WithGroup("layer").Debug("config file not checked: unknown instruction "+awsKey,
			"path", "Dockerfile."+awsKey,
			"err", errors.New("line 3: "+ghToken),
			"who", stringer("user "+ghToken),
			"list", []string{ghToken},
			slog.Group("g", "token", ghToken),
			ghToken, 1)
		out := buf.String()
		if strings.Contains(out, ghToken) || strings.Contains(out, awsKey) {
			t.Errorf("%s handler printed a secret:\n%s", name, out)
		}
		if !strings.Contains(out, "ghp_****") || !strings.Contains(out, "AKIA****") {
			t.Errorf("%s handler output lost the masked values:\n%s", name, out)
		}
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

// TestValue: every string reachable from a value is masked in place, whatever its layout.
func TestValue(t *testing.T) {
	type loc struct{ Path, Field string }
	type item struct {
		Loc      loc
		Extra    map[string]string
		Names    []string
		Ptr      *loc
		Any      any
		Data     []byte
		N        int
		internal string
	}
	v := struct {
		Items    []item
		Warnings []string
	}{
		Items: []item{{
			Loc:      loc{Path: "srv/" + ghToken, Field: "env:" + ghToken},
			Extra:    map[string]string{ghToken: "v", "k": awsKey},
			Names:    []string{awsKey},
			Ptr:      &loc{Path: ghToken},
			Any:      "x " + awsKey,
			Data:     []byte(ghToken),
			N:        3,
			internal: ghToken,
		}},
		Warnings: []string{"srv/" + ghToken + ": permission denied"},
	}
	Value(&v)
	got := fmt.Sprintf("%+v %+v", v, *v.Items[0].Ptr)
	got = strings.ReplaceAll(got, fmt.Sprint([]byte(ghToken)), "") // []byte is data, kept
	got = strings.ReplaceAll(got, "internal:"+ghToken, "")         // unexported: not output
	if strings.Contains(got, ghToken) || strings.Contains(got, awsKey) {
		t.Errorf("Value left a secret: %s", got)
	}
	if v.Items[0].Extra["k"] != "AKIA****************" || len(v.Items[0].Extra) != 2 {
		t.Errorf("map: %v", v.Items[0].Extra)
	}
	Value(nil)
	Value(v) // not a pointer: nothing to do, no panic
}
