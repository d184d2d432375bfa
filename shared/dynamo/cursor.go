package dynamo

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Page sizes for paginated listings.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

func pageSize(limit int) int32 {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return int32(limit)
}

// encodeCursor turns DynamoDB's LastEvaluatedKey into an opaque string for
// API callers; "" means there is nothing more.
func encodeCursor(last map[string]types.AttributeValue) string {
	if len(last) == 0 {
		return ""
	}
	m := make(map[string]string, len(last))
	for k, v := range last {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			m[k] = s.Value
		}
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor is the inverse of encodeCursor. Cursors come from callers, so it
// checks that the cursor continues this very listing (same partition, same
// kind of item): a cursor cannot be used to start reading another team's
// partition, which DynamoDB would otherwise reject with an opaque error.
func decodeCursor(cursor string, l listing) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	bad := switchboard.Errorf(switchboard.EInvalid, "cursor is not one this listing returned")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, bad
	}
	pkName, skName := attrPK, attrSK
	want := []string{attrPK, attrSK}
	switch l.Index {
	case GSI1:
		pkName, skName = attrGSI1PK, attrGSI1SK
		want = append(want, attrGSI1PK, attrGSI1SK)
	case GSI2:
		pkName, skName = attrGSI2PK, attrGSI2SK
		want = append(want, attrGSI2PK, attrGSI2SK)
	}
	if len(m) != len(want) || m[pkName] != l.PK || len(m[skName]) <= len(l.SKPrefix) || m[skName][:len(l.SKPrefix)] != l.SKPrefix {
		return nil, bad
	}
	out := make(map[string]types.AttributeValue, len(m))
	for _, name := range want {
		v, ok := m[name]
		if !ok || v == "" {
			return nil, bad
		}
		out[name] = &types.AttributeValueMemberS{Value: v}
	}
	return out, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
