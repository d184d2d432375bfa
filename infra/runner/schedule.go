package runner

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule tells when an EventBridge schedule expression fires.
type Schedule interface {
	// Next returns the first firing strictly after t, or the zero time when
	// the schedule never fires again.
	Next(t time.Time) time.Time
}

// Clock is the runner's time source for schedules. Tests give their own so a
// "rate(1 minute)" schedule fires without a minute passing.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// cronHorizonDays bounds the search for a cron firing, counted in days of
// the expression's years and months: an expression that can fire at all fires
// within eight years of such days (29 February comes every four years, 2100
// aside); past that it names an impossible date such as 31 April.
const cronHorizonDays = 8 * 366

// ParseSchedule parses an EventBridge schedule expression: rate(N unit),
// cron(minutes hours day-of-month month day-of-week year) in loc (UTC for
// EventBridge rules), or at(yyyy-mm-ddThh:mm:ss) for one-off EventBridge
// Scheduler schedules. It is as strict as EventBridge, so an expression that
// works locally also deploys.
func ParseSchedule(expr string, loc *time.Location) (Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	expr = strings.TrimSpace(expr)
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return nil, fmt.Errorf("schedule %q: want rate(...), cron(...) or at(...)", expr)
	}
	kind, body := expr[:open], strings.TrimSpace(expr[open+1:len(expr)-1])
	switch kind {
	case "rate":
		return parseRate(expr, body)
	case "cron":
		return parseCron(expr, body, loc)
	case "at":
		t, err := time.ParseInLocation("2006-01-02T15:04:05", body, loc)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: at() needs yyyy-mm-ddThh:mm:ss", expr)
		}
		return atSchedule(t), nil
	}
	return nil, fmt.Errorf("schedule %q: want rate(...), cron(...) or at(...)", expr)
}

// rateSchedule fires every period, on whole periods of UTC time, so firings
// are predictable (rate(1 minute) fires on the minute, rate(1 hour) on the
// hour).
type rateSchedule time.Duration

func (r rateSchedule) Next(t time.Time) time.Time {
	p := time.Duration(r)
	return t.Truncate(p).Add(p)
}

func parseRate(expr, body string) (Schedule, error) {
	value, unit, ok := strings.Cut(body, " ")
	if !ok {
		return nil, fmt.Errorf("schedule %q: rate() needs a value and a unit", expr)
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || value != strconv.Itoa(n) {
		return nil, fmt.Errorf("schedule %q: rate value must be a positive whole number", expr)
	}
	unit = strings.TrimSpace(unit)
	singular := strings.TrimSuffix(unit, "s")
	var d time.Duration
	switch singular {
	case "minute":
		d = time.Minute
	case "hour":
		d = time.Hour
	case "day":
		d = 24 * time.Hour
	default:
		return nil, fmt.Errorf("schedule %q: rate unit must be minute(s), hour(s) or day(s)", expr)
	}
	// EventBridge refuses "rate(1 minutes)" and "rate(5 minute)".
	if (n == 1) != (unit == singular) {
		return nil, fmt.Errorf("schedule %q: use %q for a value of 1 and %q otherwise", expr, singular, singular+"s")
	}
	return rateSchedule(time.Duration(n) * d), nil
}

type atSchedule time.Time

func (a atSchedule) Next(t time.Time) time.Time {
	at := time.Time(a)
	if at.After(t) {
		return at
	}
	return time.Time{}
}

// cronField is the set of allowed values of one field, as a bit set.
type cronField [4]uint64

func (f *cronField) set(v int)     { f[v/64] |= 1 << (v % 64) }
func (f cronField) has(v int) bool { return v >= 0 && v < 256 && f[v/64]&(1<<(v%64)) != 0 }

type cronSchedule struct {
	minutes, hours, months, years cronField

	domAny      bool // "?" in day-of-month
	dom         cronField
	domLast     bool // L
	domLastWeek bool // LW
	domNearest  int  // 15W: nearest weekday to the 15th, 0 when unused

	dowAny  bool // "?" in day-of-week
	dow     cronField
	dowLast int // 5L: last Thursday; 0 when unused (weekdays are 1..7)
	dowNth  [2]int

	loc *time.Location
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(expr, body string, loc *time.Location) (Schedule, error) {
	fields := strings.Fields(body)
	if len(fields) != 6 {
		return nil, fmt.Errorf("schedule %q: cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", expr, len(fields))
	}
	c := &cronSchedule{loc: loc}
	var err error
	fail := func(field string, e error) error {
		return fmt.Errorf("schedule %q: %s: %w", expr, field, e)
	}
	if c.minutes, err = parseCronField(fields[0], 0, 59, nil); err != nil {
		return nil, fail("minutes", err)
	}
	if c.hours, err = parseCronField(fields[1], 0, 23, nil); err != nil {
		return nil, fail("hours", err)
	}
	if c.months, err = parseCronField(fields[3], 1, 12, monthNames); err != nil {
		return nil, fail("month", err)
	}
	if c.years, err = parseCronFieldBase(fields[5], 1970, 2199, 1970, nil); err != nil {
		return nil, fail("year", err)
	}
	if err := c.parseDOM(fields[2]); err != nil {
		return nil, fail("day-of-month", err)
	}
	if err := c.parseDOW(fields[4]); err != nil {
		return nil, fail("day-of-week", err)
	}
	if c.domAny == c.dowAny {
		return nil, fmt.Errorf("schedule %q: exactly one of day-of-month and day-of-week must be ?", expr)
	}
	return c, nil
}

func (c *cronSchedule) parseDOM(s string) error {
	switch {
	case s == "?":
		c.domAny = true
		return nil
	case s == "L":
		c.domLast = true
		return nil
	case s == "LW":
		c.domLastWeek = true
		return nil
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "W"))
		if err != nil || n < 1 || n > 31 {
			return fmt.Errorf("%q: W needs a day 1-31 before it", s)
		}
		c.domNearest = n
		return nil
	}
	f, err := parseCronField(s, 1, 31, nil)
	c.dom = f
	return err
}

