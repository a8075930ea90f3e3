package vulndb

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Default download locations.
const (
	// OSVExportURL is osv.dev's per-ecosystem export; %s is the ecosystem, path-escaped.
	OSVExportURL = "https://osv-vulnerabilities.storage.googleapis.com/%s/all.zip"
	// KEVURL is CISA's Known Exploited Vulnerabilities catalog.
	KEVURL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	// EPSSURL is FIRST's current EPSS scores, gzip-compressed CSV.
	EPSSURL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
	// NVDFeedBase is where NVD publishes its CVE feeds (JSON 2.0): nvdcve-2.0-YYYY.json.gz for
	// each year from [NVDFirstYear], and nvdcve-2.0-modified.json.gz, the CVEs changed lately.
	NVDFeedBase = "https://nvd.nist.gov/feeds/json/cve/2.0/"
	// NVDFirstYear is the first year NVD publishes a feed for (it holds the CVEs before it too).
	NVDFirstYear = 2002
)

// DefaultEcosystems are the osv.dev exports [DefaultSources] downloads.
var DefaultEcosystems = []string{"Go", "npm", "PyPI", "Debian", "Alpine", "Maven", "RubyGems", "crates.io", "Packagist", "NuGet", "Ubuntu"}

// Source is one downloadable input of [Update]: an OSV zip, the KEV catalog, an EPSS CSV or an
// NVD CVE feed.
type Source struct {
	// Name identifies the source in the cache and in the database's meta data; it must be
	// unique within one update.
	Name string
	URL  string
}

// DefaultSources returns the sources `rampart db update` downloads when not told otherwise: the
// osv.dev export of each of [DefaultEcosystems], named after the ecosystem, then "kev", "epss"
// and NVD's feeds ([NVDSources] at [NVDFeedBase], up to this year).
func DefaultSources() []Source {
	var out []Source
	for _, e := range DefaultEcosystems {
		out = append(out, Source{Name: e, URL: fmt.Sprintf(OSVExportURL, strings.ReplaceAll(e, " ", "%20"))})
	}
	out = append(out, Source{Name: "kev", URL: KEVURL}, Source{Name: "epss", URL: EPSSURL})
	return append(out, NVDSources(NVDFeedBase, time.Now().UTC().Year())...)
}

// NVDSources returns NVD's CVE feeds under base (a directory URL; a missing final slash is
// added): "nvd-YYYY" for nvdcve-2.0-YYYY.json.gz from [NVDFirstYear] to lastYear, and
// "nvd-modified" for nvdcve-2.0-modified.json.gz. Of two entries for one CVE, the import keeps
// the one modified last.
func NVDSources(base string, lastYear int) []Source {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	var out []Source
	for y := NVDFirstYear; y <= lastYear; y++ {
		out = append(out, Source{Name: fmt.Sprintf("nvd-%d", y), URL: fmt.Sprintf("%snvdcve-2.0-%d.json.gz", base, y)})
	}
	return append(out, Source{Name: "nvd-modified", URL: base + "nvdcve-2.0-modified.json.gz"})
}

// UpdateOptions tunes [Update]. The zero value is valid.
type UpdateOptions struct {
	// Client makes the requests; default: a client using the environment's proxy settings.
	Client *http.Client
	// Timeout abandons a download when no data arrives for this long (connecting, waiting for
	// headers, or mid-body); default 60s. A slow but moving download is never cut off.
	Timeout time.Duration
	// Offline forbids the network: the database is rebuilt from the files already downloaded,
	// and a source never downloaded is an error ([ErrNotDownloaded]).
	Offline bool
	// Progress, when set, is called as bytes arrive; it may be called from several goroutines
	// at once.
	Progress func(source string, done, total int64)
	// Jobs is how many sources are downloaded at once; default 4.
	Jobs int
	// Logger receives one line per source; default slog.Default().
	Logger *slog.Logger
	// AllowEmpty is passed to [Import]: accept a source that yields nothing, and a database
	// holding nothing or fewer sources than before.
	AllowEmpty bool
}

// UpdateStats reports what [Update] did.
type UpdateStats struct {
	// Downloaded lists the sources fetched anew, NotModified those the server said were unchanged
	// (HTTP 304) and whose cached copy was reused.
	Downloaded  []string `json:"downloaded"`
	NotModified []string `json:"not_modified"`
	Import      Stats    `json:"import"`
}

// cacheMeta is stored next to each downloaded file.
type cacheMeta struct {
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	SHA256       string    `json:"sha256"`
	Fetched      time.Time `json:"fetched"`
}

// DownloadDir is where [Update] keeps downloaded sources, inside the database directory.
const DownloadDir = "sources"

