package dynamo_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// newStore returns a store over a fresh table in DynamoDB Local. Racing
// updates get generous retries so the concurrency tests exercise the version
// check rather than the retry bound (which TestUpdateGivesUpAfterMaxAttempts
// covers).
func newStore(t *testing.T, now switchboard.Clock) *dynamo.Store {
	client := awstest.DynamoDB(t)
	return dynamo.New(client, awstest.Table(t, client), dynamo.WithClock(now), dynamo.WithMaxAttempts(50))
}

func TestTeamStore(t *testing.T) {
	testTeamStore(t, func(t *testing.T) switchboard.TeamStore { return newStore(t, time.Now) })
}

func TestChannelStore(t *testing.T) {
	testChannelStore(t, func(t *testing.T) switchboard.ChannelStore { return newStore(t, time.Now) })
}

func TestMemberStore(t *testing.T) {
	testMemberStore(t, func(t *testing.T) switchboard.MemberStore { return newStore(t, time.Now) })
}

func TestTokenStore(t *testing.T) {
	testTokenStore(t, func(t *testing.T) switchboard.TokenStore { return newStore(t, time.Now) })
}

func TestContactStore(t *testing.T) {
	testContactStore(t, func(t *testing.T) switchboard.ContactStore { return newStore(t, time.Now) })
}

func TestConversationStore(t *testing.T) {
	testConversationStore(t, func(t *testing.T) switchboard.ConversationStore { return newStore(t, time.Now) })
}

func TestMessageStore(t *testing.T) {
	testMessageStore(t, func(t *testing.T) switchboard.MessageStore { return newStore(t, time.Now) })
}

func TestIdempotencyStore(t *testing.T) {
	testIdempotencyStore(t, func(t *testing.T, now switchboard.Clock) switchboard.IdempotencyStore { return newStore(t, now) })
}

// TestStampsFromClock checks that the injected clock, not the wall clock,
// stamps records.
func TestStampsFromClock(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := newStore(t, clock.Now)
	team := &switchboard.Team{ID: switchboard.NewID(), Name: "Acme"}
	must(t, s.CreateTeam(ctx, team))
	clock.Advance(time.Hour)
	upd, err := s.UpdateTeam(ctx, team.ID, func(x *switchboard.Team) (*switchboard.Team, error) { return x, nil })
	must(t, err)
	if !upd.CreatedAt.Equal(t0) || !upd.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("createdAt %v, updatedAt %v; want %v and an hour later", upd.CreatedAt, upd.UpdatedAt, t0)
	}
}

