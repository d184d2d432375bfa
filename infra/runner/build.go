package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// BuildFlags are the go build flags of a bootstrap: the same as the Makefile's
// deployment build (no RPC shim, reproducible paths, no symbol tables), so cold
// starts and binary sizes measured locally are those of the deployed binary,
// only for the host's OS and architecture.
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// buildParallelism bounds concurrent go builds: each already uses every core
// for compiling, so more would only compete for memory.
const buildParallelism = 2

// BuildError is a function whose bootstrap did not build.
type BuildError struct {
	Function string
	Dir      string
	Output   string
	Err      error
}

// Error names the function and includes the compiler's output.
func (e *BuildError) Error() string {
	return fmt.Sprintf("build of %s (%s) failed: %v\n%s", e.Function, e.Dir, e.Err, strings.TrimSpace(e.Output))
}

func (e *BuildError) Unwrap() error { return e.Err }

// buildBootstrap builds the main package in dir into out/bootstrap for the
// host, with CGO disabled as in Lambda's custom runtime.
func buildBootstrap(ctx context.Context, function, dir, out string) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	binary := filepath.Join(out, "bootstrap")
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", binary, ".")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	cmd.WaitDelay = 5 * time.Second
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("gave up after %w", ctx.Err())
		}
		return "", &BuildError{Function: function, Dir: dir, Output: output.String(), Err: err}
	}
	return binary, nil
}

// buildAll builds every function's bootstrap under outDir, once per distinct
// package (functions sharing a package share the binary), and returns the
// binary of each function by logical id. prebuilt binaries (by logical id) are
// used as they are. Every failure is reported, not only the first, and the
// functions that did build are returned with the error.
func buildAll(ctx context.Context, specs []*functionSpec, outDir string, prebuilt map[string]string) (map[string]string, error) {
	byDir := map[string][]string{}
	binaries := map[string]string{}
	for _, s := range specs {
		if b, ok := prebuilt[s.ID]; ok {
			if _, err := os.Stat(b); err != nil {
				return nil, fmt.Errorf("prebuilt bootstrap of %s: %w", s.ID, err)
			}
			binaries[s.ID] = b
			continue
		}
		byDir[s.Dir] = append(byDir[s.Dir], s.ID)
	}
	dirs := sortedKeys(byDir)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, buildParallelism)
	)
	for _, dir := range dirs {
		ids := byDir[dir]
		sort.Strings(ids)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			binary, err := buildBootstrap(ctx, strings.Join(ids, ", "), dir, filepath.Join(outDir, ids[0]))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			for _, id := range ids {
				binaries[id] = binary
			}
		})
	}
	wg.Wait()
	return binaries, errors.Join(errs...)
}
