package image

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Artifact is an opened image (or directory). Close releases temporary files; it is safe to call
// more than once.
type Artifact struct {
	Ref Ref
	// Digest is the manifest digest (what "@sha256:…" pins), when the source has one.
	Digest string
	// ID is the config digest, Docker's image ID. Empty for directories.
	ID string
	// RepoTags and RepoDigests as known from the source.
	RepoTags []string
	Platform string
	// Config is the image configuration; nil for directories.
	Config *v1.ConfigFile
	// RawConfig is the config blob as stored, for checks that need fields ggcr does not model.
	RawConfig []byte
	// Layers are in application order, base first. Empty for directories.
	Layers []Layer
	// Root is the directory scanned for SourceDir.
	Root string

	closers []func() error
}

// Layer is one filesystem layer of an image.
type Layer struct {
	Index  int
	DiffID string // sha256 of the uncompressed tar: the cache key
	Digest string // digest of the blob as stored (compressed), when known
	Size   int64  // stored size in bytes, when known
	// CreatedBy is the history entry that produced the layer, when the config records it.
	CreatedBy string
	layer     v1.Layer
}

// Open returns the uncompressed tar stream of the layer. The caller must close it. The stream is
// not verified against DiffID: the reader does that, since it reads the stream to its end anyway.
func (l *Layer) Open() (io.ReadCloser, error) {
	rc, err := l.layer.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("open layer %s: %w", l.DiffID, classify(err))
	}
	return rc, nil
}

// Close removes temporary files the artifact holds.
func (a *Artifact) Close() error {
	var errs []error
	for _, c := range a.closers {
		errs = append(errs, c())
	}
	a.closers = nil
	return errors.Join(errs...)
}

type options struct {
	platform string
	insecure bool
	caFile   string
	keychain authn.Keychain
	timeout  time.Duration
	logger   *slog.Logger
	tempDir  string
	pageSize int
}

// Option configures [Open].
type Option func(*options) error

// WithPlatform selects the image of a multi-platform index ("os/arch[/variant]").
// The default is linux and the host's architecture.
func WithPlatform(p string) Option {
	return func(o *options) error {
		if _, err := v1.ParsePlatform(p); err != nil {
			return fmt.Errorf("%w: platform %q: %w", ErrInvalid, p, err)
		}
		o.platform = p
		return nil
	}
}

// WithInsecure allows plain HTTP and unverified TLS to the registry. Loopback registries
// (127.0.0.0/8, localhost, ::1) are always allowed plain HTTP, as Docker does.
func WithInsecure(b bool) Option { return func(o *options) error { o.insecure = b; return nil } }

// WithCACert trusts the PEM certificates in file in addition to the system roots.
func WithCACert(file string) Option { return func(o *options) error { o.caFile = file; return nil } }

// WithKeychain sets where registry credentials come from. The default reads
// ~/.docker/config.json (or $DOCKER_CONFIG) and its credential helpers, like docker and crane.
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error { o.keychain = k; return nil }
}

// WithResponseTimeout bounds how long a registry may take to answer one request (default 30s),
// so a hanging registry gives an error instead of a hang.
func WithResponseTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return errors.New("response timeout must be positive")
		}
		o.timeout = d
		return nil
	}
}

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) error { o.logger = l; return nil } }

// WithTempDir sets where temporary files (a daemon image's export) go; default os.TempDir().
func WithTempDir(d string) Option { return func(o *options) error { o.tempDir = d; return nil } }

// HostPlatform is the default platform: linux on the host's architecture.
func HostPlatform() string {
	p := "linux/" + runtime.GOARCH
	if runtime.GOARCH == "arm" {
		p += "/v7"
	}
	return p
}

// makeOptions applies opts over the defaults.
func makeOptions(opts []Option) (options, error) {
	o := options{platform: HostPlatform(), keychain: authn.DefaultKeychain, timeout: 30 * time.Second, logger: slog.Default()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return options{}, err
		}
	}
	return o, nil
}