func (c *cronSchedule) parseDOW(s string) error {
	switch {
	case s == "?":
		c.dowAny = true
		return nil
	case s == "L":
		c.dowLast = 7
		return nil
	case strings.HasSuffix(s, "L"):
		d, err := cronValue(strings.TrimSuffix(s, "L"), 1, 7, dayNames)
		if err != nil {
			return err
		}
		c.dowLast = d
		return nil
	case strings.Contains(s, "#"):
		day, nth, _ := strings.Cut(s, "#")
		d, err := cronValue(day, 1, 7, dayNames)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(nth)
		if err != nil || n < 1 || n > 5 {
			return fmt.Errorf("%q: # needs an occurrence 1-5", s)
		}
		c.dowNth = [2]int{d, n}
		return nil
	}
	f, err := parseCronField(s, 1, 7, dayNames)
	c.dow = f
	return err
}

// parseCronField parses a comma list of *, a, a-b, */n, a/n and a-b/n.
func parseCronField(s string, lo, hi int, names map[string]int) (cronField, error) {
	return parseCronFieldBase(s, lo, hi, 0, names)
}

// parseCronFieldBase stores value v as bit v-base, so years fit the bit set.
func parseCronFieldBase(s string, lo, hi, base int, names map[string]int) (cronField, error) {
	var f cronField
	if s == "" {
		return f, fmt.Errorf("empty field")
	}
	for _, item := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > hi-lo+1 {
				return f, fmt.Errorf("%q: bad step", item)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = cronValue(a, lo, hi, names); err != nil {
				return f, err
			}
			if to, err = cronValue(b, lo, hi, names); err != nil {
				return f, err
			}
			if from > to {
				return f, fmt.Errorf("%q: range runs backwards", item)
			}
		default:
			v, err := cronValue(rng, lo, hi, names)
			if err != nil {
				return f, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			f.set(v - base)
		}
	}
	return f, nil
}

func cronValue(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi || s != strconv.Itoa(v) {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
	}
	return v, nil
}

func (c *cronSchedule) Next(t time.Time) time.Time {
	start := t.In(c.loc).Truncate(time.Minute).Add(time.Minute)
	d := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, c.loc)
	for checked := 0; checked < cronHorizonDays && d.Year() <= 2199; d = d.AddDate(0, 0, 1) {
		if !c.years.has(d.Year() - 1970) {
			d = time.Date(d.Year()+1, 1, 0, 0, 0, 0, 0, c.loc) // next loop: 1 January
			continue
		}
		if !c.months.has(int(d.Month())) {
			d = time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, c.loc) // next loop: the 1st
			continue
		}
		checked++
		if !c.dayMatches(d) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !c.hours.has(h) {
				continue
			}
			for m := 0; m < 60; m++ {
				if !c.minutes.has(m) {
					continue
				}
				at := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, c.loc)
				if !at.Before(start) {
					return at
				}
			}
		}
	}
	return time.Time{}
}

func (c *cronSchedule) dayMatches(d time.Time) bool {
	last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, c.loc).Day()
	if !c.domAny {
		switch {
		case c.domLast:
			return d.Day() == last
		case c.domLastWeek:
			return d.Day() == nearestWeekday(d, last)
		case c.domNearest > 0:
			if c.domNearest > last {
				return false
			}
			return d.Day() == nearestWeekday(d, c.domNearest)
		}
		return c.dom.has(d.Day())
	}
	wd := int(d.Weekday()) + 1 // EventBridge: 1 = Sunday
	switch {
	case c.dowLast > 0:
		return wd == c.dowLast && d.Day()+7 > last
	case c.dowNth[0] > 0:
		return wd == c.dowNth[0] && (d.Day()-1)/7+1 == c.dowNth[1]
	}
	return c.dow.has(wd)
}

// nearestWeekday returns the weekday of d's month nearest to day n, never
// leaving the month (as cron's W does).
func nearestWeekday(d time.Time, n int) int {
	target := time.Date(d.Year(), d.Month(), n, 0, 0, 0, 0, d.Location())
	last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, d.Location()).Day()
	switch target.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }
