package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestRunFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no team", []string{"-name", "x"}, "-team is required"},
		{"no name", []string{"-team", "t1"}, "name must be"},
		{"bad kind", []string{"-team", "t1", "-name", "x", "-kind", "public"}, "kind must be"},
		{"unknown flag", []string{"-colour", "red"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opened := false
			err := run(context.Background(), tt.args, &bytes.Buffer{}, &bytes.Buffer{}, func(context.Context) (Store, error) {
				opened = true
				return nil, nil
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) || opened {
				t.Fatalf("error %v (store opened: %v), want one mentioning %q before opening the store", err, opened, tt.want)
			}
		})
	}
}

func TestRunCreatesAndRevokes(t *testing.T) {
	ctx := context.Background()
	client := awstest.DynamoDB(t)
	store := dynamo.New(client, awstest.Table(t, client))
	team := switchboard.NewID()
	if err := store.CreateTeam(ctx, &switchboard.Team{ID: team, Name: "Shop"}); err != nil {
		t.Fatal(err)
	}
	open := func(context.Context) (Store, error) { return store, nil }
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"-team", team, "-name", "Shop server", "-kind", "server"}, &out, &errOut, open); err != nil {
		t.Fatal(err)
	}
	plain := strings.TrimSpace(out.String())
	if !strings.HasPrefix(plain, "sbk_server_") {
		t.Fatalf("printed %q, want a server site key", plain)
	}
	k, err := store.FindSiteKeyByHash(ctx, switchboard.HashToken(plain))
	if err != nil {
		t.Fatal(err)
	}
	if k.TeamID != team || k.Kind != switchboard.SiteKeyServer || k.Name != "Shop server" || !strings.Contains(errOut.String(), k.ID) {
		t.Fatalf("stored %+v; stderr %q", k, errOut.String())
	}
	if err := run(ctx, []string{"-team", "no-such-team", "-name", "x"}, &out, &errOut, open); err == nil || !strings.Contains(err.Error(), "team not found") {
		t.Fatalf("unknown team: %v, want team not found", err)
	}
	if err := run(ctx, []string{"-team", team, "-revoke", k.ID}, &out, &errOut, open); err != nil {
		t.Fatal(err)
	}
	if _, err := store.FindSiteKeyByHash(ctx, switchboard.HashToken(plain)); switchboard.ErrorCode(err) != switchboard.ENotFound {
		t.Fatalf("revoked key still found: %v", err)
	}
}
