package dockerfile

import (
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig"
)

// The Dockerfile checks. Final-stage checks look only at the stage docker build produces (the
// last one) and the earlier stages it is built FROM; the others look at every stage.
var (
	UserRoot = &misconfig.Check{
		ID: "DF001", Title: "Image runs as root", Severity: finding.SeverityHigh, CIS: "4.1",
		Rationale:   "A process running as root in the container is root on the host's kernel: a container escape or a writable host mount gives an attacker full control.",
		Remediation: "Create an unprivileged user and switch to it with USER (e.g. RUN useradd -r -u 10001 app, then USER 10001) as the last USER instruction.",
	}
	NoHealthcheck = &misconfig.Check{
		ID: "DF002", Title: "No HEALTHCHECK instruction", Severity: finding.SeverityLow, CIS: "4.6",
		Rationale:   "Without a health check the engine cannot tell a hung container from a working one, so it is neither restarted nor taken out of service.",
		Remediation: "Add HEALTHCHECK CMD with a command that exits non-zero when the service is unhealthy.",
	}
	AddLocal = &misconfig.Check{
		ID: "DF003", Title: "ADD used where COPY fits", Severity: finding.SeverityLow, CIS: "4.9",
		Rationale:   "ADD also unpacks archives and fetches URLs; using it for plain files hides which of these happens.",
		Remediation: "Use COPY for local files and directories; keep ADD for local tar archives that must be extracted.",
	}
	AddURL = &misconfig.Check{
		ID: "DF004", Title: "ADD fetches a remote URL without a checksum", Severity: finding.SeverityMedium, CIS: "4.9",
		Rationale:   "Content fetched at build time without verification can change or be replaced by an attacker between builds.",
		Remediation: "Download with curl or wget and verify a checksum or signature in the same RUN, or pin the content with ADD --checksum=sha256:….",
	}
	FromLatest = &misconfig.Check{
		ID: "DF005", Title: "Base image not pinned (untagged or :latest)", Severity: finding.SeverityMedium,
		Rationale:   "latest moves: the same Dockerfile builds a different image tomorrow, and a compromised or broken base image is pulled in silently.",
		Remediation: "Name an explicit version tag, or better a digest: FROM debian:12.8@sha256:….",
	}
	PipeToShell = &misconfig.Check{
		ID: "DF006", Title: "Remote script piped into a shell", Severity: finding.SeverityMedium, CIS: "4.11",
		Rationale:   "curl … | sh runs whatever the server returns at build time, unverified.",
		Remediation: "Download the script to a file, verify its checksum or signature, then run it; or install the software from a signed package.",
	}
	PackageCache = &misconfig.Check{
		ID: "DF007", Title: "Package manager cache left in the image", Severity: finding.SeverityLow,
		Rationale:   "Package indexes and caches add size and stale metadata to the final image and serve no purpose at run time.",
		Remediation: "In the same RUN: apt-get install … && rm -rf /var/lib/apt/lists/*; apk add --no-cache; pip install --no-cache-dir; yum/dnf install … && yum/dnf clean all. Or use a BuildKit cache mount.",
	}
	AptUpgrade = &misconfig.Check{
		ID: "DF008", Title: "apt-get upgrade or dist-upgrade in the Dockerfile", Severity: finding.SeverityLow,
		Rationale:   "Upgrading every package in a build makes the image depend on the day it was built; security fixes belong in a newer base image.",
		Remediation: "Rebuild on an updated base image; upgrade only the packages that need it with apt-get install --only-upgrade PACKAGE.",
	}
	UpdateAlone = &misconfig.Check{
		ID: "DF009", Title: "Package index update alone in a RUN", Severity: finding.SeverityLow, CIS: "4.7",
		Rationale:   "A RUN holding only apt-get update (or apk update) is cached as its own layer, so a later install uses a stale index and misses security fixes.",
		Remediation: "Update and install in the same RUN: RUN apt-get update && apt-get install -y --no-install-recommends PACKAGE && rm -rf /var/lib/apt/lists/*.",
	}
	SecretEnv = &misconfig.Check{
		ID: "DF010", Title: "Secret in ENV or ARG", Severity: finding.SeverityHigh, CIS: "4.10",
		Rationale:   "ENV values are stored in the image configuration and ARG values in its history: anyone who can pull the image can read them.",
		Remediation: "Pass secrets at build time with RUN --mount=type=secret, and at run time from a secret store or the orchestrator; rotate the exposed value.",
	}
	Sudo = &misconfig.Check{
		ID: "DF011", Title: "sudo used in RUN", Severity: finding.SeverityMedium,
		Rationale:   "Builds already run as root where needed; sudo in an image usually means it is installed and configured at run time too, an easy privilege escalation.",
		Remediation: "Switch users with USER instead, and do not install sudo in the image.",
	}
	ExposeSSH = &misconfig.Check{
		ID: "DF012", Title: "SSH port 22 exposed", Severity: finding.SeverityMedium, CIS: "5.6",
		Rationale:   "An SSH daemon in a container is an extra, rarely patched entry point; docker exec or kubectl exec do the job.",
		Remediation: "Remove EXPOSE 22 and the SSH server; use docker exec or kubectl exec for access.",
	}
	CopyContext = &misconfig.Check{
		ID: "DF013", Title: "Whole build context copied without a .dockerignore", Severity: finding.SeverityMedium,
		Rationale:   "COPY . copies everything in the build context, including .git, .env files, keys and local credentials, into the image.",
		Remediation: "Add a .dockerignore next to the Dockerfile that excludes .git, secrets and build output, or COPY only the paths the image needs.",
	}
	NoInstallRecommends = &misconfig.Check{
		ID: "DF014", Title: "apt-get install without --no-install-recommends", Severity: finding.SeverityLow, CIS: "4.3",
		Rationale:   "Recommended packages are installed by default, which adds software, and attack surface, the image does not need.",
		Remediation: "Use apt-get install -y --no-install-recommends PACKAGE.",
	}
	MultipleCmd = &misconfig.Check{
		ID: "DF015", Title: "More than one CMD or ENTRYPOINT in the final stage", Severity: finding.SeverityLow,
		Rationale:   "Only the last CMD and the last ENTRYPOINT take effect; earlier ones are dead code that misleads the reader about what the container runs.",
		Remediation: "Keep one CMD and at most one ENTRYPOINT in the final stage.",
	}
)

// Checks returns every Dockerfile check, in ID order.
func Checks() []*misconfig.Check {
	return []*misconfig.Check{UserRoot, NoHealthcheck, AddLocal, AddURL, FromLatest, PipeToShell, PackageCache,
		AptUpgrade, UpdateAlone, SecretEnv, Sudo, ExposeSSH, CopyContext, NoInstallRecommends, MultipleCmd}
}
