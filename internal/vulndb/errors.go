package vulndb

import (
	"errors"
	"fmt"
)

// Errors returned by this package, wrapped with detail; test for them with [errors.Is].
var (
	// ErrNoDatabase is returned by [Open] when the directory holds no database, and by every
	// method of a nil *DB.
	ErrNoDatabase = errors.New("vulndb: no database")
	// ErrCorrupt is returned by [Open] when the file is not a Rampart database or is damaged, and
	// by lookups that meet an undecodable record.
	ErrCorrupt = errors.New("vulndb: corrupt database")
	// ErrSchema is returned by [Open] for a database written by an incompatible Rampart version;
	// re-import or update to rebuild it.
	ErrSchema = errors.New("vulndb: unsupported schema version")
	// ErrNotFound is returned by [DB.ByID] when no record has that id.
	ErrNotFound = errors.New("vulndb: not found")
	// ErrInvalidSource is returned by [Import] for an input it cannot read as a whole: a truncated
	// or corrupt zip or gzip, an unknown file type, an unreadable path. Single bad records inside
	// a good archive are warnings instead.
	ErrInvalidSource = errors.New("vulndb: invalid source")
	// ErrEmptySource is returned by [Import] for a source that yields no entry (every record
	// invalid, a KEV catalog or EPSS file with no usable line), unless ImportOptions.AllowEmpty
	// is set. It wraps [ErrInvalidSource].
	ErrEmptySource = fmt.Errorf("%w: nothing to import", ErrInvalidSource)
	// ErrShrink is returned by [Import] when the new database would hold nothing, or fewer
	// sources than the one it would replace, unless ImportOptions.AllowEmpty is set.
	ErrShrink = errors.New("vulndb: refusing to shrink the database")
	// ErrUnreachable is returned by [Update] when a source cannot be downloaded: network errors,
	// timeouts and HTTP error statuses.
	ErrUnreachable = errors.New("vulndb: source unreachable")
	// ErrChecksum is returned by [Update] when a download does not match its published .sha256.
	ErrChecksum = errors.New("vulndb: checksum mismatch")
	// ErrNotDownloaded is returned by [Update] in offline mode when a source has never been
	// downloaded into the cache.
	ErrNotDownloaded = errors.New("vulndb: source not downloaded")
)
