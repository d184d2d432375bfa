package dynamo

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// isConditionFailed reports whether err is a failed condition expression: the
// expected outcome of a lost race or a duplicate create, which callers turn into
// a retry, EConflict or ENotFound as the operation requires.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// mapErr is the one place SDK errors become domain errors. Messages name the
// operation only: item contents (channel secrets among them) never reach an
// error, and the SDK's own error, kept as the cause for logs, carries no
// attribute values either.
func mapErr(err error, op string) error {
	if err == nil {
		return nil
	}
	var de *switchboard.Error
	if errors.As(err, &de) {
		return err
	}
	if isConditionFailed(err) {
		return switchboard.Wrap(switchboard.EConflict, err, op+": a concurrent change won")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return switchboard.Wrap(switchboard.EUnavailable, err, op+": storage request cancelled or timed out")
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"LimitExceededException", "TransactionConflictException", "TransactionInProgressException",
			"InternalServerError", "ServiceUnavailable", "ServiceUnavailableException":
			return switchboard.Wrap(switchboard.EUnavailable, err, op+": storage is busy or unavailable; retry later")
		case "ItemCollectionSizeLimitExceededException":
			return switchboard.Wrap(switchboard.ETooLarge, err, op+": too much data under one key")
		case "ValidationException":
			if strings.Contains(strings.ToLower(api.ErrorMessage()), "size") {
				return switchboard.Wrap(switchboard.ETooLarge, err, op+": record is over DynamoDB's 400 KB item limit")
			}
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			return switchboard.Wrap(switchboard.EUnavailable, err, op+": storage is unavailable; retry later")
		}
		return switchboard.Wrap(switchboard.EInternal, err, op+": storage request failed")
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() < 500 {
		return switchboard.Wrap(switchboard.EInternal, err, op+": storage request failed")
	}
	// No API error and no 4xx: the request never got an answer (connection
	// refused, reset, DNS), which may well pass.
	return switchboard.Wrap(switchboard.EUnavailable, err, op+": storage is unreachable; retry later")
}
