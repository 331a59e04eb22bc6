// compose-check validates Compose files offline the way `docker compose config` loads them, with
// the compose-spec loader that Docker Compose itself uses (github.com/compose-spec/compose-go):
// the Compose Specification's JSON schema, variable interpolation (a required variable that is
// unset is an error), and the model's consistency (depends_on, networks and volumes that exist).
// It also checks what `config` leaves to `up`: every bind-mounted file and every build context
// (with its Dockerfile) exists.
//
//	go build -o compose-check . && ./compose-check docker-compose.yml
//
// The environment is the process's own; no .env file is read. Exit 1 when a file is invalid.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check COMPOSE_FILE...")
		os.Exit(2)
	}
	failed := false
	for _, file := range os.Args[1:] {
		if summary, err := check(file); err != nil {
			fmt.Printf("%s: INVALID: %v\n", file, err)
			failed = true
		} else {
			fmt.Printf("%s: valid (%s)\n", file, summary)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func check(file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	options, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithOsEnv,
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return "", err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return "", err
	}
	var missing []string
	for _, name := range project.ServiceNames() {
		service := project.Services[name]
		for _, v := range service.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					missing = append(missing, fmt.Sprintf("services.%s.volumes: %s does not exist", name, v.Source))
				}
			}
		}
		if b := service.Build; b != nil && b.DockerfileInline == "" {
			dockerfile := b.Dockerfile
			if dockerfile == "" {
				dockerfile = "Dockerfile"
			}
			if !filepath.IsAbs(dockerfile) {
				dockerfile = filepath.Join(b.Context, dockerfile)
			}
			if _, err := os.Stat(dockerfile); err != nil {
				missing = append(missing, fmt.Sprintf("services.%s.build: %s does not exist", name, dockerfile))
			}
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s", strings.Join(missing, "; "))
	}
	return fmt.Sprintf("project %s; %d services: %s; %d volumes", project.Name, len(project.Services),
		strings.Join(project.ServiceNames(), ", "), len(project.Volumes)), nil
}
