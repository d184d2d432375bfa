package cart

import (
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// ParseClock parses an "HH:MM" wall-clock time (00:00–23:59) into the offset
// from midnight. It accepts exactly two digits for each part, so a stored value
// has one spelling.
func ParseClock(s string) (time.Duration, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, switchboard.Errorf(switchboard.EInvalid, "time must be HH:MM")
	}
	digit := func(b byte) (int, bool) { return int(b - '0'), b >= '0' && b <= '9' }
	h1, ok1 := digit(s[0])
	h2, ok2 := digit(s[1])
	m1, ok3 := digit(s[3])
	m2, ok4 := digit(s[4])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, switchboard.Errorf(switchboard.EInvalid, "time must be HH:MM")
	}
	h, m := h1*10+h2, m1*10+m2
	if h > 23 || m > 59 {
		return 0, switchboard.Errorf(switchboard.EInvalid, "time must be between 00:00 and 23:59")
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func (d DoNotDisturb) validate() error {
	if !d.Enabled && d.Start == "" && d.End == "" {
		return nil
	}
	start, err := ParseClock(d.Start)
	if err != nil {
		return switchboard.Errorf(switchboard.EInvalid, "do-not-disturb start: %s", switchboard.ErrorMessage(err))
	}
	end, err := ParseClock(d.End)
	if err != nil {
		return switchboard.Errorf(switchboard.EInvalid, "do-not-disturb end: %s", switchboard.ErrorMessage(err))
	}
	if d.Enabled && start == end {
		return switchboard.Errorf(switchboard.EInvalid, "do-not-disturb start and end must differ")
	}
	return nil
}

// window returns the parsed bounds, and false when the window is off or unusable
// (an unusable window is rejected by Validate; at run time it is treated as off
// rather than holding every reminder forever).
func (d DoNotDisturb) window() (start, end time.Duration, ok bool) {
	if !d.Enabled {
		return 0, 0, false
	}
	start, err1 := ParseClock(d.Start)
	end, err2 := ParseClock(d.End)
	if err1 != nil || err2 != nil || start == end {
		return 0, 0, false
	}
	return start, end, true
}

// QuietUntil reports whether t falls inside the quiet window in loc and, if so,
// the instant the window ends. A nil loc means UTC.
func (d DoNotDisturb) QuietUntil(t time.Time, loc *time.Location) (time.Time, bool) {
	start, end, ok := d.window()
	if !ok {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	y, mo, day := lt.Date()
	// Wall-clock offset, not elapsed time, so a daylight-saving day still
	// compares 07:59 with 08:00 as the clock on the wall shows them.
	sinceMidnight := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	at := func(dayOffset int, off time.Duration) time.Time {
		h, m := int(off/time.Hour), int(off%time.Hour/time.Minute)
		return time.Date(y, mo, day+dayOffset, h, m, 0, 0, loc)
	}
	if start < end {
		if sinceMidnight >= start && sinceMidnight < end {
			return at(0, end), true
		}
		return time.Time{}, false
	}
	// The window spans midnight: [start, 24:00) today, then [00:00, end).
	switch {
	case sinceMidnight >= start:
		return at(1, end), true
	case sinceMidnight < end:
		return at(0, end), true
	}
	return time.Time{}, false
}

// Defer returns t, or the end of the quiet window when t falls inside it.
func (d DoNotDisturb) Defer(t time.Time, loc *time.Location) time.Time {
	if until, quiet := d.QuietUntil(t, loc); quiet {
		return until
	}
	return t
}
