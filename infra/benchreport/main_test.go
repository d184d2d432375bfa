package main

import (
	"strings"
	"testing"
)

func TestParseAndReport(t *testing.T) {
	out := `goos: linux
BenchmarkHandleLINE-2            	   10000	     50000 ns/op	      5000 ns/event	    9000 B/op	     125 allocs/op
BenchmarkLINESDKParse-2          	   20000	     25000 ns/op	      2500 ns/event
BenchmarkDeliveryAWSRequests-2   	     100	   1500000 ns/op	         1.000 aws-req/delivery
BenchmarkDeliveryAWSRequestsCold-2   	     100	   1500000 ns/op	         2.000 aws-req/delivery
PASS`
	res, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		bench, metric string
		want          float64
	}{
		{"BenchmarkHandleLINE", "ns/event", 5000},
		{"BenchmarkHandleLINE", "allocs/op", 125},
		{"BenchmarkLINESDKParse", "ns/event", 2500},
		{"BenchmarkDeliveryAWSRequests", "aws-req/delivery", 1},
	}
	for _, tt := range tests {
		if got := res[tt.bench][tt.metric]; got != tt.want {
			t.Errorf("%s %s = %v, want %v", tt.bench, tt.metric, got, tt.want)
		}
	}
	var b strings.Builder
	if got, want := report(&b, res), 0; got != want {
		t.Errorf("missing = %d, want %d\n%s", got, want, b.String())
	}
	if got, want := b.String(), "ratio 2.00"; !strings.Contains(got, want) {
		t.Errorf("report lacks %q:\n%s", want, got)
	}
}

func TestReportCountsMissing(t *testing.T) {
	var b strings.Builder
	if got, want := report(&b, results{}), len(figures); got != want {
		t.Errorf("missing = %d, want %d", got, want)
	}
}
