package inventory

import "strings"

// OSEcosystem is the OSV ecosystem of an OS's packages: "Debian:12", "Ubuntu:22.04",
// "Alpine:v3.20", "Red Hat", "Rocky Linux:9", … It is empty when the OS is unknown.
func OSEcosystem(o OS) string {
	major := func(v string) string { m, _, _ := strings.Cut(v, "."); return m }
	switch o.Family {
	case "debian":
		if o.Version == "" {
			return "Debian"
		}
		return "Debian:" + major(o.Version)
	case "ubuntu":
		return "Ubuntu:" + o.Version
	case "alpine":
		parts := strings.Split(o.Version, ".")
		if len(parts) >= 2 {
			return "Alpine:v" + parts[0] + "." + parts[1]
		}
		return "Alpine"
	case "rhel", "centos":
		return "Red Hat"
	case "rocky":
		return "Rocky Linux:" + major(o.Version)
	case "almalinux":
		return "AlmaLinux:" + major(o.Version)
	case "ol":
		return "Oracle Linux"
	case "wolfi":
		return "Wolfi"
	case "chainguard":
		return "Chainguard"
	case "opensuse-leap", "opensuse-tumbleweed", "sles":
		return "SUSE"
	case "amzn":
		return "Amazon Linux"
	case "fedora":
		return "Fedora"
	}
	return ""
}
