// Package telemetry owns how Switchboard functions report on themselves: JSON logs
// through log/slog and metrics in CloudWatch Embedded Metric Format, which Lambda
// turns into metrics from the log stream with no extra API call on the hot path.
package telemetry

import (
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every Switchboard metric.
const Namespace = "Switchboard"

// NewLogger returns a JSON logger at the named level (DEBUG, INFO, WARN, ERROR;
// anything else means INFO).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToUpper(level) {
	case "DEBUG":
		l = slog.LevelDebug
	case "WARN", "WARNING":
		l = slog.LevelWarn
	case "ERROR":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Metrics writes counters as EMF records. It is safe for concurrent use.
type Metrics struct {
	mu       sync.Mutex
	w        io.Writer
	function string
	now      func() time.Time
}

// NewMetrics returns metrics written to w (stdout in Lambda) for the named function.
func NewMetrics(w io.Writer, function string, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	return &Metrics{w: w, function: function, now: now}
}

// Count records value for each named counter under the given dimensions (plus
// the function name). All counters of one call share one record, so a request
// costs one log line however many figures it reports.
func (m *Metrics) Count(counters map[string]float64, dims map[string]string) {
	if m == nil || len(counters) == 0 {
		return
	}
	all := map[string]string{"Function": m.function}
	maps.Copy(all, dims)
	dimNames := slices.Sorted(maps.Keys(all))
	names := slices.Sorted(maps.Keys(counters))
	defs := make([]map[string]string, 0, len(names))
	for _, n := range names {
		defs = append(defs, map[string]string{"Name": n, "Unit": "Count"})
	}
	rec := map[string]any{
		"_aws": map[string]any{
			"Timestamp": m.now().UnixMilli(),
			"CloudWatchMetrics": []map[string]any{{
				"Namespace":  Namespace,
				"Dimensions": [][]string{dimNames},
				"Metrics":    defs,
			}},
		},
	}
	for k, v := range all {
		rec[k] = v
	}
	for k, v := range counters {
		rec[k] = v
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.w.Write(append(line, '\n'))
}
