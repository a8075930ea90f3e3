package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// WithPageSize sets how many entries [Catalog] and [Tags] ask the registry for per page
// (the n parameter of the Distribution API). The default is go-containerregistry's, 1000; the
// registry may send fewer and link to the next page, which is followed either way.
func WithPageSize(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return errors.New("page size must be positive")
		}
		o.pageSize = n
		return nil
	}
}

// listOptions are the options of the paginated listing calls.
func listOptions(ctx context.Context, opts []Option) (options, []remote.Option, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return options{}, nil, err
	}
	ropts, err := o.remoteOptions(ctx)
	if err != nil {
		return options{}, nil, err
	}
	if o.pageSize > 0 {
		ropts = append(ropts, remote.WithPageSize(o.pageSize))
	}
	return o, ropts, nil
}

// Catalog lists the repositories of the Distribution registry at host ("127.0.0.1:5000",
// "registry.example.com"), following the catalog API's pages, with the credentials, TLS and
// timeout options [Open] takes. Errors wrap ErrNotFound (no catalog API), ErrUnauthorized or
// ErrUnreachable.
func Catalog(ctx context.Context, host string, opts ...Option) ([]string, error) {
	o, ropts, err := listOptions(ctx, opts)
	if err != nil {
		return nil, err
	}
	reg, err := name.NewRegistry(host, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w: registry %q: %w", ErrInvalid, host, err)
	}
	repos, err := remote.Catalog(ctx, reg, ropts...)
	if err != nil {
		return nil, fmt.Errorf("registry %s: catalog: %w", host, classify(err))
	}
	return repos, nil
}

// Tags lists the tags of repo ("host/path/name"), following the tags API's pages. Errors are
// those of [Catalog].
func Tags(ctx context.Context, repo string, opts ...Option) ([]string, error) {
	o, ropts, err := listOptions(ctx, opts)
	if err != nil {
		return nil, err
	}
	r, err := name.NewRepository(repo, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w: repository %q: %w", ErrInvalid, repo, err)
	}
	tags, err := remote.List(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("%s: list tags: %w", repo, classify(err))
	}
	return tags, nil
}

// Resolve returns the digest of the manifest ref ("host/repo:tag") points at: an image
// manifest's, or a multi-platform index's (not the digest of one platform's image). Errors
// are those of [Open].
func Resolve(ctx context.Context, ref string, opts ...Option) (string, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return "", err
	}
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return "", fmt.Errorf("%w: reference %q: %w", ErrInvalid, ref, err)
	}
	ropts, err := o.remoteOptions(ctx)
	if err != nil {
		return "", err
	}
	desc, err := remote.Head(r, ropts...)
	if err == nil {
		return desc.Digest.String(), nil
	}
	// Some registries and proxies answer HEAD without a Docker-Content-Digest header, or not
	// at all: GET the manifest, whose digest ggcr computes from the bytes.
	full, gerr := remote.Get(r, ropts...)
	if gerr != nil {
		return "", fmt.Errorf("%s: %w", ref, classify(gerr))
	}
	return full.Digest.String(), nil
}
