package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMeasure(t *testing.T) {
	o, _ := testOptions(t)
	o.Offline = true
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ms, err := r.Measure(context.Background(), 3, "EchoFunction")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || len(ms[0].ColdStarts) != 3 {
		t.Fatalf("got %+v, want three cold starts of EchoFunction", ms)
	}
	m := ms[0]
	info, err := os.Stat(echoBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.BinaryBytes != info.Size() {
		t.Errorf("binary size: got %d, want %d", m.BinaryBytes, info.Size())
	}
	if m.Min() <= 0 || m.Min() > m.Median() || m.Median() > m.Max() || m.Max() > initTimeout {
		t.Errorf("cold starts out of order or range: min %s median %s max %s", m.Min(), m.Median(), m.Max())
	}
}

// BenchmarkColdStart measures, per function, the time from exec of its
// bootstrap to its first request for an event, and reports the binary size.
// echofn is the floor (the Go runtime plus aws-lambda-go); the project's
// functions add their own initialisation on top.
func BenchmarkColdStart(b *testing.B) {
	b.Run("echofn", func(b *testing.B) {
		r, err := New(Options{
			TemplatePath: "testdata/template.yaml",
			Offline:      true,
			Binaries:     map[string]string{"EchoFunction": echoBinary(b)},
			Logger:       discardLogger(),
			Output:       &syncBuffer{},
		})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		benchFunction(b, r, "EchoFunction")
	})
	project := filepath.Join("..", "..", "template.yaml")
	r, err := New(Options{TemplatePath: project, Offline: true, Logger: discardLogger(), Output: &syncBuffer{}})
	if err != nil {
		b.Fatalf("project template: %v", err)
	}
	defer r.Close()
	if err := r.Prepare(context.Background()); err != nil {
		if strings.Contains(err.Error(), "no Go main package") {
			b.Skipf("project functions not all written yet: %v", err)
		}
		b.Fatal(err)
	}
	for _, id := range r.FunctionIDs() {
		b.Run(strings.TrimSuffix(id, "Function"), func(b *testing.B) { benchFunction(b, r, id) })
	}
}

func benchFunction(b *testing.B, r *Runner, id string) {
	if err := r.Prepare(context.Background()); err != nil {
		b.Fatal(err)
	}
	r.mu.Lock()
	spec := r.specs[id]
	r.mu.Unlock()
	binaries, err := buildAll(context.Background(), []*functionSpec{spec}, b.TempDir(), r.o.Binaries)
	if err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(binaries[id])
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for b.Loop() {
		m, err := r.measure(context.Background(), spec, binaries[id], 1)
		if err != nil {
			b.Fatal(err)
		}
		total += m.ColdStarts[0]
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/coldstart")
	b.ReportMetric(float64(info.Size())/(1<<20), "MB/binary")
}