// Open opens the artifact ref names. The caller must Close the artifact.
// Errors wrap ErrNotFound, ErrUnauthorized, ErrUnreachable or ErrInvalid.
func Open(ctx context.Context, ref Ref, opts ...Option) (*Artifact, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	plat, err := v1.ParsePlatform(o.platform)
	if err != nil {
		return nil, fmt.Errorf("%w: platform %q: %w", ErrInvalid, o.platform, err)
	}
	art := &Artifact{Ref: ref, Platform: plat.String()}
	var img v1.Image
	switch ref.Source {
	case SourceDir:
		st, err := os.Stat(ref.Name)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("directory %s: %w", ref.Name, ErrNotFound)
			}
			return nil, fmt.Errorf("directory %s: %w", ref.Name, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%w: %s is not a directory", ErrInvalid, ref.Name)
		}
		art.Root = ref.Name
		art.Platform = ""
		return art, nil
	case SourceRegistry:
		img, err = openRemote(ctx, ref, plat, &o, art)
	case SourceDaemon:
		img, err = openDaemon(ctx, ref, &o, art)
	case SourceDockerArchive:
		img, err = openDockerArchive(ref, art)
	case SourceOCILayout:
		img, err = openLayout(ref.Name, ref.Tag, plat)
	case SourceOCIArchive:
		img, err = openOCIArchive(ref, plat, art)
	default:
		err = fmt.Errorf("%w: unknown source %q", ErrInvalid, ref.Source)
	}
	if err != nil {
		art.Close()
		return nil, err
	}
	if err := art.fill(img); err != nil {
		art.Close()
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return art, nil
}

// fill reads the manifest, config and layer list of img into the artifact.
func (a *Artifact) fill(img v1.Image) error {
	raw, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("read config: %w", classify(err))
	}
	cfg, err := v1.ParseConfigFile(bytesReader(raw))
	if err != nil {
		return fmt.Errorf("%w: parse config: %w", ErrInvalid, err)
	}
	a.RawConfig, a.Config = raw, cfg
	if h, err := img.ConfigName(); err == nil {
		a.ID = h.String()
	}
	if a.Digest == "" && a.Ref.Source != SourceDaemon && a.Ref.Source != SourceDockerArchive {
		if h, err := img.Digest(); err == nil {
			a.Digest = h.String()
		}
	}
	if cfg.OS != "" {
		a.Platform = (&v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}).String()
	}
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("list layers: %w", classify(err))
	}
	if len(layers) != len(cfg.RootFS.DiffIDs) {
		return fmt.Errorf("%w: manifest lists %d layers but config lists %d diffIDs", ErrInvalid, len(layers), len(cfg.RootFS.DiffIDs))
	}
	var createdBy []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			createdBy = append(createdBy, h.CreatedBy)
		}
	}
	for i, l := range layers {
		// The config is the authority on diffIDs: it is what the image digest covers.
		lay := Layer{Index: i, DiffID: cfg.RootFS.DiffIDs[i].String(), layer: l}
		// A docker-save archive (and so the daemon's export) stores layers uncompressed: asking
		// go-containerregistry for their digest or size would gzip each whole layer to compute them.
		if !storedUncompressed(a.Ref.Source) {
			if d, err := l.Digest(); err == nil {
				lay.Digest = d.String()
			}
			if s, err := l.Size(); err == nil {
				lay.Size = s
			}
		}
		if i < len(createdBy) {
			lay.CreatedBy = createdBy[i]
		}
		a.Layers = append(a.Layers, lay)
	}
	return nil
}

func openRemote(ctx context.Context, ref Ref, plat *v1.Platform, o *options, art *Artifact) (v1.Image, error) {
	r, err := name.ParseReference(ref.Name, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w: reference %q: %w", ErrInvalid, ref.Name, err)
	}
	ropts, err := o.remoteOptions(ctx)
	if err != nil {
		return nil, err
	}
	ropts = append(ropts, remote.WithPlatform(*plat))
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref.Name, classify(err))
	}
	art.RepoTags = []string{r.Name()}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref.Name, classify(err))
		}
		img, d, err := selectFromIndex(idx, plat)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref.Name, err)
		}
		art.Digest = d
		return img, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref.Name, classify(err))
	}
	art.Digest = desc.Digest.String()
	return img, nil
}

