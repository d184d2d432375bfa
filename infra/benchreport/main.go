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
			fmt.Fprintf(w, "  %-52s (not measured: %s did not run)\n", f.label, f.bench)
			missing++
			continue
		}
		line := fmt.Sprintf("  %-52s %12s %s", f.label, format(v), f.unit)
		if f.versus != "" {
			if base, ok := res[f.versus][f.metric]; ok && base > 0 {
				line += fmt.Sprintf("   (%s: %s %s; ratio %.2f)", f.versusTxt, format(base), f.unit, v/base)
			}
		}
		if f.target != "" {
			line += "   (target " + f.target + ")"
		}
		fmt.Fprintln(w, line)
	}
	return missing
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
