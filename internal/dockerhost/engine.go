package dockerhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// Errors returned by [Engine] methods and [Audit].
var (
	// ErrUnreachable: nothing answers on the socket (no daemon, wrong path, timeout).
	ErrUnreachable = errors.New("dockerhost: docker engine unreachable")
	// ErrUnauthorized: the socket or the engine refused access.
	ErrUnauthorized = errors.New("dockerhost: access to the docker engine denied")
	// ErrNoSuchContainer: the engine does not know the container (it was removed).
	ErrNoSuchContainer = errors.New("dockerhost: no such container")
	// ErrNotRunning: the engine cannot do this on a container that is not running.
	ErrNotRunning = errors.New("dockerhost: container is not running")
	// ErrBadHost: the Docker host is not a unix socket address.
	ErrBadHost = errors.New("dockerhost: unsupported docker host")
)

// DefaultSocket is the Engine API socket used when neither --host nor $DOCKER_HOST says otherwise.
const DefaultSocket = "/var/run/docker.sock"

// maxResponse bounds one Engine API response body; an inspect is a few KiB.
const maxResponse = 32 << 20

// Engine is a client of the Docker Engine API over a unix socket. It is safe for concurrent use.
type Engine struct {
	socket string
	hc     *http.Client
}

// SocketPath turns a Docker host ("unix:///run/docker.sock", "/run/docker.sock", or "" for
// $DOCKER_HOST, else [DefaultSocket]) into a socket path. Only unix sockets are supported: a TCP
// daemon is audited from the host it runs on. Other addresses wrap [ErrBadHost].
func SocketPath(host string) (string, error) {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		return DefaultSocket, nil
	}
	if strings.HasPrefix(host, "/") {
		return host, nil
	}
	u, err := url.Parse(host)
	if err != nil {
		return "", fmt.Errorf("docker host %q: %w: %w", host, ErrBadHost, err)
	}
	if u.Scheme != "unix" {
		return "", fmt.Errorf("docker host %q: %w: only unix:// sockets are supported (run the audit on the docker host itself)", host, ErrBadHost)
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	if p == "" {
		return "", fmt.Errorf("docker host %q: %w: no socket path", host, ErrBadHost)
	}
	return p, nil
}

// NewEngine returns a client of the engine listening on the unix socket path. It does not
// connect: the first call does.
func NewEngine(socket string) *Engine {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Engine{socket: socket, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Socket returns the socket path the engine is reached on.
func (e *Engine) Socket() string { return e.socket }

// get decodes the JSON answer to GET path into v. Status 404 wraps [ErrNoSuchContainer], 409
// [ErrNotRunning], 401 and 403 [ErrUnauthorized]; a dial failure wraps [ErrUnreachable] or, for
// a permission error on the socket, [ErrUnauthorized].
func (e *Engine) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return fmt.Errorf("engine request %s: %w", path, err)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return e.dialError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("read engine answer to %s: %w: %w", path, ErrUnreachable, err)
	}
	if len(body) > maxResponse {
		return fmt.Errorf("engine answer to %s exceeds %d bytes", path, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		msg := engineMessage(body)
		switch resp.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("GET %s: %w: %s", path, ErrNoSuchContainer, msg)
		case http.StatusConflict:
			return fmt.Errorf("GET %s: %w: %s", path, ErrNotRunning, msg)
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("GET %s on %s: %w: %s", path, e.socket, ErrUnauthorized, msg)
		}
		return fmt.Errorf("GET %s: engine answered %s: %s", path, resp.Status, msg)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode engine answer to %s: %w", path, err)
	}
	return nil
}

func (e *Engine) dialError(err error) error {
	switch {
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("connect to %s: %w (is the user in the docker group?)", e.socket, ErrUnauthorized)
	case errors.Is(err, context.Canceled):
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("connect to %s: %w (is dockerd running?): %v", e.socket, ErrUnreachable, rootCause(err))
	}
	return fmt.Errorf("connect to %s: %w: %v", e.socket, ErrUnreachable, rootCause(err))
}

