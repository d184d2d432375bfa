package telemetry

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMetricsCountWritesOneEMFRecord(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := NewMetrics(&buf, "ingest", func() time.Time { return at })
	m.Count(map[string]float64{"EventsIngested": 3, "Requests": 1}, map[string]string{"ChannelKind": "line"})

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if got, want := len(lines), 1; got != want {
		t.Fatalf("lines = %d, want %d", got, want)
	}
	var rec struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function       string
		ChannelKind    string
		EventsIngested float64
		Requests       float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"timestamp", rec.AWS.Timestamp, at.UnixMilli()},
		{"namespace", rec.AWS.CloudWatchMetrics[0].Namespace, Namespace},
		{"dimensions", strings.Join(rec.AWS.CloudWatchMetrics[0].Dimensions[0], ","), "ChannelKind,Function"},
		{"metric names", rec.AWS.CloudWatchMetrics[0].Metrics[0].Name + "," + rec.AWS.CloudWatchMetrics[0].Metrics[1].Name, "EventsIngested,Requests"},
		{"function", rec.Function, "ingest"},
		{"kind", rec.ChannelKind, "line"},
		{"events", rec.EventsIngested, 3.0},
		{"requests", rec.Requests, 1.0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestMetricsNilAndEmptyWriteNothing(t *testing.T) {
	var buf bytes.Buffer
	var nilM *Metrics
	nilM.Count(map[string]float64{"X": 1}, nil)
	NewMetrics(&buf, "f", nil).Count(nil, nil)
	if got := buf.Len(); got != 0 {
		t.Fatalf("wrote %d bytes, want 0", got)
	}
}

func TestNewLoggerLevels(t *testing.T) {
	tests := []struct {
		level     string
		debugSeen bool
		infoSeen  bool
	}{
		{"DEBUG", true, true},
		{"info", false, true},
		{"", false, true},
		{"ERROR", false, false},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		l := NewLogger(&buf, tt.level)
		l.Debug("d")
		l.Info("i")
		out := buf.String()
		if got := strings.Contains(out, `"msg":"d"`); got != tt.debugSeen {
			t.Errorf("%q debug seen = %v, want %v", tt.level, got, tt.debugSeen)
		}
		if got := strings.Contains(out, `"msg":"i"`); got != tt.infoSeen {
			t.Errorf("%q info seen = %v, want %v", tt.level, got, tt.infoSeen)
		}
	}
}
