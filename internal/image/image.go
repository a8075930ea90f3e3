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
	"github.com/google/go-containerregistry/pkg/v1/remote"
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
	// open returns the uncompressed stream; ctx is the context of [Open].
	open func() (io.ReadCloser, error)
	ctx  context.Context
}

// Open returns the uncompressed tar stream of the layer. The caller must close it. Reads fail
// once the context given to [Open] is done. The stream is not verified against DiffID: the
// reader does that, since it reads the stream to its end anyway. The stored blob is verified
// against its digest, when the source names one, as the stream reaches its end: the last read
// returns an error wrapping ErrInvalid instead of io.EOF when it does not match.
func (l *Layer) Open() (io.ReadCloser, error) {
	if err := l.ctx.Err(); err != nil {
		return nil, fmt.Errorf("open layer %s: %w", l.DiffID, err)
	}
	rc, err := l.open()
	if err != nil {
		return nil, fmt.Errorf("open layer %s: %w", l.DiffID, classify(err))
	}
	return readCloser{ctxReader{l.ctx, rc}, rc}, nil
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

	stdin      io.Reader
	stdinLimit int64
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

// WithTempDir sets where temporary files (an archive read from standard input) go; default
// os.TempDir().
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
	o := options{platform: HostPlatform(), keychain: authn.DefaultKeychain, timeout: 30 * time.Second, logger: slog.Default(),
		stdinLimit: defaultStdinLimit}
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
	var local *localImage
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
	case SourceDockerArchive, SourceOCIArchive:
		local, err = openArchive(ctx, ref, plat, &o, art)
	case SourceOCILayout:
		local, err = openLayout(ctx, ref.Name, ref.Tag, plat)
	default:
		err = fmt.Errorf("%w: unknown source %q", ErrInvalid, ref.Source)
	}
	if err == nil {
		if local != nil {
			err = art.fillLocal(local)
		} else {
			err = art.fill(img)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", ref, err)
		}
	}
	if err != nil {
		art.Close()
		return nil, err
	}
	for i := range art.Layers {
		art.Layers[i].ctx = ctx
	}
	return art, nil
}

// fill reads the manifest, config and layer list of img, from go-containerregistry (a
// registry, the engine), into the artifact.
func (a *Artifact) fill(img v1.Image) error {
	raw, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("read config: %w", classify(err))
	}
	var id string
	if h, err := img.ConfigName(); err == nil {
		id = h.String()
	}
	if a.Digest == "" && a.Ref.Source != SourceDaemon {
		if h, err := img.Digest(); err == nil {
			a.Digest = h.String()
		}
	}
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("list layers: %w", classify(err))
	}
	var ls []Layer
	for _, l := range layers {
		lay := Layer{open: l.Uncompressed}
		// The engine's export stores layers uncompressed: asking go-containerregistry for their
		// digest or size would gzip each whole layer to compute them.
		if a.Ref.Source != SourceDaemon {
			if d, err := l.Digest(); err == nil {
				lay.Digest = d.String()
			}
			if s, err := l.Size(); err == nil {
				lay.Size = s
			}
		}
		ls = append(ls, lay)
	}
	return a.setImage(raw, id, ls)
}

// fillLocal puts an image read from an archive or layout into the artifact.
func (a *Artifact) fillLocal(img *localImage) error {
	a.Digest, a.RepoTags = img.digest, img.repoTags
	return a.setImage(img.rawConfig, img.configID, img.layers)
}

// setImage sets the config (raw, whose digest is id) and the layers of the artifact, each layer
// given its index, and its diffID and history from the config.
func (a *Artifact) setImage(raw []byte, id string, layers []Layer) error {
	cfg, err := v1.ParseConfigFile(bytesReader(raw))
	if err != nil {
		return fmt.Errorf("%w: parse config: %w", ErrInvalid, err)
	}
	a.RawConfig, a.Config, a.ID = raw, cfg, id
	if cfg.OS != "" {
		a.Platform = (&v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}).String()
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
		l.Index, l.DiffID = i, cfg.RootFS.DiffIDs[i].String()
		if i < len(createdBy) {
			l.CreatedBy = createdBy[i]
		}
		a.Layers = append(a.Layers, l)
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
	return plainHTTPGuard{next: base, insecure: o.insecure}, nil
}

// maxCAFile bounds a --ca-cert file (the Mozilla bundle is about 200 KB).
const maxCAFile = 16 << 20

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
	// A regular file only: a named pipe would block the open.
	pem, err := readRegular(caFile, maxCAFile)
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
