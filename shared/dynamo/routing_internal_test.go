package dynamo

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestCancellationReasons(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		want   []string
		wantOK bool
	}{
		{"reasons listed", &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			{Code: aws.String("ConditionalCheckFailed")}, {Code: aws.String("None")},
		}}, []string{"ConditionalCheckFailed", "None"}, true},
		{"reasons only in the message, as DynamoDB Local sends them", fmt.Errorf("wrapped: %w", &types.TransactionCanceledException{
			Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"),
		}), []string{"None", "ConditionalCheckFailed"}, true},
		{"no reasons at all", &types.TransactionCanceledException{Message: aws.String("cancelled")}, nil, true},
		{"another error", errors.New("boom"), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cancellationReasons(tt.err)
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPlatformMessageKeyStaysShort(t *testing.T) {
	long := make([]byte, 2000)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		id      string
		wantLen int
	}{
		{"wamid.HBgM", len("TEAM#T#PMSG#C#wamid.HBgM")},
		{string(long), len("TEAM#T#PMSG#C#sha256:") + 64},
	}
	for _, tt := range tests {
		if got := len(platformMessageKey("T", "C", tt.id).PK); got != tt.wantLen {
			t.Errorf("key of a %d-byte id is %d bytes, want %d", len(tt.id), got, tt.wantLen)
		}
	}
}