// nameOptions are the options for parsing registry references: plain HTTP when insecure.
func (o *options) nameOptions() []name.Option {
	if o.insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// remoteOptions are the go-containerregistry options every registry request uses: the
// context, credentials and the transport of [transportFor].
func (o *options) remoteOptions(ctx context.Context) ([]remote.Option, error) {
	tr, err := transportFor(o)
	if err != nil {
		return nil, err
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain),
		remote.WithTransport(tr), remote.WithUserAgent("rampart")}, nil
}

// transportFor builds the HTTP transport: timeouts so a hanging registry cannot hang a scan,
// the extra CA, and certificate checks off only when the user asked for --insecure.
func transportFor(o *options) (http.RoundTripper, error) {
	base := remote.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	base.TLSHandshakeTimeout = 10 * time.Second
	base.ResponseHeaderTimeout = o.timeout
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.caFile != "" {
		pool, err := RootPool(o.caFile)
		if errors.Is(err, errNoPEM) {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if o.insecure {
		tc.InsecureSkipVerify = true //nolint:gosec // the user asked for it with --insecure
	}
	base.TLSClientConfig = tc
	return base, nil
}

// errNoPEM is wrapped by RootPool's error for a CA file without a PEM certificate.
var errNoPEM = errors.New("holds no PEM certificate")

// RootPool is the system roots plus the PEM certificates in caFile (when not empty): the trust
// --ca-cert adds for a registry.
func RootPool(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %w", caFile, errNoPEM)
	}
	return pool, nil
}

func openDaemon(ctx context.Context, ref Ref, o *options, art *Artifact) (v1.Image, error) {
	r, err := name.ParseReference(ref.Name)
	if err != nil {
		return nil, fmt.Errorf("%w: reference %q: %w", ErrInvalid, ref.Name, err)
	}
	// The file-backed opener exports the image once to a temporary file instead of holding it in
	// memory or exporting it once per layer.
	img, err := daemon.Image(r, daemon.WithContext(ctx), daemon.WithFileBufferedOpener())
	if err != nil {
		if isDaemonNotFound(err) {
			return nil, fmt.Errorf("docker engine: image %s: %w", ref.Name, ErrNotFound)
		}
		return nil, fmt.Errorf("docker engine: image %s: %w", ref.Name, classify(err))
	}
	art.RepoTags = []string{r.Name()}
	return img, nil
}

func openDockerArchive(ref Ref, art *Artifact) (v1.Image, error) {
	if _, err := os.Stat(ref.Name); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("docker archive %s: %w", ref.Name, ErrNotFound)
		}
		return nil, fmt.Errorf("docker archive %s: %w", ref.Name, err)
	}
	var tag *name.Tag
	if ref.Tag != "" {
		t, err := name.NewTag(ref.Tag)
		if err != nil {
			return nil, fmt.Errorf("%w: tag %q: %w", ErrInvalid, ref.Tag, err)
		}
		tag = &t
	}
	img, err := tarball.ImageFromPath(ref.Name, tag)
	if err != nil {
		return nil, fmt.Errorf("%w: docker archive %s: %w", ErrInvalid, ref.Name, err)
	}
	if m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(ref.Name) }); err == nil && len(m) > 0 {
		art.RepoTags = m[0].RepoTags
	}
	return img, nil
}

func openLayout(dir, tag string, plat *v1.Platform) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("oci layout %s: %w", dir, ErrNotFound)
		}
		return nil, fmt.Errorf("%w: oci layout %s: %w", ErrInvalid, dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("%w: oci layout %s: %w", ErrInvalid, dir, err)
	}
	img, _, err := selectByTag(idx, tag, plat)
	if err != nil {
		return nil, fmt.Errorf("oci layout %s: %w", dir, err)
	}
	return img, nil
}

// storedUncompressed reports whether the source keeps layers as plain tars.
func storedUncompressed(s Source) bool { return s == SourceDockerArchive || s == SourceDaemon }
