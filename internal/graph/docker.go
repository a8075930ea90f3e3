package graph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampartsec/rampart/internal/dockerhost"
)

// DockerHost is one Docker engine and its running containers, as the Engine API inspects them.
type DockerHost struct {
	// Name names the host's Node node (its hostname, or the socket).
	Name       string
	Containers []*dockerhost.Container
}

// dockerSockets are the engine sockets whose mount gives the container the host.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock"}

// addDockerHost adds a host's containers as workloads of type DockerContainer, exposed when they
// publish a port on every interface, escaping to the host like pods do.
func (b *builder) addDockerHost(h DockerHost) {
	g := b.g
	inet, _ := g.Lookup(KindInternet, "", "", InternetName)
	host := g.Node(KindNode, "docker", "", h.Name)
	for _, c := range h.Containers {
		if c == nil {
			continue
		}
		name := strings.TrimPrefix(c.Name, "/")
		id := g.Node(KindWorkload, "DockerContainer", "", h.Name+"/"+name)
		g.workloads = append(g.workloads, id)
		cid := g.Node(KindContainer, "", "", h.Name+"/"+name)
		g.AddEdge(id, cid, EdgeContains, 0, "container "+c.ID)
		g.AddEdge(id, host, EdgeScheduledOn, 0, "runs on Docker host "+h.Name)
		ref := c.Image
		if c.Config != nil && c.Config.Image != "" {
			ref = c.Config.Image
		}
		best := VulnFact{}
		if ref != "" {
			img := b.image(ref)
			g.AddEdge(cid, img, EdgeRuns, 0, "image "+ref)
			if vs := g.vulns[img]; len(vs) > 0 {
				best = vs[0]
			}
		}
		if best.P > 0 {
			g.exploit[id] = best
			g.SetAttr(id, "exploitable", best.ID)
		}
		var escapes []string
		pEsc := 0.0
		add := func(p float64, why string) {
			escapes = append(escapes, why)
			pEsc = max(pEsc, p)
		}
		if hc := c.HostConfig; hc != nil {
			if hc.Privileged {
				add(0.95, "HostConfig.Privileged: true")
			}
			if hc.PidMode == "host" {
				add(0.8, "HostConfig.PidMode: host")
			}
			for _, cp := range hc.CapAdd {
				switch strings.TrimPrefix(strings.ToUpper(cp), "CAP_") {
				case "SYS_ADMIN", "ALL":
					add(0.8, "HostConfig.CapAdd: "+cp)
				}
			}
			var ports []string
			for port, binds := range hc.PortBindings {
				for _, pb := range binds {
					if pb.HostIP == "" || pb.HostIP == "0.0.0.0" || pb.HostIP == "::" {
						ports = append(ports, fmt.Sprintf("%s→%s", pb.HostPort, port))
					}
				}
			}
			if len(ports) > 0 {
				sort.Strings(ports)
				ev := "publishes " + strings.Join(ports, ",") + " on every interface"
				p := 0.0
				if best.P > 0 {
					p = best.P
					ev += "; exploitable through " + best.describe()
				} else {
					ev += "; no exploitable vulnerability known"
				}
				g.AddEdge(inet, id, EdgeExposes, p, ev)
			}
		}
		for _, m := range c.Mounts {
			if m.Type != "bind" {
				continue
			}
			src := strings.TrimRight(m.Source, "/")
			if src == "" {
				src = "/"
			}
			for _, s := range dockerSockets {
				if src == s {
					add(0.95, "mounts "+s+" (the engine's socket)")
				}
			}
			if what, bad := hostPathEscapes[src]; bad && !strings.HasSuffix(src, ".sock") {
				p := 0.95
				if !m.RW {
					p = 0.6
				}
				add(p, fmt.Sprintf("bind-mounts %s (%s) at %s", src, what, m.Destination))
			}
		}
		if len(escapes) > 0 {
			g.escapes[id] = escapes
			g.AddEdge(id, host, EdgeEscapesToNode, pEsc, strings.Join(escapes, "; "))
		}
	}
}
