package switchboard

import (
	"time"

	"github.com/oklog/ulid/v2"
)

// Clock returns the current time. Services take one instead of calling time.Now so
// that windows, timers and quiet hours can be tested at any instant.
type Clock func() time.Time

// IDGen returns a new unique id. Services take one so tests can name records.
type IDGen func() string

// NewID returns a ULID: unique, sortable by creation time, and URL-safe.
func NewID() string { return ulid.Make().String() }