// Update downloads sources into dir's download cache and rebuilds the database from them as
// [Import] does (atomically; old readers unaffected).
//
// Downloads are conditional: a source downloaded before from the same URL is requested with
// If-None-Match / If-Modified-Since, and a 304 reuses the cached file. Each download's sha256 is
// recorded, and checked against URL+".sha256" when the server publishes one. New downloads replace
// the cached files only once the database was rebuilt from them, so a bad download (a truncated
// zip) is not kept, and any failure leaves the previous database and cache as they were.
//
// Update returns an error wrapping [ErrUnreachable] for network failures, timeouts and HTTP error
// statuses, [ErrChecksum] for a mismatching published checksum, [ErrNotDownloaded] offline, and
// [ErrInvalidSource] when a download cannot be imported.
func Update(ctx context.Context, dir string, sources []Source, opts UpdateOptions) (UpdateStats, error) {
	if len(sources) == 0 {
		return UpdateStats{}, errors.New("update: no sources configured")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Jobs <= 0 {
		opts.Jobs = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	seen := map[string]bool{}
	for _, s := range sources {
		if s.Name == "" || s.URL == "" || seen[cacheName(s.Name)] {
			return UpdateStats{}, fmt.Errorf("update: source %q=%q: need a unique name and a URL", s.Name, s.URL)
		}
		seen[cacheName(s.Name)] = true
	}
	cache := filepath.Join(dir, DownloadDir)
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return UpdateStats{}, fmt.Errorf("update: %w", err)
	}
	removeOld(filepath.Join(cache, "*.new-*"))

	type result struct {
		src     Source
		path    string // the file to import
		newFile bool   // path is a fresh download to move into the cache on success
		meta    cacheMeta
	}
	results := make([]result, len(sources))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Jobs)
	for i, s := range sources {
		g.Go(func() error {
			data := filepath.Join(cache, cacheName(s.Name))
			old, haveOld := readCacheMeta(data)
			if _, err := os.Stat(data); err != nil {
				haveOld = false
			}
			if opts.Offline {
				if !haveOld {
					return fmt.Errorf("update %s: %w: run `rampart db update` online first", s.Name, ErrNotDownloaded)
				}
				results[i] = result{src: s, path: data, meta: old}
				return nil
			}
			if haveOld && old.URL != s.URL {
				haveOld = false // another URL: its validators mean nothing here
			}
			m, fresh, err := download(gctx, opts, s, data, old, haveOld)
			if err != nil {
				return fmt.Errorf("update %s: %w", s.Name, err)
			}
			if fresh == "" {
				opts.Logger.Info("source not modified", "source", s.Name)
				results[i] = result{src: s, path: data, meta: old}
				return nil
			}
			opts.Logger.Info("source downloaded", "source", s.Name, "sha256", m.SHA256)
			results[i] = result{src: s, path: fresh, newFile: true, meta: m}
			return nil
		})
	}
	cleanup := func() {
		for _, r := range results {
			if r.newFile {
				os.Remove(r.path)
			}
		}
	}
	if err := g.Wait(); err != nil {
		cleanup()
		return UpdateStats{}, err
	}

	var st UpdateStats
	paths := make([]string, len(results))
	origins := map[string]Origin{}
	for i, r := range results {
		paths[i] = r.path
		origins[r.path] = Origin{
			Name: r.src.Name, URL: r.meta.URL, ETag: r.meta.ETag, LastModified: r.meta.LastModified,
			Path: filepath.Join(cache, cacheName(r.src.Name)),
		}
		if r.newFile {
			st.Downloaded = append(st.Downloaded, r.src.Name)
		} else if !opts.Offline {
			st.NotModified = append(st.NotModified, r.src.Name)
		}
	}
	is, err := Import(ctx, dir, paths, ImportOptions{Origins: origins, Logger: opts.Logger, AllowEmpty: opts.AllowEmpty})
	if err != nil {
		cleanup()
		return UpdateStats{}, fmt.Errorf("update: %w", err)
	}
	// The database now reflects the new files: keep them, with their validators.
	for i, r := range results {
		if !r.newFile {
			continue
		}
		data := filepath.Join(cache, cacheName(r.src.Name))
		if err := os.Rename(r.path, data); err != nil {
			results = results[i:] // this download and the later ones are still temporary files
			cleanup()
			return st, fmt.Errorf("update: keep download: %w", err)
		}
		if err := writeCacheMeta(data, r.meta); err != nil {
			return st, fmt.Errorf("update: %w", err)
		}
	}
	st.Import = is
	return st, nil
}

