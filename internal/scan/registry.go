package scan

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rampartsec/rampart/internal/exitcode"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/result"
)

// RegistryOptions select what of a registry is scanned.
type RegistryOptions struct {
	// Repos and Tags are globs (path.Match) a repository's full name and a tag must match; "" matches all.
	Repos, Tags string
	// MaxTags keeps the last MaxTags tags of each repository in version-aware name order (0: all).
	MaxTags int
	// Parallel is how many images are scanned at once (at least 1).
	Parallel int
	// Step, when set, is called after each image's scan, from the scanning goroutines.
	Step func(done, total int)
}

// ScanRegistry lists the repositories under prefix of the registry host, their tags and the tags'
// digests, and scans each distinct manifest once, Parallel at a time, with the pipeline's
// scanners and shared layer cache. Only a catalog that cannot be read is an error: a repository,
// tag or image that fails is recorded in its RegistryImage with its exit code and the scan goes on.
func (p *Pipeline) ScanRegistry(ctx context.Context, host, prefix string, ro RegistryOptions) (*result.RegistryReport, error) {
	images, err := p.listRegistry(ctx, host, prefix, &ro)
	if err != nil {
		return nil, err
	}
	if len(images) == 0 {
		p.logger.Warn("no image matched", "registry", host, "prefix", prefix)
	}
	// Every image is read from the registry, whatever the options say for plain names.
	q := p.WithSource(image.SourceRegistry)
	var todo []*result.RegistryImage
	for i := range images {
		if images[i].Error == nil {
			todo = append(todo, &images[i])
		}
	}
	var mu sync.Mutex
	done := 0
	forEach(todo, max(ro.Parallel, 1), func(im *result.RegistryImage) {
		rep, err := q.scanRegistryImage(ctx, host, im)
		if err != nil {
			im.Error = NewRegistryError(err)
			p.logger.Debug("image not scanned", "repository", im.Repository, "digest", im.Digest, "err", err)
		} else {
			im.Report = rep
			im.FailedGate = p.Gate(rep) != nil
		}
		if ro.Step != nil {
			mu.Lock()
			done++
			ro.Step(done, len(todo))
			mu.Unlock()
		}
	})
	if images == nil {
		images = []result.RegistryImage{}
	}
	return &result.RegistryReport{
		Tool:      p.opts.Tool,
		Registry:  host,
		Prefix:    prefix,
		Scanners:  p.Ran(),
		CreatedAt: time.Now().UTC().Truncate(time.Second),
		Images:    images,
	}, nil
}

// NewRegistryError records why an image was not scanned, with the exit code `rampart image`
// would have given.
func NewRegistryError(err error) *result.RegistryError {
	code := exitcode.Of(err)
	return &result.RegistryError{Message: strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " "), ExitCode: code, Class: exitcode.Class(code)}
}

// scanRegistryImage is `rampart image` on one image of the registry.
func (p *Pipeline) scanRegistryImage(ctx context.Context, host string, im *result.RegistryImage) (*result.Report, error) {
	// Per-layer progress would interleave between parallel scans: the count of images is the
	// progress here.
	rep, err := p.Inventory(ctx, host+"/"+im.Repository+"@"+im.Digest, nil)
	if err != nil {
		return nil, err
	}
	// The tags, not the digest-pinned name the image was opened by (that is artifact.name).
	rep.Artifact.RepoTags = nil
	for _, t := range im.Tags {
		rep.Artifact.RepoTags = append(rep.Artifact.RepoTags, host+"/"+im.Repository+":"+t)
	}
	if err := p.Match(ctx, rep); err != nil {
		return nil, err
	}
	p.Finish(rep)
	// The same empty arrays as `rampart image --format json` writes.
	rep.Normalize()
	return rep, nil
}

// underPrefix reports whether repo is prefix itself or lies below it.
func underPrefix(repo, prefix string) bool {
	return prefix == "" || repo == prefix || strings.HasPrefix(repo, prefix+"/")
}

// listRegistry lists the repositories, their tags and the tags' digests, and groups the tags
// of one repository by digest. A repository whose tags cannot be listed, or a tag that cannot
// be resolved, becomes an image with an error; only the catalog's failure is fatal.
func (p *Pipeline) listRegistry(ctx context.Context, host, prefix string, ro *RegistryOptions) ([]result.RegistryImage, error) {
	if t := p.opts.Artifact.Timeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	// Platform selection happens when an image is opened; listing needs only the transport.
	opts := ArtifactOptions{Insecure: p.opts.Artifact.Insecure, CACert: p.opts.Artifact.CACert}.imageOptions(p.logger)
	repos, err := image.Catalog(ctx, host, opts...)
	if err != nil {
		return nil, err
	}
	slices.Sort(repos)
	type tagRef struct {
		repo, tag string
		digest    string
		err       error
	}
	var images []result.RegistryImage
	var refs []*tagRef
	for _, repo := range repos {
		if !underPrefix(repo, prefix) {
			continue
		}
		if ok, _ := path.Match(ro.Repos, repo); ro.Repos != "" && !ok {
			continue
		}
		tags, err := image.Tags(ctx, host+"/"+repo, opts...)
		if err != nil {
			images = append(images, result.RegistryImage{Repository: repo, Tags: []string{}, Error: NewRegistryError(err)})
			continue
		}
		tags = slices.DeleteFunc(tags, func(t string) bool { ok, _ := path.Match(ro.Tags, t); return ro.Tags != "" && !ok })
		slices.SortFunc(tags, CompareVersionish)
		if ro.MaxTags > 0 && len(tags) > ro.MaxTags {
			tags = tags[len(tags)-ro.MaxTags:]
		}
		for _, t := range tags {
			refs = append(refs, &tagRef{repo: repo, tag: t})
		}
	}
	// HEAD requests are cheap for the registry: a few at once.
	forEach(refs, 4, func(r *tagRef) {
		r.digest, r.err = image.Resolve(ctx, host+"/"+r.repo+":"+r.tag, opts...)
	})
	byDigest := map[string]int{}
	for _, r := range refs {
		if r.err != nil {
			images = append(images, result.RegistryImage{Repository: r.repo, Tags: []string{r.tag}, Error: NewRegistryError(r.err)})
			continue
		}
		key := r.repo + "@" + r.digest
		if i, ok := byDigest[key]; ok {
			images[i].Tags = append(images[i].Tags, r.tag)
			continue
		}
		byDigest[key] = len(images)
		images = append(images, result.RegistryImage{Repository: r.repo, Tags: []string{r.tag}, Digest: r.digest})
	}
	slices.SortStableFunc(images, func(a, b result.RegistryImage) int { return cmp.Compare(a.Repository, b.Repository) })
	return images, nil
}

// forEach calls f on every item, n at a time, and returns when all calls have.
func forEach[T any](items []T, n int, f func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range min(n, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				f(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

// CompareVersionish orders tags by name with runs of digits compared as numbers, so that
// "1.10" comes after "1.9" and "v10" after "v2".
func CompareVersionish(a, b string) int {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da != "" && db != "" {
			// Numbers of any length: fewer significant digits is smaller, else compare the digits.
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
