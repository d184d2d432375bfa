package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// Measurement is what a function costs before it does any work: the size of
// its bootstrap and how long the process takes from exec to asking the
// Runtime API for its first event (Go runtime start plus the function's own
// initialisation: configuration, AWS clients, handler wiring).
type Measurement struct {
	Function    string
	BinaryBytes int64
	ColdStarts  []time.Duration
}

// Median is the middle cold start.
func (m Measurement) Median() time.Duration {
	if len(m.ColdStarts) == 0 {
		return 0
	}
	s := slices.Clone(m.ColdStarts)
	slices.Sort(s)
	return s[len(s)/2]
}

// Min is the fastest cold start.
func (m Measurement) Min() time.Duration {
	if len(m.ColdStarts) == 0 {
		return 0
	}
	return slices.Min(m.ColdStarts)
}

// Max is the slowest cold start.
func (m Measurement) Max() time.Duration {
	if len(m.ColdStarts) == 0 {
		return 0
	}
	return slices.Max(m.ColdStarts)
}

// Measure builds the named functions (all when none are named) and starts
// each one n times, killing it once it asks for its first event. Functions
// that fail to build or start are reported in the error; the others are
// still measured.
func (r *Runner) Measure(ctx context.Context, n int, functions ...string) ([]Measurement, error) {
	if n < 1 {
		n = 1
	}
	r.mu.Lock()
	if err := r.prepareLocked(ctx); err != nil {
		r.mu.Unlock()
		return nil, err
	}
	var specs []*functionSpec
	if len(functions) == 0 {
		for _, id := range sortedKeys(r.specs) {
			specs = append(specs, r.specs[id])
		}
	}
	for _, name := range functions {
		s, err := r.lookupLocked(name)
		if err != nil {
			r.mu.Unlock()
			return nil, err
		}
		specs = append(specs, s)
	}
	dir, err := os.MkdirTemp("", "switchboard-measure-")
	if err != nil {
		r.mu.Unlock()
		return nil, err
	}
	defer os.RemoveAll(dir)
	bctx, cancel := context.WithTimeout(ctx, r.o.BuildTimeout)
	binaries, buildErr := buildAll(bctx, specs, dir, r.o.Binaries)
	cancel()
	r.mu.Unlock()
	var out []Measurement
	errs := []error{buildErr}
	for _, s := range specs {
		binary, built := binaries[s.ID]
		if !built {
			continue
		}
		m, err := r.measure(ctx, s, binary, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, m)
	}
	return out, errors.Join(errs...)
}

func (r *Runner) measure(ctx context.Context, s *functionSpec, binary string, n int) (Measurement, error) {
	m := Measurement{Function: s.ID}
	info, err := os.Stat(binary)
	if err != nil {
		return m, err
	}
	m.BinaryBytes = info.Size()
	cold := make(chan ColdStart, 1)
	out := &lineWriter{dst: r.out, prefix: []byte("[" + s.ID + "] ")}
	fn, err := newLambdaFunction(s, binary, r.functionEnv(s, binary), 1, out, r.log, func(c ColdStart) { cold <- c })
	if err != nil {
		return m, err
	}
	defer fn.close()
	in := fn.instances[0]
	for range n {
		in.mu.Lock()
		p, err := in.ensureProcess()
		in.mu.Unlock()
		if err != nil {
			return m, err
		}
		select {
		case c := <-cold:
			m.ColdStarts = append(m.ColdStarts, c.Duration)
		case <-p.exited:
			return m, fmt.Errorf("%s: %w", s.ID, in.initFailure(p))
		case <-time.After(initTimeout):
			in.kill(p)
			return m, fmt.Errorf("%s did not ask for an event within %s", s.ID, initTimeout)
		case <-ctx.Done():
			in.kill(p)
			return m, ctx.Err()
		}
		in.kill(p)
	}
	return m, nil
}
