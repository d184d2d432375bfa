package awstest_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
)

// recorder is a testing.TB that records how a helper ended the test instead
// of ending it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                          {}
func (r *recorder) Skipf(format string, args ...any) { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestEndpoint(t *testing.T) {
	const env = "SWITCHBOARD_AWSTEST_PROBE"
	tests := []struct {
		name, value, require string
		want, wantSkip       bool
		wantFail             bool
	}{
		{"set", "http://127.0.0.1:1", "", true, false, false},
		{"unset skips", "", "", false, true, false},
		{"unset fails when required", "", "1", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(env, tt.value)
			t.Setenv(awstest.EnvRequireEmulator, tt.require)
			r := &recorder{TB: t}
			got := awstest.Endpoint(r, env)
			if (got != "") != tt.want || (r.skipped != "") != tt.wantSkip || (r.failed != "") != tt.wantFail {
				t.Fatalf("endpoint %q, skipped %q, failed %q", got, r.skipped, r.failed)
			}
			if tt.wantSkip && !regexp.MustCompile("run through make test").MatchString(r.skipped) {
				t.Fatalf("skip message %q does not say how to run the test", r.skipped)
			}
		})
	}
}

func TestName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9-]{3,63}$`)
	a, b := awstest.Name("sbtest"), awstest.Name("sbtest")
	if a == b || !valid.MatchString(a) {
		t.Fatalf("names %q and %q: want distinct names of lower-case letters, digits and hyphens", a, b)
	}
}
