package config

import "testing"

func TestRequire(t *testing.T) {
	vars := map[string]string{"TABLE_NAME": "t", "EMPTY": "  ", "LOG_LEVEL": "DEBUG", "SQS_ENDPOINT": "http://127.0.0.1:1"}
	env := From(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })

	tests := []struct {
		name    string
		names   []string
		wantErr string
	}{
		{"present", []string{"TABLE_NAME"}, ""},
		{"missing and empty listed together", []string{"TABLE_NAME", "EMPTY", "QUEUE_URL"}, "missing environment variables: EMPTY, QUEUE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := env.Require(tt.names...)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got["TABLE_NAME"] != "t" {
				t.Errorf("TABLE_NAME = %q, want t", got["TABLE_NAME"])
			}
		})
	}
	if got, want := env.LogLevel, "DEBUG"; got != want {
		t.Errorf("LogLevel = %q, want %q", got, want)
	}
	if got, want := env.SQSEndpoint, "http://127.0.0.1:1"; got != want {
		t.Errorf("SQSEndpoint = %q, want %q", got, want)
	}
}