// cacheName turns a source name into a safe file name.
func cacheName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if strings.Trim(s, ".") == "" {
		s = "_" + s
	}
	return s + ".data"
}

func readCacheMeta(data string) (cacheMeta, bool) {
	var m cacheMeta
	b, err := os.ReadFile(data + ".meta.json")
	if err != nil || json.Unmarshal(b, &m) != nil {
		return cacheMeta{}, false
	}
	return m, true
}

func writeCacheMeta(data string, m cacheMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := data + ".meta.json.tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, data+".meta.json"); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

var errStalled = errors.New("vulndb: download stalled")

// download fetches s into a new file next to data. It returns the new file's path, or "" when
// the server answered 304 Not Modified.
func download(ctx context.Context, opts UpdateOptions, s Source, data string, old cacheMeta, conditional bool) (cacheMeta, string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(opts.Timeout, func() { cancel(errStalled) })
	defer watchdog.Stop()
	wrap := func(err error) error {
		if context.Cause(ctx) == errStalled {
			return fmt.Errorf("%w: %s: no data for %s", ErrUnreachable, s.URL, opts.Timeout)
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return cacheMeta{}, "", fmt.Errorf("source URL: %w", err)
	}
	req.Header.Set("User-Agent", "rampart-vulndb")
	if conditional {
		if old.ETag != "" {
			req.Header.Set("If-None-Match", old.ETag)
		}
		if old.LastModified != "" {
			req.Header.Set("If-Modified-Since", old.LastModified)
		}
	}
	resp, err := opts.Client.Do(req)
	if err != nil {
		return cacheMeta{}, "", wrap(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		return old, "", nil
	case resp.StatusCode != http.StatusOK:
		return cacheMeta{}, "", fmt.Errorf("%w: %s: %s", ErrUnreachable, s.URL, resp.Status)
	}
	f, err := os.CreateTemp(filepath.Dir(data), filepath.Base(data)+".new-*")
	if err != nil {
		return cacheMeta{}, "", err
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	body := &watchedReader{r: resp.Body, t: watchdog, d: opts.Timeout, total: resp.ContentLength, report: opts.Progress, name: s.Name}
	n, err := io.Copy(io.MultiWriter(f, h), body)
	if err != nil {
		return cacheMeta{}, "", wrap(err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return cacheMeta{}, "", fmt.Errorf("%w: %s: got %d of %d bytes", ErrUnreachable, s.URL, n, resp.ContentLength)
	}
	if err := f.Close(); err != nil {
		return cacheMeta{}, "", err
	}
	m := cacheMeta{
		Name: s.Name, URL: s.URL, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		SHA256: hex.EncodeToString(h.Sum(nil)), Fetched: time.Now().UTC(),
	}
	if err := verifyPublishedSum(ctx, opts, s.URL, m.SHA256); err != nil {
		return cacheMeta{}, "", err
	}
	keep = true
	return m, f.Name(), nil
}

// verifyPublishedSum compares sum with URL+".sha256" when the server has that file. Its absence,
// or any failure to fetch it, only skips the check: publishing it is optional.
func verifyPublishedSum(ctx context.Context, opts UpdateOptions, url, sum string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+".sha256", nil)
	if err != nil {
		return nil
	}
	resp, err := opts.Client.Do(req)
	if err != nil {
		opts.Logger.Debug("no published checksum", "url", url, "err", err)
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	line, _ := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
	fields := strings.Fields(line)
	if len(fields) == 0 || len(fields[0]) != 64 {
		opts.Logger.Debug("unreadable published checksum", "url", url+".sha256")
		return nil
	}
	if !strings.EqualFold(fields[0], sum) {
		return fmt.Errorf("%w: %s: sha256 %s, published %s", ErrChecksum, url, sum, fields[0])
	}
	return nil
}

// watchedReader resets the stall watchdog whenever data arrives and reports progress.
type watchedReader struct {
	r      io.Reader
	t      *time.Timer
	d      time.Duration
	done   int64
	total  int64
	name   string
	report func(string, int64, int64)
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.t.Reset(w.d)
		w.done += int64(n)
		if w.report != nil {
			w.report(w.name, w.done, w.total)
		}
	}
	return n, err
}

// CachedSources lists the sources downloaded into dir's cache, for offline rebuilds.
func CachedSources(dir string) ([]Source, error) {
	ents, err := os.ReadDir(filepath.Join(dir, DownloadDir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []Source
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".data") {
			continue
		}
		m, ok := readCacheMeta(filepath.Join(dir, DownloadDir, e.Name()))
		if !ok || m.Name == "" {
			continue
		}
		out = append(out, Source{Name: m.Name, URL: m.URL})
	}
	return out, nil
}
