// Command sitekey creates a site key for a team's website pixel, until the
// operators' API has a route for it. It writes the key straight to the table,
// prints the plaintext once on stdout (only its hash is stored, so it cannot
// be shown again), and the key's id on stderr:
//
//	TABLE_NAME=switchboard-Table-XYZ go run ./infra/sitekey -team 01H... -name "Shop pages" -kind browser
//	TABLE_NAME=switchboard-Table-XYZ go run ./infra/sitekey -team 01H... -name "Shop server" -kind server
//
// A browser key is publishable: it goes into the shop's pages and may only
// report cart events and ask about the binding popup. A server key stays on
// the shop's server and may also bind visitors and report orders. The AWS
// credentials and region come from the usual environment; DYNAMODB_ENDPOINT
// points it at DynamoDB Local. -revoke ID deletes a key of the team instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Store is what the command needs from the table.
type Store interface {
	GetTeam(ctx context.Context, id string) (*switchboard.Team, error)
	CreateSiteKey(ctx context.Context, k *switchboard.SiteKey) error
	DeleteSiteKey(ctx context.Context, teamID, id string) error
}

var _ Store = (*dynamo.Store)(nil)

func main() {
	env := config.FromOS()
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, func(ctx context.Context) (Store, error) {
		vars, err := env.Require("TABLE_NAME")
		if err != nil {
			return nil, err
		}
		cfg, err := awsclient.Load(ctx, awsclient.Options{})
		if err != nil {
			return nil, err
		}
		return dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"]), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sitekey:", err)
		os.Exit(1)
	}
}

// run parses args, then creates (or revokes) the key through the store that
// open returns.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, open func(context.Context) (Store, error)) error {
	fs := flag.NewFlagSet("sitekey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	team := fs.String("team", "", "id of the team the key belongs to (required)")
	name := fs.String("name", "", "name of the key, to recognise it later (required to create)")
	kind := fs.String("kind", string(switchboard.SiteKeyBrowser), "browser (publishable) or server (secret)")
	revoke := fs.String("revoke", "", "id of a key of the team to delete instead of creating one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *team == "" {
		return errors.New("-team is required")
	}
	k := &switchboard.SiteKey{ID: switchboard.NewID(), TeamID: *team, Name: *name, Kind: switchboard.SiteKeyKind(*kind)}
	if *revoke == "" {
		if err := k.Validate(); err != nil {
			return errors.New(switchboard.ErrorMessage(err))
		}
	}
	store, err := open(ctx)
	if err != nil {
		return err
	}
	if _, err := store.GetTeam(ctx, *team); err != nil {
		return fmt.Errorf("team %s: %s", *team, switchboard.ErrorMessage(err))
	}
	if *revoke != "" {
		if err := store.DeleteSiteKey(ctx, *team, *revoke); err != nil {
			return fmt.Errorf("revoke %s: %s", *revoke, switchboard.ErrorMessage(err))
		}
		fmt.Fprintf(stderr, "revoked site key %s of team %s\n", *revoke, *team)
		return nil
	}
	plain, hash := switchboard.NewSiteKeySecret(k.Kind)
	k.Hash = hash
	if err := store.CreateSiteKey(ctx, k); err != nil {
		return fmt.Errorf("create: %s", switchboard.ErrorMessage(err))
	}
	fmt.Fprintf(stderr, "created %s site key %s (%q) for team %s; the key is printed once:\n", k.Kind, k.ID, k.Name, k.TeamID)
	fmt.Fprintln(stdout, plain)
	return nil
}
