package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// httpErr wraps an API error the way the SDK returns it from a response with
// the given status.
func httpErr(status int, api error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      api,
	}}
}

func TestMapErr(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"condition failed", httpErr(400, &types.ConditionalCheckFailedException{Message: aws.String("x")}), switchboard.EConflict},
		{"throughput", httpErr(400, &types.ProvisionedThroughputExceededException{}), switchboard.EUnavailable},
		{"request limit", httpErr(400, &types.RequestLimitExceeded{}), switchboard.EUnavailable},
		{"throttling", httpErr(400, &smithy.GenericAPIError{Code: "ThrottlingException"}), switchboard.EUnavailable},
		{"internal server error", httpErr(500, &types.InternalServerError{}), switchboard.EUnavailable},
		{"unknown 503", httpErr(503, &smithy.GenericAPIError{Code: "Whatever"}), switchboard.EUnavailable},
		{"item too large", httpErr(400, &smithy.GenericAPIError{Code: "ValidationException", Message: "Item size has exceeded the maximum allowed size"}), switchboard.ETooLarge},
		{"other validation", httpErr(400, &smithy.GenericAPIError{Code: "ValidationException", Message: "One or more parameter values were invalid"}), switchboard.EInternal},
		{"missing table", httpErr(400, &types.ResourceNotFoundException{}), switchboard.EInternal},
		{"connection refused", &smithy.OperationError{Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, switchboard.EUnavailable},
		{"deadline", fmt.Errorf("op: %w", context.DeadlineExceeded), switchboard.EUnavailable},
		{"domain error passes through", switchboard.Errorf(switchboard.ENotFound, "x"), switchboard.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mapErr(tt.err, "put channel")
			if got := switchboard.ErrorCode(err); got != tt.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.want)
			}
			if tt.err != nil && !errors.Is(err, tt.err) && !errors.Is(tt.err, err) {
				t.Fatalf("mapped error %v does not keep its cause", err)
			}
		})
	}
}

func TestContactIDAndShard(t *testing.T) {
	a := ContactID("T1", "C1", "U1")
	if a != ContactID("T1", "C1", "U1") {
		t.Fatal("ContactID is not deterministic")
	}
	for _, other := range []string{ContactID("T2", "C1", "U1"), ContactID("T1", "C2", "U1"), ContactID("T1", "C1", "U2"), ContactID("T1C", "1", "U1")} {
		if other == a {
			t.Fatalf("different inputs share contact id %s", a)
		}
	}
	if !validKeyPart(a) {
		t.Fatalf("contact id %q cannot be used in a key", a)
	}
	counts := make([]int, switchboard.ContactShards)
	const n = 16000
	for i := range n {
		s := ContactShard(ContactID("T", "C", fmt.Sprint(i)))
		if s < 0 || s >= switchboard.ContactShards {
			t.Fatalf("shard %d out of range", s)
		}
		counts[s]++
	}
	for s, c := range counts {
		if want := n / switchboard.ContactShards; c < want*8/10 || c > want*12/10 {
			t.Fatalf("shard %d holds %d of %d contacts; want about %d", s, c, n, want)
		}
	}
}

func TestKeysStayInTheirTeam(t *testing.T) {
	// Every team-owned key starts with the team's prefix, and no id accepted by
	// validKeyPart can make a key of one team equal a key of another.
	team := "01TEAM"
	keys := []key{memberKey(team, "m"), contactKey(team, "c"), conversationKey(team, "v"), messageKey(team, "v", "m")}
	for _, k := range keys {
		if !strings.HasPrefix(k.PK, "TEAM#"+team+"#") && k.PK != "TEAM#"+team {
			t.Errorf("key %+v is not under team %s", k, team)
		}
	}
	for _, id := range []string{"", "a#b", strings.Repeat("x", 300)} {
		if validKeyPart(id) {
			t.Errorf("validKeyPart(%q) = true, want false", id)
		}
	}
	if got := idempotencyKey(strings.Repeat("k", 5000)); len(got.PK) > 600 {
		t.Errorf("idempotency key of %d bytes not shortened", len(got.PK))
	}
}

func TestCursorRoundTrip(t *testing.T) {
	l := contactsOfShard("T1", 3)
	last := map[string]types.AttributeValue{
		attrPK:     &types.AttributeValueMemberS{Value: "TEAM#T1#CONTACT#ct_1"},
		attrSK:     &types.AttributeValueMemberS{Value: "CONTACT"},
		attrGSI2PK: &types.AttributeValueMemberS{Value: l.PK},
		attrGSI2SK: &types.AttributeValueMemberS{Value: "CONTACT#ct_1"},
	}
	c := encodeCursor(last)
	got, err := decodeCursor(c, l)
	if err != nil {
		t.Fatal(err)
	}
	if encodeCursor(got) != c {
		t.Fatalf("round trip changed the cursor")
	}
	tests := []struct {
		name string
		l    listing
	}{
		{"other team", contactsOfShard("T2", 3)},
		{"other shard", contactsOfShard("T1", 4)},
		{"other listing", messagesOfConversation("T1", "v")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeCursor(c, tt.l)
			if got := switchboard.ErrorCode(err); got != switchboard.EInvalid {
				t.Fatalf("decode for %s: code %q, want %q", tt.name, got, switchboard.EInvalid)
			}
		})
	}
}

// FuzzDecodeCursor feeds arbitrary cursors, which API callers control: decoding
// must never panic, and whatever it accepts must stay inside the listing.
func FuzzDecodeCursor(f *testing.F) {
	l := messagesOfConversation("T1", "V1")
	f.Add(encodeCursor(map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: l.PK},
		attrSK: &types.AttributeValueMemberS{Value: "MSG#01J"},
	}))
	f.Add("")
	f.Add("e30")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, cursor string) {
		got, err := decodeCursor(cursor, l)
		if err != nil {
			if switchboard.ErrorCode(err) != switchboard.EInvalid {
				t.Fatalf("error code %q, want %q", switchboard.ErrorCode(err), switchboard.EInvalid)
			}
			return
		}
		if got == nil {
			return
		}
		pk := got[attrPK].(*types.AttributeValueMemberS).Value
		sk := got[attrSK].(*types.AttributeValueMemberS).Value
		if pk != l.PK || !strings.HasPrefix(sk, l.SKPrefix) || len(got) != 2 {
			t.Fatalf("accepted cursor %q leaving the listing: %v", cursor, got)
		}
	})
}
