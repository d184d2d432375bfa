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
BenchmarkRouterKeywordReply/line-2   	     100	   1500000 ns/op	         4.000 aws-req/message
BenchmarkRouterKeywordReply/messenger-2   	     100	   1500000 ns/op	         3.000 aws-req/message
BenchmarkRouterDecide-2   	     100	   92000 ns/op
BenchmarkBotstep-2   	     100	   12800000 ns/op	         3.000 aws-req/message
BenchmarkStep-2   	     100	   3300 ns/op
BenchmarkTimersDispatch100k/queue=count-2   	     1	   25000000000 ns/op	         2.000 ddb-writes/timer	      4000 timers/s
BenchmarkTimersDispatch100k/queue=sqs-2   	     1	   25000000000 ns/op	         2.001 ddb-writes/timer	        40 timers/s
BenchmarkColdStart/Ingest-2   	     10	   1 ns/op	         9.5 ms/coldstart	        11.0 MB/binary
BenchmarkColdStart/Api-2   	     10	   1 ns/op	         8.5 ms/coldstart	        10.6 MB/binary
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
	for _, want := range []string{"ratio 2.00", "8.50 ms/coldstart", "4 requests   (target <= 6)", "25.00 s", "5.0 µs"} {
		if got := b.String(); !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

func TestReportCountsMissing(t *testing.T) {
	var b strings.Builder
	if got, want := report(&b, results{}), len(figures)+len(groups); got != want {
		t.Errorf("missing = %d, want %d", got, want)
	}
}
