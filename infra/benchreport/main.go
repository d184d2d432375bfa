// Command benchreport prints the figures the README quotes from the output of
// `go test -bench` (saved by `make bench`), so the numbers in the README always
// come from one command anyone can rerun.
//
// Usage: go run ./infra/benchreport .build/bench.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// figure is one line of the report: a metric of one benchmark, optionally
// compared with a metric of another (printed as a ratio) or with a target.
type figure struct {
	label     string
	bench     string // benchmark name without the -N suffix
	metric    string // unit as go test prints it, e.g. "ns/event"
	unit      string
	versus    string // optional: benchmark to divide by (same metric)
	versusTxt string
	target    string
}

// figures lists what the README quotes. Add a line here when an issue asks
// `make bench` to print a new figure.
var figures = []figure{
	{label: "ingest CPU per LINE event (verify+parse+enqueue)", bench: "BenchmarkHandleLINE", metric: "ns/event", unit: "ns",
		versus: "BenchmarkLINESDKParse", versusTxt: "LINE SDK's own parse of the same body"},
	{label: "ingest allocations per 10-event LINE delivery", bench: "BenchmarkHandleLINE", metric: "allocs/op", unit: "allocs"},
	{label: "AWS requests per webhook delivery (warm)", bench: "BenchmarkDeliveryAWSRequests", metric: "aws-req/delivery", unit: "requests", target: "1"},
	{label: "AWS requests per webhook delivery (cold cache)", bench: "BenchmarkDeliveryAWSRequestsCold", metric: "aws-req/delivery", unit: "requests"},
	{label: "router: AWS requests per LINE text with keyword reply", bench: "BenchmarkRouterKeywordReply/line", metric: "aws-req/message", unit: "requests", target: "<= 6"},
	{label: "router: AWS requests per Messenger text with keyword reply", bench: "BenchmarkRouterKeywordReply/messenger", metric: "aws-req/message", unit: "requests", target: "<= 6"},
	{label: "router: CPU of one routing decision (60 rules, 60 tags)", bench: "BenchmarkRouterDecide", metric: "ns/op", unit: "ns"},
	{label: "botstep: AWS requests per bot step", bench: "BenchmarkBotstep", metric: "aws-req/message", unit: "requests"},
	{label: "botstep: CPU of one engine step", bench: "BenchmarkStep", metric: "ns/op", unit: "ns"},
	{label: "timers: 100k due in one minute, dispatched (SQS counted)", bench: "BenchmarkTimersDispatch100k/queue=count", metric: "ns/op", unit: "ns"},
	{label: "timers: DynamoDB writes per timer (arm + delete)", bench: "BenchmarkTimersDispatch100k/queue=count", metric: "ddb-writes/timer", unit: "writes", target: "<= 2"},
	{label: "timers: dispatch rate through the SQS emulator", bench: "BenchmarkTimersDispatch100k/queue=sqs", metric: "timers/s", unit: "timers/s"},
}

// group prints one line per benchmark under a prefix, for figures measured per
// function (cold start, binary size).
type group struct {
	label   string
	prefix  string
	metrics []string
}

var groups = []group{
	{label: "cold start (bootstrap exec to first Runtime API next) and binary size", prefix: "BenchmarkColdStart/", metrics: []string{"ms/coldstart", "MB/binary"}},
}

// results maps benchmark name to metric unit to value.
type results map[string]map[string]float64

func parse(r io.Reader) (results, error) {
	res := results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		m := res[name]
		if m == nil {
			m = map[string]float64{}
			res[name] = m
		}
		// fields[1] is the iteration count; then value/unit pairs.
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				break
			}
			m[fields[i+1]] = v
		}
	}
	return res, sc.Err()
}

func report(w io.Writer, res results) int {
	missing := 0
	fmt.Fprintln(w, "Switchboard benchmark figures")
	for _, f := range figures {
		v, ok := res[f.bench][f.metric]
		if !ok {
			fmt.Fprintf(w, "  %-60s (not measured: %s did not run)\n", f.label, f.bench)
			missing++
			continue
		}
		line := fmt.Sprintf("  %-60s %14s", f.label, human(v, f.unit))
		if f.versus != "" {
			if base, ok := res[f.versus][f.metric]; ok && base > 0 {
				line += fmt.Sprintf("   (%s: %s; ratio %.2f)", f.versusTxt, human(base, f.unit), v/base)
			}
		}
		if f.target != "" {
			line += "   (target " + f.target + ")"
		}
		fmt.Fprintln(w, line)
	}
	for _, g := range groups {
		var names []string
		for name := range res {
			if strings.HasPrefix(name, g.prefix) {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			fmt.Fprintf(w, "  %-60s (not measured: no %s* ran)\n", g.label, g.prefix)
			missing++
			continue
		}
		sort.Strings(names)
		fmt.Fprintf(w, "  %s\n", g.label)
		for _, name := range names {
			line := fmt.Sprintf("    %-20s", strings.TrimPrefix(name, g.prefix))
			for _, m := range g.metrics {
				if v, ok := res[name][m]; ok {
					line += fmt.Sprintf(" %10s %s", format(v), m)
				}
			}
			fmt.Fprintln(w, line)
		}
	}
	return missing
}

// human prints a value with its unit, turning nanoseconds into the unit a
// person reads at that size.
func human(v float64, unit string) string {
	if unit == "ns" {
		switch {
		case v >= 1e9:
			return strconv.FormatFloat(v/1e9, 'f', 2, 64) + " s"
		case v >= 1e6:
			return strconv.FormatFloat(v/1e6, 'f', 2, 64) + " ms"
		case v >= 1e3:
			return strconv.FormatFloat(v/1e3, 'f', 1, 64) + " µs"
		}
	}
	return format(v) + " " + unit
}

func format(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchreport <go test -bench output file>")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	defer f.Close()
	res, err := parse(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if missing := report(os.Stdout, res); missing > 0 {
		fmt.Fprintf(os.Stderr, "benchreport: %d figure(s) not measured\n", missing)
		os.Exit(1)
	}
}
