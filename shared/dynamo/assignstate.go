package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// AssignScopeWorkingHours is the scope of a team's working-hours assignment
// state (who was assigned when, SHOPLINE 003).
const AssignScopeWorkingHours = "working_hours"

// AssignScopeRule is the scope of one keyword auto-assign rule's state (its
// sequential cursor, 001:L4199).
func AssignScopeRule(ruleID string) string { return "rule#" + ruleID }

// AssignState is what assignment remembers for one scope, with the version
// it was read at so two routers never hand out the same turn twice.
type AssignState struct {
	Scope     string       `dynamodbav:"Scope"`
	State     assign.State `dynamodbav:"State"`
	UpdatedAt time.Time    `dynamodbav:"UpdatedAt"`
	// Version is the stored version; 0 means no state was stored yet.
	Version int64 `dynamodbav:"Version"`
}

// GetAssignState reads the assignment state of a scope: one GetItem. A scope
// with no state yet is an empty state at version 0.
func (s *Store) GetAssignState(ctx context.Context, teamID, scope string) (*AssignState, error) {
	if !validKeyPart(teamID) || scope == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team id or assignment scope is missing or malformed")
	}
	st, err := get[AssignState](ctx, s, "assignment state", assignStateKey(teamID, scope))
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return &AssignState{Scope: scope}, nil
	}
	if err != nil {
		return nil, err
	}
	st.Scope = scope
	return st, nil
}

// assignStatePut writes a state at the next version, only if the stored one is
// still at the version read.
func (s *Store) assignStatePut(teamID string, a *AssignState) (types.TransactWriteItem, error) {
	if a == nil || a.Scope == "" {
		return types.TransactWriteItem{}, switchboard.Errorf(switchboard.EInvalid, "assignment state without a scope")
	}
	next := *a
	next.Version, next.UpdatedAt = a.Version+1, s.clock()
	item, err := attributevalue.MarshalMap(next)
	if err != nil {
		return types.TransactWriteItem{}, switchboard.Wrap(switchboard.EInternal, err, "encode assignment state")
	}
	k := assignStateKey(teamID, a.Scope)
	item[attrPK] = &types.AttributeValueMemberS{Value: k.PK}
	item[attrSK] = &types.AttributeValueMemberS{Value: k.SK}
	put := &types.Put{TableName: aws.String(s.table), Item: item}
	if a.Version == 0 {
		put.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		put.ExpressionAttributeNames = map[string]string{"#pk": attrPK}
	} else {
		put.ConditionExpression = aws.String("#version = :version")
		put.ExpressionAttributeNames = map[string]string{"#version": "Version"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":version": &types.AttributeValueMemberN{Value: itoa(a.Version)}}
	}
	return types.TransactWriteItem{Put: put}, nil
}

// GetAssignSettings reads a team's assignment switches: one GetItem. A team
// that never set them has everything off.
func (s *Store) GetAssignSettings(ctx context.Context, teamID string) (*switchboard.AssignSettings, error) {
	if !validKeyPart(teamID) {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team id is missing or malformed")
	}
	st, err := get[switchboard.AssignSettings](ctx, s, "assignment settings", assignSettingsKey(teamID))
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return &switchboard.AssignSettings{}, nil
	}
	return st, err
}

// PutAssignSettings stores a team's assignment switches, stamping UpdatedAt:
// one PutItem. The last writer wins, as with any toggle.
func (s *Store) PutAssignSettings(ctx context.Context, teamID string, a *switchboard.AssignSettings) error {
	if !validKeyPart(teamID) || a == nil {
		return switchboard.Errorf(switchboard.EInvalid, "team id or settings are missing")
	}
	if err := a.AutoEnd.Validate(); err != nil {
		return err
	}
	a.UpdatedAt = s.clock()
	item, err := attributevalue.MarshalMap(a)
	if err != nil {
		return switchboard.Wrap(switchboard.EInternal, err, "encode assignment settings")
	}
	k := assignSettingsKey(teamID)
	item[attrPK] = &types.AttributeValueMemberS{Value: k.PK}
	item[attrSK] = &types.AttributeValueMemberS{Value: k.SK}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item})
	return mapErr(err, "put assignment settings")
}

// AutoEndSettings reads a team's auto-end setting (kept in its assignment
// settings): one GetItem. The operators' API reads it when an agent replies,
// to arm the conversation's auto-end timer only when the team wants one.
func (s *Store) AutoEndSettings(ctx context.Context, teamID string) (switchboard.AutoEnd, error) {
	st, err := s.GetAssignSettings(ctx, teamID)
	if err != nil {
		return switchboard.AutoEnd{}, err
	}
	return st.AutoEnd, nil
}
