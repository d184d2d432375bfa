package switchboard

import (
	"context"
	"time"
)

// DefaultTimeZone is the team time zone when none is set: schedules, quiet hours
// and reports are computed in it (SPEC §7, 001:L1732).
const DefaultTimeZone = "Asia/Taipei"

// Team is a tenant. Every other record belongs to exactly one team, and every
// read is scoped by the team of the caller.
type Team struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	TimeZone  string    `json:"timeZone"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

// Location returns the team's time zone, falling back to DefaultTimeZone.
func (t *Team) Location() *time.Location {
	name := t.TimeZone
	if name == "" {
		name = DefaultTimeZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc, _ = time.LoadLocation(DefaultTimeZone)
	}
	if loc == nil {
		return time.UTC
	}
	return loc
}

// Validate checks the fields an operator sets.
func (t *Team) Validate() error {
	if t.Name == "" || len([]rune(t.Name)) > 100 {
		return Errorf(EInvalid, "team name must be 1 to 100 characters")
	}
	if t.TimeZone != "" {
		if _, err := time.LoadLocation(t.TimeZone); err != nil {
			return Errorf(EInvalid, "unknown time zone %q", t.TimeZone)
		}
	}
	return nil
}

// TeamStore persists teams.
type TeamStore interface {
	CreateTeam(ctx context.Context, t *Team) error
	GetTeam(ctx context.Context, id string) (*Team, error)
	// UpdateTeam reads the team, applies fn and writes the result only if nobody
	// changed it meanwhile; on a lost race it re-reads and applies fn again.
	UpdateTeam(ctx context.Context, id string, fn func(*Team) (*Team, error)) (*Team, error)
}