// rootCause drops the url.Error and net.OpError wrappers that repeat the request.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// engineMessage extracts the "message" of an Engine API error body.
func engineMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return m.Message
	}
	return strings.TrimSpace(string(body[:min(len(body), 200)]))
}

// Info returns GET /info: the daemon's effective configuration.
func (e *Engine) Info(ctx context.Context) (*Info, error) {
	var v Info
	if err := e.get(ctx, "/info", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Version returns GET /version.
func (e *Engine) Version(ctx context.Context) (*Version, error) {
	var v Version
	if err := e.get(ctx, "/version", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Containers lists the running containers, or every container when all is true.
func (e *Engine) Containers(ctx context.Context, all bool) ([]ContainerSummary, error) {
	var v []ContainerSummary
	path := "/containers/json"
	if all {
		path += "?all=1"
	}
	if err := e.get(ctx, path, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// Inspect returns GET /containers/{id}/json. It wraps [ErrNoSuchContainer] for a container removed
// since it was listed.
func (e *Engine) Inspect(ctx context.Context, id string) (*Container, error) {
	var v Container
	if err := e.get(ctx, "/containers/"+url.PathEscape(id)+"/json", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Top returns the processes of a running container (GET /containers/{id}/top). It wraps
// [ErrNotRunning] for a stopped container and [ErrNoSuchContainer] for a removed one.
func (e *Engine) Top(ctx context.Context, id string) (*Top, error) {
	var v Top
	if err := e.get(ctx, "/containers/"+url.PathEscape(id)+"/top", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Info is the part of GET /info the audit reads.
type Info struct {
	ID                 string
	Name               string
	ServerVersion      string
	Driver             string
	LoggingDriver      string
	CgroupDriver       string
	DockerRootDir      string
	ExperimentalBuild  bool
	LiveRestoreEnabled bool
	SecurityOptions    []string
	Plugins            struct{ Authorization []string }
	RegistryConfig     *struct {
		InsecureRegistryCIDRs []string
		IndexConfigs          map[string]struct {
			Name   string
			Secure bool
		}
	}
	Swarm struct{ LocalNodeState string }
}

// Version is the part of GET /version the audit reads.
type Version struct {
	Version    string
	APIVersion string `json:"ApiVersion"`
}

// ContainerSummary is one entry of GET /containers/json.
type ContainerSummary struct {
	ID    string `json:"Id"`
	Names []string
	Image string
	State string
}

// Container is the part of GET /containers/{id}/json the audit reads.
type Container struct {
	ID              string `json:"Id"`
	Name            string
	Image           string
	AppArmorProfile string
	State           struct {
		Status  string
		Running bool
		Health  *struct{ Status string }
	}
	Config *struct {
		Image       string
		User        string
		Healthcheck *struct{ Test []string }
	}
	HostConfig *HostConfig
	Mounts     []Mount
}

// HostConfig is the part of a container's host configuration the audit reads.
type HostConfig struct {
	Privileged     bool
	CapAdd         []string
	NetworkMode    string
	PidMode        string
	IpcMode        string
	UTSMode        string
	UsernsMode     string
	CgroupParent   string
	Memory         int64
	CPUShares      int64 `json:"CpuShares"`
	PidsLimit      *int64
	ReadonlyRootfs bool
	SecurityOpt    []string
	Devices        []struct{ PathOnHost, PathInContainer, CgroupPermissions string }
	Ulimits        []struct {
		Name       string
		Soft, Hard int64
	}
	RestartPolicy struct {
		Name              string
		MaximumRetryCount int
	}
	PortBindings map[string][]PortBinding
}

// PortBinding is one published port.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// Mount is one mount of a container.
type Mount struct {
	Type        string
	Source      string
	Destination string
	Mode        string
	RW          bool
	Propagation string
}

// Top is the answer of GET /containers/{id}/top.
type Top struct {
	Titles    []string
	Processes [][]string
}