// TestRequestsPerOperation pins the AWS request count of each method, the
// figures their doc comments promise and the benchmarks rely on.
func TestRequestsPerOperation(t *testing.T) {
	ctx := context.Background()
	var counter awsclient.RequestCounter
	cfg := awstest.Config(t)
	counter.Add(&cfg)
	client := awsclient.DynamoDB(cfg, awstest.Endpoint(t, awstest.EnvDynamoDB))
	table := awstest.Table(t, client)
	s := dynamo.New(client, table)

	team := switchboard.NewID()
	ch := &switchboard.Channel{ID: switchboard.NewID(), TeamID: team, Kind: switchboard.KindLINE, Name: "c"}
	_, hash := switchboard.NewTokenSecret()
	tok := &switchboard.Token{ID: switchboard.NewID(), TeamID: team, Name: "t", Role: switchboard.RoleAdmin, Hash: hash}
	noop := func(c *switchboard.Channel) (*switchboard.Channel, error) { return c, nil }
	tests := []struct {
		name string
		op   func() error
		want map[string]int
	}{
		{"CreateChannel", func() error { return s.CreateChannel(ctx, ch) }, map[string]int{"DynamoDB.PutItem": 1}},
		{"LookupChannel", func() error { _, err := s.LookupChannel(ctx, ch.ID); return err }, map[string]int{"DynamoDB.GetItem": 1}},
		{"UpdateChannel", func() error { _, err := s.UpdateChannel(ctx, team, ch.ID, noop); return err }, map[string]int{"DynamoDB.GetItem": 1, "DynamoDB.PutItem": 1}},
		{"ListChannels", func() error { _, err := s.ListChannels(ctx, team); return err }, map[string]int{"DynamoDB.Query": 1}},
		{"CreateToken", func() error { return s.CreateToken(ctx, tok) }, map[string]int{"DynamoDB.PutItem": 1}},
		{"FindTokenByHash", func() error { _, err := s.FindTokenByHash(ctx, hash); return err }, map[string]int{"DynamoDB.GetItem": 1}},
		{"DeleteToken", func() error { return s.DeleteToken(ctx, team, tok.ID) }, map[string]int{"DynamoDB.Query": 1, "DynamoDB.DeleteItem": 1}},
		{"UpsertContact", func() error {
			_, err := s.UpsertContact(ctx, team, ch.ID, "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) { return c, nil })
			return err
		}, map[string]int{"DynamoDB.GetItem": 1, "DynamoDB.PutItem": 1}},
		{"Claim", func() error { _, err := s.Claim(ctx, switchboard.NewID(), time.Hour); return err }, map[string]int{"DynamoDB.PutItem": 1}},
		{"PutMessage", func() error {
			return s.PutMessage(ctx, &switchboard.Message{ID: switchboard.NewID(), TeamID: team, ConversationID: "cv"})
		}, map[string]int{"DynamoDB.PutItem": 1}},
		{"ListMessages", func() error { _, _, err := s.ListMessages(ctx, team, "cv", "", 50); return err }, map[string]int{"DynamoDB.Query": 1}},
		{"MemberConversationIDs", func() error { _, err := s.MemberConversationIDs(ctx, team, "m1"); return err }, map[string]int{"DynamoDB.Query": 2}},
	}
	for _, tt := range tests {
		counter.Reset()
		if err := tt.op(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := counter.Calls(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s made requests %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCreateTable checks the table is idempotently created with TTL on.
func TestCreateTable(t *testing.T) {
	ctx := context.Background()
	client := awstest.DynamoDB(t)
	table := awstest.Table(t, client)
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	must(t, err)
	if got := aws.ToString(ttl.TimeToLiveDescription.AttributeName); got != dynamo.TTLAttribute {
		t.Fatalf("TTL attribute = %q, want %q", got, dynamo.TTLAttribute)
	}
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	must(t, err)
	var names []string
	for _, g := range desc.Table.GlobalSecondaryIndexes {
		names = append(names, aws.ToString(g.IndexName))
		if g.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("index %s projects %s, want ALL", aws.ToString(g.IndexName), g.Projection.ProjectionType)
		}
	}
	if want := []string{dynamo.GSI1, dynamo.GSI2}; !sameSet(names, want) {
		t.Fatalf("indexes %v, want %v", names, want)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// fakeAPI is a DynamoDB API whose methods are functions, for failure paths the
// emulator cannot produce on demand.
type fakeAPI struct {
	getItem    func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error)
	putItem    func(*dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error)
	deleteItem func(*dynamodb.DeleteItemInput) (*dynamodb.DeleteItemOutput, error)
	query      func(*dynamodb.QueryInput) (*dynamodb.QueryOutput, error)
	batchGet   func(*dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error)
	transact   func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error)
	updateItem func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
}

var _ dynamo.API = (*fakeAPI)(nil)

func (f *fakeAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return f.getItem(in)
}

func (f *fakeAPI) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return f.putItem(in)
}

func (f *fakeAPI) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return f.deleteItem(in)
}

func (f *fakeAPI) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return f.query(in)
}

func (f *fakeAPI) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return f.batchGet(in)
}

func (f *fakeAPI) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return f.transact(in)
}

func (f *fakeAPI) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return f.updateItem(in)
}

func TestUpdateGivesUpAfterMaxAttempts(t *testing.T) {
	gets, puts := 0, 0
	api := &fakeAPI{
		getItem: func(in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			gets++
			return &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
				"ID":      &types.AttributeValueMemberS{Value: "t1"},
				"Name":    &types.AttributeValueMemberS{Value: "Acme"},
				"Version": &types.AttributeValueMemberN{Value: "7"},
			}}, nil
		},
		putItem: func(in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
			puts++
			if got := in.ExpressionAttributeValues[":version"].(*types.AttributeValueMemberN).Value; got != "7" {
				t.Errorf("condition on version %s, want the version read (7)", got)
			}
			if got := in.Item["Version"].(*types.AttributeValueMemberN).Value; got != "8" {
				t.Errorf("wrote version %s, want 8", got)
			}
			return nil, &types.ConditionalCheckFailedException{Message: aws.String("lost")}
		},
	}
	for _, attempts := range []int{1, 3, dynamo.DefaultMaxAttempts} {
		gets, puts = 0, 0
		s := dynamo.New(api, "table", dynamo.WithMaxAttempts(attempts))
		_, err := s.UpdateTeam(context.Background(), "t1", func(x *switchboard.Team) (*switchboard.Team, error) { return x, nil })
		wantCode(t, err, switchboard.EConflict)
		if gets != attempts || puts != attempts {
			t.Fatalf("max %d attempts: %d reads and %d writes, want %d of each", attempts, gets, puts, attempts)
		}
	}
}

func TestUpdateStopsWhenContextEnds(t *testing.T) {
	api := &fakeAPI{
		getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{"ID": &types.AttributeValueMemberS{Value: "t1"}}}, nil
		},
		putItem: func(*dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
			return nil, &types.ConditionalCheckFailedException{}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := dynamo.New(api, "table", dynamo.WithMaxAttempts(1000))
	start := time.Now()
	_, err := s.UpdateTeam(ctx, "t1", func(x *switchboard.Team) (*switchboard.Team, error) { return x, nil })
	wantCode(t, err, switchboard.EUnavailable)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want it to wrap context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("update kept retrying for %v after its context ended", d)
	}
}
